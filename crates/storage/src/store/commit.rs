//! Committing a finalised block: everything the block changes, in one atomic, durable
//! batch, so that after a crash the store holds either all of a block or none of it.
//!
//! Commit is idempotent because consensus may deliver a finalised block again after a
//! restart (marshal re-delivers anything not acknowledged): the block already committed
//! at its height is acknowledged without writing anything.

use std::sync::atomic::Ordering;

use alloy_primitives::{Bytes, logs_bloom};
use commonware_codec::Encode as _;
use entente_primitives::{Block, Receipt, digest_to_b256};
use tracing::debug;

use super::{
    ChainHead, Store, TxLocation,
    keys::{
        HEAD_KEY, SCHEMA_KEY, SCHEMA_VERSION, encode_head, encode_tx_location, height_key,
        receipt_key,
    },
};
use crate::{
    StateDiff, StorageError, TreeDelta,
    commitment::NodesWritten,
    kv::{Batch, Column},
};

/// Committed versions whose tree changes the store keeps in memory. A block rewrites the
/// paths of the keys it touches, and a busy key's path was usually last rewritten within
/// the last few blocks; each version held costs the memory of its new nodes.
const RECENT_TREE_VERSIONS: usize = 4;

/// Everything one block commits.
pub struct BlockCommit<'a> {
    pub block: &'a Block,
    /// One per transaction, in block order.
    pub receipts: &'a [Receipt],
    /// The block's state changes; the store takes new code from it (account and slot
    /// values come from `tree`, which was computed from this diff).
    pub diff: &'a StateDiff,
    /// The state tree changes of version `block.header.height`, from
    /// [`Store::state_root_after`].
    pub tree: &'a TreeDelta,
    /// The finalisation certificate, if already known (opaque to the store). Not
    /// written when the block is already committed: use [`Store::set_finalization`].
    pub finalization: Option<Bytes>,
}

/// What a commit did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitOutcome {
    Committed,
    /// The same block was already committed at that height; nothing was written.
    AlreadyCommitted,
}

impl Store {
    /// Commits `commit.block` on top of the head (genesis, height 0, into an empty store)
    /// in one atomic batch that survives a crash once this returns.
    ///
    /// Refuses, writing nothing: a different block at a committed height (`Conflict`),
    /// a height that is not head + 1 (`NotNext`), a block whose parent is not the head
    /// (`WrongParent`), a tree delta of another version or root (`DeltaMismatch`), and
    /// parts that disagree in size (`Inconsistent`).
    pub fn commit(&self, commit: BlockCommit<'_>) -> Result<CommitOutcome, StorageError> {
        let _serialised = self.inner.commit_lock.lock();
        let started = std::time::Instant::now();
        let block = commit.block;
        let height = block.header.height;
        let hash = block.hash();
        let head = self.head()?;
        match head {
            Some(head) if height <= head.height => {
                let committed = self.block_hash(height)?.ok_or_else(|| {
                    StorageError::corrupt("header", format!("none at committed height {height}"))
                })?;
                if committed == hash {
                    debug!(height, %hash, "block already committed");
                    return Ok(CommitOutcome::AlreadyCommitted);
                }
                return Err(StorageError::Conflict {
                    height,
                    hash,
                    committed,
                });
            }
            Some(head) if height != head.height + 1 => {
                return Err(StorageError::NotNext {
                    height,
                    head: Some(head.height),
                });
            }
            Some(head) if digest_to_b256(&block.header.parent) != head.hash => {
                return Err(StorageError::WrongParent {
                    height,
                    parent: digest_to_b256(&block.header.parent),
                    head: head.hash,
                });
            }
            None if height != 0 => return Err(StorageError::NotNext { height, head: None }),
            _ => {}
        }
        check_parts(&commit)?;

        let (batch, nodes) = {
            let recent = self.inner.recent_trees.read();
            let recent: Vec<&TreeDelta> = recent.iter().collect();
            commit_batch(&commit, head.is_none(), &recent)
        };
        let writes = batch.len();
        // Values go in the cache before the write (see `commitment::cache`); the tree
        // changes join the recent versions only once written.
        let cached = self
            .inner
            .latest
            .begin_commit(commit.tree.version(), commit.tree.values());
        self.kv().write(batch)?;
        cached.written();
        {
            let mut recent = self.inner.recent_trees.write();
            recent.push_back(commit.tree.clone());
            while recent.len() > RECENT_TREE_VERSIONS {
                recent.pop_front();
            }
        }
        self.inner
            .committed_len
            .fetch_max(height + 1, Ordering::AcqRel);
        debug!(
            height,
            %hash,
            txs = block.txs.len(),
            tree_nodes = nodes.nodes,
            tree_node_changes = nodes.changes,
            tree_node_bytes = nodes.bytes,
            tree_node_groups = nodes.groups,
            writes,
            ms = started.elapsed().as_millis() as u64,
            "block committed"
        );
        Ok(CommitOutcome::Committed)
    }

    /// Records a finalisation certificate that arrived after its block was committed
    /// (replacing any earlier one).
    pub fn set_finalization(&self, height: u64, certificate: Bytes) -> Result<(), StorageError> {
        let _serialised = self.inner.commit_lock.lock();
        if self
            .kv()
            .get(Column::Headers, &height_key(height))?
            .is_none()
        {
            return Err(StorageError::UnknownBlock { height });
        }
        let mut batch = Batch::new();
        batch.put(
            Column::Finalizations,
            height_key(height),
            certificate.to_vec(),
        );
        self.kv().write(batch)
    }
}

/// Checks that the commit's parts belong together.
fn check_parts(commit: &BlockCommit<'_>) -> Result<(), StorageError> {
    let header = &commit.block.header;
    if commit.tree.version() != header.height || commit.tree.root() != header.state_root {
        return Err(StorageError::DeltaMismatch {
            height: header.height,
            version: commit.tree.version(),
            root: commit.tree.root(),
            header_root: header.state_root,
        });
    }
    if commit.receipts.len() != commit.block.txs.len() {
        return Err(StorageError::Inconsistent {
            height: header.height,
            what: "receipts",
            expected: commit.block.txs.len(),
            got: commit.receipts.len(),
        });
    }
    // The delta holds one value per state key the diff writes.
    if commit.tree.values_written() != commit.diff.keys_changed() {
        return Err(StorageError::Inconsistent {
            height: header.height,
            what: "state tree values",
            expected: commit.diff.keys_changed(),
            got: commit.tree.values_written(),
        });
    }
    Ok(())
}

/// The block's writes. The head pointer goes last: a reader that sees the new head finds
/// everything it points to.
/// `recent`: the committed tree versions the store holds in memory, against whose nodes
/// the new ones may be written as changes.
fn commit_batch(
    commit: &BlockCommit<'_>,
    genesis: bool,
    recent: &[&TreeDelta],
) -> (Batch, NodesWritten) {
    let block = commit.block;
    let height = block.header.height;
    let hash = block.hash();
    let key = height_key(height);
    let mut batch = Batch::new();
    if genesis {
        batch.put(
            Column::Meta,
            SCHEMA_KEY,
            SCHEMA_VERSION.to_be_bytes().to_vec(),
        );
    }
    batch.put(Column::Headers, key, block.header.encode().to_vec());
    batch.put(Column::Blocks, key, block.encode().to_vec());
    batch.put(Column::BlockHashes, hash.to_vec(), key);
    for (index, receipt) in commit.receipts.iter().enumerate() {
        let location = TxLocation {
            height,
            index: index as u32,
        };
        batch.put(
            Column::Receipts,
            receipt_key(height, location.index),
            receipt.encode().to_vec(),
        );
        batch.put(
            Column::Txs,
            receipt.tx_hash.to_vec(),
            encode_tx_location(&location),
        );
    }
    let bloom = logs_bloom(
        commit
            .receipts
            .iter()
            .flat_map(|receipt| receipt.logs.iter()),
    );
    batch.put(Column::Blooms, key, bloom.as_slice().to_vec());
    if let Some(certificate) = &commit.finalization {
        batch.put(Column::Finalizations, key, certificate.to_vec());
    }
    for (code_hash, code) in &commit.diff.codes {
        batch.put(Column::Codes, code_hash.to_vec(), code.to_vec());
    }
    let nodes = commit.tree.write_into(&mut batch, recent);
    let head = ChainHead {
        height,
        hash,
        state_root: block.header.state_root,
        timestamp_ms: block.header.timestamp_ms,
    };
    batch.put(Column::Meta, HEAD_KEY, encode_head(&head));
    (batch, nodes)
}

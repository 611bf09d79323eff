//! The node's store: blocks, receipts, indexes, logs, finality certificates and the
//! versioned authenticated state, with one atomic batch per committed block.

use std::{path::Path, sync::Arc};

use alloy_primitives::{Address, B256, Bloom, Bytes, Log, U256, logs_bloom};
use commonware_codec::{Decode as _, Encode as _};
use entente_primitives::{Block, BlockCodec, Receipt};
use jmt::{JellyfishMerkleTree, KeyHash};
use sha2::Sha256;

use crate::{
    Account, StateDiff, StateView, StorageError,
    commitment::{
        self, LayeredTree, StateProof, TreeDelta, account_preimage, decode_account, decode_word,
        encode_account, key_hash, node_bytes, node_key_bytes, read_committed, storage_preimage,
        tagged,
    },
    kv::{Column, FjallKv, Kv, MemoryKv, Op},
};

const HEAD_KEY: &[u8] = b"head";
/// Most receipts one block may store; far above any block the limits allow.
const RECEIPTS_MAX: usize = 1 << 20;

/// An executed block not yet committed: its state changes, chained to its parent's.
#[derive(Debug)]
pub struct PendingState {
    pub version: u64,
    pub diff: StateDiff,
    pub tree: TreeDelta,
    pub parent: Option<Arc<PendingState>>,
}

/// Where a state starts: a committed version (or the empty pre-genesis state) and the
/// uncommitted layers above it.
#[derive(Clone, Debug, Default)]
pub struct StateBase {
    pub committed: Option<u64>,
    pub pending: Option<Arc<PendingState>>,
}

impl StateBase {
    /// The empty state before genesis.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The state as committed at `version`.
    pub fn committed(version: u64) -> Self {
        Self {
            committed: Some(version),
            pending: None,
        }
    }

    /// The version a block built on this base gets.
    pub fn next_version(&self) -> u64 {
        match (&self.pending, self.committed) {
            (Some(top), _) => top.version + 1,
            (None, Some(version)) => version + 1,
            (None, None) => 0,
        }
    }

    fn layers(&self) -> Vec<Arc<PendingState>> {
        let mut layers = Vec::new();
        let mut cursor = self.pending.clone();
        while let Some(layer) = cursor {
            cursor = layer.parent.clone();
            layers.push(layer);
        }
        layers
    }
}

/// The committed head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainHead {
    pub height: u64,
    pub hash: B256,
    pub state_root: B256,
    pub timestamp_ms: u64,
}

/// Where a transaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxLocation {
    pub height: u64,
    pub index: u32,
}

/// Everything one block commits.
pub struct BlockCommit<'a> {
    pub block: &'a Block,
    pub receipts: &'a [Receipt],
    pub diff: &'a StateDiff,
    pub tree: &'a TreeDelta,
    pub finalization: Option<Bytes>,
}

/// What a commit did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitOutcome {
    Committed,
    /// The same block was already committed at that height; nothing was written.
    AlreadyCommitted,
}

/// Which logs `eth_getLogs` wants.
#[derive(Clone, Debug, Default)]
pub struct LogFilter {
    /// Emitting contracts; empty means any.
    pub addresses: Vec<Address>,
    /// Per topic position, the accepted values; `None` means any.
    pub topics: Vec<Option<Vec<B256>>>,
}

impl LogFilter {
    fn matches(&self, log: &Log) -> bool {
        if !self.addresses.is_empty() && !self.addresses.contains(&log.address) {
            return false;
        }
        let topics = log.topics();
        self.topics
            .iter()
            .enumerate()
            .all(|(i, wanted)| match wanted {
                None => true,
                Some(wanted) => topics.get(i).is_some_and(|t| wanted.contains(t)),
            })
    }

    /// False when the bloom proves no log of the block can match.
    fn may_match(&self, bloom: &Bloom) -> bool {
        let addresses = self.addresses.is_empty()
            || self
                .addresses
                .iter()
                .any(|a| bloom.contains_input(alloy_primitives::BloomInput::Raw(a.as_slice())));
        addresses
            && self.topics.iter().all(|wanted| match wanted {
                None => true,
                Some(wanted) => wanted
                    .iter()
                    .any(|t| bloom.contains_input(alloy_primitives::BloomInput::Raw(t.as_slice()))),
            })
    }
}

/// A log and where it was emitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub log: Log,
    pub block_height: u64,
    pub block_hash: B256,
    pub tx_hash: B256,
    pub tx_index: u64,
    pub log_index: u64,
}

/// The store. Cheap to clone; safe to share between threads.
#[derive(Clone)]
pub struct Store {
    kv: Arc<dyn Kv>,
    codec: BlockCodec,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

fn height_key(height: u64) -> [u8; 8] {
    height.to_be_bytes()
}

fn be_u64(bytes: &[u8]) -> Result<u64, StorageError> {
    bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| StorageError::Corrupt("short integer".into()))
}

/// Encodes receipts as `count u32 ‖ (len u32 ‖ receipt)*`.
fn encode_receipts(receipts: &[Receipt]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(receipts.len() as u32).to_be_bytes());
    for receipt in receipts {
        let bytes = receipt.encode();
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(&bytes);
    }
    out
}

fn decode_receipts(mut bytes: &[u8]) -> Result<Vec<Receipt>, StorageError> {
    let corrupt = |what: &str| StorageError::Corrupt(format!("receipts: {what}"));
    let mut take = |n: usize| -> Result<&[u8], StorageError> {
        if bytes.len() < n {
            return Err(corrupt("truncated"));
        }
        let (head, rest) = bytes.split_at(n);
        bytes = rest;
        Ok(head)
    };
    let count = u32::from_be_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
    if count > RECEIPTS_MAX {
        return Err(corrupt("too many"));
    }
    let mut receipts = Vec::with_capacity(count);
    for _ in 0..count {
        let len = u32::from_be_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
        let raw = take(len)?;
        receipts.push(
            Receipt::decode_cfg(bytes::Bytes::copy_from_slice(raw), &())
                .map_err(|err| corrupt(&err.to_string()))?,
        );
    }
    Ok(receipts)
}

impl Store {
    /// Opens (or creates) the on-disk store in `dir`.
    pub fn open(dir: &Path, codec: BlockCodec) -> Result<Self, StorageError> {
        Self::from_kv(Arc::new(FjallKv::open(dir)?), codec)
    }

    /// A store in memory (tests, genesis computation).
    pub fn in_memory() -> Self {
        Self {
            kv: Arc::new(MemoryKv::new()),
            codec: BlockCodec {
                txs_max: u32::MAX,
                txs_bytes_max: usize::MAX / 2,
            },
        }
    }

    /// A store over any engine.
    pub fn from_kv(kv: Arc<dyn Kv>, codec: BlockCodec) -> Result<Self, StorageError> {
        Ok(Self { kv, codec })
    }

    /// The committed head, or `None` before genesis.
    pub fn head(&self) -> Result<Option<ChainHead>, StorageError> {
        let Some(bytes) = self.kv.get(Column::Meta, HEAD_KEY)? else {
            return Ok(None);
        };
        if bytes.len() != 80 {
            return Err(StorageError::Corrupt("head pointer".into()));
        }
        Ok(Some(ChainHead {
            height: be_u64(&bytes[..8])?,
            hash: B256::from_slice(&bytes[8..40]),
            state_root: B256::from_slice(&bytes[40..72]),
            timestamp_ms: be_u64(&bytes[72..80])?,
        }))
    }

    pub fn block(&self, height: u64) -> Result<Option<Block>, StorageError> {
        let Some(bytes) = self.kv.get(Column::Blocks, &height_key(height))? else {
            return Ok(None);
        };
        Block::decode_cfg(bytes::Bytes::from(bytes), &self.codec)
            .map(Some)
            .map_err(|err| StorageError::Corrupt(format!("block {height}: {err}")))
    }

    pub fn height_of(&self, hash: &B256) -> Result<Option<u64>, StorageError> {
        match self.kv.get(Column::BlockHashes, hash.as_slice())? {
            Some(bytes) => Ok(Some(be_u64(&bytes)?)),
            None => Ok(None),
        }
    }

    pub fn block_by_hash(&self, hash: &B256) -> Result<Option<Block>, StorageError> {
        match self.height_of(hash)? {
            Some(height) => self.block(height),
            None => Ok(None),
        }
    }

    pub fn receipts(&self, height: u64) -> Result<Option<Vec<Receipt>>, StorageError> {
        match self.kv.get(Column::Receipts, &height_key(height))? {
            Some(bytes) => decode_receipts(&bytes).map(Some),
            None => Ok(None),
        }
    }

    pub fn tx_location(&self, hash: &B256) -> Result<Option<TxLocation>, StorageError> {
        let Some(bytes) = self.kv.get(Column::Txs, hash.as_slice())? else {
            return Ok(None);
        };
        if bytes.len() != 12 {
            return Err(StorageError::Corrupt("transaction index entry".into()));
        }
        Ok(Some(TxLocation {
            height: be_u64(&bytes[..8])?,
            index: u32::from_be_bytes(bytes[8..12].try_into().expect("4 bytes")),
        }))
    }

    pub fn finalization(&self, height: u64) -> Result<Option<Bytes>, StorageError> {
        Ok(self
            .kv
            .get(Column::Finalizations, &height_key(height))?
            .map(Bytes::from))
    }

    /// Records a certificate that arrived after its block was committed.
    pub fn set_finalization(&self, height: u64, certificate: Bytes) -> Result<(), StorageError> {
        self.kv.write(vec![Op::Put(
            Column::Finalizations,
            height_key(height).to_vec(),
            certificate.to_vec(),
        )])
    }

    pub fn code(&self, hash: &B256) -> Result<Option<Bytes>, StorageError> {
        Ok(self
            .kv
            .get(Column::Codes, hash.as_slice())?
            .map(Bytes::from))
    }

    /// A read view of the state at `base` (committed version plus pending layers).
    pub fn view(&self, base: &StateBase) -> StateAt {
        StateAt {
            kv: self.kv.clone(),
            committed: base.committed,
            layers: base.layers(),
        }
    }

    /// The state root after applying `diff` on `base`, and the tree changes to commit
    /// with it. Writes nothing.
    pub fn state_root_after(
        &self,
        base: &StateBase,
        diff: &StateDiff,
    ) -> Result<(B256, TreeDelta), StorageError> {
        let version = base.next_version();
        let layers = base.layers();
        let reader = LayeredTree {
            kv: self.kv.as_ref(),
            layers: layers.iter().map(|layer| &layer.tree).collect(),
        };
        let mut values: Vec<(KeyHash, Option<Vec<u8>>)> = Vec::new();
        for (address, account) in &diff.accounts {
            values.push((
                key_hash(&account_preimage(address)),
                account.as_ref().map(encode_account),
            ));
        }
        for (address, slots) in &diff.storage {
            for (slot, value) in slots {
                let encoded = (!value.is_zero()).then(|| value.to_be_bytes::<32>().to_vec());
                values.push((key_hash(&storage_preimage(address, slot)), encoded));
            }
        }
        let tree = JellyfishMerkleTree::<_, Sha256>::new(&reader);
        let (root, batch) = tree
            .put_value_set(values, version)
            .map_err(|err| StorageError::Commitment(err.to_string()))?;
        Ok((
            B256::from(root.0),
            TreeDelta::from_batch(version, root, batch),
        ))
    }

    /// Commits a block in one atomic, durable batch. Idempotent for the block already
    /// committed at its height.
    pub fn commit(&self, commit: BlockCommit<'_>) -> Result<CommitOutcome, StorageError> {
        let block = commit.block;
        let height = block.header.height;
        let head = self.head()?;
        match head {
            Some(head) if height <= head.height => {
                let stored = self
                    .block(height)?
                    .ok_or_else(|| StorageError::Corrupt(format!("block {height} missing")))?;
                if stored.hash() == block.hash() {
                    return Ok(CommitOutcome::AlreadyCommitted);
                }
                return Err(StorageError::Conflict {
                    height,
                    committed: stored.hash().to_string(),
                });
            }
            Some(head) if height != head.height + 1 => {
                return Err(StorageError::NotNext {
                    height,
                    head: Some(head.height),
                });
            }
            None if height != 0 => {
                return Err(StorageError::NotNext { height, head: None });
            }
            _ => {}
        }
        if commit.tree.version != height {
            return Err(StorageError::Commitment(format!(
                "tree delta of version {} for block {height}",
                commit.tree.version
            )));
        }
        if commit.tree.root != block.header.state_root {
            return Err(StorageError::Commitment(format!(
                "tree root {} differs from the header's state root {}",
                commit.tree.root, block.header.state_root
            )));
        }
        if commit.receipts.len() != block.txs.len() {
            return Err(StorageError::Commitment(format!(
                "{} receipts for {} transactions",
                commit.receipts.len(),
                block.txs.len()
            )));
        }

        let hash = block.hash();
        let key = height_key(height).to_vec();
        let mut ops = vec![
            Op::Put(Column::Blocks, key.clone(), block.encode().to_vec()),
            Op::Put(
                Column::Receipts,
                key.clone(),
                encode_receipts(commit.receipts),
            ),
            Op::Put(Column::BlockHashes, hash.to_vec(), key.clone()),
            Op::Put(
                Column::Blooms,
                key.clone(),
                logs_bloom(commit.receipts.iter().flat_map(|r| r.logs.iter()))
                    .as_slice()
                    .to_vec(),
            ),
        ];
        for (index, receipt) in commit.receipts.iter().enumerate() {
            let mut location = key.clone();
            location.extend_from_slice(&(index as u32).to_be_bytes());
            ops.push(Op::Put(Column::Txs, receipt.tx_hash.to_vec(), location));
        }
        if let Some(certificate) = &commit.finalization {
            ops.push(Op::Put(
                Column::Finalizations,
                key.clone(),
                certificate.to_vec(),
            ));
        }
        for (code_hash, code) in &commit.diff.codes {
            ops.push(Op::Put(Column::Codes, code_hash.to_vec(), code.to_vec()));
        }
        for (node_key, node) in &commit.tree.nodes {
            ops.push(Op::Put(
                Column::Nodes,
                node_key_bytes(node_key),
                node_bytes(node),
            ));
        }
        for (key_hash, value) in &commit.tree.values {
            let value = tagged(value);
            let versioned = [&key_hash.0[..], &height.to_be_bytes()].concat();
            ops.push(Op::Put(Column::Values, versioned, value.clone()));
            let latest = [&height.to_be_bytes()[..], &value].concat();
            ops.push(Op::Put(Column::Latest, key_hash.0.to_vec(), latest));
        }
        let mut head_bytes = Vec::with_capacity(80);
        head_bytes.extend_from_slice(&height.to_be_bytes());
        head_bytes.extend_from_slice(hash.as_slice());
        head_bytes.extend_from_slice(block.header.state_root.as_slice());
        head_bytes.extend_from_slice(&block.header.timestamp_ms.to_be_bytes());
        ops.push(Op::Put(Column::Meta, HEAD_KEY.to_vec(), head_bytes));
        self.kv.write(ops)?;
        Ok(CommitOutcome::Committed)
    }

    /// A proof of `preimage`'s value in the state committed at `version`.
    pub fn proof(&self, version: u64, preimage: Vec<u8>) -> Result<StateProof, StorageError> {
        self.check_version(version)?;
        commitment::prove(self.kv.as_ref(), version, preimage)
    }

    pub fn account_proof(
        &self,
        version: u64,
        address: &Address,
    ) -> Result<StateProof, StorageError> {
        self.proof(version, account_preimage(address))
    }

    pub fn storage_proof(
        &self,
        version: u64,
        address: &Address,
        slot: &U256,
    ) -> Result<StateProof, StorageError> {
        self.proof(version, storage_preimage(address, slot))
    }

    fn check_version(&self, version: u64) -> Result<(), StorageError> {
        let latest = self.head()?.map(|h| h.height);
        match latest {
            Some(latest) if version <= latest => Ok(()),
            _ => Err(StorageError::VersionUnavailable {
                version,
                earliest: 0,
                latest: latest.unwrap_or_default(),
            }),
        }
    }

    /// Logs of blocks `from..=to` matching `filter`, at most `max_results`.
    pub fn logs(
        &self,
        from: u64,
        to: u64,
        filter: &LogFilter,
        max_results: usize,
    ) -> Result<Vec<LogEntry>, StorageError> {
        let mut out = Vec::new();
        for height in from..=to {
            let Some(bloom) = self.kv.get(Column::Blooms, &height_key(height))? else {
                continue;
            };
            if bloom.len() != 256 || !filter.may_match(&Bloom::from_slice(&bloom)) {
                continue;
            }
            let Some(receipts) = self.receipts(height)? else {
                continue;
            };
            let Some(block) = self.block(height)? else {
                continue;
            };
            let mut log_index = 0u64;
            for (tx_index, receipt) in receipts.iter().enumerate() {
                for log in &receipt.logs {
                    if filter.matches(log) {
                        if out.len() >= max_results {
                            return Err(StorageError::TooManyResults { max: max_results });
                        }
                        out.push(LogEntry {
                            log: log.clone(),
                            block_height: height,
                            block_hash: block.hash(),
                            tx_hash: receipt.tx_hash,
                            tx_index: tx_index as u64,
                            log_index,
                        });
                    }
                    log_index += 1;
                }
            }
        }
        Ok(out)
    }
}

/// A read view of one state: committed version plus uncommitted layers (newest first).
#[derive(Clone)]
pub struct StateAt {
    kv: Arc<dyn Kv>,
    committed: Option<u64>,
    layers: Vec<Arc<PendingState>>,
}

impl StateAt {
    fn read(&self, preimage: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        match self.committed {
            Some(version) => read_committed(self.kv.as_ref(), &key_hash(preimage), version),
            None => Ok(None),
        }
    }
}

impl StateView for StateAt {
    fn account(&self, address: &Address) -> Result<Option<Account>, StorageError> {
        for layer in &self.layers {
            if let Some(account) = layer.diff.accounts.get(address) {
                return Ok(*account);
            }
        }
        self.read(&account_preimage(address))?
            .map(|value| decode_account(&value))
            .transpose()
    }

    fn storage(&self, address: &Address, slot: &U256) -> Result<U256, StorageError> {
        for layer in &self.layers {
            if let Some(value) = layer.diff.storage.get(address).and_then(|s| s.get(slot)) {
                return Ok(*value);
            }
        }
        match self.read(&storage_preimage(address, slot))? {
            Some(value) => decode_word(&value),
            None => Ok(U256::ZERO),
        }
    }

    fn code(&self, code_hash: &B256) -> Result<Option<Bytes>, StorageError> {
        for layer in &self.layers {
            if let Some(code) = layer.diff.codes.get(code_hash) {
                return Ok(Some(code.clone()));
            }
        }
        Ok(self
            .kv
            .get(Column::Codes, code_hash.as_slice())?
            .map(Bytes::from))
    }
}

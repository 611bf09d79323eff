//! The authenticated state: a Jellyfish Merkle tree (the `jmt` crate, SHA-256) over hashed
//! state keys, versioned by block height (genesis is version 0).
//!
//! A new root costs O(keys changed × log₁₆ n) node reads and writes, whatever the size of
//! the state: only the paths from changed leaves to the root are rewritten, and every
//! node of version `v` is written once, in its group of version `v` (see `Nodes` below).
//! A version without deletions goes through jmt's batch insert, which rewrites and
//! hashes each node on those paths once; one with a deletion goes key by key, rehashing
//! the path for every key.
//!
//! State keys and values (the proof format in [`proof`] refers to these):
//! - account: preimage `0x01 ‖ address (20)`, value `nonce (8, BE) ‖ balance (32, BE) ‖
//!   code hash (32)` — code itself lives in the store's code column and is committed
//!   through the code hash;
//! - storage slot: preimage `0x02 ‖ address (20) ‖ slot (32, BE)`, value the 32-byte
//!   big-endian word;
//! - the tree key is `SHA-256(preimage)`; a deleted account or a zero slot is absent
//!   from the tree (a jmt delete), not stored as zero.
//!
//! Persistence (written by the store's commit, read back through a layered tree reader):
//! - `Nodes`: the nodes a version writes, in groups of those that share their first
//!   [`NODE_GROUP_NIBBLES`] path nibbles ([`node_group`]), one entry per group keyed
//!   `version (8, BE) ‖ path prefix`. Each node is in the compact form of [`node_codec`]
//!   (smaller than jmt's borsh form), or, for an internal node whose path also has a
//!   node in a recent version of the same span of versions, as its change to that one
//!   (most nodes deep in a large tree change one child of sixteen). Version first, and a
//!   change only refers within its span, so dropping whole spans of old versions would
//!   be a range delete.
//! - `Values`: `key hash ‖ version (8, BE)` → tagged value; `Latest`: `key hash` →
//!   `version (8, BE) ‖ tagged value`. A tagged value is `0x01 ‖ bytes` (present) or
//!   `0x00` (deleted at that version).

pub(crate) mod cache;
mod node_codec;
mod node_group;
pub mod proof;

use std::sync::Arc;

use alloy_primitives::{Address, B256, U256};
use jmt::{
    JellyfishMerkleTree, KeyHash, OwnedValue, Version,
    storage::{LeafNode, Node, NodeBatch, NodeKey, TreeReader, TreeUpdateBatch},
};
use sha2::{Digest as _, Sha256};

pub use self::node_group::GROUP_NIBBLES as NODE_GROUP_NIBBLES;
use self::{cache::Written, node_codec::Stored, node_group::Groups};
use crate::{
    Account, StateDiff, StorageError,
    kv::{Batch, Column, Kv},
};

/// First byte of an account key preimage.
pub const ACCOUNT_KEY_TAG: u8 = 0x01;
/// First byte of a storage slot key preimage.
pub const STORAGE_KEY_TAG: u8 = 0x02;
/// Length of an encoded account value.
pub const ACCOUNT_VALUE_BYTES: usize = 8 + 32 + 32;

const PRESENT: u8 = 1;
const ABSENT: u8 = 0;

/// The preimage of an account's tree key.
pub fn account_preimage(address: &Address) -> Vec<u8> {
    let mut key = Vec::with_capacity(21);
    key.push(ACCOUNT_KEY_TAG);
    key.extend_from_slice(address.as_slice());
    key
}

/// The preimage of a storage slot's tree key.
pub fn storage_preimage(address: &Address, slot: &U256) -> Vec<u8> {
    let mut key = Vec::with_capacity(53);
    key.push(STORAGE_KEY_TAG);
    key.extend_from_slice(address.as_slice());
    key.extend_from_slice(&slot.to_be_bytes::<32>());
    key
}

/// The tree key of a preimage: its SHA-256. Equal to jmt's `KeyHash::with::<Sha256>`,
/// computed directly because jmt's version logs every key at debug level.
pub fn key_hash(preimage: &[u8]) -> KeyHash {
    KeyHash(Sha256::digest(preimage).into())
}

pub fn encode_account(account: &Account) -> Vec<u8> {
    let mut value = Vec::with_capacity(ACCOUNT_VALUE_BYTES);
    value.extend_from_slice(&account.nonce.to_be_bytes());
    value.extend_from_slice(&account.balance.to_be_bytes::<32>());
    value.extend_from_slice(account.code_hash.as_slice());
    value
}

pub fn decode_account(value: &[u8]) -> Result<Account, StorageError> {
    let wrong_length = || {
        StorageError::corrupt(
            "account value",
            format!("{} bytes, expected {ACCOUNT_VALUE_BYTES}", value.len()),
        )
    };
    if value.len() != ACCOUNT_VALUE_BYTES {
        return Err(wrong_length());
    }
    let nonce: [u8; 8] = value[..8].try_into().map_err(|_| wrong_length())?;
    Ok(Account {
        nonce: u64::from_be_bytes(nonce),
        balance: U256::from_be_slice(&value[8..40]),
        code_hash: B256::from_slice(&value[40..72]),
    })
}

/// A storage word's tree value, or `None` (absent) for zero.
pub fn encode_word(value: &U256) -> Option<Vec<u8>> {
    (!value.is_zero()).then(|| value.to_be_bytes::<32>().to_vec())
}

pub fn decode_word(value: &[u8]) -> Result<U256, StorageError> {
    if value.len() != 32 {
        return Err(StorageError::corrupt(
            "storage value",
            format!("{} bytes, expected 32", value.len()),
        ));
    }
    Ok(U256::from_be_slice(value))
}

/// The tree changes of one version, held in memory until the block is committed: the
/// new nodes and the new value of every key the version touched. jmt's batch is kept as
/// it came out of the tree (no copy), shared, so a clone is cheap.
#[derive(Clone, Debug)]
pub struct TreeDelta {
    version: Version,
    root: B256,
    /// Its values are all at `version`.
    batch: Arc<NodeBatch>,
}

impl TreeDelta {
    fn from_batch(version: Version, root: B256, batch: TreeUpdateBatch) -> Self {
        Self {
            version,
            root,
            batch: Arc::new(batch.node_batch),
        }
    }

    /// The version (block height) these changes create.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The state root after these changes.
    pub fn root(&self) -> B256 {
        self.root
    }

    /// Number of tree nodes this version writes.
    pub fn nodes_written(&self) -> usize {
        self.batch.nodes().len()
    }

    /// Number of state keys this version writes.
    pub fn values_written(&self) -> usize {
        self.batch.values().len()
    }

    /// The values this version writes (`None`: deleted).
    pub(crate) fn values(&self) -> impl Iterator<Item = (&KeyHash, &Option<OwnedValue>)> {
        self.batch
            .values()
            .iter()
            .map(|((_, key), value)| (key, value))
    }

    /// The node this version wrote at `key`.
    pub(crate) fn node(&self, key: &NodeKey) -> Option<&Node> {
        self.batch.get_node(key)
    }

    fn value(&self, key: &KeyHash) -> Option<&Option<OwnedValue>> {
        self.batch.values().get(&(self.version, *key))
    }

    /// Adds this version's nodes (in their groups), versioned values and latest values
    /// to `batch`.
    ///
    /// An internal node is written as its change to the node at the same path of the
    /// newest version in `recent` (committed versions still in memory) of the same span
    /// that has one ([`node_codec::encode_change`]), where that is smaller; every other
    /// node whole. The base need not be the node this one replaces (a deletion in
    /// between may have removed that path), only a stored node at the same path. Each
    /// version's nodes are sorted by path, so finding the bases is one merged walk.
    pub(crate) fn write_into(&self, batch: &mut Batch, recent: &[&TreeDelta]) -> NodesWritten {
        let mut written = NodesWritten::default();
        let mut groups = Groups::default();
        let mut bases: Vec<_> = recent
            .iter()
            .filter(|delta| node_codec::same_span(delta.version, self.version))
            .collect();
        bases.sort_by_key(|delta| std::cmp::Reverse(delta.version));
        let mut cursors: Vec<_> = bases
            .iter()
            .map(|delta| (delta.version, delta.batch.nodes().iter().peekable()))
            .collect();
        for (key, node) in self.batch.nodes() {
            let path = key.nibble_path();
            let mut change = None;
            if matches!(node, Node::Internal(_)) {
                for (base_version, cursor) in &mut cursors {
                    while cursor
                        .next_if(|(base, _)| base.nibble_path() < path)
                        .is_some()
                    {}
                    if let Some((_, base)) = cursor.next_if(|(base, _)| base.nibble_path() == path)
                    {
                        change = node_codec::encode_change(self.version, node, *base_version, base);
                        break;
                    }
                }
            }
            written.nodes += 1;
            written.changes += usize::from(change.is_some());
            let value = change.unwrap_or_else(|| node_codec::encode(key.version(), node));
            written.bytes += value.len();
            groups.push(path, &value);
        }
        for (key, group) in groups.into_entries(self.version) {
            written.groups += 1;
            batch.put(Column::Nodes, key, group);
        }
        let version = self.version.to_be_bytes();
        for (key, value) in self.values() {
            let value = tagged(value);
            batch.put(
                Column::Values,
                [&key.0[..], &version].concat(),
                value.clone(),
            );
            batch.put(
                Column::Latest,
                key.0.to_vec(),
                [&version[..], &value].concat(),
            );
        }
        written
    }
}

/// What [`TreeDelta::write_into`] wrote into the `Nodes` column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct NodesWritten {
    pub nodes: usize,
    /// Of `nodes`, those written as changes.
    pub changes: usize,
    /// Bytes of the stored forms.
    pub bytes: usize,
    /// Entries the nodes took ([`node_group`]).
    pub groups: usize,
}

fn tagged(value: &Option<OwnedValue>) -> Vec<u8> {
    match value {
        Some(value) => [&[PRESENT][..], value].concat(),
        None => vec![ABSENT],
    }
}

fn untag(bytes: &[u8]) -> Result<Option<OwnedValue>, StorageError> {
    match bytes.split_first() {
        Some((&PRESENT, value)) => Ok(Some(value.to_vec())),
        Some((&ABSENT, [])) => Ok(None),
        _ => Err(StorageError::corrupt("state value", "bad presence tag")),
    }
}

/// The value of `key` in the committed state of `version`.
///
/// Reads at or near the head take one point read: `Latest` holds each key's newest
/// version, which answers every read at or above it. Older reads seek back through
/// `Values` to the newest version at or below the one asked for.
pub(crate) fn read_committed(
    kv: &dyn Kv,
    key: &KeyHash,
    version: Version,
) -> Result<Option<OwnedValue>, StorageError> {
    let newest = read_newest(kv, key)?;
    if newest.at.is_none_or(|at| at <= version) {
        return Ok(newest.value);
    }
    read_before(kv, key, version)
}

/// The newest committed value of `key`, from `Latest`.
pub(crate) fn read_newest(kv: &dyn Kv, key: &KeyHash) -> Result<Written, StorageError> {
    let Some(latest) = kv.get(Column::Latest, &key.0)? else {
        return Ok(Written::NEVER);
    };
    let Some((at, value)) = latest.split_first_chunk::<8>() else {
        return Err(StorageError::corrupt(
            "latest state value",
            "shorter than a version",
        ));
    };
    Ok(Written {
        at: Some(u64::from_be_bytes(*at)),
        value: untag(value)?,
    })
}

/// The value of `key` at `version` from `Values`, for a key written since.
pub(crate) fn read_before(
    kv: &dyn Kv,
    key: &KeyHash,
    version: Version,
) -> Result<Option<OwnedValue>, StorageError> {
    let upper = [&key.0[..], &version.to_be_bytes()].concat();
    match kv.seek_last(Column::Values, &key.0, &upper)? {
        Some((_, value)) => untag(&value),
        None => Ok(None),
    }
}

/// The tree key and value (`None`: absent) of every state key `diff` changes.
fn tree_values(diff: &StateDiff) -> Vec<(KeyHash, Option<OwnedValue>)> {
    let mut values = Vec::with_capacity(diff.keys_changed());
    for (address, account) in &diff.accounts {
        let value = account.as_ref().map(encode_account);
        values.push((key_hash(&account_preimage(address)), value));
    }
    for (address, slots) in &diff.storage {
        for (slot, value) in slots {
            values.push((
                key_hash(&storage_preimage(address, slot)),
                encode_word(value),
            ));
        }
    }
    values
}

/// A jmt tree reader over the committed tree as of version `committed`, overlaid with
/// uncommitted versions (`layers`, newest first, each the version above the next).
///
/// Committed nodes of versions above `committed` are invisible, so a speculative chain
/// built on an older version reads exactly its own history even after the head moved on.
pub(crate) struct LayeredTree<'a> {
    pub kv: &'a dyn Kv,
    /// Recently committed versions still held in memory (any order): their nodes are
    /// read from here rather than from the engine.
    pub recent: &'a [TreeDelta],
    /// `None`: nothing committed is visible (the empty state before genesis).
    pub committed: Option<Version>,
    pub layers: Vec<&'a TreeDelta>,
}

impl LayeredTree<'_> {
    /// Computes the root of version `version` = the top layer's (or `committed`'s) + 1
    /// after applying `diff`, without writing anything.
    pub fn apply(&self, version: Version, diff: &StateDiff) -> Result<TreeDelta, StorageError> {
        let values = tree_values(diff);
        if values.is_empty() || values.iter().any(|(_, value)| value.is_none()) {
            return self.insert_per_key(version, values);
        }
        let writes = values
            .into_iter()
            .filter_map(|(key, value)| value.map(|value| (key, value)))
            .collect();
        self.insert_batch(version, writes)
    }

    /// jmt's batch insert: every node on the changed paths is rewritten, and hashed, once.
    /// It takes no deletions (and no empty set).
    fn insert_batch(
        &self,
        version: Version,
        writes: Vec<(KeyHash, OwnedValue)>,
    ) -> Result<TreeDelta, StorageError> {
        let tree = JellyfishMerkleTree::<_, Sha256>::new(self);
        let (roots, batch) = tree
            .batch_put_value_sets(vec![writes], None, version)
            .map_err(|err| StorageError::commitment("compute state root", format!("{err:#}")))?;
        let root = roots
            .first()
            .ok_or_else(|| StorageError::commitment("compute state root", "no root returned"))?;
        Ok(TreeDelta::from_batch(version, B256::from(root.0), batch))
    }

    /// jmt's per-key insert, which also deletes: each key rewrites and rehashes its whole
    /// path, so it costs more per key than [`Self::insert_batch`].
    fn insert_per_key(
        &self,
        version: Version,
        values: Vec<(KeyHash, Option<OwnedValue>)>,
    ) -> Result<TreeDelta, StorageError> {
        let tree = JellyfishMerkleTree::<_, Sha256>::new(self);
        let (root, batch) = tree
            .put_value_set(values, version)
            .map_err(|err| StorageError::commitment("compute state root", format!("{err:#}")))?;
        Ok(TreeDelta::from_batch(version, B256::from(root.0), batch))
    }

    fn committed_node(&self, node_key: &NodeKey) -> Result<Option<Node>, StorageError> {
        match self.committed {
            Some(committed) if node_key.version() <= committed => {}
            _ => return Ok(None),
        }
        if let Some(delta) = self
            .recent
            .iter()
            .find(|delta| delta.version == node_key.version())
        {
            return Ok(delta.node(node_key).cloned());
        }
        let path = node_key.nibble_path();
        let Some(group) = self.kv.get(
            Column::Nodes,
            &node_group::group_key(node_key.version(), path),
        )?
        else {
            return Ok(None);
        };
        let Some(bytes) = node_group::find(&group, path)? else {
            return Ok(None);
        };
        match node_codec::decode(node_key.version(), bytes)? {
            Stored::Whole(node) => Ok(Some(node)),
            Stored::Change {
                base_version,
                bytes,
            } => {
                let base_key = NodeKey::new(base_version, path.clone());
                let base = self.committed_node(&base_key)?.ok_or_else(|| {
                    StorageError::corrupt("state tree node", "the base of a change is missing")
                })?;
                node_codec::apply_change(node_key.version(), bytes, &base).map(Some)
            }
        }
    }
}

impl TreeReader for LayeredTree<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        for layer in &self.layers {
            if layer.version == node_key.version() {
                return Ok(layer.node(node_key).cloned());
            }
        }
        Ok(self.committed_node(node_key)?)
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        for layer in &self.layers {
            if layer.version <= max_version
                && let Some(value) = layer.value(&key_hash)
            {
                return Ok(value.clone());
            }
        }
        match self.committed {
            Some(committed) => Ok(read_committed(
                self.kv,
                &key_hash,
                committed.min(max_version),
            )?),
            None => Ok(None),
        }
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        // Only jmt's state-sync restore asks for this; Entente does not restore trees.
        anyhow::bail!("get_rightmost_leaf is not supported: Entente never restores a tree")
    }
}

#[cfg(test)]
mod tests;

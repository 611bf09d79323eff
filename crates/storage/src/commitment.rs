//! The authenticated state: a Jellyfish Merkle tree (SHA-256) over hashed state keys,
//! versioned by block height (genesis is version 0).
//!
//! A new root costs O(keys changed × log n) node writes, whatever the size of the state.
//!
//! Keys and values (also the format of state proofs, see `docs/json-rpc.md`):
//! - account: preimage `0x01 ‖ address (20)`, value `nonce (8 BE) ‖ balance (32 BE) ‖
//!   code hash (32)`;
//! - storage slot: preimage `0x02 ‖ address (20) ‖ slot (32 BE)`, value the 32-byte
//!   big-endian word;
//! - the tree key is `SHA-256(preimage)`; a deleted account or zero slot is absent.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256};
use jmt::{
    KeyHash, OwnedValue, RootHash, Version,
    storage::{LeafNode, Node, NodeKey, TreeReader},
};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{
    Account, StorageError,
    kv::{Column, Kv},
};

/// Tag of a stored value: present or deleted at that version.
const PRESENT: u8 = 1;
const ABSENT: u8 = 0;

pub fn account_preimage(address: &Address) -> Vec<u8> {
    let mut key = Vec::with_capacity(21);
    key.push(0x01);
    key.extend_from_slice(address.as_slice());
    key
}

pub fn storage_preimage(address: &Address, slot: &U256) -> Vec<u8> {
    let mut key = Vec::with_capacity(53);
    key.push(0x02);
    key.extend_from_slice(address.as_slice());
    key.extend_from_slice(&slot.to_be_bytes::<32>());
    key
}

pub fn key_hash(preimage: &[u8]) -> KeyHash {
    KeyHash::with::<Sha256>(preimage)
}

pub fn encode_account(account: &Account) -> Vec<u8> {
    let mut value = Vec::with_capacity(72);
    value.extend_from_slice(&account.nonce.to_be_bytes());
    value.extend_from_slice(&account.balance.to_be_bytes::<32>());
    value.extend_from_slice(account.code_hash.as_slice());
    value
}

pub fn decode_account(value: &[u8]) -> Result<Account, StorageError> {
    if value.len() != 72 {
        return Err(StorageError::Corrupt(format!(
            "account value of {} bytes, expected 72",
            value.len()
        )));
    }
    Ok(Account {
        nonce: u64::from_be_bytes(value[..8].try_into().expect("8 bytes")),
        balance: U256::from_be_slice(&value[8..40]),
        code_hash: B256::from_slice(&value[40..72]),
    })
}

pub fn decode_word(value: &[u8]) -> Result<U256, StorageError> {
    if value.len() != 32 {
        return Err(StorageError::Corrupt(format!(
            "storage value of {} bytes, expected 32",
            value.len()
        )));
    }
    Ok(U256::from_be_slice(value))
}

/// The tree changes of one version, held in memory until committed.
#[derive(Clone, Debug, Default)]
pub struct TreeDelta {
    pub version: Version,
    pub root: B256,
    pub nodes: BTreeMap<NodeKey, Node>,
    pub values: BTreeMap<KeyHash, Option<OwnedValue>>,
}

impl TreeDelta {
    pub(crate) fn from_batch(
        version: Version,
        root: RootHash,
        batch: jmt::storage::TreeUpdateBatch,
    ) -> Self {
        let node_batch = batch.node_batch;
        Self {
            version,
            root: B256::from(root.0),
            nodes: node_batch.nodes().clone(),
            values: node_batch
                .values()
                .iter()
                .map(|((_, key), value)| (*key, value.clone()))
                .collect(),
        }
    }

    /// Number of tree nodes this version writes.
    pub fn nodes_written(&self) -> usize {
        self.nodes.len()
    }
}

pub(crate) fn node_key_bytes(key: &NodeKey) -> Vec<u8> {
    borsh::to_vec(key).expect("node keys serialise")
}

pub(crate) fn node_bytes(node: &Node) -> Vec<u8> {
    borsh::to_vec(node).expect("nodes serialise")
}

pub(crate) fn tagged(value: &Option<OwnedValue>) -> Vec<u8> {
    match value {
        Some(value) => {
            let mut out = Vec::with_capacity(value.len() + 1);
            out.push(PRESENT);
            out.extend_from_slice(value);
            out
        }
        None => vec![ABSENT],
    }
}

fn untag(bytes: &[u8]) -> Result<Option<OwnedValue>, StorageError> {
    match bytes.first() {
        Some(&PRESENT) => Ok(Some(bytes[1..].to_vec())),
        Some(&ABSENT) => Ok(None),
        _ => Err(StorageError::Corrupt("untagged state value".into())),
    }
}

/// Reads the value of `key` as of `version` from the committed columns.
pub(crate) fn read_committed(
    kv: &dyn Kv,
    key: &KeyHash,
    version: Version,
) -> Result<Option<OwnedValue>, StorageError> {
    if let Some(latest) = kv.get(Column::Latest, &key.0)? {
        if latest.len() < 9 {
            return Err(StorageError::Corrupt("short latest entry".into()));
        }
        let at = u64::from_be_bytes(latest[..8].try_into().expect("8 bytes"));
        if at <= version {
            return untag(&latest[8..]);
        }
    } else {
        return Ok(None);
    }
    let upper = [&key.0[..], &version.to_be_bytes()].concat();
    match kv.seek_back(Column::Values, &key.0, &upper)? {
        Some((_, value)) => untag(&value),
        None => Ok(None),
    }
}

/// A tree reader over committed nodes plus uncommitted versions (newest first).
pub(crate) struct LayeredTree<'a> {
    pub kv: &'a dyn Kv,
    pub layers: Vec<&'a TreeDelta>,
}

impl TreeReader for LayeredTree<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        for layer in &self.layers {
            if let Some(node) = layer.nodes.get(node_key) {
                return Ok(Some(node.clone()));
            }
        }
        match self.kv.get(Column::Nodes, &node_key_bytes(node_key))? {
            Some(bytes) => Ok(Some(borsh::from_slice(&bytes).map_err(|err| {
                StorageError::Corrupt(format!("undecodable tree node: {err}"))
            })?)),
            None => Ok(None),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        for layer in &self.layers {
            if layer.version <= max_version
                && let Some(value) = layer.values.get(&key_hash)
            {
                return Ok(value.clone());
            }
        }
        let committed = self
            .layers
            .last()
            .map(|oldest| oldest.version.saturating_sub(1))
            .unwrap_or(max_version)
            .min(max_version);
        Ok(read_committed(self.kv, &key_hash, committed)?)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("tree restoration is not supported by Entente's store")
    }
}

/// A proof that a state key has a value (or none) in the tree with some root.
///
/// Serialised as JSON with hex strings: `preimage` (the key preimage above), `value`
/// (null when absent) and `proof` (borsh encoding of jmt's `SparseMerkleProof<Sha256>`:
/// the leaf found on the path, if any, and the sibling hashes from the leaf up).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateProof {
    #[serde(with = "hex_bytes")]
    pub preimage: Vec<u8>,
    #[serde(with = "hex_opt")]
    pub value: Option<Vec<u8>>,
    #[serde(with = "hex_bytes")]
    pub proof: Vec<u8>,
}

/// Checks `proof` against `root` with nothing but the proof itself.
pub fn verify_state_proof(root: B256, proof: &StateProof) -> Result<(), StorageError> {
    let decoded: jmt::proof::SparseMerkleProof<Sha256> = borsh::from_slice(&proof.proof)
        .map_err(|err| StorageError::Commitment(format!("undecodable proof: {err}")))?;
    decoded
        .verify(
            RootHash(root.0),
            key_hash(&proof.preimage),
            proof.value.as_ref(),
        )
        .map_err(|err| StorageError::Commitment(err.to_string()))
}

pub(crate) fn prove(
    kv: &dyn Kv,
    version: Version,
    preimage: Vec<u8>,
) -> Result<StateProof, StorageError> {
    let reader = LayeredTree {
        kv,
        layers: Vec::new(),
    };
    let tree = jmt::JellyfishMerkleTree::<_, Sha256>::new(&reader);
    let (value, proof) = tree
        .get_with_proof(key_hash(&preimage), version)
        .map_err(|err| StorageError::Commitment(err.to_string()))?;
    Ok(StateProof {
        preimage,
        value,
        proof: borsh::to_vec(&proof).expect("proofs serialise"),
    })
}

mod hex_bytes {
    use serde::{Deserialize as _, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(bytes)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        hex::decode(text.trim_start_matches("0x")).map_err(serde::de::Error::custom)
    }
}

mod hex_opt {
    use serde::{Deserialize as _, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => s.serialize_str(&format!("0x{}", hex::encode(bytes))),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => hex::decode(text.trim_start_matches("0x"))
                .map(Some)
                .map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

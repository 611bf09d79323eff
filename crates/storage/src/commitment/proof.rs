//! State proofs: the format `eth_getProof` returns (proof format `"entente-jmt-v1"`, a
//! Jellyfish Merkle proof, not Ethereum's Merkle-Patricia one), how the store produces
//! one, and how anyone verifies one with nothing but a trusted state root.
//!
//! # Format
//! JSON, every byte string `0x`-prefixed hex:
//! ```json
//! {
//!   "preimage": "0x01…",
//!   "value": "0x…",
//!   "proof": {
//!     "leaf": { "keyHash": "0x…", "valueHash": "0x…" },
//!     "siblings": ["0x…", "0x…"]
//!   }
//! }
//! ```
//! - `preimage`: the state key's preimage (`0x01 ‖ address` or `0x02 ‖ address ‖ slot`,
//!   see [`crate::commitment`]);
//! - `value`: the key's value in the tree (account or storage encoding), `null` when the
//!   key is absent (no account, or a zero slot);
//! - `proof.leaf`: the leaf the key's path ends at, or `null` when it ends at an empty
//!   subtree. For a present key it is the key's own leaf; for an absent key it may be
//!   another key's leaf, the only key under the path's subtree;
//! - `proof.siblings`: the sibling hashes along the key's path in the binary tree, from
//!   the leaf's level up to the root (at most 256).
//!
//! # Verification
//! With `H` = SHA-256 and `‖` concatenation:
//! 1. `key = H(preimage)`; when `value` is present, `leaf` must be present with
//!    `leaf.keyHash = key` and `leaf.valueHash = H(value)`; when `value` is null, either
//!    `leaf` is null, or `leaf.keyHash ≠ key` and the two hashes share at least as many
//!    leading bits as there are siblings.
//! 2. Start from `h = H("JMT::LeafNode" ‖ leaf.keyHash ‖ leaf.valueHash)`, or from the
//!    empty-subtree hash, the 32 ASCII bytes `SPARSE_MERKLE_PLACEHOLDER_HASH__`, when
//!    `leaf` is null.
//! 3. With `n` siblings, for `i` in `0..n`: let `b` be bit `n-1-i` of `key` (bit 0 is the
//!    most significant bit of the first byte); `h = H("JMT::IntrnalNode" ‖ s_i ‖ h)` if `b`
//!    is 1, else `H("JMT::IntrnalNode" ‖ h ‖ s_i)`.
//! 4. The proof holds when `h` equals the state root (a block header's `stateRoot`).
//!
//! [`verify_state_proof`] implements exactly this; it is tested to agree with jmt's own
//! verifier.

use std::panic::{AssertUnwindSafe, catch_unwind};

use alloy_primitives::{B256, Bytes};
use borsh::BorshDeserialize;
use jmt::{JellyfishMerkleTree, Version, proof::SparseMerkleProof};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::{LayeredTree, key_hash};
use crate::{ProofError, StorageError, kv::Kv};

/// Name of this proof format, reported next to proofs by the RPC.
pub const PROOF_FORMAT: &str = "entente-jmt-v1";

const LEAF_DOMAIN: &[u8] = b"JMT::LeafNode";
const INTERNAL_DOMAIN: &[u8] = b"JMT::IntrnalNode";
const EMPTY_SUBTREE: [u8; 32] = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";
const SIBLINGS_MAX: usize = 256;

/// A proof that a state key has a value, or none, in the state with some root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateProof {
    pub preimage: Bytes,
    pub value: Option<Bytes>,
    pub proof: SparseProof,
}

/// The Merkle path of a [`StateProof`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SparseProof {
    pub leaf: Option<ProofLeaf>,
    /// Sibling hashes from the leaf's level up to the root.
    pub siblings: Vec<B256>,
}

/// A leaf of the tree: a key hash and the hash of its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofLeaf {
    pub key_hash: B256,
    pub value_hash: B256,
}

fn hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

fn bit(key: &[u8; 32], index: usize) -> bool {
    key[index / 8] >> (7 - index % 8) & 1 == 1
}

fn common_prefix_bits(a: &[u8; 32], b: &[u8; 32]) -> usize {
    (0..256).take_while(|&i| bit(a, i) == bit(b, i)).count()
}

/// Checks `proof` against a trusted `root`, needing nothing else (see the module docs).
pub fn verify_state_proof(root: B256, proof: &StateProof) -> Result<(), ProofError> {
    let siblings = &proof.proof.siblings;
    if siblings.len() > SIBLINGS_MAX {
        return Err(ProofError::TooManySiblings {
            count: siblings.len(),
        });
    }
    let key = key_hash(&proof.preimage).0;
    let leaf = proof.proof.leaf;
    match (&proof.value, &leaf) {
        (Some(value), Some(leaf)) => {
            if leaf.key_hash != key {
                return Err(ProofError::KeyMismatch {
                    key: B256::from(key),
                    leaf: leaf.key_hash,
                });
            }
            let value_hash = B256::from(hash(&[value]));
            if leaf.value_hash != value_hash {
                return Err(ProofError::ValueMismatch {
                    value: value_hash,
                    leaf: leaf.value_hash,
                });
            }
        }
        (Some(_), None) => return Err(ProofError::MissingLeaf),
        (None, Some(leaf)) => {
            if leaf.key_hash == key {
                return Err(ProofError::KeyPresent);
            }
            if common_prefix_bits(&key, &leaf.key_hash.0) < siblings.len() {
                return Err(ProofError::LeafOffPath);
            }
        }
        (None, None) => {}
    }
    let mut current = match leaf {
        Some(leaf) => hash(&[
            LEAF_DOMAIN,
            leaf.key_hash.as_slice(),
            leaf.value_hash.as_slice(),
        ]),
        None => EMPTY_SUBTREE,
    };
    for (i, sibling) in siblings.iter().enumerate() {
        current = if bit(&key, siblings.len() - 1 - i) {
            hash(&[INTERNAL_DOMAIN, sibling.as_slice(), &current])
        } else {
            hash(&[INTERNAL_DOMAIN, &current, sibling.as_slice()])
        };
    }
    if current != root.0 {
        return Err(ProofError::RootMismatch {
            expected: root,
            computed: B256::from(current),
        });
    }
    Ok(())
}

/// The committed tree's proof for `preimage` at `version`. The caller checks that the
/// version is committed.
pub(crate) fn prove(
    kv: &dyn Kv,
    version: Version,
    preimage: &[u8],
) -> Result<StateProof, StorageError> {
    let (value, proof) = jmt_proof(kv, version, preimage)?;
    Ok(StateProof {
        preimage: Bytes::copy_from_slice(preimage),
        value: value.map(Bytes::from),
        proof: from_jmt(&proof)?,
    })
}

/// jmt's own proof. jmt panics (instead of failing) when a sibling node cannot be read;
/// that panic is turned into an error here so one bad read cannot take down the caller.
pub(crate) fn jmt_proof(
    kv: &dyn Kv,
    version: Version,
    preimage: &[u8],
) -> Result<(Option<Vec<u8>>, SparseMerkleProof<Sha256>), StorageError> {
    let reader = LayeredTree {
        kv,
        recent: &[],
        committed: Some(version),
        layers: Vec::new(),
    };
    let tree = JellyfishMerkleTree::<_, Sha256>::new(&reader);
    let key = key_hash(preimage);
    match catch_unwind(AssertUnwindSafe(|| tree.get_with_proof(key, version))) {
        Ok(Ok(found)) => Ok(found),
        Ok(Err(err)) => Err(StorageError::commitment("prove", format!("{err:#}"))),
        Err(_) => Err(StorageError::commitment(
            "prove",
            "jmt panicked reading a sibling node",
        )),
    }
}

/// The borsh layout of jmt's `SparseMerkleProof`, whose fields jmt keeps private.
/// jmt is pinned to an exact version; the tests check the conversion on real proofs.
#[derive(BorshDeserialize)]
struct JmtProof {
    leaf: Option<JmtLeaf>,
    siblings: Vec<JmtNode>,
}

#[derive(BorshDeserialize)]
struct JmtLeaf {
    key_hash: [u8; 32],
    value_hash: [u8; 32],
}

#[derive(BorshDeserialize)]
enum JmtNode {
    Null,
    Internal { left: [u8; 32], right: [u8; 32] },
    Leaf(JmtLeaf),
}

impl JmtNode {
    fn hash(&self) -> B256 {
        B256::from(match self {
            JmtNode::Null => EMPTY_SUBTREE,
            JmtNode::Internal { left, right } => hash(&[INTERNAL_DOMAIN, left, right]),
            JmtNode::Leaf(leaf) => hash(&[LEAF_DOMAIN, &leaf.key_hash, &leaf.value_hash]),
        })
    }
}

fn from_jmt(proof: &SparseMerkleProof<Sha256>) -> Result<SparseProof, StorageError> {
    let bytes =
        borsh::to_vec(proof).map_err(|err| StorageError::commitment("encode proof", err))?;
    let proof = JmtProof::try_from_slice(&bytes)
        .map_err(|err| StorageError::commitment("decode proof", err))?;
    Ok(SparseProof {
        leaf: proof.leaf.map(|leaf| ProofLeaf {
            key_hash: B256::from(leaf.key_hash),
            value_hash: B256::from(leaf.value_hash),
        }),
        siblings: proof.siblings.iter().map(JmtNode::hash).collect(),
    })
}

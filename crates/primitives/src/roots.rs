//! Binary Merkle commitments over a block's transactions and receipts.
//!
//! Both roots use commonware's binary Merkle tree over SHA-256: leaves are position
//! hashed and the root binds the leaf count, so a proof cannot be replayed at another
//! position or in a tree of another size. An empty list has the root [`EMPTY_ROOT`].

use alloy_primitives::B256;
use commonware_codec::{Decode as _, Encode as _};
use commonware_cryptography::sha256::Digest;
use commonware_storage::bmt;
use serde::{Deserialize, Serialize};

use crate::{Error, Sha256};

/// Root of an empty list: 32 zero bytes.
pub const EMPTY_ROOT: B256 = B256::ZERO;

/// The leaf digest for a 32-byte item (a transaction hash or a receipt leaf).
pub fn leaf_digest(item: &B256) -> Digest {
    Digest(item.0)
}

fn tree(leaves: &[B256]) -> Option<bmt::Tree<Digest>> {
    if leaves.is_empty() {
        return None;
    }
    let mut builder = bmt::Builder::<Sha256>::new(leaves.len());
    for leaf in leaves {
        builder.add(&leaf_digest(leaf));
    }
    Some(builder.build())
}

/// The Merkle root over `leaves`, in order.
pub fn merkle_root(leaves: &[B256]) -> B256 {
    match tree(leaves) {
        Some(tree) => B256::from(tree.root().0),
        None => EMPTY_ROOT,
    }
}

/// An inclusion proof for one leaf, in a self-describing, serialisable form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerkleProof {
    /// Position of the leaf in the list.
    pub index: u32,
    /// Commonware's encoding of the proof (leaf count and sibling digests), hex in JSON.
    #[serde(with = "hex_bytes")]
    pub proof: Vec<u8>,
}

/// Builds the proof that `leaves[index]` is in the tree with root `merkle_root(leaves)`.
pub fn merkle_proof(leaves: &[B256], index: u32) -> Result<MerkleProof, Error> {
    let tree = tree(leaves).ok_or(Error::ProofPosition {
        position: index,
        leaves: 0,
    })?;
    let proof = tree.proof(index).map_err(|_| Error::ProofPosition {
        position: index,
        leaves: leaves.len() as u32,
    })?;
    Ok(MerkleProof {
        index,
        proof: proof.encode().to_vec(),
    })
}

/// Checks that `leaf` sits at `proof.index` in a tree with `root`.
pub fn verify_merkle_proof(leaf: &B256, proof: &MerkleProof, root: &B256) -> Result<(), Error> {
    let decoded =
        bmt::Proof::<Digest>::decode_cfg(bytes::Bytes::copy_from_slice(&proof.proof), &1usize)
            .map_err(|err| Error::ProofMismatch(format!("undecodable proof: {err}")))?;
    decoded
        .verify_element_inclusion::<Sha256>(&leaf_digest(leaf), proof.index, &Digest(root.0))
        .map_err(|err| Error::ProofMismatch(err.to_string()))
}

mod hex_bytes {
    use serde::{Deserialize as _, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", alloy_primitives::hex::encode(bytes)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        alloy_primitives::hex::decode(s.trim_start_matches("0x")).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: u8) -> Vec<B256> {
        (0..n).map(B256::repeat_byte).collect()
    }

    #[test]
    fn empty_list_has_the_empty_root() {
        assert_eq!(merkle_root(&[]), EMPTY_ROOT);
        assert!(merkle_proof(&[], 0).is_err());
    }

    #[test]
    fn proofs_verify_for_every_position() {
        for n in 1..=9 {
            let items = leaves(n);
            let root = merkle_root(&items);
            for (i, item) in items.iter().enumerate() {
                let proof = merkle_proof(&items, i as u32).unwrap();
                verify_merkle_proof(item, &proof, &root).unwrap();
            }
        }
    }

    #[test]
    fn tampering_is_detected() {
        let items = leaves(5);
        let root = merkle_root(&items);
        let proof = merkle_proof(&items, 2).unwrap();
        assert!(verify_merkle_proof(&items[3], &proof, &root).is_err());
        let mut moved = proof.clone();
        moved.index = 3;
        assert!(verify_merkle_proof(&items[2], &moved, &root).is_err());
        let mut flipped = proof.clone();
        let last = flipped.proof.len() - 1;
        flipped.proof[last] ^= 1;
        assert!(verify_merkle_proof(&items[2], &flipped, &root).is_err());
        assert!(verify_merkle_proof(&items[2], &proof, &B256::repeat_byte(0xee)).is_err());
    }

    #[test]
    fn order_matters() {
        let mut items = leaves(4);
        let root = merkle_root(&items);
        items.swap(0, 1);
        assert_ne!(merkle_root(&items), root);
    }
}

//! Entente's core data types: blocks and headers (the consensus payload), signed
//! Ethereum transactions with their recovered sender, execution receipts, and the
//! binary Merkle commitments (transactions root, receipts root) a header carries.
//!
//! Nothing here performs I/O. Every type that crosses the wire or the disk has one
//! canonical encoding, and decoding rejects anything else.

mod block;
mod error;
mod receipt;
mod roots;
mod signer;
mod tx;

pub use block::{Block, BlockCodec, BlockDigest, Header, b256_to_digest, digest_to_b256};
pub use error::Error;
pub use receipt::{Receipt, ReceiptLog};
pub use roots::{
    EMPTY_ROOT, MerkleProof, leaf_digest, merkle_proof, merkle_root, verify_merkle_proof,
};
pub use signer::{LocalSigner, SignerError};
pub use tx::{RecoveredTx, TxError};

pub use alloy_primitives::{Address, B256, Bytes, U256};

/// The hasher used for every Entente commitment that is not Ethereum-defined
/// (block digests, transactions and receipts roots).
pub type Sha256 = commonware_cryptography::Sha256;

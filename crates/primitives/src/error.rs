use thiserror::Error;

/// Errors raised while decoding or checking primitive types.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    #[error("merkle proof does not match the root: {0}")]
    ProofMismatch(String),
    #[error("merkle proof position {position} is outside a tree of {leaves} leaves")]
    ProofPosition { position: u32, leaves: u32 },
    #[error("malformed receipt encoding: {0}")]
    ReceiptDecode(String),
}

use thiserror::Error;

/// Errors from the storage layer. `Backend` and `Corrupt` are fatal for a node: the
/// process should stop rather than continue on a store it cannot trust.
#[derive(Debug, Error)]
pub enum StorageError {
    #[error("storage backend failure: {0}")]
    Backend(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("block {height} cannot be committed on top of head {head:?}")]
    NotNext { height: u64, head: Option<u64> },
    #[error("block at height {height} conflicts with the committed block {committed}")]
    Conflict { height: u64, committed: String },
    #[error("state version {version} is not available (earliest {earliest}, latest {latest})")]
    VersionUnavailable {
        version: u64,
        earliest: u64,
        latest: u64,
    },
    #[error("query matches more than {max} results; narrow it")]
    TooManyResults { max: usize },
    #[error("state commitment failure: {0}")]
    Commitment(String),
}

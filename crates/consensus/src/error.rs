use entente_execution::TxRejection;
use entente_storage::StorageError;
use thiserror::Error;

/// Why a block was refused, or could not be built or committed.
///
/// Every variant but [`ChainError::Storage`] and [`ChainError::Diverged`] describes a
/// bad block from a peer: the block is rejected and the node carries on. Those two are
/// fatal: the node cannot trust its own state any more.
#[derive(Debug, Error)]
pub enum ChainError {
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("parent {parent} of block at height {height} is unknown")]
    UnknownParent { height: u64, parent: String },
    #[error("timestamp {got} ms must exceed the parent's {parent} ms")]
    TimestampNotIncreasing { parent: u64, got: u64 },
    #[error("timestamp {got} ms is more than {skew_ms} ms ahead of local time {now} ms")]
    TimestampInFuture { now: u64, got: u64, skew_ms: u64 },
    #[error("header field {field} is {got}, expected {expected}")]
    HeaderField {
        field: &'static str,
        expected: String,
        got: String,
    },
    #[error("block carries {count} transactions ({bytes} bytes), over the limits")]
    TooLarge { count: usize, bytes: usize },
    #[error("transaction {index} is undecodable: {reason}")]
    BadTransaction { index: usize, reason: String },
    #[error("transaction {index} is invalid in this block: {rejection}")]
    InvalidTransaction {
        index: usize,
        rejection: TxRejection,
    },
    #[error("{field} mismatch: header says {header}, execution gives {computed}")]
    RootMismatch {
        field: &'static str,
        header: String,
        computed: String,
    },
    #[error("block building abandoned: consensus no longer wants the proposal")]
    Abandoned,
    #[error("local failure while executing: {reason}")]
    Local { reason: String },
    #[error("block at height {height} was finalised but executes differently here: {reason}")]
    Diverged { height: u64, reason: String },
}

impl ChainError {
    /// True for failures of this node rather than of the block it was handed.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Self::Storage(_) | Self::Local { .. } | Self::Diverged { .. }
        )
    }
}

use alloy_primitives::B256;
use thiserror::Error;

/// Errors from the storage layer.
///
/// [`StorageError::is_fatal`] tells a node whether to stop: `Backend` and `Corrupt` mean
/// the store can no longer be trusted; the others reject one request or one commit.
#[derive(Debug, Error)]
pub enum StorageError {
    /// The engine failed (I/O error, or a database fjall poisoned after a failed fsync).
    #[error("storage backend failure during {op}: {reason}")]
    Backend { op: &'static str, reason: String },
    /// Bytes read from disk do not decode, or the store's own invariants do not hold.
    #[error("stored data is corrupt ({what}): {reason}")]
    Corrupt { what: &'static str, reason: String },
    /// The store was written by an incompatible version of this code.
    #[error("store schema version {found}, this node reads version {expected}")]
    Schema { expected: u32, found: u32 },
    /// Blocks are committed in height order without gaps, genesis (height 0) first.
    #[error("block {height} cannot be committed on top of head {head:?}")]
    NotNext { height: u64, head: Option<u64> },
    /// A different block is already committed at that height.
    #[error("block {hash} conflicts with block {committed} committed at height {height}")]
    Conflict {
        height: u64,
        hash: B256,
        committed: B256,
    },
    /// The block does not extend the committed head.
    #[error("block {height} has parent {parent}, but the committed head is {head}")]
    WrongParent {
        height: u64,
        parent: B256,
        head: B256,
    },
    /// The state tree changes do not belong to the block being committed.
    #[error("block {height}: tree delta of version {version}, root {root} (header: {header_root})")]
    DeltaMismatch {
        height: u64,
        version: u64,
        root: B256,
        header_root: B256,
    },
    /// The commit's parts disagree with each other (a caller bug).
    #[error("block {height}: {what} ({got}) does not match {expected}")]
    Inconsistent {
        height: u64,
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// A state version above the committed head was asked for (nothing is pruned: every
    /// version from `earliest` to `latest` is readable).
    #[error("state version {version} is not available (earliest {earliest}, latest {latest:?})")]
    VersionUnavailable {
        version: u64,
        earliest: u64,
        latest: Option<u64>,
    },
    /// A speculative state's layers do not continue its committed version one by one.
    #[error("speculative state layer of version {found} where version {expected} belongs")]
    BadStateBase { expected: u64, found: u64 },
    /// A speculative state descends from a block other than the one committed there.
    #[error("speculative state at height {height} is not on the committed chain")]
    ForkedBase { height: u64 },
    /// The request needs a committed block that the store does not have.
    #[error("block {height} is not committed")]
    UnknownBlock { height: u64 },
    /// A query would return more than the caller's bound.
    #[error("query matches more than {max} results; narrow it")]
    TooManyResults { max: usize },
    /// The Jellyfish Merkle tree failed (missing node, inconsistent tree).
    #[error("state commitment failure during {op}: {reason}")]
    Commitment { op: &'static str, reason: String },
}

impl StorageError {
    /// True when the node should stop rather than continue on this store.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            StorageError::Backend { .. }
                | StorageError::Corrupt { .. }
                | StorageError::Schema { .. }
                | StorageError::Commitment { .. }
        )
    }

    pub(crate) fn corrupt(what: &'static str, reason: impl ToString) -> Self {
        StorageError::Corrupt {
            what,
            reason: reason.to_string(),
        }
    }

    pub(crate) fn commitment(op: &'static str, reason: impl ToString) -> Self {
        StorageError::Commitment {
            op,
            reason: reason.to_string(),
        }
    }
}

/// Why a state proof does not verify. Returned by [`crate::verify_state_proof`], which a
/// client runs with nothing but a trusted state root.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ProofError {
    #[error("proof has {count} siblings, at most 256 are possible")]
    TooManySiblings { count: usize },
    #[error("proof claims a value but proves no leaf")]
    MissingLeaf,
    #[error("proof's leaf is for key hash {leaf}, the key hashes to {key}")]
    KeyMismatch { key: B256, leaf: B256 },
    #[error("proof's leaf commits to value hash {leaf}, the value hashes to {value}")]
    ValueMismatch { value: B256, leaf: B256 },
    #[error("absence proof shows the key itself is present")]
    KeyPresent,
    #[error("absence proof's leaf does not share the key's path")]
    LeafOffPath,
    #[error("proof leads to root {computed}, expected {expected}")]
    RootMismatch { expected: B256, computed: B256 },
}

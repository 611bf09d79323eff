//! Embedded, crash-safe storage for an Entente node.
//!
//! - [`state`]: the state model (accounts, slots, code), block diffs and read views.
//! - [`kv`]: the key-value engine abstraction with an on-disk (fjall) and an in-memory
//!   implementation; one test suite runs against both.
//! - [`commitment`]: the authenticated state (a Jellyfish Merkle tree over hashed state
//!   keys): incremental roots and proofs.
//! - [`store`]: the node's store: blocks, receipts, indexes, state and finalisation
//!   certificates, all written for a block in one atomic batch.

pub mod commitment;
mod error;
pub mod kv;
pub mod state;
pub mod store;

pub use commitment::{StateProof, TreeDelta, verify_state_proof};
pub use error::StorageError;
pub use kv::{Column, FjallKv, Kv, MemoryKv, Op};
pub use state::{Account, EMPTY_CODE_HASH, Overlay, StateDiff, StateView};
pub use store::{
    BlockCommit, ChainHead, CommitOutcome, LogEntry, LogFilter, PendingState, StateAt, StateBase,
    Store, TxLocation,
};

//! Embedded, crash-safe storage for an Entente node: blocks, receipts, indexes, logs,
//! finalisation certificates and the authenticated, versioned state, with everything a
//! finalised block changes written in one atomic, durable batch.
//!
//! - [`state`]: the state model shared with execution (accounts, slots, code, block
//!   diffs, read views).
//! - [`kv`]: the key-value engine interface, with an on-disk ([`FjallKv`]) and an
//!   in-memory ([`MemoryKv`]) engine; one test suite runs against both.
//! - [`commitment`]: the state commitment, a Jellyfish Merkle tree over hashed state keys
//!   (incremental roots, versioned reads) and its proofs ([`commitment::proof`]: the
//!   documented `eth_getProof` format and a standalone verifier).
//! - [`store`]: the node's [`Store`]: commits, block and receipt readers, log queries,
//!   state views at committed versions and over speculative (executed, uncommitted)
//!   blocks.

pub mod commitment;
mod error;
pub mod kv;
pub mod state;
pub mod store;

pub use commitment::{
    NODE_GROUP_NIBBLES, TreeDelta,
    proof::{PROOF_FORMAT, ProofLeaf, SparseProof, StateProof, verify_state_proof},
};
pub use error::{ProofError, StorageError};
pub use kv::{
    Batch, Column, Direction, EngineLimits, EngineMemory, Entry, FjallKv, KeyRange, Kv, KvIter,
    MemoryKv, Op,
};
pub use state::{Account, EMPTY_CODE_HASH, Overlay, StateDiff, StateView};
pub use store::{
    BlockCommit, ChainHead, CommitOutcome, IN_MEMORY_CODEC, LogEntry, LogFilter, PendingState,
    StateAt, StateBase, Store, TxLocation,
};

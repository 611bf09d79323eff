//! The transaction pool: every transaction this node accepted but has not yet seen
//! finalised. It is bounded in count and bytes (overall and per sender), keeps each
//! sender's transactions in nonce order, and hands the block proposer executable runs
//! interleaved fairly across senders. It never reads chain state: callers pass the
//! account nonces they know, which keeps the pool free of I/O and cheap to lock.
//!
//! One [`TxPool`] is shared (cloning is cheap) by the JSON-RPC handlers, the gossip
//! receiver and the proposer; every operation holds its lock for O(log n) work.
//!
//! - [`limits`]: [`PoolLimits`], the bounds and pricing knobs (local tuning).
//! - [`error`]: [`PoolError`], why a transaction was refused.
//! - [`pool`]: [`TxPool`], the shared handle and its API.
//! - `state`: the data structures behind the lock (per-sender queues, eviction order).
//! - `recent`: the committed nonces of recently committed senders.
//! - `select`: how [`TxPool::best`] merges senders into a proposal.
//! - [`metrics`]: [`PoolStats`], counters of what the pool did.
//! - [`seen`]: [`SeenCache`], a bounded memory of recently seen hashes for gossip.

pub mod error;
pub mod limits;
pub mod metrics;
pub mod pool;
mod recent;
pub mod seen;
mod select;
mod state;
#[cfg(test)]
mod tests;

pub use error::PoolError;
pub use limits::PoolLimits;
pub use metrics::{PoolStats, Rejections};
pub use pool::{Inserted, TxPool};
pub use seen::SeenCache;

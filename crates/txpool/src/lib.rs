//! The transaction pool: every transaction a node has accepted but not yet seen
//! finalised, bounded in count and bytes (overall and per sender), queued per sender in
//! nonce order, and handed to the proposer fairly across senders.
//!
//! - [`pool`]: [`TxPool`] and its limits and errors.
//! - [`seen`]: [`SeenCache`], a bounded memory of recently seen hashes for gossip.

mod pool;
mod seen;

pub use pool::{Inserted, PoolError, PoolLimits, PoolStats, TxPool};
pub use seen::SeenCache;

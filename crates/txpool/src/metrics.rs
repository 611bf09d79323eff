//! Counters of what the pool did, kept as plain atomics so that the hot path never takes
//! a lock for them and an exporter (Prometheus or the REST status page) can read a
//! snapshot at any time. Gauges (size, bytes, senders) come from [`TxPool`] directly.
//!
//! [`TxPool`]: crate::TxPool

use std::sync::atomic::{AtomicU64, Ordering};

use crate::PoolError;

/// A snapshot of the pool's counters since it was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Transactions accepted as new (not replacing another).
    pub inserted: u64,
    /// Transactions accepted in place of a pooled one with the same sender and nonce.
    pub replaced: u64,
    /// Transactions dropped to make room for a higher-ranked newcomer.
    pub evicted: u64,
    /// Transactions dropped because their nonce was used by a committed block.
    pub pruned: u64,
    /// Transactions dropped on request ([`TxPool::remove`](crate::TxPool::remove)).
    pub removed: u64,
    /// Transactions refused, by reason.
    pub rejected: Rejections,
}

/// Refusals by reason; one field per [`PoolError`] variant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rejections {
    pub already_known: u64,
    pub nonce_too_low: u64,
    pub nonce_gap_too_large: u64,
    pub replacement_underpriced: u64,
    pub sender_full: u64,
    pub pool_full: u64,
}

impl Rejections {
    /// All refusals, whatever the reason.
    pub fn total(&self) -> u64 {
        self.already_known
            + self.nonce_too_low
            + self.nonce_gap_too_large
            + self.replacement_underpriced
            + self.sender_full
            + self.pool_full
    }
}

/// The live counters behind [`PoolStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    inserted: AtomicU64,
    replaced: AtomicU64,
    evicted: AtomicU64,
    pruned: AtomicU64,
    removed: AtomicU64,
    already_known: AtomicU64,
    nonce_too_low: AtomicU64,
    nonce_gap_too_large: AtomicU64,
    replacement_underpriced: AtomicU64,
    sender_full: AtomicU64,
    pool_full: AtomicU64,
}

fn add(counter: &AtomicU64, n: usize) {
    if n > 0 {
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }
}

impl Counters {
    pub(crate) fn inserted(&self) {
        add(&self.inserted, 1);
    }

    pub(crate) fn replaced(&self) {
        add(&self.replaced, 1);
    }

    pub(crate) fn evicted(&self, n: usize) {
        add(&self.evicted, n);
    }

    pub(crate) fn pruned(&self, n: usize) {
        add(&self.pruned, n);
    }

    pub(crate) fn removed(&self) {
        add(&self.removed, 1);
    }

    pub(crate) fn rejected(&self, err: &PoolError) {
        let counter = match err {
            PoolError::AlreadyKnown => &self.already_known,
            PoolError::NonceTooLow { .. } => &self.nonce_too_low,
            PoolError::NonceGapTooLarge { .. } => &self.nonce_gap_too_large,
            PoolError::ReplacementUnderpriced { .. } => &self.replacement_underpriced,
            PoolError::SenderFull { .. } => &self.sender_full,
            PoolError::PoolFull => &self.pool_full,
        };
        add(counter, 1);
    }

    pub(crate) fn snapshot(&self) -> PoolStats {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        PoolStats {
            inserted: get(&self.inserted),
            replaced: get(&self.replaced),
            evicted: get(&self.evicted),
            pruned: get(&self.pruned),
            removed: get(&self.removed),
            rejected: Rejections {
                already_known: get(&self.already_known),
                nonce_too_low: get(&self.nonce_too_low),
                nonce_gap_too_large: get(&self.nonce_gap_too_large),
                replacement_underpriced: get(&self.replacement_underpriced),
                sender_full: get(&self.sender_full),
                pool_full: get(&self.pool_full),
            },
        }
    }
}

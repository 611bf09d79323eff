//! [`TxPool`]: the shared handle, its locking and notifications.
//!
//! All state sits behind one `parking_lot::RwLock`. Writers (insert, commit, remove) do
//! O(log n) work under it; readers (get, contains, pending nonce) share it. The parts of
//! a call that can be slow — computing a tip, allocating, asking the caller's `nonce_of`
//! (which may read storage), notifying waiters — happen outside it.

use std::sync::Arc;

use alloy_primitives::{Address, B256};
use entente_primitives::RecoveredTx;
use parking_lot::RwLock;
use tokio::sync::Notify;
use tracing::trace;

use crate::{
    PoolError, PoolLimits, PoolStats, metrics::Counters, select::select, state::PoolState,
};

/// Most commit updates applied per lock acquisition, so a large block's commit does not
/// stall inserts for its whole length.
const COMMIT_UPDATES_PER_LOCK: usize = 256;

/// What an accepted insert did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// The transaction is new: no other pooled one has its sender and nonce.
    New,
    /// The transaction took the place of the pooled one with this hash.
    Replaced(B256),
}

/// The pool of pending transactions. Cloning is cheap and shares the pool.
#[derive(Clone, Debug)]
pub struct TxPool {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: RwLock<PoolState>,
    limits: PoolLimits,
    counters: Counters,
    arrivals: Arc<Notify>,
}

impl TxPool {
    pub fn new(limits: PoolLimits) -> Self {
        Self {
            shared: Arc::new(Shared {
                state: RwLock::new(PoolState::new(&limits)),
                limits,
                counters: Counters::default(),
                arrivals: Arc::new(Notify::new()),
            }),
        }
    }

    pub fn limits(&self) -> &PoolLimits {
        &self.shared.limits
    }

    /// Adds `tx`. `account_nonce` is its sender's nonce in the state the caller checked
    /// the transaction against (normally the last committed block); if the pool has
    /// already been told a newer one by [`on_committed`](Self::on_committed), the newer
    /// one counts. Transactions of the sender below `account_nonce` are dropped as stale.
    pub fn insert(&self, tx: RecoveredTx, account_nonce: u64) -> Result<Inserted, PoolError> {
        let shared = &*self.shared;
        let tip = tx.effective_tip(shared.limits.base_fee);
        let tx = Arc::new(tx);
        let result =
            shared
                .state
                .write()
                .admit(tx, tip, account_nonce, &shared.limits, &shared.counters);
        match &result {
            Ok(Inserted::New) => shared.counters.inserted(),
            Ok(Inserted::Replaced(_)) => shared.counters.replaced(),
            Err(err) => shared.counters.rejected(err),
        }
        if result.is_ok() {
            shared.arrivals.notify_waiters();
        }
        result
    }

    /// The transactions a proposer should try, in order: for each sender, the contiguous
    /// run of nonces starting at `nonce_of(sender)` (the sender's nonce in the state the
    /// block builds on, which may be ahead of the pool's view); senders interleaved by
    /// tip, then in turns (equal tips alternate), then by arrival. At most
    /// `txs_max` transactions and `bytes_max` raw bytes. Deterministic for the same pool
    /// content and `nonce_of`.
    ///
    /// `nonce_of` is called once per sender, without the pool locked, so it may read
    /// storage. Transactions arriving meanwhile from new senders are left for the next
    /// block.
    pub fn best(
        &self,
        txs_max: usize,
        bytes_max: usize,
        nonce_of: &dyn Fn(&Address) -> u64,
    ) -> Vec<Arc<RecoveredTx>> {
        if txs_max == 0 {
            return Vec::new();
        }
        let senders: Vec<Address> = self.shared.state.read().senders().copied().collect();
        let starts: Vec<(Address, u64)> = senders
            .into_iter()
            .map(|sender| (sender, nonce_of(&sender)))
            .collect();
        select(&self.shared.state.read(), &starts, txs_max, bytes_max)
    }

    /// Tells the pool the new account nonces after a finalised block (the senders whose
    /// nonce changed suffice); drops every transaction below its sender's new nonce.
    pub fn on_committed(&self, updates: impl IntoIterator<Item = (Address, u64)>) {
        let mut updates = updates.into_iter().peekable();
        let mut pruned = 0;
        while updates.peek().is_some() {
            let mut state = self.shared.state.write();
            for (sender, nonce) in updates.by_ref().take(COMMIT_UPDATES_PER_LOCK) {
                pruned += state.commit(&sender, nonce);
            }
        }
        self.shared.counters.pruned(pruned);
        trace!(target: "entente::txpool", pruned, "committed nonces applied");
    }

    /// Drops the transaction with `hash`, if held, and returns it. The sender's later
    /// nonces stay but are no longer ready until the hole is filled again.
    pub fn remove(&self, hash: &B256) -> Option<Arc<RecoveredTx>> {
        let removed = self.shared.state.write().remove(hash);
        if removed.is_some() {
            self.shared.counters.removed();
        }
        removed
    }

    pub fn get(&self, hash: &B256) -> Option<Arc<RecoveredTx>> {
        self.shared.state.read().get(hash).cloned()
    }

    pub fn contains(&self, hash: &B256) -> bool {
        self.shared.state.read().get(hash).is_some()
    }

    /// Number of transactions held.
    pub fn len(&self) -> usize {
        self.shared.state.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Raw bytes of the transactions held.
    pub fn bytes(&self) -> usize {
        self.shared.state.read().bytes()
    }

    /// Number of senders with at least one transaction held.
    pub fn senders(&self) -> usize {
        self.shared.state.read().sender_count()
    }

    /// `account_nonce` advanced over the contiguous nonces the pool holds for `sender`:
    /// the nonce its next transaction should use (`eth_getTransactionCount(_, "pending")`).
    pub fn pending_nonce(&self, sender: &Address, account_nonce: u64) -> u64 {
        let state = self.shared.state.read();
        match state.queue(sender) {
            Some(queue) => queue.next_nonce(account_nonce),
            None => state.floor_nonce(sender, account_nonce),
        }
    }

    /// A handle that wakes its waiters whenever a transaction is accepted, so a proposer
    /// facing an empty pool can wait for work instead of proposing an empty block.
    ///
    /// Wake-ups go to those already waiting (`notify_waiters`); none is stored for
    /// later, so a stale one cannot end a later wait early. To not miss one that lands
    /// between checking the pool and waiting, create and `enable` the `notified()`
    /// future first, then check [`is_empty`](Self::is_empty), then await it.
    pub fn subscribe(&self) -> Arc<Notify> {
        self.shared.arrivals.clone()
    }

    /// A snapshot of the pool's counters.
    pub fn stats(&self) -> PoolStats {
        self.shared.counters.snapshot()
    }

    /// Checks the pool's internal invariants, panicking on a violation; for tests.
    #[cfg(test)]
    pub(crate) fn check(&self) {
        self.shared.state.read().check();
    }
}

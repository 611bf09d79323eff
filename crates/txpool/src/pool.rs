//! The pool proper.
//!
//! Transactions are queued per sender in nonce order (a `BTreeMap` of senders keeps
//! every decision deterministic for the same content). The proposer asks for the
//! executable run of each sender — from the nonce its parent state expects — merged
//! across senders by tip, then arrival.

use std::{
    cmp::Ordering as CmpOrdering,
    collections::{BTreeMap, BinaryHeap, HashMap},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use alloy_primitives::{Address, B256};
use entente_primitives::RecoveredTx;
use parking_lot::Mutex;
use thiserror::Error;
use tokio::sync::Notify;

/// Bounds of the pool.
#[derive(Clone, Debug)]
pub struct PoolLimits {
    pub txs_max: usize,
    pub bytes_max: usize,
    pub per_sender_max: usize,
    /// Furthest a nonce may run ahead of the sender's account nonce.
    pub nonce_gap_max: u64,
    /// Replacing a transaction needs this much more fee cap and tip, in percent.
    pub price_bump_percent: u128,
}

impl Default for PoolLimits {
    fn default() -> Self {
        Self {
            txs_max: 100_000,
            bytes_max: 128 * 1024 * 1024,
            per_sender_max: 5_000,
            nonce_gap_max: 5_000,
            price_bump_percent: 10,
        }
    }
}

/// Why a transaction was not pooled.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PoolError {
    #[error("already known")]
    AlreadyKnown,
    #[error("nonce too low: account nonce {account_nonce}, tx nonce {tx_nonce}")]
    NonceTooLow { account_nonce: u64, tx_nonce: u64 },
    #[error("nonce {tx_nonce} is too far ahead of the next nonce {next} (at most {max_gap})")]
    NonceGapTooLarge {
        next: u64,
        tx_nonce: u64,
        max_gap: u64,
    },
    #[error(
        "replacement needs a {bump}% higher fee cap and tip: offered tip {offered_tip}, existing {existing_tip}"
    )]
    ReplacementUnderpriced {
        existing_tip: u128,
        offered_tip: u128,
        bump: u128,
    },
    #[error("sender {sender} already has {max} pending transactions")]
    SenderFull { sender: Address, max: usize },
    #[error("pool is full")]
    PoolFull,
}

/// What an accepted insert did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    New,
    Replaced(B256),
}

#[derive(Clone)]
struct Entry {
    tx: Arc<RecoveredTx>,
    seq: u64,
}

#[derive(Default)]
struct Inner {
    by_hash: HashMap<B256, Arc<RecoveredTx>>,
    by_sender: BTreeMap<Address, BTreeMap<u64, Entry>>,
    bytes: usize,
    seq: u64,
}

impl Inner {
    fn remove_entry(&mut self, sender: &Address, nonce: u64) -> Option<Entry> {
        let queue = self.by_sender.get_mut(sender)?;
        let entry = queue.remove(&nonce)?;
        if queue.is_empty() {
            self.by_sender.remove(sender);
        }
        self.by_hash.remove(&entry.tx.hash);
        self.bytes -= entry.tx.raw.len();
        Some(entry)
    }

    /// The transaction to evict for room: the highest nonce of the sender holding the
    /// most transactions, never a sender's only (next executable) one.
    fn victim(&self) -> Option<(Address, u64)> {
        let (sender, queue) = self
            .by_sender
            .iter()
            .filter(|(_, queue)| queue.len() > 1)
            .max_by_key(|(_, queue)| queue.len())?;
        let (nonce, _) = queue.last_key_value()?;
        Some((*sender, *nonce))
    }
}

/// Counters of what the pool did, for metrics.
#[derive(Debug, Default)]
struct Counters {
    inserted: AtomicU64,
    replaced: AtomicU64,
    rejected: AtomicU64,
    evicted: AtomicU64,
}

/// A snapshot of the pool's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    pub inserted: u64,
    pub replaced: u64,
    pub rejected: u64,
    pub evicted: u64,
}

/// The shared pool. Cloning shares it.
#[derive(Clone)]
pub struct TxPool {
    inner: Arc<Mutex<Inner>>,
    limits: Arc<PoolLimits>,
    arrivals: Arc<Notify>,
    counters: Arc<Counters>,
}

/// A sender's next candidate in `best`, ordered by tip (higher first), then arrival.
struct Head {
    tip: u128,
    seq: u64,
    sender: Address,
    nonce: u64,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == CmpOrdering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    fn cmp(&self, other: &Self) -> CmpOrdering {
        self.tip
            .cmp(&other.tip)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

fn bumped(value: u128, percent: u128) -> u128 {
    value.saturating_mul(100 + percent) / 100
}

impl TxPool {
    pub fn new(limits: PoolLimits) -> Self {
        Self {
            inner: Arc::default(),
            limits: Arc::new(limits),
            arrivals: Arc::new(Notify::new()),
            counters: Arc::default(),
        }
    }

    /// Pools `tx`; `account_nonce` is the sender's nonce in the committed state.
    pub fn insert(&self, tx: RecoveredTx, account_nonce: u64) -> Result<Inserted, PoolError> {
        let result = self.insert_inner(tx, account_nonce);
        match &result {
            Ok(Inserted::New) => {
                self.counters.inserted.fetch_add(1, Ordering::Relaxed);
                self.arrivals.notify_one();
            }
            Ok(Inserted::Replaced(_)) => {
                self.counters.replaced.fetch_add(1, Ordering::Relaxed);
                self.arrivals.notify_one();
            }
            Err(_) => {
                self.counters.rejected.fetch_add(1, Ordering::Relaxed);
            }
        }
        result
    }

    fn insert_inner(&self, tx: RecoveredTx, account_nonce: u64) -> Result<Inserted, PoolError> {
        let limits = &self.limits;
        let nonce = tx.nonce();
        if nonce < account_nonce {
            return Err(PoolError::NonceTooLow {
                account_nonce,
                tx_nonce: nonce,
            });
        }
        if nonce > account_nonce.saturating_add(limits.nonce_gap_max) {
            return Err(PoolError::NonceGapTooLarge {
                next: account_nonce,
                tx_nonce: nonce,
                max_gap: limits.nonce_gap_max,
            });
        }
        let mut inner = self.inner.lock();
        if inner.by_hash.contains_key(&tx.hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let sender = tx.sender;
        let mut replaced = None;
        if let Some(existing) = inner.by_sender.get(&sender).and_then(|q| q.get(&nonce)) {
            let old = &existing.tx;
            let old_tip = old.effective_tip(0);
            let new_tip = tx.effective_tip(0);
            let enough = |old: u128, new: u128| {
                if old == 0 {
                    new > 0
                } else {
                    new >= bumped(old, limits.price_bump_percent)
                }
            };
            if !(enough(old.max_fee_per_gas(), tx.max_fee_per_gas()) && enough(old_tip, new_tip)) {
                return Err(PoolError::ReplacementUnderpriced {
                    existing_tip: old_tip,
                    offered_tip: new_tip,
                    bump: limits.price_bump_percent,
                });
            }
            replaced = Some(old.hash);
        } else if inner.by_sender.get(&sender).map_or(0, BTreeMap::len) >= limits.per_sender_max {
            return Err(PoolError::SenderFull {
                sender,
                max: limits.per_sender_max,
            });
        }
        if replaced.is_some() {
            inner.remove_entry(&sender, nonce);
        }
        let size = tx.raw.len();
        while inner.by_hash.len() + 1 > limits.txs_max || inner.bytes + size > limits.bytes_max {
            let Some((victim_sender, victim_nonce)) = inner.victim() else {
                return Err(PoolError::PoolFull);
            };
            // Never evict in favour of a transaction that would itself be the victim.
            if victim_sender == sender && victim_nonce < nonce {
                return Err(PoolError::PoolFull);
            }
            inner.remove_entry(&victim_sender, victim_nonce);
            self.counters.evicted.fetch_add(1, Ordering::Relaxed);
        }
        let tx = Arc::new(tx);
        inner.seq += 1;
        let seq = inner.seq;
        inner.bytes += size;
        inner.by_hash.insert(tx.hash, tx.clone());
        inner
            .by_sender
            .entry(sender)
            .or_default()
            .insert(nonce, Entry { tx, seq });
        Ok(match replaced {
            Some(hash) => Inserted::Replaced(hash),
            None => Inserted::New,
        })
    }

    /// The transactions a proposer should try, in order: each sender's contiguous run
    /// from `nonce_of(sender)`, merged by tip then arrival, within the count and bytes.
    pub fn best(
        &self,
        txs_max: usize,
        bytes_max: usize,
        nonce_of: &dyn Fn(&Address) -> u64,
    ) -> Vec<Arc<RecoveredTx>> {
        let inner = self.inner.lock();
        let mut heads = BinaryHeap::new();
        let mut next_nonce: BTreeMap<Address, u64> = BTreeMap::new();
        for (sender, queue) in &inner.by_sender {
            let start = nonce_of(sender);
            if let Some(entry) = queue.get(&start) {
                heads.push(Head {
                    tip: entry.tx.effective_tip(0),
                    seq: entry.seq,
                    sender: *sender,
                    nonce: start,
                });
            }
            next_nonce.insert(*sender, start);
        }
        let mut out = Vec::new();
        let mut bytes = 0usize;
        while let Some(head) = heads.pop() {
            if out.len() >= txs_max {
                break;
            }
            let queue = &inner.by_sender[&head.sender];
            let entry = &queue[&head.nonce];
            if bytes + entry.tx.raw.len() > bytes_max {
                continue;
            }
            bytes += entry.tx.raw.len();
            out.push(entry.tx.clone());
            let next = head.nonce + 1;
            if let Some(entry) = queue.get(&next) {
                heads.push(Head {
                    tip: entry.tx.effective_tip(0),
                    seq: entry.seq,
                    sender: head.sender,
                    nonce: next,
                });
            }
        }
        out
    }

    /// Drops every transaction whose nonce is below its sender's new account nonce.
    pub fn on_committed(&self, updates: impl IntoIterator<Item = (Address, u64)>) {
        let mut inner = self.inner.lock();
        for (sender, nonce) in updates {
            let stale: Vec<u64> = match inner.by_sender.get(&sender) {
                Some(queue) => queue.range(..nonce).map(|(n, _)| *n).collect(),
                None => continue,
            };
            for n in stale {
                inner.remove_entry(&sender, n);
            }
        }
    }

    pub fn remove(&self, hash: &B256) -> Option<Arc<RecoveredTx>> {
        let mut inner = self.inner.lock();
        let tx = inner.by_hash.get(hash)?.clone();
        inner.remove_entry(&tx.sender, tx.nonce()).map(|e| e.tx)
    }

    pub fn get(&self, hash: &B256) -> Option<Arc<RecoveredTx>> {
        self.inner.lock().by_hash.get(hash).cloned()
    }

    pub fn contains(&self, hash: &B256) -> bool {
        self.inner.lock().by_hash.contains_key(hash)
    }

    pub fn len(&self) -> usize {
        self.inner.lock().by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn bytes(&self) -> usize {
        self.inner.lock().bytes
    }

    pub fn senders(&self) -> usize {
        self.inner.lock().by_sender.len()
    }

    /// The next nonce after the contiguous run the pool holds from `account_nonce`.
    pub fn pending_nonce(&self, sender: &Address, account_nonce: u64) -> u64 {
        let inner = self.inner.lock();
        let mut next = account_nonce;
        if let Some(queue) = inner.by_sender.get(sender) {
            while queue.contains_key(&next) {
                next += 1;
            }
        }
        next
    }

    /// Fires when a transaction arrives (a waiting proposer need not wait out its timer).
    pub fn subscribe(&self) -> Arc<Notify> {
        self.arrivals.clone()
    }

    pub fn stats(&self) -> PoolStats {
        PoolStats {
            inserted: self.counters.inserted.load(Ordering::Relaxed),
            replaced: self.counters.replaced.load(Ordering::Relaxed),
            rejected: self.counters.rejected.load(Ordering::Relaxed),
            evicted: self.counters.evicted.load(Ordering::Relaxed),
        }
    }
}

//! The data behind the pool's lock, and the rules that change it.
//!
//! - `by_hash` finds any transaction by hash.
//! - `senders` holds one [`SenderQueue`] per sender: its transactions by nonce, the
//!   newest account nonce the pool was told (`base`; nothing below it is kept) and the end
//!   of its *ready run* (`ready_end`): the nonces `base..ready_end` are all present, so
//!   they can execute in order now; anything above a hole waits for the hole to fill.
//! - `evictable` orders every sender's *tail* (highest nonce) by how little it is worth
//!   keeping. Only tails are candidates, because evicting any other nonce would strand
//!   the sender's later transactions behind a new hole, and a sender whose only
//!   transaction is the next one to execute is never a candidate, so eviction can slow a
//!   sender down but never stall it. Each mutation updates one sender's key: O(log n).
//!
//! Eviction order (first evicted first), and why:
//! 1. transactions behind a hole before ready ones: they cannot execute yet;
//! 2. the sender holding the most transactions first: in a consortium most senders pay
//!    the same (often zero) price, so share of the pool is the fairness that matters;
//! 3. the lowest tip first; 4. the latest arrival first.
//!
//! A newcomer is ranked by the same key, as if it were its sender's tail, and evicts only
//! what ranks strictly below it; if the room cannot be made, nothing changes.

use std::{
    cmp::Reverse,
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Arc,
};

use alloy_primitives::{Address, B256, U256};
use entente_primitives::RecoveredTx;
use tracing::debug;

use crate::{Inserted, PoolError, PoolLimits, metrics::Counters, recent::RecentNonces};

/// A pooled transaction with what the pool computed about it on arrival.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) tx: Arc<RecoveredTx>,
    /// Arrival order, unique in the pool: the tie-breaker that makes orderings total.
    pub(crate) seq: u64,
    /// Tip per gas above the pool's base fee.
    pub(crate) tip: u128,
}

/// Position in the eviction order; the smallest key is evicted first (see module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct EvictKey {
    ready: bool,
    len: Reverse<usize>,
    tip: u128,
    seq: Reverse<u64>,
    sender: Address,
    nonce: u64,
}

/// One sender's pending transactions.
#[derive(Debug)]
pub(crate) struct SenderQueue {
    pub(crate) txs: BTreeMap<u64, Entry>,
    /// Newest account nonce the pool was told for this sender.
    base: u64,
    /// First nonce at or above `base` that the pool does not hold.
    ready_end: u64,
    /// This queue's key in `PoolState::evictable`, if its tail may be evicted.
    evict_key: Option<EvictKey>,
}

impl SenderQueue {
    fn new(base: u64) -> Self {
        Self {
            txs: BTreeMap::new(),
            base,
            ready_end: base,
            evict_key: None,
        }
    }

    fn insert(&mut self, nonce: u64, entry: Entry) {
        self.txs.insert(nonce, entry);
        if nonce == self.ready_end {
            self.ready_end = self.run_end(nonce);
        }
    }

    fn remove(&mut self, nonce: u64) -> Option<Entry> {
        let entry = self.txs.remove(&nonce)?;
        // Removing inside the ready run opens a hole: later nonces are no longer ready.
        if nonce < self.ready_end {
            self.ready_end = nonce;
        }
        Some(entry)
    }

    /// Raises `base` to `account_nonce` and returns the transactions that fell below it.
    fn advance(&mut self, account_nonce: u64) -> BTreeMap<u64, Entry> {
        if account_nonce <= self.base {
            return BTreeMap::new();
        }
        let kept = self.txs.split_off(&account_nonce);
        let stale = std::mem::replace(&mut self.txs, kept);
        self.base = account_nonce;
        if self.ready_end < account_nonce {
            self.ready_end = self.run_end(account_nonce);
        }
        stale
    }

    /// The first nonce at or after `from` that is not held.
    fn run_end(&self, from: u64) -> u64 {
        let mut next = from;
        for &nonce in self.txs.range(from..).map(|(nonce, _)| nonce) {
            if nonce != next {
                break;
            }
            next = next.saturating_add(1);
        }
        next
    }

    /// `account_nonce` advanced over the contiguous nonces held from it.
    pub(crate) fn next_nonce(&self, account_nonce: u64) -> u64 {
        let from = account_nonce.max(self.base);
        if from <= self.ready_end {
            self.ready_end
        } else {
            self.run_end(from)
        }
    }

    fn evict_key(&self, sender: Address) -> Option<EvictKey> {
        let (&nonce, entry) = self.txs.last_key_value()?;
        if nonce == self.base {
            // The sender's only transaction, and the next one to execute.
            return None;
        }
        Some(EvictKey {
            ready: nonce < self.ready_end,
            len: Reverse(self.txs.len()),
            tip: entry.tip,
            seq: Reverse(entry.seq),
            sender,
            nonce,
        })
    }
}

/// Whether `new` outbids `old` for a replacement: strictly greater and at least
/// `old × (100 + bump) / 100` (as geth rules, so wallets' bump logic works). The strict
/// rule is what stops a zero price from being replaced by another zero price.
pub(crate) fn outbids(old: u128, new: u128, bump_percent: u64) -> bool {
    let threshold =
        U256::from(old) * U256::from(100u64.saturating_add(bump_percent)) / U256::from(100u64);
    new > old && U256::from(new) >= threshold
}

/// Everything the pool holds, behind its lock.
#[derive(Debug, Default)]
pub(crate) struct PoolState {
    by_hash: HashMap<B256, Arc<RecoveredTx>>,
    senders: HashMap<Address, SenderQueue>,
    evictable: BTreeSet<EvictKey>,
    /// Committed nonces that outlive their sender's queue.
    recent: RecentNonces,
    bytes: usize,
    next_seq: u64,
}

impl PoolState {
    pub(crate) fn new(limits: &PoolLimits) -> Self {
        Self {
            recent: RecentNonces::new(limits.committed_senders_max),
            ..Self::default()
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn senders(&self) -> impl Iterator<Item = &Address> {
        self.senders.keys()
    }

    pub(crate) fn sender_count(&self) -> usize {
        self.senders.len()
    }

    pub(crate) fn queue(&self, sender: &Address) -> Option<&SenderQueue> {
        self.senders.get(sender)
    }

    pub(crate) fn get(&self, hash: &B256) -> Option<&Arc<RecoveredTx>> {
        self.by_hash.get(hash)
    }

    /// Admits `tx` (whose tip above the base fee is `tip`) if the rules allow; on refusal
    /// the pool is as it was, except for transactions `account_nonce` shows are stale.
    pub(crate) fn admit(
        &mut self,
        tx: Arc<RecoveredTx>,
        tip: u128,
        account_nonce: u64,
        limits: &PoolLimits,
        counters: &Counters,
    ) -> Result<Inserted, PoolError> {
        if self.by_hash.contains_key(&tx.hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let sender = tx.sender;
        let nonce = tx.nonce();
        let account_nonce = account_nonce.max(self.recent.floor(&sender));
        counters.pruned(self.advance(&sender, account_nonce));
        let queue = self.senders.get(&sender);
        // The pool may know a newer account nonce than the caller read.
        let base = queue.map_or(account_nonce, |q| q.base);
        if nonce < base {
            return Err(PoolError::NonceTooLow {
                account_nonce: base,
                tx_nonce: nonce,
            });
        }
        let replaced = match queue.and_then(|q| q.txs.get(&nonce)) {
            Some(old) => {
                check_replacement(old, &tx, tip, limits.price_bump_percent)?;
                Some((old.tx.hash, old.tx.raw.len()))
            }
            None => {
                let next = queue.map_or(base, |q| q.ready_end);
                if nonce > next.saturating_add(limits.nonce_gap_max) {
                    return Err(PoolError::NonceGapTooLarge {
                        next,
                        tx_nonce: nonce,
                        max_gap: limits.nonce_gap_max,
                    });
                }
                if queue.map_or(0, |q| q.txs.len()) >= limits.per_sender_max {
                    return Err(PoolError::SenderFull {
                        sender,
                        max: limits.per_sender_max,
                    });
                }
                None
            }
        };
        let size = tx.raw.len();
        if size > limits.bytes_max {
            // It could never fit: do not disturb anything trying.
            return Err(PoolError::PoolFull);
        }
        let freed = replaced.map_or(0, |(_, size)| size);
        let room = Room {
            count_after: self.len() + usize::from(replaced.is_none()),
            bytes_after: (self.bytes - freed).saturating_add(size),
        };
        let newcomer = Newcomer {
            sender,
            nonce,
            tip,
            base,
        };
        let evicted = self.make_room(&newcomer, room, limits)?;
        counters.evicted(evicted);
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = Entry { tx, seq, tip };
        if replaced.is_some() {
            self.replace(sender, base, nonce, entry);
        } else {
            self.put(sender, base, nonce, entry);
        }
        Ok(match replaced {
            Some((hash, _)) => Inserted::Replaced(hash),
            None => Inserted::New,
        })
    }

    /// Applies a committed block's new account nonce for `sender`; returns how many
    /// transactions that made stale.
    pub(crate) fn commit(&mut self, sender: &Address, account_nonce: u64) -> usize {
        self.recent.record(*sender, account_nonce);
        self.advance(sender, account_nonce)
    }

    /// `account_nonce` for a sender with no queue: the caller's, or a newer committed one.
    pub(crate) fn floor_nonce(&self, sender: &Address, account_nonce: u64) -> u64 {
        account_nonce.max(self.recent.floor(sender))
    }

    /// Tells the pool `sender`'s account nonce is now `account_nonce`; drops what is below
    /// it and returns how many transactions that was.
    fn advance(&mut self, sender: &Address, account_nonce: u64) -> usize {
        let Some(queue) = self.senders.get_mut(sender) else {
            return 0;
        };
        if account_nonce <= queue.base {
            return 0;
        }
        let stale = queue.advance(account_nonce);
        for entry in stale.values() {
            self.by_hash.remove(&entry.tx.hash);
            self.bytes -= entry.tx.raw.len();
        }
        self.settle(sender);
        stale.len()
    }

    pub(crate) fn remove(&mut self, hash: &B256) -> Option<Arc<RecoveredTx>> {
        let tx = self.by_hash.get(hash)?;
        let (sender, nonce) = (tx.sender, tx.nonce());
        self.take(&sender, nonce).map(|(entry, _)| entry.tx)
    }

    /// Evicts, lowest-ranked first, until `room` fits the limits; every victim must rank
    /// strictly below `newcomer`. Returns how many were evicted; on refusal, restores them.
    fn make_room(
        &mut self,
        newcomer: &Newcomer,
        mut room: Room,
        limits: &PoolLimits,
    ) -> Result<usize, PoolError> {
        let mut evicted: Vec<(u64, Entry)> = Vec::new();
        while room.count_after > limits.txs_max || room.bytes_after > limits.bytes_max {
            let victim = self.evictable.first().copied();
            let outranked = match (victim, self.newcomer_key(newcomer)) {
                (None, _) => None,
                // A transaction never evicts the one it replaces: it is that sender's slot.
                (Some(v), _) if v.sender == newcomer.sender && v.nonce == newcomer.nonce => None,
                (Some(v), None) => Some(v),
                (Some(v), Some(key)) => (key > v).then_some(v),
            };
            let Some((entry, base)) = outranked.and_then(|v| self.take(&v.sender, v.nonce)) else {
                self.restore(evicted);
                return Err(PoolError::PoolFull);
            };
            room.count_after -= 1;
            room.bytes_after -= entry.tx.raw.len();
            evicted.push((base, entry));
        }
        for (_, entry) in &evicted {
            debug!(
                target: "entente::txpool",
                hash = %entry.tx.hash,
                sender = %entry.tx.sender,
                nonce = entry.tx.nonce(),
                "evicted to make room"
            );
        }
        Ok(evicted.len())
    }

    fn restore(&mut self, evicted: Vec<(u64, Entry)>) {
        for (base, entry) in evicted.into_iter().rev() {
            let (sender, nonce) = (entry.tx.sender, entry.tx.nonce());
            self.put(sender, base, nonce, entry);
        }
    }

    /// The newcomer's eviction key as if it were its sender's tail; `None` if it would be
    /// the sender's only, next-to-execute transaction (which is never evicted).
    fn newcomer_key(&self, newcomer: &Newcomer) -> Option<EvictKey> {
        let (len, ready_end, base) = match self.senders.get(&newcomer.sender) {
            Some(q) => {
                let len = q.txs.len() + usize::from(!q.txs.contains_key(&newcomer.nonce));
                (len, q.ready_end, q.base)
            }
            None => (1, newcomer.base, newcomer.base),
        };
        if len == 1 && newcomer.nonce == base {
            return None;
        }
        Some(EvictKey {
            ready: newcomer.nonce <= ready_end,
            len: Reverse(len),
            tip: newcomer.tip,
            seq: Reverse(self.next_seq),
            sender: newcomer.sender,
            nonce: newcomer.nonce,
        })
    }

    /// Removes one transaction; returns it with its sender's base at the time.
    fn take(&mut self, sender: &Address, nonce: u64) -> Option<(Entry, u64)> {
        let queue = self.senders.get_mut(sender)?;
        let entry = queue.remove(nonce)?;
        let base = queue.base;
        self.by_hash.remove(&entry.tx.hash);
        self.bytes -= entry.tx.raw.len();
        self.settle(sender);
        Some((entry, base))
    }

    fn put(&mut self, sender: Address, base: u64, nonce: u64, entry: Entry) {
        self.bytes += entry.tx.raw.len();
        self.by_hash.insert(entry.tx.hash, entry.tx.clone());
        self.senders
            .entry(sender)
            .or_insert_with(|| SenderQueue::new(base))
            .insert(nonce, entry);
        self.settle(&sender);
    }

    /// Puts `entry` in the slot of the transaction it replaces. Done in place because
    /// taking the old one out first would cut the ready run, and re-extending it costs
    /// the length of the run.
    fn replace(&mut self, sender: Address, base: u64, nonce: u64, entry: Entry) {
        match self
            .senders
            .get_mut(&sender)
            .and_then(|q| q.txs.get_mut(&nonce))
        {
            Some(slot) => {
                let old = std::mem::replace(slot, entry);
                self.by_hash.remove(&old.tx.hash);
                self.bytes -= old.tx.raw.len();
                self.bytes += slot.tx.raw.len();
                self.by_hash.insert(slot.tx.hash, slot.tx.clone());
                self.settle(&sender);
            }
            None => self.put(sender, base, nonce, entry),
        }
    }

    /// Brings `sender`'s eviction key up to date and forgets the sender once empty.
    fn settle(&mut self, sender: &Address) {
        let Some(queue) = self.senders.get_mut(sender) else {
            return;
        };
        let key = queue.evict_key(*sender);
        if key != queue.evict_key {
            if let Some(old) = queue.evict_key {
                self.evictable.remove(&old);
            }
            if let Some(new) = key {
                self.evictable.insert(new);
            }
            queue.evict_key = key;
        }
        if queue.txs.is_empty() {
            self.senders.remove(sender);
        }
    }

    /// Checks the cross-structure invariants; for tests.
    #[cfg(test)]
    pub(crate) fn check(&self) {
        let mut count = 0;
        let mut bytes = 0;
        let mut keys = BTreeSet::new();
        for (sender, queue) in &self.senders {
            assert!(!queue.txs.is_empty(), "empty queue kept");
            assert!(
                queue.txs.keys().all(|n| *n >= queue.base),
                "stale nonce kept"
            );
            assert_eq!(queue.ready_end, queue.run_end(queue.base), "ready run");
            assert_eq!(queue.evict_key, queue.evict_key(*sender), "eviction key");
            keys.extend(queue.evict_key);
            for (nonce, entry) in &queue.txs {
                assert_eq!(entry.tx.nonce(), *nonce);
                assert_eq!(entry.tx.sender, *sender);
                assert!(self.by_hash.contains_key(&entry.tx.hash));
                count += 1;
                bytes += entry.tx.raw.len();
            }
        }
        assert_eq!(count, self.by_hash.len());
        assert_eq!(bytes, self.bytes);
        assert_eq!(keys, self.evictable);
    }
}

/// A transaction asking for room, as eviction needs to rank it.
struct Newcomer {
    sender: Address,
    nonce: u64,
    tip: u128,
    /// Its sender's account nonce, for when its sender has no queue (yet, or any more).
    base: u64,
}

/// The pool's size if the newcomer were added now.
struct Room {
    count_after: usize,
    bytes_after: usize,
}

fn check_replacement(
    old: &Entry,
    tx: &RecoveredTx,
    tip: u128,
    bump_percent: u64,
) -> Result<(), PoolError> {
    let (old_fee, new_fee) = (old.tx.max_fee_per_gas(), tx.max_fee_per_gas());
    if outbids(old_fee, new_fee, bump_percent) && outbids(old.tip, tip, bump_percent) {
        return Ok(());
    }
    Err(PoolError::ReplacementUnderpriced {
        existing_tip: old.tip,
        offered_tip: tip,
        existing_max_fee: old_fee,
        offered_max_fee: new_fee,
        bump_percent,
    })
}

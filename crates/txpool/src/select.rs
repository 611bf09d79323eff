//! How [`TxPool::best`](crate::TxPool::best) turns the pool into a proposal.
//!
//! A priority queue holds one *head* per sender: the lowest nonce of that sender not yet
//! taken. The best head is taken, and the sender's next nonce (if the pool holds it)
//! becomes its new head, so each sender's transactions come out in nonce order and
//! nothing behind a hole comes out at all. Heads rank by:
//! 1. tip, highest first: the fee market, where there is one;
//! 2. round (how many of this sender's transactions were already taken), lowest first:
//!    senders paying the same tip take turns, so one busy sender cannot fill a block
//!    while others wait;
//! 3. arrival, earliest first.
//!
//! Arrival numbers are unique, so the order is total: the same pool content and the same
//! starting nonces always give the same list.

use std::{cmp::Ordering, collections::BinaryHeap, sync::Arc};

use alloy_primitives::Address;
use entente_primitives::RecoveredTx;

use crate::state::{Entry, PoolState, SenderQueue};

struct Head<'a> {
    tip: u128,
    round: u64,
    seq: u64,
    nonce: u64,
    entry: &'a Entry,
    queue: &'a SenderQueue,
}

impl<'a> Head<'a> {
    fn new(queue: &'a SenderQueue, nonce: u64, round: u64) -> Option<Self> {
        let entry = queue.txs.get(&nonce)?;
        Some(Self {
            tip: entry.tip,
            round,
            seq: entry.seq,
            nonce,
            entry,
            queue,
        })
    }
}

impl PartialEq for Head<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head<'_> {}

impl PartialOrd for Head<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Head<'_> {
    /// Greater is better (`BinaryHeap` pops the greatest).
    fn cmp(&self, other: &Self) -> Ordering {
        self.tip
            .cmp(&other.tip)
            .then_with(|| other.round.cmp(&self.round))
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// Up to `txs_max` transactions of at most `bytes_max` raw bytes in total, each sender's
/// run starting at its nonce in `starts`. A transaction that does not fit in the bytes
/// left ends its sender's run (its successors depend on it) but not the others'.
pub(crate) fn select(
    state: &PoolState,
    starts: &[(Address, u64)],
    txs_max: usize,
    bytes_max: usize,
) -> Vec<Arc<RecoveredTx>> {
    let mut heads: BinaryHeap<Head<'_>> = starts
        .iter()
        .filter_map(|(sender, nonce)| Head::new(state.queue(sender)?, *nonce, 0))
        .collect();
    let mut out = Vec::with_capacity(txs_max.min(state.len()));
    let mut bytes = 0usize;
    while out.len() < txs_max
        && let Some(head) = heads.pop()
    {
        let size = head.entry.tx.raw.len();
        if bytes.saturating_add(size) > bytes_max {
            continue;
        }
        bytes += size;
        out.push(head.entry.tx.clone());
        if let Some(next) = head.nonce.checked_add(1)
            && let Some(next) = Head::new(head.queue, next, head.round + 1)
        {
            heads.push(next);
        }
    }
    out
}

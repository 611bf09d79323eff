//! A bounded memory of the latest committed nonce of recently committed senders.
//!
//! Callers check a transaction against the committed state and then insert it; a block
//! can commit in between. Once its commit has pruned a sender's queue away, the pool
//! would otherwise believe the caller's older nonce and could re-pool a transaction the
//! block just included, where nothing would ever prune it again (commits only report
//! senders whose nonce changes). Remembering the committed nonce of the last few
//! thousand committed senders closes that window; the memory is a lower bound, so
//! forgetting an entry is always safe.

use std::collections::{HashMap, VecDeque, hash_map::Entry};

use alloy_primitives::Address;

#[derive(Debug, Default)]
pub(crate) struct RecentNonces {
    capacity: usize,
    /// Sender → (highest committed nonce seen, generation of its newest record).
    nonces: HashMap<Address, (u64, u64)>,
    /// Records oldest first; a record whose generation is no longer its sender's newest
    /// is stale and only counts against the capacity until it is dropped.
    order: VecDeque<(Address, u64)>,
    generation: u64,
}

impl RecentNonces {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            ..Self::default()
        }
    }

    pub(crate) fn record(&mut self, sender: Address, nonce: u64) {
        if self.capacity == 0 {
            return;
        }
        self.generation += 1;
        let generation = self.generation;
        match self.nonces.entry(sender) {
            Entry::Occupied(mut known) => {
                let (previous, _) = *known.get();
                known.insert((previous.max(nonce), generation));
            }
            Entry::Vacant(slot) => {
                slot.insert((nonce, generation));
            }
        }
        self.order.push_back((sender, generation));
        while self.order.len() > self.capacity {
            let Some((oldest, generation)) = self.order.pop_front() else {
                break;
            };
            if self.nonces.get(&oldest).map(|(_, g)| *g) == Some(generation) {
                self.nonces.remove(&oldest);
            }
        }
    }

    /// The highest committed nonce remembered for `sender`, or 0.
    pub(crate) fn floor(&self, sender: &Address) -> u64 {
        self.nonces.get(sender).map_or(0, |(nonce, _)| *nonce)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_highest_nonce_of_the_newest_senders() {
        let (a, b, c) = (
            Address::repeat_byte(1),
            Address::repeat_byte(2),
            Address::repeat_byte(3),
        );
        let mut recent = RecentNonces::new(2);
        recent.record(a, 5);
        recent.record(a, 3);
        assert_eq!(recent.floor(&a), 5, "nonces never go back");
        // a's first record is stale; its second keeps a remembered past b's arrival.
        recent.record(b, 1);
        assert_eq!((recent.floor(&a), recent.floor(&b)), (5, 1));
        recent.record(c, 2);
        assert_eq!(recent.floor(&a), 0, "the oldest sender is forgotten");
        assert_eq!((recent.floor(&b), recent.floor(&c)), (1, 2));
        assert!(recent.order.len() <= 2 && recent.nonces.len() <= 2);
        let mut none = RecentNonces::new(0);
        none.record(a, 9);
        assert_eq!(none.floor(&a), 0);
    }
}

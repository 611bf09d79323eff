//! A bounded memory of recently seen transaction hashes.
//!
//! Gossip delivers the same transaction from several peers; decoding it and recovering
//! its sender again costs more than everything else the node does with it. Remembering
//! the last `capacity` hashes lets the gossip receiver drop duplicates before that work.
//! It is a ring (first in, first out), not an LRU: a duplicate arrives within seconds of
//! the original, so refreshing entries on a hit buys nothing.

use std::collections::{HashSet, VecDeque};

use alloy_primitives::B256;

/// Remembers the last `capacity` distinct hashes inserted; forgets the oldest first.
#[derive(Clone, Debug)]
pub struct SeenCache {
    capacity: usize,
    set: HashSet<B256>,
    order: VecDeque<B256>,
}

impl SeenCache {
    /// A cache of at most `capacity` hashes (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            set: HashSet::with_capacity(capacity),
            order: VecDeque::with_capacity(capacity),
        }
    }

    /// Records `hash`; returns `true` if it was not remembered already (process it) and
    /// `false` if it was (drop it).
    pub fn insert(&mut self, hash: B256) -> bool {
        if !self.set.insert(hash) {
            return false;
        }
        if self.order.len() == self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        self.order.push_back(hash);
        true
    }

    pub fn contains(&self, hash: &B256) -> bool {
        self.set.contains(hash)
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(i: u64) -> B256 {
        B256::left_padding_from(&i.to_be_bytes())
    }

    #[test]
    fn duplicates_are_reported_once() {
        let mut seen = SeenCache::new(4);
        assert!(seen.insert(h(1)));
        assert!(!seen.insert(h(1)));
        assert!(seen.contains(&h(1)));
        assert_eq!(seen.len(), 1);
    }

    #[test]
    fn the_oldest_hash_is_forgotten_first() {
        let mut seen = SeenCache::new(2);
        assert!(seen.insert(h(1)));
        assert!(seen.insert(h(2)));
        // A hit does not refresh: 1 is still the oldest.
        assert!(!seen.insert(h(1)));
        assert!(seen.insert(h(3)));
        assert!(!seen.contains(&h(1)));
        assert!(seen.contains(&h(2)) && seen.contains(&h(3)));
        assert_eq!(seen.len(), 2);
        // Forgotten hashes are new again.
        assert!(seen.insert(h(1)));
    }

    #[test]
    fn stays_bounded_and_capacity_is_at_least_one() {
        let mut seen = SeenCache::new(100);
        for i in 0..10_000 {
            assert!(seen.insert(h(i)));
        }
        assert_eq!(seen.len(), 100);
        assert!(seen.contains(&h(9_999)) && !seen.contains(&h(9_899)));
        let mut tiny = SeenCache::new(0);
        assert_eq!(tiny.capacity(), 1);
        assert!(tiny.insert(h(1)));
        assert!(tiny.insert(h(2)));
        assert_eq!(tiny.len(), 1);
    }
}

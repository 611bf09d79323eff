//! A bounded set of recently seen transaction hashes, evicting the oldest first.

use std::collections::{HashSet, VecDeque};

use alloy_primitives::B256;

/// Remembers the last `capacity` hashes inserted.
#[derive(Debug)]
pub struct SeenCache {
    capacity: usize,
    set: HashSet<B256>,
    order: VecDeque<B256>,
}

impl SeenCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            set: HashSet::with_capacity(capacity),
            order: VecDeque::with_capacity(capacity),
        }
    }

    /// Records `hash`; returns false if it was already remembered.
    pub fn insert(&mut self, hash: B256) -> bool {
        if !self.set.insert(hash) {
            return false;
        }
        self.order.push_back(hash);
        if self.order.len() > self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        true
    }

    pub fn contains(&self, hash: &B256) -> bool {
        self.set.contains(hash)
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_and_evicts_oldest() {
        let mut seen = SeenCache::new(2);
        assert!(seen.insert(B256::repeat_byte(1)));
        assert!(!seen.insert(B256::repeat_byte(1)));
        assert!(seen.insert(B256::repeat_byte(2)));
        assert!(seen.insert(B256::repeat_byte(3)));
        assert!(!seen.contains(&B256::repeat_byte(1)));
        assert!(seen.contains(&B256::repeat_byte(3)));
        assert_eq!(seen.len(), 2);
    }
}

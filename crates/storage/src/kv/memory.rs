//! The in-memory engine, for tests and deterministic simulation.

use std::{
    collections::{BTreeMap, VecDeque},
    ops::Bound,
    sync::Arc,
};

use parking_lot::RwLock;

use super::{Batch, Column, Direction, Entry, KeyRange, Kv, KvIter, Op};
use crate::StorageError;

type Columns = Vec<BTreeMap<Vec<u8>, Vec<u8>>>;

/// Entries an iterator copies out per lock acquisition: iteration never holds the lock
/// while the caller runs, so a long scan cannot stall a commit.
const ITER_CHUNK_ENTRIES: usize = 64;

/// The in-memory engine. Clones share the same data: dropping a store and building a new
/// one on a clone is a restart that keeps exactly what was committed.
#[derive(Clone)]
pub struct MemoryKv {
    data: Arc<RwLock<Columns>>,
}

impl Default for MemoryKv {
    fn default() -> Self {
        Self {
            data: Arc::new(RwLock::new(vec![BTreeMap::new(); Column::ALL.len()])),
        }
    }
}

impl std::fmt::Debug for MemoryKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryKv").finish_non_exhaustive()
    }
}

impl MemoryKv {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Kv for MemoryKv {
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.data.read()[column.index()].get(key).cloned())
    }

    fn iter(&self, column: Column, range: KeyRange, direction: Direction) -> KvIter<'_> {
        Box::new(MemoryIter {
            data: self.data.clone(),
            column,
            range,
            direction,
            buffer: VecDeque::new(),
            exhausted: false,
        })
    }

    fn write(&self, batch: Batch) -> Result<(), StorageError> {
        // Holding the write lock for the whole batch makes it atomic to readers.
        let mut data = self.data.write();
        for op in batch.into_ops() {
            match op {
                Op::Put(column, key, value) => {
                    data[column.index()].insert(key, value);
                }
                Op::Delete(column, key) => {
                    data[column.index()].remove(&key);
                }
            }
        }
        Ok(())
    }
}

/// Copies entries out in chunks, narrowing its range past each chunk.
struct MemoryIter {
    data: Arc<RwLock<Columns>>,
    column: Column,
    range: KeyRange,
    direction: Direction,
    buffer: VecDeque<Entry>,
    exhausted: bool,
}

impl MemoryIter {
    fn refill(&mut self) {
        if self.range.is_empty() {
            self.exhausted = true;
            return;
        }
        let data = self.data.read();
        let entries = data[self.column.index()]
            .range::<Vec<u8>, _>((self.range.start.as_ref(), self.range.end.as_ref()));
        let chunk: Vec<Entry> = match self.direction {
            Direction::Forward => entries
                .take(ITER_CHUNK_ENTRIES)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            Direction::Reverse => entries
                .rev()
                .take(ITER_CHUNK_ENTRIES)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        drop(data);
        self.exhausted = chunk.len() < ITER_CHUNK_ENTRIES;
        if let Some((last, _)) = chunk.last() {
            let past = Bound::Excluded(last.clone());
            match self.direction {
                Direction::Forward => self.range.start = past,
                Direction::Reverse => self.range.end = past,
            }
        }
        self.buffer.extend(chunk);
    }
}

impl Iterator for MemoryIter {
    type Item = Result<Entry, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buffer.is_empty() && !self.exhausted {
            self.refill();
        }
        self.buffer.pop_front().map(Ok)
    }
}

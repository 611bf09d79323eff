//! The key-value engine beneath the store: a fixed set of named columns, point reads,
//! ordered range iteration in both directions, and one atomic, durable write batch.
//!
//! The store needs nothing more from an engine, which keeps the engine replaceable and
//! lets one test suite (below) pin down the contract for every implementation:
//!
//! - [`FjallKv`] on disk: one fjall keyspace per column; a batch is written to fjall's
//!   journal and fsynced (`PersistMode::SyncAll`) before [`Kv::write`] returns, so a
//!   returned write survives a crash or power loss, and a batch is recovered whole or not
//!   at all.
//! - [`MemoryKv`] for tests and simulation: ordered maps behind a lock. Clones share the
//!   data, so a simulated node can "crash" (drop its store) and restart on what it had
//!   committed.
//!
//! Visibility: a reader never sees half of a [`MemoryKv`] batch. A [`FjallKv`] reader can
//! observe a batch's writes while it is being applied, in the order they were added;
//! the store therefore adds the head pointer last, so anything a reader can reach from
//! the head is already there. Iteration is not a snapshot: entries written while an
//! iterator runs may or may not be seen.

mod disk;
mod memory;
#[cfg(test)]
mod tests;

use std::ops::Bound;

pub use self::{
    disk::{EngineLimits, FjallKv},
    memory::MemoryKv,
};
use crate::StorageError;

/// The store's columns. Each is an independent ordered key space; the key and value
/// formats are the store's (see `store` and `commitment`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    /// Singletons: the head pointer and the schema version.
    Meta,
    /// height (8, BE) → encoded header.
    Headers,
    /// height (8, BE) → encoded block (commonware codec).
    Blocks,
    /// height (8, BE) ‖ tx index (4, BE) → encoded receipt.
    Receipts,
    /// block hash (32) → height (8, BE).
    BlockHashes,
    /// tx hash (32) → height (8, BE) ‖ tx index (4, BE).
    Txs,
    /// height (8, BE) → the block's 256-byte logs bloom.
    Blooms,
    /// height (8, BE) → finalisation certificate (opaque bytes).
    Finalizations,
    /// code hash (32) → code.
    Codes,
    /// key hash (32) ‖ version (8, BE) → tagged value: every version of every state key.
    Values,
    /// key hash (32) → version (8, BE) ‖ tagged value: the newest version of each key.
    Latest,
    /// version (8, BE) ‖ nibble count (1) ‖ packed nibbles → Jellyfish tree node (compact
    /// form, `commitment::node_codec`).
    Nodes,
}

impl Column {
    /// Every column, in a fixed order.
    pub const ALL: [Column; 12] = [
        Column::Meta,
        Column::Headers,
        Column::Blocks,
        Column::Receipts,
        Column::BlockHashes,
        Column::Txs,
        Column::Blooms,
        Column::Finalizations,
        Column::Codes,
        Column::Values,
        Column::Latest,
        Column::Nodes,
    ];

    /// Position in [`Column::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether the column's keys are written in ascending order (they start with a height
    /// or a version). The engine never merges such a column's tables, it moves them
    /// down the levels whole, so whatever a table holds in memory from its flush it
    /// keeps for as long as the data lives.
    pub fn keys_ascend(self) -> bool {
        matches!(
            self,
            Column::Headers
                | Column::Blocks
                | Column::Receipts
                | Column::Blooms
                | Column::Finalizations
                | Column::Nodes
        )
    }

    /// The column's name on disk. Never change one: it names existing data.
    pub fn name(self) -> &'static str {
        match self {
            Column::Meta => "meta",
            Column::Headers => "headers",
            Column::Blocks => "blocks",
            Column::Receipts => "receipts",
            Column::BlockHashes => "block_hashes",
            Column::Txs => "txs",
            Column::Blooms => "blooms",
            Column::Finalizations => "finalizations",
            Column::Codes => "codes",
            Column::Values => "values",
            Column::Latest => "latest",
            Column::Nodes => "nodes",
        }
    }
}

/// One write of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Put(Column, Vec<u8>, Vec<u8>),
    Delete(Column, Vec<u8>),
}

/// Writes applied together by [`Kv::write`]: all of them or none, in this order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    ops: Vec<Op>,
}

impl Batch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn put(&mut self, column: Column, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push(Op::Put(column, key.into(), value.into()));
    }

    pub fn delete(&mut self, column: Column, key: impl Into<Vec<u8>>) {
        self.ops.push(Op::Delete(column, key.into()));
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Number of puts into `column` (tests count tree nodes written this way).
    pub fn puts_into(&self, column: Column) -> usize {
        self.ops
            .iter()
            .filter(|op| matches!(op, Op::Put(c, _, _) if *c == column))
            .count()
    }

    pub fn into_ops(self) -> Vec<Op> {
        self.ops
    }
}

/// A range of keys: `start` and `end` bounds, compared bytewise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRange {
    pub start: Bound<Vec<u8>>,
    pub end: Bound<Vec<u8>>,
}

impl KeyRange {
    /// Every key of the column.
    pub fn all() -> Self {
        Self {
            start: Bound::Unbounded,
            end: Bound::Unbounded,
        }
    }

    /// Every key that starts with `prefix`.
    pub fn prefix(prefix: &[u8]) -> Self {
        Self {
            start: Bound::Included(prefix.to_vec()),
            end: prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded),
        }
    }

    /// Keys in `start..=end`.
    pub fn inclusive(start: &[u8], end: &[u8]) -> Self {
        Self {
            start: Bound::Included(start.to_vec()),
            end: Bound::Included(end.to_vec()),
        }
    }

    /// True when no key can be in the range. Engines check this first: ordered maps
    /// panic on inverted ranges.
    pub fn is_empty(&self) -> bool {
        match (&self.start, &self.end) {
            (Bound::Unbounded, _) | (_, Bound::Unbounded) => false,
            (Bound::Included(start), Bound::Included(end)) => start > end,
            (Bound::Included(start), Bound::Excluded(end))
            | (Bound::Excluded(start), Bound::Included(end))
            | (Bound::Excluded(start), Bound::Excluded(end)) => start >= end,
        }
    }

    /// True when `key` lies in the range.
    pub fn contains(&self, key: &[u8]) -> bool {
        let after_start = match &self.start {
            Bound::Unbounded => true,
            Bound::Included(start) => key >= start.as_slice(),
            Bound::Excluded(start) => key > start.as_slice(),
        };
        let before_end = match &self.end {
            Bound::Unbounded => true,
            Bound::Included(end) => key <= end.as_slice(),
            Bound::Excluded(end) => key < end.as_slice(),
        };
        after_start && before_end
    }
}

/// The smallest key greater than every key starting with `prefix`, if there is one.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Iteration order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Ascending keys.
    Forward,
    /// Descending keys.
    Reverse,
}

/// A key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

/// An iterator over entries; an engine error ends it.
pub type KvIter<'a> = Box<dyn Iterator<Item = Result<Entry, StorageError>> + Send + 'a>;

/// What an on-disk engine holds in memory, and the journal that bounds part of it, for
/// the node's metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineMemory {
    /// Recent writes held in memory tables, not yet flushed to table files.
    pub write_buffer_bytes: u64,
    /// Write-ahead journal on disk. Memory tables hold only writes whose journal is still
    /// on disk, so the journal limit also caps the write buffer.
    pub journal_bytes: u64,
    /// Table blocks in the engine's block cache, and its capacity.
    pub block_cache_bytes: u64,
    pub block_cache_capacity_bytes: u64,
    /// Filter and index blocks of table files pinned in memory, outside the block cache
    /// (the engine pins them for its upper levels, and the top-level index of each table
    /// below).
    pub pinned_bytes: u64,
}

/// What the store needs from an engine. Object safe: the store holds an `Arc<dyn Kv>`.
pub trait Kv: Send + Sync {
    /// The value of `key` in `column`.
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;

    /// The entries of `column` within `range`, in `direction` order.
    fn iter(&self, column: Column, range: KeyRange, direction: Direction) -> KvIter<'_>;

    /// Applies every op of `batch` or none, and returns only once the batch would survive
    /// a crash.
    fn write(&self, batch: Batch) -> Result<(), StorageError>;

    /// The engine's memory figures; `None` for an engine that keeps everything in memory.
    fn memory(&self) -> Result<Option<EngineMemory>, StorageError> {
        Ok(None)
    }

    /// The entry with the greatest key that starts with `prefix` and is `<= upper`: the
    /// newest version at or below a bound, when keys end with a big-endian version.
    fn seek_last(
        &self,
        column: Column,
        prefix: &[u8],
        upper: &[u8],
    ) -> Result<Option<Entry>, StorageError> {
        let range = KeyRange::inclusive(prefix, upper);
        self.iter(column, range, Direction::Reverse)
            .next()
            .transpose()
            .map(|entry| entry.filter(|(key, _)| key.starts_with(prefix)))
    }
}

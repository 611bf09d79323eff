//! The on-disk engine: fjall, an embedded LSM tree (see DESIGN.md for why fjall).

use std::path::Path;

use super::{Batch, Column, Direction, KeyRange, Kv, KvIter, Op};
use crate::StorageError;

fn backend(op: &'static str) -> impl FnOnce(fjall::Error) -> StorageError {
    move |err| StorageError::Backend {
        op,
        reason: err.to_string(),
    }
}

/// The on-disk engine: one fjall keyspace per [`Column`], batches fsynced on commit.
pub struct FjallKv {
    db: fjall::Database,
    /// Indexed by [`Column::index`].
    columns: Vec<fjall::Keyspace>,
}

impl FjallKv {
    /// Opens (or creates) the database in `dir`, recovering from fjall's journal whatever
    /// an earlier process durably wrote. Fails if another process holds the directory.
    pub fn open(dir: &Path) -> Result<Self, StorageError> {
        let db = fjall::Database::builder(dir)
            .open()
            .map_err(backend("open database"))?;
        let mut columns = Vec::with_capacity(Column::ALL.len());
        for column in Column::ALL {
            let keyspace = db
                .keyspace(column.name(), fjall::KeyspaceCreateOptions::default)
                .map_err(backend("open keyspace"))?;
            columns.push(keyspace);
        }
        Ok(Self { db, columns })
    }

    fn column(&self, column: Column) -> &fjall::Keyspace {
        &self.columns[column.index()]
    }
}

impl Kv for FjallKv {
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self
            .column(column)
            .get(key)
            .map_err(backend("get"))?
            .map(|value| value.to_vec()))
    }

    fn iter(&self, column: Column, range: KeyRange, direction: Direction) -> KvIter<'_> {
        if range.is_empty() {
            return Box::new(std::iter::empty());
        }
        let iter = self.column(column).range((range.start, range.end));
        let entry = |guard: fjall::Guard| {
            guard
                .into_inner()
                .map(|(key, value)| (key.to_vec(), value.to_vec()))
                .map_err(backend("iterate"))
        };
        match direction {
            Direction::Forward => Box::new(iter.map(entry)),
            Direction::Reverse => Box::new(iter.rev().map(entry)),
        }
    }

    fn write(&self, batch: Batch) -> Result<(), StorageError> {
        let mut writes = self
            .db
            .batch()
            .durability(Some(fjall::PersistMode::SyncAll));
        for op in batch.into_ops() {
            match op {
                Op::Put(column, key, value) => writes.insert(self.column(column), key, value),
                Op::Delete(column, key) => writes.remove(self.column(column), key),
            }
        }
        writes.commit().map_err(backend("commit batch"))
    }
}

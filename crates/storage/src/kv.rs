//! The key-value engine beneath the store: a fixed set of columns, point reads, a
//! reverse seek (newest version at or below a bound), and one atomic, durable batch.

use std::{collections::BTreeMap, path::Path, sync::Arc};

use parking_lot::RwLock;

use crate::StorageError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    Meta,
    Blocks,
    Receipts,
    BlockHashes,
    Txs,
    Blooms,
    Finalizations,
    Codes,
    Values,
    Latest,
    Nodes,
}

impl Column {
    pub const ALL: [Column; 11] = [
        Column::Meta,
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

    fn name(self) -> &'static str {
        match self {
            Column::Meta => "meta",
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

/// A key and its value, as an engine returns them.
pub type Entry = (Vec<u8>, Vec<u8>);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Put(Column, Vec<u8>, Vec<u8>),
    Delete(Column, Vec<u8>),
}

pub trait Kv: Send + Sync {
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;
    fn seek_back(
        &self,
        column: Column,
        prefix: &[u8],
        upper: &[u8],
    ) -> Result<Option<Entry>, StorageError>;
    fn write(&self, ops: Vec<Op>) -> Result<(), StorageError>;
}

fn backend(err: impl std::fmt::Display) -> StorageError {
    StorageError::Backend(err.to_string())
}

pub struct FjallKv {
    db: fjall::Database,
    columns: BTreeMap<Column, fjall::Keyspace>,
}

impl FjallKv {
    pub fn open(dir: &Path) -> Result<Self, StorageError> {
        let db = fjall::Database::builder(dir).open().map_err(backend)?;
        let mut columns = BTreeMap::new();
        for column in Column::ALL {
            let keyspace = db
                .keyspace(column.name(), fjall::KeyspaceCreateOptions::default)
                .map_err(backend)?;
            columns.insert(column, keyspace);
        }
        Ok(Self { db, columns })
    }

    fn column(&self, column: Column) -> &fjall::Keyspace {
        &self.columns[&column]
    }
}

impl Kv for FjallKv {
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self
            .column(column)
            .get(key)
            .map_err(backend)?
            .map(|v| v.to_vec()))
    }

    fn seek_back(
        &self,
        column: Column,
        prefix: &[u8],
        upper: &[u8],
    ) -> Result<Option<Entry>, StorageError> {
        match self.column(column).range(prefix..=upper).next_back() {
            None => Ok(None),
            Some(guard) => {
                let (key, value) = guard.into_inner().map_err(backend)?;
                Ok(Some((key.to_vec(), value.to_vec())))
            }
        }
    }

    fn write(&self, ops: Vec<Op>) -> Result<(), StorageError> {
        let mut batch = self
            .db
            .batch()
            .durability(Some(fjall::PersistMode::SyncAll));
        for op in ops {
            match op {
                Op::Put(column, key, value) => batch.insert(self.column(column), key, value),
                Op::Delete(column, key) => batch.remove(self.column(column), key),
            }
        }
        batch.commit().map_err(backend)
    }
}

type Columns = BTreeMap<Column, BTreeMap<Vec<u8>, Vec<u8>>>;

#[derive(Clone, Default)]
pub struct MemoryKv {
    data: Arc<RwLock<Columns>>,
}

impl MemoryKv {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Kv for MemoryKv {
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self
            .data
            .read()
            .get(&column)
            .and_then(|c| c.get(key))
            .cloned())
    }

    fn seek_back(
        &self,
        column: Column,
        prefix: &[u8],
        upper: &[u8],
    ) -> Result<Option<Entry>, StorageError> {
        let data = self.data.read();
        let Some(entries) = data.get(&column) else {
            return Ok(None);
        };
        Ok(entries
            .range(prefix.to_vec()..=upper.to_vec())
            .next_back()
            .map(|(k, v)| (k.clone(), v.clone())))
    }

    fn write(&self, ops: Vec<Op>) -> Result<(), StorageError> {
        let mut data = self.data.write();
        for op in ops {
            match op {
                Op::Put(column, key, value) => {
                    data.entry(column).or_default().insert(key, value);
                }
                Op::Delete(column, key) => {
                    if let Some(entries) = data.get_mut(&column) {
                        entries.remove(&key);
                    }
                }
            }
        }
        Ok(())
    }
}

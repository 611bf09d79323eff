//! The on-disk engine: fjall, an embedded LSM tree (see DESIGN.md for why fjall).

use std::{
    any::Any,
    path::Path,
    sync::{Arc, mpsc},
};

use fjall::AbstractTree as _;
use parking_lot::Mutex;

use super::{Batch, Column, Direction, EngineMemory, KeyRange, Kv, KvIter, Op};
use crate::StorageError;

fn backend(op: &'static str) -> impl FnOnce(fjall::Error) -> StorageError {
    move |err| StorageError::Backend {
        op,
        reason: err.to_string(),
    }
}

/// Bounds on what the on-disk engine keeps in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineLimits {
    /// Capacity of the block cache (table blocks read from disk).
    pub cache_bytes: u64,
    /// Most write-ahead journal kept on disk. Writes stay in memory tables until flushed,
    /// and a flush is forced on the columns holding the oldest journal once the journal
    /// passes this size, so it bounds the memory tables too. At least 64 MiB.
    pub journal_bytes: u64,
}

impl EngineLimits {
    /// The smallest journal limit the engine accepts.
    pub const JOURNAL_BYTES_MIN: u64 = 64 * MIB;
}

impl Default for EngineLimits {
    fn default() -> Self {
        Self {
            cache_bytes: 32 * MIB,
            journal_bytes: 512 * MIB,
        }
    }
}

const MIB: u64 = 1024 * 1024;

/// Largest memory table of a state column (tree nodes, versioned and latest values),
/// written thousands of keys per block: fewer, larger flushes keep compaction cheap.
const STATE_MEMTABLE_BYTES: u64 = 64 * MIB;

/// Largest memory table of every other column. The slow ones (headers, blooms,
/// certificates: a few hundred bytes a block) would otherwise hold their writes in
/// memory for hours; the per-transaction ones (blocks, receipts, tx locations) are
/// written in key order or are small, so flushing them more often costs little
/// compaction.
const OTHER_MEMTABLE_BYTES: u64 = 16 * MIB;

/// Niceness of the engine's background threads: fjall's workers (flushes, compactions,
/// memory-table rotations) and the store's memory-table freeing thread. A flush of a
/// 64 MiB state table takes seconds of CPU; at normal priority it takes the cores from
/// consensus, execution and commits, and block latency spikes while it runs. At this
/// niceness it runs in the time they leave (as RocksDB's low-priority thread pool does).
const BACKGROUND_NICE: i32 = 10;

/// The ids of this process's threads named `name` (as the kernel keeps a thread's
/// name: its first 15 bytes).
#[cfg(target_os = "linux")]
fn threads_named(name: &str) -> Vec<libc::id_t> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|comm| comm.trim_end() == name)
        })
        .filter_map(|task| task.file_name().to_str()?.parse().ok())
        .collect()
}

/// Lowers the priority of fjall's worker threads in this process (fjall names them
/// `fjall:worker` and starts them when a database opens). Linux only; elsewhere a
/// no-op. Returns how many threads it lowered.
#[cfg(target_os = "linux")]
fn lower_engine_threads() -> usize {
    threads_named("fjall:worker")
        .into_iter()
        .filter(|&tid| lower_thread(tid))
        .count()
}

#[cfg(not(target_os = "linux"))]
fn lower_engine_threads() -> usize {
    0
}

/// Sets thread `tid`'s niceness to [`BACKGROUND_NICE`]; `false` if that failed (the
/// thread ended, say).
#[cfg(target_os = "linux")]
fn lower_thread(tid: libc::id_t) -> bool {
    // SAFETY: setpriority reads only its integer arguments; on Linux, PRIO_PROCESS with
    // a thread id sets that one thread's niceness (raising niceness needs no privilege).
    unsafe { libc::setpriority(libc::PRIO_PROCESS, tid, BACKGROUND_NICE) == 0 }
}

/// Lowers the calling thread's priority to [`BACKGROUND_NICE`].
fn lower_current_thread() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        if let Ok(tid) = libc::id_t::try_from(tid) {
            lower_thread(tid);
        }
    }
}

/// The on-disk engine: one fjall keyspace per [`Column`], batches fsynced on commit.
pub struct FjallKv {
    db: fjall::Database,
    /// Indexed by [`Column::index`].
    columns: Vec<fjall::Keyspace>,
    memtables: Mutex<MemtableKeeper>,
}

/// A memory table held by the keeper, type-erased (fjall does not export the type).
type HeldMemtable = Arc<dyn Any + Send + Sync>;

/// Frees fjall's memory tables on a thread of its own, off the commit path.
///
/// fjall (3.1) frees a flushed memory table when it drops the last old version of its
/// column, which it does while holding that column's version lock, during the next
/// memory-table rotation of any column. A commit writing into that column waits until
/// the table (up to 64 MiB: hundreds of thousands of entries) is freed. The keeper
/// holds one more reference to every memory table it has seen, so fjall's drop is only
/// a count decrement, and hands a table to its freeing thread once it is the last
/// holder: it holds a table no longer than fjall does, plus one write.
struct MemtableKeeper {
    /// Per column (indexed by [`Column::index`]): the id of the active table last seen.
    active: Vec<Option<u64>>,
    /// Tables seen, not yet released by fjall.
    held: Vec<HeldMemtable>,
    /// To the freeing thread; `None` if it could not be started (tables are then freed
    /// inline, off fjall's locks all the same).
    free: Option<mpsc::Sender<HeldMemtable>>,
}

impl MemtableKeeper {
    fn new(columns: usize) -> Self {
        let (sender, receiver) = mpsc::channel::<HeldMemtable>();
        let free = std::thread::Builder::new()
            .name("entente-memtable-free".into())
            .spawn(move || {
                lower_current_thread();
                for table in receiver {
                    drop(table);
                    // A worker that had not named itself yet when the database opened
                    // was missed then; a flush has run since, so it has now.
                    lower_engine_threads();
                }
            })
            .ok()
            .map(|_| sender);
        Self {
            active: vec![None; columns],
            held: Vec::new(),
            free,
        }
    }

    /// Takes a reference to each column's active table if it is new, and frees those
    /// fjall has let go of.
    fn observe(&mut self, columns: &[fjall::Keyspace]) {
        for (seen, keyspace) in self.active.iter_mut().zip(columns) {
            let table = keyspace.tree.active_memtable();
            if *seen != Some(table.id()) {
                *seen = Some(table.id());
                self.held.push(table);
            }
        }
        let (released, held): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|table| Arc::strong_count(table) == 1);
        self.held = held;
        if let Some(free) = &self.free {
            for table in released {
                // A refused send (the thread is gone) hands the table back: freed here.
                let _ = free.send(table);
            }
        }
    }
}

impl FjallKv {
    /// Opens (or creates) the database in `dir` with the default limits, recovering from
    /// fjall's journal whatever an earlier process durably wrote. Fails if another process
    /// holds the directory.
    pub fn open(dir: &Path) -> Result<Self, StorageError> {
        Self::open_with(dir, EngineLimits::default())
    }

    /// [`FjallKv::open`] with explicit memory limits.
    pub fn open_with(dir: &Path, limits: EngineLimits) -> Result<Self, StorageError> {
        if limits.journal_bytes < EngineLimits::JOURNAL_BYTES_MIN {
            return Err(StorageError::Backend {
                op: "open database",
                reason: format!(
                    "journal limit {} bytes is below the engine's minimum of {}",
                    limits.journal_bytes,
                    EngineLimits::JOURNAL_BYTES_MIN
                ),
            });
        }
        let db = fjall::Database::builder(dir)
            .cache_size(limits.cache_bytes)
            .max_journaling_size(limits.journal_bytes)
            .open()
            .map_err(backend("open database"))?;
        let mut columns = Vec::with_capacity(Column::ALL.len());
        for column in Column::ALL {
            let keyspace = db
                .keyspace(column.name(), || {
                    // Kept by fjall with the keyspace: a database created before one of
                    // these settings keeps what it was created with (one created before
                    // the partitioning below still works, and keeps pinning whole
                    // filters and indexes in those columns).
                    let memtable = match column {
                        Column::Nodes | Column::Values | Column::Latest => STATE_MEMTABLE_BYTES,
                        _ => OTHER_MEMTABLE_BYTES,
                    };
                    let options =
                        fjall::KeyspaceCreateOptions::default().max_memtable_size(memtable);
                    // fjall pins a new table's whole filter and block index in memory
                    // (~1 MiB for a 64 MiB table of tree nodes), and a table moved down
                    // keeps them: in a column written in key order that memory grew with
                    // the data (~5 MB a minute at saturation). Partitioned, a table
                    // pins only the top level of each and reads the partitions through
                    // the block cache.
                    if column.keys_ascend() {
                        let partitioned = fjall::config::PartitioningPolicy::all(true);
                        options
                            .index_block_partitioning_policy(partitioned.clone())
                            .filter_block_partitioning_policy(partitioned)
                    } else {
                        options
                    }
                })
                .map_err(backend("open keyspace"))?;
            columns.push(keyspace);
        }
        let lowered = lower_engine_threads();
        tracing::debug!(
            threads = lowered,
            nice = BACKGROUND_NICE,
            "engine threads lowered"
        );
        let memtables = Mutex::new(MemtableKeeper::new(columns.len()));
        Ok(Self {
            db,
            columns,
            memtables,
        })
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
        writes.commit().map_err(backend("commit batch"))?;
        self.memtables.lock().observe(&self.columns);
        Ok(())
    }

    fn memory(&self) -> Result<Option<EngineMemory>, StorageError> {
        Ok(Some(EngineMemory {
            write_buffer_bytes: self.db.write_buffer_size(),
            journal_bytes: self
                .db
                .journal_disk_space()
                .map_err(backend("journal size"))?,
            block_cache_bytes: self.db.cache_size(),
            block_cache_capacity_bytes: self.db.cache_capacity(),
            pinned_bytes: self
                .columns
                .iter()
                .map(|keyspace| {
                    keyspace.tree.pinned_filter_size() + keyspace.tree.pinned_block_index_size()
                })
                .sum::<usize>() as u64,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(kv: &FjallKv, column: Column, key: u32) {
        let mut batch = Batch::new();
        batch.put(column, key.to_be_bytes().to_vec(), vec![7; 600]);
        kv.write(batch).unwrap();
    }

    /// The niceness of thread `tid` of this process (field 19 of its stat line).
    #[cfg(target_os = "linux")]
    fn nice(tid: libc::id_t) -> Option<i32> {
        let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
        // The command name (field 2) is in parentheses and may hold spaces.
        let after_name = &stat[stat.rfind(')')? + 2..];
        after_name.split(' ').nth(16)?.parse().ok()
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn background_threads_run_at_low_priority() {
        let dir = tempfile::tempdir().unwrap();
        let kv = FjallKv::open(dir.path()).unwrap();
        let names = ["fjall:worker", "entente-memtabl"];
        // A new thread names itself as it starts, and the freeing thread then lowers
        // itself; every open, and every table freed, lowers every fjall worker of the
        // process (those of a database another test opens at this moment included).
        // So all of them get there, soon.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let missing: Vec<_> = names
                .iter()
                .filter(|name| threads_named(name).is_empty())
                .collect();
            let normal: Vec<_> = names
                .iter()
                .flat_map(|name| threads_named(name))
                .filter(|&tid| nice(tid).is_some_and(|nice| nice != BACKGROUND_NICE))
                .collect();
            if missing.is_empty() && normal.is_empty() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "threads missing: {missing:?}; threads {normal:?} kept their priority"
            );
            // Drives a flush and a free, after which missed workers are lowered too.
            put(&kv, Column::Meta, 1);
            kv.column(Column::Meta).rotate_memtable_and_wait().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// The tables of a column written in key order (moved down whole, never merged) pin
    /// only the top levels of their filters and indexes; a column written in random
    /// order keeps the engine's default of pinning a fresh table's whole filter and index.
    #[test]
    fn tables_written_in_key_order_pin_only_the_top_of_their_filters_and_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let kv = FjallKv::open(dir.path()).unwrap();
        assert!(Column::Nodes.keys_ascend() && !Column::Values.keys_ascend());
        for column in [Column::Nodes, Column::Values] {
            for key in 0..2_000 {
                put(&kv, column, key);
            }
            kv.column(column).rotate_memtable_and_wait().unwrap();
            assert_eq!(kv.column(column).tree.table_count(), 1, "{column:?}");
        }
        let tree = |column: Column| &kv.column(column).tree;
        assert!(tree(Column::Values).pinned_filter_size() > 0);
        assert_eq!(tree(Column::Nodes).pinned_filter_size(), 0);
        let (ordered, random) = (
            tree(Column::Nodes).pinned_block_index_size(),
            tree(Column::Values).pinned_block_index_size(),
        );
        assert!(
            ordered * 4 < random,
            "{ordered} vs {random} bytes of index pinned"
        );
        // Both still read back.
        for column in [Column::Nodes, Column::Values] {
            assert_eq!(
                kv.get(column, &1_999u32.to_be_bytes()).unwrap(),
                Some(vec![7; 600])
            );
        }
        assert!(kv.memory().unwrap().unwrap().pinned_bytes > 0);
    }

    #[test]
    fn memory_tables_are_let_go_once_fjall_is_done_with_them() {
        let dir = tempfile::tempdir().unwrap();
        let kv = FjallKv::open(dir.path()).unwrap();
        let columns = kv.columns.len();
        for round in 0..30u32 {
            for key in 0..50 {
                put(&kv, Column::Nodes, round * 100 + key);
            }
            put(&kv, Column::Meta, round);
            // Flushed to a table and sealed: fjall drops its references to the old memory
            // table at a later rotation.
            for column in [Column::Nodes, Column::Meta] {
                kv.column(column).rotate_memtable_and_wait().unwrap();
            }
            let held = kv.memtables.lock().held.len();
            assert!(
                held <= columns + 4,
                "round {round}: {held} memory tables held, fjall let go of most of them"
            );
        }
        // Everything written is still read back, from the flushed tables.
        for round in 0..30u32 {
            assert_eq!(
                kv.get(Column::Nodes, &(round * 100 + 49).to_be_bytes())
                    .unwrap(),
                Some(vec![7; 600])
            );
        }
    }
}

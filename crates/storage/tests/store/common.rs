//! Engines, a counting engine wrapper, and a small chain builder.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
};

use alloy_primitives::{Address, B256, Bytes, Log, U256, keccak256};
use entente_primitives::{Block, BlockCodec, Header, Receipt, b256_to_digest};
use entente_storage::{
    Account, Batch, BlockCommit, Column, CommitOutcome, Direction, FjallKv, KeyRange, Kv, KvIter,
    MemoryKv, StateBase, StateDiff, StorageError, Store, TreeDelta,
};
use tempfile::TempDir;

pub const CODEC: BlockCodec = BlockCodec {
    txs_max: 1000,
    txs_bytes_max: 1 << 20,
};

/// Runs each named scenario (a `fn(&Engine)`) once per engine.
macro_rules! on_both_engines {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[test]
            fn memory() {
                super::$scenario(&crate::common::Engine::memory());
            }

            #[test]
            fn fjall() {
                super::$scenario(&crate::common::Engine::fjall());
            }
        }
    )*};
}
pub(crate) use on_both_engines;

/// Where a node's data lives; a store opened again on it is a restarted node.
pub enum Engine {
    Memory(MemoryKv),
    Fjall(TempDir),
}

impl Engine {
    pub fn memory() -> Self {
        Engine::Memory(MemoryKv::new())
    }

    pub fn fjall() -> Self {
        Engine::Fjall(tempfile::tempdir().unwrap())
    }

    /// Opens a store on the data. For fjall, any earlier store must have been dropped.
    pub fn open(&self) -> Store {
        self.open_counted().0
    }

    /// Opens a store whose engine calls are counted.
    pub fn open_counted(&self) -> (Store, Arc<CountingKv>) {
        let kv = self.raw();
        (Store::from_kv(kv.clone(), CODEC).unwrap(), kv)
    }

    /// The engine itself, to write what a store never would.
    pub fn raw(&self) -> Arc<CountingKv> {
        let kv: Arc<dyn Kv> = match self {
            Engine::Memory(kv) => Arc::new(kv.clone()),
            Engine::Fjall(dir) => Arc::new(FjallKv::open(dir.path()).unwrap()),
        };
        Arc::new(CountingKv::new(kv))
    }
}

/// Counts engine calls per column, and can fail writes on demand.
pub struct CountingKv {
    inner: Arc<dyn Kv>,
    gets: Vec<AtomicUsize>,
    iters: Vec<AtomicUsize>,
    puts: Vec<AtomicUsize>,
    writes: AtomicUsize,
    fail_writes: AtomicBool,
}

impl CountingKv {
    fn new(inner: Arc<dyn Kv>) -> Self {
        let counters = || {
            (0..Column::ALL.len())
                .map(|_| AtomicUsize::new(0))
                .collect()
        };
        Self {
            inner,
            gets: counters(),
            iters: counters(),
            puts: counters(),
            writes: AtomicUsize::new(0),
            fail_writes: AtomicBool::new(false),
        }
    }

    pub fn gets(&self, column: Column) -> usize {
        self.gets[column.index()].load(Ordering::Relaxed)
    }

    pub fn iters(&self, column: Column) -> usize {
        self.iters[column.index()].load(Ordering::Relaxed)
    }

    pub fn puts(&self, column: Column) -> usize {
        self.puts[column.index()].load(Ordering::Relaxed)
    }

    pub fn total_gets(&self) -> usize {
        Column::ALL.iter().map(|c| self.gets(*c)).sum()
    }

    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::Relaxed)
    }

    pub fn reset(&self) {
        for counter in self.gets.iter().chain(&self.iters).chain(&self.puts) {
            counter.store(0, Ordering::Relaxed);
        }
        self.writes.store(0, Ordering::Relaxed);
    }

    /// While set, every write fails before reaching the engine (a crash mid-commit).
    pub fn fail_writes(&self, fail: bool) {
        self.fail_writes.store(fail, Ordering::Relaxed);
    }
}

impl Kv for CountingKv {
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.gets[column.index()].fetch_add(1, Ordering::Relaxed);
        self.inner.get(column, key)
    }

    fn iter(&self, column: Column, range: KeyRange, direction: Direction) -> KvIter<'_> {
        self.iters[column.index()].fetch_add(1, Ordering::Relaxed);
        self.inner.iter(column, range, direction)
    }

    fn write(&self, batch: Batch) -> Result<(), StorageError> {
        if self.fail_writes.load(Ordering::Relaxed) {
            return Err(StorageError::Backend {
                op: "commit batch",
                reason: "injected failure".into(),
            });
        }
        self.writes.fetch_add(1, Ordering::Relaxed);
        for column in Column::ALL {
            self.puts[column.index()].fetch_add(batch.puts_into(column), Ordering::Relaxed);
        }
        self.inner.write(batch)
    }
}

pub fn addr(i: u64) -> Address {
    Address::left_padding_from(&i.to_be_bytes())
}

pub fn account(balance: u64) -> Account {
    Account {
        nonce: balance % 5,
        balance: U256::from(balance),
        ..Account::default()
    }
}

/// A diff setting `(address, balance)` accounts (balance 0 deletes) and
/// `(address, slot, value)` slots.
pub fn diff_with(accounts: &[(u64, u64)], slots: &[(u64, u64, u64)]) -> StateDiff {
    let mut diff = StateDiff::default();
    for (a, balance) in accounts {
        let value = (*balance != 0).then(|| account(*balance));
        diff.accounts.insert(addr(*a), value);
    }
    for (a, slot, value) in slots {
        diff.storage
            .entry(addr(*a))
            .or_default()
            .insert(U256::from(*slot), U256::from(*value));
    }
    diff
}

/// A diff that also deploys `code` at account `a`.
pub fn deploy(a: u64, code: &[u8]) -> StateDiff {
    let code_hash = keccak256(code);
    let mut diff = StateDiff::default();
    diff.accounts.insert(
        addr(a),
        Some(Account {
            code_hash,
            ..account(1)
        }),
    );
    diff.codes.insert(code_hash, Bytes::copy_from_slice(code));
    diff
}

pub fn receipt(tag: u64, logs: Vec<Log>) -> Receipt {
    Receipt {
        tx_hash: keccak256(tag.to_be_bytes()),
        tx_type: 2,
        success: true,
        from: addr(1),
        to: Some(addr(2)),
        contract_address: None,
        gas_used: 21_000,
        cumulative_gas_used: 21_000,
        effective_gas_price: 0,
        logs,
        output: Bytes::new(),
    }
}

/// A block at `height` on `parent` (zero digest for genesis) committing to `state_root`,
/// with one fake transaction per receipt.
pub fn make_block(parent: Option<&Block>, state_root: B256, receipts: &[Receipt]) -> Block {
    let txs = receipts
        .iter()
        .map(|r| Bytes::copy_from_slice(r.tx_hash.as_slice()))
        .collect();
    Block::new(
        Header {
            parent: b256_to_digest(&parent.map_or(B256::ZERO, Block::hash)),
            height: parent.map_or(0, |p| p.header.height + 1),
            timestamp_ms: parent.map_or(1_000, |p| p.header.timestamp_ms + 1_000),
            proposer: Address::ZERO,
            gas_limit: 30_000_000,
            gas_used: 0,
            base_fee: 0,
            tx_root: B256::ZERO,
            receipts_root: B256::ZERO,
            state_root,
            extra: B256::ZERO,
        },
        txs,
    )
}

/// An executed block, ready to commit.
pub struct Executed {
    pub block: Block,
    pub receipts: Vec<Receipt>,
    pub diff: StateDiff,
    pub tree: TreeDelta,
}

impl Executed {
    pub fn commit(&self, store: &Store) -> Result<CommitOutcome, StorageError> {
        store.commit(BlockCommit {
            block: &self.block,
            receipts: &self.receipts,
            diff: &self.diff,
            tree: &self.tree,
            finalization: Some(Bytes::from(
                format!("cert {}", self.block.header.height).into_bytes(),
            )),
        })
    }
}

/// Executes `diff` as the child of `parent` on `base` (without committing).
pub fn execute(
    store: &Store,
    base: &StateBase,
    parent: Option<&Block>,
    diff: StateDiff,
    receipts: Vec<Receipt>,
) -> Executed {
    let (root, tree) = store.state_root_after(base, &diff).unwrap();
    Executed {
        block: make_block(parent, root, &receipts),
        receipts,
        diff,
        tree,
    }
}

/// Executes and commits `diff` on the committed head (genesis into an empty store).
pub fn commit_next(store: &Store, diff: StateDiff, receipts: Vec<Receipt>) -> Block {
    let head = store.head().unwrap();
    let parent = head.map(|h| store.block(h.height).unwrap().unwrap());
    let base = StateBase {
        committed: head.map(|h| h.height),
        pending: None,
    };
    let executed = execute(store, &base, parent.as_ref(), diff, receipts);
    assert_eq!(executed.commit(store).unwrap(), CommitOutcome::Committed);
    executed.block
}

/// The state a model expects: accounts and non-zero slots.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Model {
    pub accounts: BTreeMap<Address, Account>,
    pub slots: BTreeMap<(Address, U256), U256>,
}

impl Model {
    pub fn apply(&mut self, diff: &StateDiff) {
        for (address, account) in &diff.accounts {
            match account {
                Some(account) => self.accounts.insert(*address, *account),
                None => self.accounts.remove(address),
            };
        }
        for (address, slots) in &diff.storage {
            for (slot, value) in slots {
                if value.is_zero() {
                    self.slots.remove(&(*address, *slot));
                } else {
                    self.slots.insert((*address, *slot), *value);
                }
            }
        }
    }

    /// Checks `view` against the model on accounts and slots `0..keys`.
    pub fn check(&self, view: &impl entente_storage::StateView, keys: u64) {
        for i in 0..keys {
            let address = addr(i);
            assert_eq!(
                view.account(&address).unwrap(),
                self.accounts.get(&address).copied()
            );
            for slot in 0..4u64 {
                let slot = U256::from(slot);
                let expected = self
                    .slots
                    .get(&(address, slot))
                    .copied()
                    .unwrap_or_default();
                assert_eq!(view.storage(&address, &slot).unwrap(), expected);
            }
        }
    }
}

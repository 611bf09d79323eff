//! The node's store: blocks, receipts, indexes, logs blooms, finalisation certificates
//! and the versioned authenticated state, written for each block in one atomic, durable
//! batch ([`Store::commit`]).
//!
//! Shared by the consensus committer (the only writer), block execution and the RPC
//! server: [`Store`] is a cheap handle (an `Arc`) and every method takes `&self`. Commits
//! are serialised by a lock; reads never wait for one.
//!
//! # Layout
//! Columns (see [`Column`]); heights and versions are 8-byte big-endian, so keys sort in
//! chain order:
//!
//! | column          | key                   | value                                  |
//! |-----------------|-----------------------|----------------------------------------|
//! | `meta`          | `"head"`              | height ‖ hash ‖ state root ‖ time (ms) |
//! | `meta`          | `"schema"`            | schema version (4, BE)                 |
//! | `headers`       | height                | header (primitives encoding)           |
//! | `blocks`        | height                | block (commonware codec)               |
//! | `receipts`      | height ‖ tx index (4) | receipt (commonware codec)             |
//! | `block_hashes`  | block hash            | height                                 |
//! | `txs`           | tx hash               | height ‖ tx index (4)                  |
//! | `blooms`        | height                | logs bloom (256)                       |
//! | `finalizations` | height                | certificate (opaque)                   |
//! | `codes`         | code hash             | code                                   |
//! | `values`        | key hash ‖ version    | tagged value (see [`crate::commitment`]) |
//! | `latest`        | key hash              | version ‖ tagged value                 |
//! | `nodes`         | version ‖ path prefix | tree nodes (see [`crate::commitment`]) |
//!
//! Blocks read back from disk are decoded with the [`BlockCodec`] given at open; it must
//! be at least as generous as the limits the chain accepted the blocks under (a node
//! passes its chain spec's limits).

mod commit;
mod keys;
mod logs;
mod speculative;

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use alloy_primitives::{Address, B256, Bytes, U256};
use commonware_codec::Decode as _;
use entente_primitives::{Block, BlockCodec, Header, Receipt, digest_to_b256};
use parking_lot::Mutex;

use self::keys::{HEAD_KEY, SCHEMA_KEY, SCHEMA_VERSION, height_key, receipt_key};
pub use self::{
    commit::{BlockCommit, CommitOutcome},
    logs::{LogEntry, LogFilter},
    speculative::{PendingState, StateAt, StateBase},
};
use crate::{
    StateProof, StorageError, TreeDelta,
    commitment::{
        account_preimage,
        cache::{LATEST_CACHE_KEYS, LatestCache},
        proof::prove,
        storage_preimage,
    },
    kv::{Column, Direction, EngineLimits, EngineMemory, FjallKv, KeyRange, Kv, MemoryKv},
};

/// Block decoding limits of [`Store::in_memory`]: far above any chain's block limits,
/// yet bounded, so a corrupt length cannot ask for an absurd allocation.
pub const IN_MEMORY_CODEC: BlockCodec = BlockCodec {
    txs_max: 1 << 20,
    txs_bytes_max: 1 << 30,
};

/// The committed head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainHead {
    pub height: u64,
    pub hash: B256,
    pub state_root: B256,
    pub timestamp_ms: u64,
}

/// Where a committed transaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxLocation {
    pub height: u64,
    pub index: u32,
}

/// The store. Cheap to clone; safe to share between threads.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    kv: Arc<dyn Kv>,
    codec: BlockCodec,
    /// Serialises commits (and late certificates) so the head cannot move between a
    /// commit's checks and its write.
    commit_lock: Mutex<()>,
    /// Committed height + 1 (0 before genesis), as last seen by this handle: lets state
    /// reads check their version without a disk read. Refreshed from disk on a miss, so
    /// a second handle on the same engine never rejects a version that is committed.
    committed_len: AtomicU64,
    /// The tree changes of the last few committed versions, newest last: the next
    /// blocks rewrite mostly the nodes these wrote, so those are read from memory.
    recent_trees: parking_lot::RwLock<std::collections::VecDeque<TreeDelta>>,
    /// The newest committed values of recently used state keys.
    latest: LatestCache,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("codec", &self.inner.codec)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (or creates) the on-disk store in `dir`. Blocks read back are decoded with
    /// `codec`'s limits.
    pub fn open(dir: &Path, codec: BlockCodec) -> Result<Self, StorageError> {
        Self::open_with(dir, codec, EngineLimits::default())
    }

    /// [`Store::open`] with explicit limits on the engine's memory.
    pub fn open_with(
        dir: &Path,
        codec: BlockCodec,
        limits: EngineLimits,
    ) -> Result<Self, StorageError> {
        Self::from_kv(Arc::new(FjallKv::open_with(dir, limits)?), codec)
    }

    /// An empty store in memory (tests; computing genesis without a data folder).
    pub fn in_memory() -> Self {
        Self::with_kv(Arc::new(MemoryKv::new()), IN_MEMORY_CODEC, None)
    }

    /// A store over any engine, e.g. a [`MemoryKv`] shared with an earlier store to
    /// simulate a restart.
    pub fn from_kv(kv: Arc<dyn Kv>, codec: BlockCodec) -> Result<Self, StorageError> {
        if let Some(bytes) = kv.get(Column::Meta, SCHEMA_KEY)? {
            let found = keys::be_u32(&bytes, "schema version")?;
            if found != SCHEMA_VERSION {
                return Err(StorageError::Schema {
                    expected: SCHEMA_VERSION,
                    found,
                });
            }
        }
        let head = read_head(kv.as_ref())?;
        Ok(Self::with_kv(kv, codec, head))
    }

    fn with_kv(kv: Arc<dyn Kv>, codec: BlockCodec, head: Option<ChainHead>) -> Self {
        Self {
            inner: Arc::new(Inner {
                kv,
                codec,
                commit_lock: Mutex::new(()),
                committed_len: AtomicU64::new(head.map_or(0, |h| h.height + 1)),
                recent_trees: parking_lot::RwLock::new(std::collections::VecDeque::new()),
                latest: LatestCache::new(LATEST_CACHE_KEYS),
            }),
        }
    }

    pub(crate) fn kv(&self) -> &dyn Kv {
        self.inner.kv.as_ref()
    }

    /// The engine's memory figures (`None` for the in-memory engine).
    pub fn engine_memory(&self) -> Result<Option<EngineMemory>, StorageError> {
        self.kv().memory()
    }

    /// State keys whose newest value is cached in memory (a bounded cache).
    pub fn state_cache_keys(&self) -> usize {
        self.inner.latest.len()
    }

    /// The committed head, or `None` before genesis.
    pub fn head(&self) -> Result<Option<ChainHead>, StorageError> {
        read_head(self.kv())
    }

    /// Fails unless state `version` is committed (every committed version is kept).
    pub(crate) fn ensure_committed(&self, version: u64) -> Result<(), StorageError> {
        if version < self.inner.committed_len.load(Ordering::Acquire) {
            return Ok(());
        }
        let head = self.head()?;
        let len = head.map_or(0, |h| h.height + 1);
        self.inner.committed_len.fetch_max(len, Ordering::AcqRel);
        if version < len {
            return Ok(());
        }
        Err(StorageError::VersionUnavailable {
            version,
            earliest: 0,
            latest: head.map(|h| h.height),
        })
    }

    /// The header of the committed block at `height`.
    pub fn header(&self, height: u64) -> Result<Option<Header>, StorageError> {
        let Some(bytes) = self.kv().get(Column::Headers, &height_key(height))? else {
            return Ok(None);
        };
        Header::decode_cfg(alloy_primitives::bytes::Bytes::from(bytes), &())
            .map(Some)
            .map_err(|err| StorageError::corrupt("header", err))
    }

    /// The hash of the committed block at `height`, without reading its transactions.
    pub fn block_hash(&self, height: u64) -> Result<Option<B256>, StorageError> {
        Ok(self
            .header(height)?
            .map(|header| digest_to_b256(&header.digest())))
    }

    /// The committed block at `height`.
    pub fn block(&self, height: u64) -> Result<Option<Block>, StorageError> {
        let Some(bytes) = self.kv().get(Column::Blocks, &height_key(height))? else {
            return Ok(None);
        };
        Block::decode_cfg(
            alloy_primitives::bytes::Bytes::from(bytes),
            &self.inner.codec,
        )
        .map(Some)
        .map_err(|err| StorageError::corrupt("block", err))
    }

    /// The height of the committed block with this hash.
    pub fn height_of(&self, hash: &B256) -> Result<Option<u64>, StorageError> {
        match self.kv().get(Column::BlockHashes, hash.as_slice())? {
            Some(bytes) => keys::be_u64(&bytes, "block hash index").map(Some),
            None => Ok(None),
        }
    }

    /// The committed block with this hash.
    pub fn block_by_hash(&self, hash: &B256) -> Result<Option<Block>, StorageError> {
        match self.height_of(hash)? {
            Some(height) => self.block(height),
            None => Ok(None),
        }
    }

    /// The receipts of the committed block at `height`, in transaction order (`None`
    /// when no block is committed there).
    pub fn receipts(&self, height: u64) -> Result<Option<Vec<Receipt>>, StorageError> {
        if self
            .kv()
            .get(Column::Headers, &height_key(height))?
            .is_none()
        {
            return Ok(None);
        }
        let range = KeyRange::prefix(&height_key(height));
        let mut receipts = Vec::new();
        for entry in self.kv().iter(Column::Receipts, range, Direction::Forward) {
            let (key, bytes) = entry?;
            if key != receipt_key(height, receipts.len() as u32) {
                return Err(StorageError::corrupt(
                    "receipts",
                    "indexes are not contiguous",
                ));
            }
            receipts.push(decode_receipt(bytes)?);
        }
        Ok(Some(receipts))
    }

    /// One receipt of the committed block at `height`.
    pub fn receipt(&self, height: u64, index: u32) -> Result<Option<Receipt>, StorageError> {
        match self
            .kv()
            .get(Column::Receipts, &receipt_key(height, index))?
        {
            Some(bytes) => decode_receipt(bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Where the committed transaction with this hash is.
    pub fn tx_location(&self, hash: &B256) -> Result<Option<TxLocation>, StorageError> {
        match self.kv().get(Column::Txs, hash.as_slice())? {
            Some(bytes) => keys::decode_tx_location(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// The finalisation certificate of the block at `height`, if the store has one.
    pub fn finalization(&self, height: u64) -> Result<Option<Bytes>, StorageError> {
        Ok(self
            .kv()
            .get(Column::Finalizations, &height_key(height))?
            .map(Bytes::from))
    }

    /// The first finalisation certificate stored for a height in `height..=height +
    /// span`, with that height: the block's own certificate, or else the nearest
    /// descendant's, which proves the block final through the parent links between them.
    pub fn finalization_from(
        &self,
        height: u64,
        span: u64,
    ) -> Result<Option<(u64, Bytes)>, StorageError> {
        let range = KeyRange::inclusive(
            &height_key(height),
            &height_key(height.saturating_add(span)),
        );
        let Some(entry) = self
            .kv()
            .iter(Column::Finalizations, range, Direction::Forward)
            .next()
        else {
            return Ok(None);
        };
        let (key, bytes) = entry?;
        let certified = <[u8; 8]>::try_from(&key[..])
            .map(u64::from_be_bytes)
            .map_err(|_| StorageError::corrupt("finalizations", "key is not a height"))?;
        Ok(Some((certified, Bytes::from(bytes))))
    }

    /// Committed code by its Keccak-256 hash.
    pub fn code(&self, hash: &B256) -> Result<Option<Bytes>, StorageError> {
        Ok(self
            .kv()
            .get(Column::Codes, hash.as_slice())?
            .map(Bytes::from))
    }

    /// A proof of the value of the state key with this preimage in the state committed
    /// at `version` (see [`crate::commitment::proof`] for the format).
    pub fn proof(&self, version: u64, preimage: &[u8]) -> Result<StateProof, StorageError> {
        self.ensure_committed(version)?;
        prove(self.kv(), version, preimage)
    }

    /// [`Store::proof`] for an account.
    pub fn account_proof(
        &self,
        version: u64,
        address: &Address,
    ) -> Result<StateProof, StorageError> {
        self.proof(version, &account_preimage(address))
    }

    /// [`Store::proof`] for a storage slot.
    pub fn storage_proof(
        &self,
        version: u64,
        address: &Address,
        slot: &U256,
    ) -> Result<StateProof, StorageError> {
        self.proof(version, &storage_preimage(address, slot))
    }
}

fn read_head(kv: &dyn Kv) -> Result<Option<ChainHead>, StorageError> {
    match kv.get(Column::Meta, HEAD_KEY)? {
        Some(bytes) => keys::decode_head(&bytes).map(Some),
        None => Ok(None),
    }
}

fn decode_receipt(bytes: Vec<u8>) -> Result<Receipt, StorageError> {
    Receipt::decode_cfg(alloy_primitives::bytes::Bytes::from(bytes), &())
        .map_err(|err| StorageError::corrupt("receipt", err))
}

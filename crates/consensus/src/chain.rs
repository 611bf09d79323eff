//! The chain: building, verifying, executing and committing blocks.
//!
//! Everything here is synchronous and deterministic; the consensus glue (`app`,
//! `finalizer`) decides *when* to call it and on which runtime thread. That keeps the
//! block rules testable without a network.
//!
//! Blocks executed but not yet finalised are kept as [`Executed`] entries keyed by
//! digest: each holds the state after the block as a pending layer on top of its parent,
//! so a child can be built or verified before its parent is committed.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256, Bytes, keccak256};
use commonware_cryptography::{Digestible as _, ed25519};
use entente_chainspec::ChainSpec;
use entente_execution::{BlockBuilder, BlockEnv, BlockHashes, SystemModules};
use entente_primitives::{
    Block, BlockCodec, BlockDigest, Header, Receipt, RecoveredTx, merkle_root,
};
use entente_storage::{
    BlockCommit, CommitOutcome, PendingState, StateBase, StateDiff, StateView as _, Store,
    TreeDelta,
};
use entente_txpool::TxPool;
use parking_lot::Mutex;
use tracing::{debug, warn};

use crate::ChainError;

/// Most descendant headers a finality proof may carry.
const FINALITY_PROOF_SPAN_MAX: u64 = 4_096;

/// Local block-production tuning (not consensus-critical).
#[derive(Clone, Debug)]
pub struct ChainConfig {
    /// Shortest interval between a parent's timestamp and its child's.
    pub block_interval_min_ms: u64,
    /// How long a leader with an empty pool waits for a transaction before proposing an
    /// empty block anyway.
    pub empty_block_wait_ms: u64,
    /// How far ahead of local time a block's timestamp may be.
    pub timestamp_skew_max_ms: u64,
    /// Longest a proposer takes, from the request for a proposal, to fill a block
    /// (wall-clock; deliberate pacing not counted); the block is closed with what fits.
    /// `None`: no limit (the block's size limits only). A proposal must reach the other
    /// validators within their leader timeout, so the node sets this well below it.
    pub build_time_max: Option<Duration>,
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self {
            block_interval_min_ms: 100,
            empty_block_wait_ms: 400,
            timestamp_skew_max_ms: 2_000,
            build_time_max: None,
        }
    }
}

/// A block this node has executed, with the state after it.
#[derive(Debug)]
pub struct Executed {
    pub block: Block,
    pub receipts: Arc<Vec<Receipt>>,
    /// The state after this block: its own pending layer on top of its parent's state.
    pub state: StateBase,
}

/// A block that has been committed, as announced to subscribers (RPC, API, tests).
#[derive(Clone, Debug)]
pub struct CommittedBlock {
    pub block: Block,
    pub receipts: Arc<Vec<Receipt>>,
}

/// Most committed-block notifications buffered for slow subscribers.
const EVENTS_BUFFER: usize = 1024;

/// A running estimate of the state root's cost per written entry (account or slot),
/// so a build budget can stop taking transactions while there is still time for the
/// root. Learnt from this node's own blocks, built or executed.
#[derive(Debug)]
struct RootCost {
    nanos_per_entry: AtomicU64,
}

impl RootCost {
    /// Before any block has been measured: about what a small state costs here.
    const INITIAL_NANOS: u64 = 10_000;
    /// Blocks writing fewer entries are dominated by the tree's fixed cost: not sampled.
    const SAMPLE_ENTRIES_MIN: usize = 1_000;

    fn estimate(&self, entries: usize) -> Duration {
        let nanos = self.nanos_per_entry.load(Ordering::Relaxed);
        Duration::from_nanos(nanos.saturating_mul(entries as u64))
    }

    /// Folds in one measured root: a quarter of the weight goes to the new sample.
    fn observe(&self, entries: usize, took: Duration) {
        if entries < Self::SAMPLE_ENTRIES_MIN {
            return;
        }
        let sample = (took.as_nanos() / entries as u128).min(u64::MAX as u128) as u64;
        let _ = self
            .nanos_per_entry
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some((old.saturating_mul(3) / 4).saturating_add(sample / 4))
            });
    }
}

impl Default for RootCost {
    fn default() -> Self {
        Self {
            nanos_per_entry: AtomicU64::new(Self::INITIAL_NANOS),
        }
    }
}

/// The shared chain state of one node.
pub struct Chain {
    spec: Arc<ChainSpec>,
    store: Store,
    pool: TxPool,
    modules: Arc<dyn SystemModules>,
    config: ChainConfig,
    codec: BlockCodec,
    pending: Mutex<HashMap<BlockDigest, Arc<Executed>>>,
    /// Blocks being executed right now, each with the lock its executor holds.
    executing: Mutex<HashMap<BlockDigest, Arc<Mutex<()>>>>,
    /// What the state root has recently cost per written entry, for the build budget.
    root_cost: RootCost,
    events: tokio::sync::broadcast::Sender<CommittedBlock>,
    /// Storage slots the transaction door read at the committed head (see
    /// [`crate::ingress`]).
    pub(crate) door_reads: Mutex<crate::ingress::HeadReads>,
}

impl Chain {
    pub fn new(
        spec: Arc<ChainSpec>,
        store: Store,
        pool: TxPool,
        modules: Arc<dyn SystemModules>,
        config: ChainConfig,
    ) -> Self {
        let codec = BlockCodec {
            txs_max: spec.limits.block_txs_max,
            txs_bytes_max: spec.limits.block_txs_bytes_max,
        };
        Self {
            spec,
            store,
            pool,
            modules,
            config,
            codec,
            pending: Mutex::new(HashMap::new()),
            executing: Mutex::new(HashMap::new()),
            root_cost: RootCost::default(),
            events: tokio::sync::broadcast::channel(EVENTS_BUFFER).0,
            door_reads: Mutex::default(),
        }
    }

    pub fn spec(&self) -> &Arc<ChainSpec> {
        &self.spec
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn pool(&self) -> &TxPool {
        &self.pool
    }

    pub fn modules(&self) -> &Arc<dyn SystemModules> {
        &self.modules
    }

    pub fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// Evidence that the committed block at `height` is final, with the height whose
    /// certificate it carries: the block's own certificate, or the nearest descendant's
    /// with the headers in between (a block finalised by ancestry, or synced by backfill,
    /// has none of its own). `None` while no certificate covers it yet (a descendant's
    /// commit is still on its way) or when nothing is committed at `height`.
    pub fn finality_proof(
        &self,
        height: u64,
    ) -> Result<Option<(u64, entente_verify::FinalityProof)>, ChainError> {
        if self.store.header(height)?.is_none() {
            return Ok(None);
        }
        let span = self
            .spec
            .consensus
            .epoch_blocks
            .min(FINALITY_PROOF_SPAN_MAX);
        let Some((certified, certificate)) = self.store.finalization_from(height, span)? else {
            return Ok(None);
        };
        let mut descendants = Vec::new();
        for h in height + 1..=certified {
            match self.store.header(h)? {
                Some(header) => descendants.push(header),
                // Certified but not yet committed here: not provable from this store yet.
                None => return Ok(None),
            }
        }
        Ok(Some((
            certified,
            entente_verify::FinalityProof {
                certificate: certificate.to_vec(),
                descendants,
            },
        )))
    }

    /// Decoding limits for blocks from peers and from disk.
    pub fn codec(&self) -> BlockCodec {
        self.codec
    }

    /// Subscribes to committed blocks, in height order.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<CommittedBlock> {
        self.events.subscribe()
    }

    /// The state after `parent`, if this node has executed or committed it.
    pub fn state_after(&self, parent: &Block) -> Result<Option<StateBase>, ChainError> {
        if let Some(executed) = self.pending.lock().get(&parent.digest()) {
            return Ok(Some(executed.state.clone()));
        }
        match self.store.height_of(&parent.hash())? {
            Some(height) => Ok(Some(StateBase::committed(height))),
            None => Ok(None),
        }
    }

    /// The fee recipient the registry (as of `parent`) records for validator `key`.
    pub fn fee_recipient(
        &self,
        parent: &Block,
        key: &ed25519::PublicKey,
    ) -> Result<Option<Address>, ChainError> {
        let base = self
            .state_after(parent)?
            .ok_or_else(|| unknown_parent(parent))?;
        let view = self.store.view(&base);
        let epoch =
            crate::epochs::epoch_of(parent.header.height + 1, self.spec.consensus.epoch_blocks);
        let members = crate::epochs::members_in(&view, epoch)?;
        Ok(members
            .into_iter()
            .find(|m| &m.key == key)
            .map(|m| m.fee_recipient))
    }

    /// The execution environment of the child of `parent`.
    fn env(&self, parent: &Header, height: u64, timestamp_ms: u64, coinbase: Address) -> BlockEnv {
        BlockEnv {
            number: height,
            timestamp_secs: timestamp_ms / 1000,
            coinbase,
            gas_limit: self.spec.gas.block_gas_limit,
            base_fee: self.spec.gas.min_gas_price,
            prevrandao: parent_hash(parent),
            chain_id: self.spec.chain_id,
        }
    }

    /// Builds a block on `parent` from the pool's best transactions.
    pub fn build(
        &self,
        parent: &Block,
        proposer: Address,
        now_ms: u64,
    ) -> Result<Arc<Executed>, ChainError> {
        let deadline = self
            .config
            .build_time_max
            .map(|budget| Instant::now() + budget);
        self.build_until(parent, proposer, now_ms, deadline, &AtomicBool::new(false))
    }

    /// [`Chain::build`] that stops adding transactions at `deadline` (at least one is
    /// taken), and gives up with [`ChainError::Abandoned`] as soon as `abandoned` is set
    /// (the view moved on and nobody wants the proposal any more), so a late build does
    /// not compete for the CPU with the next one.
    pub fn build_until(
        &self,
        parent: &Block,
        proposer: Address,
        now_ms: u64,
        deadline: Option<Instant>,
        abandoned: &AtomicBool,
    ) -> Result<Arc<Executed>, ChainError> {
        let base = self
            .state_after(parent)?
            .ok_or_else(|| unknown_parent(parent))?;
        let view = self.store.view(&base);
        let height = parent.header.height + 1;
        let timestamp_ms = now_ms.max(parent.header.timestamp_ms + 1);
        let env = self.env(&parent.header, height, timestamp_ms, proposer);
        let hashes = self.hashes(parent);
        let started = Instant::now();
        let candidates = self.pool.best(
            self.spec.limits.block_txs_max as usize,
            self.spec.limits.block_txs_bytes_max,
            &|address| {
                view.account(address)
                    .ok()
                    .flatten()
                    .map(|a| a.nonce)
                    .unwrap_or_default()
            },
        );
        let selected = started.elapsed();
        let mut builder = BlockBuilder::new(view.clone(), env, &hashes, self.modules.as_ref());
        let mut included = Vec::new();
        let mut bytes = 0usize;
        for tx in candidates {
            if builder.gas_remaining() < 21_000 {
                break;
            }
            if abandoned.load(Ordering::Relaxed) {
                return Err(ChainError::Abandoned);
            }
            // At least one transaction per block, so a tiny budget still makes progress.
            // The budget covers the state root still to come after the last transaction.
            if !included.is_empty()
                && deadline.is_some_and(|deadline| {
                    Instant::now() + self.root_cost.estimate(builder.state_entries()) >= deadline
                })
            {
                debug!(
                    included = included.len(),
                    entries = builder.state_entries(),
                    "block build time budget spent; closing the block"
                );
                break;
            }
            if bytes + tx.raw.len() + 4 > self.spec.limits.block_txs_bytes_max {
                continue;
            }
            match builder.try_push(&tx) {
                Ok(_) => {
                    bytes += tx.raw.len() + 4;
                    included.push(tx.raw.clone());
                }
                Err(rejection) => debug!(tx = %tx.hash, %rejection, "skipping transaction"),
            }
        }
        if abandoned.load(Ordering::Relaxed) {
            return Err(ChainError::Abandoned);
        }
        let outcome = builder.finish();
        let executed = started.elapsed();
        let tx_root = merkle_root(&included.iter().map(keccak256).collect::<Vec<_>>());
        let receipts_root = merkle_root(
            &outcome
                .receipts
                .iter()
                .map(Receipt::leaf)
                .collect::<Vec<_>>(),
        );
        let (state_root, tree) = self.state_root_after(&base, &outcome.diff)?;
        debug!(
            height,
            txs = included.len(),
            select_ms = selected.as_millis() as u64,
            execute_ms = (executed - selected).as_millis() as u64,
            root_ms = (started.elapsed() - executed).as_millis() as u64,
            "built block"
        );
        let header = Header {
            parent: parent.digest(),
            height,
            timestamp_ms,
            proposer,
            gas_limit: self.spec.gas.block_gas_limit,
            gas_used: outcome.gas_used,
            base_fee: self.spec.gas.min_gas_price,
            tx_root,
            receipts_root,
            state_root,
            extra: B256::ZERO,
        };
        let block = Block::new(header, included);
        Ok(self.remember(block, outcome.receipts, outcome.diff, tree, base))
    }

    /// The state root after `diff` on `base`, its time taught to the build budget.
    fn state_root_after(
        &self,
        base: &StateBase,
        diff: &StateDiff,
    ) -> Result<(B256, TreeDelta), ChainError> {
        let started = Instant::now();
        let computed = self.store.state_root_after(base, diff)?;
        self.root_cost
            .observe(diff.keys_changed(), started.elapsed());
        Ok(computed)
    }

    /// Checks `block` against its `parent`, the leader that proposed it and local time,
    /// executing it. On success the block is remembered for its children and its commit.
    pub fn verify(
        &self,
        parent: &Block,
        block: &Block,
        leader: &ed25519::PublicKey,
        now_ms: u64,
    ) -> Result<Arc<Executed>, ChainError> {
        if let Some(executed) = self.pending.lock().get(&block.digest()) {
            return Ok(executed.clone());
        }
        let header = &block.header;
        let parent_ts = parent.header.timestamp_ms;
        if header.timestamp_ms <= parent_ts {
            return Err(ChainError::TimestampNotIncreasing {
                parent: parent_ts,
                got: header.timestamp_ms,
            });
        }
        let skew_ms = self.config.timestamp_skew_max_ms;
        if header.timestamp_ms > now_ms.saturating_add(skew_ms) {
            return Err(ChainError::TimestampInFuture {
                now: now_ms,
                got: header.timestamp_ms,
                skew_ms,
            });
        }
        let expected = self.fee_recipient(parent, leader)?.unwrap_or_default();
        if header.proposer != expected {
            return Err(field("proposer", expected, header.proposer));
        }
        self.execute(parent, block)
    }

    /// Executes `block` on `parent`'s state and checks every commitment in its header.
    /// Used to verify proposals and to apply finalised blocks this node never verified.
    pub fn execute(&self, parent: &Block, block: &Block) -> Result<Arc<Executed>, ChainError> {
        let digest = block.digest();
        if let Some(executed) = self.pending.lock().get(&digest) {
            return Ok(executed.clone());
        }
        // One execution of a block at a time: a second caller (a leader that needs the
        // parent its abandoned verification is still executing) waits for the first
        // one's result instead of doing the same work beside it.
        let turn = self.executing.lock().entry(digest).or_default().clone();
        let _turn = turn.lock();
        if let Some(executed) = self.pending.lock().get(&digest) {
            return Ok(executed.clone());
        }
        let result = self.execute_once(parent, block);
        self.executing.lock().remove(&digest);
        result
    }

    fn execute_once(&self, parent: &Block, block: &Block) -> Result<Arc<Executed>, ChainError> {
        let base = self
            .state_after(parent)?
            .ok_or_else(|| unknown_parent(parent))?;
        let header = &block.header;
        if header.parent != parent.digest() || header.height != parent.header.height + 1 {
            return Err(field("parent", parent.hash(), parent_hash(header)));
        }
        if header.gas_limit != self.spec.gas.block_gas_limit {
            return Err(field(
                "gas_limit",
                self.spec.gas.block_gas_limit,
                header.gas_limit,
            ));
        }
        if header.base_fee != self.spec.gas.min_gas_price {
            return Err(field(
                "base_fee",
                self.spec.gas.min_gas_price,
                header.base_fee,
            ));
        }
        if header.extra != B256::ZERO {
            return Err(field("extra", B256::ZERO, header.extra));
        }
        let bytes = block.txs_bytes();
        if block.txs.len() > self.codec.txs_max as usize || bytes > self.codec.txs_bytes_max {
            return Err(ChainError::TooLarge {
                count: block.txs.len(),
                bytes,
            });
        }
        let started = Instant::now();
        let txs = self.decode_txs(block)?;
        let decoded = started.elapsed();
        let tx_root = merkle_root(&txs.iter().map(|tx| tx.hash).collect::<Vec<_>>());
        check_root("tx_root", header.tx_root, tx_root)?;

        let view = self.store.view(&base);
        let env = self.env(
            &parent.header,
            header.height,
            header.timestamp_ms,
            header.proposer,
        );
        let hashes = self.hashes(parent);
        let mut builder = BlockBuilder::new(view, env, &hashes, self.modules.as_ref());
        for (index, tx) in txs.iter().enumerate() {
            match builder.try_push(tx) {
                Ok(_) => {}
                // A failure to read our own state says nothing about the block.
                Err(rejection) if rejection.is_fatal() => {
                    return Err(ChainError::Local {
                        reason: rejection.to_string(),
                    });
                }
                Err(rejection) => return Err(ChainError::InvalidTransaction { index, rejection }),
            }
        }
        let outcome = builder.finish();
        let executed = started.elapsed();
        if outcome.gas_used != header.gas_used {
            return Err(field("gas_used", outcome.gas_used, header.gas_used));
        }
        let receipts_root = merkle_root(
            &outcome
                .receipts
                .iter()
                .map(Receipt::leaf)
                .collect::<Vec<_>>(),
        );
        check_root("receipts_root", header.receipts_root, receipts_root)?;
        let (state_root, tree) = self.state_root_after(&base, &outcome.diff)?;
        check_root("state_root", header.state_root, state_root)?;
        debug!(
            height = header.height,
            txs = txs.len(),
            decode_ms = decoded.as_millis() as u64,
            execute_ms = (executed - decoded).as_millis() as u64,
            root_ms = (started.elapsed() - executed).as_millis() as u64,
            "executed block"
        );
        Ok(self.remember(block.clone(), outcome.receipts, outcome.diff, tree, base))
    }

    /// Decodes a block's transactions, reusing senders already recovered by the pool.
    fn decode_txs(&self, block: &Block) -> Result<Vec<RecoveredTx>, ChainError> {
        let mut txs = Vec::with_capacity(block.txs.len());
        for (index, raw) in block.txs.iter().enumerate() {
            let hash = keccak256(raw);
            if let Some(known) = self.pool.get(&hash)
                && known.raw == *raw
            {
                txs.push((*known).clone());
                continue;
            }
            let tx = RecoveredTx::decode(
                raw.clone(),
                self.spec.chain_id,
                self.spec.limits.tx_bytes_max,
            )
            .map_err(|err| ChainError::BadTransaction {
                index,
                reason: err.to_string(),
            })?;
            txs.push(tx);
        }
        Ok(txs)
    }

    fn remember(
        &self,
        block: Block,
        receipts: Vec<Receipt>,
        diff: entente_storage::StateDiff,
        tree: entente_storage::TreeDelta,
        base: StateBase,
    ) -> Arc<Executed> {
        let layer = PendingState {
            version: block.header.height,
            diff,
            tree,
            parent: base.pending.clone(),
        };
        let executed = Arc::new(Executed {
            state: StateBase {
                committed: base.committed,
                pending: Some(Arc::new(layer)),
            },
            receipts: Arc::new(receipts),
            block,
        });
        self.pending
            .lock()
            .insert(executed.block.digest(), executed.clone());
        executed
    }

    /// Commits a finalised block (executing it first if this node never saw it) and
    /// announces it. Idempotent: a block already committed is acknowledged again.
    pub fn commit(&self, block: &Block, finalization: Option<Bytes>) -> Result<(), ChainError> {
        let height = block.header.height;
        if let Some(head) = self.store.head()?
            && head.height >= height
        {
            return match self.store.block(height)? {
                Some(stored) if stored.hash() == block.hash() => Ok(()),
                _ => Err(ChainError::Diverged {
                    height,
                    reason: "a different block is committed at this height".into(),
                }),
            };
        }
        // Bind first: a guard in a `match` scrutinee would live through `execute`.
        let known = self.pending.lock().get(&block.digest()).cloned();
        let executed = match known {
            Some(executed) => executed,
            None => {
                let parent = self
                    .store
                    .block(height.saturating_sub(1))?
                    .ok_or_else(|| unknown_parent(block))?;
                self.execute(&parent, block).map_err(|err| match err {
                    err if err.is_fatal() => err,
                    err => ChainError::Diverged {
                        height,
                        reason: err.to_string(),
                    },
                })?
            }
        };
        let layer = executed
            .state
            .pending
            .as_ref()
            .expect("an executed block has its own pending layer");
        let outcome = self.store.commit(BlockCommit {
            block,
            receipts: &executed.receipts,
            diff: &layer.diff,
            tree: &layer.tree,
            finalization,
        })?;
        if matches!(outcome, CommitOutcome::AlreadyCommitted) {
            warn!(height, "block was already committed");
        }
        self.after_commit(&executed, &layer.diff);
        Ok(())
    }

    /// Prunes speculative state at or below the committed height, updates the pool and
    /// announces the block.
    fn after_commit(&self, executed: &Executed, diff: &entente_storage::StateDiff) {
        let height = executed.block.header.height;
        let survivors: Vec<Arc<Executed>> = {
            let mut pending = self.pending.lock();
            pending.retain(|_, pending| pending.block.header.height > height);
            pending.values().cloned().collect()
        };
        // Re-anchor the survivors on the new head so their layer chains stop growing
        // (and stop holding committed blocks' diffs); a survivor on an abandoned branch
        // can never be finalised and is dropped.
        for survivor in survivors {
            let digest = survivor.block.digest();
            match self.store.rebase(&survivor.state) {
                Ok(state) => {
                    let rebased = Arc::new(Executed {
                        block: survivor.block.clone(),
                        receipts: survivor.receipts.clone(),
                        state,
                    });
                    self.pending.lock().insert(digest, rebased);
                }
                Err(err) => {
                    debug!(%err, height = survivor.block.header.height, "dropping a block of an abandoned branch");
                    self.pending.lock().remove(&digest);
                }
            }
        }
        self.pool.on_committed(
            diff.accounts
                .iter()
                .map(|(address, account)| (*address, account.map(|a| a.nonce).unwrap_or_default())),
        );
        // Nobody listening is fine: subscribers come and go.
        let _ = self.events.send(CommittedBlock {
            block: executed.block.clone(),
            receipts: executed.receipts.clone(),
        });
    }

    /// Block hashes for BLOCKHASH as seen by a child of `parent`: pending ancestors first,
    /// then committed blocks.
    fn hashes(&self, parent: &Block) -> AncestorHashes {
        let mut recent = Vec::new();
        let pending = self.pending.lock();
        let mut cursor = Some(parent.clone());
        while let Some(block) = cursor {
            recent.push((block.header.height, block.hash()));
            if recent.len() >= 256 {
                break;
            }
            cursor = pending
                .get(&block.header.parent)
                .map(|executed| executed.block.clone());
        }
        AncestorHashes {
            store: self.store.clone(),
            recent,
        }
    }

    /// Number of executed, not yet committed blocks held (bounded by consensus: only
    /// blocks above the finalised height are kept).
    pub fn pending_len(&self) -> usize {
        self.pending.lock().len()
    }
}

/// BLOCKHASH source for one execution.
struct AncestorHashes {
    store: Store,
    recent: Vec<(u64, B256)>,
}

impl BlockHashes for AncestorHashes {
    fn block_hash(&self, number: u64) -> Option<B256> {
        if let Some((_, hash)) = self.recent.iter().find(|(height, _)| *height == number) {
            return Some(*hash);
        }
        self.store
            .block(number)
            .ok()
            .flatten()
            .map(|block| block.hash())
    }
}

fn parent_hash(header: &Header) -> B256 {
    B256::from(header.parent.0)
}

fn unknown_parent(block: &Block) -> ChainError {
    ChainError::UnknownParent {
        height: block.header.height + 1,
        parent: block.hash().to_string(),
    }
}

fn field(name: &'static str, expected: impl ToString, got: impl ToString) -> ChainError {
    ChainError::HeaderField {
        field: name,
        expected: expected.to_string(),
        got: got.to_string(),
    }
}

fn check_root(name: &'static str, header: B256, computed: B256) -> Result<(), ChainError> {
    if header == computed {
        Ok(())
    } else {
        Err(ChainError::RootMismatch {
            field: name,
            header: header.to_string(),
            computed: computed.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_estimate_learns_from_large_blocks_only() {
        let cost = RootCost::default();
        let initial = cost.estimate(1_000);
        assert_eq!(
            initial,
            Duration::from_nanos(RootCost::INITIAL_NANOS * 1_000)
        );
        // A small block's root is mostly fixed cost: not a per-entry sample.
        cost.observe(999, Duration::from_secs(10));
        assert_eq!(cost.estimate(1_000), initial);
        // A large block at 50 µs per entry moves the estimate a quarter of the way.
        cost.observe(10_000, Duration::from_millis(500));
        let expected = RootCost::INITIAL_NANOS * 3 / 4 + 50_000 / 4;
        assert_eq!(cost.estimate(1), Duration::from_nanos(expected));
        // Repeated samples converge on the measured cost.
        for _ in 0..40 {
            cost.observe(10_000, Duration::from_millis(500));
        }
        let nanos = cost.estimate(1).as_nanos();
        assert!((49_900..=50_000).contains(&nanos), "{nanos}");
        assert_eq!(cost.estimate(0), Duration::ZERO);
    }
}

//! A simulated consortium: validators running the real node components on the
//! deterministic runtime, linked by commonware's simulated network.
//!
//! Faults: link latency/jitter/loss, partitions and heals, crash (abort every task of a
//! validator, dropping its speculative state) and restart from its store and consensus
//! journals. Checkers: agreement on every finalised block and state root, and that
//! every acknowledged transaction is in a finalised block.

use std::{collections::BTreeSet, num::NonZeroU32, sync::Arc, time::Duration};

use alloy_primitives::B256;
use commonware_cryptography::ed25519;
use commonware_p2p::{
    Manager as _,
    simulated::{self, Link, Network, Oracle},
};
use commonware_runtime::{Clock, Handle, Quota, Spawner, Supervisor as _, deterministic};
use commonware_utils::{NZUsize, ordered::Set};
use entente_chainspec::{ChainSpec, ValidatorKey};
use entente_consensus::{
    Chain, ChainConfig, Channels, EngineConfig, TxIngress, channels, init_genesis,
};
use entente_execution::NoModules;
use entente_primitives::{Block, BlockCodec, RecoveredTx};
use entente_storage::{MemoryKv, Store};
use entente_txpool::{PoolLimits, TxPool};
use tracing::info;

use crate::fixtures;

type Context = deterministic::Context;
type SimOracle = Oracle<ed25519::PublicKey, Context>;
type SimSender = simulated::Sender<ed25519::PublicKey, Context>;
type SimReceiver = simulated::Receiver<ed25519::PublicKey>;

/// Largest message the simulated network carries.
const MESSAGE_BYTES_MAX: u32 = 16 * 1024 * 1024;

/// A simulated network's shape.
#[derive(Clone)]
pub struct SimConfig {
    pub validators: usize,
    pub accounts: usize,
    pub link: Link,
}

impl SimConfig {
    pub fn new(validators: usize) -> Self {
        Self {
            validators,
            accounts: 8,
            link: Link {
                latency: Duration::from_millis(20),
                jitter: Duration::from_millis(5),
                success_rate: commonware_utils::probability!(1.0),
            },
        }
    }
}

/// A running validator's handles into the node.
pub struct Running {
    pub chain: Arc<Chain>,
    pub ingress: TxIngress,
    handle: Handle<()>,
}

/// One simulated validator and the durable state it keeps across crashes.
pub struct SimValidator {
    pub key: ValidatorKey,
    /// The node's store; survives a crash as a disk would.
    pub kv: MemoryKv,
    pub running: Option<Running>,
    pub restarts: u32,
}

/// The simulated consortium.
pub struct Sim {
    context: Context,
    oracle: SimOracle,
    config: SimConfig,
    pub spec: Arc<ChainSpec>,
    pub validators: Vec<SimValidator>,
    participants: Vec<ed25519::PublicKey>,
}

fn rate(per_second: u32) -> Quota {
    Quota::per_second(NonZeroU32::new(per_second).expect("non-zero"))
}

impl Sim {
    /// Builds the network and starts every validator.
    pub async fn start(context: Context, config: SimConfig) -> Self {
        let spec = Arc::new(fixtures::spec(config.validators, config.accounts));
        let keys: Vec<ValidatorKey> = (0..config.validators)
            .map(fixtures::validator_key)
            .collect();
        let participants: Vec<ed25519::PublicKey> = keys.iter().map(|k| k.public_key()).collect();
        let (network, oracle) = Network::new(
            context.child("network"),
            simulated::Config {
                max_size: MESSAGE_BYTES_MAX,
                max_peers_per_set: NZUsize!(config.validators),
                disconnect_on_block: true,
                tracked_peer_sets: NZUsize!(1),
            },
        );
        network.start();
        oracle
            .manager()
            .track(0, Set::from_iter_dedup(participants.iter().cloned()));
        let mut sim = Self {
            context,
            oracle,
            config,
            spec,
            validators: keys
                .into_iter()
                .map(|key| SimValidator {
                    key,
                    kv: MemoryKv::new(),
                    running: None,
                    restarts: 0,
                })
                .collect(),
            participants,
        };
        sim.heal().await;
        for i in 0..sim.validators.len() {
            sim.boot(i).await;
        }
        sim
    }

    pub fn context(&self) -> &Context {
        &self.context
    }

    async fn register(&self, i: usize) -> Channels<SimSender, SimReceiver> {
        let control = self.oracle.control(self.participants[i].clone());
        let register = async |channel: u64, per_second: u32| {
            control
                .register(channel, rate(per_second))
                .await
                .expect("simulated network accepts registrations")
        };
        Channels {
            votes: register(channels::VOTES, 10_000).await,
            certificates: register(channels::CERTIFICATES, 10_000).await,
            resolver: register(channels::RESOLVER, 1_000).await,
            blocks: register(channels::BLOCKS, 1_000).await,
            backfill: register(channels::BACKFILL, 1_000).await,
            txs: register(channels::TXS, 2_000).await,
        }
    }

    /// Starts (or restarts) validator `i` from its durable state.
    pub async fn boot(&mut self, i: usize) {
        assert!(
            self.validators[i].running.is_none(),
            "validator {i} is already running"
        );
        let codec = BlockCodec {
            txs_max: self.spec.limits.block_txs_max,
            txs_bytes_max: self.spec.limits.block_txs_bytes_max,
        };
        let store = Store::from_kv(Arc::new(self.validators[i].kv.clone()), codec)
            .expect("memory store opens");
        let genesis = init_genesis(&self.spec, &store).expect("genesis");
        let chain = Arc::new(Chain::new(
            self.spec.clone(),
            store,
            TxPool::new(PoolLimits::default()),
            Arc::new(NoModules),
            ChainConfig::default(),
        ));
        let (ingress, gossip) = TxIngress::new(chain.clone());
        let channels = self.register(i).await;
        let key = self.validators[i].key.0.clone();
        let restarts = self.validators[i].restarts;
        let manager = self.oracle.manager();
        let blocker = self.oracle.control(self.participants[i].clone());
        let engine_chain = chain.clone();
        let handle = self
            .context
            .child("validator")
            .with_attribute("index", i)
            .with_attribute("incarnation", restarts)
            .spawn(move |context| async move {
                let running = entente_consensus::start(
                    context.child("engine"),
                    EngineConfig {
                        partition_prefix: format!("validator{i}"),
                        ..EngineConfig::default()
                    },
                    engine_chain,
                    genesis,
                    key,
                    gossip,
                    manager,
                    blocker,
                    channels,
                )
                .await;
                let _ = Handle::select(running.handles).await;
            });
        self.validators[i].running = Some(Running {
            chain,
            ingress,
            handle,
        });
        info!(validator = i, incarnation = restarts, "validator started");
    }

    /// Crashes validator `i`: every task stops at once and in-memory state is lost.
    pub fn crash(&mut self, i: usize) {
        if let Some(running) = self.validators[i].running.take() {
            running.handle.abort();
            self.validators[i].restarts += 1;
            info!(validator = i, "validator crashed");
        }
    }

    /// Cuts every link between `group` and the other validators.
    pub async fn partition(&mut self, group: &[usize]) {
        let inside: BTreeSet<usize> = group.iter().copied().collect();
        for a in 0..self.participants.len() {
            for b in 0..self.participants.len() {
                if a != b && inside.contains(&a) != inside.contains(&b) {
                    let _ = self
                        .oracle
                        .remove_link(self.participants[a].clone(), self.participants[b].clone())
                        .await;
                }
            }
        }
        info!(?group, "partitioned");
    }

    /// Restores every link.
    pub async fn heal(&mut self) {
        for a in 0..self.participants.len() {
            for b in 0..self.participants.len() {
                if a != b {
                    let _ = self
                        .oracle
                        .remove_link(self.participants[a].clone(), self.participants[b].clone())
                        .await;
                    let _ = self
                        .oracle
                        .add_link(
                            self.participants[a].clone(),
                            self.participants[b].clone(),
                            self.config.link.clone(),
                        )
                        .await;
                }
            }
        }
    }

    /// The committed height of validator `i` (0 if it is down).
    pub fn height(&self, i: usize) -> u64 {
        let store = Store::from_kv(
            Arc::new(self.validators[i].kv.clone()),
            BlockCodec {
                txs_max: self.spec.limits.block_txs_max,
                txs_bytes_max: self.spec.limits.block_txs_bytes_max,
            },
        )
        .expect("memory store opens");
        store
            .head()
            .ok()
            .flatten()
            .map(|h| h.height)
            .unwrap_or_default()
    }

    /// Waits (in virtual time) until every listed validator has committed `height`.
    pub async fn wait_for_height(&self, nodes: &[usize], height: u64, timeout: Duration) -> bool {
        let deadline = self.context.current() + timeout;
        loop {
            if nodes.iter().all(|&i| self.height(i) >= height) {
                return true;
            }
            if self.context.current() >= deadline {
                return false;
            }
            self.context.sleep(Duration::from_millis(50)).await;
        }
    }

    /// Submits a transaction through validator `i` (its RPC door).
    pub fn submit(&self, i: usize, tx: &RecoveredTx) -> Result<B256, String> {
        let running = self.validators[i]
            .running
            .as_ref()
            .ok_or_else(|| format!("validator {i} is down"))?;
        running
            .ingress
            .submit(tx.raw.clone())
            .map_err(|err| err.to_string())
    }

    /// The committed block at `height` on validator `i`.
    pub fn block(&self, i: usize, height: u64) -> Option<Block> {
        let store = Store::from_kv(
            Arc::new(self.validators[i].kv.clone()),
            BlockCodec {
                txs_max: self.spec.limits.block_txs_max,
                txs_bytes_max: self.spec.limits.block_txs_bytes_max,
            },
        )
        .ok()?;
        store.block(height).ok().flatten()
    }

    /// Checks that every validator committed the same block (hence the same state root)
    /// at every height they share. Returns the lowest committed height.
    pub fn check_agreement(&self) -> Result<u64, String> {
        let heights: Vec<u64> = (0..self.validators.len()).map(|i| self.height(i)).collect();
        let common = *heights.iter().min().unwrap_or(&0);
        for height in 0..=common {
            let reference = self
                .block(0, height)
                .ok_or(format!("node 0 lacks block {height}"))?;
            for i in 1..self.validators.len() {
                let block = self
                    .block(i, height)
                    .ok_or(format!("node {i} lacks block {height}"))?;
                if block.hash() != reference.hash()
                    || block.header.state_root != reference.header.state_root
                {
                    return Err(format!(
                        "divergence at height {height}: node 0 has {} (state {}), node {i} has {} (state {})",
                        reference.hash(),
                        reference.header.state_root,
                        block.hash(),
                        block.header.state_root
                    ));
                }
            }
        }
        Ok(common)
    }

    /// Checks that every hash in `acknowledged` is in exactly one committed block of
    /// validator `i`.
    pub fn check_included(&self, i: usize, acknowledged: &[B256]) -> Result<(), String> {
        let height = self.height(i);
        let mut found = std::collections::BTreeMap::<B256, u32>::new();
        for h in 1..=height {
            let block = self
                .block(i, h)
                .ok_or(format!("node {i} lacks block {h}"))?;
            for raw in &block.txs {
                *found.entry(alloy_primitives::keccak256(raw)).or_default() += 1;
            }
        }
        for hash in acknowledged {
            match found.get(hash) {
                Some(1) => {}
                Some(n) => return Err(format!("transaction {hash} included {n} times")),
                None => return Err(format!("acknowledged transaction {hash} is not finalised")),
            }
        }
        Ok(())
    }
}

/// Runs a simulation with `seed`, printing how to replay it if it panics.
pub fn run<F, Fut>(name: &str, seed: u64, timeout: Duration, f: F)
where
    F: FnOnce(Context) -> Fut + std::panic::UnwindSafe,
    Fut: std::future::Future<Output = ()>,
{
    eprintln!("simulation {name}: seed {seed}");
    let result = std::panic::catch_unwind(move || {
        let config = deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(timeout));
        let runner = deterministic::Runner::new(config);
        commonware_runtime::Runner::start(runner, f);
    });
    if let Err(panic) = result {
        eprintln!(
            "simulation {name} failed with seed {seed}; replay with: ENTENTE_SIM_SEED={seed} cargo test -p entente-testkit --test simulation -- {name} --exact"
        );
        std::panic::resume_unwind(panic);
    }
}

/// The seed to use: `ENTENTE_SIM_SEED` when set, else `default`.
pub fn seed(default: u64) -> u64 {
    std::env::var("ENTENTE_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

//! A simulated consortium: validators running the real node components (execution,
//! storage, pool, consensus) on the deterministic runtime, linked by commonware's
//! simulated network.
//!
//! - this module: [`Sim`], the network of validators and the faults one can apply to it
//!   (link latency/jitter/loss, partitions and heals, crash and restart, slow disks).
//! - [`byzantine`]: validators that lie (equivocation, invalid or oversized proposals,
//!   stale replays, withheld blocks).
//! - [`check`]: the checkers (agreement, exactly-once inclusion).
//! - [`disk`]: the slow disk, a storage wrapper that delays one validator's writes and
//!   syncs (and optionally reads) on the runtime's clock.
//! - [`scenario`]: random fault schedules drawn from a seed, whole-cluster power loss
//!   (unsynced writes lost), and the figures of a run.
//!
//! A validator's store ([`MemoryKv`]) survives a crash as a disk would (the real store
//! fsyncs every commit). Its consensus journals live in the runtime's storage: a crash of
//! one validator keeps their unsynced writes (the runtime has one storage for all
//! validators), a [`scenario::Fault::PowerLoss`] of the whole runtime drops them.

pub mod byzantine;
pub mod check;
pub mod disk;
pub mod figures;
pub mod scenario;

use std::{collections::BTreeSet, num::NonZeroU32, sync::Arc, time::Duration};

use alloy_primitives::B256;
use commonware_cryptography::ed25519;
use commonware_p2p::{
    Manager as _,
    simulated::{self, Link, Network, Oracle},
};
use commonware_runtime::{
    Clock, Handle, Metrics as _, Quota, Spawner, Supervisor as _, deterministic,
};
use commonware_utils::{NZUsize, ordered::Set};
use entente_chainspec::{ChainSpec, ValidatorKey};
use entente_consensus::{
    Chain, ChainConfig, Channels, EngineConfig, TxIngress, channels,
    epochs::{Member, PeerTracker},
    init_genesis,
};
use entente_primitives::{Block, BlockCodec, RecoveredTx};
use entente_storage::{MemoryKv, Store};
use entente_txpool::{PoolLimits, TxPool};
use tracing::info;

pub use byzantine::Byzantine;
use disk::SlowDisk;
pub use disk::{Disk, DiskStats, Slowness};
pub use figures::Figures;
pub use scenario::{Fault, Plan, run_plan, run_seed};

use crate::fixtures;

pub type Context = deterministic::Context;
type SimOracle = Oracle<ed25519::PublicKey, Context>;
type SimSender = simulated::Sender<ed25519::PublicKey, Context>;
type SimReceiver = simulated::Receiver<ed25519::PublicKey>;

/// Largest message the simulated network carries (the node's default `message_bytes_max`).
pub const MESSAGE_BYTES_MAX: u32 = 16 * 1024 * 1024;

/// A simulated network's shape.
#[derive(Clone)]
pub struct SimConfig {
    pub validators: usize,
    pub accounts: usize,
    pub link: Link,
    /// Validators that lie, and how.
    pub byzantine: Vec<(usize, Byzantine)>,
    /// The chain spec's block limits (small in simulation so oversize is cheap to reach).
    pub block_txs_max: u32,
    /// Extra roles of the spec's accounts (by account index), e.g. `regulator`.
    pub roles: Vec<(usize, String)>,
}

impl SimConfig {
    pub fn new(validators: usize) -> Self {
        Self {
            validators,
            accounts: 8,
            link: good_link(),
            byzantine: Vec::new(),
            block_txs_max: 256,
            roles: Vec::new(),
        }
    }

    pub fn with_role(mut self, account: usize, role: &str) -> Self {
        self.roles.push((account, role.to_string()));
        self
    }

    pub fn with_byzantine(mut self, index: usize, kind: Byzantine) -> Self {
        self.byzantine.push((index, kind));
        self
    }

    /// The chain spec every validator shares.
    pub fn spec(&self) -> ChainSpec {
        let mut spec = fixtures::spec(self.validators, self.accounts);
        spec.limits.block_txs_max = self.block_txs_max;
        for (account, role) in &self.roles {
            spec.accounts[*account].roles.push(role.clone());
        }
        spec
    }
}

/// The healthy link: 20 ms ± 5 ms, nothing lost.
pub fn good_link() -> Link {
    Link {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(5),
        success_rate: commonware_utils::probability!(1.0),
    }
}

/// A running validator's handles into the node (`None` for the protocol-level byzantine
/// actors, which run no application).
pub struct Running {
    pub node: Option<(Arc<Chain>, TxIngress)>,
    handle: Handle<()>,
}

/// One simulated validator and the durable state it keeps across crashes.
pub struct SimValidator {
    pub key: ValidatorKey,
    /// The node's store; survives a crash as a disk would.
    pub kv: MemoryKv,
    /// The disk its consensus journals are on (healthy or slow); stays slow across
    /// crashes until healed.
    pub disk: Disk,
    pub role: Option<Byzantine>,
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
    /// The current partition (validators cut off from the rest), if any.
    partition: Option<BTreeSet<usize>>,
    link: Link,
}

/// Tells the simulated network which validators belong to each epoch.
#[derive(Clone)]
struct SimPeers(simulated::Manager<ed25519::PublicKey, Context>);

impl PeerTracker for SimPeers {
    fn track(&mut self, epoch: u64, members: &[Member]) {
        self.0.track(
            epoch,
            Set::from_iter_dedup(members.iter().map(|m| m.key.clone())),
        );
    }
}

fn rate(per_second: u32) -> Quota {
    Quota::per_second(NonZeroU32::new(per_second).expect("non-zero"))
}

impl Sim {
    /// Builds the network and starts every validator with empty stores.
    pub async fn start(context: Context, config: SimConfig) -> Self {
        let stores = (0..config.validators).map(|_| MemoryKv::new()).collect();
        Self::resume(context, config, stores).await
    }

    /// Builds the network and starts every validator from `stores` (after a power loss
    /// of the whole runtime, the stores are what the disks kept).
    pub async fn resume(context: Context, config: SimConfig, stores: Vec<MemoryKv>) -> Self {
        let disks = (0..config.validators).map(|_| Disk::default()).collect();
        Self::resume_with_disks(context, config, stores, disks).await
    }

    /// [`Sim::resume`] with the validators' disks as they were (a slow disk stays slow
    /// across a power loss).
    pub async fn resume_with_disks(
        context: Context,
        config: SimConfig,
        stores: Vec<MemoryKv>,
        disks: Vec<Disk>,
    ) -> Self {
        assert_eq!(stores.len(), config.validators, "one store per validator");
        assert_eq!(disks.len(), config.validators, "one disk per validator");
        let spec = Arc::new(config.spec());
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
                // The engine tracks the active epoch and the one before it.
                tracked_peer_sets: NZUsize!(2),
            },
        );
        network.start();
        oracle
            .manager()
            .track(0, Set::from_iter_dedup(participants.iter().cloned()));
        let link = config.link.clone();
        let mut sim = Self {
            context,
            oracle,
            spec,
            validators: keys
                .into_iter()
                .zip(stores)
                .zip(disks)
                .enumerate()
                .map(|(i, ((key, kv), disk))| SimValidator {
                    key,
                    kv,
                    disk,
                    role: config
                        .byzantine
                        .iter()
                        .find(|(b, _)| *b == i)
                        .map(|(_, kind)| *kind),
                    running: None,
                    restarts: 0,
                })
                .collect(),
            config,
            participants,
            partition: None,
            link,
        };
        sim.apply_links().await;
        for i in 0..sim.validators.len() {
            sim.boot(i).await;
        }
        sim
    }

    pub fn context(&self) -> &Context {
        &self.context
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The stores, to carry across a power loss.
    pub fn stores(&self) -> Vec<MemoryKv> {
        self.validators.iter().map(|v| v.kv.clone()).collect()
    }

    /// The disks, to carry across a power loss.
    pub fn disks(&self) -> Vec<Disk> {
        self.validators.iter().map(|v| v.disk.clone()).collect()
    }

    /// Slows validator `i`'s disk down (its running node and any later incarnation).
    /// Only validators that run the node have a disk to slow (not the protocol-level
    /// byzantine actors).
    pub fn slow_disk(&mut self, i: usize, slowness: Slowness) {
        self.validators[i].disk.slow_down(slowness);
        info!(validator = i, ?slowness, "disk slowed down");
    }

    /// Validator `i`'s disk back to full speed.
    pub fn heal_disk(&mut self, i: usize) {
        self.validators[i].disk.heal();
        info!(validator = i, "disk healed");
    }

    /// Validators that follow the protocol.
    pub fn honest(&self) -> Vec<usize> {
        (0..self.validators.len())
            .filter(|&i| self.validators[i].role.is_none())
            .collect()
    }

    /// Honest validators that are up.
    pub fn honest_running(&self) -> Vec<usize> {
        self.honest()
            .into_iter()
            .filter(|&i| self.validators[i].running.is_some())
            .collect()
    }

    /// Largest number of faulty validators the set tolerates.
    pub fn faults_tolerated(&self) -> usize {
        (self.validators.len() - 1) / 3
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
            status: register(channels::STATUS, 1_000).await,
        }
    }

    /// Starts (or restarts) validator `i` from its durable state.
    pub async fn boot(&mut self, i: usize) {
        assert!(
            self.validators[i].running.is_none(),
            "validator {i} is already running"
        );
        let channels = self.register(i).await;
        let restarts = self.validators[i].restarts;
        let context = self
            .context
            .child("validator")
            .with_attribute("index", i)
            .with_attribute("incarnation", restarts);
        let key = self.validators[i].key.0.clone();
        let running = match self.validators[i].role {
            Some(kind) if !kind.runs_node() => Running {
                node: None,
                handle: byzantine::start_actor(kind, context, &self.participants, key, channels),
            },
            role => {
                let store = self.store(i);
                let genesis = init_genesis(&self.spec, &store).expect("genesis");
                let chain = Arc::new(Chain::new(
                    self.spec.clone(),
                    store,
                    TxPool::new(PoolLimits::default()),
                    Byzantine::modules(role),
                    ChainConfig::default(),
                ));
                let (ingress, gossip) = TxIngress::new(chain.clone());
                let mut engine = EngineConfig {
                    partition_prefix: format!("validator{i}"),
                    ..EngineConfig::default()
                };
                engine.proposal_mutator = role.and_then(|kind| kind.mutator(chain.clone()));
                let manager = self.oracle.manager();
                let peers = SimPeers(self.oracle.manager());
                let blocker = self.oracle.control(self.participants[i].clone());
                let engine_chain = chain.clone();
                let withhold = role == Some(Byzantine::Withholding);
                // Every node runs on the slow-disk wrapper (full speed until slowed), so
                // the engine is built for one context type only.
                let context = SlowDisk::new(context, self.validators[i].disk.clone());
                let handle = context.spawn(move |context| async move {
                    let context = context.child("engine");
                    let handles = if withhold {
                        let channels = byzantine::withhold_blocks(channels);
                        entente_consensus::start(
                            context,
                            engine,
                            engine_chain,
                            genesis,
                            key,
                            gossip,
                            manager,
                            peers,
                            blocker,
                            channels,
                        )
                        .await
                        .handles
                    } else {
                        entente_consensus::start(
                            context,
                            engine,
                            engine_chain,
                            genesis,
                            key,
                            gossip,
                            manager,
                            peers,
                            blocker,
                            channels,
                        )
                        .await
                        .handles
                    };
                    let _ = Handle::select(handles).await;
                });
                Running {
                    node: Some((chain, ingress)),
                    handle,
                }
            }
        };
        self.validators[i].running = Some(running);
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
        self.partition = Some(group.iter().copied().collect());
        self.apply_links().await;
        info!(?group, "partitioned");
    }

    /// Restores every link (keeping the current link quality).
    pub async fn heal(&mut self) {
        self.partition = None;
        self.apply_links().await;
    }

    /// Changes the quality (latency, jitter, loss) of every link.
    pub async fn set_link(&mut self, link: Link) {
        self.link = link;
        self.apply_links().await;
    }

    /// Rewrites every link from the current partition and link quality.
    async fn apply_links(&mut self) {
        let n = self.participants.len();
        for a in 0..n {
            for b in 0..n {
                if a == b {
                    continue;
                }
                let (from, to) = (self.participants[a].clone(), self.participants[b].clone());
                let _ = self.oracle.remove_link(from.clone(), to.clone()).await;
                let cut = self
                    .partition
                    .as_ref()
                    .is_some_and(|inside| inside.contains(&a) != inside.contains(&b));
                if !cut {
                    let _ = self.oracle.add_link(from, to, self.link.clone()).await;
                }
            }
        }
    }

    /// Validator `i`'s store (a handle on its durable state).
    pub fn store(&self, i: usize) -> Store {
        Store::from_kv(
            Arc::new(self.validators[i].kv.clone()),
            BlockCodec {
                txs_max: self.spec.limits.block_txs_max,
                txs_bytes_max: self.spec.limits.block_txs_bytes_max,
            },
        )
        .expect("memory store opens")
    }

    /// The committed height of validator `i` (0 if it never committed).
    pub fn height(&self, i: usize) -> u64 {
        self.store(i)
            .head()
            .ok()
            .flatten()
            .map(|h| h.height)
            .unwrap_or_default()
    }

    /// The highest view validator `i`'s consensus has entered (from its metrics), if known.
    pub fn view(&self, i: usize) -> Option<u64> {
        let label = format!("index=\"{i}\"");
        self.context
            .encode()
            .lines()
            .filter(|line| !line.starts_with('#') && line.contains("current_view"))
            .filter(|line| line.contains(&label))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .map(|v| v as u64)
            .max()
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
            .and_then(|r| r.node.as_ref())
            .ok_or_else(|| format!("validator {i} is down"))?;
        running
            .1
            .submit(tx.raw.clone())
            .map_err(|err| err.to_string())
    }

    /// Who blocked whom (validator indices): peers caught misbehaving, e.g. signing
    /// conflicting votes.
    pub async fn blocked(&self) -> Vec<(usize, usize)> {
        let index = |key: &ed25519::PublicKey| self.participants.iter().position(|p| p == key);
        self.oracle
            .blocked()
            .await
            .unwrap_or_default()
            .iter()
            .filter_map(|(from, to)| Some((index(from)?, index(to)?)))
            .collect()
    }

    /// Whether any running honest validator's pool holds transaction `hash` (a liar's
    /// pool does not count: it may never propose it).
    pub fn pooled(&self, hash: &B256) -> bool {
        self.validators
            .iter()
            .filter(|v| v.role.is_none())
            .filter_map(|v| v.running.as_ref()?.node.as_ref())
            .any(|(chain, _)| chain.pool().contains(hash))
    }

    /// The committed block at `height` on validator `i`.
    pub fn block(&self, i: usize, height: u64) -> Option<Block> {
        self.store(i).block(height).ok().flatten()
    }

    /// Checks that every honest validator committed the same block (hence the same state
    /// root) at every height from `from` up to the lowest head. Returns the lowest head.
    pub fn check_agreement_from(&self, from: u64) -> Result<u64, String> {
        let honest = self.honest();
        let common = honest.iter().map(|&i| self.height(i)).min().unwrap_or(0);
        for height in from..=common {
            let blocks = honest
                .iter()
                .map(|&i| {
                    self.block(i, height)
                        .map(|b| (i, b.hash(), b.header.state_root))
                        .ok_or(format!("validator {i} lacks committed block {height}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            check::agreement(height, &blocks)?;
        }
        Ok(common)
    }

    /// [`Sim::check_agreement_from`] over the whole chain.
    pub fn check_agreement(&self) -> Result<u64, String> {
        self.check_agreement_from(0)
    }

    /// Checks that every block running validator `i` committed is proven final by what
    /// its own store holds (the block's certificate, or a descendant's with the headers
    /// between them), verified against the validator set. Only the newest blocks may
    /// lack a proof, while the certified block above them is still being committed.
    /// Returns how many blocks are proven by a descendant's certificate.
    pub fn check_finality_proofs(&self, i: usize) -> Result<u64, String> {
        let Some((chain, _)) = self.validators[i]
            .running
            .as_ref()
            .and_then(|r| r.node.as_ref())
        else {
            return Ok(0);
        };
        let store = chain.store();
        let head = self.height(i);
        let mut proven_above = false;
        let mut by_descendant = 0;
        for height in (1..=head).rev() {
            let header = store
                .header(height)
                .map_err(|err| err.to_string())?
                .ok_or(format!("validator {i} lacks header {height}"))?;
            match chain
                .finality_proof(height)
                .map_err(|err| err.to_string())?
            {
                Some((certified, proof)) => {
                    entente_consensus::verify_finality(&header, &proof, &self.participants)
                        .map_err(|err| {
                            format!("validator {i}: finality proof of block {height}: {err}")
                        })?;
                    by_descendant += u64::from(certified != height);
                    proven_above = true;
                }
                None if proven_above => {
                    return Err(format!(
                        "validator {i}: block {height} has no finality proof, yet blocks above it do"
                    ));
                }
                None => {}
            }
        }
        if !proven_above && head > 0 {
            return Err(format!(
                "validator {i}: no committed block has a certificate"
            ));
        }
        Ok(by_descendant)
    }

    /// Checks that every hash in `acknowledged` is in exactly one committed block of
    /// validator `i`.
    pub fn check_included(&self, i: usize, acknowledged: &[B256]) -> Result<(), String> {
        let counts = check::inclusion_counts(&self.store(i), self.height(i))?;
        check::exactly_once(&counts, acknowledged.iter())
            .map_err(|err| format!("validator {i}: {err}"))
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
        eprintln!("{}", replay_line(name, seed));
        std::panic::resume_unwind(panic);
    }
}

/// The one-line command that replays test `name` with `seed`.
pub fn replay_line(name: &str, seed: u64) -> String {
    format!(
        "simulation {name} failed with seed {seed}; replay with: ENTENTE_SIM_SEED={seed} cargo test -p entente-testkit --test simulation -- {name} --exact"
    )
}

/// The seed to use: `ENTENTE_SIM_SEED` when set, else `default`.
pub fn seed(default: u64) -> u64 {
    std::env::var("ENTENTE_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

//! Random fault schedules drawn from a seed, run against a simulated consortium with a
//! steady transaction workload, with the checkers after every step.
//!
//! A [`Plan`] is a pure function of its seed (it can be printed and replayed); running it
//! on the deterministic runtime seeded with the same seed replays the same run event for
//! event. A [`Fault::PowerLoss`] ends the runtime (every validator at once) with the
//! storage fault model on: writes the consensus journals had not synced are dropped at
//! random, and the next runtime resumes from the checkpoint with the validators' stores.
//!
//! A [`Fault::SlowDisk`] delays one validator's journal writes and syncs (and maybe
//! reads) by a latency drawn from the seed, on the runtime's clock, until
//! [`Fault::DiskHealed`] (or the end of the plan); see [`super::disk`].
//!
//! Checks: after every step, honest validators agree on every block and state root they
//! have all committed. After the last step, every fault is healed (slow disks included)
//! and every validator restarted; within [`RECOVERY_MS_MAX`] every honest validator must
//! finalise a new block (the views that took are recorded), and within [`DRAIN_MS_MAX`]
//! every acknowledged transaction must be final exactly once on every honest validator
//! (a client sends again the ones whose validator crashed before passing them on).

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
    time::Duration,
};

use alloy_primitives::{Address, B256, U256};
use commonware_p2p::simulated::Link;
use commonware_runtime::{Clock, deterministic};
use commonware_utils::Probability;
use entente_primitives::RecoveredTx;
use entente_storage::MemoryKv;
use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};

use super::{
    Byzantine, Context, Disk, Sim, SimConfig, Slowness, check, figures::Figures, good_link,
};
use crate::fixtures::{account, transfer};

/// How long every honest validator may take to finalise a new block after the last heal.
pub const RECOVERY_MS_MAX: u64 = 60_000;
/// Most views that recovery may take (the engine's timeouts do not grow, so a stall is
/// over within a few leader and certification timeouts once a quorum is connected).
pub const RECOVERY_VIEWS_MAX: u64 = 40;
/// How long acknowledged transactions may take to be final everywhere after recovery.
pub const DRAIN_MS_MAX: u64 = 120_000;
/// How often the workload submits a transaction.
const TICK_MS: u64 = 200;

/// One fault of the menu.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Nothing new: the workload runs on.
    Calm,
    /// Every link gets this latency, jitter and delivery rate.
    Links {
        latency_ms: u64,
        jitter_ms: u64,
        delivered_pct: u8,
    },
    /// Links back to 20 ms ± 5 ms, nothing lost.
    LinksHealthy,
    /// These validators are cut off from the rest (the rest may hold a quorum or not).
    Partition(Vec<usize>),
    /// Every link restored.
    Heal,
    /// The validator stops at once; its pool and speculative state are gone.
    Crash(usize),
    /// A crashed validator starts again from its store and journals.
    Restart(usize),
    /// Every validator stops at once and unsynced journal writes are lost at random.
    PowerLoss,
    /// The validator's disk gets slow: every journal write, resize and sync (and every
    /// read, if `reads`) waits this long first. It stays slow across crashes and power
    /// losses until healed.
    SlowDisk {
        validator: usize,
        latency_ms: u64,
        reads: bool,
    },
    /// The validator's disk back to full speed.
    DiskHealed(usize),
}

impl Fault {
    /// The name used in figures.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Calm => "none (steady load)",
            Fault::Links { .. } => "link latency/jitter/loss",
            Fault::LinksHealthy => "links restored",
            Fault::Partition(_) => "partition",
            Fault::Heal => "heal",
            Fault::Crash(_) => "crash (kill one validator)",
            Fault::Restart(_) => "restart",
            Fault::PowerLoss => "power loss (all validators, unsynced writes lost)",
            Fault::SlowDisk { .. } => "slow disk (one validator)",
            Fault::DiskHealed(_) => "disk healed",
        }
    }
}

/// One step: a fault, then this long with the workload running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub fault: Fault,
    pub duration_ms: u64,
}

/// A whole run, drawn from `seed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub seed: u64,
    pub validators: usize,
    pub byzantine: Option<(usize, Byzantine)>,
    pub steps: Vec<Step>,
}

impl Plan {
    /// Draws a plan: maybe one byzantine validator, then `steps` faults.
    pub fn generate(seed: u64, validators: usize, steps: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_f417);
        let faulty_max = (validators - 1) / 3;
        let byzantine = (faulty_max > 0 && rng.gen_bool(0.5)).then(|| {
            let kind = *Byzantine::ALL.choose(&mut rng).expect("non-empty");
            (rng.gen_range(0..validators), kind)
        });
        let mut crashed = BTreeSet::new();
        let mut slow = BTreeSet::new();
        let steps = (0..steps)
            .map(|_| {
                let fault = match rng.gen_range(0..110) {
                    0..10 => Fault::Calm,
                    10..25 => Fault::Links {
                        latency_ms: rng.gen_range(5..400),
                        jitter_ms: rng.gen_range(0..100),
                        delivered_pct: rng.gen_range(60..=100),
                    },
                    25..30 => Fault::LinksHealthy,
                    30..48 => {
                        let size = rng.gen_range(1..=validators / 2);
                        let mut all: Vec<usize> = (0..validators).collect();
                        all.shuffle(&mut rng);
                        all.truncate(size);
                        all.sort();
                        Fault::Partition(all)
                    }
                    48..60 => Fault::Heal,
                    60..78 => {
                        let i = rng.gen_range(0..validators);
                        crashed.insert(i);
                        Fault::Crash(i)
                    }
                    78..93 => match crashed.iter().copied().collect::<Vec<_>>().choose(&mut rng) {
                        Some(&i) => {
                            crashed.remove(&i);
                            Fault::Restart(i)
                        }
                        None => Fault::Calm,
                    },
                    93..100 => {
                        crashed.clear();
                        Fault::PowerLoss
                    }
                    100..106 => {
                        let validator = rng.gen_range(0..validators);
                        slow.insert(validator);
                        Fault::SlowDisk {
                            validator,
                            latency_ms: rng.gen_range(20..2_000),
                            reads: rng.gen_bool(0.5),
                        }
                    }
                    _ => match slow.iter().copied().collect::<Vec<_>>().choose(&mut rng) {
                        Some(&i) => {
                            slow.remove(&i);
                            Fault::DiskHealed(i)
                        }
                        None => Fault::Calm,
                    },
                };
                Step {
                    fault,
                    duration_ms: rng.gen_range(1_000..6_000),
                }
            })
            .collect();
        Self {
            seed,
            validators,
            byzantine,
            steps,
        }
    }

    /// The command that replays this plan.
    pub fn replay_command(&self) -> String {
        format!(
            "cargo run -p entente-testkit --bin entente-sim -- --seed {} --validators {} --steps {}",
            self.seed,
            self.validators,
            self.steps.len()
        )
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "plan for seed {} ({} validators)",
            self.seed, self.validators
        )?;
        if let Some((i, kind)) = self.byzantine {
            writeln!(f, "  validator {i} is {}", kind.name())?;
        }
        for step in &self.steps {
            writeln!(f, "  {:?} for {} ms", step.fault, step.duration_ms)?;
        }
        Ok(())
    }
}

/// An acknowledged transaction.
struct Ack {
    tx: RecoveredTx,
    final_everywhere: bool,
}

/// What survives from one runtime to the next (after a power loss).
struct State {
    plan: Plan,
    next_step: usize,
    stores: Option<Vec<MemoryKv>>,
    /// The validators' disks (slow or not), carried across power losses.
    disks: Vec<Disk>,
    acks: Vec<Ack>,
    nonces: Vec<u64>,
    rng: StdRng,
    crashed: BTreeSet<usize>,
    agreed_up_to: u64,
    figures: Figures,
    failure: Option<String>,
}

enum Life {
    PowerLoss,
    Done,
}

impl Plan {
    fn sim_config(&self) -> SimConfig {
        let mut config = SimConfig::new(self.validators);
        config.byzantine = self.byzantine.into_iter().collect();
        config
    }
}

/// Unsynced writes survive a power loss with this probability (each write independently,
/// as a prefix of its bytes).
fn unsynced_loss() -> deterministic::FaultConfig {
    deterministic::FaultConfig {
        write_rate: Some(deterministic::WriteConfig {
            failure_rate: Probability::new(0, 1).expect("valid"),
            retention_rate: Probability::new(1, 2).expect("valid"),
            mode: deterministic::PartialWriteMode::Prefix,
        }),
        ..Default::default()
    }
}

/// Runs `plan`; `Err` names the first checker that failed. A panic in the node
/// propagates (the caller prints the replay command).
pub fn run_plan(plan: &Plan) -> Result<Figures, String> {
    let accounts = plan.sim_config().accounts;
    let mut state = State {
        plan: plan.clone(),
        next_step: 0,
        stores: None,
        disks: (0..plan.validators).map(|_| Disk::default()).collect(),
        acks: Vec::new(),
        nonces: vec![0; accounts],
        rng: StdRng::seed_from_u64(plan.seed),
        crashed: BTreeSet::new(),
        agreed_up_to: 0,
        figures: Figures {
            seeds: 1,
            ..Figures::default()
        },
        failure: None,
    };
    if let Some((_, kind)) = plan.byzantine {
        state.figures.fault(kind.name());
    }
    let budget_ms: u64 = plan.steps.iter().map(|s| s.duration_ms).sum::<u64>()
        + 60_000
        + RECOVERY_MS_MAX
        + DRAIN_MS_MAX;
    let config = deterministic::Config::new()
        .with_seed(plan.seed)
        .with_timeout(Some(Duration::from_millis(budget_ms * 2)))
        .with_storage_fault_config(unsynced_loss());
    let mut runner = deterministic::Runner::new(config);
    loop {
        let ((next, life), checkpoint) =
            runner.start_and_recover(move |context| drive(context, state));
        state = next;
        match life {
            Life::PowerLoss if state.failure.is_none() => {
                runner = deterministic::Runner::from(checkpoint)
            }
            _ => break,
        }
    }
    for disk in &state.disks {
        let stats = disk.stats();
        state.figures.disk_ops_delayed += stats.delayed;
        state.figures.disk_delay_ms += stats.delay.as_millis() as u64;
    }
    match state.failure {
        Some(failure) => Err(failure),
        None => Ok(state.figures),
    }
}

/// One runtime's life: resume the validators, run steps until a power loss or the end.
async fn drive(context: Context, mut state: State) -> (State, Life) {
    let config = state.plan.sim_config();
    let stores = state
        .stores
        .take()
        .unwrap_or_else(|| (0..config.validators).map(|_| MemoryKv::new()).collect());
    let mut sim = Sim::resume_with_disks(context, config, stores, state.disks.clone()).await;
    state.crashed.clear();
    let life = match run_steps(&mut sim, &mut state).await {
        Ok(life) => life,
        Err(failure) => {
            state.failure = Some(failure);
            Life::Done
        }
    };
    state.figures.simulated_ms = sim
        .context()
        .current()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    state.stores = Some(sim.stores());
    (state, life)
}

async fn run_steps(sim: &mut Sim, state: &mut State) -> Result<Life, String> {
    if state.next_step == 0 {
        let honest = sim.honest();
        if !sim
            .wait_for_height(&honest, 2, Duration::from_secs(30))
            .await
        {
            return Err("the network never started".into());
        }
    }
    while state.next_step < state.plan.steps.len() {
        let step = state.plan.steps[state.next_step].clone();
        state.next_step += 1;
        state.figures.steps += 1;
        state.figures.fault(step.fault.kind());
        if apply(sim, state, &step.fault).await {
            return Ok(Life::PowerLoss);
        }
        load(sim, state, step.duration_ms).await;
        check_agreement(sim, state)?;
    }
    recover(sim, state).await?;
    drain(sim, state).await?;
    Ok(Life::Done)
}

/// Applies `fault`; true if the runtime must end (power loss).
async fn apply(sim: &mut Sim, state: &mut State, fault: &Fault) -> bool {
    match fault {
        Fault::Calm => {}
        Fault::Links {
            latency_ms,
            jitter_ms,
            delivered_pct,
        } => {
            sim.set_link(Link {
                latency: Duration::from_millis(*latency_ms),
                jitter: Duration::from_millis(*jitter_ms),
                success_rate: Probability::new(u64::from(*delivered_pct), 100).expect("<= 100%"),
            })
            .await
        }
        Fault::LinksHealthy => sim.set_link(good_link()).await,
        Fault::Partition(group) => sim.partition(group).await,
        Fault::Heal => sim.heal().await,
        Fault::Crash(i) => {
            sim.crash(*i);
            state.crashed.insert(*i);
        }
        Fault::Restart(i) => {
            if state.crashed.remove(i) {
                sim.boot(*i).await;
            }
        }
        Fault::PowerLoss => return true,
        Fault::SlowDisk {
            validator,
            latency_ms,
            reads,
        } => sim.slow_disk(
            *validator,
            Slowness {
                latency: Duration::from_millis(*latency_ms),
                reads: *reads,
            },
        ),
        Fault::DiskHealed(i) => sim.heal_disk(*i),
    }
    false
}

/// Submits one transfer every tick for `duration_ms`, each through a random running
/// honest validator, and records the ones acknowledged.
async fn load(sim: &Sim, state: &mut State, duration_ms: u64) {
    let ticks = duration_ms / TICK_MS;
    for _ in 0..ticks {
        let nodes = sim.honest_running();
        if !nodes.is_empty() {
            let node = nodes[state.rng.gen_range(0..nodes.len())];
            let sender = state.rng.gen_range(0..state.nonces.len());
            let tx = transfer(
                &account(sender),
                state.nonces[sender],
                Address::repeat_byte(0x77),
                U256::from(1),
            );
            if sim.submit(node, &tx).is_ok() {
                state.nonces[sender] += 1;
                state.figures.acknowledged += 1;
                state.acks.push(Ack {
                    tx,
                    final_everywhere: false,
                });
            }
        }
        sim.context().sleep(Duration::from_millis(TICK_MS)).await;
    }
}

fn check_agreement(sim: &Sim, state: &mut State) -> Result<(), String> {
    match sim.check_agreement_from(state.agreed_up_to) {
        Ok(common) => {
            state.agreed_up_to = common;
            Ok(())
        }
        Err(err) => {
            state.figures.divergences += 1;
            Err(err)
        }
    }
}

/// Heals everything, restarts every crashed validator, and measures how long (in time
/// and views) until every honest validator finalises a new block.
async fn recover(sim: &mut Sim, state: &mut State) -> Result<(), String> {
    sim.heal().await;
    sim.set_link(good_link()).await;
    for i in 0..sim.validators.len() {
        if sim.validators[i].disk.slowness().is_some() {
            sim.heal_disk(i);
        }
    }
    for i in std::mem::take(&mut state.crashed) {
        sim.boot(i).await;
    }
    let honest = sim.honest();
    let start = sim.context().current();
    let target = honest.iter().map(|&i| sim.height(i)).max().unwrap_or(0) + 1;
    let views_before = honest
        .iter()
        .filter_map(|&i| sim.view(i))
        .max()
        .unwrap_or(0);
    if !sim
        .wait_for_height(&honest, target, Duration::from_millis(RECOVERY_MS_MAX))
        .await
    {
        return Err(format!(
            "no liveness {RECOVERY_MS_MAX} ms after the last heal: heights {:?}, wanted {target}",
            honest.iter().map(|&i| sim.height(i)).collect::<Vec<_>>()
        ));
    }
    let took_ms = sim
        .context()
        .current()
        .duration_since(start)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    let views_after = honest
        .iter()
        .filter_map(|&i| sim.view(i))
        .max()
        .unwrap_or(0);
    let views = views_after.saturating_sub(views_before);
    state.figures.recovery_ms_max = state.figures.recovery_ms_max.max(took_ms);
    state.figures.recovery_views_max = state.figures.recovery_views_max.max(views);
    if views > RECOVERY_VIEWS_MAX {
        return Err(format!(
            "recovery took {views} views (bound {RECOVERY_VIEWS_MAX})"
        ));
    }
    check_agreement(sim, state)
}

/// Waits until every acknowledged transaction is final exactly once on every honest
/// validator; a client sends again those that are nowhere to be found.
async fn drain(sim: &Sim, state: &mut State) -> Result<(), String> {
    let honest = sim.honest();
    let deadline = sim.context().current() + Duration::from_millis(DRAIN_MS_MAX);
    let mut resubmitted = BTreeSet::<B256>::new();
    let mut round = 0u64;
    // Per honest validator: heights scanned so far and the inclusions seen in them.
    let mut scanned: Vec<(u64, BTreeMap<B256, u32>)> = vec![(0, BTreeMap::new()); honest.len()];
    loop {
        for (k, &i) in honest.iter().enumerate() {
            let head = sim.height(i);
            let (done, counts) = &mut scanned[k];
            check::count_inclusions(&sim.store(i), *done + 1, head, counts)?;
            *done = head.max(*done);
            check::no_duplicates(counts)?;
        }
        let counts: Vec<&BTreeMap<B256, u32>> = scanned.iter().map(|(_, c)| c).collect();
        for ack in state.acks.iter_mut().filter(|a| !a.final_everywhere) {
            ack.final_everywhere = counts.iter().all(|c| c.contains_key(&ack.tx.hash));
        }
        let missing: Vec<&Ack> = state.acks.iter().filter(|a| !a.final_everywhere).collect();
        if missing.is_empty() {
            break;
        }
        if sim.context().current() >= deadline {
            state.figures.lost += missing.len() as u64;
            return Err(format!(
                "{} acknowledged transactions not final {DRAIN_MS_MAX} ms after recovery, e.g. {}",
                missing.len(),
                missing[0].tx.hash
            ));
        }
        // Every 5 s, a client sends again what no validator has finalised or pooled:
        // the transactions a crash (or power loss) dropped before they were passed on.
        if round % 25 == 24 {
            let nodes = sim.honest_running();
            let dropped = missing.into_iter().filter(|a| !sim.pooled(&a.tx.hash));
            for ack in dropped.filter(|_| !nodes.is_empty()) {
                let node = nodes[state.rng.gen_range(0..nodes.len())];
                if sim.submit(node, &ack.tx).is_ok() {
                    resubmitted.insert(ack.tx.hash);
                }
            }
        }
        round += 1;
        sim.context().sleep(Duration::from_millis(TICK_MS)).await;
    }
    state.figures.resubmitted += resubmitted.len() as u64;
    state.figures.blocks += honest.iter().map(|&i| sim.height(i)).min().unwrap_or(0);
    check_agreement(sim, state)?;
    let hashes: Vec<B256> = state.acks.iter().map(|a| a.tx.hash).collect();
    for &i in &honest {
        sim.check_included(i, &hashes)?;
        state.figures.proven_by_descendant += sim.check_finality_proofs(i)?;
    }
    Ok(())
}

/// Runs the plan of `seed`, turning a panic into a failure; prints the replay command
/// when it fails.
pub fn run_seed(seed: u64, validators: usize, steps: usize) -> Result<Figures, String> {
    let plan = Plan::generate(seed, validators, steps);
    let result = std::panic::catch_unwind(|| run_plan(&plan)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into());
        Err(format!("panicked: {message}"))
    });
    if let Err(err) = &result {
        eprintln!(
            "simulation seed {seed} failed: {err}\n{plan}replay with: {}",
            plan.replay_command()
        );
    }
    result
}

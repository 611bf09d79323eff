//! Whole-node deterministic simulations. Each test prints its seed on failure with a
//! one-line replay command; set `ENTENTE_SIM_SEED` to run another seed, or
//! `ENTENTE_SIM_SEEDS=N` for N random fault schedules (a soak; see also the
//! `entente-sim` binary and the ignored `soak` test).

use std::time::Duration;

use alloy_primitives::{Address, B256, U256};
use commonware_runtime::Clock as _;
use entente_testkit::{
    fixtures::{account, transfer},
    sim::{
        Byzantine, Fault, Figures, Plan, Sim, SimConfig, Slowness, run, run_plan, run_seed,
        scenario::{RECOVERY_MS_MAX, Step},
        seed,
    },
};

/// Submits `count` transfers from each of `senders`, round-robin over `nodes`, and
/// returns the hashes the nodes acknowledged.
fn workload(
    sim: &Sim,
    senders: &[usize],
    nonces: &mut [u64],
    count: usize,
    nodes: &[usize],
) -> Vec<B256> {
    let mut acknowledged = Vec::new();
    for round in 0..count {
        for &sender in senders {
            let signer = account(sender);
            let tx = transfer(
                &signer,
                nonces[sender],
                Address::repeat_byte(0x77),
                U256::from(1),
            );
            let node = nodes[(round + sender) % nodes.len()];
            if let Ok(hash) = sim.submit(node, &tx) {
                acknowledged.push(hash);
                nonces[sender] += 1;
            }
        }
    }
    acknowledged
}

/// The seeds to run: `ENTENTE_SIM_SEED` alone, `ENTENTE_SIM_SEEDS=N` from
/// `ENTENTE_SIM_FIRST_SEED` (default 1), else `default`.
fn seeds(default: std::ops::RangeInclusive<u64>) -> Vec<u64> {
    let var = |name: &str| std::env::var(name).ok().and_then(|s| s.parse::<u64>().ok());
    if let Some(seed) = var("ENTENTE_SIM_SEED") {
        return vec![seed];
    }
    match var("ENTENTE_SIM_SEEDS") {
        Some(n) => {
            let first = var("ENTENTE_SIM_FIRST_SEED").unwrap_or(1);
            (first..first + n).collect()
        }
        None => default.collect(),
    }
}

fn run_seeds(seeds: &[u64]) -> Figures {
    let mut total = Figures::default();
    for &seed in seeds {
        match run_seed(seed, 4, 10) {
            Ok(figures) => total.merge(&figures),
            Err(_) => {
                total.seeds += 1;
                total.failed_seeds.push(seed);
            }
        }
    }
    eprintln!("{total}");
    total
}

/// The CI seed set: random fault schedules over every kind of fault, checked after
/// every step. A failure prints `cargo run -p entente-testkit --bin entente-sim -- --seed S`.
#[test]
fn random_fault_schedules() {
    let total = run_seeds(&seeds(1..=24));
    assert!(
        total.failed_seeds.is_empty(),
        "failed seeds: {:?}",
        total.failed_seeds
    );
    assert_eq!(total.lost, 0);
    assert_eq!(total.divergences, 0);
    assert!(total.blocks > 0 && total.acknowledged > 0);
}

/// A long soak: `ENTENTE_SIM_SEEDS=1000 cargo test -p entente-testkit --test simulation -- soak --ignored`.
#[test]
#[ignore = "long soak; run on demand"]
fn soak() {
    let total = run_seeds(&seeds(1..=200));
    assert!(
        total.failed_seeds.is_empty(),
        "failed seeds: {:?}",
        total.failed_seeds
    );
}

#[test]
fn plans_and_runs_replay_from_their_seed() {
    let plan = Plan::generate(seed(11), 4, 10);
    assert_eq!(plan, Plan::generate(plan.seed, 4, 10));
    assert_ne!(plan, Plan::generate(plan.seed + 1, 4, 10));
    assert!(
        plan.replay_command()
            .contains(&format!("--seed {}", plan.seed))
    );
    let first = run_plan(&plan).expect("seed passes");
    let second = run_plan(&plan).expect("seed passes");
    assert_eq!(first, second, "a seeded run must replay exactly");
}

/// One honest-looking validator of each byzantine kind: the three honest validators
/// keep finalising, agree, include every acknowledged transaction exactly once, and
/// never finalise a block the liar proposed.
#[test]
fn every_byzantine_kind_is_tolerated() {
    for kind in Byzantine::ALL {
        let name = format!("every_byzantine_kind_is_tolerated ({})", kind.name());
        run(
            &name,
            seed(3),
            Duration::from_secs(600),
            move |context| async move {
                let config = SimConfig::new(4).with_byzantine(1, kind);
                let sim = Sim::start(context, config).await;
                let honest = [0, 2, 3];
                let mut nonces = vec![0u64; 8];
                let mut acknowledged = Vec::new();
                for _ in 0..6 {
                    acknowledged.extend(workload(&sim, &[0, 2, 3, 4], &mut nonces, 2, &honest));
                    sim.context().sleep(Duration::from_secs(2)).await;
                }
                assert!(
                    sim.wait_for_height(&honest, 16, Duration::from_secs(120))
                        .await,
                    "{kind:?}: honest validators stalled at {:?}",
                    honest.map(|i| sim.height(i))
                );
                let target = sim.height(0) + 2;
                assert!(
                    sim.wait_for_height(&honest, target, Duration::from_secs(60))
                        .await
                );
                let common = sim.check_agreement().expect("honest validators diverged");
                for i in honest {
                    sim.check_included(i, &acknowledged)
                        .expect("an acknowledged transaction was lost");
                }
                let blocked = sim.blocked().await;
                eprintln!("{kind:?}: blocked {blocked:?}");
                if matches!(kind, Byzantine::Conflicter | Byzantine::Nuller) {
                    // Conflicting signed votes are proof of misbehaviour: honest
                    // validators block the signer.
                    assert!(
                        blocked.iter().any(|&(from, to)| to == 1 && from != 1),
                        "{kind:?}: nobody blocked the equivocating validator"
                    );
                }
                let liar = sim.spec.validators[1].fee_recipient;
                for height in 1..=common {
                    let block = sim.block(0, height).expect("committed");
                    assert_ne!(
                        block.header.proposer, liar,
                        "{kind:?}: a block the liar proposed was finalised at {height}"
                    );
                    assert!(block.txs.len() <= sim.spec.limits.block_txs_max as usize);
                }
            },
        );
    }
}

/// Whole-cluster power losses with unsynced journal writes dropped at random: every
/// validator resumes from its store and journals, nothing finalised is lost, and
/// every acknowledged transaction ends up final exactly once.
#[test]
fn power_loss_drops_unsynced_writes_and_loses_nothing_final() {
    let calm = |duration_ms| Step {
        fault: Fault::Calm,
        duration_ms,
    };
    let power_loss = Step {
        fault: Fault::PowerLoss,
        duration_ms: 0,
    };
    let plan = Plan {
        seed: seed(21),
        validators: 4,
        byzantine: None,
        steps: vec![
            calm(3_000),
            power_loss.clone(),
            calm(2_000),
            power_loss.clone(),
            power_loss,
            calm(3_000),
        ],
    };
    let figures = run_plan(&plan).unwrap_or_else(|err| {
        panic!("{err}\nreplay: ENTENTE_SIM_SEED={} cargo test -p entente-testkit --test simulation -- power_loss --exact", plan.seed)
    });
    assert_eq!(
        figures.faults["power loss (all validators, unsynced writes lost)"],
        3
    );
    assert!(figures.blocks > 10, "{figures}");
    assert_eq!(figures.lost, 0);
}

/// Liveness after a heal does not depend on how long the fault lasted: the engine's
/// timeouts do not grow (Besu QBFT's round timers double up to hours).
#[test]
fn recovery_after_a_long_split_is_as_quick_as_after_a_short_one() {
    let split = |duration_ms| Plan {
        seed: seed(31),
        validators: 4,
        byzantine: None,
        steps: vec![
            Step {
                fault: Fault::Partition(vec![0, 1]),
                duration_ms,
            },
            Step {
                fault: Fault::Heal,
                duration_ms: 500,
            },
        ],
    };
    let short = run_plan(&split(5_000)).expect("short split");
    let long = run_plan(&split(600_000)).expect("long split");
    eprintln!(
        "recovery after a 5 s split: {} ms ({} views); after a 10 min split: {} ms ({} views)",
        short.recovery_ms_max,
        short.recovery_views_max,
        long.recovery_ms_max,
        long.recovery_views_max
    );
    assert!(long.recovery_ms_max <= RECOVERY_MS_MAX);
    assert!(
        long.recovery_ms_max <= short.recovery_ms_max + 10_000,
        "recovery grew with the length of the fault"
    );
}

#[test]
fn four_validators_agree_through_partition_and_crash() {
    let name = "four_validators_agree_through_partition_and_crash";
    run(
        name,
        seed(1),
        Duration::from_secs(900),
        |context| async move {
            let mut sim = Sim::start(context, SimConfig::new(4)).await;
            let all = [0, 1, 2, 3];
            assert!(
                sim.wait_for_height(&all, 2, Duration::from_secs(60)).await,
                "network never started"
            );

            let mut nonces = vec![0u64; 8];
            let mut acknowledged = workload(&sim, &[0, 1, 2, 3], &mut nonces, 5, &all);

            // Isolate validator 3: the other three (a quorum) keep finalising.
            sim.partition(&[3]).await;
            let before = sim.height(0);
            acknowledged.extend(workload(&sim, &[0, 1], &mut nonces, 5, &[0, 1, 2]));
            assert!(
                sim.wait_for_height(&[0, 1, 2], before + 5, Duration::from_secs(60))
                    .await,
                "majority side stalled during the partition"
            );

            // Heal: validator 3 catches up.
            sim.heal().await;
            let target = sim.height(0);
            assert!(
                sim.wait_for_height(&all, target, Duration::from_secs(120))
                    .await,
                "isolated validator did not catch up after the heal"
            );

            // Crash validator 1, keep going, restart it.
            sim.crash(1);
            let before = sim.height(0);
            acknowledged.extend(workload(&sim, &[2, 3], &mut nonces, 5, &[0, 2, 3]));
            assert!(
                sim.wait_for_height(&[0, 2, 3], before + 5, Duration::from_secs(60))
                    .await,
                "network stalled with one validator down"
            );
            sim.boot(1).await;
            acknowledged.extend(workload(&sim, &[4], &mut nonces, 3, &all));
            let target = sim.height(0) + 3;
            assert!(
                sim.wait_for_height(&all, target, Duration::from_secs(120))
                    .await,
                "restarted validator did not catch up"
            );

            let common = sim.check_agreement().expect("honest validators diverged");
            eprintln!(
                "agreed on {common} blocks; {} transactions acknowledged",
                acknowledged.len()
            );
            assert!(common >= target);
            for i in all {
                sim.check_included(i, &acknowledged)
                    .expect("an acknowledged transaction was lost");
            }
        },
    );
}

/// One validator (f = 1 of 4) gets a very slow disk: every journal write, sync and read
/// waits 1.5 s. The other three keep finalising at their pace; the slow validator falls
/// behind; once its disk is healed it catches up, and every validator agrees on every
/// block, holds every acknowledged transaction exactly once (including those submitted
/// through the slow validator) and can prove every block it committed final.
#[test]
fn one_validator_with_a_very_slow_disk_catches_up_after_the_heal() {
    let name = "one_validator_with_a_very_slow_disk_catches_up_after_the_heal";
    run(
        name,
        seed(41),
        Duration::from_secs(900),
        |context| async move {
            let mut sim = Sim::start(context, SimConfig::new(4)).await;
            let (all, fast, slow) = ([0, 1, 2, 3], [0, 1, 2], 3);
            assert!(
                sim.wait_for_height(&all, 2, Duration::from_secs(60)).await,
                "network never started"
            );
            let mut nonces = vec![0u64; 8];
            let mut acknowledged = workload(&sim, &[0, 1, 2, 3], &mut nonces, 3, &all);

            let slowness = Slowness {
                latency: Duration::from_millis(1_500),
                reads: true,
            };
            sim.slow_disk(slow, slowness);
            let slowed_at = sim.height(0);
            let fault_start = sim.context().current();
            for _ in 0..15 {
                acknowledged.extend(workload(&sim, &[4, 5], &mut nonces, 1, &all));
                sim.context().sleep(Duration::from_secs(2)).await;
            }
            let lowest_fast = fast.map(|i| sim.height(i)).into_iter().min().unwrap();
            let slow_height = sim.height(slow);
            let stats = sim.validators[slow].disk.stats();
            eprintln!(
                "30 s of slow disk: fast validators {slowed_at} -> {lowest_fast}, slow validator at {slow_height}; {} disk operations delayed by {:?} in all",
                stats.delayed, stats.delay
            );
            assert!(
                lowest_fast >= slowed_at + 15,
                "the chain did not keep finalising while one disk was slow: {slowed_at} -> {lowest_fast}"
            );
            assert!(stats.delayed > 0, "the slow disk delayed nothing");
            assert!(
                slow_height < lowest_fast,
                "the slow validator kept up ({slow_height} vs {lowest_fast}): the fault did not bite"
            );
            for i in fast {
                assert_eq!(sim.validators[i].disk.stats().delayed, 0);
            }
            sim.check_agreement()
                .expect("validators diverged during the slow disk");

            // Healed: the slow validator catches up with the others.
            sim.heal_disk(slow);
            let healed_at = sim.context().current();
            let target = fast.map(|i| sim.height(i)).into_iter().max().unwrap();
            assert!(
                sim.wait_for_height(&[slow], target, Duration::from_secs(60))
                    .await,
                "the slow validator did not catch up within 60 s of the heal: at {} of {target}",
                sim.height(slow)
            );
            let caught_up_ms = sim
                .context()
                .current()
                .duration_since(healed_at)
                .unwrap()
                .as_millis();
            acknowledged.extend(workload(&sim, &[6], &mut nonces, 3, &all));
            let target = sim.height(0) + 3;
            assert!(
                sim.wait_for_height(&all, target, Duration::from_secs(120))
                    .await,
                "the network did not go on after the heal"
            );
            let common = sim.check_agreement().expect("validators diverged");
            eprintln!(
                "caught up {caught_up_ms} ms after the heal ({} ms of slow disk); agreed on {common} blocks",
                healed_at.duration_since(fault_start).unwrap().as_millis()
            );
            for i in all {
                sim.check_included(i, &acknowledged)
                    .expect("an acknowledged transaction was lost");
                sim.check_finality_proofs(i)
                    .expect("a committed block lacks a finality proof");
            }
            assert_eq!(
                sim.validators[slow].disk.stats(),
                stats,
                "the healed disk still delays"
            );
        },
    );
}

/// A slow disk as a step of a fault plan: slowed, carried through a whole-cluster power
/// loss while slow, healed; the plan's checkers pass (agreement after every step,
/// recovery, every acknowledged transaction final exactly once, finality proofs) and
/// the run, disk delays included, replays exactly from its seed.
#[test]
fn slow_disk_plans_pass_the_checkers_and_replay() {
    let step = |fault, duration_ms| Step { fault, duration_ms };
    let plan = Plan {
        seed: seed(43),
        validators: 4,
        byzantine: None,
        steps: vec![
            step(
                Fault::SlowDisk {
                    validator: 2,
                    latency_ms: 700,
                    reads: false,
                },
                4_000,
            ),
            step(Fault::PowerLoss, 0),
            step(Fault::Calm, 4_000),
            step(Fault::Crash(0), 3_000),
            step(Fault::DiskHealed(2), 2_000),
            step(Fault::Restart(0), 2_000),
        ],
    };
    let replay = format!(
        "replay: ENTENTE_SIM_SEED={} cargo test -p entente-testkit --test simulation -- slow_disk_plans --exact",
        plan.seed
    );
    let first = run_plan(&plan).unwrap_or_else(|err| panic!("{err}\n{replay}"));
    eprintln!("{first}");
    assert_eq!(first.faults["slow disk (one validator)"], 1);
    assert_eq!(first.faults["disk healed"], 1);
    assert!(first.disk_ops_delayed > 0, "the slow disk delayed nothing");
    assert_eq!(first.lost, 0);
    assert!(first.blocks > 10, "{first}");
    let second = run_plan(&plan).unwrap_or_else(|err| panic!("{err}\n{replay}"));
    assert_eq!(
        first, second,
        "a seeded run with a slow disk must replay exactly"
    );
}

#[test]
fn same_seed_replays_the_same_chain() {
    let name = "same_seed_replays_the_same_chain";
    let mut hashes = Vec::new();
    for _ in 0..2 {
        let (sender, receiver) = std::sync::mpsc::channel();
        run(
            name,
            seed(5),
            Duration::from_secs(300),
            move |context| async move {
                let sim = Sim::start(context, SimConfig::new(4)).await;
                let mut nonces = vec![0u64; 8];
                workload(&sim, &[0, 1], &mut nonces, 3, &[0, 1, 2, 3]);
                assert!(
                    sim.wait_for_height(&[0, 1, 2, 3], 6, Duration::from_secs(60))
                        .await
                );
                let block = sim.block(0, 6).expect("block 6");
                sender.send(block.hash()).unwrap();
            },
        );
        hashes.push(receiver.recv().unwrap());
    }
    assert_eq!(hashes[0], hashes[1], "a seeded run must replay exactly");
}

/// A call to a system module, signed by `signer` with `nonce`.
fn module_call(
    signer: &entente_primitives::LocalSigner,
    nonce: u64,
    to: Address,
    input: Vec<u8>,
) -> entente_primitives::RecoveredTx {
    signer
        .sign(alloy_consensus::TxEip1559 {
            chain_id: entente_testkit::fixtures::CHAIN_ID,
            nonce,
            gas_limit: 2_000_000,
            max_fee_per_gas: 0,
            max_priority_fee_per_gas: 0,
            to: alloy_primitives::TxKind::Call(to),
            value: U256::ZERO,
            access_list: Default::default(),
            input: input.into(),
        })
        .expect("test keys sign")
}

/// The supervision acceptance test against a lying build: validator 1 runs a node with
/// the supervision checks switched off, so once the regulators (accounts 0 and 1)
/// freeze account 4, it executes account 4's transfers as successful — in the blocks it
/// proposes and in those it verifies. Honest validators re-execute every proposal with
/// the freeze in force: no block of the liar with a frozen transfer is finalised, every
/// frozen transfer that is finalised failed with `Frozen(order)`, the frozen account's
/// balance never moves, the honest validators agree, and the liar, whose state now
/// differs, cannot follow the chain.
#[test]
fn a_proposer_that_ignores_a_freeze_is_rejected() {
    use alloy_sol_types::{SolCall as _, SolError as _};
    use entente_modules::{
        SUPERVISION_ADDRESS,
        supervision::abi::{FreezeSpec, ISupervision},
    };
    use entente_storage::StateView as _;

    run(
        "a_proposer_that_ignores_a_freeze_is_rejected",
        seed(5),
        Duration::from_secs(600),
        |context| async move {
            let config = SimConfig::new(4)
                .with_byzantine(1, Byzantine::IgnoresFreezes)
                .with_role(0, "regulator")
                .with_role(1, "regulator");
            let sim = Sim::start(context, config).await;
            let honest = [0, 2, 3];
            assert!(
                sim.wait_for_height(&honest, 2, Duration::from_secs(60))
                    .await
            );

            // The committee freezes account 4 (2 of 2 regulators).
            let frozen = account(4);
            let spec = FreezeSpec {
                kind: 1,
                target: frozen.address().into_word(),
                direction: 3,
                reason: 4,
                legalBasis: B256::repeat_byte(0xcc),
                ..Default::default()
            };
            let propose = module_call(
                &account(0),
                0,
                SUPERVISION_ADDRESS,
                ISupervision::proposeFreezeCall { spec }.abi_encode(),
            );
            sim.submit(0, &propose).expect("proposal accepted");
            let at = sim.height(0) + 3;
            assert!(
                sim.wait_for_height(&honest, at, Duration::from_secs(60))
                    .await
            );
            let vote = module_call(
                &account(1),
                0,
                SUPERVISION_ADDRESS,
                ISupervision::voteCall {
                    proposalId: 1,
                    agree: true,
                }
                .abi_encode(),
            );
            sim.submit(2, &vote).expect("vote accepted");
            let at = sim.height(0) + 3;
            assert!(
                sim.wait_for_height(&honest, at, Duration::from_secs(60))
                    .await
            );
            let frozen_from = sim.height(0);
            let balance_before = sim
                .store(0)
                .view(&entente_storage::StateBase::committed(frozen_from))
                .account(&frozen.address())
                .unwrap()
                .unwrap()
                .balance;

            // Account 4 keeps sending, through every validator, the liar included;
            // others' traffic goes on.
            let mut nonces = vec![0u64; 8];
            let mut sent = Vec::new();
            for _ in 0..8 {
                for node in 0..4 {
                    let tx = transfer(
                        &frozen,
                        nonces[4],
                        Address::repeat_byte(0x55),
                        U256::from(7),
                    );
                    if sim.submit(node, &tx).is_ok() {
                        sent.push(tx.hash);
                        nonces[4] += 1;
                    }
                }
                workload(&sim, &[2, 3], &mut nonces, 1, &honest);
                sim.context().sleep(Duration::from_secs(1)).await;
            }
            let target = sim.height(0) + 12;
            assert!(
                sim.wait_for_height(&honest, target, Duration::from_secs(240))
                    .await,
                "honest validators stalled at {:?}",
                honest.map(|i| sim.height(i))
            );
            let common = sim.check_agreement().expect("honest validators diverged");

            // Every frozen transfer that made it into a final block failed with the order.
            let liar = sim.spec.validators[1].fee_recipient;
            let store = sim.store(0);
            let mut failed = 0;
            for height in frozen_from + 1..=common {
                let block = sim.block(0, height).expect("committed");
                let receipts = store.receipts(height).unwrap().expect("receipts");
                for receipt in receipts.iter().filter(|r| r.from == frozen.address()) {
                    assert_ne!(
                        block.header.proposer, liar,
                        "a block of the liar with a frozen transfer was finalised at {height}"
                    );
                    assert!(!receipt.success, "a frozen transfer succeeded at {height}");
                    assert_eq!(
                        receipt.output.as_ref(),
                        ISupervision::Frozen { orderId: 1 }.abi_encode().as_slice()
                    );
                    failed += 1;
                }
            }
            assert!(failed > 0, "no frozen transfer was included at all");
            let balance_after = store
                .view(&entente_storage::StateBase::committed(common))
                .account(&frozen.address())
                .unwrap()
                .unwrap()
                .balance;
            assert_eq!(balance_after, balance_before);
            assert!(
                sim.height(1) < common,
                "the liar followed the honest chain, so it never disagreed"
            );
            eprintln!(
                "{} frozen transfers sent, {failed} included as failed; {common} blocks agreed; the liar's node is at {}",
                sent.len(),
                sim.height(1)
            );
        },
    );
}

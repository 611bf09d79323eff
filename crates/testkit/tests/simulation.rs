//! Whole-node deterministic simulations. Each test prints its seed on failure with a
//! one-line replay command; set `ENTENTE_SIM_SEED` to run another seed.

use std::time::Duration;

use alloy_primitives::{Address, B256, U256};
use entente_testkit::{
    fixtures::{account, transfer},
    sim::{Sim, SimConfig, run, seed},
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

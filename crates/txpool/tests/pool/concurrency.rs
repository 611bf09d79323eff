//! The pool shared by several threads at once: nothing lost, bounds always held.

use std::{
    collections::BTreeMap,
    sync::{
        OnceLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Instant,
};

use alloy_primitives::Address;
use entente_primitives::RecoveredTx;
use entente_txpool::PoolError;

use crate::common::*;

const THREADS: u64 = 4;
const SENDERS_PER_THREAD: u64 = 25;
const NONCES: u64 = 100;

/// 10,000 signed transactions: per thread, 25 senders × 100 nonces, in the order the
/// thread submits them (nonces ascending, senders interleaved). Signed once per run.
fn batches() -> &'static Vec<Vec<RecoveredTx>> {
    static BATCHES: OnceLock<Vec<Vec<RecoveredTx>>> = OnceLock::new();
    BATCHES.get_or_init(|| {
        (0..THREADS)
            .map(|t| {
                let signers: Vec<_> = (0..SENDERS_PER_THREAD)
                    .map(|i| signer(1_000 + t * SENDERS_PER_THREAD + i))
                    .collect();
                (0..NONCES)
                    .flat_map(|n| signers.iter().map(move |s| tx(s, n, 1)))
                    .collect()
            })
            .collect()
    })
}

#[test]
fn four_threads_insert_ten_thousand_without_loss() {
    let batches = batches();
    let total = (THREADS * SENDERS_PER_THREAD * NONCES) as usize;
    let pool = pool();
    let done = AtomicBool::new(false);
    let started = Instant::now();
    std::thread::scope(|scope| {
        let inserters: Vec<_> = batches
            .iter()
            .map(|batch| {
                let pool = pool.clone();
                scope.spawn(move || {
                    for t in batch {
                        pool.insert(t.clone(), 0).expect("room for all");
                    }
                })
            })
            .collect();
        // A proposer and an RPC reader running meanwhile.
        let reader = scope.spawn(|| {
            let mut proposals = 0;
            while !done.load(Ordering::Relaxed) {
                assert_valid_proposal(&pool.best(1_000, MIB, &zero));
                assert!(pool.len() <= total);
                proposals += 1;
            }
            proposals
        });
        for inserter in inserters {
            inserter.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
        reader.join().unwrap();
    });
    let elapsed = started.elapsed();
    eprintln!("{total} inserts from {THREADS} threads (with a concurrent proposer) in {elapsed:?}");
    assert_eq!(pool.len(), total);
    assert_eq!(pool.senders(), (THREADS * SENDERS_PER_THREAD) as usize);
    let bytes: usize = batches.iter().flatten().map(|t| t.raw.len()).sum();
    assert_eq!(pool.bytes(), bytes);
    let proposal = pool.best(usize::MAX, usize::MAX, &zero);
    assert_eq!(proposal.len(), total);
    assert_valid_proposal(&proposal);
    let stats = pool.stats();
    assert_eq!((stats.inserted, stats.rejected.total()), (total as u64, 0));
}

#[test]
fn a_bounded_pool_under_concurrent_load_stays_within_its_limits() {
    let batches = batches();
    let txs_max = 2_000;
    let bytes_max = 150_000;
    let pool = pool_with(|l| {
        l.txs_max = txs_max;
        l.bytes_max = bytes_max;
    });
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let inserters: Vec<_> = batches
            .iter()
            .map(|batch| {
                let pool = pool.clone();
                scope.spawn(move || {
                    for t in batch {
                        match pool.insert(t.clone(), 0) {
                            Ok(_) | Err(PoolError::PoolFull) => {}
                            // A block committed meanwhile may have used the nonce.
                            Err(PoolError::NonceTooLow { .. }) => {}
                            Err(other) => panic!("unexpected refusal: {other}"),
                        }
                    }
                })
            })
            .collect();
        // A block producer: proposes, then commits what it proposed. It starts once the
        // pool has hit its bound (10,000 transactions against a bound of 2,000 always
        // get there), so the bound is exercised however the threads are scheduled, and
        // then drains concurrently with the inserters still running.
        let producer = scope.spawn(|| {
            let full = || {
                let stats = pool.stats();
                stats.evicted > 0 || stats.rejected.pool_full > 0
            };
            while !full() && !done.load(Ordering::Relaxed) {
                std::thread::yield_now();
            }
            let mut committed: BTreeMap<Address, u64> = BTreeMap::new();
            while !done.load(Ordering::Relaxed) {
                let block = {
                    let nonce_of = |s: &Address| committed.get(s).copied().unwrap_or(0);
                    pool.best(500, 64 * 1024, &nonce_of)
                };
                assert_valid_proposal(&block);
                for t in &block {
                    committed.insert(t.sender, t.nonce() + 1);
                }
                pool.on_committed(committed.iter().map(|(s, n)| (*s, *n)));
                assert!(pool.len() <= txs_max && pool.bytes() <= bytes_max);
            }
        });
        for inserter in inserters {
            inserter.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
        producer.join().unwrap();
    });
    assert!(pool.len() <= txs_max && pool.bytes() <= bytes_max);
    let stats = pool.stats();
    // Every accepted transaction is still held or was accounted for on its way out.
    assert_eq!(
        stats.inserted - stats.evicted - stats.pruned - stats.removed,
        pool.len() as u64
    );
    assert!(
        stats.evicted > 0 || stats.rejected.pool_full > 0,
        "the bound was reached"
    );
}

/// Each sender's nonces in a proposal are contiguous and ascending.
fn assert_valid_proposal(txs: &[std::sync::Arc<RecoveredTx>]) {
    let mut last: BTreeMap<Address, u64> = BTreeMap::new();
    for t in txs {
        if let Some(previous) = last.insert(t.sender, t.nonce()) {
            assert_eq!(t.nonce(), previous + 1, "nonce order within a sender");
        }
    }
}

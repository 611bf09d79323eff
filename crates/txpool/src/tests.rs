//! A seeded random walk over the pool's operations with tight limits, checking the
//! internal invariants (indexes, byte count, ready runs, eviction keys) after every step
//! and the public promises (bounds, proposal shape, accounting) along the way.

use std::collections::{BTreeMap, HashMap};

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use entente_primitives::{LocalSigner, RecoveredTx};

use crate::{PoolError, PoolLimits, TxPool};

const SENDERS: usize = 5;

/// xorshift64*: enough randomness for a replayable walk, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Txs {
    signers: Vec<LocalSigner>,
    cache: HashMap<(usize, u64, u128, usize), RecoveredTx>,
}

impl Txs {
    /// Sizes vary with the price so that the byte bound matters.
    fn get(&mut self, sender: usize, nonce: u64, price: u128) -> RecoveredTx {
        self.sized(sender, nonce, price, (price as usize % 3) * 40)
    }

    fn sized(&mut self, sender: usize, nonce: u64, price: u128, data: usize) -> RecoveredTx {
        let signer = &self.signers[sender];
        self.cache
            .entry((sender, nonce, price, data))
            .or_insert_with(|| {
                signer
                    .sign(TxEip1559 {
                        chain_id: 1,
                        nonce,
                        gas_limit: 21_000,
                        max_fee_per_gas: price,
                        max_priority_fee_per_gas: price,
                        to: TxKind::Call(Address::repeat_byte(1)),
                        value: U256::ZERO,
                        access_list: Default::default(),
                        input: Bytes::from(vec![1; data]),
                    })
                    .expect("signable")
            })
            .clone()
    }
}

fn walk(seed: u64, steps: usize) {
    let limits = PoolLimits {
        txs_max: 12,
        bytes_max: 1_600,
        per_sender_max: 4,
        nonce_gap_max: 2,
        price_bump_percent: 10,
        committed_senders_max: 3,
        base_fee: 0,
    };
    let pool = TxPool::new(limits.clone());
    let mut rng = Rng(seed);
    let mut txs = Txs {
        signers: (0..SENDERS)
            .map(|i| LocalSigner::deterministic(&format!("walk/{i}")))
            .collect(),
        cache: HashMap::new(),
    };
    let addresses: Vec<Address> = txs.signers.iter().map(LocalSigner::address).collect();
    let mut committed = vec![0u64; SENDERS];
    let mut known = Vec::new();
    for step in 0..steps {
        match rng.below(10) {
            0..=5 => {
                let sender = rng.below(SENDERS as u64) as usize;
                let nonce = (committed[sender] + rng.below(7)).saturating_sub(1);
                let price = [0, 1, 2, 5, 11][rng.below(5) as usize];
                let tx = txs.get(sender, nonce, price);
                // Sometimes the caller read an older state than the last commit.
                let account_nonce = committed[sender].saturating_sub(rng.below(2));
                let was_held = pool.contains(&tx.hash);
                match pool.insert(tx.clone(), account_nonce) {
                    Ok(_) => assert!(pool.contains(&tx.hash), "step {step}"),
                    Err(PoolError::AlreadyKnown) => assert!(was_held),
                    Err(PoolError::NonceTooLow { account_nonce, .. }) => {
                        assert!(nonce < account_nonce && account_nonce <= committed[sender])
                    }
                    Err(_) => assert!(!pool.contains(&tx.hash)),
                }
                known.push(tx.hash);
            }
            6 => {
                // Produce and commit a block of up to three transactions.
                let block = pool.best(3, usize::MAX, &|s| nonce_in(&addresses, &committed, s));
                for tx in &block {
                    let sender = addresses.iter().position(|a| *a == tx.sender).unwrap();
                    assert_eq!(tx.nonce(), committed[sender], "step {step}");
                    committed[sender] += 1;
                }
                pool.on_committed(addresses.iter().copied().zip(committed.iter().copied()));
            }
            7 if !known.is_empty() => {
                let hash = known[rng.below(known.len() as u64) as usize];
                pool.remove(&hash);
            }
            _ => {
                let starts: Vec<u64> = committed.iter().map(|n| n + rng.below(2)).collect();
                let (count, bytes) = (rng.below(8) as usize, rng.below(1_000) as usize);
                let proposal = pool.best(count, bytes, &|s| nonce_in(&addresses, &starts, s));
                check_proposal(&pool, &proposal, &addresses, &starts, count, bytes);
            }
        }
        pool.check();
        assert!(pool.len() <= limits.txs_max && pool.bytes() <= limits.bytes_max);
        let all = pool.best(usize::MAX, usize::MAX, &|s| {
            nonce_in(&addresses, &committed, s)
        });
        for (i, address) in addresses.iter().enumerate() {
            let run = all.iter().filter(|tx| tx.sender == *address).count() as u64;
            assert_eq!(
                pool.pending_nonce(address, committed[i]),
                committed[i] + run
            );
        }
        let stats = pool.stats();
        assert_eq!(
            stats.inserted - stats.evicted - stats.pruned - stats.removed,
            pool.len() as u64,
            "step {step}"
        );
    }
    // The walk reached every path it is meant to test.
    let stats = pool.stats();
    eprintln!("seed {seed:#x}: {stats:?}");
    assert!(stats.replaced > 0 && stats.evicted > 0 && stats.pruned > 0 && stats.removed > 0);
    let rejected = stats.rejected;
    assert!(rejected.pool_full > 0 && rejected.sender_full > 0 && rejected.nonce_gap_too_large > 0);
    assert!(rejected.replacement_underpriced > 0 && rejected.nonce_too_low > 0);
}

fn nonce_in(addresses: &[Address], nonces: &[u64], sender: &Address) -> u64 {
    addresses
        .iter()
        .position(|a| a == sender)
        .map_or(0, |i| nonces[i])
}

fn check_proposal(
    pool: &TxPool,
    proposal: &[std::sync::Arc<RecoveredTx>],
    addresses: &[Address],
    starts: &[u64],
    count: usize,
    bytes: usize,
) {
    assert!(proposal.len() <= count);
    assert!(proposal.iter().map(|tx| tx.raw.len()).sum::<usize>() <= bytes);
    let mut next: BTreeMap<Address, u64> = BTreeMap::new();
    for tx in proposal {
        assert!(pool.contains(&tx.hash));
        let expected = next
            .entry(tx.sender)
            .or_insert_with(|| nonce_in(addresses, starts, &tx.sender));
        assert_eq!(
            tx.nonce(),
            *expected,
            "contiguous from the proposer's nonce"
        );
        *expected += 1;
    }
}

#[test]
fn random_walks_keep_every_invariant() {
    for seed in [1, 0xfeed, 0x5eed_1234_abcd] {
        walk(seed, 1_500);
    }
}

#[test]
fn a_refused_newcomer_leaves_no_trace() {
    let mut txs = Txs {
        signers: (0..2)
            .map(|i| LocalSigner::deterministic(&format!("trace/{i}")))
            .collect(),
        cache: HashMap::new(),
    };
    let mut held: Vec<RecoveredTx> = (0..4).map(|n| txs.sized(0, n, 1, 0)).collect();
    held.extend((0..2).map(|n| txs.sized(1, n, 1, 0)));
    let pool = TxPool::new(PoolLimits {
        bytes_max: held.iter().map(|t| t.raw.len()).sum(),
        ..PoolLimits::default()
    });
    for tx in &held {
        pool.insert(tx.clone(), 0).unwrap();
    }
    let hashes = |pool: &TxPool| -> Vec<_> {
        let proposal = pool.best(usize::MAX, usize::MAX, &|_| 0);
        proposal.iter().map(|t| t.hash).collect()
    };
    let before = hashes(&pool);
    // Needs two of sender 0's transactions gone; outranks only the first (sender 0 then
    // holds three, as sender 1 would, and arrived earlier), so it evicts it, then puts
    // it back.
    let big = txs.sized(1, 2, 1, 150);
    assert_eq!(pool.insert(big, 0), Err(PoolError::PoolFull));
    pool.check();
    assert_eq!(hashes(&pool), before);
    assert_eq!(pool.stats().evicted, 0);
    // A new sender's next nonce outranks every tail: two go (of sender 0, which holds
    // the most each time).
    let other = LocalSigner::deterministic("trace/other");
    let fresh = other
        .sign(TxEip1559 {
            chain_id: 1,
            nonce: 0,
            gas_limit: 21_000,
            max_fee_per_gas: 0,
            max_priority_fee_per_gas: 0,
            to: TxKind::Call(Address::repeat_byte(1)),
            value: U256::ZERO,
            access_list: Default::default(),
            input: Bytes::from(vec![1; 90]),
        })
        .expect("signable");
    pool.insert(fresh, 0).unwrap();
    pool.check();
    assert_eq!(pool.stats().evicted, 2);
    assert_eq!(pool.pending_nonce(&txs.signers[0].address(), 0), 2);
}

use std::{collections::BTreeMap, sync::Arc};

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use entente_primitives::{LocalSigner, RecoveredTx};
use entente_txpool::{Inserted, PoolError, PoolLimits, TxPool};

fn signer(i: u64) -> LocalSigner {
    LocalSigner::deterministic(&format!("pool/{i}"))
}

fn tx(from: &LocalSigner, nonce: u64, tip: u128, data: usize) -> RecoveredTx {
    from.sign(TxEip1559 {
        chain_id: 1,
        nonce,
        gas_limit: 100_000,
        max_fee_per_gas: tip,
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(Address::repeat_byte(9)),
        value: U256::ZERO,
        access_list: Default::default(),
        input: Bytes::from(vec![0u8; data]),
    })
    .unwrap()
}

fn nonces(txs: &[Arc<RecoveredTx>]) -> Vec<(Address, u64)> {
    txs.iter().map(|t| (t.sender, t.nonce())).collect()
}

#[test]
fn nonce_order_and_gaps() {
    let pool = TxPool::new(PoolLimits::default());
    let a = signer(1);
    pool.insert(tx(&a, 2, 0, 0), 0).unwrap();
    pool.insert(tx(&a, 0, 0, 0), 0).unwrap();
    // Nonce 1 is missing: only 0 is executable.
    assert_eq!(
        nonces(&pool.best(100, 1 << 20, &|_| 0)),
        vec![(a.address(), 0)]
    );
    assert_eq!(pool.pending_nonce(&a.address(), 0), 1);
    pool.insert(tx(&a, 1, 0, 0), 0).unwrap();
    assert_eq!(
        nonces(&pool.best(100, 1 << 20, &|_| 0)),
        vec![(a.address(), 0), (a.address(), 1), (a.address(), 2)]
    );
    assert_eq!(pool.pending_nonce(&a.address(), 0), 3);
    // A proposer whose parent already includes nonce 0 starts at 1.
    assert_eq!(nonces(&pool.best(100, 1 << 20, &|_| 1)).len(), 2);
    assert_eq!(pool.best(1, 1 << 20, &|_| 0).len(), 1, "count limit");
}

#[test]
fn refusals_name_the_reason() {
    let limits = PoolLimits {
        per_sender_max: 2,
        nonce_gap_max: 10,
        ..PoolLimits::default()
    };
    let pool = TxPool::new(limits);
    let a = signer(1);
    let first = tx(&a, 5, 0, 0);
    pool.insert(first.clone(), 5).unwrap();
    assert_eq!(pool.insert(first, 5), Err(PoolError::AlreadyKnown));
    assert!(matches!(
        pool.insert(tx(&a, 4, 0, 0), 5),
        Err(PoolError::NonceTooLow { .. })
    ));
    assert!(matches!(
        pool.insert(tx(&a, 16, 0, 0), 5),
        Err(PoolError::NonceGapTooLarge { .. })
    ));
    pool.insert(tx(&a, 6, 0, 0), 5).unwrap();
    assert!(matches!(
        pool.insert(tx(&a, 7, 0, 0), 5),
        Err(PoolError::SenderFull { .. })
    ));
    assert_eq!(pool.stats().rejected, 4);
}

#[test]
fn replacement_needs_a_higher_fee() {
    let pool = TxPool::new(PoolLimits::default());
    let a = signer(1);
    let zero = tx(&a, 0, 0, 0);
    pool.insert(zero.clone(), 0).unwrap();
    // Another zero-priced transaction with the same nonce is underpriced.
    assert!(matches!(
        pool.insert(tx(&a, 0, 0, 1), 0),
        Err(PoolError::ReplacementUnderpriced { .. })
    ));
    // Any non-zero price replaces a zero price.
    let paid = tx(&a, 0, 100, 0);
    assert_eq!(
        pool.insert(paid.clone(), 0),
        Ok(Inserted::Replaced(zero.hash))
    );
    assert!(!pool.contains(&zero.hash));
    // Less than a 10% bump is refused; 10% is enough.
    assert!(matches!(
        pool.insert(tx(&a, 0, 109, 0), 0),
        Err(PoolError::ReplacementUnderpriced { .. })
    ));
    assert!(matches!(
        pool.insert(tx(&a, 0, 110, 0), 0),
        Ok(Inserted::Replaced(_))
    ));
    assert_eq!(pool.len(), 1);
}

#[test]
fn full_pool_evicts_the_longest_queue_tail() {
    let limits = PoolLimits {
        txs_max: 4,
        ..PoolLimits::default()
    };
    let pool = TxPool::new(limits);
    let (a, b, c) = (signer(1), signer(2), signer(3));
    for n in 0..3 {
        pool.insert(tx(&a, n, 0, 0), 0).unwrap();
    }
    pool.insert(tx(&b, 0, 0, 0), 0).unwrap();
    // c's first transaction evicts a's highest nonce.
    pool.insert(tx(&c, 0, 0, 0), 0).unwrap();
    assert_eq!(pool.len(), 4);
    assert_eq!(pool.pending_nonce(&a.address(), 0), 2);
    assert_eq!(pool.stats().evicted, 1);
    // a cannot push out its own lower nonces.
    assert_eq!(pool.insert(tx(&a, 2, 0, 0), 0), Err(PoolError::PoolFull));
}

#[test]
fn byte_limit_is_enforced() {
    let one = tx(&signer(1), 0, 0, 1000).raw.len();
    let pool = TxPool::new(PoolLimits {
        bytes_max: one * 2 + 10,
        ..PoolLimits::default()
    });
    pool.insert(tx(&signer(1), 0, 0, 1000), 0).unwrap();
    pool.insert(tx(&signer(2), 0, 0, 1000), 0).unwrap();
    assert_eq!(
        pool.insert(tx(&signer(3), 0, 0, 1000), 0),
        Err(PoolError::PoolFull)
    );
    assert!(pool.bytes() <= one * 2 + 10);
    assert_eq!(pool.best(10, one, &|_| 0).len(), 1, "byte budget of best()");
}

#[test]
fn committed_nonces_prune_the_pool() {
    let pool = TxPool::new(PoolLimits::default());
    let a = signer(1);
    let hashes: Vec<_> = (0..5)
        .map(|n| {
            let t = tx(&a, n, 0, 0);
            pool.insert(t.clone(), 0).unwrap();
            t.hash
        })
        .collect();
    pool.on_committed([(a.address(), 3)]);
    assert_eq!(pool.len(), 2);
    assert!(!pool.contains(&hashes[2]));
    assert!(pool.contains(&hashes[3]));
    assert!(pool.remove(&hashes[3]).is_some());
    assert_eq!(pool.len(), 1);
}

#[test]
fn senders_are_interleaved_fairly_and_tips_go_first() {
    let pool = TxPool::new(PoolLimits::default());
    let (a, b, rich) = (signer(1), signer(2), signer(3));
    for n in 0..3 {
        pool.insert(tx(&a, n, 0, 0), 0).unwrap();
        pool.insert(tx(&b, n, 0, 0), 0).unwrap();
    }
    pool.insert(tx(&rich, 0, 50, 0), 0).unwrap();
    let order = nonces(&pool.best(100, 1 << 20, &|_| 0));
    assert_eq!(order[0], (rich.address(), 0), "the tip goes first");
    let rest: Vec<_> = order[1..].iter().map(|(s, _)| *s).collect();
    assert_eq!(
        rest,
        vec![
            a.address(),
            b.address(),
            a.address(),
            b.address(),
            a.address(),
            b.address()
        ]
    );
    // Same content, same answer.
    assert_eq!(order, nonces(&pool.best(100, 1 << 20, &|_| 0)));
}

#[test]
fn concurrent_inserts_lose_nothing() {
    let pool = TxPool::new(PoolLimits::default());
    let txs: Vec<Vec<RecoveredTx>> = (0..4)
        .map(|t| (0..250).map(|n| tx(&signer(100 + t), n, 0, 0)).collect())
        .collect();
    std::thread::scope(|scope| {
        for batch in &txs {
            let pool = pool.clone();
            scope.spawn(move || {
                for t in batch {
                    pool.insert(t.clone(), 0).unwrap();
                }
            });
        }
    });
    assert_eq!(pool.len(), 1000);
    assert_eq!(pool.senders(), 4);
    let best = pool.best(10_000, usize::MAX, &|_| 0);
    let mut per_sender: BTreeMap<Address, Vec<u64>> = BTreeMap::new();
    for t in &best {
        per_sender.entry(t.sender).or_default().push(t.nonce());
    }
    for nonces in per_sender.values() {
        assert_eq!(nonces, &(0..250).collect::<Vec<_>>());
    }
}

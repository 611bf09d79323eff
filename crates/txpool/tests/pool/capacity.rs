//! The count and byte bounds: what is evicted for a newcomer, and when it is refused.

use entente_primitives::RecoveredTx;
use entente_txpool::{Inserted, PoolError};

use crate::common::*;

fn bytes_of(txs: &[&RecoveredTx]) -> usize {
    txs.iter().map(|t| t.raw.len()).sum()
}

#[test]
fn a_full_pool_evicts_the_tail_of_the_longest_sender() {
    let pool = pool_with(|l| l.txs_max = 5);
    let (a, b, c, d) = (signer(1), signer(2), signer(3), signer(4));
    for nonce in 0..3 {
        pool.insert(tx(&a, nonce, 1), 0).unwrap();
    }
    for nonce in 0..2 {
        pool.insert(tx(&b, nonce, 1), 0).unwrap();
    }
    let a2 = tx(&a, 2, 1).hash;
    assert_eq!(pool.insert(tx(&c, 0, 1), 0), Ok(Inserted::New));
    assert!(!pool.contains(&a2), "a held the most");
    assert_eq!(pool.pending_nonce(&a.address(), 0), 2);
    // a and b now hold two each at the same tip: the later arrival goes.
    let b1 = tx(&b, 1, 1).hash;
    pool.insert(tx(&d, 0, 1), 0).unwrap();
    assert!(!pool.contains(&b1));
    assert_eq!(pool.len(), 5);
    assert_eq!(pool.stats().evicted, 2);
}

#[test]
fn a_newcomer_ranking_no_higher_is_refused_and_changes_nothing() {
    let pool = pool_with(|l| l.txs_max = 4);
    let (a, b) = (signer(1), signer(2));
    for nonce in 0..2 {
        pool.insert(tx(&a, nonce, 1), 0).unwrap();
        pool.insert(tx(&b, nonce, 1), 0).unwrap();
    }
    let before = best_all(&pool);
    // a's nonce 2 would make a the longest sender: it would be its own victim.
    assert_eq!(pool.insert(tx(&a, 2, 1), 0), Err(PoolError::PoolFull));
    assert_eq!(best_all(&pool), before);
    assert_eq!(pool.stats().evicted, 0);
}

#[test]
fn transactions_behind_a_gap_are_evicted_before_ready_ones() {
    let pool = pool_with(|l| l.txs_max = 4);
    let (a, b, c) = (signer(1), signer(2), signer(3));
    for nonce in 0..3 {
        pool.insert(tx(&a, nonce, 1), 0).unwrap();
    }
    let gapped = tx(&b, 5, 100);
    pool.insert(gapped.clone(), 0).unwrap();
    pool.insert(tx(&c, 0, 0), 0).unwrap();
    assert!(
        !pool.contains(&gapped.hash),
        "cannot execute, so it goes first"
    );
    assert_eq!(pool.pending_nonce(&a.address(), 0), 3);
    assert_eq!(pool.senders(), 2);
}

#[test]
fn a_senders_next_transaction_is_never_evicted() {
    let pool = pool_with(|l| l.txs_max = 3);
    for i in 0..3 {
        pool.insert(tx(&signer(i), 0, 1), 0).unwrap();
    }
    assert_eq!(
        pool.insert(tx(&signer(9), 0, 1_000), 0),
        Err(PoolError::PoolFull)
    );
    assert_eq!(
        pool.insert(tx(&signer(9), 2, 1_000), 0),
        Err(PoolError::PoolFull)
    );
    assert_eq!(pool.len(), 3);
    assert_eq!(pool.stats().rejected.pool_full, 2);
}

#[test]
fn between_equal_shares_the_lower_tip_is_evicted() {
    let pool = pool_with(|l| l.txs_max = 4);
    let (a, b, c) = (signer(1), signer(2), signer(3));
    for nonce in 0..2 {
        pool.insert(tx(&a, nonce, 1), 0).unwrap();
    }
    for nonce in 0..2 {
        pool.insert(tx(&b, nonce, 5), 0).unwrap();
    }
    pool.insert(tx(&c, 0, 0), 0).unwrap();
    assert!(!pool.contains(&tx(&a, 1, 1).hash));
    assert!(pool.contains(&tx(&b, 1, 5).hash));
}

#[test]
fn the_byte_bound_evicts_as_many_as_needed() {
    let (a, b, c) = (signer(1), signer(2), signer(3));
    let small: Vec<_> = (0..4).map(|n| tx(&a, n, 1)).collect();
    let other = tx(&b, 0, 1);
    let mut held: Vec<&RecoveredTx> = small.iter().collect();
    held.push(&other);
    let bytes_max = bytes_of(&held);
    let pool = pool_with(|l| l.bytes_max = bytes_max);
    for t in &held {
        pool.insert((*t).clone(), 0).unwrap();
    }
    // Bigger than one small transaction, no bigger than two.
    let big = tx_sized(&c, 0, 1, small[0].raw.len() / 2);
    assert!(big.raw.len() > small[3].raw.len());
    assert!(big.raw.len() <= small[3].raw.len() + small[2].raw.len());
    assert_eq!(pool.insert(big, 0), Ok(Inserted::New));
    assert_eq!(pool.stats().evicted, 2);
    assert_eq!(pool.pending_nonce(&a.address(), 0), 2);
    assert!(pool.bytes() <= bytes_max);
}

#[test]
fn when_the_room_cannot_be_made_nothing_is_evicted() {
    let (a, c) = (signer(1), signer(3));
    let a_txs: Vec<_> = (0..4).map(|n| tx(&a, n, 1)).collect();
    let c_txs: Vec<_> = (0..2).map(|n| tx(&c, n, 1)).collect();
    let held: Vec<&RecoveredTx> = a_txs.iter().chain(&c_txs).collect();
    let pool = pool_with(|l| l.bytes_max = bytes_of(&held));
    for t in &held {
        pool.insert((*t).clone(), 0).unwrap();
    }
    let before = best_all(&pool);
    let bytes = pool.bytes();
    // c's nonce 2 outranks a's nonce 3 (a holds four) but not a's nonce 2 (a would hold
    // three, as c would, and c's arrived later); it needs both gone.
    let big = tx_sized(&c, 2, 1, a_txs[0].raw.len());
    assert_eq!(pool.insert(big, 0), Err(PoolError::PoolFull));
    assert_eq!(best_all(&pool), before);
    assert_eq!(pool.bytes(), bytes);
    assert_eq!(pool.stats().evicted, 0);
}

#[test]
fn a_transaction_bigger_than_the_pool_is_refused_outright() {
    let pool = pool_with(|l| l.bytes_max = 1_000);
    pool.insert(tx(&signer(1), 0, 1), 0).unwrap();
    pool.insert(tx(&signer(1), 1, 1), 0).unwrap();
    let huge = tx_sized(&signer(2), 0, 1, 2_000);
    assert_eq!(pool.insert(huge, 0), Err(PoolError::PoolFull));
    assert_eq!((pool.len(), pool.stats().evicted), (2, 0));
}

#[test]
fn a_full_pool_keeps_the_original_when_a_replacement_cannot_fit() {
    let (a, b) = (signer(1), signer(2));
    let held = [tx(&a, 0, 1), tx(&a, 1, 1), tx(&b, 0, 1)];
    let pool = pool_with(|l| l.bytes_max = bytes_of(&held.iter().collect::<Vec<_>>()));
    for t in &held {
        pool.insert(t.clone(), 0).unwrap();
    }
    // Bigger: the only thing it could evict is the transaction it replaces.
    let bigger = tx_sized(&a, 1, 10, 50);
    assert_eq!(pool.insert(bigger, 0), Err(PoolError::PoolFull));
    assert!(pool.contains(&held[1].hash));
    // A replacement of the same size needs no room.
    let same_size = tx(&a, 1, 9);
    if same_size.raw.len() <= held[1].raw.len() {
        assert_eq!(
            pool.insert(same_size, 0),
            Ok(Inserted::Replaced(held[1].hash))
        );
    }
    assert_eq!(pool.len(), 3);
}

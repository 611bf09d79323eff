//! Which transactions `insert` accepts, replaces with, or refuses, and why.

use entente_txpool::{Inserted, PoolError, Rejections};

use crate::common::*;

#[test]
fn the_same_transaction_twice_is_already_known() {
    let pool = pool();
    let t = tx(&signer(1), 0, 1);
    assert_eq!(pool.insert(t.clone(), 0), Ok(Inserted::New));
    assert_eq!(pool.insert(t, 0), Err(PoolError::AlreadyKnown));
    assert_eq!(pool.len(), 1);
    assert_eq!(pool.stats().rejected.already_known, 1);
}

#[test]
fn used_nonces_are_too_low() {
    let pool = pool();
    let a = signer(1);
    assert_eq!(
        pool.insert(tx(&a, 4, 1), 5),
        Err(PoolError::NonceTooLow {
            account_nonce: 5,
            tx_nonce: 4
        })
    );
    pool.insert(tx(&a, 5, 1), 5).unwrap();
    // The pool heard of a newer block than the caller read: the newer nonce counts.
    pool.on_committed([(a.address(), 7)]);
    assert_eq!(
        pool.insert(tx(&a, 6, 1), 5),
        Err(PoolError::NonceTooLow {
            account_nonce: 7,
            tx_nonce: 6
        })
    );
    pool.insert(tx(&a, 7, 1), 5).unwrap();
}

#[test]
fn the_nonce_gap_is_measured_from_the_next_nonce() {
    let pool = pool_with(|l| l.nonce_gap_max = 2);
    let a = signer(1);
    for nonce in 10..13 {
        pool.insert(tx(&a, nonce, 1), 10).unwrap();
    }
    // Next executable nonce is 13, so 15 leaves a gap of 2 and 16 one of 3.
    pool.insert(tx(&a, 15, 1), 10).unwrap();
    assert_eq!(
        pool.insert(tx(&a, 16, 1), 10),
        Err(PoolError::NonceGapTooLarge {
            next: 13,
            tx_nonce: 16,
            max_gap: 2
        })
    );
    // An unknown sender's next nonce is its account nonce.
    let b = signer(2);
    assert!(matches!(
        pool.insert(tx(&b, 3, 1), 0),
        Err(PoolError::NonceGapTooLarge { next: 0, .. })
    ));
    let strict = pool_with(|l| l.nonce_gap_max = 0);
    strict.insert(tx(&b, 0, 1), 0).unwrap();
    assert!(strict.insert(tx(&b, 2, 1), 0).is_err());
    strict.insert(tx(&b, 1, 1), 0).unwrap();
    assert_eq!(pool.stats().rejected.nonce_gap_too_large, 2);
}

#[test]
fn replacement_needs_the_bump_on_both_fee_cap_and_tip() {
    let pool = pool();
    let a = signer(1);
    let first = priced(&a, 0, 100, 100, 0);
    pool.insert(first.clone(), 0).unwrap();
    assert_eq!(
        pool.insert(priced(&a, 0, 109, 109, 0), 0),
        Err(PoolError::ReplacementUnderpriced {
            existing_tip: 100,
            offered_tip: 109,
            existing_max_fee: 100,
            offered_max_fee: 109,
            bump_percent: 10,
        })
    );
    // A fee cap bump alone is not enough, nor is a tip bump alone.
    assert!(matches!(
        pool.insert(priced(&a, 0, 1_000, 105, 0), 0),
        Err(PoolError::ReplacementUnderpriced { .. })
    ));
    assert!(matches!(
        pool.insert(priced(&a, 0, 105, 105, 1), 0),
        Err(PoolError::ReplacementUnderpriced { .. })
    ));
    let second = priced(&a, 0, 110, 110, 0);
    assert_eq!(
        pool.insert(second.clone(), 0),
        Ok(Inserted::Replaced(first.hash))
    );
    assert!(!pool.contains(&first.hash));
    assert_eq!(pool.get(&second.hash).map(|t| t.hash), Some(second.hash));
    assert_eq!((pool.len(), pool.bytes()), (1, second.raw.len()));
    let stats = pool.stats();
    assert_eq!((stats.inserted, stats.replaced), (1, 1));
    assert_eq!(stats.rejected.replacement_underpriced, 3);
}

#[test]
fn a_zero_price_is_replaced_by_any_price_but_not_by_zero() {
    let pool = pool();
    let a = signer(1);
    let free = legacy(&a, 0, 0);
    pool.insert(free.clone(), 0).unwrap();
    assert!(matches!(
        pool.insert(tx_sized(&a, 0, 0, 1), 0),
        Err(PoolError::ReplacementUnderpriced {
            existing_tip: 0,
            offered_tip: 0,
            ..
        })
    ));
    let one_wei = tx(&a, 0, 1);
    assert_eq!(
        pool.insert(one_wei.clone(), 0),
        Ok(Inserted::Replaced(free.hash))
    );
    // From 1 wei, a 10% bump rounds down to 1, but the price must still rise.
    assert!(pool.insert(tx_sized(&a, 0, 1, 1), 0).is_err());
    assert_eq!(
        pool.insert(tx(&a, 0, 2), 0),
        Ok(Inserted::Replaced(one_wei.hash))
    );
}

#[test]
fn replacing_in_the_middle_keeps_the_run_executable() {
    let pool = pool();
    let a = signer(1);
    for nonce in 0..4 {
        pool.insert(tx(&a, nonce, 10), 0).unwrap();
    }
    let bumped = tx(&a, 1, 20);
    assert!(matches!(
        pool.insert(bumped.clone(), 0),
        Ok(Inserted::Replaced(_))
    ));
    let proposal = pool.best(100, MIB, &zero);
    assert_eq!(proposal.len(), 4);
    assert_eq!(proposal[1].hash, bumped.hash);
    assert_eq!(pool.pending_nonce(&a.address(), 0), 4);
}

#[test]
fn one_sender_cannot_hold_more_than_its_share() {
    let pool = pool_with(|l| l.per_sender_max = 3);
    let (a, b) = (signer(1), signer(2));
    for nonce in 0..3 {
        pool.insert(tx(&a, nonce, 1), 0).unwrap();
    }
    assert_eq!(
        pool.insert(tx(&a, 3, 1), 0),
        Err(PoolError::SenderFull {
            sender: a.address(),
            max: 3
        })
    );
    // A full sender may still replace, and others are unaffected.
    assert!(matches!(
        pool.insert(tx(&a, 2, 2), 0),
        Ok(Inserted::Replaced(_))
    ));
    pool.insert(tx(&b, 0, 1), 0).unwrap();
    // Once a block uses some of its nonces, the sender has room again.
    pool.on_committed([(a.address(), 2)]);
    pool.insert(tx(&a, 3, 1), 0).unwrap();
}

#[test]
fn every_refusal_is_counted_by_reason() {
    let pool = pool_with(|l| {
        l.per_sender_max = 2;
        l.nonce_gap_max = 1;
        l.txs_max = 3;
    });
    let (a, b, c, d) = (signer(1), signer(2), signer(3), signer(4));
    let first = tx(&a, 0, 1);
    pool.insert(first.clone(), 0).unwrap();
    pool.insert(tx(&a, 1, 1), 0).unwrap();
    pool.insert(tx(&b, 0, 1), 0).unwrap();
    let _ = pool.insert(first, 0);
    let _ = pool.insert(tx(&d, 0, 1), 1);
    let _ = pool.insert(tx(&b, 5, 1), 0);
    let _ = pool.insert(tx_sized(&a, 1, 1, 1), 0);
    let _ = pool.insert(tx(&a, 2, 1), 0);
    // Every remaining transaction ranks at least as high as a gapped newcomer.
    let _ = pool.insert(tx(&c, 1, 1), 0);
    let stats = pool.stats();
    assert_eq!(
        stats.rejected,
        Rejections {
            already_known: 1,
            nonce_too_low: 1,
            nonce_gap_too_large: 1,
            replacement_underpriced: 1,
            sender_full: 1,
            pool_full: 1,
        }
    );
    assert_eq!(stats.rejected.total(), 6);
    assert_eq!((stats.inserted, pool.len()), (3, 3));
}

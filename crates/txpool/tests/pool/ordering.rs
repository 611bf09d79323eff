//! What `best` proposes: nonce order, gaps, the proposer's nonce, fairness, budgets,
//! determinism.

use std::collections::HashMap;

use alloy_primitives::Address;

use crate::common::*;

#[test]
fn each_sender_comes_out_in_nonce_order() {
    let pool = pool();
    let a = signer(1);
    for nonce in [3, 1, 0, 2] {
        pool.insert(tx(&a, nonce, 1), 0).unwrap();
    }
    let a = a.address();
    assert_eq!(best_all(&pool), vec![(a, 0), (a, 1), (a, 2), (a, 3)]);
}

#[test]
fn a_gap_holds_later_nonces_back_until_it_is_filled() {
    let pool = pool();
    let a = signer(1);
    pool.insert(tx(&a, 0, 1), 0).unwrap();
    pool.insert(tx(&a, 2, 1), 0).unwrap();
    let addr = a.address();
    assert_eq!(
        best_all(&pool),
        vec![(addr, 0)],
        "nonce 2 waits for nonce 1"
    );
    assert_eq!(pool.pending_nonce(&addr, 0), 1);
    assert_eq!(pool.len(), 2, "the gapped transaction is held");

    pool.insert(tx(&a, 1, 1), 0).unwrap();
    assert_eq!(best_all(&pool), vec![(addr, 0), (addr, 1), (addr, 2)]);
    assert_eq!(pool.pending_nonce(&addr, 0), 3);
}

#[test]
fn best_starts_at_the_proposers_nonce() {
    let pool = pool();
    let (a, b) = (signer(1), signer(2));
    for nonce in [0, 1, 2, 3, 4, 6] {
        pool.insert(tx(&a, nonce, 1), 0).unwrap();
    }
    for nonce in 0..2 {
        pool.insert(tx(&b, nonce, 1), 0).unwrap();
    }
    let (a, b) = (a.address(), b.address());
    // Parent blocks not yet committed already used a's nonces 0 and 1, and all of b's.
    let nonces: HashMap<Address, u64> = [(a, 2), (b, 2)].into();
    let proposal = order(&pool.best(100, MIB, &|s| nonces[s]));
    assert_eq!(proposal, vec![(a, 2), (a, 3), (a, 4)]);
    // Starting at the gap, or past everything held, proposes nothing for the sender.
    assert!(pool.best(100, MIB, &|_| 5).is_empty());
    assert_eq!(order(&pool.best(100, MIB, &|_| 6)), vec![(a, 6)]);
    assert!(pool.best(100, MIB, &|_| 9).is_empty());
    // Proposing does not take anything out.
    assert_eq!(pool.len(), 8);
}

#[test]
fn equal_tips_take_turns_across_senders() {
    let pool = pool();
    let (a, b) = (signer(1), signer(2));
    // a's whole queue arrives before any of b's.
    for nonce in 0..3 {
        pool.insert(tx(&a, nonce, 0), 0).unwrap();
    }
    for nonce in 0..3 {
        pool.insert(tx(&b, nonce, 0), 0).unwrap();
    }
    let (a, b) = (a.address(), b.address());
    assert_eq!(
        best_all(&pool),
        vec![(a, 0), (b, 0), (a, 1), (b, 1), (a, 2), (b, 2)]
    );
}

#[test]
fn higher_tips_go_first_then_turns_then_arrival() {
    let pool = pool();
    let (a, b, c, d, e) = (signer(1), signer(2), signer(3), signer(4), signer(5));
    pool.insert(tx(&a, 0, 5), 0).unwrap();
    pool.insert(tx(&a, 1, 5), 0).unwrap();
    pool.insert(tx(&e, 0, 0), 0).unwrap();
    pool.insert(tx(&e, 1, 100), 0).unwrap();
    pool.insert(tx(&b, 0, 50), 0).unwrap();
    pool.insert(tx(&c, 0, 5), 0).unwrap();
    pool.insert(tx(&d, 0, 1), 0).unwrap();
    let [a, b, c, d, e] = [a, b, c, d, e].map(|s| s.address());
    assert_eq!(
        best_all(&pool),
        vec![
            (b, 0), // the highest tip
            (a, 0), // tip 5, first turn, arrived before c
            (c, 0), // tip 5, first turn
            (a, 1), // tip 5, second turn
            (d, 0),
            (e, 0), // a rich nonce 1 cannot jump its own nonce 0 ...
            (e, 1), // ... but follows it at once
        ]
    );
}

#[test]
fn best_respects_its_count_and_byte_budgets() {
    let pool = pool();
    let (a, b) = (signer(1), signer(2));
    // a pays most but its first transaction is big; b's are small.
    let big = tx_sized(&a, 0, 9, 4_000);
    let big_len = big.raw.len();
    pool.insert(big, 0).unwrap();
    pool.insert(tx(&a, 1, 9), 0).unwrap();
    let small: Vec<_> = (0..3).map(|n| tx(&b, n, 1)).collect();
    let small_len = small[0].raw.len();
    for t in small {
        pool.insert(t, 0).unwrap();
    }
    let (a, b) = (a.address(), b.address());

    assert_eq!(order(&pool.best(2, MIB, &zero)), vec![(a, 0), (a, 1)]);
    // Without room for a's first transaction, none of a's fit, but b's still do.
    let budget = big_len - 1;
    let proposal = pool.best(100, budget, &zero);
    assert_eq!(order(&proposal), vec![(b, 0), (b, 1), (b, 2)]);
    let two_small = order(&pool.best(100, 2 * small_len, &zero));
    assert_eq!(two_small, vec![(b, 0), (b, 1)]);
    assert!(pool.best(0, MIB, &zero).is_empty());
    assert!(pool.best(100, 0, &zero).is_empty());
}

#[test]
fn best_is_deterministic() {
    let senders: Vec<_> = (0..6).map(signer).collect();
    let mut txs = Vec::new();
    for nonce in 0..4 {
        for (i, s) in senders.iter().enumerate() {
            // A few distinct tips, several senders on each.
            txs.push(tx(s, nonce, (i % 3) as u128));
        }
    }
    let build = || {
        let pool = pool();
        for t in &txs {
            pool.insert(t.clone(), 0).unwrap();
        }
        pool
    };
    let (one, two) = (build(), build());
    let starts: HashMap<Address, u64> = senders
        .iter()
        .enumerate()
        .map(|(i, s)| (s.address(), (i % 2) as u64))
        .collect();
    let nonce_of = |s: &Address| starts[s];
    let hashes = |pool: &entente_txpool::TxPool| {
        pool.best(1_000, MIB, &nonce_of)
            .iter()
            .map(|t| t.hash)
            .collect::<Vec<_>>()
    };
    let first = hashes(&one);
    assert_eq!(first.len(), 24 - 3, "three senders start at nonce 1");
    for _ in 0..3 {
        assert_eq!(hashes(&one), first);
    }
    assert_eq!(hashes(&two), first, "same content, same proposal");
}

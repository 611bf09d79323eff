//! Commits, removal, lookups, pending nonces and arrival notifications.

use std::{
    pin::pin,
    task::{Context, Poll, Waker},
};

use alloy_consensus::{SignableTransaction as _, TxEip1559, TxEnvelope};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use entente_primitives::RecoveredTx;

use crate::common::*;

#[test]
fn a_commit_drops_every_transaction_below_the_new_nonce() {
    let pool = pool();
    let (a, b) = (signer(1), signer(2));
    let a_txs: Vec<_> = (0..5).map(|n| tx(&a, n, 1)).collect();
    for t in &a_txs {
        pool.insert(t.clone(), 0).unwrap();
    }
    for n in 0..2 {
        pool.insert(tx(&b, n, 1), 0).unwrap();
    }
    let stranger = Address::repeat_byte(0x77);
    pool.on_committed([(a.address(), 3), (b.address(), 0), (stranger, 9)]);
    assert_eq!(pool.len(), 4);
    assert!(!pool.contains(&a_txs[2].hash));
    assert!(pool.contains(&a_txs[3].hash));
    assert_eq!(pool.stats().pruned, 3);
    assert_eq!(
        pool.bytes(),
        a_txs[3..].iter().map(|t| t.raw.len()).sum::<usize>() + 2 * tx(&b, 0, 1).raw.len()
    );
    // A caller with a stale account nonce still gets the committed view.
    assert_eq!(pool.pending_nonce(&a.address(), 0), 5);
    let proposal = order(&pool.best(100, MIB, &|s| if *s == a.address() { 3 } else { 0 }));
    assert_eq!(proposal.len(), 4);
    // Committing everything empties the pool and forgets the senders.
    pool.on_committed([(a.address(), 5), (b.address(), 2)]);
    assert!(pool.is_empty());
    assert_eq!((pool.senders(), pool.bytes()), (0, 0));
}

#[test]
fn an_insert_with_a_newer_account_nonce_drops_stale_transactions() {
    let pool = pool();
    let a = signer(1);
    for n in 0..3 {
        pool.insert(tx(&a, n, 1), 0).unwrap();
    }
    pool.insert(tx(&a, 3, 1), 2).unwrap();
    assert_eq!(pool.len(), 2);
    assert_eq!(pool.stats().pruned, 2);
}

#[test]
fn removing_a_transaction_opens_a_gap() {
    let pool = pool();
    let a = signer(1);
    let txs: Vec<_> = (0..3).map(|n| tx(&a, n, 1)).collect();
    for t in &txs {
        pool.insert(t.clone(), 0).unwrap();
    }
    let removed = pool.remove(&txs[1].hash).expect("held");
    assert_eq!(removed.hash, txs[1].hash);
    assert!(pool.remove(&txs[1].hash).is_none());
    assert!(pool.get(&txs[1].hash).is_none());
    assert_eq!(pool.get(&txs[2].hash).map(|t| t.nonce()), Some(2));
    assert_eq!(best_all(&pool), vec![(a.address(), 0)]);
    assert_eq!(pool.pending_nonce(&a.address(), 0), 1);
    pool.insert(txs[1].clone(), 0).unwrap();
    assert_eq!(best_all(&pool).len(), 3);
    assert_eq!(pool.stats().removed, 1);
    assert!(pool.remove(&B256::ZERO).is_none());
}

#[test]
fn pending_nonce_counts_the_contiguous_run() {
    let pool = pool();
    let a = signer(1);
    let addr = a.address();
    assert_eq!(pool.pending_nonce(&addr, 4), 4, "nothing held");
    for n in [4, 5, 7] {
        pool.insert(tx(&a, n, 1), 4).unwrap();
    }
    assert_eq!(pool.pending_nonce(&addr, 4), 6);
    // A caller ahead of the pool (a block the pool has not heard of used 4..=6).
    assert_eq!(pool.pending_nonce(&addr, 7), 8);
    assert_eq!(pool.pending_nonce(&addr, 9), 9);
}

#[test]
fn waiters_wake_when_a_transaction_arrives() {
    let pool = pool();
    let arrivals = pool.subscribe();
    let mut waiting = pin!(arrivals.notified());
    waiting.as_mut().enable();
    let mut cx = Context::from_waker(Waker::noop());
    assert!(waiting.as_mut().poll(&mut cx).is_pending());
    let t = tx(&signer(1), 0, 1);
    pool.insert(t.clone(), 0).unwrap();
    assert_eq!(waiting.as_mut().poll(&mut cx), Poll::Ready(()));

    // A refusal wakes nobody.
    let mut again = pin!(arrivals.notified());
    again.as_mut().enable();
    assert!(pool.insert(t, 0).is_err());
    assert!(again.as_mut().poll(&mut cx).is_pending());
}

#[test]
fn transactions_decoded_from_the_wire_are_pooled_like_local_ones() {
    let key = B256::repeat_byte(0x42);
    let unsigned = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce: 0,
        gas_limit: 21_000,
        max_fee_per_gas: 3,
        max_priority_fee_per_gas: 2,
        to: TxKind::Call(Address::repeat_byte(1)),
        value: U256::from(1),
        access_list: Default::default(),
        input: Bytes::new(),
    };
    let signature =
        alloy_consensus::crypto::secp256k1::sign_message(key, unsigned.signature_hash()).unwrap();
    let envelope: TxEnvelope = unsigned.into_signed(signature).into();
    // Encode as EIP-2718 bytes, then decode and recover the sender as the RPC does.
    let raw = RecoveredTx::from_envelope(envelope, Address::ZERO).raw;
    let decoded = RecoveredTx::decode(raw, CHAIN_ID, 1 << 17).unwrap();
    let pool = pool();
    pool.insert(decoded.clone(), 0).unwrap();
    assert_ne!(decoded.sender, Address::ZERO);
    let held = pool.get(&decoded.hash).expect("held");
    assert_eq!(held.sender, decoded.sender);
    assert_eq!(pool.pending_nonce(&decoded.sender, 0), 1);
}

//! State proofs served by the store, checked against block headers' state roots.

use alloy_primitives::{B256, U256};
use entente_storage::{
    ProofError, StateBase, StateView, StorageError,
    commitment::{decode_account, decode_word, storage_preimage},
    verify_state_proof,
};

use crate::common::{Engine, account, addr, commit_next, diff_with, on_both_engines};

on_both_engines!(proofs_verify_against_header_roots_at_every_version);

fn proofs_verify_against_header_roots_at_every_version(engine: &Engine) {
    let store = engine.open();
    let accounts: Vec<(u64, u64)> = (0..50).map(|i| (i * 2, i + 1)).collect();
    commit_next(&store, diff_with(&accounts, &[(2, 1, 5)]), vec![]);
    commit_next(
        &store,
        diff_with(&[(2, 0), (4, 77)], &[(2, 1, 0), (4, 9, 8)]),
        vec![],
    );
    commit_next(&store, diff_with(&[(3, 33)], &[]), vec![]);

    for version in 0..=2u64 {
        let root = store.header(version).unwrap().unwrap().state_root;
        let view = store.view(&StateBase::committed(version));
        for i in 0..8 {
            let proof = store.account_proof(version, &addr(i)).unwrap();
            verify_state_proof(root, &proof).unwrap();
            let value = proof.value.as_ref().map(|v| decode_account(v).unwrap());
            assert_eq!(value, view.account(&addr(i)).unwrap());
        }
        for (a, slot) in [(2u64, 1u64), (4, 9), (4, 1)] {
            let proof = store
                .storage_proof(version, &addr(a), &U256::from(slot))
                .unwrap();
            verify_state_proof(root, &proof).unwrap();
        }
    }
    // Present, deleted and zeroed keys at the versions where they changed.
    assert!(store.account_proof(0, &addr(2)).unwrap().value.is_some());
    assert!(store.account_proof(1, &addr(2)).unwrap().value.is_none());
    assert_eq!(
        store
            .account_proof(1, &addr(4))
            .unwrap()
            .value
            .map(|v| decode_account(&v).unwrap()),
        Some(account(77))
    );
    let slot = store
        .proof(1, &storage_preimage(&addr(4), &U256::from(9)))
        .unwrap();
    assert_eq!(
        decode_word(slot.value.as_ref().unwrap()).unwrap(),
        U256::from(8)
    );
    assert!(
        store
            .storage_proof(1, &addr(2), &U256::from(1))
            .unwrap()
            .value
            .is_none()
    );

    // A proof only holds for its own version's root.
    let head_root = store.head().unwrap().unwrap().state_root;
    let old = store.account_proof(1, &addr(3)).unwrap();
    assert!(matches!(
        verify_state_proof(head_root, &old),
        Err(ProofError::RootMismatch { .. })
    ));
    let mut forged = store.account_proof(2, &addr(3)).unwrap();
    forged.value = Some(alloy_primitives::Bytes::from(vec![0u8; 72]));
    assert!(verify_state_proof(head_root, &forged).is_err());
    assert!(verify_state_proof(B256::ZERO, &store.account_proof(2, &addr(3)).unwrap()).is_err());

    let future = store.account_proof(3, &addr(1));
    assert!(matches!(
        future,
        Err(StorageError::VersionUnavailable {
            version: 3,
            latest: Some(2),
            ..
        })
    ));
}

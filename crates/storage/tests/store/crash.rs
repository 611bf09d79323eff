//! Crash safety: a store dropped (or failing) before a commit completes comes back at the
//! previous head with the previous state, and a reopened store has everything committed.

use alloy_primitives::{Address, B256, Log, LogData, U256};
use entente_storage::{
    Batch, Column, CommitOutcome, Kv, LogFilter, StateBase, StateView, StorageError, Store,
    commitment::{account_preimage, key_hash},
    verify_state_proof,
};

use crate::common::{
    CODEC, Engine, Model, addr, commit_next, deploy, diff_with, execute, on_both_engines, receipt,
};

on_both_engines!(
    store_dropped_before_commit_shows_previous_head_and_state,
    failed_commit_leaves_previous_head_and_can_be_retried,
    reopening_preserves_everything,
    foreign_schema_and_corrupt_records_are_errors,
);

fn store_dropped_before_commit_shows_previous_head_and_state(engine: &Engine) {
    let mut model = Model::default();
    let pending = {
        let store = engine.open();
        for diff in [
            diff_with(&[(1, 10), (2, 20)], &[(1, 1, 1)]),
            diff_with(&[(2, 21)], &[]),
        ] {
            model.apply(&diff);
            commit_next(&store, diff, vec![]);
        }
        let head = store.head().unwrap().unwrap();
        let parent = store.block(head.height).unwrap();
        // Executed, about to be committed, when the node dies.
        execute(
            &store,
            &StateBase::committed(1),
            parent.as_ref(),
            diff_with(&[(1, 0)], &[(1, 1, 0)]),
            vec![receipt(1, vec![])],
        )
    };
    let store = engine.open();
    let head = store.head().unwrap().unwrap();
    assert_eq!(head.height, 1);
    model.check(&store.view(&StateBase::committed(1)), 4);
    assert_eq!(
        store.tx_location(&receipt(1, vec![]).tx_hash).unwrap(),
        None
    );
    // After the restart the same finalised block is delivered again and commits.
    assert_eq!(pending.commit(&store).unwrap(), CommitOutcome::Committed);
    model.apply(&pending.diff);
    model.check(&store.view(&StateBase::committed(2)), 4);
}

fn failed_commit_leaves_previous_head_and_can_be_retried(engine: &Engine) {
    let (store, counts) = engine.open_counted();
    commit_next(&store, diff_with(&[(1, 10)], &[]), vec![]);
    let parent = store.block(0).unwrap();
    let next = execute(
        &store,
        &StateBase::committed(0),
        parent.as_ref(),
        diff_with(&[(1, 11)], &[]),
        vec![],
    );
    counts.fail_writes(true);
    let failed = next.commit(&store);
    assert!(matches!(&failed, Err(err @ StorageError::Backend { .. }) if err.is_fatal()));
    assert_eq!(store.head().unwrap().unwrap().height, 0);
    assert!(matches!(
        store.view(&StateBase::committed(1)).account(&addr(1)),
        Err(StorageError::VersionUnavailable { .. })
    ));
    counts.fail_writes(false);
    assert_eq!(next.commit(&store).unwrap(), CommitOutcome::Committed);
    assert_eq!(store.head().unwrap().unwrap().height, 1);
}

fn reopening_preserves_everything(engine: &Engine) {
    let log = Log {
        address: Address::repeat_byte(1),
        data: LogData::new_unchecked(vec![B256::repeat_byte(2)], Default::default()),
    };
    let mut genesis = diff_with(&[(1, 10)], &[(1, 3, 4)]);
    genesis.extend(&deploy(5, b"code"));
    let code_hash = genesis.accounts[&addr(5)].unwrap().code_hash;
    let snapshot = |store: &entente_storage::Store| {
        let view = store.view(&StateBase::committed(1));
        (
            store.head().unwrap(),
            store.block(1).unwrap(),
            store.receipts(1).unwrap(),
            store.tx_location(&receipt(7, vec![]).tx_hash).unwrap(),
            store.finalization(1).unwrap(),
            store.code(&code_hash).unwrap(),
            store.account_proof(1, &addr(1)).unwrap(),
            store.logs(0, 1, &LogFilter::default(), 10).unwrap(),
            (
                view.account(&addr(1)).unwrap(),
                view.storage(&addr(1), &U256::from(3)).unwrap(),
            ),
        )
    };
    let before = {
        let store = engine.open();
        commit_next(&store, genesis, vec![]);
        commit_next(
            &store,
            diff_with(&[(1, 11)], &[]),
            vec![receipt(7, vec![log.clone()])],
        );
        snapshot(&store)
    };
    let store = engine.open();
    let after = snapshot(&store);
    assert_eq!(after, before);
    verify_state_proof(after.0.unwrap().state_root, &after.6).unwrap();
    assert_eq!(after.7.len(), 1);
}

fn foreign_schema_and_corrupt_records_are_errors(engine: &Engine) {
    {
        let store = engine.open();
        commit_next(
            &store,
            diff_with(&[(1, 1), (2, 2)], &[]),
            vec![receipt(1, vec![])],
        );
    }
    let kv = engine.raw();
    let store = Store::from_kv(kv.clone(), CODEC).unwrap();
    let mut garbage = Batch::new();
    garbage.put(
        Column::Latest,
        key_hash(&account_preimage(&addr(1))).0.to_vec(),
        vec![0; 3],
    );
    garbage.put(Column::Blocks, 0u64.to_be_bytes().to_vec(), vec![1, 2, 3]);
    garbage.put(
        Column::Receipts,
        [0u64.to_be_bytes(), [0; 8]].concat(),
        vec![9],
    );
    // The group of version 0 under the first nibble of account 1's path (below the root,
    // an internal node over both accounts), cut after the path of its first node.
    let nibble = key_hash(&account_preimage(&addr(1))).0[0] >> 4;
    garbage.put(
        Column::Nodes,
        [&0u64.to_be_bytes()[..], &[1, nibble << 4]].concat(),
        vec![1, nibble << 4],
    );
    kv.write(garbage).unwrap();
    let corrupt = |err: StorageError| matches!(err, StorageError::Corrupt { .. }) && err.is_fatal();
    let view = store.view(&StateBase::committed(0));
    assert!(corrupt(view.account(&addr(1)).unwrap_err()));
    assert!(corrupt(store.block(0).unwrap_err()));
    assert!(corrupt(store.receipts(0).unwrap_err()));
    let proof = store.proof(0, &account_preimage(&addr(1))).unwrap_err();
    assert!(
        proof.to_string().contains("state tree node group"),
        "{proof}"
    );

    let mut schema = Batch::new();
    schema.put(
        Column::Meta,
        b"schema".to_vec(),
        7u32.to_be_bytes().to_vec(),
    );
    kv.write(schema).unwrap();
    let refused = Store::from_kv(kv.clone(), CODEC);
    assert!(matches!(
        refused,
        Err(StorageError::Schema {
            expected: 4,
            found: 7
        })
    ));
}

//! Speculative state: executed, uncommitted blocks stacked on a committed version.

use std::sync::Arc;

use alloy_primitives::U256;
use entente_storage::{CommitOutcome, PendingState, StateBase, StateDiff, StateView, StorageError};

use crate::common::{
    Engine, Executed, Model, addr, commit_next, diff_with, execute, on_both_engines,
};

on_both_engines!(
    three_pending_layers_match_committing_them,
    competing_children_do_not_interfere,
    rebase_drops_committed_layers,
    invalid_bases_are_refused,
);

/// A committed chain of two blocks over 12 accounts; returns the model at its head.
fn committed_chain(engine: &Engine) -> (entente_storage::Store, Model) {
    let store = engine.open();
    let mut model = Model::default();
    let accounts: Vec<(u64, u64)> = (0..12).map(|i| (i, i + 1)).collect();
    let genesis = diff_with(&accounts, &[(1, 1, 11), (2, 2, 22)]);
    model.apply(&genesis);
    commit_next(&store, genesis, vec![]);
    let b1 = diff_with(&[(3, 0), (4, 44)], &[(1, 1, 0), (1, 2, 12)]);
    model.apply(&b1);
    commit_next(&store, b1, vec![]);
    (store, model)
}

/// Executes `diffs` one on top of the other, starting at `base`.
fn stack(
    store: &entente_storage::Store,
    mut base: StateBase,
    diffs: &[StateDiff],
) -> (StateBase, Vec<Executed>) {
    let head = store.head().unwrap().unwrap();
    let mut parent = store.block(head.height).unwrap().unwrap();
    let mut executed = Vec::new();
    for diff in diffs {
        let block = execute(store, &base, Some(&parent), diff.clone(), vec![]);
        base = base.child(block.diff.clone(), block.tree.clone());
        parent = block.block.clone();
        executed.push(block);
    }
    (base, executed)
}

fn layers() -> [StateDiff; 3] {
    [
        diff_with(&[(5, 55), (6, 0)], &[(5, 1, 1), (2, 2, 0)]),
        diff_with(&[(5, 56), (1, 0)], &[(5, 1, 0), (5, 2, 2)]),
        diff_with(&[(6, 66)], &[(1, 2, 13), (5, 3, 3)]),
    ]
}

fn three_pending_layers_match_committing_them(engine: &Engine) {
    let (store, mut model) = committed_chain(engine);
    let (base, executed) = stack(&store, StateBase::committed(1), &layers());
    assert_eq!(base.next_version(), 5);
    let speculative = store.view(&base);
    for diff in layers() {
        model.apply(&diff);
    }
    model.check(&speculative, 12);
    // Competing reads of the committed state are untouched.
    assert_eq!(
        store
            .view(&StateBase::committed(1))
            .account(&addr(6))
            .unwrap(),
        Some(crate::common::account(7))
    );

    for block in &executed {
        assert_eq!(block.commit(&store).unwrap(), CommitOutcome::Committed);
        let head = store.head().unwrap().unwrap();
        assert_eq!(head.state_root, block.tree.root());
        // The root computed on the committed state equals the speculative one.
        let parent = StateBase::committed(head.height - 1);
        let (root, _) = store.state_root_after(&parent, &block.diff).unwrap();
        assert_eq!(root, block.tree.root());
    }
    model.check(&store.view(&StateBase::committed(4)), 12);
    // The speculative view still reads the same, now over committed data.
    model.check(&speculative, 12);
    let (after_pending, _) = store
        .state_root_after(&base, &diff_with(&[(9, 9)], &[]))
        .unwrap();
    let (after_commit, _) = store
        .state_root_after(&StateBase::committed(4), &diff_with(&[(9, 9)], &[]))
        .unwrap();
    assert_eq!(after_pending, after_commit);
}

fn competing_children_do_not_interfere(engine: &Engine) {
    let (store, model) = committed_chain(engine);
    let left_diffs = [
        diff_with(&[(7, 70)], &[(7, 0, 1)]),
        diff_with(&[(8, 80)], &[]),
    ];
    let right_diffs = [
        diff_with(&[(7, 71)], &[(1, 2, 0)]),
        diff_with(&[(8, 81)], &[]),
    ];
    let (left, left_blocks) = stack(&store, StateBase::committed(1), &left_diffs);
    let (right, right_blocks) = stack(&store, StateBase::committed(1), &right_diffs);
    assert_ne!(left_blocks[0].tree.root(), right_blocks[0].tree.root());

    let check = |base: &StateBase, diffs: &[StateDiff]| {
        let mut expected = model.clone();
        for diff in diffs {
            expected.apply(diff);
        }
        expected.check(&store.view(base), 12);
    };
    check(&left, &left_diffs);
    check(&right, &right_diffs);
    model.check(&store.view(&StateBase::committed(1)), 12);

    // The left branch is finalised; the right one keeps reading its own state.
    for block in &left_blocks {
        block.commit(&store).unwrap();
    }
    check(&right, &right_diffs);
    let (root, _) = store
        .state_root_after(&right, &StateDiff::default())
        .unwrap();
    assert_eq!(
        root,
        right_blocks[1].tree.root(),
        "an empty block keeps the root"
    );
    assert!(matches!(
        store.rebase(&right),
        Err(StorageError::ForkedBase { height: 3 })
    ));
    let refused = right_blocks[0].commit(&store);
    assert!(matches!(
        refused,
        Err(StorageError::Conflict { height: 2, .. })
    ));
}

fn rebase_drops_committed_layers(engine: &Engine) {
    let (store, mut model) = committed_chain(engine);
    let (base, executed) = stack(&store, StateBase::committed(1), &layers());
    executed[0].commit(&store).unwrap();
    executed[1].commit(&store).unwrap();
    let rebased = store.rebase(&base).unwrap();
    assert_eq!(rebased.committed, Some(3));
    let top = rebased.pending.as_ref().unwrap();
    assert_eq!((top.version, top.parent.is_none()), (4, true));
    for diff in layers() {
        model.apply(&diff);
    }
    model.check(&store.view(&rebased), 12);
    let next = diff_with(&[(10, 0)], &[(10, 3, 4)]);
    let (from_old, _) = store.state_root_after(&base, &next).unwrap();
    let (from_new, _) = store.state_root_after(&rebased, &next).unwrap();
    assert_eq!(from_old, from_new);
    // Nothing to trim: the same base back.
    let again = store.rebase(&rebased).unwrap();
    assert_eq!(again.committed, Some(3));
    let committed = store.rebase(&StateBase::committed(1)).unwrap();
    assert_eq!(committed.committed, Some(1));
    // Everything committed: the base becomes the committed version.
    executed[2].commit(&store).unwrap();
    let all = store.rebase(&base).unwrap();
    assert_eq!((all.committed, all.pending.is_none()), (Some(4), true));
}

fn invalid_bases_are_refused(engine: &Engine) {
    let (store, _) = committed_chain(engine);
    let (base, _) = stack(&store, StateBase::committed(1), &layers()[..1]);
    // Claiming the layer (version 2) sits on version 0 skips version 1.
    let skipping = StateBase {
        committed: Some(0),
        pending: base.pending.clone(),
    };
    let refused = store.state_root_after(&skipping, &StateDiff::default());
    assert!(matches!(
        refused,
        Err(StorageError::BadStateBase {
            expected: 1,
            found: 2
        })
    ));
    let view = store.view(&skipping);
    assert!(matches!(
        view.account(&addr(1)),
        Err(StorageError::BadStateBase { .. })
    ));
    assert!(matches!(
        view.storage(&addr(1), &U256::ZERO),
        Err(StorageError::BadStateBase { .. })
    ));
    // A layer whose parent is not one version below, and a layer whose tree delta is
    // of another version.
    let (_, three) = stack(&store, StateBase::committed(1), &layers());
    let layer = |version: u64| StateBase {
        committed: Some(1),
        pending: Some(Arc::new(PendingState {
            version,
            diff: StateDiff::default(),
            tree: three[2].tree.clone(),
            parent: base.pending.clone(),
        })),
    };
    let refused = store.state_root_after(&layer(4), &StateDiff::default());
    assert!(matches!(
        refused,
        Err(StorageError::BadStateBase {
            expected: 3,
            found: 2
        })
    ));
    let refused = store.state_root_after(&layer(3), &StateDiff::default());
    assert!(matches!(
        refused,
        Err(StorageError::BadStateBase {
            expected: 3,
            found: 4
        })
    ));
    // A committed version above the head.
    let future = store.state_root_after(&StateBase::committed(7), &StateDiff::default());
    assert!(matches!(
        future,
        Err(StorageError::VersionUnavailable { version: 7, .. })
    ));
}

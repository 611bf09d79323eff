//! Committing a chain, reading it back at every version, and refusing bad commits.

use alloy_primitives::{B256, Bytes, U256};
use entente_primitives::Block;
use entente_storage::{BlockCommit, CommitOutcome, StateBase, StateDiff, StateView, StorageError};

use crate::common::{
    Engine, Model, addr, commit_next, deploy, diff_with, execute, make_block, on_both_engines,
    receipt,
};

on_both_engines!(
    genesis_and_a_chain_read_back_at_every_version,
    recommit_is_idempotent_and_writes_nothing,
    conflicts_gaps_and_mismatched_parts_are_refused,
    late_finalization_certificates,
    the_nearest_certificate_at_or_above_a_height,
);

/// The diff of block `height` of the test chain: overlapping accounts and slots, with
/// deletions and zeroed slots, so versions differ in every way a read can see.
fn diff_at(height: u64) -> StateDiff {
    let mut diff = StateDiff::default();
    for i in 0..6 {
        let a = (height * 3 + i) % 20;
        let balance = if (height + i).is_multiple_of(4) {
            0
        } else {
            height * 100 + i + 1
        };
        diff.extend(&diff_with(&[(a, balance)], &[(a, i % 4, (height + i) % 3)]));
    }
    diff
}

fn genesis_and_a_chain_read_back_at_every_version(engine: &Engine) {
    let store = engine.open();
    assert_eq!(store.head().unwrap(), None);
    let empty = store.view(&StateBase::empty());
    assert_eq!(empty.account(&addr(1)).unwrap(), None);
    assert!(matches!(
        store.view(&StateBase::committed(0)).account(&addr(1)),
        Err(StorageError::VersionUnavailable {
            version: 0,
            latest: None,
            ..
        })
    ));

    let mut genesis_diff = diff_with(&[(1, 100), (2, 200)], &[(1, 0, 7)]);
    genesis_diff.extend(&deploy(3, b"\x60\x00\x60\x00"));
    let mut model = Model::default();
    model.apply(&genesis_diff);
    let mut models = vec![model.clone()];
    let mut blocks = vec![commit_next(&store, genesis_diff, vec![])];
    for height in 1..=12 {
        let diff = diff_at(height);
        model.apply(&diff);
        models.push(model.clone());
        let receipts = (0..height % 3)
            .map(|i| receipt(height * 10 + i, vec![]))
            .collect();
        blocks.push(commit_next(&store, diff, receipts));
    }

    let head = store.head().unwrap().unwrap();
    let last = blocks.last().unwrap();
    assert_eq!(head.height, 12);
    assert_eq!(head.hash, last.hash());
    assert_eq!(head.state_root, last.header.state_root);
    assert_eq!(head.timestamp_ms, last.header.timestamp_ms);
    for (height, block) in blocks.iter().enumerate() {
        let height = height as u64;
        models[height as usize].check(&store.view(&StateBase::committed(height)), 20);
        assert_eq!(store.block(height).unwrap().as_ref(), Some(block));
        assert_eq!(store.header(height).unwrap().as_ref(), Some(&block.header));
        assert_eq!(store.block_hash(height).unwrap(), Some(block.hash()));
        assert_eq!(store.height_of(&block.hash()).unwrap(), Some(height));
        assert_eq!(
            store.block_by_hash(&block.hash()).unwrap().as_ref(),
            Some(block)
        );
        let receipts = store.receipts(height).unwrap().unwrap();
        assert_eq!(receipts.len(), block.txs.len());
        for (index, receipt) in receipts.iter().enumerate() {
            let location = store.tx_location(&receipt.tx_hash).unwrap().unwrap();
            assert_eq!((location.height, location.index as usize), (height, index));
            assert_eq!(
                store.receipt(height, index as u32).unwrap().as_ref(),
                Some(receipt)
            );
        }
    }
    assert_eq!(store.receipts(13).unwrap(), None);
    assert_eq!(store.block(13).unwrap(), None);
    assert_eq!(store.height_of(&B256::repeat_byte(9)).unwrap(), None);
    assert_eq!(store.tx_location(&B256::repeat_byte(9)).unwrap(), None);
    assert_eq!(store.finalization(5).unwrap().unwrap().as_ref(), b"cert 5");
    assert_eq!(store.finalization(0).unwrap().unwrap().as_ref(), b"cert 0");

    let code_hash = models[0].accounts[&addr(3)].code_hash;
    assert_eq!(
        store.code(&code_hash).unwrap().unwrap().as_ref(),
        b"\x60\x00\x60\x00"
    );
    let view = store.view(&StateBase::committed(12));
    assert_eq!(
        view.code(&code_hash).unwrap().unwrap().as_ref(),
        b"\x60\x00\x60\x00"
    );
    assert_eq!(view.code(&B256::repeat_byte(1)).unwrap(), None);
    assert_eq!(
        empty.code(&code_hash).unwrap(),
        None,
        "nothing exists before genesis"
    );
    assert!(matches!(
        store
            .view(&StateBase::committed(13))
            .storage(&addr(1), &U256::ZERO),
        Err(StorageError::VersionUnavailable {
            version: 13,
            latest: Some(12),
            ..
        })
    ));
}

fn recommit_is_idempotent_and_writes_nothing(engine: &Engine) {
    let (store, counts) = engine.open_counted();
    commit_next(&store, diff_with(&[(1, 1)], &[]), vec![]);
    let base = StateBase::committed(0);
    let parent = store.block(0).unwrap();
    let b1 = execute(
        &store,
        &base,
        parent.as_ref(),
        diff_with(&[(2, 2)], &[]),
        vec![receipt(1, vec![])],
    );
    assert_eq!(b1.commit(&store).unwrap(), CommitOutcome::Committed);
    let head = store.head().unwrap();
    counts.reset();
    assert_eq!(b1.commit(&store).unwrap(), CommitOutcome::AlreadyCommitted);
    // Marshal may also re-deliver an older block after a restart.
    let genesis = parent.unwrap();
    let again = store.commit(BlockCommit {
        block: &genesis,
        receipts: &[],
        diff: &StateDiff::default(),
        tree: &b1.tree,
        finalization: None,
    });
    assert_eq!(again.unwrap(), CommitOutcome::AlreadyCommitted);
    assert_eq!(counts.writes(), 0, "a re-commit writes nothing");
    assert_eq!(store.head().unwrap(), head);
}

fn conflicts_gaps_and_mismatched_parts_are_refused(engine: &Engine) {
    let (store, counts) = engine.open_counted();
    let root_only = |block: &Block, root: B256| make_block(Some(block), root, &[]);
    // Genesis must come first.
    let orphan = execute(
        &store,
        &StateBase::empty(),
        None,
        StateDiff::default(),
        vec![],
    );
    let mut high = orphan.block.header.clone();
    high.height = 1;
    let high = Block::new(high, vec![]);
    let refused = store.commit(BlockCommit {
        block: &high,
        ..commit_of(&orphan)
    });
    assert!(matches!(
        refused,
        Err(StorageError::NotNext {
            height: 1,
            head: None
        })
    ));

    let genesis = commit_next(&store, diff_with(&[(1, 1)], &[]), vec![]);
    let b1 = commit_next(&store, diff_with(&[(1, 2)], &[]), vec![]);
    let head = store.head().unwrap();
    counts.reset();

    // A different block at a committed height.
    let rival = execute(
        &store,
        &StateBase::committed(0),
        Some(&genesis),
        diff_with(&[(1, 3)], &[]),
        vec![],
    );
    let refused = rival.commit(&store);
    assert!(matches!(
        refused,
        Err(StorageError::Conflict { height: 1, committed, .. }) if committed == b1.hash()
    ));
    // A gap.
    let next = execute(
        &store,
        &StateBase::committed(1),
        Some(&b1),
        StateDiff::default(),
        vec![],
    );
    let skipping = make_block(Some(&next.block), next.block.header.state_root, &[]);
    let refused = store.commit(BlockCommit {
        block: &skipping,
        ..commit_of(&next)
    });
    assert!(matches!(
        refused,
        Err(StorageError::NotNext {
            height: 3,
            head: Some(1)
        })
    ));
    // The right height on the wrong parent.
    let stranger = root_only(&rival.block, next.block.header.state_root);
    let refused = store.commit(BlockCommit {
        block: &stranger,
        ..commit_of(&next)
    });
    assert!(matches!(
        refused,
        Err(StorageError::WrongParent { height: 2, .. })
    ));
    // A tree delta whose root is not the header's, or of another version.
    let lying = root_only(&b1, B256::repeat_byte(3));
    let refused = store.commit(BlockCommit {
        block: &lying,
        ..commit_of(&next)
    });
    assert!(matches!(
        refused,
        Err(StorageError::DeltaMismatch { version: 2, .. })
    ));
    let stale = root_only(&b1, b1.header.state_root);
    let refused = store.commit(BlockCommit {
        block: &stale,
        tree: &rival.tree,
        ..commit_of(&next)
    });
    assert!(matches!(
        refused,
        Err(StorageError::DeltaMismatch { version: 1, .. })
    ));
    // Receipts that do not match the transactions, a diff that does not match the delta.
    let refused = store.commit(BlockCommit {
        receipts: &[receipt(1, vec![])],
        ..commit_of(&next)
    });
    assert!(matches!(
        refused,
        Err(StorageError::Inconsistent {
            what: "receipts",
            ..
        })
    ));
    let other = diff_with(&[(5, 5)], &[]);
    let refused = store.commit(BlockCommit {
        diff: &other,
        ..commit_of(&next)
    });
    assert!(matches!(refused, Err(StorageError::Inconsistent { .. })));

    assert_eq!(counts.writes(), 0, "refused commits write nothing");
    assert_eq!(store.head().unwrap(), head);
    assert_eq!(next.commit(&store).unwrap(), CommitOutcome::Committed);
}

fn commit_of(executed: &crate::common::Executed) -> BlockCommit<'_> {
    BlockCommit {
        block: &executed.block,
        receipts: &executed.receipts,
        diff: &executed.diff,
        tree: &executed.tree,
        finalization: None,
    }
}

fn late_finalization_certificates(engine: &Engine) {
    let store = engine.open();
    let genesis = execute(
        &store,
        &StateBase::empty(),
        None,
        StateDiff::default(),
        vec![],
    );
    store.commit(commit_of(&genesis)).unwrap();
    assert_eq!(store.finalization(0).unwrap(), None);
    store
        .set_finalization(0, Bytes::from_static(b"late"))
        .unwrap();
    assert_eq!(store.finalization(0).unwrap().unwrap().as_ref(), b"late");
    let refused = store.set_finalization(1, Bytes::from_static(b"early"));
    assert!(matches!(
        refused,
        Err(StorageError::UnknownBlock { height: 1 })
    ));
    // Idempotent re-commit keeps the late certificate.
    let mut with_cert = commit_of(&genesis);
    with_cert.finalization = Some(Bytes::from_static(b"other"));
    assert_eq!(
        store.commit(with_cert).unwrap(),
        CommitOutcome::AlreadyCommitted
    );
    assert_eq!(store.finalization(0).unwrap().unwrap().as_ref(), b"late");
    assert!(store.header(0).unwrap().is_some());
}

/// Blocks committed without a certificate of their own (finalised by ancestry, or synced
/// by backfill) are covered by the nearest certificate above them, within the span asked.
fn the_nearest_certificate_at_or_above_a_height(engine: &Engine) {
    let store = engine.open();
    let base = |height: Option<u64>| StateBase {
        committed: height,
        pending: None,
    };
    let genesis = execute(&store, &base(None), None, StateDiff::default(), vec![]);
    store.commit(commit_of(&genesis)).unwrap();
    let one = execute(
        &store,
        &base(Some(0)),
        Some(&genesis.block),
        diff_at(1),
        vec![],
    );
    store.commit(commit_of(&one)).unwrap();
    commit_next(&store, diff_at(2), vec![]);
    commit_next(&store, diff_at(3), vec![]);

    let found = |height, span| {
        store
            .finalization_from(height, span)
            .unwrap()
            .map(|(at, cert)| (at, String::from_utf8(cert.to_vec()).unwrap()))
    };
    assert_eq!(found(0, 10), Some((2, "cert 2".into())));
    assert_eq!(found(1, 1), Some((2, "cert 2".into())));
    assert_eq!(found(0, 1), None, "outside the span");
    assert_eq!(
        found(2, 0),
        Some((2, "cert 2".into())),
        "a block's own first"
    );
    assert_eq!(found(3, u64::MAX), Some((3, "cert 3".into())));
    assert_eq!(found(4, 10), None, "nothing committed above the head");
}

//! The store is shared by the committer, block execution and the RPC server: readers
//! running during commits must only ever see whole blocks.

use std::sync::atomic::{AtomicBool, Ordering};

use alloy_primitives::U256;
use entente_storage::{StateAt, StateBase, StateView, Store, verify_state_proof};

use crate::common::{Engine, addr, commit_next, diff_with, on_both_engines};

on_both_engines!(readers_see_whole_blocks_while_commits_run);

const BLOCKS: u64 = 25;

/// What the handles promise to their users.
fn assert_shareable<T: Clone + Send + Sync + 'static>() {}
fn assert_view<T: StateView + Clone + Send + Sync + 'static>() {}

fn readers_see_whole_blocks_while_commits_run(engine: &Engine) {
    assert_shareable::<Store>();
    assert_view::<StateAt>();
    let store = engine.open();
    commit_next(&store, diff_with(&[(1, 1)], &[(1, 0, 1)]), vec![]);
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                let mut reads = 0;
                while !done.load(Ordering::Acquire) || reads == 0 {
                    check_head(&store);
                    reads += 1;
                }
            });
        }
        for height in 1..=BLOCKS {
            let value = height + 1;
            commit_next(&store, diff_with(&[(1, value)], &[(1, 0, value)]), vec![]);
        }
        done.store(true, Ordering::Release);
    });
    assert_eq!(store.head().unwrap().unwrap().height, BLOCKS);
}

/// Everything reachable from the head agrees with it.
fn check_head(store: &Store) {
    let head = store.head().unwrap().unwrap();
    let view = store.view(&StateBase::committed(head.height));
    let expected = U256::from(head.height + 1);
    assert_eq!(view.account(&addr(1)).unwrap().unwrap().balance, expected);
    assert_eq!(view.storage(&addr(1), &U256::ZERO).unwrap(), expected);
    let header = store.header(head.height).unwrap().unwrap();
    assert_eq!(header.state_root, head.state_root);
    let proof = store.account_proof(head.height, &addr(1)).unwrap();
    verify_state_proof(head.state_root, &proof).unwrap();
}

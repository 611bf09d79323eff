//! Cost claims, asserted as counts of engine operations (never timings): a new root costs
//! O(keys changed × log n), and a read at the head is at most one point read.

use entente_storage::{Column, NODE_GROUP_NIBBLES, StateBase, StateView, Store};

use crate::common::{Engine, account, addr, commit_next, diff_with, execute, on_both_engines};

on_both_engines!(
    new_root_cost_grows_with_changes_not_state,
    head_reads_take_one_point_read,
    recently_written_nodes_are_read_from_memory
);

const ACCOUNTS: u64 = 20_000;
/// A 20,000-key tree is about 4 nibble levels deep: one changed key rewrites its leaf
/// and the internal nodes above it.
const NODES_PER_CHANGE_MAX: usize = 16;

fn new_root_cost_grows_with_changes_not_state(engine: &Engine) {
    let (store, counts) = engine.open_counted();
    let accounts: Vec<(u64, u64)> = (0..ACCOUNTS).map(|i| (i, i + 1)).collect();
    commit_next(&store, diff_with(&accounts, &[]), vec![]);
    let genesis = store.block(0).unwrap();

    counts.reset();
    let one = execute(
        &store,
        &StateBase::committed(0),
        genesis.as_ref(),
        diff_with(&[(123, 5)], &[]),
        vec![],
    );
    let nodes = one.tree.nodes_written();
    assert!(
        (2..=NODES_PER_CHANGE_MAX).contains(&nodes),
        "one change wrote {nodes} nodes"
    );
    assert!(
        counts.total_gets() <= 2 * NODES_PER_CHANGE_MAX,
        "{} reads",
        counts.total_gets()
    );
    assert_eq!(counts.iters(Column::Nodes), 0);

    counts.reset();
    one.commit(&store).unwrap();
    // One node per depth on the changed path; those deeper than the group prefix share
    // one entry.
    assert_eq!(
        counts.puts(Column::Nodes),
        nodes.min(NODE_GROUP_NIBBLES + 1)
    );
    assert_eq!(
        (counts.puts(Column::Values), counts.puts(Column::Latest)),
        (1, 1)
    );

    counts.reset();
    let changed: Vec<(u64, u64)> = (0..10).map(|i| (i * 1_999, 7)).collect();
    let block1 = store.block(1).unwrap();
    let ten = execute(
        &store,
        &StateBase::committed(1),
        block1.as_ref(),
        diff_with(&changed, &[]),
        vec![],
    );
    let nodes = ten.tree.nodes_written();
    assert!(
        nodes <= 10 * NODES_PER_CHANGE_MAX,
        "ten changes wrote {nodes} nodes"
    );
    assert!(
        counts.total_gets() <= 20 * NODES_PER_CHANGE_MAX,
        "{} reads",
        counts.total_gets()
    );
}

fn head_reads_take_one_point_read(engine: &Engine) {
    let (store, counts) = engine.open_counted();
    commit_next(&store, diff_with(&[(1, 10), (2, 20)], &[(1, 0, 1)]), vec![]);
    for i in 0..5 {
        commit_next(&store, diff_with(&[(2, 21 + i)], &[]), vec![]);
    }
    let head = store.view(&StateBase::committed(5));
    counts.reset();
    assert_eq!(head.account(&addr(1)).unwrap(), Some(account(10)));
    assert_eq!(head.account(&addr(2)).unwrap(), Some(account(25)));
    // Both were written by this process's commits: answered from memory.
    assert_eq!(counts.gets(Column::Latest), 0);
    // A key nobody wrote is looked up once, then remembered as absent.
    assert_eq!(head.account(&addr(3)).unwrap(), None);
    assert_eq!(head.account(&addr(3)).unwrap(), None);
    assert_eq!(counts.gets(Column::Latest), 1);
    assert_eq!(
        counts.iters(Column::Values),
        0,
        "no seek for reads at the head"
    );
    // The version before the newest is remembered too; an older one needs one reverse
    // seek.
    counts.reset();
    let before = store.view(&StateBase::committed(4));
    assert_eq!(before.account(&addr(2)).unwrap(), Some(account(24)));
    let old = store.view(&StateBase::committed(2));
    assert_eq!(old.account(&addr(2)).unwrap(), Some(account(22)));
    assert_eq!(
        (counts.gets(Column::Latest), counts.iters(Column::Values)),
        (0, 1)
    );

    // After a restart nothing is in memory: one point read per key at the head.
    drop((store, head, before, old, counts));
    let (store, counts) = engine.open_counted();
    let head = store.view(&StateBase::committed(5));
    assert_eq!(head.account(&addr(1)).unwrap(), Some(account(10)));
    assert_eq!(head.account(&addr(2)).unwrap(), Some(account(25)));
    assert_eq!(head.account(&addr(2)).unwrap(), Some(account(25)));
    assert_eq!(
        (counts.gets(Column::Latest), counts.iters(Column::Values)),
        (2, 0)
    );
    // An old version of a key changed since: one point read, one reverse seek.
    counts.reset();
    let old = store.view(&StateBase::committed(2));
    assert_eq!(old.account(&addr(2)).unwrap(), Some(account(22)));
    assert_eq!(
        (counts.gets(Column::Latest), counts.iters(Column::Values)),
        (0, 1)
    );
}

fn recently_written_nodes_are_read_from_memory(engine: &Engine) {
    let (store, counts) = engine.open_counted();
    let accounts: Vec<(u64, u64)> = (0..ACCOUNTS).map(|i| (i, i + 1)).collect();
    commit_next(&store, diff_with(&accounts, &[]), vec![]);
    commit_next(&store, diff_with(&[(123, 5)], &[]), vec![]);
    // The root after changing account 123 again, on top of block 1.
    let change_again = |store: &Store| {
        let block1 = store.block(1).unwrap();
        let base = StateBase::committed(1);
        execute(
            store,
            &base,
            block1.as_ref(),
            diff_with(&[(123, 6)], &[]),
            vec![],
        )
        .tree
        .root()
    };

    // Block 1 rewrote the whole path to account 123, and the store still holds it.
    counts.reset();
    let root = change_again(&store);
    assert_eq!(counts.gets(Column::Nodes), 0);

    // A restarted store reads the same path from the engine, to the same root.
    drop((store, counts));
    let (store, counts) = engine.open_counted();
    assert_eq!(change_again(&store), root);
    assert!(counts.gets(Column::Nodes) >= 2);
}

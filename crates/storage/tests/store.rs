//! The store's behaviour, run against both engines (memory and fjall on disk).

use std::sync::Arc;

use alloy_primitives::{Address, B256, Bytes, Log, LogData, U256};
use entente_primitives::{Block, BlockCodec, BlockDigest, Header, Receipt, merkle_root};
use entente_storage::{
    Account, BlockCommit, CommitOutcome, FjallKv, Kv, LogFilter, MemoryKv, PendingState, StateBase,
    StateDiff, StateView, StorageError, Store, verify_state_proof,
};

const CODEC: BlockCodec = BlockCodec {
    txs_max: 1000,
    txs_bytes_max: 1 << 20,
};

fn account(balance: u64) -> Account {
    Account {
        nonce: 1,
        balance: U256::from(balance),
        ..Account::default()
    }
}

fn addr(i: u64) -> Address {
    Address::left_padding_from(&i.to_be_bytes())
}

/// A block at `height` on `parent` whose header commits to `state_root` and carries one
/// fake transaction per receipt.
fn block(parent: &Block, state_root: B256, receipts: &[Receipt], txs: Vec<Bytes>) -> Block {
    Block::new(
        Header {
            parent: BlockDigest::from(parent.hash().0),
            height: parent.header.height + 1,
            timestamp_ms: parent.header.timestamp_ms + 1,
            proposer: Address::ZERO,
            gas_limit: 1,
            gas_used: 0,
            base_fee: 0,
            tx_root: merkle_root(&receipts.iter().map(|r| r.tx_hash).collect::<Vec<_>>()),
            receipts_root: merkle_root(&receipts.iter().map(Receipt::leaf).collect::<Vec<_>>()),
            state_root,
            extra: B256::ZERO,
        },
        txs,
    )
}

fn genesis(store: &Store, diff: &StateDiff) -> Block {
    let (root, tree) = store.state_root_after(&StateBase::empty(), diff).unwrap();
    let block = Block::new(
        Header {
            parent: BlockDigest::from([0u8; 32]),
            height: 0,
            timestamp_ms: 1,
            proposer: Address::ZERO,
            gas_limit: 1,
            gas_used: 0,
            base_fee: 0,
            tx_root: B256::ZERO,
            receipts_root: B256::ZERO,
            state_root: root,
            extra: B256::ZERO,
        },
        vec![],
    );
    store
        .commit(BlockCommit {
            block: &block,
            receipts: &[],
            diff,
            tree: &tree,
            finalization: None,
        })
        .unwrap();
    block
}

fn receipt(tag: u8, logs: Vec<Log>) -> Receipt {
    Receipt {
        tx_hash: B256::repeat_byte(tag),
        tx_type: 2,
        success: true,
        from: Address::repeat_byte(1),
        to: Some(Address::repeat_byte(2)),
        contract_address: None,
        gas_used: 21_000,
        cumulative_gas_used: 21_000,
        effective_gas_price: 0,
        logs,
        output: Bytes::new(),
    }
}

/// Applies `diff` on the head and commits it; returns the block.
fn commit_diff(store: &Store, parent: &Block, diff: StateDiff, receipts: Vec<Receipt>) -> Block {
    let base = StateBase::committed(parent.header.height);
    let (root, tree) = store.state_root_after(&base, &diff).unwrap();
    let txs = receipts
        .iter()
        .map(|r| Bytes::copy_from_slice(r.tx_hash.as_slice()))
        .collect();
    let block = block(parent, root, &receipts, txs);
    let outcome = store
        .commit(BlockCommit {
            block: &block,
            receipts: &receipts,
            diff: &diff,
            tree: &tree,
            finalization: Some(Bytes::from_static(b"cert")),
        })
        .unwrap();
    assert_eq!(outcome, CommitOutcome::Committed);
    block
}

fn diff_with(accounts: &[(u64, u64)], slots: &[(u64, u64, u64)]) -> StateDiff {
    let mut diff = StateDiff::default();
    for (a, balance) in accounts {
        diff.accounts.insert(addr(*a), Some(account(*balance)));
    }
    for (a, slot, value) in slots {
        diff.storage
            .entry(addr(*a))
            .or_default()
            .insert(U256::from(*slot), U256::from(*value));
    }
    diff
}

fn suite(kv: Arc<dyn Kv>) {
    let store = Store::from_kv(kv.clone(), CODEC).unwrap();
    assert!(store.head().unwrap().is_none());
    let g = genesis(&store, &diff_with(&[(1, 100), (2, 200)], &[(1, 7, 70)]));
    assert_eq!(store.head().unwrap().unwrap().height, 0);

    // A chain of commits, and reads at every version.
    let b1 = commit_diff(
        &store,
        &g,
        diff_with(&[(1, 90), (3, 10)], &[(1, 7, 0), (1, 8, 80)]),
        vec![receipt(1, vec![])],
    );
    let b2 = commit_diff(&store, &b1, diff_with(&[(2, 0)], &[]), vec![]);
    let at = |version| store.view(&StateBase::committed(version));
    assert_eq!(at(0).account(&addr(1)).unwrap(), Some(account(100)));
    assert_eq!(at(1).account(&addr(1)).unwrap(), Some(account(90)));
    assert_eq!(at(0).account(&addr(3)).unwrap(), None);
    assert_eq!(at(2).account(&addr(3)).unwrap(), Some(account(10)));
    assert_eq!(
        at(0).storage(&addr(1), &U256::from(7)).unwrap(),
        U256::from(70)
    );
    assert_eq!(at(1).storage(&addr(1), &U256::from(7)).unwrap(), U256::ZERO);
    assert_eq!(
        at(2).storage(&addr(1), &U256::from(8)).unwrap(),
        U256::from(80)
    );
    assert_eq!(store.block_by_hash(&b2.hash()).unwrap().unwrap(), b2);
    assert_eq!(
        store
            .tx_location(&B256::repeat_byte(1))
            .unwrap()
            .unwrap()
            .height,
        1
    );
    assert_eq!(
        store.receipts(1).unwrap().unwrap(),
        vec![receipt(1, vec![])]
    );
    assert_eq!(store.finalization(1).unwrap().unwrap().as_ref(), b"cert");

    // Idempotent re-commit, conflict and gap.
    let diff = diff_with(&[(2, 0)], &[]);
    let (_, tree) = store
        .state_root_after(&StateBase::committed(1), &diff)
        .unwrap();
    let again = store
        .commit(BlockCommit {
            block: &b2,
            receipts: &[],
            diff: &diff,
            tree: &tree,
            finalization: None,
        })
        .unwrap();
    assert_eq!(again, CommitOutcome::AlreadyCommitted);
    let other = block(&b1, b2.header.state_root, &[], vec![]);
    let other = Block::new(
        Header {
            timestamp_ms: 99,
            ..other.header
        },
        vec![],
    );
    assert!(matches!(
        store.commit(BlockCommit {
            block: &other,
            receipts: &[],
            diff: &diff,
            tree: &tree,
            finalization: None
        }),
        Err(StorageError::Conflict { .. })
    ));
    let far = Block::new(
        Header {
            height: 9,
            ..b2.header.clone()
        },
        vec![],
    );
    assert!(matches!(
        store.commit(BlockCommit {
            block: &far,
            receipts: &[],
            diff: &diff,
            tree: &tree,
            finalization: None
        }),
        Err(StorageError::NotNext { .. })
    ));
    // A delta whose root is not the header's is refused.
    let (_, wrong_tree) = store
        .state_root_after(&StateBase::committed(2), &diff_with(&[(9, 9)], &[]))
        .unwrap();
    let b3 = block(&b2, B256::repeat_byte(3), &[], vec![]);
    assert!(
        store
            .commit(BlockCommit {
                block: &b3,
                receipts: &[],
                diff: &diff,
                tree: &wrong_tree,
                finalization: None
            })
            .is_err()
    );

    // Speculative chains: three pending layers give the same roots and reads as committing.
    let diffs = [
        diff_with(&[(4, 1)], &[(4, 1, 1)]),
        diff_with(&[(4, 2), (1, 5)], &[(4, 1, 0), (4, 2, 2)]),
        diff_with(&[(5, 3)], &[]),
    ];
    let mut base = StateBase::committed(2);
    let mut roots = Vec::new();
    for diff in &diffs {
        let (root, tree) = store.state_root_after(&base, diff).unwrap();
        roots.push(root);
        base = StateBase {
            committed: Some(2),
            pending: Some(Arc::new(PendingState {
                version: base.next_version(),
                diff: diff.clone(),
                tree,
                parent: base.pending.clone(),
            })),
        };
    }
    let view = store.view(&base);
    assert_eq!(view.account(&addr(4)).unwrap(), Some(account(2)));
    assert_eq!(view.account(&addr(1)).unwrap(), Some(account(5)));
    assert_eq!(view.storage(&addr(4), &U256::from(1)).unwrap(), U256::ZERO);
    assert_eq!(
        view.storage(&addr(1), &U256::from(8)).unwrap(),
        U256::from(80)
    );
    // A competing child of block 2 does not see the other branch.
    let (sibling_root, _) = store
        .state_root_after(&StateBase::committed(2), &diff_with(&[(6, 6)], &[]))
        .unwrap();
    assert_ne!(sibling_root, roots[0]);
    assert_eq!(
        store
            .view(&StateBase::committed(2))
            .account(&addr(4))
            .unwrap(),
        None
    );
    let mut parent = b2.clone();
    for (diff, root) in diffs.iter().zip(&roots) {
        parent = commit_diff(&store, &parent, diff.clone(), vec![]);
        assert_eq!(parent.header.state_root, *root);
    }

    // Proofs: present and absent keys; tampering fails.
    let head = store.head().unwrap().unwrap();
    let proof = store.account_proof(head.height, &addr(4)).unwrap();
    assert!(proof.value.is_some());
    verify_state_proof(head.state_root, &proof).unwrap();
    let absent = store.account_proof(head.height, &addr(77)).unwrap();
    assert!(absent.value.is_none());
    verify_state_proof(head.state_root, &absent).unwrap();
    let slot = store
        .storage_proof(head.height, &addr(1), &U256::from(8))
        .unwrap();
    verify_state_proof(head.state_root, &slot).unwrap();
    let mut bad = proof.clone();
    bad.value.as_mut().unwrap()[10] ^= 1;
    assert!(verify_state_proof(head.state_root, &bad).is_err());
    let mut bad = proof.clone();
    bad.preimage[5] ^= 1;
    assert!(verify_state_proof(head.state_root, &bad).is_err());
    assert!(verify_state_proof(B256::repeat_byte(1), &proof).is_err());
    let old = store.account_proof(1, &addr(1)).unwrap();
    verify_state_proof(b1.header.state_root, &old).unwrap();
    assert!(store.account_proof(head.height + 1, &addr(1)).is_err());

    // Crash safety: a store dropped without committing shows the previous state.
    {
        let doomed = Store::from_kv(kv.clone(), CODEC).unwrap();
        let _ = doomed
            .state_root_after(
                &StateBase::committed(head.height),
                &diff_with(&[(1, 1)], &[]),
            )
            .unwrap();
    }
    let reopened = Store::from_kv(kv, CODEC).unwrap();
    assert_eq!(reopened.head().unwrap().unwrap(), head);
    assert_eq!(
        reopened
            .view(&StateBase::committed(head.height))
            .account(&addr(1))
            .unwrap(),
        Some(account(5))
    );
}

#[test]
fn memory_store() {
    suite(Arc::new(MemoryKv::new()));
}

#[test]
fn fjall_store_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    suite(Arc::new(FjallKv::open(dir.path()).unwrap()));
    let store = Store::open(dir.path(), CODEC).unwrap();
    let head = store.head().unwrap().unwrap();
    assert_eq!(head.height, 5);
    assert_eq!(store.block(head.height).unwrap().unwrap().hash(), head.hash);
}

#[test]
fn new_roots_cost_grows_with_changes_not_state() {
    let store = Store::in_memory();
    let accounts: Vec<(u64, u64)> = (0..20_000).map(|i| (i, i + 1)).collect();
    let g = genesis(&store, &diff_with(&accounts, &[]));
    let (_, tree) = store
        .state_root_after(&StateBase::committed(0), &diff_with(&[(123, 5)], &[]))
        .unwrap();
    assert!(
        tree.nodes_written() <= 16,
        "one change wrote {} nodes",
        tree.nodes_written()
    );
    let (_, tree) = store
        .state_root_after(
            &StateBase::committed(0),
            &diff_with(&[(1, 5), (2, 5), (3, 5)], &[]),
        )
        .unwrap();
    assert!(
        tree.nodes_written() <= 40,
        "three changes wrote {} nodes",
        tree.nodes_written()
    );
    assert_eq!(g.header.height, 0);
}

#[test]
fn logs_are_filtered_by_address_topic_and_range() {
    let store = Store::in_memory();
    let g = genesis(&store, &StateDiff::default());
    let log = |a: u8, t: u8| Log {
        address: Address::repeat_byte(a),
        data: LogData::new_unchecked(vec![B256::repeat_byte(t)], Bytes::new()),
    };
    let b1 = commit_diff(
        &store,
        &g,
        StateDiff::default(),
        vec![receipt(1, vec![log(1, 10), log(2, 20)])],
    );
    let b2 = commit_diff(
        &store,
        &b1,
        StateDiff::default(),
        vec![receipt(2, vec![log(1, 20)]), receipt(3, vec![log(3, 30)])],
    );
    let all = store.logs(0, 2, &LogFilter::default(), 100).unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all[3].log_index, 1, "log index counts within the block");
    assert_eq!(all[3].tx_index, 1);
    let by_address = LogFilter {
        addresses: vec![Address::repeat_byte(1)],
        topics: vec![],
    };
    assert_eq!(store.logs(0, 2, &by_address, 100).unwrap().len(), 2);
    let by_topic = LogFilter {
        addresses: vec![],
        topics: vec![Some(vec![B256::repeat_byte(20)])],
    };
    let hits = store.logs(0, 2, &by_topic, 100).unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[1].block_hash, b2.hash());
    assert_eq!(store.logs(2, 2, &by_topic, 100).unwrap().len(), 1);
    let nothing = LogFilter {
        addresses: vec![Address::repeat_byte(9)],
        topics: vec![],
    };
    assert!(store.logs(0, 2, &nothing, 100).unwrap().is_empty());
    assert!(matches!(
        store.logs(0, 2, &LogFilter::default(), 3),
        Err(StorageError::TooManyResults { .. })
    ));
}

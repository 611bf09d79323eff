//! The block rules, without a network: what a validator accepts from a proposer and
//! what it refuses, with the exact error.

use std::sync::Arc;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use entente_consensus::{Chain, ChainConfig, ChainError, init_genesis};
use entente_modules::EntenteModules;
use entente_primitives::{Block, BlockCodec, Header, merkle_root};
use entente_storage::{StateBase, StateView as _, Store};
use entente_testkit::fixtures::{self, account, transfer};
use entente_txpool::{PoolLimits, TxPool};

const NOW_MS: u64 = 10_000;

fn node() -> (Arc<Chain>, Block) {
    node_with(ChainConfig::default())
}

fn node_with(config: ChainConfig) -> (Arc<Chain>, Block) {
    let spec = Arc::new(fixtures::spec(4, 4));
    let codec = BlockCodec {
        txs_max: spec.limits.block_txs_max,
        txs_bytes_max: spec.limits.block_txs_bytes_max,
    };
    let store = Store::from_kv(Arc::new(entente_storage::MemoryKv::new()), codec).unwrap();
    let genesis = init_genesis(&spec, &store).unwrap();
    let chain = Chain::new(
        spec,
        store,
        TxPool::new(PoolLimits::default()),
        Arc::new(EntenteModules),
        config,
    );
    (Arc::new(chain), genesis)
}

fn leader(i: usize) -> commonware_cryptography::ed25519::PublicKey {
    fixtures::validator_key(i).public_key()
}

fn fee_recipient(i: usize) -> Address {
    Address::repeat_byte(0xf0 + i as u8)
}

/// A block proposed by validator 0 with two transfers.
fn proposal() -> (Block, Block) {
    let (proposer, genesis) = node();
    for nonce in 0..2 {
        let tx = transfer(&account(0), nonce, Address::repeat_byte(7), U256::from(5));
        proposer.pool().insert(tx, 0).unwrap();
    }
    let built = proposer.build(&genesis, fee_recipient(0), NOW_MS).unwrap();
    assert_eq!(built.block.txs.len(), 2);
    (genesis, built.block.clone())
}

fn rebuilt(block: &Block, edit: impl FnOnce(&mut Header)) -> Block {
    let mut header = block.header.clone();
    edit(&mut header);
    Block::new(header, block.txs.clone())
}

fn with_txs(block: &Block, txs: Vec<Bytes>) -> Block {
    let mut header = block.header.clone();
    header.tx_root = merkle_root(&txs.iter().map(keccak256).collect::<Vec<_>>());
    Block::new(header, txs)
}

#[test]
fn a_spent_build_budget_closes_the_block_and_the_rest_follows() {
    let (proposer, genesis) = node_with(ChainConfig {
        build_time_max: Some(std::time::Duration::ZERO),
        ..ChainConfig::default()
    });
    for nonce in 0..3 {
        let tx = transfer(&account(0), nonce, Address::repeat_byte(7), U256::from(5));
        proposer.pool().insert(tx, 0).unwrap();
    }
    // No time at all: the block still takes one transaction, so the chain progresses.
    let first = proposer.build(&genesis, fee_recipient(0), NOW_MS).unwrap();
    assert_eq!(first.block.txs.len(), 1);
    let (validator, _) = node();
    validator
        .verify(&genesis, &first.block, &leader(0), NOW_MS)
        .unwrap();
    proposer.commit(&first.block, None).unwrap();
    let second = proposer
        .build(&first.block, fee_recipient(0), NOW_MS + 1)
        .unwrap();
    assert_eq!(second.block.txs.len(), 1);

    // Without a budget the same pool fills one block.
    let (unbounded, genesis) = node();
    for nonce in 0..3 {
        let tx = transfer(&account(0), nonce, Address::repeat_byte(7), U256::from(5));
        unbounded.pool().insert(tx, 0).unwrap();
    }
    let built = unbounded.build(&genesis, fee_recipient(0), NOW_MS).unwrap();
    assert_eq!(built.block.txs.len(), 3);
}

#[test]
fn a_valid_proposal_is_accepted_and_commits_identically() {
    let (genesis, block) = proposal();
    let (validator, _) = node();
    validator
        .verify(&genesis, &block, &leader(0), NOW_MS)
        .unwrap();
    validator.commit(&block, None).unwrap();
    // Committing again is a no-op.
    validator.commit(&block, None).unwrap();
    let view = validator.store().view(&StateBase::committed(1));
    assert_eq!(
        view.account(&account(0).address()).unwrap().unwrap().nonce,
        2
    );
    assert_eq!(
        view.account(&Address::repeat_byte(7))
            .unwrap()
            .unwrap()
            .balance,
        U256::from(10)
    );
    // A node that never verified the block executes it at commit and agrees.
    let (late, _) = node();
    late.commit(&block, None).unwrap();
    assert_eq!(
        late.store().head().unwrap().unwrap(),
        validator.store().head().unwrap().unwrap()
    );
}

#[test]
fn tampered_commitments_are_refused() {
    let (genesis, block) = proposal();
    let check = |block: &Block| {
        let (validator, _) = node();
        validator
            .verify(&genesis, block, &leader(0), NOW_MS)
            .unwrap_err()
    };
    let err = check(&rebuilt(&block, |h| h.state_root = B256::repeat_byte(1)));
    assert!(
        matches!(
            err,
            ChainError::RootMismatch {
                field: "state_root",
                ..
            }
        ),
        "{err}"
    );
    let err = check(&rebuilt(&block, |h| h.receipts_root = B256::repeat_byte(1)));
    assert!(
        matches!(
            err,
            ChainError::RootMismatch {
                field: "receipts_root",
                ..
            }
        ),
        "{err}"
    );
    let err = check(&rebuilt(&block, |h| h.tx_root = B256::repeat_byte(1)));
    assert!(
        matches!(
            err,
            ChainError::RootMismatch {
                field: "tx_root",
                ..
            }
        ),
        "{err}"
    );
    let err = check(&rebuilt(&block, |h| h.gas_used += 1));
    assert!(
        matches!(
            err,
            ChainError::HeaderField {
                field: "gas_used",
                ..
            }
        ),
        "{err}"
    );
    let err = check(&rebuilt(&block, |h| h.gas_limit += 1));
    assert!(
        matches!(
            err,
            ChainError::HeaderField {
                field: "gas_limit",
                ..
            }
        ),
        "{err}"
    );
    let err = check(&rebuilt(&block, |h| h.extra = B256::repeat_byte(9)));
    assert!(
        matches!(err, ChainError::HeaderField { field: "extra", .. }),
        "{err}"
    );
}

#[test]
fn proposer_and_time_are_checked() {
    let (genesis, block) = proposal();
    let (validator, _) = node();
    let err = validator
        .verify(&genesis, &block, &leader(1), NOW_MS)
        .unwrap_err();
    assert!(
        matches!(
            err,
            ChainError::HeaderField {
                field: "proposer",
                ..
            }
        ),
        "{err}"
    );
    let stale = rebuilt(&block, |h| h.timestamp_ms = genesis.header.timestamp_ms);
    let err = validator
        .verify(&genesis, &stale, &leader(0), NOW_MS)
        .unwrap_err();
    assert!(
        matches!(err, ChainError::TimestampNotIncreasing { .. }),
        "{err}"
    );
    let future = rebuilt(&block, |h| h.timestamp_ms = NOW_MS + 60_000);
    let err = validator
        .verify(&genesis, &future, &leader(0), NOW_MS)
        .unwrap_err();
    assert!(matches!(err, ChainError::TimestampInFuture { .. }), "{err}");
}

#[test]
fn invalid_transactions_make_the_block_invalid() {
    let (genesis, block) = proposal();
    let (validator, _) = node();
    // Out of nonce order: the second transfer first.
    let swapped = with_txs(&block, vec![block.txs[1].clone(), block.txs[0].clone()]);
    let err = validator
        .verify(&genesis, &swapped, &leader(0), NOW_MS)
        .unwrap_err();
    assert!(
        matches!(err, ChainError::InvalidTransaction { index: 0, .. }),
        "{err}"
    );
    // Undecodable bytes.
    let garbage = with_txs(&block, vec![Bytes::from_static(&[0x02, 0xff, 0x00])]);
    let err = validator
        .verify(&genesis, &garbage, &leader(0), NOW_MS)
        .unwrap_err();
    assert!(
        matches!(err, ChainError::BadTransaction { index: 0, .. }),
        "{err}"
    );
    // Signed for another chain.
    let foreign = {
        let other = account(1)
            .sign(alloy_consensus::TxLegacy {
                chain_id: Some(1),
                nonce: 0,
                gas_price: 0,
                gas_limit: 21_000,
                to: alloy_primitives::TxKind::Call(Address::ZERO),
                value: U256::ZERO,
                input: Bytes::new(),
            })
            .unwrap();
        other.raw
    };
    let err = validator
        .verify(
            &genesis,
            &with_txs(&block, vec![foreign]),
            &leader(0),
            NOW_MS,
        )
        .unwrap_err();
    assert!(matches!(err, ChainError::BadTransaction { .. }), "{err}");
    // Well formed and signed, but from an account the permissioned chain does not know:
    // the executor refuses it, so no honest validator accepts the block.
    let outsider = transfer(&account(10_000), 0, Address::repeat_byte(0x66), U256::ZERO);
    let err = validator
        .verify(
            &genesis,
            &with_txs(&block, vec![outsider.raw]),
            &leader(0),
            NOW_MS,
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            ChainError::InvalidTransaction {
                index: 0,
                rejection: entente_execution::TxRejection::Unauthorized { .. }
            }
        ),
        "{err}"
    );
    // Nothing was committed by any of this.
    assert_eq!(validator.store().head().unwrap().unwrap().height, 0);
}

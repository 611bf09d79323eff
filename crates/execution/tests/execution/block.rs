//! Block execution: receipts, state diffs, fees and rejections.

use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_sol_types::{SolError as _, SolEvent as _};
use entente_execution::{BlockBuilder, BlockEnv, NoHashes, NoModules, TxRejection, validate};
use entente_storage::{Account, EMPTY_CODE_HASH};

use crate::common::*;
use crate::contracts::{self, Bad, Stored};

/// A state with the Store contract (see `contracts::store`) at `STORE`.
const STORE: Address = Address::repeat_byte(0x57);
const SPIN: Address = Address::repeat_byte(0x5b);

fn with_contracts() -> MemState {
    let mut state = funded();
    state.install(STORE, contracts::store());
    state.install(SPIN, contracts::spin());
    state
}

#[test]
fn value_transfer_moves_balance_bumps_nonce_and_writes_receipt() {
    let state = funded();
    let (a, b) = (alice(), bob());
    let tx = transfer(&a, 0, b.address(), 1_000);
    let outcome = run_block(&state, env(), &NoModules, std::slice::from_ref(&tx));

    let receipt = &outcome.receipts[0];
    assert!(receipt.success);
    assert_eq!(receipt.tx_hash, tx.hash);
    assert_eq!(receipt.tx_type, 2);
    assert_eq!(receipt.from, a.address());
    assert_eq!(receipt.to, Some(b.address()));
    assert_eq!(receipt.contract_address, None);
    assert_eq!(receipt.gas_used, 21_000);
    assert_eq!(receipt.cumulative_gas_used, 21_000);
    assert_eq!(receipt.effective_gas_price, 0);
    assert!(receipt.logs.is_empty() && receipt.output.is_empty());
    assert_eq!(outcome.gas_used, 21_000);

    // Only the two accounts changed: no coinbase entry at gas price zero, no storage.
    assert_eq!(outcome.diff.accounts.len(), 2);
    assert!(outcome.diff.storage.is_empty() && outcome.diff.codes.is_empty());
    let mut after = state.clone();
    after.apply(&outcome.diff);
    assert_eq!(after.balance(a.address()), U256::from(100 * ETHER - 1_000));
    assert_eq!(after.balance(b.address()), U256::from(100 * ETHER + 1_000));
    assert_eq!(after.nonce(a.address()), 1);
    assert_eq!(after.nonce(b.address()), 0);
}

#[test]
fn deploys_a_contract_then_calls_it_with_storage_and_logs() {
    let state = funded();
    let a = alice();
    let runtime = contracts::store();
    let deploy = create_tx(&a, 0, deployer(&runtime), 200_000);
    let address = a.address().create(0);
    let call = call_tx(&a, 1, address, word(42), 100_000);
    let outcome = run_block(&state, env(), &NoModules, &[deploy, call]);

    let created = &outcome.receipts[0];
    assert!(created.success);
    assert_eq!(created.contract_address, Some(address));
    assert_eq!(created.to, None);
    assert_eq!(outcome.diff.codes.get(&keccak256(&runtime)), Some(&runtime));
    assert_eq!(
        outcome.diff.accounts[&address],
        Some(Account {
            nonce: 1,
            balance: U256::ZERO,
            code_hash: keccak256(&runtime)
        })
    );

    let called = &outcome.receipts[1];
    assert!(called.success);
    assert_eq!(called.output, word(42));
    assert_eq!(called.logs.len(), 1);
    assert_eq!(called.logs[0].address, address);
    assert_eq!(called.logs[0].topics(), &[Stored::SIGNATURE_HASH]);
    assert_eq!(called.logs[0].data.data, word(42));
    assert_eq!(
        called.cumulative_gas_used,
        created.gas_used + called.gas_used
    );
    assert_eq!(outcome.diff.storage[&address][&U256::ZERO], U256::from(42));
}

#[test]
fn revert_keeps_custom_error_data_charges_gas_and_bumps_nonce() {
    let state = with_contracts();
    let a = alice();
    let outcome = run_block(
        &state,
        env(),
        &NoModules,
        &[call_tx(&a, 0, STORE, word(0xbad), 100_000)],
    );

    let receipt = &outcome.receipts[0];
    assert!(!receipt.success);
    let expected = Bad {
        value: U256::from(0xbad),
    }
    .abi_encode();
    assert_eq!(receipt.output, Bytes::from(expected));
    assert!(receipt.logs.is_empty());
    assert!(receipt.gas_used > 21_000 && receipt.gas_used < 100_000);
    assert!(outcome.diff.storage.is_empty());
    let mut after = state.clone();
    after.apply(&outcome.diff);
    assert_eq!(after.nonce(a.address()), 1);
}

#[test]
fn out_of_gas_consumes_the_gas_limit_and_the_nonce() {
    let state = with_contracts();
    let a = alice();
    let outcome = run_block(
        &state,
        env(),
        &NoModules,
        &[call_tx(&a, 0, SPIN, Bytes::new(), 50_000)],
    );
    let receipt = &outcome.receipts[0];
    assert!(!receipt.success);
    assert_eq!(receipt.gas_used, 50_000);
    assert!(receipt.output.is_empty());
    let mut after = state.clone();
    after.apply(&outcome.diff);
    assert_eq!(after.nonce(a.address()), 1);
}

#[test]
fn two_transactions_from_one_sender_in_one_block() {
    let state = funded();
    let (a, b) = (alice(), bob());
    let outcome = run_block(
        &state,
        env(),
        &NoModules,
        &[
            transfer(&a, 0, b.address(), 5),
            transfer(&a, 1, b.address(), 7),
        ],
    );
    assert_eq!(outcome.receipts[1].cumulative_gas_used, 42_000);
    let mut after = state.clone();
    after.apply(&outcome.diff);
    assert_eq!(after.nonce(a.address()), 2);
    assert_eq!(after.balance(b.address()), U256::from(100 * ETHER + 12));
}

/// The rejections a builder must refuse without changing anything.
fn bad_transactions() -> Vec<(entente_primitives::RecoveredTx, TxRejection)> {
    let (a, b) = (alice(), bob());
    vec![
        (
            transfer(&a, 0, b.address(), 1),
            TxRejection::NonceTooLow {
                expected: 1,
                got: 0,
            },
        ),
        (
            transfer(&a, 5, b.address(), 1),
            TxRejection::NonceTooHigh {
                expected: 1,
                got: 5,
            },
        ),
        (
            transfer(&a, 1, b.address(), 200 * ETHER),
            TxRejection::InsufficientFunds {
                balance: U256::from(100 * ETHER - 1),
                cost: U256::from(200 * ETHER),
            },
        ),
        (
            tx(
                &a,
                1,
                TxKind::Call(b.address()),
                1,
                Bytes::new(),
                GAS_LIMIT + 1,
            ),
            TxRejection::GasLimitExceedsBlock {
                gas_limit: GAS_LIMIT + 1,
                remaining: GAS_LIMIT - 21_000,
            },
        ),
        (
            tx(&a, 1, TxKind::Call(b.address()), 1, Bytes::new(), 20_000),
            TxRejection::IntrinsicGasTooLow {
                intrinsic: 21_000,
                gas_limit: 20_000,
            },
        ),
    ]
}

#[test]
fn rejected_transactions_leave_the_block_untouched() {
    let state = funded();
    let (a, b) = (alice(), bob());
    let first = transfer(&a, 0, b.address(), 1);
    let reference = run_block(&state, env(), &NoModules, std::slice::from_ref(&first));

    let mut builder = BlockBuilder::new(&state, env(), &NoHashes, &NoModules);
    builder.try_push(&first).expect("first transfer");
    for (tx, expected) in bad_transactions() {
        assert_eq!(builder.try_push(&tx).unwrap_err(), expected);
        assert_eq!(builder.gas_used(), 21_000);
    }
    // Still usable, and nothing of the rejected transactions leaked into the block.
    assert_eq!(builder.finish(), reference);
}

#[test]
fn validate_agrees_with_try_push() {
    let state = funded();
    let (a, b) = (alice(), bob());
    let mut after_first = state.clone();
    after_first.apply(
        &run_block(
            &state,
            env(),
            &NoModules,
            &[transfer(&a, 0, b.address(), 1)],
        )
        .diff,
    );
    // validate() sees a whole empty block: adjust the expected remaining gas.
    for (tx, expected) in bad_transactions() {
        let mut builder = BlockBuilder::new(&after_first, env(), &NoHashes, &NoModules);
        let pushed = builder.try_push(&tx).unwrap_err();
        let validated = validate(&after_first, &env(), &NoModules, &tx).unwrap_err();
        assert_eq!(pushed, validated);
        match expected {
            TxRejection::GasLimitExceedsBlock { .. } => assert!(matches!(
                pushed,
                TxRejection::GasLimitExceedsBlock {
                    remaining: GAS_LIMIT,
                    ..
                }
            )),
            expected => assert_eq!(pushed, expected),
        }
    }
    assert_eq!(
        validate(
            &after_first,
            &env(),
            &NoModules,
            &transfer(&a, 1, b.address(), 1)
        ),
        Ok(())
    );
}

#[test]
fn fee_cap_below_base_fee_is_rejected() {
    let state = funded();
    let a = alice();
    let env = BlockEnv {
        base_fee: 10,
        ..env()
    };
    let tx = tx_with_fees(
        &a,
        0,
        TxKind::Call(Address::ZERO),
        0,
        Bytes::new(),
        21_000,
        9,
        0,
    );
    let expected = TxRejection::FeeCapBelowBaseFee {
        fee_cap: 9,
        base_fee: 10,
    };
    assert_eq!(
        validate(&state, &env, &NoModules, &tx),
        Err(expected.clone())
    );
    let mut builder = BlockBuilder::new(&state, env, &NoHashes, &NoModules);
    assert_eq!(builder.try_push(&tx).unwrap_err(), expected);
}

#[test]
fn base_fee_is_burned_and_tip_goes_to_the_coinbase() {
    let state = funded();
    let (a, b) = (alice(), bob());
    let env = BlockEnv {
        base_fee: 7,
        ..env()
    };
    // Fee cap 10, tip 2: pays 7 + 2 = 9 per gas.
    let tx = tx_with_fees(
        &a,
        0,
        TxKind::Call(b.address()),
        100,
        Bytes::new(),
        30_000,
        10,
        2,
    );
    let outcome = run_block(&state, env, &NoModules, &[tx]);
    let receipt = &outcome.receipts[0];
    assert_eq!(receipt.effective_gas_price, 9);
    let mut after = state.clone();
    after.apply(&outcome.diff);
    let used = U256::from(21_000u64);
    assert_eq!(
        after.balance(a.address()),
        U256::from(100 * ETHER - 100) - used * U256::from(9)
    );
    assert_eq!(after.balance(coinbase()), used * U256::from(2));
    // Supply shrinks by exactly the burned base fee.
    let supply = |s: &MemState| s.accounts.values().map(|a| a.balance).sum::<U256>();
    assert_eq!(supply(&state) - supply(&after), used * U256::from(7));
}

#[test]
fn zero_gas_price_and_zero_base_fee_cost_nothing() {
    let mut state = MemState::default();
    let (a, b) = (alice(), bob());
    // An account with no balance at all can still transact on a free chain.
    state.accounts.insert(a.address(), Account::default());
    let outcome = run_block(
        &state,
        env(),
        &NoModules,
        &[transfer(&a, 0, b.address(), 0)],
    );
    assert!(outcome.receipts[0].success);
    let mut after = state.clone();
    after.apply(&outcome.diff);
    assert_eq!(after.nonce(a.address()), 1);
    assert!(!outcome.diff.accounts.contains_key(&coinbase()));
}

#[test]
fn block_diff_equals_the_sum_of_its_transactions() {
    let state = funded();
    let (a, b) = (alice(), bob());
    let store = a.address().create(0);
    let txs = vec![
        create_tx(&a, 0, deployer(&contracts::store()), 200_000),
        call_tx(&a, 1, store, word(1), 100_000),
        call_tx(&b, 0, store, word(2), 100_000),
        transfer(&b, 1, a.address(), 3),
        call_tx(&a, 2, store, word(0xbad), 100_000),
        create_tx(&b, 2, contracts::ephemeral(a.address()), 200_000),
    ];
    let block = run_block(&state, env(), &NoModules, &txs);
    let outcomes: Vec<bool> = block.receipts.iter().map(|r| r.success).collect();
    assert_eq!(outcomes, [true, true, true, true, false, true]);
    let mut whole = state.clone();
    whole.apply(&block.diff);

    let mut stepwise = state.clone();
    for tx in &txs {
        let single = run_block(&stepwise, env(), &NoModules, std::slice::from_ref(tx));
        stepwise.apply(&single.diff);
    }
    assert_eq!(whole, stepwise);
    assert_eq!(whole.slot(store, 0), U256::from(2));
}

#[test]
fn executing_a_block_twice_gives_identical_results() {
    let state = with_contracts();
    let (a, b) = (alice(), bob());
    let txs = vec![
        create_tx(&a, 0, deployer(&contracts::store()), 200_000),
        call_tx(&a, 1, STORE, word(9), 100_000),
        call_tx(&b, 0, STORE, word(0xbad), 100_000),
        call_tx(&b, 1, SPIN, Bytes::new(), 40_000),
        transfer(&a, 2, b.address(), 1),
    ];
    let first = run_block(&state, env(), &NoModules, &txs);
    let second = run_block(&state, env(), &NoModules, &txs);
    assert_eq!(first, second);
    assert_eq!(first.receipts.len(), 5);
}

#[test]
fn self_destructed_contract_leaves_no_account_and_no_storage() {
    let state = funded();
    let a = alice();
    let beneficiary = Address::repeat_byte(0xbe);
    let tx = tx(
        &a,
        0,
        TxKind::Create,
        55,
        contracts::ephemeral(beneficiary),
        200_000,
    );
    let created = a.address().create(0);
    let outcome = run_block(&state, env(), &NoModules, &[tx]);
    assert!(outcome.receipts[0].success);
    assert_eq!(outcome.diff.accounts.get(&created).copied().flatten(), None);
    assert!(outcome.diff.storage[&created].values().all(U256::is_zero));
    let mut after = state.clone();
    after.apply(&outcome.diff);
    assert_eq!(after.account_of(created), None);
    assert_eq!(after.slot(created, 0), U256::ZERO);
    assert_eq!(after.balance(beneficiary), U256::from(55));
}

#[test]
fn touched_empty_account_is_deleted() {
    let mut state = funded();
    let empty = Address::repeat_byte(0xee);
    state.accounts.insert(empty, Account::default());
    let outcome = run_block(
        &state,
        env(),
        &NoModules,
        &[transfer(&alice(), 0, empty, 0)],
    );
    assert_eq!(outcome.diff.accounts.get(&empty), Some(&None));
}

#[test]
fn blockhash_reads_the_last_256_blocks() {
    let mut state = funded();
    let contract = Address::repeat_byte(0xbb);
    state.install(contract, contracts::blockhash());
    let env = BlockEnv {
        number: 300,
        ..env()
    };
    let a = alice();
    let hash = |n: u64| keccak256(n.to_be_bytes());
    let cases = [
        (299, hash(299)),
        (44, hash(44)),
        (43, B256::ZERO),
        (300, B256::ZERO),
    ];
    let mut builder = BlockBuilder::new(&state, env, &FakeHashes, &NoModules);
    for (nonce, (number, expected)) in cases.into_iter().enumerate() {
        let receipt = builder
            .try_push(&call_tx(&a, nonce as u64, contract, word(number), 100_000))
            .expect("accepted");
        assert_eq!(
            receipt.output,
            Bytes::from(expected.to_vec()),
            "blockhash({number})"
        );
    }
}

#[test]
fn code_hash_of_plain_accounts_stays_empty() {
    let state = funded();
    let outcome = run_block(
        &state,
        env(),
        &NoModules,
        &[transfer(&alice(), 0, bob().address(), 1)],
    );
    for account in outcome.diff.accounts.values().flatten() {
        assert_eq!(account.code_hash, EMPTY_CODE_HASH);
    }
}

impl MemState {
    fn account_of(&self, address: Address) -> Option<Account> {
        self.accounts.get(&address).copied()
    }
}

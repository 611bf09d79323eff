//! `eth_call` and `eth_estimateGas`.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolError as _;
use entente_execution::{
    BlockBuilder, BlockEnv, CallRequest, ExecError, NoHashes, NoModules, TxRejection, call,
    estimate_gas,
};

use crate::common::*;
use crate::contracts::{self, Bad};

const STORE: Address = Address::repeat_byte(0x57);
const SPIN: Address = Address::repeat_byte(0x5b);

fn state() -> MemState {
    let mut state = funded();
    state.install(STORE, contracts::store());
    state.install(SPIN, contracts::spin());
    state.storage.insert((STORE, U256::ZERO), U256::from(77));
    state
}

fn request(to: Address, input: Bytes) -> CallRequest {
    CallRequest {
        to: Some(to),
        input,
        ..CallRequest::default()
    }
}

#[test]
fn call_returns_output_without_a_sender_gas_or_nonce() {
    let state = state();
    let outcome = call(
        &state,
        &env(),
        &NoHashes,
        &NoModules,
        request(STORE, Bytes::new()),
    )
    .expect("call runs");
    assert!(outcome.success);
    assert_eq!(outcome.output, word(77));
    assert!(outcome.gas_used > 21_000);
}

#[test]
fn call_sees_logs_but_keeps_no_state() {
    let state = state();
    let outcome = call(
        &state,
        &env(),
        &NoHashes,
        &NoModules,
        request(STORE, word(5)),
    )
    .expect("call runs");
    assert!(outcome.success);
    assert_eq!(outcome.logs.len(), 1);
    let again = call(
        &state,
        &env(),
        &NoHashes,
        &NoModules,
        request(STORE, Bytes::new()),
    )
    .expect("call runs");
    assert_eq!(again.output, word(77));
}

#[test]
fn call_without_gas_price_ignores_the_base_fee() {
    let state = state();
    let env = BlockEnv {
        base_fee: 1_000,
        ..env()
    };
    let outcome = call(
        &state,
        &env,
        &NoHashes,
        &NoModules,
        request(STORE, Bytes::new()),
    )
    .expect("call runs");
    assert!(outcome.success);

    let priced = CallRequest {
        gas_price: Some(1),
        ..request(STORE, Bytes::new())
    };
    assert_eq!(
        call(&state, &env, &NoHashes, &NoModules, priced),
        Err(ExecError::Rejected(TxRejection::FeeCapBelowBaseFee {
            fee_cap: 1,
            base_fee: 1_000
        }))
    );
}

#[test]
fn reverted_call_returns_the_custom_error() {
    let state = state();
    let outcome = call(
        &state,
        &env(),
        &NoHashes,
        &NoModules,
        request(STORE, word(0xbad)),
    )
    .expect("call runs");
    assert!(!outcome.success);
    let expected = Bytes::from(
        Bad {
            value: U256::from(0xbad),
        }
        .abi_encode(),
    );
    assert_eq!(outcome.output, expected);
    assert_eq!(outcome.halt, None);

    let estimate = estimate_gas(
        &state,
        &env(),
        &NoHashes,
        &NoModules,
        request(STORE, word(0xbad)),
    );
    assert!(matches!(estimate, Err(ExecError::Reverted { output, .. }) if output == expected));
}

#[test]
fn halted_call_reports_why() {
    let state = state();
    let spin = CallRequest {
        gas: Some(100_000),
        ..request(SPIN, Bytes::new())
    };
    let outcome = call(&state, &env(), &NoHashes, &NoModules, spin.clone()).expect("call runs");
    assert!(!outcome.success);
    assert_eq!(outcome.gas_used, 100_000);
    assert!(outcome.halt.is_some());
    assert!(matches!(
        estimate_gas(&state, &env(), &NoHashes, &NoModules, spin),
        Err(ExecError::GasRequiredExceedsCap { cap: 100_000, .. })
    ));
}

#[test]
fn estimate_of_a_transfer_is_21000() {
    let state = state();
    let request = CallRequest {
        from: Some(alice().address()),
        to: Some(bob().address()),
        value: Some(U256::from(1)),
        ..CallRequest::default()
    };
    assert_eq!(
        estimate_gas(&state, &env(), &NoHashes, &NoModules, request),
        Ok(21_000)
    );
}

#[test]
fn estimate_of_a_storage_write_is_the_least_gas_that_succeeds() {
    let state = state();
    let a = alice();
    let write = CallRequest {
        from: Some(a.address()),
        ..request(STORE, word(123))
    };
    let estimate =
        estimate_gas(&state, &env(), &NoHashes, &NoModules, write.clone()).expect("estimable");
    // Changing a non-zero slot costs 2900, plus 2100 for the cold access.
    assert!(estimate > 21_000 + 5_000, "estimate {estimate}");

    let with = |gas: u64| {
        call(
            &state,
            &env(),
            &NoHashes,
            &NoModules,
            CallRequest {
                gas: Some(gas),
                ..write.clone()
            },
        )
        .expect("call runs")
        .success
    };
    assert!(with(estimate));
    assert!(!with(estimate - 1));

    // And a real transaction with exactly that limit succeeds.
    let tx = call_tx(&a, 0, STORE, word(123), estimate);
    let mut builder = BlockBuilder::new(&state, env(), &NoHashes, &NoModules);
    assert!(builder.try_push(&tx).expect("accepted").success);
}

#[test]
fn estimate_is_capped_by_what_the_sender_can_pay() {
    let mut state = state();
    let poor = Address::repeat_byte(0x99);
    state.fund(poor, 30_000);
    let request = CallRequest {
        from: Some(poor),
        to: Some(SPIN),
        gas_price: Some(1),
        ..CallRequest::default()
    };
    assert!(matches!(
        estimate_gas(&state, &env(), &NoHashes, &NoModules, request),
        Err(ExecError::GasRequiredExceedsCap { cap: 30_000, .. })
    ));
}

#[test]
fn call_may_come_from_a_contract() {
    let state = state();
    let from_contract = CallRequest {
        from: Some(SPIN),
        ..request(STORE, Bytes::new())
    };
    let outcome = call(&state, &env(), &NoHashes, &NoModules, from_contract).expect("call runs");
    assert!(outcome.success);
}

//! System modules: a native contract called from transactions and from contracts, its
//! storage, logs and revert rollback; the admission hook; the per-frame check.

use alloy_primitives::{Address, Bytes, LogData, U256, address, keccak256};
use alloy_sol_types::{SolCall as _, SolError as _, SolEvent as _, SolInterface as _};
use entente_execution::{
    BlockBuilder, BlockEnv, CallRequest, DELEGATED_MODULE_CALL, Denial, FrameCheck,
    MODULE_ACCOUNT_CODE, ModuleCall, ModuleHalt, ModuleHost, ModuleOutput, NoHashes, SystemModules,
    TxRejection, call, validate,
};
use entente_primitives::RecoveredTx;
use entente_storage::StateView;
use revm::bytecode::opcode as op;

use crate::common::*;
use crate::contracts::{self, Denied, ITestModule, Stored};

const MODULE: Address = address!("00000000000000000000000000000000000e0001");
const PROXY: Address = Address::repeat_byte(0x70);
const STATIC_PROXY: Address = Address::repeat_byte(0x71);
const DELEGATE_PROXY: Address = Address::repeat_byte(0x72);
const FROZEN: Address = Address::repeat_byte(0xf0);
const FROZEN_PROXY: Address = Address::repeat_byte(0xf1);

/// A module like the real ones: a value slot, a ban list read by `authorize`, and
/// (optionally) a frozen contract refused by `check_call`.
#[derive(Default)]
struct TestModule {
    /// Calls into this address are refused; `true` fails the whole transaction.
    frozen: Option<(Address, bool)>,
    /// Contract creation by this address is refused.
    no_creates_by: Option<Address>,
}

fn ban_slot(who: Address) -> U256 {
    U256::from_be_bytes(keccak256(who).0)
}

impl SystemModules for TestModule {
    fn authorize(
        &self,
        state: &dyn StateView,
        tx: &RecoveredTx,
        _env: &BlockEnv,
    ) -> Result<(), TxRejection> {
        let banned = state
            .storage(&MODULE, &ban_slot(tx.sender))
            .map_err(|err| TxRejection::Storage {
                reason: err.to_string(),
            })?;
        if banned.is_zero() {
            Ok(())
        } else {
            Err(TxRejection::Unauthorized {
                reason: format!("{} is banned", tx.sender),
            })
        }
    }

    fn is_module(&self, address: &Address) -> bool {
        *address == MODULE
    }

    fn call(
        &self,
        call: &ModuleCall<'_>,
        host: &mut dyn ModuleHost,
    ) -> Result<ModuleOutput, ModuleHalt> {
        host.charge(100)?;
        let Ok(decoded) = ITestModule::ITestModuleCalls::abi_decode(call.input) else {
            return Ok(ModuleOutput::Revert(Bytes::new()));
        };
        match decoded {
            ITestModule::ITestModuleCalls::store(store) => {
                host.sstore(U256::ZERO, store.value)?;
                // Who called, from which transaction sender, at which depth.
                host.sstore(U256::from(3), U256::from(call.depth + 1))?;
                host.sstore(U256::from(4), address_word(call.caller))?;
                host.sstore(U256::from(5), address_word(call.origin))?;
                host.emit(Stored { value: store.value }.encode_log_data())?;
                Ok(ModuleOutput::Return(word_u256(store.value)))
            }
            ITestModule::ITestModuleCalls::load(_) => {
                Ok(ModuleOutput::Return(word_u256(host.sload(U256::ZERO)?)))
            }
            ITestModule::ITestModuleCalls::ban(ban) => {
                host.sstore(ban_slot(ban.who), U256::from(1))?;
                Ok(ModuleOutput::Return(Bytes::new()))
            }
            ITestModule::ITestModuleCalls::fail(_) => {
                // Write and log, then revert: both must vanish.
                host.sstore(U256::from(7), U256::from(1))?;
                host.emit(LogData::new_unchecked(vec![], Bytes::from_static(b"gone")))?;
                Ok(ModuleOutput::Revert(Bytes::from_static(b"marker")))
            }
        }
    }

    fn check_call(&self, _state: &dyn StateView, frame: &FrameCheck<'_>) -> Result<(), Denial> {
        if let Some((frozen, whole)) = self.frozen
            && frame.target == Some(frozen)
            && !frame.is_static
        {
            let data = Bytes::from(Denied { target: frozen }.abi_encode());
            return Err(if whole {
                Denial::RevertTransaction(data)
            } else {
                Denial::RevertFrame(data)
            });
        }
        if self.no_creates_by.is_some()
            && frame.target.is_none()
            && Some(frame.caller) == self.no_creates_by
        {
            return Err(Denial::RevertFrame(Bytes::from_static(b"no creates")));
        }
        Ok(())
    }
}

fn address_word(address: Address) -> U256 {
    U256::from_be_slice(address.as_slice())
}

fn word_u256(value: U256) -> Bytes {
    Bytes::from(value.to_be_bytes::<32>().to_vec())
}

fn store(value: u64) -> Bytes {
    ITestModule::storeCall {
        value: U256::from(value),
    }
    .abi_encode()
    .into()
}

fn fail() -> Bytes {
    ITestModule::failCall {}.abi_encode().into()
}

fn load() -> Bytes {
    ITestModule::loadCall {}.abi_encode().into()
}

fn state() -> MemState {
    let mut state = funded();
    state.install(PROXY, contracts::proxy(MODULE, op::CALL));
    state.install(STATIC_PROXY, contracts::proxy(MODULE, op::STATICCALL));
    state.install(DELEGATE_PROXY, contracts::proxy(MODULE, op::DELEGATECALL));
    state.install(FROZEN, contracts::store());
    state.install(FROZEN_PROXY, contracts::proxy(FROZEN, op::CALL));
    state
}

#[test]
fn module_serves_transactions_and_contracts_with_storage_logs_and_rollback() {
    let state = state();
    let module = TestModule::default();
    let a = alice();
    let mut builder = BlockBuilder::new(&state, env(), &NoHashes, &module);

    // Called directly by a transaction.
    let direct = builder
        .try_push(&call_tx(&a, 0, MODULE, store(5), 200_000))
        .expect("accepted")
        .clone();
    assert!(direct.success);
    assert_eq!(direct.output, word(5));
    assert_eq!(direct.logs.len(), 1);
    assert_eq!(direct.logs[0].address, MODULE);
    assert_eq!(direct.logs[0].topics(), &[Stored::SIGNATURE_HASH]);
    let pending = builder.pending_state();
    let slot = |n: u64| pending.storage(&MODULE, &U256::from(n)).expect("readable");
    assert_eq!(slot(3), U256::from(1), "depth 0");
    assert_eq!(slot(4), address_word(a.address()));

    // Called from a contract: the write and the log happen at depth 1.
    let nested = builder
        .try_push(&call_tx(&a, 1, PROXY, store(9), 200_000))
        .expect("accepted")
        .clone();
    assert!(nested.success);
    assert_eq!(nested.output, word(9));
    assert_eq!(nested.logs.len(), 1);
    assert_eq!(nested.logs[0].address, MODULE);
    let pending = builder.pending_state();
    let slot = |n: u64| pending.storage(&MODULE, &U256::from(n)).expect("readable");
    assert_eq!(slot(3), U256::from(2), "depth 1");
    assert_eq!(slot(4), address_word(PROXY));
    assert_eq!(slot(5), address_word(a.address()));

    // A nested module revert rolls back the module's write and log; the proxy carries on.
    let caught = builder
        .try_push(&call_tx(&a, 2, PROXY, fail(), 200_000))
        .expect("accepted")
        .clone();
    assert!(caught.success);
    assert_eq!(caught.output, Bytes::from_static(b"marker"));
    assert!(caught.logs.is_empty());

    // A direct module revert fails the transaction with the module's revert data.
    let failed = builder
        .try_push(&call_tx(&a, 3, MODULE, fail(), 200_000))
        .expect("accepted")
        .clone();
    assert!(!failed.success);
    assert_eq!(failed.output, Bytes::from_static(b"marker"));
    assert!(failed.logs.is_empty());

    // A static call may read the module but not write it.
    let read = builder
        .try_push(&call_tx(&a, 4, STATIC_PROXY, load(), 200_000))
        .expect("accepted")
        .clone();
    assert_eq!(read.output, word(9));
    builder
        .try_push(&call_tx(&a, 5, STATIC_PROXY, store(1), 200_000))
        .expect("accepted");

    // DELEGATECALL into a module would impersonate the caller: refused.
    let delegated = builder
        .try_push(&call_tx(&a, 6, DELEGATE_PROXY, store(1), 200_000))
        .expect("accepted")
        .clone();
    assert_eq!(delegated.output, Bytes::from_static(DELEGATED_MODULE_CALL));

    let outcome = builder.finish();
    let mut after = state.clone();
    after.apply(&outcome.diff);
    assert_eq!(after.slot(MODULE, 0), U256::from(9));
    assert_eq!(after.slot(MODULE, 7), U256::ZERO);
    assert_eq!(
        after.slot(PROXY, 1),
        U256::from(1),
        "last proxy call failed"
    );
    assert_eq!(
        after.slot(STATIC_PROXY, 1),
        U256::from(1),
        "static write refused"
    );
    assert_eq!(after.slot(DELEGATE_PROXY, 1), U256::from(1));
    assert_eq!(after.slot(DELEGATE_PROXY, 0), U256::ZERO);
    // The module account was materialised so EIP-161 cannot delete its state.
    let account = after.accounts[&MODULE];
    assert_eq!(account.nonce, 1);
    assert_eq!(account.code_hash, keccak256(MODULE_ACCOUNT_CODE));

    // Its state is readable through eth_call, like any contract's.
    let read = call(
        &after,
        &env(),
        &NoHashes,
        &module,
        CallRequest {
            to: Some(MODULE),
            input: load(),
            ..CallRequest::default()
        },
    )
    .expect("call runs");
    assert_eq!(read.output, word(9));
}

#[test]
fn module_out_of_gas_halts_and_rolls_back() {
    let state = state();
    let module = TestModule::default();
    // 21k intrinsic + calldata, then too little for a fresh 22k+ write.
    let tx = call_tx(&alice(), 0, MODULE, store(5), 30_000);
    let outcome = run_block(&state, env(), &module, &[tx]);
    assert!(!outcome.receipts[0].success);
    assert_eq!(outcome.receipts[0].gas_used, 30_000);
    assert!(!outcome.diff.storage.contains_key(&MODULE));
}

#[test]
fn authorize_sees_earlier_transactions_of_the_block() {
    let state = state();
    let module = TestModule::default();
    let (a, b) = (alice(), bob());
    let ban = ITestModule::banCall { who: b.address() }.abi_encode();
    let bobs = transfer(&b, 0, a.address(), 1);

    // Before the block, Bob may transact.
    assert_eq!(validate(&state, &env(), &module, &bobs), Ok(()));

    let mut builder = BlockBuilder::new(&state, env(), &NoHashes, &module);
    builder
        .try_push(&call_tx(&a, 0, MODULE, ban.into(), 200_000))
        .expect("accepted");
    let rejection = builder.try_push(&bobs).unwrap_err();
    assert!(matches!(rejection, TxRejection::Unauthorized { .. }));
    assert_eq!(
        validate(builder.pending_state(), &env(), &module, &bobs),
        Err(rejection)
    );
    assert_eq!(builder.receipts().len(), 1);
}

fn frozen(whole_transaction: bool) -> TestModule {
    TestModule {
        frozen: Some((FROZEN, whole_transaction)),
        no_creates_by: None,
    }
}

#[test]
fn denied_frame_reverts_only_that_call() {
    let state = state();
    let a = alice();
    let outcome = run_block(
        &state,
        env(),
        &frozen(false),
        &[call_tx(&a, 0, FROZEN_PROXY, word(3), 200_000)],
    );
    let receipt = &outcome.receipts[0];
    assert!(receipt.success, "the proxy caught the failure");
    let denied = Bytes::from(Denied { target: FROZEN }.abi_encode());
    assert_eq!(receipt.output, denied);
    let mut after = state.clone();
    after.apply(&outcome.diff);
    assert_eq!(after.slot(FROZEN_PROXY, 1), U256::from(1));
    assert_eq!(after.slot(FROZEN, 0), U256::ZERO);
}

#[test]
fn transaction_wide_denial_unwinds_every_frame() {
    let state = state();
    let a = alice();
    let outcome = run_block(
        &state,
        env(),
        &frozen(true),
        &[call_tx(&a, 0, FROZEN_PROXY, word(3), 200_000)],
    );
    let receipt = &outcome.receipts[0];
    assert!(!receipt.success);
    assert_eq!(
        receipt.output,
        Bytes::from(Denied { target: FROZEN }.abi_encode())
    );
    assert!(receipt.gas_used < 200_000, "a revert, not a halt");
    // The proxy's write after the call never happened; only the sender's nonce moved.
    assert!(outcome.diff.storage.is_empty());
    let mut after = state.clone();
    after.apply(&outcome.diff);
    assert_eq!(after.nonce(a.address()), 1);
}

#[test]
fn denying_the_top_frame_fails_with_a_receipt_and_consumes_the_nonce() {
    let state = state();
    let a = alice();
    let module = frozen(false);
    let outcome = run_block(
        &state,
        env(),
        &module,
        &[call_tx(&a, 0, FROZEN, word(3), 200_000)],
    );
    assert!(!outcome.receipts[0].success);
    // Nothing ran: the EIP-7623 calldata floor, 21000 + 10 * (31 zero + 4 * 1 non-zero bytes).
    assert_eq!(outcome.receipts[0].gas_used, 21_350);

    // Static calls are not refused by this module: views keep working.
    let view = call(
        &state,
        &env(),
        &NoHashes,
        &module,
        CallRequest {
            to: Some(STATIC_PROXY),
            input: load(),
            ..CallRequest::default()
        },
    )
    .expect("call runs");
    assert!(view.success);

    // A refused creation still consumes the creator's nonce.
    let no_creates = TestModule {
        frozen: None,
        no_creates_by: Some(a.address()),
    };
    let create = create_tx(&a, 1, deployer(&contracts::store()), 200_000);
    let mut after = state.clone();
    after.apply(&outcome.diff);
    let outcome = run_block(&after, env(), &no_creates, &[create]);
    assert!(!outcome.receipts[0].success);
    assert_eq!(
        outcome.receipts[0].output,
        Bytes::from_static(b"no creates")
    );
    after.apply(&outcome.diff);
    assert_eq!(after.nonce(a.address()), 2);
    assert_eq!(after.accounts.get(&a.address().create(1)), None);
}

//! Read-only execution for `eth_call` and `eth_estimateGas`: run a message on a state
//! without keeping its effects.
//!
//! Unlike a transaction, a call skips the nonce check, allows a contract as sender
//! (EIP-3607) and skips the modules' admission hook (a permissioned chain must still
//! answer view calls from anyone). `eth_call` also skips the per-frame checks, so reads
//! of a frozen contract, or by a frozen account, keep working (nothing it does is
//! kept); `eth_estimateGas` applies them, so a wallet hears of a freeze before it
//! sends. Module calls apply as usual. Without a gas price it runs with a zero base fee,
//! so any account can call; with one, fees are checked and charged as for a transaction.

use alloy_primitives::{Address, Bytes, Log, TxKind, U256};
use entente_storage::StateView;
use revm::context::{TxEnv, result::ExecutionResult};

use crate::{
    BlockEnv, BlockHashes, ExecError, SystemModules, TxRejection, WithoutFrameChecks,
    db::BlockDb,
    error::Failure,
    evm::Executor,
    validate::{intrinsic_gas, max_cost},
};

/// A message to simulate. Missing fields take the defaults geth uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallRequest {
    /// Defaults to the zero address.
    pub from: Option<Address>,
    /// `None` simulates a contract creation.
    pub to: Option<Address>,
    /// Defaults to, and is capped at, the block gas limit.
    pub gas: Option<u64>,
    /// Defaults to zero, which also disables the base-fee check.
    pub gas_price: Option<u128>,
    pub value: Option<U256>,
    pub input: Bytes,
    /// Ignored by execution (no nonce check); kept for completeness.
    pub nonce: Option<u64>,
}

/// What a simulated message did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutcome {
    pub success: bool,
    /// Return data on success, revert data on revert, empty on a halt.
    pub output: Bytes,
    pub gas_used: u64,
    /// Logs the message would emit (empty when it failed).
    pub logs: Vec<Log>,
    /// Why execution halted (out of gas, invalid opcode …), when it did.
    pub halt: Option<String>,
}

/// Runs `request` on `view` in the block `env` and reports the result.
pub fn call<V: StateView>(
    view: V,
    env: &BlockEnv,
    hashes: &dyn BlockHashes,
    modules: &dyn SystemModules,
    request: CallRequest,
) -> Result<CallOutcome, ExecError> {
    let reads = WithoutFrameChecks(modules);
    let mut sim = Simulation::new(view, env, hashes, &reads, request);
    let gas_limit = sim.tx.gas_limit;
    sim.run(gas_limit)
}

/// The least gas limit with which `request` succeeds, found by binary search between its
/// intrinsic gas and the block gas limit (or `request.gas`, or what the sender can pay
/// for, whichever is lowest). Fails with the revert data if it fails even at that cap.
pub fn estimate_gas<V: StateView>(
    view: V,
    env: &BlockEnv,
    hashes: &dyn BlockHashes,
    modules: &dyn SystemModules,
    request: CallRequest,
) -> Result<u64, ExecError> {
    let mut sim = Simulation::new(view, env, hashes, modules, request);
    let cap = sim.affordable_gas()?;
    let intrinsic = intrinsic_gas(&TxEnv {
        gas_limit: u64::MAX,
        ..sim.tx.clone()
    })?;
    if intrinsic > cap {
        return Err(TxRejection::IntrinsicGasTooLow {
            intrinsic,
            gas_limit: cap,
        }
        .into());
    }

    let at_cap = sim.run(cap)?;
    if !at_cap.success {
        return Err(match at_cap.halt {
            Some(reason) => ExecError::GasRequiredExceedsCap { cap, reason },
            None => ExecError::Reverted {
                output: at_cap.output,
                gas_used: at_cap.gas_used,
            },
        });
    }
    // Gas used never exceeds the limit, so no limit below it can succeed on the same
    // path; most messages (transfers, simple calls) succeed exactly there.
    let mut low = at_cap.gas_used.max(intrinsic);
    if low >= cap || sim.run(low)?.success {
        return Ok(low.min(cap));
    }
    let mut high = cap;
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if sim.run(mid)?.success {
            high = mid;
        } else {
            low = mid;
        }
    }
    Ok(high)
}

/// One executor and one message, re-run with different gas limits. The cached state is
/// shared by the runs; each run's effects are dropped.
struct Simulation<'a, V: StateView> {
    executor: Executor<'a, V>,
    tx: TxEnv,
    base_fee: u64,
}

impl<'a, V: StateView> Simulation<'a, V> {
    fn new(
        view: V,
        env: &BlockEnv,
        hashes: &'a dyn BlockHashes,
        modules: &'a dyn SystemModules,
        request: CallRequest,
    ) -> Self {
        let base_fee = if request.gas_price.is_some() {
            env.base_fee
        } else {
            0
        };
        let db = BlockDb::new(view, hashes, env.number);
        let mut executor = Executor::new(db, env, base_fee, modules);
        executor.for_simulation();
        let tx = TxEnv {
            tx_type: 0,
            caller: request.from.unwrap_or_default(),
            gas_limit: request.gas.unwrap_or(env.gas_limit).min(env.gas_limit),
            gas_price: request.gas_price.unwrap_or_default(),
            kind: request.to.map_or(TxKind::Create, TxKind::Call),
            value: request.value.unwrap_or_default(),
            data: request.input,
            nonce: request.nonce.unwrap_or_default(),
            chain_id: Some(env.chain_id),
            ..TxEnv::default()
        };
        Self {
            executor,
            tx,
            base_fee,
        }
    }

    /// The request's gas cap, lowered to what the sender can pay for at its gas price.
    fn affordable_gas(&mut self) -> Result<u64, ExecError> {
        let cap = self.tx.gas_limit;
        if self.tx.gas_price == 0 {
            return Ok(cap);
        }
        let balance = self
            .executor
            .db_mut()
            .load_account(self.tx.caller)
            .map_err(|err| ExecError::Storage(err.to_string()))?
            .map(|account| account.balance)
            .unwrap_or_default();
        let Some(spendable) = balance.checked_sub(self.tx.value) else {
            return Err(TxRejection::InsufficientFunds {
                balance,
                cost: max_cost(cap, self.tx.gas_price, self.tx.value),
            }
            .into());
        };
        let affordable = spendable / U256::from(self.tx.gas_price);
        Ok(affordable.saturating_to::<u64>().min(cap))
    }

    fn run(&mut self, gas_limit: u64) -> Result<CallOutcome, ExecError> {
        let mut tx = self.tx.clone();
        tx.gas_limit = gas_limit;
        let fee_cap = tx.gas_price;
        let (result, _discarded) =
            self.executor
                .transact(tx)
                .map_err(|err| match Failure::from(err) {
                    Failure::Invalid(invalid) => ExecError::Rejected(TxRejection::from_revm(
                        invalid,
                        gas_limit,
                        gas_limit,
                        fee_cap,
                        self.base_fee,
                    )),
                    Failure::Node(reason) => ExecError::Storage(reason),
                })?;
        let gas_used = result.tx_gas_used();
        Ok(match result {
            ExecutionResult::Success { logs, output, .. } => CallOutcome {
                success: true,
                output: output.into_data(),
                gas_used,
                logs,
                halt: None,
            },
            ExecutionResult::Revert { output, .. } => CallOutcome {
                success: false,
                output,
                gas_used,
                logs: Vec::new(),
                halt: None,
            },
            ExecutionResult::Halt { reason, .. } => CallOutcome {
                success: false,
                output: Bytes::new(),
                gas_used,
                logs: Vec::new(),
                halt: Some(format!("{reason:?}")),
            },
        })
    }
}

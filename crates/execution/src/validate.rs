//! The cheap checks that decide whether a transaction can be included, without running it.
//!
//! [`validate`] (txpool, RPC) and [`crate::BlockBuilder::try_push`] call the same
//! `precheck` in the same order, so a transaction the pool admits is refused by a block
//! only because the state moved, and both report the same [`TxRejection`].

use alloy_consensus::Transaction as _;
use alloy_primitives::U256;
use entente_primitives::RecoveredTx;
use entente_storage::{Account, EMPTY_CODE_HASH, StateView, StorageError};
use revm::{context::TxEnv, handler::validation::validate_initial_tx_gas, primitives::eip3860};

use crate::{BlockEnv, SystemModules, TxRejection, env::HARD_FORK, env::tx_env};

/// Checks `tx` against the state in `view` and the block in `env`, as if it were the
/// first transaction of that block, including the modules' admission hook.
pub fn validate(
    view: &dyn StateView,
    env: &BlockEnv,
    modules: &dyn SystemModules,
    tx: &RecoveredTx,
) -> Result<(), TxRejection> {
    let sender = view.account(&tx.sender).map_err(storage_rejection)?;
    precheck(sender.as_ref(), tx, &tx_env(tx), env, env.gas_limit)?;
    modules.authorize(view, tx, env)
}

/// Every check revm makes before executing, with `remaining` gas left in the block and
/// the sender's current account.
pub(crate) fn precheck(
    sender: Option<&Account>,
    tx: &RecoveredTx,
    tx_env: &TxEnv,
    env: &BlockEnv,
    remaining: u64,
) -> Result<(), TxRejection> {
    let gas_limit = tx.gas_limit();
    if gas_limit > remaining {
        return Err(TxRejection::GasLimitExceedsBlock {
            gas_limit,
            remaining,
        });
    }
    let fee_cap = tx.max_fee_per_gas();
    if let Some(tip) = tx.envelope.max_priority_fee_per_gas()
        && tip > fee_cap
    {
        return Err(TxRejection::TipAboveFeeCap { tip, fee_cap });
    }
    if fee_cap < u128::from(env.base_fee) {
        return Err(TxRejection::FeeCapBelowBaseFee {
            fee_cap,
            base_fee: env.base_fee,
        });
    }
    let input = tx.envelope.input();
    if tx.envelope.kind().is_create() && input.len() > eip3860::MAX_INITCODE_SIZE {
        return Err(TxRejection::InitCodeTooLarge {
            size: input.len(),
            max: eip3860::MAX_INITCODE_SIZE,
        });
    }
    intrinsic_gas(tx_env)?;

    let account = sender.copied().unwrap_or_default();
    if account.code_hash != EMPTY_CODE_HASH {
        return Err(TxRejection::Invalid {
            reason: format!("sender {} has code (EIP-3607)", tx.sender),
        });
    }
    let nonce = tx.nonce();
    if nonce == u64::MAX {
        return Err(TxRejection::Invalid {
            reason: "nonce overflows".to_string(),
        });
    }
    if nonce < account.nonce {
        return Err(TxRejection::NonceTooLow {
            expected: account.nonce,
            got: nonce,
        });
    }
    if nonce > account.nonce {
        return Err(TxRejection::NonceTooHigh {
            expected: account.nonce,
            got: nonce,
        });
    }
    let cost = max_cost(gas_limit, fee_cap, tx.envelope.value());
    if account.balance < cost {
        return Err(TxRejection::InsufficientFunds {
            balance: account.balance,
            cost,
        });
    }
    Ok(())
}

/// The gas a transaction needs before executing any code: the intrinsic cost, or the
/// EIP-7623 calldata floor when that is higher.
pub(crate) fn intrinsic_gas(tx: &TxEnv) -> Result<u64, TxRejection> {
    // No EIP-7825 cap before Osaka; no EIP-8037/2780 before Amsterdam.
    match validate_initial_tx_gas(tx, HARD_FORK, false, false, u64::MAX, None) {
        Ok(gas) => Ok(gas.initial_total_gas().max(gas.floor_gas())),
        Err(err) => Err(TxRejection::from_revm(
            err,
            tx.gas_limit,
            tx.gas_limit,
            tx.gas_price,
            0,
        )),
    }
}

/// The most a transaction can debit: every unit of gas at the fee cap, plus its value.
/// Saturates rather than overflowing: a saturated cost is never affordable.
pub(crate) fn max_cost(gas_limit: u64, fee_cap: u128, value: U256) -> U256 {
    U256::from(gas_limit)
        .saturating_mul(U256::from(fee_cap))
        .saturating_add(value)
}

pub(crate) fn storage_rejection(err: StorageError) -> TxRejection {
    TxRejection::Storage {
        reason: err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_cost_saturates_instead_of_overflowing() {
        assert_eq!(max_cost(21_000, 2, U256::from(7)), U256::from(42_007));
        assert_eq!(max_cost(u64::MAX, u128::MAX, U256::MAX), U256::MAX);
    }
}

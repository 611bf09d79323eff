//! Why a transaction could not be included, and why a call or an estimate failed.
//!
//! A [`TxRejection`] means "this transaction cannot be part of this block": nothing it
//! would do happens, and a block that contains it is invalid. A transaction that runs and
//! then reverts or runs out of gas is *not* rejected — it has a failed receipt.

use alloy_primitives::{Bytes, U256};
use entente_storage::StorageError;
use revm::context::result::{EVMError, InvalidHeader, InvalidTransaction};
use thiserror::Error;

/// Why a transaction cannot be included in the block being built or verified.
///
/// Every variant except [`TxRejection::Storage`] is a property of the transaction and the
/// state it meets; `Storage` is a failure of this node (see [`TxRejection::is_fatal`]).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TxRejection {
    #[error("nonce too low: account nonce is {expected}, transaction nonce is {got}")]
    NonceTooLow { expected: u64, got: u64 },
    #[error("nonce too high: account nonce is {expected}, transaction nonce is {got}")]
    NonceTooHigh { expected: u64, got: u64 },
    #[error("insufficient funds: balance {balance} is below the maximum cost {cost}")]
    InsufficientFunds { balance: U256, cost: U256 },
    #[error("gas limit {gas_limit} exceeds the {remaining} gas left in the block")]
    GasLimitExceedsBlock { gas_limit: u64, remaining: u64 },
    #[error("fee cap {fee_cap} is below the base fee {base_fee}")]
    FeeCapBelowBaseFee { fee_cap: u128, base_fee: u64 },
    #[error("priority fee {tip} is above the fee cap {fee_cap}")]
    TipAboveFeeCap { tip: u128, fee_cap: u128 },
    #[error("gas limit {gas_limit} is below the intrinsic gas {intrinsic}")]
    IntrinsicGasTooLow { intrinsic: u64, gas_limit: u64 },
    #[error("init code of {size} bytes exceeds the limit of {max} bytes")]
    InitCodeTooLarge { size: usize, max: usize },
    /// Refused by a system module's admission hook (permissioning, frozen sender …).
    #[error("unauthorized: {reason}")]
    Unauthorized { reason: String },
    /// This node could not read the state. Not the transaction's fault: a validator must
    /// not conclude that the block is invalid.
    #[error("state unavailable: {reason}")]
    Storage { reason: String },
    /// Any other reason revm gives, with its message.
    #[error("invalid transaction: {reason}")]
    Invalid { reason: String },
}

impl TxRejection {
    /// True when the rejection is a failure of this node rather than of the transaction.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Self::Storage { .. })
    }

    /// Maps revm's validation errors onto Entente's rejections.
    pub(crate) fn from_revm(
        err: InvalidTransaction,
        gas_limit: u64,
        remaining: u64,
        fee_cap: u128,
        base_fee: u64,
    ) -> Self {
        match err {
            InvalidTransaction::NonceTooLow { tx, state } => Self::NonceTooLow {
                expected: state,
                got: tx,
            },
            InvalidTransaction::NonceTooHigh { tx, state } => Self::NonceTooHigh {
                expected: state,
                got: tx,
            },
            InvalidTransaction::LackOfFundForMaxFee { fee, balance } => Self::InsufficientFunds {
                balance: *balance,
                cost: *fee,
            },
            InvalidTransaction::CallerGasLimitMoreThanBlock => Self::GasLimitExceedsBlock {
                gas_limit,
                remaining,
            },
            InvalidTransaction::GasPriceLessThanBasefee => {
                Self::FeeCapBelowBaseFee { fee_cap, base_fee }
            }
            InvalidTransaction::CallGasCostMoreThanGasLimit {
                initial_gas,
                gas_limit,
            } => Self::IntrinsicGasTooLow {
                intrinsic: initial_gas,
                gas_limit,
            },
            InvalidTransaction::GasFloorMoreThanGasLimit {
                gas_floor,
                gas_limit,
            } => Self::IntrinsicGasTooLow {
                intrinsic: gas_floor,
                gas_limit,
            },
            other => Self::Invalid {
                reason: other.to_string(),
            },
        }
    }
}

/// Why `call` or `estimate_gas` could not produce an answer.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ExecError {
    /// The request could never run (nonce, funds, gas limit …).
    #[error(transparent)]
    Rejected(#[from] TxRejection),
    /// Execution reverted even with the largest gas allowance; `output` is the revert data
    /// (an `Error(string)` or a custom error) for the RPC to return.
    #[error("execution reverted ({} bytes of revert data)", output.len())]
    Reverted { output: Bytes, gas_used: u64 },
    /// Execution failed for another reason (out of gas, invalid opcode …) even with the
    /// largest gas allowance.
    #[error("gas required exceeds allowance {cap}: {reason}")]
    GasRequiredExceedsCap { cap: u64, reason: String },
    /// This node could not read the state.
    #[error("state unavailable: {0}")]
    Storage(String),
}

/// The error type revm runs with over a [`crate::db::BlockDb`].
pub(crate) type EvmError = EVMError<DbError, InvalidTransaction>;

/// A state read that failed inside revm. Wraps [`StorageError`] so revm can carry it.
#[derive(Debug, Error)]
pub enum DbError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("code {hash} referenced by an account is missing from the state")]
    MissingCode { hash: alloy_primitives::B256 },
}

impl revm::database_interface::DBErrorMarker for DbError {}

/// What went wrong when revm refused or aborted a transaction, before mapping it for the
/// caller (who knows the fee and gas context).
pub(crate) enum Failure {
    Invalid(InvalidTransaction),
    /// A fault of this node (storage) or a bug (header/custom errors): never the
    /// transaction's fault.
    Node(String),
}

impl From<EvmError> for Failure {
    fn from(err: EvmError) -> Self {
        match err {
            EVMError::Transaction(invalid) => Self::Invalid(invalid),
            EVMError::Header(header) => Self::Node(header_message(header)),
            EVMError::Database(db) => Self::Node(db.to_string()),
            EVMError::Custom(message) => Self::Node(message),
            EVMError::CustomAny(any) => Self::Node(any.to_string()),
        }
    }
}

fn header_message(header: InvalidHeader) -> String {
    format!("block environment is incomplete: {header}")
}

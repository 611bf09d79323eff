//! JSON-RPC errors in the shapes Ethereum clients understand.
//!
//! Codes and messages follow geth, which ethers, web3.py and cast pattern-match:
//! `-32000` with "nonce too low", "insufficient funds …", "already known" …; `3`
//! with "execution reverted" and the revert data for failed calls; `-32602` for bad
//! parameters.

use alloy_primitives::Bytes;
use alloy_sol_types::{SolError as _, decode_revert_reason};
use entente_consensus::SubmitError;
use entente_execution::TxRejection;
use entente_primitives::TxError;
use entente_txpool::PoolError;
use jsonrpsee::types::ErrorObjectOwned;

pub const INVALID_PARAMS: i32 = -32602;
pub const INTERNAL: i32 = -32603;
pub const SERVER: i32 = -32000;
pub const EXECUTION_REVERTED: i32 = 3;
/// Requested resource (block, state version) is not available.
pub const RESOURCE_UNAVAILABLE: i32 = -32002;
/// Request exceeds a configured limit.
pub const LIMIT_EXCEEDED: i32 = -32005;

pub type RpcResult<T> = Result<T, ErrorObjectOwned>;

pub fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(INVALID_PARAMS, message.into(), None::<()>)
}

pub fn internal(message: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(INTERNAL, format!("internal error: {message}"), None::<()>)
}

pub fn server(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(SERVER, message.into(), None::<()>)
}

pub fn unavailable(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(RESOURCE_UNAVAILABLE, message.into(), None::<()>)
}

pub fn limit(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(LIMIT_EXCEEDED, message.into(), None::<()>)
}

/// A failed call: "execution reverted" with the reason when it is `Error(string)`, and
/// the raw revert data (custom errors included) in `data`.
pub fn reverted(output: &Bytes) -> ErrorObjectOwned {
    let message = match decode_revert_reason(output) {
        Some(reason) if output.starts_with(&alloy_sol_types::Revert::SELECTOR) => {
            format!("execution reverted: {reason}")
        }
        _ => "execution reverted".to_string(),
    };
    ErrorObjectOwned::owned(EXECUTION_REVERTED, message, Some(output.to_string()))
}

/// The geth message for a transaction rejected before execution.
pub fn rejection_message(rejection: &TxRejection) -> String {
    match rejection {
        TxRejection::NonceTooLow { expected, got } => {
            format!("nonce too low: next nonce {expected}, tx nonce {got}")
        }
        TxRejection::NonceTooHigh { expected, got } => {
            format!("nonce too high: next nonce {expected}, tx nonce {got}")
        }
        TxRejection::InsufficientFunds { balance, cost } => {
            format!("insufficient funds for gas * price + value: balance {balance}, tx cost {cost}")
        }
        TxRejection::GasLimitExceedsBlock {
            gas_limit,
            remaining,
        } => {
            format!("exceeds block gas limit: tx gas {gas_limit}, block gas limit {remaining}")
        }
        TxRejection::FeeCapBelowBaseFee { .. } => {
            format!("transaction underpriced: {rejection}")
        }
        TxRejection::IntrinsicGasTooLow { .. } => format!("intrinsic gas too low: {rejection}"),
        other => other.to_string(),
    }
}

/// Maps a refused submission to its JSON-RPC error.
pub fn submit_error(err: &SubmitError) -> ErrorObjectOwned {
    match err {
        SubmitError::Decode(TxError::WrongChainId { expected, got }) => {
            server(format!("invalid chain id: expected {expected}, got {got}"))
        }
        SubmitError::Decode(TxError::MissingChainId) => {
            server("only replay-protected (EIP-155) transactions allowed over RPC")
        }
        SubmitError::Decode(TxError::InvalidSignature) => {
            server("invalid sender: invalid transaction signature")
        }
        SubmitError::Decode(TxError::Oversized { size, max }) => server(format!(
            "oversized data: transaction of {size} bytes exceeds {max}"
        )),
        SubmitError::Decode(TxError::UnsupportedType(kind)) => {
            server(format!("transaction type not supported: {kind}"))
        }
        SubmitError::Decode(err) => invalid_params(format!("invalid transaction: {err}")),
        SubmitError::Rejected(rejection) => server(rejection_message(rejection)),
        SubmitError::Pool(PoolError::AlreadyKnown) => server("already known"),
        SubmitError::Pool(PoolError::NonceTooLow {
            account_nonce,
            tx_nonce,
        }) => server(format!(
            "nonce too low: next nonce {account_nonce}, tx nonce {tx_nonce}"
        )),
        SubmitError::Pool(err @ PoolError::ReplacementUnderpriced { .. }) => {
            server(format!("replacement transaction underpriced: {err}"))
        }
        SubmitError::Pool(PoolError::PoolFull) => server("txpool is full"),
        SubmitError::Pool(err @ PoolError::SenderFull { .. }) => {
            server(format!("txpool is full: {err}"))
        }
        SubmitError::Pool(err) => server(err.to_string()),
        SubmitError::Overloaded => server("txpool is full: node overloaded"),
        SubmitError::Storage(err) => internal(err),
    }
}

//! Why the pool refused a transaction.
//!
//! Each variant carries the numbers a client needs to fix its submission; the RPC layer
//! maps them to the messages Ethereum tools recognise ("already known", "nonce too low",
//! "replacement transaction underpriced", "txpool is full").

use alloy_primitives::Address;
use thiserror::Error;

/// Why a transaction was not pooled. None of these is fatal to the node: each concerns
/// only the one transaction and leaves the pool unchanged.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PoolError {
    /// The pool already holds a transaction with this hash.
    #[error("already known")]
    AlreadyKnown,
    /// The sender's account has already used this nonce.
    #[error("nonce too low: account nonce {account_nonce}, transaction nonce {tx_nonce}")]
    NonceTooLow { account_nonce: u64, tx_nonce: u64 },
    /// The nonce leaves too large a hole after the sender's next executable nonce.
    #[error(
        "nonce {tx_nonce} is more than {max_gap} ahead of the sender's next nonce {next}; \
         submit the missing nonces first"
    )]
    NonceGapTooLarge {
        next: u64,
        tx_nonce: u64,
        max_gap: u64,
    },
    /// Same sender and nonce as a pooled transaction, without a high enough price bump.
    #[error(
        "replacement needs a fee cap and tip at least {bump_percent}% higher and strictly \
         greater: existing tip {existing_tip}, offered {offered_tip}; existing fee cap \
         {existing_max_fee}, offered {offered_max_fee}"
    )]
    ReplacementUnderpriced {
        existing_tip: u128,
        offered_tip: u128,
        existing_max_fee: u128,
        offered_max_fee: u128,
        bump_percent: u64,
    },
    /// The sender already has as many pending transactions as one sender may.
    #[error("sender {sender} already has {max} pending transactions; wait for some to be included")]
    SenderFull { sender: Address, max: usize },
    /// The pool is at its count or byte bound and nothing pooled ranks below this one.
    #[error("txpool is full")]
    PoolFull,
}

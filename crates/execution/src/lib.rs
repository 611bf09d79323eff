//! Entente's executor: Ethereum transactions run by revm (hard fork [`HARD_FORK`],
//! Prague) against a [`entente_storage::StateView`], producing receipts and a
//! [`entente_storage::StateDiff`]. Deterministic: the same parent state, block environment
//! and transactions give the same receipts and diff on every node.
//!
//! - [`env`](mod@env): the block environment ([`BlockEnv`]) and BLOCKHASH source ([`BlockHashes`]).
//! - [`builder`]: [`BlockBuilder`] executes a block transaction by transaction on one EVM
//!   and one cached state; a rejected transaction changes nothing.
//! - [`validate`](mod@validate): the cheap inclusion checks, shared by the txpool and the builder.
//! - [`call`](mod@call): `eth_call` and `eth_estimateGas`.
//! - [`modules`]: the [`SystemModules`] hooks — admission, native module contracts at
//!   reserved addresses, and a check on every call frame.
//! - [`error`]: [`TxRejection`] (not includable) and [`ExecError`] (calls).
//!
//! Internals: `db` (the cached block state revm reads, and the fold of each transaction's
//! changes into the diff), `host` (modules as revm precompiles), `evm` (revm wired with
//! the per-frame check).

pub mod builder;
pub mod call;
mod db;
pub mod env;
pub mod error;
mod evm;
mod host;
pub mod modules;
pub mod validate;

pub use builder::{BlockBuilder, BlockOutcome};
pub use call::{CallOutcome, CallRequest, call, estimate_gas};
pub use env::{BLOCK_HASH_WINDOW, BlockEnv, BlockHashes, HARD_FORK, NoHashes};
pub use error::{ExecError, TxRejection};
pub use host::DELEGATED_MODULE_CALL;
pub use modules::{
    Denial, FrameCheck, FrameKind, MODULE_ACCOUNT_CODE, ModuleCall, ModuleHalt, ModuleHost,
    ModuleOutput, NoModules, SystemModules, WithoutFrameChecks,
};
pub use validate::validate;

//! The extension point for Entente's system modules (governance, supervision, evidence,
//! trace …): native Rust contracts at reserved addresses, plus the hooks that let them
//! admit or refuse transactions and individual call frames.
//!
//! Three hooks, all deterministic and all given the state *including* the changes of the
//! block (and transaction) so far:
//!
//! 1. [`SystemModules::authorize`] runs before each transaction. A refusal is a
//!    [`TxRejection`]: the transaction is not included, and a block containing it is
//!    invalid on every node (registered senders, deployer role …).
//! 2. [`SystemModules::call`] runs a module when any frame calls an address for which
//!    [`SystemModules::is_module`] holds — from a transaction or from a contract at any
//!    depth. It reads and writes the module's own storage and emits logs through a
//!    [`ModuleHost`] backed by revm's journal, so its writes revert with the surrounding
//!    frame and end up in the block's state diff like any contract's.
//! 3. [`SystemModules::check_call`] runs before every CALL/CREATE frame (the top-level one
//!    included) and may refuse it with revert data — for just that frame, or for the whole
//!    transaction (see [`Denial`]). Static calls are passed with `is_static` set so an
//!    implementation can keep view calls working.
//!
//! To fail a transaction with a receipt (nonce and fee consumed, no other effect) rather
//! than invalidate the block — e.g. a frozen sender — deny its top-level frame (depth 0).

use alloy_primitives::{Address, Bytes, LogData, U256};
use entente_primitives::RecoveredTx;
use entente_storage::StateView;

use crate::{BlockEnv, TxRejection};

/// Gas a module pays for host operations. Mirrors the EVM's costs (EIP-2929/2200 without
/// refunds) so a module call costs about what the same logic in Solidity would.
pub mod gas {
    /// Reading a slot not yet accessed in this transaction.
    pub const SLOAD_COLD: u64 = 2_100;
    /// Reading a slot already accessed in this transaction.
    pub const SLOAD_WARM: u64 = 100;
    /// Reading an account not yet accessed in this transaction (EIP-2929).
    pub const ACCOUNT_COLD: u64 = 2_600;
    /// Writing a zero slot to non-zero (first write in the transaction).
    pub const SSTORE_SET: u64 = 20_000;
    /// Changing a non-zero slot (first write in the transaction).
    pub const SSTORE_RESET: u64 = 2_900;
    /// Writing a slot already written in this transaction, or writing its current value.
    pub const SSTORE_DIRTY: u64 = 100;
    /// Extra cost of a write to a slot not yet accessed in this transaction.
    pub const SSTORE_COLD_SURCHARGE: u64 = 2_100;
    /// A log, before topics and data.
    pub const LOG: u64 = 375;
    /// Per topic of a log.
    pub const LOG_TOPIC: u64 = 375;
    /// Per byte of log data.
    pub const LOG_BYTE: u64 = 8;
}

/// Code given to a module account when it is first written to, so Solidity's
/// "target has code" check passes for calls into modules. `0xfe` (INVALID) is never run:
/// calls to a module address are served natively, and DELEGATECALL/CALLCODE into a module
/// are refused. Genesis should install module accounts with this code and nonce 1.
pub const MODULE_ACCOUNT_CODE: &[u8] = &[0xfe];

/// Entente's system modules as the executor sees them. Every method has a permissive
/// default, so an implementation overrides only what it needs.
pub trait SystemModules: Send + Sync {
    /// Admits or refuses `tx` before it executes. `state` is the state before `tx`,
    /// including the effects of earlier transactions of the block.
    fn authorize(
        &self,
        state: &dyn StateView,
        tx: &RecoveredTx,
        env: &BlockEnv,
    ) -> Result<(), TxRejection> {
        let _ = (state, tx, env);
        Ok(())
    }

    /// True when `address` is served by [`SystemModules::call`]. Asked for every call
    /// frame, so it must be cheap (a range check or a small set lookup).
    fn is_module(&self, address: &Address) -> bool {
        let _ = address;
        false
    }

    /// Runs the module at `call.address`. Gas is metered by the host: charge computation
    /// with [`ModuleHost::charge`]; storage and logs are charged automatically.
    fn call(
        &self,
        call: &ModuleCall<'_>,
        host: &mut dyn ModuleHost,
    ) -> Result<ModuleOutput, ModuleHalt> {
        let _ = (call, host);
        Ok(ModuleOutput::Revert(Bytes::new()))
    }

    /// Admits or refuses one call frame before it starts. `state` includes the changes the
    /// current transaction made so far.
    fn check_call(&self, state: &dyn StateView, frame: &FrameCheck<'_>) -> Result<(), Denial> {
        let _ = (state, frame);
        Ok(())
    }
}

/// `M` without its per-frame checks ([`SystemModules::check_call`]): how `eth_call` runs
/// the modules (reads of and by frozen targets keep working), and how a test builds a
/// node that ignores them.
pub struct WithoutFrameChecks<M>(pub M);

impl<'m, M: std::ops::Deref<Target = dyn SystemModules + 'm> + Send + Sync> SystemModules
    for WithoutFrameChecks<M>
{
    fn authorize(
        &self,
        state: &dyn StateView,
        tx: &RecoveredTx,
        env: &BlockEnv,
    ) -> Result<(), TxRejection> {
        self.0.authorize(state, tx, env)
    }
    fn is_module(&self, address: &Address) -> bool {
        self.0.is_module(address)
    }
    fn call(
        &self,
        call: &ModuleCall<'_>,
        host: &mut dyn ModuleHost,
    ) -> Result<ModuleOutput, ModuleHalt> {
        self.0.call(call, host)
    }
}

/// No modules, no restrictions: plain Ethereum execution.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoModules;

impl SystemModules for NoModules {}

/// One call into a module.
#[derive(Clone, Debug)]
pub struct ModuleCall<'a> {
    /// The module's address (also the account whose storage the host writes).
    pub address: Address,
    /// The immediate caller (`msg.sender`).
    pub caller: Address,
    /// The transaction's sender (`tx.origin`), for audit trails.
    pub origin: Address,
    /// Value transferred with the call; already credited to the module's account.
    pub value: U256,
    pub input: &'a [u8],
    pub gas_limit: u64,
    /// True inside STATICCALL: the host refuses writes and logs.
    pub is_static: bool,
    /// Call depth: 0 when the transaction calls the module directly.
    pub depth: usize,
    pub block_number: u64,
    pub timestamp_secs: u64,
    /// The chain id (EIP-155), for modules that bind signed data to one chain.
    pub chain_id: u64,
}

/// What a module call returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModuleOutput {
    /// Success with ABI-encoded return data.
    Return(Bytes),
    /// Revert with revert data (an `Error(string)` or a custom error); the module's
    /// writes and logs are undone, unused gas goes back to the caller.
    Revert(Bytes),
}

/// An exceptional stop of a module call: its writes are undone and all its gas is spent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModuleHalt {
    #[error("out of gas")]
    OutOfGas,
    #[error("state change attempted in a static call")]
    StaticStateChange,
    #[error("a log may carry at most 4 topics")]
    TooManyTopics,
    /// A state read failed on this node. The host has recorded the error and the whole
    /// transaction is abandoned; propagate it with `?`.
    #[error("state unavailable")]
    Storage,
}

/// The state access a running module has, inside revm's journal.
pub trait ModuleHost {
    /// Reads a slot of the module's own storage.
    fn sload(&mut self, slot: U256) -> Result<U256, ModuleHalt>;
    /// Writes a slot of the module's own storage.
    fn sstore(&mut self, slot: U256, value: U256) -> Result<(), ModuleHalt>;
    /// Reads a slot of any account (e.g. another module's registry).
    fn sload_at(&mut self, address: Address, slot: U256) -> Result<U256, ModuleHalt>;
    /// Emits a log from the module's address (use `sol!` events' `encode_log_data`).
    fn emit(&mut self, log: LogData) -> Result<(), ModuleHalt>;
    /// Writes a slot of another system module's account (e.g. the supervision module
    /// moving a frozen holding in an asset's ledger). Metered like [`Self::sstore`]. For
    /// module addresses only: modules are trusted native code and keep to that.
    fn sstore_at(&mut self, address: Address, slot: U256, value: U256) -> Result<(), ModuleHalt>;
    /// Emits a log from another system module's address (the asset's `Transfer` of a
    /// forced transfer). Same rule as [`Self::sstore_at`].
    fn emit_at(&mut self, address: Address, log: LogData) -> Result<(), ModuleHalt>;
    /// The nonce of any account (e.g. whether a transaction's nonce is already used).
    /// Metered like an account access.
    fn account_nonce(&mut self, address: Address) -> Result<u64, ModuleHalt>;
    /// Charges `gas` for computation.
    fn charge(&mut self, gas: u64) -> Result<(), ModuleHalt>;
    /// Gas left for this call.
    fn gas_remaining(&self) -> u64;
}

/// How a frame was entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    Call,
    CallCode,
    DelegateCall,
    StaticCall,
    Create,
    Create2,
}

/// One call frame about to start, as [`SystemModules::check_call`] sees it.
#[derive(Clone, Debug)]
pub struct FrameCheck<'a> {
    pub kind: FrameKind,
    /// `msg.sender` of the new frame.
    pub caller: Address,
    /// The account whose state the frame runs against; `None` for creates (the address
    /// is derived later).
    pub target: Option<Address>,
    /// The account whose code runs (differs from `target` for DELEGATECALL/CALLCODE).
    pub code_address: Option<Address>,
    pub value: U256,
    /// Calldata, or init code for creates.
    pub input: &'a [u8],
    pub is_static: bool,
    /// 0 for the transaction's own frame.
    pub depth: usize,
    /// The block being executed (for checks that expire, e.g. emergency freezes).
    pub block_number: u64,
}

/// A refusal from [`SystemModules::check_call`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denial {
    /// Only this frame fails, as if it had executed REVERT with this data; its caller
    /// sees a failed call and may carry on.
    RevertFrame(Bytes),
    /// The whole transaction fails with this revert data: every frame on the stack
    /// reverts without running further code. Nonce and fee are still consumed.
    RevertTransaction(Bytes),
}

//! Executing a block: transactions one after the other on one EVM and one cached state,
//! each producing a receipt, all together producing the block's [`StateDiff`].
//!
//! The proposer pushes candidates and skips the rejected ones; a validator pushes the
//! block's transactions and treats any rejection as an invalid block. Both get the same
//! receipts and diff for the same transactions on the same parent state.

use alloy_consensus::Transaction as _;
use alloy_primitives::Bytes;
use entente_primitives::{Receipt, RecoveredTx};
use entente_storage::{StateDiff, StateView};
use revm::context::result::ExecutionResult;
use tracing::trace;

use crate::{
    BlockEnv, BlockHashes, SystemModules, TxRejection,
    db::BlockDb,
    env::tx_env,
    error::Failure,
    evm::Executor,
    validate::{precheck, storage_rejection},
};

/// Everything a block's execution produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockOutcome {
    /// One per included transaction, in order.
    pub receipts: Vec<Receipt>,
    /// The block's changes to the parent state.
    pub diff: StateDiff,
    pub gas_used: u64,
}

/// Builds (or re-executes) one block on top of a parent state.
///
/// Holds revm's `Rc`-based scratch memory, so it stays on the thread that created it.
pub struct BlockBuilder<'a, V: StateView> {
    executor: Executor<'a, V>,
    env: BlockEnv,
    modules: &'a dyn SystemModules,
    receipts: Vec<Receipt>,
    diff: StateDiff,
    gas_used: u64,
}

impl<'a, V: StateView> BlockBuilder<'a, V> {
    /// A builder for the block described by `env`, on top of the state in `view`.
    pub fn new(
        view: V,
        env: BlockEnv,
        hashes: &'a dyn BlockHashes,
        modules: &'a dyn SystemModules,
    ) -> Self {
        let db = BlockDb::new(view, hashes, env.number);
        let executor = Executor::new(db, &env, env.base_fee, modules);
        Self {
            executor,
            env,
            modules,
            receipts: Vec::new(),
            diff: StateDiff::default(),
            gas_used: 0,
        }
    }

    /// Executes `tx` on top of the transactions pushed so far.
    ///
    /// A rejected transaction changes nothing. A transaction that reverts or runs out of
    /// gas is included with a failed receipt: nonce bumped, gas charged.
    pub fn try_push(&mut self, tx: &RecoveredTx) -> Result<&Receipt, TxRejection> {
        let remaining = self.gas_remaining();
        let tx_env = tx_env(tx);
        let sender = self
            .executor
            .db_mut()
            .load_account(tx.sender)
            .map_err(storage_rejection)?;
        precheck(sender.as_ref(), tx, &tx_env, &self.env, remaining)?;
        self.modules.authorize(self.executor.db(), tx, &self.env)?;

        let (result, state) =
            self.executor
                .transact(tx_env)
                .map_err(|err| match Failure::from(err) {
                    Failure::Invalid(invalid) => TxRejection::from_revm(
                        invalid,
                        tx.gas_limit(),
                        remaining,
                        tx.max_fee_per_gas(),
                        self.env.base_fee,
                    ),
                    Failure::Node(reason) => TxRejection::Storage { reason },
                })?;
        self.executor.db_mut().apply(state, &mut self.diff);

        let gas_used = result.tx_gas_used();
        self.gas_used += gas_used;
        let receipt = receipt(tx, result, gas_used, self.gas_used, self.env.base_fee);
        trace!(tx = %tx.hash, success = receipt.success, gas_used, "executed transaction");
        self.receipts.push(receipt);
        Ok(&self.receipts[self.receipts.len() - 1])
    }

    /// Gas used by the transactions pushed so far.
    pub fn gas_used(&self) -> u64 {
        self.gas_used
    }

    /// Gas still available to further transactions.
    pub fn gas_remaining(&self) -> u64 {
        self.env.gas_remaining(self.gas_used)
    }

    /// State entries (accounts and slots) the transactions pushed so far write.
    pub fn state_entries(&self) -> usize {
        self.diff.keys_changed()
    }

    /// Receipts of the transactions pushed so far.
    pub fn receipts(&self) -> &[Receipt] {
        &self.receipts
    }

    /// The state after the transactions pushed so far.
    pub fn pending_state(&self) -> &dyn StateView {
        self.executor.db()
    }

    pub fn env(&self) -> &BlockEnv {
        &self.env
    }

    pub fn finish(self) -> BlockOutcome {
        BlockOutcome {
            receipts: self.receipts,
            diff: self.diff,
            gas_used: self.gas_used,
        }
    }
}

/// The receipt of an executed transaction. A failed transaction has no logs (they were
/// reverted) and its revert data, if any, as output. A successful creation's output is
/// empty: the deployed code is in the state, not repeated in the receipt.
fn receipt(
    tx: &RecoveredTx,
    result: ExecutionResult,
    gas_used: u64,
    cumulative_gas_used: u64,
    base_fee: u64,
) -> Receipt {
    let to = tx.envelope.to();
    let (success, logs, output) = match result {
        ExecutionResult::Success { logs, output, .. } => {
            let output = if to.is_some() {
                output.into_data()
            } else {
                Bytes::new()
            };
            (true, logs, output)
        }
        ExecutionResult::Revert { output, .. } => (false, Vec::new(), output),
        ExecutionResult::Halt { .. } => (false, Vec::new(), Bytes::new()),
    };
    Receipt {
        tx_hash: tx.hash,
        tx_type: tx.envelope.tx_type() as u8,
        success,
        from: tx.sender,
        to,
        contract_address: to.is_none().then(|| tx.sender.create(tx.nonce())),
        gas_used,
        cumulative_gas_used,
        effective_gas_price: tx.effective_gas_price(base_fee),
        logs,
        output,
    }
}

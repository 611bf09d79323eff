//! System modules inside revm: a precompile provider that serves module addresses
//! natively, and the [`ModuleHost`] through which a module touches revm's journal.
//!
//! revm calls the precompile provider for every call frame, after it has opened the
//! frame's journal checkpoint and moved the call's value, and before it would load code.
//! So a module call behaves like any contract call: reachable from a transaction or from
//! a contract at any depth, its storage writes and logs are committed when it returns and
//! rolled back when it reverts or halts (or when an enclosing frame does).

use alloy_primitives::{Address, Bytes, Log, LogData, U256};
use revm::{
    bytecode::Bytecode,
    context::{Block as _, Cfg, ContextError, ContextTr, JournalTr, Transaction as _},
    context_interface::journaled_state::account::JournaledAccountTr as _,
    handler::{EthPrecompiles, PrecompileProvider},
    interpreter::{CallInputs, Gas, InstructionResult, InterpreterResult},
    primitives::{AddressSet, KECCAK_EMPTY},
};

use crate::{
    env::HARD_FORK,
    modules::{
        MODULE_ACCOUNT_CODE, ModuleCall, ModuleHalt, ModuleHost, ModuleOutput, SystemModules, gas,
    },
};

/// Revert data when a module is reached through DELEGATECALL or CALLCODE: it would run
/// against the caller's storage with a forwarded `msg.sender`, i.e. impersonation.
pub const DELEGATED_MODULE_CALL: &[u8] = b"entente: system modules cannot be delegate-called";

/// Ethereum's precompiles plus Entente's system modules.
pub(crate) struct Precompiles<'a> {
    eth: EthPrecompiles,
    modules: &'a dyn SystemModules,
}

impl<'a> Precompiles<'a> {
    pub fn new(modules: &'a dyn SystemModules) -> Self {
        Self {
            eth: EthPrecompiles::new(HARD_FORK),
            modules,
        }
    }
}

impl<CTX: ContextTr> PrecompileProvider<CTX> for Precompiles<'_> {
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: <CTX::Cfg as Cfg>::Spec) -> bool {
        <EthPrecompiles as PrecompileProvider<CTX>>::set_spec(&mut self.eth, spec)
    }

    fn run(
        &mut self,
        context: &mut CTX,
        inputs: &CallInputs,
    ) -> Result<Option<InterpreterResult>, String> {
        // Standard precompiles first: a module can never shadow one.
        if !self.eth.contains(&inputs.bytecode_address)
            && self.modules.is_module(&inputs.bytecode_address)
        {
            return Ok(Some(run_module(self.modules, context, inputs)));
        }
        <EthPrecompiles as PrecompileProvider<CTX>>::run(&mut self.eth, context, inputs)
    }

    /// Only Ethereum's precompiles start warm; a module address is accessed like any
    /// contract (cold on first access, EIP-2929).
    fn warm_addresses(&self) -> &AddressSet {
        self.eth.warm_addresses()
    }

    fn contains(&self, address: &Address) -> bool {
        self.eth.contains(address) || self.modules.is_module(address)
    }
}

fn run_module<CTX: ContextTr>(
    modules: &dyn SystemModules,
    context: &mut CTX,
    inputs: &CallInputs,
) -> InterpreterResult {
    let address = inputs.bytecode_address;
    let mut frame_gas = Gas::new_with_regular_gas_and_reservoir(inputs.gas_limit, inputs.reservoir);
    if inputs.target_address != address {
        return InterpreterResult::new(
            InstructionResult::Revert,
            Bytes::from_static(DELEGATED_MODULE_CALL),
            frame_gas,
        );
    }
    let input = Bytes::copy_from_slice(&inputs.input.as_bytes(context));
    let call = ModuleCall {
        address,
        caller: inputs.caller,
        origin: context.tx().caller(),
        value: inputs.value.get(),
        input: &input,
        gas_limit: inputs.gas_limit,
        is_static: inputs.is_static,
        // The frame's checkpoint is already open, so the journal is one level deeper.
        depth: context.journal().depth().saturating_sub(1),
        block_number: context.block().number().saturating_to(),
        timestamp_secs: context.block().timestamp().saturating_to(),
        chain_id: context.cfg().chain_id(),
    };
    let mut host = JournalHost {
        context,
        address,
        is_static: inputs.is_static,
        gas_limit: inputs.gas_limit,
        gas_used: 0,
        materialised: false,
    };
    let outcome = modules.call(&call, &mut host);
    let gas_used = host.gas_used;
    let (result, output) = match outcome {
        Ok(ModuleOutput::Return(output)) => (InstructionResult::Return, output),
        Ok(ModuleOutput::Revert(output)) => (InstructionResult::Revert, output),
        Err(halt) => {
            frame_gas.spend_all();
            let result = match halt {
                ModuleHalt::OutOfGas => InstructionResult::PrecompileOOG,
                ModuleHalt::StaticStateChange => InstructionResult::StateChangeDuringStaticCall,
                ModuleHalt::TooManyTopics | ModuleHalt::Storage => {
                    InstructionResult::PrecompileError
                }
            };
            return InterpreterResult::new(result, Bytes::new(), frame_gas);
        }
    };
    if !frame_gas.record_regular_cost(gas_used) {
        frame_gas.spend_all();
        return InterpreterResult::new(InstructionResult::PrecompileOOG, Bytes::new(), frame_gas);
    }
    InterpreterResult::new(result, output, frame_gas)
}

/// A module's access to the journal for one call.
struct JournalHost<'c, CTX> {
    context: &'c mut CTX,
    address: Address,
    is_static: bool,
    gas_limit: u64,
    gas_used: u64,
    /// Whether the module account has been made non-empty in this call.
    materialised: bool,
}

impl<CTX: ContextTr> JournalHost<'_, CTX> {
    /// Records a failed state read so revm abandons the transaction with it.
    fn fail(&mut self, err: <CTX::Db as revm::Database>::Error) -> ModuleHalt {
        *self.context.error() = Err(ContextError::Db(err));
        ModuleHalt::Storage
    }

    /// Gives the module account nonce 1 and [`MODULE_ACCOUNT_CODE`] before its first
    /// write, so EIP-161 never deletes an account that holds module state.
    fn materialise(&mut self) -> Result<(), ModuleHalt> {
        if self.materialised {
            return Ok(());
        }
        if let Err(err) = materialise_account(self.context, self.address) {
            return Err(self.fail(err));
        }
        self.materialised = true;
        Ok(())
    }
}

fn materialise_account<CTX: ContextTr>(
    context: &mut CTX,
    address: Address,
) -> Result<(), <CTX::Db as revm::Database>::Error> {
    let mut account = context
        .journal_mut()
        .load_account_with_code_mut(address)?
        .data;
    if account.nonce() == 0 {
        account.bump_nonce();
    }
    if *account.code_hash() == KECCAK_EMPTY {
        account.set_code_and_hash_slow(Bytecode::new_raw(Bytes::from_static(MODULE_ACCOUNT_CODE)));
    }
    Ok(())
}

impl<CTX: ContextTr> ModuleHost for JournalHost<'_, CTX> {
    fn sload(&mut self, slot: U256) -> Result<U256, ModuleHalt> {
        self.sload_at(self.address, slot)
    }

    fn sstore(&mut self, slot: U256, value: U256) -> Result<(), ModuleHalt> {
        self.sstore_at(self.address, slot, value)
    }

    fn sstore_at(&mut self, address: Address, slot: U256, value: U256) -> Result<(), ModuleHalt> {
        if self.is_static {
            return Err(ModuleHalt::StaticStateChange);
        }
        if address == self.address {
            self.materialise()?;
        } else if let Err(err) = materialise_account(self.context, address) {
            return Err(self.fail(err));
        }
        let stored = match self.context.journal_mut().sstore(address, slot, value) {
            Ok(stored) => stored,
            Err(err) => return Err(self.fail(err)),
        };
        let write = &stored.data;
        let mut cost = if write.new_value == write.present_value
            || write.original_value != write.present_value
        {
            gas::SSTORE_DIRTY
        } else if write.original_value.is_zero() {
            gas::SSTORE_SET
        } else {
            gas::SSTORE_RESET
        };
        if stored.is_cold {
            cost += gas::SSTORE_COLD_SURCHARGE;
        }
        self.charge(cost)
    }

    fn sload_at(&mut self, address: Address, slot: U256) -> Result<U256, ModuleHalt> {
        // The journal reads storage only of accounts it holds: the module's own account
        // is loaded by its call frame, another account (e.g. the governance registry read
        // by another module) may not be yet.
        if address != self.address
            && let Err(err) = self.context.journal_mut().load_account(address)
        {
            return Err(self.fail(err));
        }
        let loaded = match self.context.journal_mut().sload(address, slot) {
            Ok(loaded) => loaded,
            Err(err) => return Err(self.fail(err)),
        };
        self.charge(if loaded.is_cold {
            gas::SLOAD_COLD
        } else {
            gas::SLOAD_WARM
        })?;
        Ok(loaded.data)
    }

    fn emit(&mut self, log: LogData) -> Result<(), ModuleHalt> {
        self.emit_at(self.address, log)
    }

    fn account_nonce(&mut self, address: Address) -> Result<u64, ModuleHalt> {
        let loaded = match self.context.journal_mut().load_account(address) {
            Ok(loaded) => (loaded.is_cold, loaded.data.info.nonce),
            Err(err) => return Err(self.fail(err)),
        };
        self.charge(if loaded.0 {
            gas::ACCOUNT_COLD
        } else {
            gas::SLOAD_WARM
        })?;
        Ok(loaded.1)
    }

    fn emit_at(&mut self, address: Address, log: LogData) -> Result<(), ModuleHalt> {
        if self.is_static {
            return Err(ModuleHalt::StaticStateChange);
        }
        if log.topics().len() > 4 {
            return Err(ModuleHalt::TooManyTopics);
        }
        let topics = log.topics().len() as u64;
        let bytes = log.data.len() as u64;
        self.charge(
            gas::LOG
                .saturating_add(gas::LOG_TOPIC.saturating_mul(topics))
                .saturating_add(gas::LOG_BYTE.saturating_mul(bytes)),
        )?;
        self.context.journal_mut().log(Log { address, data: log });
        Ok(())
    }

    fn charge(&mut self, gas: u64) -> Result<(), ModuleHalt> {
        let used = self.gas_used.saturating_add(gas);
        if used > self.gas_limit {
            self.gas_used = self.gas_limit;
            return Err(ModuleHalt::OutOfGas);
        }
        self.gas_used = used;
        Ok(())
    }

    fn gas_remaining(&self) -> u64 {
        self.gas_limit - self.gas_used
    }
}

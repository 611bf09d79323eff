//! One revm instance over a [`BlockDb`], reused for every transaction of a block (or
//! every run of an estimate), with Entente's per-frame check wired into frame creation.
//!
//! revm's handler creates every call frame — the transaction's own and each
//! CALL/CALLCODE/DELEGATECALL/STATICCALL/CREATE/CREATE2 — through [`EvmTr::frame_init`].
//! [`Executor`] wraps revm's `Evm` and implements that trait: before delegating, it asks
//! [`SystemModules::check_call`]. A denied frame is answered with a REVERT outcome
//! without running (value not moved, all its gas returned). A transaction-wide denial also
//! sets a flag that makes [`EvmTr::frame_run`] revert each enclosing frame instead of
//! resuming it, so the whole stack unwinds with the denial's data. The cost is one
//! dynamic call per frame — nothing per instruction, unlike an `Inspector`.

use alloy_primitives::Bytes;
use entente_storage::StateView;
use revm::{
    Journal,
    context::{
        BlockEnv as RevmBlockEnv, CfgEnv, Context, ContextError, Evm, FrameStack, JournalTr as _,
        TxEnv, result::ExecutionResult,
    },
    context_interface::journaled_state::account::JournaledAccountTr as _,
    handler::{
        EthFrame, EvmTr, FrameInitOrResult, FrameResult, Handler as _, ItemOrResult,
        MainnetHandler, evm::FrameInitResult, instructions::EthInstructions,
    },
    interpreter::{
        CallOutcome, CallScheme, CreateOutcome, FrameInput, Gas, InstructionResult,
        InterpreterAction, InterpreterResult, interpreter::EthInterpreter,
        interpreter_action::FrameInit,
    },
    state::EvmState,
};

use crate::{
    BlockEnv,
    db::{BlockDb, JournalView},
    env::HARD_FORK,
    error::{DbError, EvmError},
    host::Precompiles,
    modules::{Denial, FrameCheck, FrameKind, SystemModules},
};

pub(crate) type Ctx<'a, V> =
    Context<RevmBlockEnv, TxEnv, CfgEnv, BlockDb<'a, V>, Journal<BlockDb<'a, V>>, ()>;
type Instructions<'a, V> = EthInstructions<EthInterpreter, Ctx<'a, V>>;
type Inner<'a, V> = Evm<Ctx<'a, V>, (), Instructions<'a, V>, Precompiles<'a>, EthFrame>;
type DbErr = ContextError<DbError>;

/// revm configured for Entente: Prague, modules as precompiles, per-frame checks.
pub(crate) struct Executor<'a, V: StateView> {
    inner: Inner<'a, V>,
    modules: &'a dyn SystemModules,
    /// Set when a frame was denied for the whole transaction: its revert data.
    abort: Option<Bytes>,
}

impl<'a, V: StateView> Executor<'a, V> {
    /// An executor for `env`, charging `base_fee` (zero for fee-less `eth_call`s).
    pub fn new(
        db: BlockDb<'a, V>,
        env: &BlockEnv,
        base_fee: u64,
        modules: &'a dyn SystemModules,
    ) -> Self {
        let mut ctx = Ctx::<'a, V>::new(db, HARD_FORK);
        ctx.block = env.to_revm(base_fee);
        ctx.cfg = env.cfg();
        let inner = Evm::new(
            ctx,
            EthInstructions::new_mainnet_with_spec(HARD_FORK),
            Precompiles::new(modules),
        );
        Self {
            inner,
            modules,
            abort: None,
        }
    }

    /// Relaxes the sender checks for `eth_call`: no nonce check, and the sender may be a
    /// contract (EIP-3607 off), as in geth.
    pub fn for_simulation(&mut self) {
        self.inner.ctx.cfg.disable_nonce_check = true;
        self.inner.ctx.cfg.disable_eip3607 = true;
    }

    /// The pending state: the view plus every change applied so far.
    pub fn db(&self) -> &BlockDb<'a, V> {
        &self.inner.ctx.journaled_state.database
    }

    pub fn db_mut(&mut self) -> &mut BlockDb<'a, V> {
        &mut self.inner.ctx.journaled_state.database
    }

    /// Runs one transaction. The state changes are returned, not applied: the caller
    /// folds them into the [`BlockDb`] (block building) or drops them (calls).
    pub fn transact(&mut self, tx: TxEnv) -> Result<(ExecutionResult, EvmState), EvmError> {
        self.abort = None;
        self.inner.ctx.tx = tx;
        let result = MainnetHandler::<Self, EvmError, EthFrame>::default().run(self);
        // On error revm has already discarded the transaction's journal entries; this
        // clears what is left so the next transaction starts clean.
        let state = self.inner.ctx.journaled_state.finalize();
        result.map(|result| (result, state))
    }

    /// Asks the modules about the frame `init` would create. `Some` is the denied frame's
    /// outcome, to hand back instead of running it.
    fn check_frame(&mut self, init: &FrameInit) -> Result<Option<FrameResult>, DbErr> {
        let ctx = &self.inner.ctx;
        let block_number: u64 = ctx.block.number.saturating_to();
        let (db, state) = ctx.journaled_state.db_and_state();
        let view = JournalView { state, db };
        let verdict = match &init.frame_input {
            FrameInput::Call(inputs) => {
                let input = inputs.input.as_bytes(ctx);
                let frame = FrameCheck {
                    kind: match inputs.scheme {
                        CallScheme::Call => FrameKind::Call,
                        CallScheme::CallCode => FrameKind::CallCode,
                        CallScheme::DelegateCall => FrameKind::DelegateCall,
                        CallScheme::StaticCall => FrameKind::StaticCall,
                    },
                    caller: inputs.caller,
                    target: Some(inputs.target_address),
                    code_address: Some(inputs.bytecode_address),
                    value: inputs.value.get(),
                    input: &input,
                    is_static: inputs.is_static,
                    depth: init.depth,
                    block_number,
                };
                self.modules.check_call(&view, &frame)
            }
            FrameInput::Create(inputs) => {
                let frame = FrameCheck {
                    kind: match inputs.scheme() {
                        revm::context_interface::CreateScheme::Create2 { .. } => FrameKind::Create2,
                        _ => FrameKind::Create,
                    },
                    caller: inputs.caller(),
                    target: None,
                    code_address: None,
                    value: inputs.value(),
                    input: inputs.init_code(),
                    is_static: false,
                    depth: init.depth,
                    block_number,
                };
                self.modules.check_call(&view, &frame)
            }
            FrameInput::Empty => Ok(()),
        };
        let data = match verdict {
            Ok(()) => return Ok(None),
            Err(Denial::RevertFrame(data)) => data,
            Err(Denial::RevertTransaction(data)) => {
                self.abort = Some(data.clone());
                data
            }
        };
        self.denied(init, data)
    }

    /// The outcome of a frame denied before it started: a REVERT with all gas unspent.
    fn denied(&mut self, init: &FrameInit, data: Bytes) -> Result<Option<FrameResult>, DbErr> {
        match &init.frame_input {
            FrameInput::Create(inputs) => {
                // A creating transaction's nonce is bumped by its frame, which will not
                // run; bump it here so the failed transaction still consumes its nonce.
                if init.depth == 0 {
                    let journal = &mut self.inner.ctx.journaled_state;
                    journal
                        .load_account_mut(inputs.caller())
                        .map_err(ContextError::Db)?
                        .data
                        .bump_nonce();
                }
                let gas =
                    Gas::new_with_regular_gas_and_reservoir(inputs.gas_limit(), inputs.reservoir());
                let mut outcome = CreateOutcome::new(
                    InterpreterResult::new(InstructionResult::Revert, data, gas),
                    None,
                );
                outcome.charged_create_state_gas = inputs.charged_create_state_gas();
                Ok(Some(FrameResult::Create(outcome)))
            }
            FrameInput::Call(inputs) => {
                let gas =
                    Gas::new_with_regular_gas_and_reservoir(inputs.gas_limit, inputs.reservoir);
                let mut outcome = CallOutcome::new(
                    InterpreterResult::new(InstructionResult::Revert, data, gas),
                    inputs.return_memory_offset.clone(),
                );
                outcome.charged_new_account_state_gas = inputs.charged_new_account_state_gas;
                Ok(Some(FrameResult::Call(outcome)))
            }
            // Never created by revm; nothing to deny.
            FrameInput::Empty => Ok(None),
        }
    }
}

impl<'a, V: StateView> EvmTr for Executor<'a, V> {
    type Context = Ctx<'a, V>;
    type Instructions = Instructions<'a, V>;
    type Precompiles = Precompiles<'a>;
    type Frame = EthFrame;

    fn all(
        &self,
    ) -> (
        &Self::Context,
        &Self::Instructions,
        &Self::Precompiles,
        &FrameStack<Self::Frame>,
    ) {
        self.inner.all()
    }

    fn all_mut(
        &mut self,
    ) -> (
        &mut Self::Context,
        &mut Self::Instructions,
        &mut Self::Precompiles,
        &mut FrameStack<Self::Frame>,
    ) {
        self.inner.all_mut()
    }

    fn frame_init(&mut self, init: FrameInit) -> Result<FrameInitResult<'_, EthFrame>, DbErr> {
        if let Some(denied) = self.check_frame(&init)? {
            return Ok(ItemOrResult::Result(denied));
        }
        self.inner.frame_init(init)
    }

    fn frame_run(&mut self) -> Result<FrameInitOrResult<EthFrame>, DbErr> {
        let Some(data) = &self.abort else {
            return self.inner.frame_run();
        };
        // The transaction was denied in a frame below this one: revert this frame too,
        // without running any more of its code.
        let frame = self.inner.frame_stack.get();
        let result = InterpreterResult::new(
            InstructionResult::Revert,
            data.clone(),
            frame.interpreter.gas,
        );
        let outcome = frame.process_next_action::<_, DbErr>(
            &mut self.inner.ctx,
            InterpreterAction::Return(result),
        );
        if let Ok(ItemOrResult::Result(_)) = &outcome {
            frame.set_finished(true);
        }
        outcome
    }

    fn frame_return_result(&mut self, result: FrameResult) -> Result<Option<FrameResult>, DbErr> {
        self.inner.frame_return_result(result)
    }
}

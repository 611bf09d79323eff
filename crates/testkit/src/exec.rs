//! Running transactions block by block on a chain spec's genesis state, without
//! consensus: the executor, the system modules and the state commitment, exactly as a
//! validator runs them. Module tests use it to call precompiles through their ABI.

use std::sync::Arc;

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_sol_types::SolCall;
use entente_chainspec::ChainSpec;
use entente_consensus::genesis_diff;
use entente_execution::{BlockBuilder, BlockEnv, CallOutcome, CallRequest, NoHashes, TxRejection};
use entente_modules::EntenteModules;
use entente_primitives::{LocalSigner, Receipt, RecoveredTx};
use entente_storage::{PendingState, StateAt, StateBase, Store};

/// A chain without consensus: each [`Executor::block`] executes and stacks one block.
pub struct Executor {
    pub spec: Arc<ChainSpec>,
    store: Store,
    base: StateBase,
    height: u64,
    nonces: std::collections::BTreeMap<Address, u64>,
}

impl Executor {
    pub fn new(spec: ChainSpec) -> Self {
        spec.validate().expect("test chain spec is valid");
        let store = Store::in_memory();
        let diff = genesis_diff(&spec);
        let (_, tree) = store
            .state_root_after(&StateBase::empty(), &diff)
            .expect("genesis root");
        let base = StateBase {
            committed: None,
            pending: Some(Arc::new(PendingState {
                version: 0,
                diff,
                tree,
                parent: None,
            })),
        };
        Self {
            spec: Arc::new(spec),
            store,
            base,
            height: 0,
            nonces: Default::default(),
        }
    }

    pub fn height(&self) -> u64 {
        self.height
    }

    /// The state after the last block.
    pub fn state(&self) -> StateAt {
        self.store.view(&self.base)
    }

    fn env(&self) -> BlockEnv {
        BlockEnv {
            number: self.height + 1,
            timestamp_secs: 1_000 + self.height,
            coinbase: Address::ZERO,
            gas_limit: self.spec.gas.block_gas_limit,
            base_fee: self.spec.gas.min_gas_price,
            prevrandao: B256::ZERO,
            chain_id: self.spec.chain_id,
        }
    }

    /// Executes one block of `txs`; returns each transaction's receipt or rejection.
    pub fn block(&mut self, txs: &[RecoveredTx]) -> Vec<Result<Receipt, TxRejection>> {
        let view = self.store.view(&self.base);
        let env = self.env();
        let mut builder = BlockBuilder::new(view, env, &NoHashes, &EntenteModules);
        let results: Vec<_> = txs.iter().map(|tx| builder.try_push(tx).cloned()).collect();
        // A rejected transaction did not use its nonce: hand it out again.
        for (tx, result) in txs.iter().zip(&results) {
            if result.is_err() {
                let next = self.nonces.entry(tx.sender).or_default();
                *next = (*next).min(tx.nonce());
            }
        }
        let outcome = builder.finish();
        let (_, tree) = self
            .store
            .state_root_after(&self.base, &outcome.diff)
            .expect("state root");
        self.height += 1;
        self.base = StateBase {
            committed: None,
            pending: Some(Arc::new(PendingState {
                version: self.height,
                diff: outcome.diff,
                tree,
                parent: self.base.pending.clone(),
            })),
        };
        results
    }

    /// Runs `blocks` empty blocks (to let time pass).
    pub fn skip(&mut self, blocks: u64) {
        for _ in 0..blocks {
            self.block(&[]);
        }
    }

    /// Signs a call from `from` to `to` with the next nonce this executor tracks.
    pub fn tx(&mut self, from: &LocalSigner, to: Option<Address>, input: Vec<u8>) -> RecoveredTx {
        self.tx_with_value(from, to, input, U256::ZERO)
    }

    /// [`Self::tx`] carrying `value` wei.
    pub fn tx_with_value(
        &mut self,
        from: &LocalSigner,
        to: Option<Address>,
        input: Vec<u8>,
        value: U256,
    ) -> RecoveredTx {
        let nonce = self.nonces.entry(from.address()).or_insert(0);
        let tx = from
            .sign(TxEip1559 {
                chain_id: self.spec.chain_id,
                nonce: *nonce,
                gas_limit: 5_000_000,
                max_fee_per_gas: 0,
                max_priority_fee_per_gas: 0,
                to: to.map_or(TxKind::Create, TxKind::Call),
                value,
                access_list: Default::default(),
                input: Bytes::from(input),
            })
            .expect("test keys sign");
        *nonce += 1;
        tx
    }

    /// Sends `value` wei from `from` to `to` in its own block.
    pub fn pay(
        &mut self,
        from: &LocalSigner,
        to: Address,
        value: U256,
    ) -> Result<Receipt, TxRejection> {
        let tx = self.tx_with_value(from, Some(to), Vec::new(), value);
        self.block(&[tx]).remove(0)
    }

    /// Sends one ABI call in its own block; returns the receipt or the rejection.
    pub fn send<C: SolCall>(
        &mut self,
        from: &LocalSigner,
        to: Address,
        call: C,
    ) -> Result<Receipt, TxRejection> {
        let tx = self.tx(from, Some(to), call.abi_encode());
        self.block(&[tx]).remove(0)
    }

    /// A read-only call at the current state.
    pub fn call<C: SolCall>(&self, from: Address, to: Address, call: C) -> CallOutcome {
        entente_execution::call(
            self.state(),
            &self.env(),
            &NoHashes,
            &EntenteModules,
            CallRequest {
                from: Some(from),
                to: Some(to),
                gas: Some(10_000_000),
                gas_price: None,
                value: None,
                input: Bytes::from(call.abi_encode()),
                nonce: None,
            },
        )
        .expect("call executes")
    }

    /// A read-only call decoded with the call's return type.
    pub fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        let outcome = self.call(Address::ZERO, to, call);
        assert!(outcome.success, "view reverted: {}", outcome.output);
        C::abi_decode_returns(&outcome.output).expect("view output decodes")
    }
}

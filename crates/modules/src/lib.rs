//! Entente's system modules: native Rust contracts at reserved addresses with Solidity
//! ABIs, state in their own EVM storage and events as EVM logs, plus the admission and
//! per-frame checks they impose. Every module has the same shape (`abi`, `state`,
//! `logic`, `precompile`, then `genesis` and the checks it needs); learning one teaches
//! all of them.
//!
//! - [`slots`]: typed access to a module's storage slots.
//! - [`governance`]: registries, permissioning and the governance committee.
//! - [`evidence`]: evidence preservation (signed content digests, chain of custody).
//! - [`assets`]: native fungible assets, each an ERC-20 at its own address.
//! - [`supervision`]: regulator freezes, lifts and forced transfers, enforced per frame.
//! - [`trace`]: product traceability and anti-counterfeit verification.
//! - [`EntenteModules`]: the [`SystemModules`] the node executes with.

pub mod assets;
mod entry;
pub mod evidence;
pub mod governance;
pub mod slots;
pub mod supervision;
pub mod trace;

use alloy_primitives::{Address, B256, Bytes, U256, address, keccak256};
use entente_chainspec::ChainSpec;
use entente_execution::{
    BlockEnv, Denial, FrameCheck, MODULE_ACCOUNT_CODE, ModuleCall, ModuleHalt, ModuleHost,
    ModuleOutput, SystemModules, TxRejection,
};
use entente_primitives::RecoveredTx;
use entente_storage::{Account, StateDiff, StateView};

/// The governance module's address.
pub const GOVERNANCE_ADDRESS: Address = address!("0x0000000000000000000000000000000000e17e01");

/// The evidence module's address (defined with its ABI, which the offline verifier shares).
pub const EVIDENCE_ADDRESS: Address = entente_verify::evidence::abi::EVIDENCE_ADDRESS;

/// The asset registry's address (each asset has its own, see [`assets::asset_address`]).
pub const ASSETS_ADDRESS: Address = assets::ASSETS_ADDRESS;

/// The supervision module's address.
pub const SUPERVISION_ADDRESS: Address = supervision::SUPERVISION_ADDRESS;

/// The trace module's address.
pub const TRACE_ADDRESS: Address = trace::TRACE_ADDRESS;

/// Every module address, for explorers and tests.
pub const MODULE_ADDRESSES: [Address; 5] = [
    GOVERNANCE_ADDRESS,
    EVIDENCE_ADDRESS,
    ASSETS_ADDRESS,
    SUPERVISION_ADDRESS,
    TRACE_ADDRESS,
];

/// The modules a node executes with.
#[derive(Clone, Copy, Debug, Default)]
pub struct EntenteModules;

impl SystemModules for EntenteModules {
    fn authorize(
        &self,
        state: &dyn StateView,
        tx: &RecoveredTx,
        env: &BlockEnv,
    ) -> Result<(), TxRejection> {
        governance::permissions::authorize(state, tx)?;
        supervision::enforce::check_transaction(state, tx, env.number)
    }

    fn check_call(&self, state: &dyn StateView, frame: &FrameCheck<'_>) -> Result<(), Denial> {
        supervision::enforce::check_frame(state, frame)
    }

    fn is_module(&self, address: &Address) -> bool {
        MODULE_ADDRESSES.contains(address) || assets::asset_number(address).is_some()
    }

    fn call(
        &self,
        call: &ModuleCall<'_>,
        host: &mut dyn ModuleHost,
    ) -> Result<ModuleOutput, ModuleHalt> {
        if call.address == GOVERNANCE_ADDRESS {
            return governance::precompile::call(call, host);
        }
        if call.address == EVIDENCE_ADDRESS {
            return evidence::precompile::call(call, host);
        }
        if call.address == SUPERVISION_ADDRESS {
            return supervision::precompile::call(call, host);
        }
        if call.address == TRACE_ADDRESS {
            return trace::precompile::call(call, host);
        }
        if call.address == ASSETS_ADDRESS {
            return assets::precompile::registry_call(call, host);
        }
        if assets::asset_number(&call.address).is_some() {
            return assets::precompile::asset_call(call, host);
        }
        Ok(ModuleOutput::Revert(Bytes::new()))
    }
}

/// Why the genesis state of the modules could not be built.
#[derive(Debug, thiserror::Error)]
#[error("module genesis: {0}")]
pub struct GenesisError(String);

/// Adds every module's genesis state (module accounts with their marker code, and their
/// storage) to `diff`. The evidence, asset and trace modules start with empty storage.
pub fn add_genesis_state(spec: &ChainSpec, diff: &mut StateDiff) -> Result<(), GenesisError> {
    let code = Bytes::from_static(MODULE_ACCOUNT_CODE);
    let code_hash: B256 = keccak256(&code);
    diff.codes.insert(code_hash, code);
    let governance =
        governance::genesis::genesis_slots(spec).map_err(|e| GenesisError(e.to_string()))?;
    for address in MODULE_ADDRESSES {
        diff.accounts.insert(
            address,
            Some(Account {
                nonce: 1,
                balance: U256::ZERO,
                code_hash,
            }),
        );
    }
    diff.storage.insert(GOVERNANCE_ADDRESS, governance.slots);
    Ok(())
}

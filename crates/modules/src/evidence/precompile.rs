//! The evidence precompile: decodes an ABI call, runs the rule in [`super::logic`]
//! against the module's storage and the governance registry, and encodes the result, the
//! events or the typed error.

use alloy_primitives::{B256, Bytes, U256};
use alloy_sol_types::{SolCall as _, SolError as _};
use entente_execution::{ModuleCall, ModuleHalt, ModuleHost, ModuleOutput};

use super::{
    abi::{IEvidence, IEvidence::IEvidenceCalls as Calls},
    logic::{self, Caller, Events, EvidenceError},
    state::EvidenceStore,
};
use crate::{
    GOVERNANCE_ADDRESS,
    governance::state::GovStore,
    slots::{SharedHost, SlotError, Slots},
};

/// Gas charged for decoding and dispatch, on top of metered storage and logs.
const GAS_BASE: u64 = 2_000;
/// Recovering the submitter from the signature (as the `ecrecover` precompile costs).
const GAS_RECOVER: u64 = 3_000;
/// Hashing the record, per 32-byte word of calldata (as `KECCAK256` costs), plus a base.
const GAS_HASH_BASE: u64 = 30;
const GAS_HASH_WORD: u64 = 6;

/// The ABI revert data of an evidence error.
pub fn revert_data(err: &EvidenceError) -> Bytes {
    let encoded = match err {
        EvidenceError::Unauthorized { caller, reason } => IEvidence::Unauthorized {
            caller: *caller,
            reason: reason.clone(),
        }
        .abi_encode(),
        EvidenceError::NotFound(what) => IEvidence::NotFound { what: what.clone() }.abi_encode(),
        EvidenceError::AlreadyDeposited(id) => IEvidence::AlreadyDeposited { id: *id }.abi_encode(),
        EvidenceError::InvalidInput(reason) => IEvidence::InvalidInput {
            reason: reason.clone(),
        }
        .abi_encode(),
        EvidenceError::UnsupportedAlg(alg) => IEvidence::UnsupportedAlg { alg: *alg }.abi_encode(),
        EvidenceError::InvalidDigestLength { alg, length } => IEvidence::InvalidDigestLength {
            alg: *alg,
            length: U256::from(*length),
        }
        .abi_encode(),
        EvidenceError::BadSubmitterSig => IEvidence::BadSubmitterSig {}.abi_encode(),
        EvidenceError::Slot(err) => IEvidence::InvalidInput {
            reason: err.to_string(),
        }
        .abi_encode(),
    };
    Bytes::from(encoded)
}

/// Runs one call to the evidence module.
pub fn call(call: &ModuleCall<'_>, host: &mut dyn ModuleHost) -> Result<ModuleOutput, ModuleHalt> {
    let decoded = match crate::entry::decode_call::<Calls>(call, host, GAS_BASE, "evidence")? {
        Ok(decoded) => decoded,
        Err(reason) => {
            return Ok(ModuleOutput::Revert(revert_data(
                &EvidenceError::InvalidInput(reason),
            )));
        }
    };
    if matches!(decoded, Calls::deposit(_)) {
        let words = (call.input.len() as u64).div_ceil(32);
        host.charge(GAS_RECOVER + GAS_HASH_BASE + GAS_HASH_WORD.saturating_mul(words))?;
    }
    let caller = Caller {
        address: call.caller,
        origin: call.origin,
        chain_id: call.chain_id,
        height: call.block_number,
        timestamp_secs: call.timestamp_secs,
    };
    let shared = SharedHost::new(host);
    let mut own = shared.own();
    let mut registry = shared.at(GOVERNANCE_ADDRESS);
    let mut events = Events::new();
    let result = dispatch(
        &mut EvidenceStore { s: &mut own },
        &mut GovStore { s: &mut registry },
        &caller,
        decoded,
        &mut events,
    );
    match result {
        Ok(output) => {
            for event in events {
                shared.emit(event)?;
            }
            Ok(ModuleOutput::Return(output))
        }
        Err(EvidenceError::Slot(SlotError::Halt(halt))) => Err(halt),
        Err(EvidenceError::Slot(SlotError::Storage(_))) => Err(ModuleHalt::Storage),
        Err(err) => Ok(ModuleOutput::Revert(revert_data(&err))),
    }
}

fn dispatch<S: Slots, G: Slots>(
    store: &mut EvidenceStore<'_, S>,
    gov: &mut GovStore<'_, G>,
    caller: &Caller,
    call: Calls,
    events: &mut Events,
) -> Result<Bytes, EvidenceError> {
    use IEvidence as E;
    let out: Vec<u8> = match call {
        Calls::deposit(c) => {
            let id = logic::deposit(store, gov, caller, &c, events)?;
            E::depositCall::abi_encode_returns(&id)
        }
        Calls::annotate(c) => {
            logic::annotate(store, gov, caller, c.id, c.noteHash, events)?;
            Vec::new()
        }
        Calls::getEvidence(c) => {
            let info = store
                .info(&c.id)?
                .ok_or_else(|| EvidenceError::NotFound(format!("evidence {}", c.id)))?;
            E::getEvidenceCall::abi_encode_returns(&info)
        }
        Calls::evidenceIdOf(c) => {
            let id = logic::evidence_id_of(store, caller.chain_id, &c.submitter, &c.sha256Digest)?;
            E::evidenceIdOfCall::abi_encode_returns(&id.unwrap_or(B256::ZERO))
        }
        Calls::evidenceCount(_) => E::evidenceCountCall::abi_encode_returns(&store.count()?),
    };
    Ok(Bytes::from(out))
}

//! The trace precompile: decodes an ABI call, runs the rule in [`super::logic`] against
//! the module's storage and the governance registry, and encodes the result, the events
//! or the typed error.

use alloy_primitives::Bytes;
use alloy_sol_types::{SolCall as _, SolError as _};
use entente_execution::{ModuleCall, ModuleHalt, ModuleHost, ModuleOutput};

use super::{
    abi::{ITrace as I, ITrace::ITraceCalls as Calls},
    logic::{Caller, Env, TraceError},
    state::{TraceStore, auth_commit, item_key, lot_key, pallet_key},
};
use crate::{
    GOVERNANCE_ADDRESS,
    governance::state::GovStore,
    slots::{SharedHost, SlotError, Slots},
};

/// Gas charged for decoding and dispatch, on top of metered storage and logs.
const GAS_BASE: u64 = 2_000;

/// The ABI revert data of a trace error.
pub fn revert_data(err: &TraceError) -> Bytes {
    Bytes::from(match err {
        TraceError::Unauthorized { caller, reason } => I::Unauthorized {
            caller: *caller,
            reason: reason.clone(),
        }
        .abi_encode(),
        TraceError::InvalidInput(reason) => I::InvalidInput {
            reason: reason.clone(),
        }
        .abi_encode(),
        TraceError::InvalidIdentifier { value, reason } => I::InvalidIdentifier {
            value: value.clone(),
            reason: reason.clone(),
        }
        .abi_encode(),
        TraceError::NotFound(what) => I::NotFound { what: what.clone() }.abi_encode(),
        TraceError::AlreadyExists(what) => I::AlreadyExists { what: what.clone() }.abi_encode(),
        TraceError::InvalidState { subject, state } => I::InvalidState {
            subject: *subject,
            state: *state,
        }
        .abi_encode(),
        TraceError::WrongRecipient { subject, recipient } => I::WrongRecipient {
            subject: *subject,
            recipient: *recipient,
        }
        .abi_encode(),
        TraceError::ConflictOfInterest(org) => I::ConflictOfInterest { org: *org }.abi_encode(),
        TraceError::NotCleared(subject) => I::NotCleared { subject: *subject }.abi_encode(),
        TraceError::Recalled(subject) => I::Recalled { subject: *subject }.abi_encode(),
        TraceError::InContainer { subject, sscc } => I::InContainer {
            subject: *subject,
            sscc: sscc.clone(),
        }
        .abi_encode(),
        TraceError::OutOfOrder {
            subject,
            last,
            given,
        } => I::OutOfOrder {
            subject: *subject,
            last: *last,
            given: *given,
        }
        .abi_encode(),
        TraceError::TimeInFuture { given, limit } => I::TimeInFuture {
            given: *given,
            limit: *limit,
        }
        .abi_encode(),
        TraceError::Slot(err) => I::InvalidInput {
            reason: err.to_string(),
        }
        .abi_encode(),
    })
}

/// Runs one call to the trace module.
pub fn call(call: &ModuleCall<'_>, host: &mut dyn ModuleHost) -> Result<ModuleOutput, ModuleHalt> {
    let decoded = match crate::entry::decode_call::<Calls>(call, host, GAS_BASE, "trace")? {
        Ok(decoded) => decoded,
        Err(reason) => {
            return Ok(ModuleOutput::Revert(revert_data(
                &TraceError::InvalidInput(reason),
            )));
        }
    };
    let shared = SharedHost::new(host);
    let mut own = shared.own();
    let mut registry = shared.at(GOVERNANCE_ADDRESS);
    let mut env = Env::new(
        TraceStore { s: &mut own },
        GovStore { s: &mut registry },
        Caller {
            address: call.caller,
            height: call.block_number,
            time: call.timestamp_secs,
        },
    );
    let result = dispatch(&mut env, decoded);
    let events = std::mem::take(&mut env.events);
    drop(env);
    match result {
        Ok(output) => {
            for event in events {
                shared.emit(event)?;
            }
            Ok(ModuleOutput::Return(Bytes::from(output)))
        }
        Err(TraceError::Slot(SlotError::Halt(halt))) => Err(halt),
        Err(TraceError::Slot(SlotError::Storage(_))) => Err(ModuleHalt::Storage),
        Err(err) => Ok(ModuleOutput::Revert(revert_data(&err))),
    }
}

/// Runs a decoded call: the rules for writes, the views for reads.
pub fn dispatch<S: Slots, G: Slots>(
    env: &mut Env<'_, S, G>,
    call: Calls,
) -> Result<Vec<u8>, TraceError> {
    Ok(match call {
        Calls::registerPrefix(c) => {
            env.register_prefix(&c.prefix, c.org)?;
            Vec::new()
        }
        Calls::registerProduct(c) => {
            env.register_product(&c.gtin, &c.name, c.attrsHash)?;
            Vec::new()
        }
        Calls::authorizeProducer(c) => {
            env.authorize_producer(&c.gtin, c.org, c.allowed)?;
            Vec::new()
        }
        Calls::createLot(c) => {
            env.create_lot(
                &c.gtin,
                &c.lot,
                c.originCountry.0,
                c.producedAt,
                c.crossBorder,
                c.ilmdHash,
            )?;
            Vec::new()
        }
        Calls::commission(c) => {
            env.commission(&c.gtin, &c.lot, &c.serials, &c.authCommits, &c.info)?;
            Vec::new()
        }
        Calls::inspect(c) => {
            env.inspect(
                &c.gtin,
                &c.lot,
                &c.serials,
                c.pass,
                c.certificateHash,
                &c.info,
            )?;
            Vec::new()
        }
        Calls::pack(c) => {
            env.pack(&c.sscc, &c.items, &c.info)?;
            Vec::new()
        }
        Calls::unpack(c) => {
            env.unpack(&c.sscc, &c.info)?;
            Vec::new()
        }
        Calls::ship(c) => {
            env.ship(&c.items, &c.ssccs, c.to, &c.info)?;
            Vec::new()
        }
        Calls::receive(c) => {
            env.receive(&c.items, &c.ssccs, &c.info)?;
            Vec::new()
        }
        Calls::customsDeclare(c) => {
            env.customs(&c.items, &c.ssccs, c.declaration, &c.info, false)?;
            Vec::new()
        }
        Calls::customsClear(c) => {
            env.customs(&c.items, &c.ssccs, c.declaration, &c.info, true)?;
            Vec::new()
        }
        Calls::sell(c) => {
            env.sell(&c.items, &c.info)?;
            Vec::new()
        }
        Calls::recall(c) => {
            env.recall(&c.gtin, &c.lot, c.reason)?;
            Vec::new()
        }
        Calls::decommission(c) => {
            env.decommission(&c.items, &c.info)?;
            Vec::new()
        }
        Calls::verify(c) => {
            let result = env.verify(&c.gtin, &c.serial, &c.secret.0, &c.cell, c.deviceHash)?;
            I::verifyCall::abi_encode_returns(&result)
        }
        Calls::flag(c) => {
            env.flag(&c.gtin, &c.serial, c.flags, c.set, c.reason)?;
            Vec::new()
        }
        Calls::prefixOwner(c) => {
            super::logic::check_prefix(&c.prefix)?;
            I::prefixOwnerCall::abi_encode_returns(&env.store.prefix_owner(&c.prefix)?)
        }
        Calls::product(c) => I::productCall::abi_encode_returns(&env.product_view(&c.gtin)?),
        Calls::lot(c) => I::lotCall::abi_encode_returns(&env.lot_view(&c.gtin, &c.lot)?),
        Calls::item(c) => {
            let resolved = env.resolve(&c.gtin, &c.serial)?;
            I::itemCall::abi_encode_returns(&resolved.view(&c.gtin, &c.serial))
        }
        Calls::pallet(c) => I::palletCall::abi_encode_returns(&env.pallet_view(&c.sscc)?),
        Calls::authCommit(c) => {
            I::authCommitCall::abi_encode_returns(&auth_commit(&c.gtin, &c.serial, &c.secret.0))
        }
        Calls::itemKey(c) => I::itemKeyCall::abi_encode_returns(&item_key(&c.gtin, &c.serial)),
        Calls::lotKey(c) => I::lotKeyCall::abi_encode_returns(&lot_key(&c.gtin, &c.lot)),
        Calls::palletKey(c) => I::palletKeyCall::abi_encode_returns(&pallet_key(&c.sscc)),
    })
}

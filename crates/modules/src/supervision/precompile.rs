//! The supervision precompile: decodes an ABI call, runs the rule in [`super::logic`]
//! against the module's storage, the governance registry and (for forced transfers) the
//! asset's ledger, and encodes the result, the events or the typed error.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{SolCall as _, SolError as _};
use entente_execution::{ModuleCall, ModuleHalt, ModuleHost, ModuleOutput};

use super::{
    abi::{ISupervision as I, ISupervision::ISupervisionCalls as Calls},
    enforce::{Holdings, is_frozen},
    logic::{Caller, Env, LedgerAccess, SupError},
    state::{SupStore, holding_key},
};
use crate::{
    GOVERNANCE_ADDRESS,
    assets::state::Ledger,
    governance::{logic::ROLE_REGULATOR, state::GovStore},
    slots::{SharedHost, SlotError},
};

/// Gas charged for decoding and dispatch, on top of metered storage and logs.
const GAS_BASE: u64 = 2_000;

/// The ABI revert data of a supervision error.
pub fn revert_data(err: &SupError) -> Bytes {
    Bytes::from(match err {
        SupError::Unauthorized { caller, reason } => I::Unauthorized {
            caller: *caller,
            reason: reason.clone(),
        }
        .abi_encode(),
        SupError::InvalidInput(reason) => I::InvalidInput {
            reason: reason.clone(),
        }
        .abi_encode(),
        SupError::NotFound(what) => I::NotFound { what: what.clone() }.abi_encode(),
        SupError::MissingLegalBasis => I::MissingLegalBasis {}.abi_encode(),
        SupError::TargetNotFreezable { target, reason } => I::TargetNotFreezable {
            target: *target,
            reason: reason.clone(),
        }
        .abi_encode(),
        SupError::AlreadyVoted { id, member } => I::AlreadyVoted {
            proposalId: *id,
            member: *member,
        }
        .abi_encode(),
        SupError::ProposalExpired(id) => I::ProposalExpired { proposalId: *id }.abi_encode(),
        SupError::ProposalNotOpen { id, status } => I::ProposalNotOpen {
            proposalId: *id,
            status: *status,
        }
        .abi_encode(),
        SupError::ProposalAlreadyOpen(id) => {
            I::ProposalAlreadyOpen { proposalId: *id }.abi_encode()
        }
        SupError::EmergencyQuotaExceeded { member, active } => I::EmergencyQuotaExceeded {
            member: *member,
            active: *active,
        }
        .abi_encode(),
        SupError::InvalidState { id, status } => I::InvalidState {
            orderId: *id,
            status: *status,
        }
        .abi_encode(),
        SupError::AlreadyOrdinary(id) => I::AlreadyOrdinary { orderId: *id }.abi_encode(),
        SupError::NoCoveringOrder { asset, holder } => I::NoCoveringOrder {
            asset: *asset,
            holder: *holder,
        }
        .abi_encode(),
        SupError::TxAlreadyCommitted(hash) => I::TxAlreadyCommitted { txHash: *hash }.abi_encode(),
        SupError::Slot(err) => I::InvalidInput {
            reason: err.to_string(),
        }
        .abi_encode(),
    })
}

/// Asset ledgers through the call's host (writes go to the asset's own account).
struct HostLedgers<'a, 'h> {
    shared: &'a SharedHost<'h>,
}

impl LedgerAccess for HostLedgers<'_, '_> {
    fn account_nonce(&mut self, address: &Address) -> Result<u64, SlotError> {
        Ok(self.shared.account_nonce(*address)?)
    }
    fn balance(&mut self, asset: &Address, holder: &Address) -> Result<U256, SlotError> {
        let mut slots = self.shared.at(*asset);
        Ledger { s: &mut slots }.balance(holder)
    }
    fn set_balance(
        &mut self,
        asset: &Address,
        holder: &Address,
        value: U256,
    ) -> Result<(), SlotError> {
        let mut slots = self.shared.module_at(*asset);
        Ledger { s: &mut slots }.set_balance(holder, value)
    }
}

/// Runs one call to the supervision module.
pub fn call(call: &ModuleCall<'_>, host: &mut dyn ModuleHost) -> Result<ModuleOutput, ModuleHalt> {
    let decoded = match crate::entry::decode_call::<Calls>(call, host, GAS_BASE, "supervision")? {
        Ok(decoded) => decoded,
        Err(reason) => {
            return Ok(ModuleOutput::Revert(revert_data(&SupError::InvalidInput(
                reason,
            ))));
        }
    };
    let shared = SharedHost::new(host);
    let mut own = shared.own();
    let mut registry = shared.at(GOVERNANCE_ADDRESS);
    let mut env = Env {
        store: SupStore { s: &mut own },
        gov: GovStore { s: &mut registry },
        ledgers: HostLedgers { shared: &shared },
        caller: Caller {
            address: call.caller,
            height: call.block_number,
        },
        events: Vec::new(),
        foreign: Vec::new(),
    };
    let result = dispatch(&mut env, decoded);
    let (events, foreign) = (
        std::mem::take(&mut env.events),
        std::mem::take(&mut env.foreign),
    );
    drop(env);
    match result {
        Ok(output) => {
            for (address, log) in foreign {
                shared.emit_at(address, log)?;
            }
            for event in events {
                shared.emit(event)?;
            }
            Ok(ModuleOutput::Return(Bytes::from(output)))
        }
        Err(SupError::Slot(SlotError::Halt(halt))) => Err(halt),
        Err(SupError::Slot(SlotError::Storage(_))) => Err(ModuleHalt::Storage),
        Err(err) => Ok(ModuleOutput::Revert(revert_data(&err))),
    }
}

fn dispatch<S, G, L>(env: &mut Env<'_, S, G, L>, call: Calls) -> Result<Vec<u8>, SupError>
where
    S: crate::slots::Slots,
    G: crate::slots::Slots,
    L: LedgerAccess,
{
    let height = env.caller.height;
    Ok(match call {
        Calls::proposeFreeze(c) => {
            I::proposeFreezeCall::abi_encode_returns(&env.propose_freeze(&c.spec)?)
        }
        Calls::emergencyFreeze(c) => {
            I::emergencyFreezeCall::abi_encode_returns(&env.emergency_freeze(&c.spec)?)
        }
        Calls::proposeLift(c) => {
            I::proposeLiftCall::abi_encode_returns(&env.propose_lift(c.orderId)?)
        }
        Calls::proposeRatify(c) => I::proposeRatifyCall::abi_encode_returns(
            &env.propose_ratify(c.orderId, c.newExpiresAt)?,
        ),
        Calls::proposeForcedTransfer(c) => I::proposeForcedTransferCall::abi_encode_returns(
            &env.propose_forced_transfer(c.orderId, c.escrow, c.amount)?,
        ),
        Calls::vote(c) => {
            env.vote(c.proposalId, c.agree)?;
            Vec::new()
        }
        Calls::getOrder(c) => {
            let order = env
                .store
                .order(c.id)?
                .ok_or_else(|| SupError::NotFound(format!("order {}", c.id)))?;
            I::getOrderCall::abi_encode_returns(&order.abi(height))
        }
        Calls::getProposal(c) => {
            let proposal = env
                .store
                .proposal(c.id)?
                .ok_or_else(|| SupError::NotFound(format!("proposal {}", c.id)))?;
            let members = env.gov.role_count(ROLE_REGULATOR)?;
            I::getProposalCall::abi_encode_returns(&proposal.abi(height, members))
        }
        Calls::orderCount(_) => I::orderCountCall::abi_encode_returns(&env.store.order_count()?),
        Calls::proposalCount(_) => {
            I::proposalCountCall::abi_encode_returns(&env.store.proposal_count()?)
        }
        Calls::ordersOf(c) => {
            I::ordersOfCall::abi_encode_returns(&env.store.orders_of(&c.targetKey)?)
        }
        Calls::holdingKey(c) => {
            I::holdingKeyCall::abi_encode_returns(&holding_key(&c.asset, &c.holder))
        }
        Calls::isFrozen(c) => {
            let found = is_frozen(
                &mut env.store,
                c.kind,
                c.target,
                c.selector.0,
                c.asset,
                height,
            )?;
            I::isFrozenCall::abi_encode_returns(&I::isFrozenReturn {
                frozen: found.is_some(),
                orderId: found.unwrap_or_default(),
            })
        }
        Calls::frozenAmount(c) => {
            let mut holdings = Holdings {
                store: SupStore {
                    s: &mut *env.store.s,
                },
                height,
            };
            I::frozenAmountCall::abi_encode_returns(&holdings.frozen(&c.asset, &c.holder)?)
        }
    })
}

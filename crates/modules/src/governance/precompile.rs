//! The governance precompile: decodes an ABI call, runs the rule in [`super::logic`]
//! against the module's storage, and encodes the result, the events or the typed error.

use alloy_primitives::Bytes;
use alloy_sol_types::{SolCall as _, SolError as _};
use entente_execution::{ModuleCall, ModuleHalt, ModuleHost, ModuleOutput};

use super::{
    abi::{
        IGovernance, IGovernance::IGovernanceCalls as Calls, OrgInfo, ProposalInfo, ValidatorInfo,
    },
    logic::{self, Caller, Events, GovError, committee_weight, effective_status, param_u64},
    state::{GovStore, Org, OrgId, ProposalKind, params},
};
use crate::slots::{HostSlots, SlotError, Slots};

/// Gas charged for decoding and dispatch, on top of metered storage and logs.
const GAS_BASE: u64 = 2_000;

/// The ABI revert data of a governance error.
pub fn revert_data(err: &GovError) -> Bytes {
    let encoded = match err {
        GovError::Unauthorized { caller, reason } => IGovernance::Unauthorized {
            caller: *caller,
            reason: reason.clone(),
        }
        .abi_encode(),
        GovError::NotFound(what) => IGovernance::NotFound { what: what.clone() }.abi_encode(),
        GovError::AlreadyExists(what) => {
            IGovernance::AlreadyExists { what: what.clone() }.abi_encode()
        }
        GovError::InvalidInput(reason) => IGovernance::InvalidInput {
            reason: reason.clone(),
        }
        .abi_encode(),
        GovError::AlreadyVoted { id, org } => IGovernance::AlreadyVoted {
            id: *id,
            org: org.0,
        }
        .abi_encode(),
        GovError::ProposalNotOpen { id, status } => IGovernance::ProposalNotOpen {
            id: *id,
            status: *status as u8,
        }
        .abi_encode(),
        GovError::OpenProposalExists { id } => {
            IGovernance::OpenProposalExists { id: *id }.abi_encode()
        }
        GovError::Slot(err) => IGovernance::InvalidInput {
            reason: err.to_string(),
        }
        .abi_encode(),
    };
    Bytes::from(encoded)
}

/// Runs one call to the governance module.
pub fn call(call: &ModuleCall<'_>, host: &mut dyn ModuleHost) -> Result<ModuleOutput, ModuleHalt> {
    let decoded = match crate::entry::decode_call::<Calls>(call, host, GAS_BASE, "governance")? {
        Ok(decoded) => decoded,
        Err(reason) => {
            return Ok(ModuleOutput::Revert(revert_data(&GovError::InvalidInput(
                reason,
            ))));
        }
    };
    let caller = Caller {
        address: call.caller,
        height: call.block_number,
    };
    let mut slots = HostSlots { host };
    let mut events = Events::new();
    let result = dispatch(
        &mut GovStore { s: &mut slots },
        &caller,
        decoded,
        &mut events,
    );
    match result {
        Ok(output) => {
            for event in events {
                slots.host.emit(event)?;
            }
            Ok(ModuleOutput::Return(output))
        }
        Err(GovError::Slot(SlotError::Halt(halt))) => Err(halt),
        Err(GovError::Slot(SlotError::Storage(_))) => Err(ModuleHalt::Storage),
        Err(err) => Ok(ModuleOutput::Revert(revert_data(&err))),
    }
}

fn org_info(org: Org) -> OrgInfo {
    OrgInfo {
        id: org.id.0,
        name: org.name,
        admin: org.admin,
        status: org.status as u8,
        weight: org.weight,
    }
}

fn dispatch<S: Slots>(
    store: &mut GovStore<'_, S>,
    caller: &Caller,
    call: Calls,
    events: &mut Events,
) -> Result<Bytes, GovError> {
    use IGovernance as G;
    let out: Vec<u8> = match call {
        Calls::orgs(_) => {
            let mut orgs = Vec::new();
            for id in store.org_ids()? {
                if let Some(org) = store.org(&id)? {
                    orgs.push(org_info(org));
                }
            }
            G::orgsCall::abi_encode_returns(&orgs)
        }
        Calls::getOrg(c) => {
            let org = store.org(&OrgId(c.id))?.ok_or_else(|| {
                GovError::NotFound(format!("organisation {}", OrgId(c.id).text()))
            })?;
            G::getOrgCall::abi_encode_returns(&org_info(org))
        }
        Calls::getAccount(c) => {
            let record = store
                .account(&c.account)?
                .ok_or_else(|| GovError::NotFound(format!("account {}", c.account)))?;
            let roles = store.roles(&c.account)?;
            G::getAccountCall::abi_encode_returns(&G::getAccountReturn {
                org: record.org.0,
                status: record.status as u8,
                roles,
            })
        }
        Calls::hasRole(c) => {
            G::hasRoleCall::abi_encode_returns(&store.has_role(&c.account, &c.role)?)
        }
        Calls::validators(_) => {
            let validators: Vec<ValidatorInfo> = store
                .validators()?
                .into_iter()
                .map(|v| ValidatorInfo {
                    publicKey: v.key,
                    org: v.org.0,
                    feeRecipient: v.fee_recipient,
                    p2pAddress: v.p2p_address,
                    fromEpoch: v.from_epoch,
                    untilEpoch: v.until_epoch,
                })
                .collect();
            G::validatorsCall::abi_encode_returns(&validators)
        }
        Calls::isPermissioned(_) => G::isPermissionedCall::abi_encode_returns(
            &!store.param(params::PERMISSIONED)?.is_zero(),
        ),
        Calls::approvalPct(_) => {
            let pct = param_u64(store, params::APPROVAL_PCT, 67)? as u8;
            G::approvalPctCall::abi_encode_returns(&pct)
        }
        Calls::proposalTtlBlocks(_) => {
            let ttl = param_u64(store, params::PROPOSAL_TTL_BLOCKS, 100_000)?;
            G::proposalTtlBlocksCall::abi_encode_returns(&ttl)
        }
        Calls::registerAccount(c) => {
            logic::register_account(store, caller, c.account, &c.roles, events)?;
            Vec::new()
        }
        Calls::setAccountStatus(c) => {
            logic::set_account_status(store, caller, c.account, c.status, events)?;
            Vec::new()
        }
        Calls::grantRole(c) => {
            logic::grant_role(store, caller, c.account, &c.role, events)?;
            Vec::new()
        }
        Calls::revokeRole(c) => {
            logic::revoke_role(store, caller, c.account, &c.role, events)?;
            Vec::new()
        }
        Calls::proposeAddOrg(c) => {
            let payload = logic::payload_add_org(c.id, c.name, c.admin, c.weight);
            let id = logic::propose(store, caller, ProposalKind::AddOrg, payload, events)?;
            G::proposeAddOrgCall::abi_encode_returns(&id)
        }
        Calls::proposeSetOrgStatus(c) => {
            let payload = logic::payload_set_org_status(c.id, c.status);
            let id = logic::propose(store, caller, ProposalKind::SetOrgStatus, payload, events)?;
            G::proposeSetOrgStatusCall::abi_encode_returns(&id)
        }
        Calls::proposeAddValidator(c) => {
            let payload =
                logic::payload_add_validator(c.publicKey, c.org, c.feeRecipient, c.p2pAddress);
            let id = logic::propose(store, caller, ProposalKind::AddValidator, payload, events)?;
            G::proposeAddValidatorCall::abi_encode_returns(&id)
        }
        Calls::proposeRemoveValidator(c) => {
            let payload = logic::payload_key(c.publicKey);
            let id = logic::propose(
                store,
                caller,
                ProposalKind::RemoveValidator,
                payload,
                events,
            )?;
            G::proposeRemoveValidatorCall::abi_encode_returns(&id)
        }
        Calls::proposeAppointRegulator(c) => {
            let payload = logic::payload_account(c.account);
            let id = logic::propose(
                store,
                caller,
                ProposalKind::AppointRegulator,
                payload,
                events,
            )?;
            G::proposeAppointRegulatorCall::abi_encode_returns(&id)
        }
        Calls::proposeRemoveRegulator(c) => {
            let payload = logic::payload_account(c.account);
            let id = logic::propose(
                store,
                caller,
                ProposalKind::RemoveRegulator,
                payload,
                events,
            )?;
            G::proposeRemoveRegulatorCall::abi_encode_returns(&id)
        }
        Calls::proposeSetParam(c) => {
            let payload = logic::payload_set_param(c.key, c.value);
            let id = logic::propose(store, caller, ProposalKind::SetParam, payload, events)?;
            G::proposeSetParamCall::abi_encode_returns(&id)
        }
        Calls::vote(c) => {
            logic::vote(store, caller, c.id, c.agree, events)?;
            Vec::new()
        }
        Calls::revoke(c) => {
            logic::revoke(store, caller, c.id, events)?;
            Vec::new()
        }
        Calls::getProposal(c) => {
            let proposal = store
                .proposal(c.id)?
                .ok_or_else(|| GovError::NotFound(format!("proposal {}", c.id)))?;
            let info = ProposalInfo {
                id: proposal.id,
                kind: proposal.kind as u8,
                target: proposal.target,
                payload: proposal.payload.clone().into(),
                proposerOrg: proposal.proposer_org.0,
                createdAt: proposal.created_at,
                expiresAt: proposal.expires_at,
                status: effective_status(&proposal, caller.height) as u8,
                agreeWeight: proposal.agree,
                againstWeight: proposal.against,
                totalWeight: committee_weight(store)?,
            };
            G::getProposalCall::abi_encode_returns(&info)
        }
        Calls::proposalCount(_) => {
            G::proposalCountCall::abi_encode_returns(&store.proposal_count()?)
        }
    };
    Ok(Bytes::from(out))
}

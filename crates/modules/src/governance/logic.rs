//! The governance rules, independent of how they are called: who may register accounts
//! and grant roles, and how proposals are made, voted, passed, rejected, expired,
//! revoked and executed. Every change emits an event; every refusal is a typed error.
//!
//! A proposal passes as soon as `100 · agree ≥ pct · total` and is rejected as soon as
//! `100 · against > (100 − pct) · total`, where weights are those of the active
//! organisations; it expires after `governance.proposal_ttl_blocks` blocks. The
//! proposer's organisation votes agree automatically. Passing executes the proposal in
//! the same transaction, atomically.

use std::net::SocketAddr;

use alloy_primitives::{Address, B256, LogData, U256, keccak256};
use alloy_sol_types::{SolEvent as _, SolType, sol_data};

use super::{
    abi::IGovernance,
    state::{
        AccountRecord, AccountStatus, GovStore, Org, OrgId, OrgStatus, Proposal, ProposalKind,
        ProposalStatus, ValidatorRecord, params,
    },
};
use crate::slots::{SlotError, Slots, address_to_word};

/// System roles are granted by governance only; every other role by org admins.
pub const SYSTEM_ROLES: [&str; 1] = ["regulator"];
pub const ROLE_ADMIN: &str = "admin";
pub const ROLE_MEMBER: &str = "member";
pub const ROLE_DEPLOYER: &str = "deployer";
pub const ROLE_REGULATOR: &str = "regulator";

/// Longest role name, in bytes.
pub const ROLE_BYTES_MAX: usize = 32;
/// Most roles granted in one call.
pub const ROLES_PER_CALL_MAX: usize = 16;

/// Why a governance call was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GovError {
    #[error("{caller} is not authorised: {reason}")]
    Unauthorized { caller: Address, reason: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("organisation {org:?} already voted on proposal {id}")]
    AlreadyVoted { id: u64, org: OrgId },
    #[error("proposal {id} is not open (status {status:?})")]
    ProposalNotOpen { id: u64, status: ProposalStatus },
    #[error("proposal {id} is already open for this target")]
    OpenProposalExists { id: u64 },
    #[error(transparent)]
    Slot(#[from] SlotError),
}

/// Who calls, and when.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    pub address: Address,
    pub height: u64,
}

/// Events produced by a call, emitted by the precompile if the call succeeds.
pub type Events = Vec<LogData>;

fn unauthorized(caller: &Caller, reason: impl Into<String>) -> GovError {
    GovError::Unauthorized {
        caller: caller.address,
        reason: reason.into(),
    }
}

fn invalid(reason: impl Into<String>) -> GovError {
    GovError::InvalidInput(reason.into())
}

/// The organisation `caller` administers (active admin of an active organisation).
pub fn admin_org<S: Slots>(store: &mut GovStore<'_, S>, caller: &Caller) -> Result<Org, GovError> {
    let record = store
        .account(&caller.address)?
        .ok_or_else(|| unauthorized(caller, "not a registered account"))?;
    if record.status != AccountStatus::Active {
        return Err(unauthorized(caller, "account is suspended"));
    }
    if !store.has_role(&caller.address, ROLE_ADMIN)? {
        return Err(unauthorized(caller, "not an organisation admin"));
    }
    let org = store
        .org(&record.org)?
        .ok_or_else(|| GovError::NotFound(format!("organisation {}", record.org.text())))?;
    if org.status != OrgStatus::Active {
        return Err(unauthorized(caller, "organisation is not active"));
    }
    Ok(org)
}

fn check_role(role: &str) -> Result<(), GovError> {
    if role.is_empty() || role.len() > ROLE_BYTES_MAX {
        return Err(invalid(format!(
            "role {role:?} must be 1 to {ROLE_BYTES_MAX} bytes"
        )));
    }
    Ok(())
}

fn check_org_scoped_role(caller: &Caller, role: &str) -> Result<(), GovError> {
    check_role(role)?;
    if SYSTEM_ROLES.contains(&role) {
        return Err(unauthorized(
            caller,
            format!("{role} is granted by governance only"),
        ));
    }
    Ok(())
}

/// The account must exist and belong to `org`.
fn member_of<S: Slots>(
    store: &mut GovStore<'_, S>,
    account: &Address,
    org: &Org,
    caller: &Caller,
) -> Result<AccountRecord, GovError> {
    let record = store
        .account(account)?
        .ok_or_else(|| GovError::NotFound(format!("account {account}")))?;
    if record.org != org.id {
        return Err(unauthorized(
            caller,
            format!("{account} belongs to another organisation"),
        ));
    }
    Ok(record)
}

pub fn register_account<S: Slots>(
    store: &mut GovStore<'_, S>,
    caller: &Caller,
    account: Address,
    roles: &[String],
    events: &mut Events,
) -> Result<(), GovError> {
    let org = admin_org(store, caller)?;
    if account.is_zero() {
        return Err(invalid("the zero address cannot be registered"));
    }
    if roles.len() > ROLES_PER_CALL_MAX {
        return Err(invalid(format!(
            "at most {ROLES_PER_CALL_MAX} roles per call"
        )));
    }
    for role in roles {
        check_org_scoped_role(caller, role)?;
    }
    if store.account(&account)?.is_some() {
        return Err(GovError::AlreadyExists(format!("account {account}")));
    }
    store.put_account(
        &account,
        &AccountRecord {
            org: org.id,
            status: AccountStatus::Active,
        },
    )?;
    events.push(
        IGovernance::AccountRegistered {
            account,
            org: org.id.0,
        }
        .encode_log_data(),
    );
    for role in roles {
        if store.grant_role(&account, role)? {
            events.push(role_granted(account, role, caller.address));
        }
    }
    Ok(())
}

fn role_granted(account: Address, role: &str, by: Address) -> LogData {
    IGovernance::RoleGranted {
        account,
        role: role.to_string(),
        by,
    }
    .encode_log_data()
}

pub fn set_account_status<S: Slots>(
    store: &mut GovStore<'_, S>,
    caller: &Caller,
    account: Address,
    status: u8,
    events: &mut Events,
) -> Result<(), GovError> {
    let org = admin_org(store, caller)?;
    let status = AccountStatus::from_u8(status)
        .ok_or_else(|| invalid(format!("account status {status} (1 active, 2 suspended)")))?;
    if account == caller.address {
        return Err(unauthorized(
            caller,
            "an admin cannot change its own status",
        ));
    }
    let mut record = member_of(store, &account, &org, caller)?;
    if record.status == status {
        return Err(invalid(format!("account is already {status:?}")));
    }
    record.status = status;
    store.put_account(&account, &record)?;
    events.push(
        IGovernance::AccountStatusChanged {
            account,
            status: status as u8,
        }
        .encode_log_data(),
    );
    Ok(())
}

pub fn grant_role<S: Slots>(
    store: &mut GovStore<'_, S>,
    caller: &Caller,
    account: Address,
    role: &str,
    events: &mut Events,
) -> Result<(), GovError> {
    let org = admin_org(store, caller)?;
    check_org_scoped_role(caller, role)?;
    member_of(store, &account, &org, caller)?;
    if !store.grant_role(&account, role)? {
        return Err(GovError::AlreadyExists(format!("role {role} of {account}")));
    }
    events.push(role_granted(account, role, caller.address));
    Ok(())
}

pub fn revoke_role<S: Slots>(
    store: &mut GovStore<'_, S>,
    caller: &Caller,
    account: Address,
    role: &str,
    events: &mut Events,
) -> Result<(), GovError> {
    let org = admin_org(store, caller)?;
    check_org_scoped_role(caller, role)?;
    member_of(store, &account, &org, caller)?;
    if account == caller.address && role == ROLE_ADMIN {
        return Err(unauthorized(
            caller,
            "an admin cannot revoke its own admin role",
        ));
    }
    if !store.revoke_role(&account, role)? {
        return Err(GovError::NotFound(format!("role {role} of {account}")));
    }
    events.push(
        IGovernance::RoleRevoked {
            account,
            role: role.to_string(),
            by: caller.address,
        }
        .encode_log_data(),
    );
    Ok(())
}

/// The parameter, or its default when unset.
pub fn param_u64<S: Slots>(
    store: &mut GovStore<'_, S>,
    key: &str,
    default: u64,
) -> Result<u64, GovError> {
    let value = store.param(key)?;
    if value.is_zero() {
        return Ok(default);
    }
    Ok(u64::try_from(value).unwrap_or(u64::MAX))
}

fn epoch_at<S: Slots>(store: &mut GovStore<'_, S>, height: u64) -> Result<u64, GovError> {
    let epoch_blocks = param_u64(store, params::EPOCH_BLOCKS, 1_000)?.max(1);
    Ok(height / epoch_blocks)
}

/// Total weight of the committee (active organisations).
pub fn committee_weight<S: Slots>(store: &mut GovStore<'_, S>) -> Result<u32, GovError> {
    let mut total = 0u32;
    for id in store.org_ids()? {
        if let Some(org) = store.org(&id)?
            && org.status == OrgStatus::Active
        {
            total = total.saturating_add(org.weight);
        }
    }
    Ok(total)
}

/// A proposal's status as of `height` (an open proposal past its expiry is expired).
pub fn effective_status(proposal: &Proposal, height: u64) -> ProposalStatus {
    if proposal.status == ProposalStatus::Open && height > proposal.expires_at {
        ProposalStatus::Expired
    } else {
        proposal.status
    }
}

/// Creates a proposal, with the proposer's organisation voting agree.
pub fn propose<S: Slots>(
    store: &mut GovStore<'_, S>,
    caller: &Caller,
    kind: ProposalKind,
    payload: Vec<u8>,
    events: &mut Events,
) -> Result<u64, GovError> {
    let org = admin_org(store, caller)?;
    let target = check_proposal(store, caller, kind, &payload)?;
    if let Some(open) = store.open_proposal(kind, &target)? {
        let mut existing = store
            .proposal(open)?
            .ok_or_else(|| GovError::NotFound(format!("proposal {open}")))?;
        if effective_status(&existing, caller.height) != ProposalStatus::Expired {
            return Err(GovError::OpenProposalExists { id: open });
        }
        existing.status = ProposalStatus::Expired;
        store.put_proposal(&existing)?;
        events.push(IGovernance::ProposalExpired { id: open }.encode_log_data());
    }
    let ttl = param_u64(store, params::PROPOSAL_TTL_BLOCKS, 100_000)?;
    let id = store.proposal_count()?;
    let proposal = Proposal {
        id,
        kind,
        target,
        payload,
        proposer_org: org.id,
        created_at: caller.height,
        expires_at: caller.height.saturating_add(ttl),
        status: ProposalStatus::Open,
        agree: 0,
        against: 0,
    };
    store.put_proposal(&proposal)?;
    store.set_open_proposal(kind, &target, Some(id))?;
    events.push(
        IGovernance::ProposalCreated {
            id,
            kind: kind as u8,
            target,
            proposerOrg: org.id.0,
            expiresAt: proposal.expires_at,
        }
        .encode_log_data(),
    );
    cast_vote(store, caller, proposal, &org, true, events)?;
    Ok(id)
}

pub fn vote<S: Slots>(
    store: &mut GovStore<'_, S>,
    caller: &Caller,
    id: u64,
    agree: bool,
    events: &mut Events,
) -> Result<(), GovError> {
    let org = admin_org(store, caller)?;
    let proposal = store
        .proposal(id)?
        .ok_or_else(|| GovError::NotFound(format!("proposal {id}")))?;
    let status = effective_status(&proposal, caller.height);
    if status != ProposalStatus::Open {
        return Err(GovError::ProposalNotOpen { id, status });
    }
    if store.vote(id, &org.id)?.is_some() {
        return Err(GovError::AlreadyVoted { id, org: org.id });
    }
    cast_vote(store, caller, proposal, &org, agree, events)
}

fn cast_vote<S: Slots>(
    store: &mut GovStore<'_, S>,
    caller: &Caller,
    mut proposal: Proposal,
    org: &Org,
    agree: bool,
    events: &mut Events,
) -> Result<(), GovError> {
    store.set_vote(proposal.id, &org.id, agree)?;
    if agree {
        proposal.agree = proposal.agree.saturating_add(org.weight);
    } else {
        proposal.against = proposal.against.saturating_add(org.weight);
    }
    events.push(
        IGovernance::Voted {
            id: proposal.id,
            org: org.id.0,
            agree,
            weight: org.weight,
        }
        .encode_log_data(),
    );
    let total = u64::from(committee_weight(store)?);
    let pct = param_u64(store, params::APPROVAL_PCT, 67)?.min(100);
    if 100 * u64::from(proposal.agree) >= pct * total {
        execute(store, caller, &proposal, events)?;
        proposal.status = ProposalStatus::Executed;
        store.set_open_proposal(proposal.kind, &proposal.target, None)?;
        events.push(IGovernance::ProposalExecuted { id: proposal.id }.encode_log_data());
    } else if 100 * u64::from(proposal.against) > (100 - pct) * total {
        proposal.status = ProposalStatus::Rejected;
        store.set_open_proposal(proposal.kind, &proposal.target, None)?;
        events.push(IGovernance::ProposalRejected { id: proposal.id }.encode_log_data());
    }
    Ok(store.put_proposal(&proposal)?)
}

pub fn revoke<S: Slots>(
    store: &mut GovStore<'_, S>,
    caller: &Caller,
    id: u64,
    events: &mut Events,
) -> Result<(), GovError> {
    let org = admin_org(store, caller)?;
    let mut proposal = store
        .proposal(id)?
        .ok_or_else(|| GovError::NotFound(format!("proposal {id}")))?;
    let status = effective_status(&proposal, caller.height);
    if status != ProposalStatus::Open {
        return Err(GovError::ProposalNotOpen { id, status });
    }
    if proposal.proposer_org != org.id {
        return Err(unauthorized(
            caller,
            "only the proposing organisation may revoke",
        ));
    }
    proposal.status = ProposalStatus::Revoked;
    store.put_proposal(&proposal)?;
    store.set_open_proposal(proposal.kind, &proposal.target, None)?;
    events.push(IGovernance::ProposalRevoked { id }.encode_log_data());
    Ok(())
}

type AddOrgArgs = (
    sol_data::FixedBytes<32>,
    sol_data::String,
    sol_data::Address,
    sol_data::Uint<32>,
);
type SetOrgStatusArgs = (sol_data::FixedBytes<32>, sol_data::Uint<8>);
type AddValidatorArgs = (
    sol_data::FixedBytes<32>,
    sol_data::FixedBytes<32>,
    sol_data::Address,
    sol_data::String,
);
type KeyArgs = (sol_data::FixedBytes<32>,);
type AccountArgs = (sol_data::Address,);
type SetParamArgs = (sol_data::String, sol_data::Uint<256>);

fn decode<T: SolType>(payload: &[u8]) -> Result<T::RustType, GovError>
where
    for<'a> T::Token<'a>: alloy_sol_types::abi::TokenSeq<'a>,
{
    T::abi_decode_params(payload)
        .map_err(|err| invalid(format!("malformed proposal payload: {err}")))
}

/// Validates a proposal against the current state; returns its target.
pub fn check_proposal<S: Slots>(
    store: &mut GovStore<'_, S>,
    caller: &Caller,
    kind: ProposalKind,
    payload: &[u8],
) -> Result<B256, GovError> {
    match kind {
        ProposalKind::AddOrg => {
            let (id, name, admin, weight) = decode::<AddOrgArgs>(payload)?;
            let org = OrgId(id);
            if id.is_zero()
                || org.text().len() != id.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1)
            {
                return Err(invalid("organisation id must be 1 to 32 bytes of text"));
            }
            if name.is_empty() || name.len() > 256 {
                return Err(invalid("organisation name must be 1 to 256 bytes"));
            }
            if weight == 0 || weight > 1_000_000 {
                return Err(invalid("organisation weight must be 1 to 1,000,000"));
            }
            if admin.is_zero() {
                return Err(invalid("the admin cannot be the zero address"));
            }
            if store.org(&org)?.is_some() {
                return Err(GovError::AlreadyExists(format!(
                    "organisation {}",
                    org.text()
                )));
            }
            if store.account(&admin)?.is_some() {
                return Err(GovError::AlreadyExists(format!("account {admin}")));
            }
            Ok(id)
        }
        ProposalKind::SetOrgStatus => {
            let (id, status) = decode::<SetOrgStatusArgs>(payload)?;
            let org = OrgId(id);
            let status = OrgStatus::from_u8(status).ok_or_else(|| {
                invalid(format!(
                    "organisation status {status} (1 active, 2 suspended, 3 removed)"
                ))
            })?;
            let current = store
                .org(&org)?
                .ok_or_else(|| GovError::NotFound(format!("organisation {}", org.text())))?;
            if current.status == OrgStatus::Removed {
                return Err(invalid("a removed organisation stays removed"));
            }
            if current.status == status {
                return Err(invalid(format!("organisation is already {status:?}")));
            }
            if status != OrgStatus::Active {
                let others = committee_weight(store)?.saturating_sub(
                    if current.status == OrgStatus::Active {
                        current.weight
                    } else {
                        0
                    },
                );
                if others == 0 {
                    return Err(invalid(
                        "the last active organisation cannot be suspended or removed",
                    ));
                }
            }
            Ok(id)
        }
        ProposalKind::AddValidator => {
            let (key, org, fee_recipient, p2p) = decode::<AddValidatorArgs>(payload)?;
            if key.is_zero() {
                return Err(invalid("validator key must be an ed25519 public key"));
            }
            if p2p.parse::<SocketAddr>().is_err() {
                return Err(invalid(format!("p2p address {p2p:?} must be ip:port")));
            }
            if fee_recipient.is_zero() {
                return Err(invalid("fee recipient cannot be the zero address"));
            }
            match store.org(&OrgId(org))? {
                Some(org) if org.status == OrgStatus::Active => {}
                Some(_) => return Err(invalid("the validator's organisation is not active")),
                None => {
                    return Err(GovError::NotFound(format!(
                        "organisation {}",
                        OrgId(org).text()
                    )));
                }
            }
            if store.validator(&key)?.is_some() {
                return Err(GovError::AlreadyExists(format!("validator {key}")));
            }
            Ok(key)
        }
        ProposalKind::RemoveValidator => {
            let (key,) = decode::<KeyArgs>(payload)?;
            let record = store
                .validator(&key)?
                .ok_or_else(|| GovError::NotFound(format!("validator {key}")))?;
            if record.until_epoch != 0 {
                return Err(invalid("the validator's removal is already scheduled"));
            }
            let next = epoch_at(store, caller.height)? + 1;
            let remaining = store
                .validators()?
                .iter()
                .filter(|v| v.key != key && v.active_in(next))
                .count();
            if remaining == 0 {
                return Err(invalid("the last validator cannot be removed"));
            }
            Ok(key)
        }
        ProposalKind::AppointRegulator | ProposalKind::RemoveRegulator => {
            let (account,) = decode::<AccountArgs>(payload)?;
            let record = store
                .account(&account)?
                .ok_or_else(|| GovError::NotFound(format!("account {account}")))?;
            let is = store.has_role(&account, ROLE_REGULATOR)?;
            if kind == ProposalKind::AppointRegulator {
                if record.status != AccountStatus::Active {
                    return Err(invalid("a suspended account cannot be appointed"));
                }
                if is {
                    return Err(GovError::AlreadyExists(format!("regulator {account}")));
                }
            } else if !is {
                return Err(GovError::NotFound(format!("regulator {account}")));
            }
            Ok(B256::from(address_to_word(account)))
        }
        ProposalKind::SetParam => {
            let (key, value) = decode::<SetParamArgs>(payload)?;
            if !params::MUTABLE.contains(&key.as_str()) {
                return Err(invalid(format!(
                    "unknown parameter {key:?}; governance may set {}",
                    params::MUTABLE.join(", ")
                )));
            }
            let valid = match key.as_str() {
                params::APPROVAL_PCT => (U256::from(51)..=U256::from(100)).contains(&value),
                params::SUPERVISION_APPROVAL_PCT | params::SUPERVISION_FORCED_TRANSFER_PCT => {
                    (U256::from(50)..=U256::from(100)).contains(&value)
                }
                params::SUPERVISION_EMERGENCY_QUOTA => {
                    (U256::from(1)..=U256::from(100)).contains(&value)
                }
                params::PERMISSIONED => value <= U256::from(1),
                _ => !value.is_zero() && value <= U256::from(u64::MAX),
            };
            if !valid {
                return Err(invalid(format!("value {value} is out of range for {key}")));
            }
            Ok(keccak256(key.as_bytes()))
        }
    }
}

/// Applies a passed proposal. Re-validates first: the state may have moved since.
fn execute<S: Slots>(
    store: &mut GovStore<'_, S>,
    caller: &Caller,
    proposal: &Proposal,
    events: &mut Events,
) -> Result<(), GovError> {
    check_proposal(store, caller, proposal.kind, &proposal.payload)?;
    let next_epoch = epoch_at(store, caller.height)? + 1;
    match proposal.kind {
        ProposalKind::AddOrg => {
            let (id, name, admin, weight) = decode::<AddOrgArgs>(&proposal.payload)?;
            let org = Org {
                id: OrgId(id),
                name: name.clone(),
                admin,
                status: OrgStatus::Active,
                weight,
            };
            store.put_org(&org)?;
            events.push(
                IGovernance::OrgAdded {
                    id,
                    name,
                    admin,
                    weight,
                }
                .encode_log_data(),
            );
            store.put_account(
                &admin,
                &AccountRecord {
                    org: org.id,
                    status: AccountStatus::Active,
                },
            )?;
            events.push(
                IGovernance::AccountRegistered {
                    account: admin,
                    org: id,
                }
                .encode_log_data(),
            );
            for role in [ROLE_ADMIN, ROLE_MEMBER] {
                store.grant_role(&admin, role)?;
                events.push(role_granted(admin, role, crate::GOVERNANCE_ADDRESS));
            }
        }
        ProposalKind::SetOrgStatus => {
            let (id, status) = decode::<SetOrgStatusArgs>(&proposal.payload)?;
            let mut org = store
                .org(&OrgId(id))?
                .ok_or_else(|| GovError::NotFound(format!("organisation {}", OrgId(id).text())))?;
            org.status = OrgStatus::from_u8(status).unwrap_or(OrgStatus::Suspended);
            store.put_org(&org)?;
            events.push(IGovernance::OrgStatusChanged { id, status }.encode_log_data());
            if org.status == OrgStatus::Removed {
                for mut validator in store.validators()? {
                    if validator.org == org.id && validator.until_epoch == 0 {
                        validator.until_epoch = next_epoch;
                        store.put_validator(&validator)?;
                        events.push(
                            IGovernance::ValidatorRemoved {
                                publicKey: validator.key,
                                untilEpoch: next_epoch,
                            }
                            .encode_log_data(),
                        );
                    }
                }
            }
        }
        ProposalKind::AddValidator => {
            let (key, org, fee_recipient, p2p_address) =
                decode::<AddValidatorArgs>(&proposal.payload)?;
            store.put_validator(&ValidatorRecord {
                key,
                org: OrgId(org),
                fee_recipient,
                p2p_address,
                from_epoch: next_epoch,
                until_epoch: 0,
            })?;
            events.push(
                IGovernance::ValidatorAdded {
                    publicKey: key,
                    org,
                    fromEpoch: next_epoch,
                }
                .encode_log_data(),
            );
        }
        ProposalKind::RemoveValidator => {
            let (key,) = decode::<KeyArgs>(&proposal.payload)?;
            if let Some(mut record) = store.validator(&key)? {
                record.until_epoch = next_epoch;
                store.put_validator(&record)?;
            }
            events.push(
                IGovernance::ValidatorRemoved {
                    publicKey: key,
                    untilEpoch: next_epoch,
                }
                .encode_log_data(),
            );
        }
        ProposalKind::AppointRegulator => {
            let (account,) = decode::<AccountArgs>(&proposal.payload)?;
            store.grant_role(&account, ROLE_REGULATOR)?;
            events.push(role_granted(
                account,
                ROLE_REGULATOR,
                crate::GOVERNANCE_ADDRESS,
            ));
        }
        ProposalKind::RemoveRegulator => {
            let (account,) = decode::<AccountArgs>(&proposal.payload)?;
            store.revoke_role(&account, ROLE_REGULATOR)?;
            events.push(
                IGovernance::RoleRevoked {
                    account,
                    role: ROLE_REGULATOR.to_string(),
                    by: crate::GOVERNANCE_ADDRESS,
                }
                .encode_log_data(),
            );
        }
        ProposalKind::SetParam => {
            let (key, value) = decode::<SetParamArgs>(&proposal.payload)?;
            store.set_param(&key, value)?;
            events.push(IGovernance::ParamChanged { key, value }.encode_log_data());
        }
    }
    Ok(())
}

/// Encodes the payload of a proposal of `kind` (used by the typed `propose…` calls).
pub fn payload_add_org(id: B256, name: String, admin: Address, weight: u32) -> Vec<u8> {
    AddOrgArgs::abi_encode_params(&(id, name, admin, weight))
}

pub fn payload_set_org_status(id: B256, status: u8) -> Vec<u8> {
    SetOrgStatusArgs::abi_encode_params(&(id, status))
}

pub fn payload_add_validator(key: B256, org: B256, fee_recipient: Address, p2p: String) -> Vec<u8> {
    AddValidatorArgs::abi_encode_params(&(key, org, fee_recipient, p2p))
}

pub fn payload_key(key: B256) -> Vec<u8> {
    KeyArgs::abi_encode_params(&(key,))
}

pub fn payload_account(account: Address) -> Vec<u8> {
    AccountArgs::abi_encode_params(&(account,))
}

pub fn payload_set_param(key: String, value: U256) -> Vec<u8> {
    SetParamArgs::abi_encode_params(&(key, value))
}

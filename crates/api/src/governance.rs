//! Governance reads: the registries, parameters and proposals of the governance module as
//! committed at the head, in JSON with readable names for kinds and statuses, proposal
//! payloads decoded with the module's `sol!` types, and addresses and keys as 0x hex.

use std::collections::HashMap;

use alloy_primitives::{Address, B256};
use alloy_sol_types::SolCall as _;
use axum::{
    Json,
    extract::{Path, Query, State, rejection::QueryRejection},
};
use entente_consensus::epochs::epoch_of;
use entente_modules::{
    GOVERNANCE_ADDRESS,
    governance::{
        abi::IGovernance,
        logic::{GovError, committee_weight, effective_status, param_u64},
        state::{
            AccountStatus, GovStore, Org, OrgId, OrgStatus, Proposal, ProposalKind, ProposalStatus,
            params,
        },
    },
    slots::{SlotError, ViewSlots},
};
use entente_storage::StateBase;
use serde::Serialize;
use serde_json::{Value, json};

use crate::{ApiError, routes::ApiContext};

type Ctx = State<std::sync::Arc<ApiContext>>;
type Gov<'a, 'b> = GovStore<'a, ViewSlots<'b>>;

/// Most proposals one list request returns.
pub const PROPOSALS_LIMIT_MAX: u64 = 500;
/// Proposals returned when `limit` is not given.
pub const PROPOSALS_LIMIT_DEFAULT: u64 = 50;
/// Most proposals one list request examines while filtering by status.
const PROPOSALS_SCAN_MAX: u64 = 5_000;
/// Governance defaults, as the module applies them when a parameter is unset.
const APPROVAL_PCT_DEFAULT: u64 = 67;
const PROPOSAL_TTL_DEFAULT: u64 = 100_000;

impl From<SlotError> for ApiError {
    fn from(err: SlotError) -> Self {
        Self::Internal(format!("governance state: {err}"))
    }
}

impl From<GovError> for ApiError {
    fn from(err: GovError) -> Self {
        Self::Internal(format!("governance state: {err}"))
    }
}

/// Runs `read` over the governance state committed at the head; passes the head height.
pub(crate) fn read_committed<T>(
    ctx: &ApiContext,
    read: impl FnOnce(&mut Gov<'_, '_>, u64) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let store = ctx.chain.store();
    let head = store
        .head()?
        .ok_or_else(|| ApiError::Internal("no genesis".into()))?;
    let view = store.view(&StateBase::committed(head.height));
    let mut slots = ViewSlots {
        view: &view,
        address: GOVERNANCE_ADDRESS,
    };
    read(&mut GovStore { s: &mut slots }, head.height)
}

pub fn kind_name(kind: ProposalKind) -> &'static str {
    match kind {
        ProposalKind::AddOrg => "add_org",
        ProposalKind::SetOrgStatus => "set_org_status",
        ProposalKind::AddValidator => "add_validator",
        ProposalKind::RemoveValidator => "remove_validator",
        ProposalKind::AppointRegulator => "appoint_regulator",
        ProposalKind::RemoveRegulator => "remove_regulator",
        ProposalKind::SetParam => "set_param",
    }
}

pub const PROPOSAL_STATUSES: [&str; 5] = ["open", "executed", "rejected", "expired", "revoked"];

pub fn proposal_status_name(status: ProposalStatus) -> &'static str {
    PROPOSAL_STATUSES[status as usize - 1]
}

fn parse_proposal_status(text: &str) -> Option<ProposalStatus> {
    let index = PROPOSAL_STATUSES.iter().position(|s| *s == text)?;
    ProposalStatus::from_u8(index as u8 + 1)
}

pub const ORG_STATUSES: [&str; 3] = ["active", "suspended", "removed"];

pub fn org_status_name(status: OrgStatus) -> &'static str {
    ORG_STATUSES[status as usize - 1]
}

/// An organisation status code as a name (codes the module does not know stay numeric).
fn org_status_code(code: u8) -> String {
    OrgStatus::from_u8(code).map_or_else(|| code.to_string(), |s| org_status_name(s).into())
}

pub fn parse_org_status(text: &str) -> Option<OrgStatus> {
    let index = ORG_STATUSES.iter().position(|s| *s == text)?;
    OrgStatus::from_u8(index as u8 + 1)
}

fn account_status_name(status: AccountStatus) -> &'static str {
    match status {
        AccountStatus::Active => "active",
        AccountStatus::Suspended => "suspended",
    }
}

/// A proposal status code as a name.
pub(crate) fn proposal_status_code(code: u8) -> String {
    ProposalStatus::from_u8(code)
        .map_or_else(|| code.to_string(), |s| proposal_status_name(s).into())
}

/// An organisation id from a path: its text (`org0`) or a 0x-prefixed 32-byte word.
pub(crate) fn parse_org_id(text: &str) -> Result<OrgId, ApiError> {
    if let Some(hex) = text.strip_prefix("0x")
        && hex.len() == 64
        && let Ok(word) = hex.parse::<B256>()
    {
        return Ok(OrgId(word));
    }
    OrgId::from_text(text).ok_or_else(|| ApiError::BadRequest {
        field: "organisation id",
        reason: "1 to 32 bytes of text, or a 0x-prefixed 32-byte word".into(),
    })
}

pub(crate) fn parse_address(text: &str) -> Result<Address, ApiError> {
    if !text.starts_with("0x") || text.len() != 42 {
        return Err(ApiError::BadRequest {
            field: "address",
            reason: format!("{text:?} is not a 0x-prefixed 20-byte hex address"),
        });
    }
    text.parse().map_err(|err| ApiError::BadRequest {
        field: "address",
        reason: format!("{text:?}: {err}"),
    })
}

pub(crate) fn parse_proposal_id(text: &str) -> Result<u64, ApiError> {
    text.parse().map_err(|_| ApiError::BadRequest {
        field: "proposal id",
        reason: format!("{text:?} is not a non-negative integer"),
    })
}

#[derive(Serialize)]
pub struct OrgJson {
    /// The id as text (`org0`).
    id: String,
    name: String,
    admin: Address,
    status: &'static str,
    weight: u32,
}

impl From<Org> for OrgJson {
    fn from(org: Org) -> Self {
        Self {
            id: org.id.text(),
            name: org.name,
            admin: org.admin,
            status: org_status_name(org.status),
            weight: org.weight,
        }
    }
}

#[derive(Serialize)]
pub struct OrgList {
    height: u64,
    orgs: Vec<OrgJson>,
}

pub async fn orgs(State(ctx): Ctx) -> Result<Json<OrgList>, ApiError> {
    read_committed(&ctx, |gov, height| {
        let mut orgs = Vec::new();
        for id in gov.org_ids()? {
            if let Some(org) = gov.org(&id)? {
                orgs.push(org.into());
            }
        }
        Ok(Json(OrgList { height, orgs }))
    })
}

pub async fn org(State(ctx): Ctx, Path(id): Path<String>) -> Result<Json<OrgJson>, ApiError> {
    let org_id = parse_org_id(&id)?;
    read_committed(&ctx, |gov, _| {
        let org = gov.org(&org_id)?.ok_or_else(|| ApiError::NotFound {
            what: format!("organisation {}", org_id.text()),
        })?;
        Ok(Json(org.into()))
    })
}

#[derive(Serialize)]
pub struct AccountJson {
    address: Address,
    org: String,
    status: &'static str,
    roles: Vec<String>,
}

/// The registration of `address`, if it is a registered account.
pub(crate) fn account_json(
    gov: &mut Gov<'_, '_>,
    address: Address,
) -> Result<Option<AccountJson>, ApiError> {
    let Some(record) = gov.account(&address)? else {
        return Ok(None);
    };
    Ok(Some(AccountJson {
        address,
        org: record.org.text(),
        status: account_status_name(record.status),
        roles: gov.roles(&address)?,
    }))
}

pub async fn account(
    State(ctx): Ctx,
    Path(address): Path<String>,
) -> Result<Json<AccountJson>, ApiError> {
    let address = parse_address(&address)?;
    read_committed(&ctx, |gov, _| {
        account_json(gov, address)?
            .map(Json)
            .ok_or_else(|| ApiError::NotFound {
                what: format!("account {address}"),
            })
    })
}

#[derive(Serialize)]
pub struct ValidatorJson {
    /// ed25519 public key.
    public_key: B256,
    org: String,
    fee_recipient: Address,
    p2p_address: String,
    from_epoch: u64,
    /// First epoch in which it no longer votes; `null` when no removal is scheduled.
    until_epoch: Option<u64>,
    /// Whether it votes in the current epoch (that of the next block).
    active: bool,
}

#[derive(Serialize)]
pub struct ValidatorList {
    height: u64,
    epoch: u64,
    validators: Vec<ValidatorJson>,
}

pub async fn validators(State(ctx): Ctx) -> Result<Json<ValidatorList>, ApiError> {
    let epoch_blocks = ctx.chain.spec().consensus.epoch_blocks;
    read_committed(&ctx, |gov, height| {
        let epoch = epoch_of(height + 1, epoch_blocks);
        let validators = gov
            .validators()?
            .into_iter()
            .map(|v| ValidatorJson {
                public_key: v.key,
                org: v.org.text(),
                fee_recipient: v.fee_recipient,
                active: v.active_in(epoch),
                p2p_address: v.p2p_address,
                from_epoch: v.from_epoch,
                until_epoch: (v.until_epoch != 0).then_some(v.until_epoch),
            })
            .collect();
        Ok(Json(ValidatorList {
            height,
            epoch,
            validators,
        }))
    })
}

#[derive(Serialize)]
pub struct ParamsJson {
    height: u64,
    /// Only registered accounts may transact; only deployers create contracts.
    permissioned: bool,
    /// Share of the committee's weight that passes a proposal, in percent.
    approval_pct: u64,
    /// Blocks after which an open proposal expires.
    proposal_ttl_blocks: u64,
    /// Blocks per epoch (from the chain spec).
    epoch_blocks: u64,
}

pub async fn params(State(ctx): Ctx) -> Result<Json<ParamsJson>, ApiError> {
    let epoch_blocks = ctx.chain.spec().consensus.epoch_blocks;
    read_committed(&ctx, |gov, height| {
        Ok(Json(ParamsJson {
            height,
            permissioned: !gov.param(params::PERMISSIONED)?.is_zero(),
            approval_pct: param_u64(gov, params::APPROVAL_PCT, APPROVAL_PCT_DEFAULT)?,
            proposal_ttl_blocks: param_u64(gov, params::PROPOSAL_TTL_BLOCKS, PROPOSAL_TTL_DEFAULT)?,
            epoch_blocks,
        }))
    })
}

#[derive(Serialize)]
pub struct VotesJson {
    agree: u32,
    against: u32,
    /// Weight of the committee (the active organisations) now.
    total: u32,
    approval_pct: u64,
}

#[derive(Serialize)]
pub struct BallotJson {
    org: String,
    agree: bool,
}

#[derive(Serialize)]
pub struct ProposalJson {
    id: u64,
    kind: &'static str,
    /// As of the next block: an open proposal past its expiry reads `expired`.
    status: &'static str,
    target: B256,
    proposer_org: String,
    created_at: u64,
    expires_at: u64,
    votes: VotesJson,
    ballots: Vec<BallotJson>,
    /// The proposal's arguments, decoded (or `{"raw": "0x…"}` if undecodable).
    payload: Value,
}

/// The arguments of a proposal, decoded with the `propose…` call types.
pub fn decode_payload(kind: ProposalKind, payload: &[u8]) -> Value {
    use IGovernance as G;
    let org = |id: B256| OrgId(id).text();
    let decoded = match kind {
        ProposalKind::AddOrg => G::proposeAddOrgCall::abi_decode_raw(payload).map(
            |c| json!({ "id": org(c.id), "name": c.name, "admin": c.admin, "weight": c.weight }),
        ),
        ProposalKind::SetOrgStatus => G::proposeSetOrgStatusCall::abi_decode_raw(payload)
            .map(|c| json!({ "org": org(c.id), "status": org_status_code(c.status) })),
        ProposalKind::AddValidator => {
            G::proposeAddValidatorCall::abi_decode_raw(payload).map(|c| {
                json!({
                    "public_key": c.publicKey,
                    "org": org(c.org),
                    "fee_recipient": c.feeRecipient,
                    "p2p_address": c.p2pAddress,
                })
            })
        }
        ProposalKind::RemoveValidator => G::proposeRemoveValidatorCall::abi_decode_raw(payload)
            .map(|c| json!({ "public_key": c.publicKey })),
        ProposalKind::AppointRegulator => G::proposeAppointRegulatorCall::abi_decode_raw(payload)
            .map(|c| json!({ "account": c.account })),
        ProposalKind::RemoveRegulator => G::proposeRemoveRegulatorCall::abi_decode_raw(payload)
            .map(|c| json!({ "account": c.account })),
        ProposalKind::SetParam => G::proposeSetParamCall::abi_decode_raw(payload)
            .map(|c| json!({ "key": c.key, "value": c.value.to_string() })),
    };
    decoded.unwrap_or_else(|_| json!({ "raw": format!("0x{}", hex::encode(payload)) }))
}

fn proposal_json(
    gov: &mut Gov<'_, '_>,
    proposal: Proposal,
    height: u64,
) -> Result<ProposalJson, ApiError> {
    let mut ballots = Vec::new();
    for org in gov.org_ids()? {
        if let Some(agree) = gov.vote(proposal.id, &org)? {
            ballots.push(BallotJson {
                org: org.text(),
                agree,
            });
        }
    }
    Ok(ProposalJson {
        id: proposal.id,
        kind: kind_name(proposal.kind),
        status: proposal_status_name(effective_status(&proposal, height + 1)),
        target: proposal.target,
        proposer_org: proposal.proposer_org.text(),
        created_at: proposal.created_at,
        expires_at: proposal.expires_at,
        votes: VotesJson {
            agree: proposal.agree,
            against: proposal.against,
            total: committee_weight(gov)?,
            approval_pct: param_u64(gov, params::APPROVAL_PCT, APPROVAL_PCT_DEFAULT)?,
        },
        ballots,
        payload: decode_payload(proposal.kind, &proposal.payload),
    })
}

pub async fn proposal(
    State(ctx): Ctx,
    Path(id): Path<String>,
) -> Result<Json<ProposalJson>, ApiError> {
    let id = parse_proposal_id(&id)?;
    read_committed(&ctx, |gov, height| {
        let proposal = gov.proposal(id)?.ok_or_else(|| ApiError::NotFound {
            what: format!("proposal {id}"),
        })?;
        Ok(Json(proposal_json(gov, proposal, height)?))
    })
}

/// Which proposals a list request asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ProposalQuery {
    status: Option<ProposalStatus>,
    limit: u64,
    /// Only proposals with a smaller id (paging backwards from the newest).
    before: Option<u64>,
}

impl ProposalQuery {
    pub(crate) fn parse(query: &HashMap<String, String>) -> Result<Self, ApiError> {
        let number = |field: &'static str, text: &str| {
            text.parse::<u64>().map_err(|_| ApiError::BadRequest {
                field,
                reason: format!("{text:?} is not a non-negative integer"),
            })
        };
        let mut out = Self {
            status: None,
            limit: PROPOSALS_LIMIT_DEFAULT,
            before: None,
        };
        for (key, value) in query {
            match key.as_str() {
                "status" => {
                    out.status =
                        Some(
                            parse_proposal_status(value).ok_or_else(|| ApiError::BadRequest {
                                field: "status",
                                reason: format!(
                                    "{value:?}; use one of {}",
                                    PROPOSAL_STATUSES.join(", ")
                                ),
                            })?,
                        );
                }
                "limit" => {
                    out.limit = number("limit", value)?;
                    if out.limit == 0 || out.limit > PROPOSALS_LIMIT_MAX {
                        return Err(ApiError::BadRequest {
                            field: "limit",
                            reason: format!("must be 1 to {PROPOSALS_LIMIT_MAX}"),
                        });
                    }
                }
                "before" => out.before = Some(number("before", value)?),
                other => {
                    return Err(ApiError::BadRequest {
                        field: "query",
                        reason: format!("unknown parameter {other:?}; use status, limit or before"),
                    });
                }
            }
        }
        Ok(out)
    }
}

#[derive(Serialize)]
pub struct ProposalList {
    height: u64,
    /// Newest first.
    proposals: Vec<ProposalJson>,
    /// Pass as `before` for the next page; `null` when there is none.
    next_before: Option<u64>,
}

pub async fn proposals(
    State(ctx): Ctx,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<ProposalList>, ApiError> {
    let Query(query) = query.map_err(|err| ApiError::BadRequest {
        field: "query",
        reason: err.body_text(),
    })?;
    let query = ProposalQuery::parse(&query)?;
    read_committed(&ctx, |gov, height| {
        let count = gov.proposal_count()?;
        let mut next = query.before.unwrap_or(count).min(count);
        let mut proposals = Vec::new();
        let mut scanned = 0;
        while next > 0 && (proposals.len() as u64) < query.limit && scanned < PROPOSALS_SCAN_MAX {
            next -= 1;
            scanned += 1;
            let Some(proposal) = gov.proposal(next)? else {
                continue;
            };
            let status = effective_status(&proposal, height + 1);
            if query.status.is_none_or(|wanted| wanted == status) {
                proposals.push(proposal_json(gov, proposal, height)?);
            }
        }
        Ok(Json(ProposalList {
            height,
            proposals,
            next_before: (next > 0).then_some(next),
        }))
    })
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;
    use entente_modules::governance::logic;

    use super::*;

    #[test]
    fn names_round_trip() {
        for code in 1..=5u8 {
            let status = ProposalStatus::from_u8(code).unwrap();
            assert_eq!(
                parse_proposal_status(proposal_status_name(status)),
                Some(status)
            );
        }
        for code in 1..=3u8 {
            let status = OrgStatus::from_u8(code).unwrap();
            assert_eq!(parse_org_status(org_status_name(status)), Some(status));
        }
        assert_eq!(proposal_status_code(9), "9");
    }

    #[test]
    fn payloads_decode_with_the_module_encoding() {
        let payload = logic::payload_set_param("governance.approval_pct".into(), U256::from(75));
        assert_eq!(
            decode_payload(ProposalKind::SetParam, &payload),
            json!({ "key": "governance.approval_pct", "value": "75" })
        );
        let id = OrgId::from_text("acme").unwrap();
        let admin = Address::repeat_byte(0x11);
        let payload = logic::payload_add_org(id.0, "Acme".into(), admin, 3);
        assert_eq!(
            decode_payload(ProposalKind::AddOrg, &payload),
            json!({ "id": "acme", "name": "Acme", "admin": admin, "weight": 3 })
        );
        let payload = logic::payload_set_org_status(id.0, 2);
        assert_eq!(
            decode_payload(ProposalKind::SetOrgStatus, &payload),
            json!({ "org": "acme", "status": "suspended" })
        );
        assert_eq!(
            decode_payload(ProposalKind::AppointRegulator, &[1, 2]),
            json!({ "raw": "0x0102" })
        );
    }

    #[test]
    fn path_and_query_parameters_are_checked() {
        assert!(parse_address("0x12").is_err());
        assert!(parse_address("1111111111111111111111111111111111111111").is_err());
        assert!(parse_address("0xzz11111111111111111111111111111111111111").is_err());
        assert_eq!(
            parse_address("0x1111111111111111111111111111111111111111").unwrap(),
            Address::repeat_byte(0x11)
        );
        assert!(parse_proposal_id("abc").is_err() && parse_proposal_id("-1").is_err());
        assert_eq!(
            parse_org_id("org0").unwrap(),
            OrgId::from_text("org0").unwrap()
        );
        assert!(parse_org_id(&"x".repeat(33)).is_err());
        let query = |pairs: &[(&str, &str)]| {
            ProposalQuery::parse(
                &pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        assert_eq!(
            query(&[("status", "open"), ("limit", "5")]).unwrap(),
            ProposalQuery {
                status: Some(ProposalStatus::Open),
                limit: 5,
                before: None
            }
        );
        assert!(query(&[("status", "opened")]).is_err());
        assert!(query(&[("limit", "0")]).is_err());
        assert!(query(&[("limit", "501")]).is_err());
        assert!(query(&[("colour", "red")]).is_err());
    }
}

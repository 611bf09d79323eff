//! Supervision: the regulator committee's orders and proposals as committed at the head,
//! whether a target is frozen, the audit trail of a target (every supervision event that
//! concerns it, from the chain's logs), why a transaction was denied (the revert data kept
//! in its receipt), and the committee's writes through the gateway. Codes are named:
//! target kinds, directions, reasons and statuses as in docs/supervision.md.
//!
//! "Active" and proposal statuses are as of the next block (the one a transaction sent
//! now would run in): an order whose `expires_at` is that block reads as expired.

use std::{collections::HashMap, sync::Arc};

use alloy_primitives::{Address, B256, FixedBytes, U256};
use alloy_sol_types::{SolCall as _, SolEvent as _, SolEventInterface as _, SolInterface as _};
use axum::{
    Json,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::{HeaderMap, StatusCode},
};
use entente_modules::{
    GOVERNANCE_ADDRESS, SUPERVISION_ADDRESS,
    governance::{
        logic::ROLE_REGULATOR,
        state::{GovStore, params},
    },
    slots::{SlotError, ViewSlots},
    supervision::{
        abi::{
            FreezeSpec,
            ISupervision::{self, ISupervisionErrors, ISupervisionEvents},
            Order,
        },
        enforce::{Holdings, is_frozen},
        logic::{
            DEFAULT_APPROVAL_PCT, DEFAULT_EMERGENCY_QUOTA, DEFAULT_EMERGENCY_TTL,
            DEFAULT_FORCED_TRANSFER_PCT, DEFAULT_PROPOSAL_TTL,
        },
        names::{
            DIRECTIONS, ORDER_STATUSES, PROPOSAL_KINDS, PROPOSAL_STATUSES, REASONS, TARGET_KINDS,
            code_of, name,
        },
        state::{
            KIND_ACCOUNT, KIND_HOLDING, KIND_METHOD, KIND_PENDING_TX, OrderRecord,
            PROPOSAL_FORCED_TRANSFER, PROPOSAL_FREEZE, PROPOSAL_RATIFY, ProposalRecord,
            STATUS_ACTIVE, SupStore, address_target, holding_key,
        },
    },
};
use entente_storage::{LogEntry, LogFilter, StateBase, StorageError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::{
    ApiError,
    gateway::{self, Quantity, Submitted},
    routes::ApiContext,
};

type Ctx = State<Arc<ApiContext>>;
type Sup<'a, 'b> = SupStore<'a, ViewSlots<'b>>;
type Gov<'a, 'b> = GovStore<'a, ViewSlots<'b>>;

/// Orders returned by one listing without a target when `limit` is not given.
pub const ORDERS_LIMIT_DEFAULT: u64 = 50;
/// Most orders one listing without a target returns.
pub const ORDERS_LIMIT_MAX: u64 = 500;
/// Most log entries one history query gathers (per event group).
const HISTORY_EVENTS_MAX: usize = 10_000;

// ---------------------------------------------------------------------------------------
// Names.

fn bad(field: &'static str, reason: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        field,
        reason: reason.into(),
    }
}

fn one_of(table: &[&str]) -> String {
    table.join(", ")
}

pub(crate) fn parse_kind(text: &str) -> Result<u8, ApiError> {
    code_of(&TARGET_KINDS, text).ok_or_else(|| {
        bad(
            "kind",
            format!("{text:?}; use one of {}", one_of(&TARGET_KINDS)),
        )
    })
}

pub(crate) fn parse_reason(text: &str) -> Result<u16, ApiError> {
    code_of(&REASONS, text).map(u16::from).ok_or_else(|| {
        bad(
            "reason",
            format!("{text:?}; use one of {}", one_of(&REASONS)),
        )
    })
}

/// `outbound` (or `out`), `inbound` (or `in`), `both`.
pub(crate) fn parse_direction(text: &str) -> Result<u8, ApiError> {
    let full = match text {
        "out" => "outbound",
        "in" => "inbound",
        other => other,
    };
    code_of(&DIRECTIONS, full).ok_or_else(|| {
        bad(
            "direction",
            format!("{text:?}; use outbound, inbound or both"),
        )
    })
}

/// `0x` and exactly `bytes` bytes of hex.
fn hex_exact(field: &'static str, text: &str, bytes: usize) -> Result<Vec<u8>, ApiError> {
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| bad(field, format!("{text:?} is not 0x-prefixed hex")))?;
    let decoded =
        hex::decode(digits).map_err(|err| bad(field, format!("{text:?} is not hex: {err}")))?;
    if decoded.len() != bytes {
        return Err(bad(
            field,
            format!("{text:?} has {} bytes, expected {bytes}", decoded.len()),
        ));
    }
    Ok(decoded)
}

pub(crate) fn parse_address(field: &'static str, text: &str) -> Result<Address, ApiError> {
    hex_exact(field, text, 20).map(|bytes| Address::from_slice(&bytes))
}

pub(crate) fn parse_word(field: &'static str, text: &str) -> Result<B256, ApiError> {
    hex_exact(field, text, 32).map(|bytes| B256::from_slice(&bytes))
}

pub(crate) fn parse_selector(text: &str) -> Result<FixedBytes<4>, ApiError> {
    hex_exact("selector", text, 4).map(|bytes| FixedBytes::from_slice(&bytes))
}

fn parse_id(field: &'static str, text: &str) -> Result<u64, ApiError> {
    text.parse()
        .map_err(|_| bad(field, format!("{text:?} is not a non-negative integer")))
}

/// The target of a kind: an address for accounts, contracts, methods and holders, the
/// transaction hash for `tx`; as the module's left-padded `bytes32`.
pub(crate) fn parse_target(kind: u8, text: &str) -> Result<B256, ApiError> {
    if kind == KIND_PENDING_TX {
        return parse_word("target", text).map_err(|_| {
            bad(
                "target",
                format!("{text:?}: a tx target is a 0x-prefixed 32-byte transaction hash"),
            )
        });
    }
    parse_address("target", text)
        .map(|address| address_target(&address))
        .map_err(|_| {
            bad(
                "target",
                format!(
                    "{text:?}: a {} target is a 0x-prefixed 20-byte address",
                    name(&TARGET_KINDS, kind)
                ),
            )
        })
}

/// A target key from `target` (an address or a 32-byte word) and, for a holding, `asset`.
pub(crate) fn parse_target_key(target: &str, asset: Option<&str>) -> Result<B256, ApiError> {
    let word = if target.len() == 42 {
        address_target(&parse_address("target", target)?)
    } else {
        parse_word("target", target).map_err(|_| {
            bad(
                "target",
                format!("{target:?} is neither a 0x-prefixed 20-byte address nor a 32-byte hash"),
            )
        })?
    };
    match asset {
        None => Ok(word),
        Some(_) if word[..12] != [0; 12] => Err(bad(
            "asset",
            "a holding is named by its holder's address (target) and the asset",
        )),
        Some(asset) => Ok(holding_key(
            &parse_address("asset", asset)?,
            &Address::from_slice(&word[12..]),
        )),
    }
}

fn amount_text(amount: U256) -> Value {
    if amount.is_zero() {
        json!("all")
    } else {
        json!(amount.to_string())
    }
}

/// A `bytes32` target, readable: a transaction hash for `tx` orders, else the address.
pub fn target_value(kind: Option<u8>, target: &B256) -> Value {
    if kind != Some(KIND_PENDING_TX) && target[..12] == [0; 12] {
        json!(Address::from_slice(&target[12..]))
    } else {
        json!(target)
    }
}

fn nonzero(value: u64) -> Option<u64> {
    (value != 0).then_some(value)
}

// ---------------------------------------------------------------------------------------
// Reading the committed state.

fn state_error(err: SlotError) -> ApiError {
    ApiError::Internal(format!("supervision state: {err}"))
}

/// Runs `read` over the supervision and governance state committed at the head; passes
/// the head height.
fn read_committed<T>(
    ctx: &ApiContext,
    read: impl FnOnce(&mut Sup<'_, '_>, &mut Gov<'_, '_>, u64) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let store = ctx.chain.store();
    let head = store
        .head()?
        .ok_or_else(|| ApiError::Internal("no genesis".into()))?;
    let view = store.view(&StateBase::committed(head.height));
    let mut sup = ViewSlots {
        view: &view,
        address: SUPERVISION_ADDRESS,
    };
    let mut gov = ViewSlots {
        view: &view,
        address: GOVERNANCE_ADDRESS,
    };
    read(
        &mut SupStore { s: &mut sup },
        &mut GovStore { s: &mut gov },
        head.height,
    )
}

fn param(gov: &mut Gov<'_, '_>, key: &str, default: u64) -> Result<u64, ApiError> {
    let value = gov.param(key).map_err(state_error)?;
    Ok(if value.is_zero() {
        default
    } else {
        value.saturating_to()
    })
}

/// Agree votes a proposal needs: `100 · agree ≥ pct · members`.
fn needed(pct: u64, members: u64) -> u64 {
    (pct.saturating_mul(members)).div_ceil(100)
}

/// A spec's fields, named.
pub fn spec_json(spec: &FreezeSpec) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("kind".into(), json!(name(&TARGET_KINDS, spec.kind)));
    out.insert("target".into(), target_value(Some(spec.kind), &spec.target));
    if spec.kind == KIND_METHOD {
        out.insert("selector".into(), json!(spec.selector));
    }
    if spec.kind == KIND_HOLDING {
        out.insert("asset".into(), json!(spec.asset));
        out.insert("amount".into(), amount_text(spec.amount));
    }
    if matches!(spec.kind, KIND_ACCOUNT | KIND_HOLDING) {
        out.insert("direction".into(), json!(name(&DIRECTIONS, spec.direction)));
    }
    out.insert("reason".into(), json!(name(&REASONS, spec.reason)));
    out.insert("legal_basis".into(), json!(spec.legalBasis));
    out.insert(
        "case_ref".into(),
        json!((spec.caseRef != B256::ZERO).then_some(spec.caseRef)),
    );
    out.insert("expires_at".into(), json!(nonzero(spec.expiresAt)));
    out
}

/// An order, its spec's fields flattened in; status and `active` as of block `next`.
pub(crate) fn order_json(order: &OrderRecord, next: u64) -> Value {
    order_value(&order.abi(next))
}

/// An order as the module's ABI returns it (`getOrder`), as JSON: what the REST API
/// answers and `entente admin supervision` prints.
pub fn order_value(order: &Order) -> Value {
    let lapsed = order.status == STATUS_ACTIVE && !order.active;
    let mut out = Map::new();
    out.insert("id".into(), json!(order.id));
    out.insert("active".into(), json!(order.active));
    out.insert(
        "status".into(),
        json!(if lapsed {
            "expired".to_string()
        } else {
            name(&ORDER_STATUSES, order.status)
        }),
    );
    out.insert("emergency".into(), json!(order.emergency));
    out.extend(spec_json(&order.spec));
    out.insert("issued_by".into(), json!(order.issuedBy));
    out.insert("proposal_id".into(), json!(nonzero(order.proposalId)));
    out.insert("activated_at".into(), json!(order.activatedAt));
    let closed = if lapsed {
        nonzero(order.spec.expiresAt)
    } else {
        nonzero(order.closedAt)
    };
    out.insert("closed_at".into(), json!(closed));
    if order.spec.kind == KIND_HOLDING {
        out.insert("consumed".into(), json!(order.consumed.to_string()));
    }
    Value::Object(out)
}

/// The `Voted` events of a proposal, oldest first.
fn ballots(ctx: &ApiContext, p: &ProposalRecord, head: u64) -> Result<Vec<Value>, ApiError> {
    let filter = LogFilter {
        addresses: vec![SUPERVISION_ADDRESS],
        topics: vec![
            Some(vec![ISupervision::Voted::SIGNATURE_HASH]),
            Some(vec![id_topic(p.id)]),
        ],
    };
    let to = p.expires_at.min(head);
    let logs = ctx
        .chain
        .store()
        .logs(p.created_at, to, &filter, HISTORY_EVENTS_MAX)
        .map_err(log_error)?;
    Ok(logs
        .iter()
        .filter_map(|entry| {
            let vote =
                ISupervision::Voted::decode_raw_log(entry.log.topics(), &entry.log.data.data)
                    .ok()?;
            Some(
                json!({ "member": vote.member, "agree": vote.agree, "height": entry.block_height }),
            )
        })
        .collect())
}

fn proposal_json(
    ctx: &ApiContext,
    gov: &mut Gov<'_, '_>,
    p: &ProposalRecord,
    head: u64,
) -> Result<Value, ApiError> {
    let members = gov.role_count(ROLE_REGULATOR).map_err(state_error)?;
    let pct = if p.kind == PROPOSAL_FORCED_TRANSFER {
        param(
            gov,
            params::SUPERVISION_FORCED_TRANSFER_PCT,
            DEFAULT_FORCED_TRANSFER_PCT,
        )?
    } else {
        param(gov, params::SUPERVISION_APPROVAL_PCT, DEFAULT_APPROVAL_PCT)?
    };
    let abi = p.abi(head + 1, members);
    let mut out = Map::new();
    out.insert("id".into(), json!(p.id));
    out.insert("kind".into(), json!(name(&PROPOSAL_KINDS, p.kind)));
    out.insert("status".into(), json!(name(&PROPOSAL_STATUSES, abi.status)));
    out.insert("order_id".into(), json!(nonzero(p.order_id)));
    match p.kind {
        PROPOSAL_FREEZE => {
            out.insert("spec".into(), Value::Object(spec_json(&p.spec)));
        }
        PROPOSAL_RATIFY => {
            out.insert("new_expires_at".into(), json!(nonzero(p.new_expires_at)));
        }
        PROPOSAL_FORCED_TRANSFER => {
            out.insert("escrow".into(), json!(p.escrow));
            out.insert("amount".into(), json!(p.amount.to_string()));
        }
        _ => {}
    }
    out.insert("proposer".into(), json!(p.proposer));
    out.insert("created_at".into(), json!(p.created_at));
    out.insert("expires_at".into(), json!(p.expires_at));
    out.insert(
        "votes".into(),
        json!({
            "agree": p.agree,
            "against": p.against,
            "members": members,
            "approval_pct": pct,
            "needed": needed(pct, members),
        }),
    );
    out.insert("ballots".into(), json!(ballots(ctx, p, head)?));
    Ok(Value::Object(out))
}

// ---------------------------------------------------------------------------------------
// Handlers: reads.

fn query_map(
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<HashMap<String, String>, ApiError> {
    query
        .map(|Query(q)| q)
        .map_err(|err| bad("query", err.body_text()))
}

/// Refuses parameters outside `known`.
fn only(query: &HashMap<String, String>, known: &[&str]) -> Result<(), ApiError> {
    for key in query.keys() {
        if !known.contains(&key.as_str()) {
            return Err(bad(
                "query",
                format!("unknown parameter {key:?}; use {}", known.join(", ")),
            ));
        }
    }
    Ok(())
}

fn parse_bool(field: &'static str, text: &str) -> Result<bool, ApiError> {
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(field, format!("{text:?}; use true or false"))),
    }
}

#[derive(Serialize)]
pub struct SupervisionParams {
    height: u64,
    /// Accounts with the role `regulator`.
    members: u64,
    approval_pct: u64,
    forced_transfer_pct: u64,
    proposal_ttl_blocks: u64,
    emergency_ttl_blocks: u64,
    emergency_quota: u64,
    orders: u64,
    proposals: u64,
}

/// `GET /v1/supervision/params`.
pub async fn params_view(State(ctx): Ctx) -> Result<Json<SupervisionParams>, ApiError> {
    read_committed(&ctx, |sup, gov, height| {
        Ok(Json(SupervisionParams {
            height,
            members: gov.role_count(ROLE_REGULATOR).map_err(state_error)?,
            approval_pct: param(gov, params::SUPERVISION_APPROVAL_PCT, DEFAULT_APPROVAL_PCT)?,
            forced_transfer_pct: param(
                gov,
                params::SUPERVISION_FORCED_TRANSFER_PCT,
                DEFAULT_FORCED_TRANSFER_PCT,
            )?,
            proposal_ttl_blocks: param(
                gov,
                params::SUPERVISION_PROPOSAL_TTL_BLOCKS,
                DEFAULT_PROPOSAL_TTL,
            )?,
            emergency_ttl_blocks: param(
                gov,
                params::SUPERVISION_EMERGENCY_TTL_BLOCKS,
                DEFAULT_EMERGENCY_TTL,
            )?,
            emergency_quota: param(
                gov,
                params::SUPERVISION_EMERGENCY_QUOTA,
                DEFAULT_EMERGENCY_QUOTA,
            )?,
            orders: sup.order_count().map_err(state_error)?,
            proposals: sup.proposal_count().map_err(state_error)?,
        }))
    })
}

/// What an order listing asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct OrdersQuery {
    /// The target key; `None` lists every order, newest first.
    key: Option<B256>,
    active: Option<bool>,
    limit: u64,
    before: Option<u64>,
}

impl OrdersQuery {
    pub(crate) fn parse(query: &HashMap<String, String>) -> Result<Self, ApiError> {
        only(query, &["target", "asset", "active", "limit", "before"])?;
        let key = match (query.get("target"), query.get("asset")) {
            (Some(target), asset) => Some(parse_target_key(target, asset.map(String::as_str))?),
            (None, Some(_)) => return Err(bad("asset", "give the holder as target")),
            (None, None) => None,
        };
        if key.is_some() && (query.contains_key("limit") || query.contains_key("before")) {
            return Err(bad(
                "query",
                "limit and before page the listing of all orders; a target's orders come whole",
            ));
        }
        let limit = match query.get("limit") {
            None => ORDERS_LIMIT_DEFAULT,
            Some(text) => {
                let limit = parse_id("limit", text)?;
                if limit == 0 || limit > ORDERS_LIMIT_MAX {
                    return Err(bad("limit", format!("must be 1 to {ORDERS_LIMIT_MAX}")));
                }
                limit
            }
        };
        Ok(Self {
            key,
            active: query
                .get("active")
                .map(|t| parse_bool("active", t))
                .transpose()?,
            limit,
            before: query
                .get("before")
                .map(|t| parse_id("before", t))
                .transpose()?,
        })
    }
}

/// `GET /v1/supervision/orders[?target=…[&asset=…]][&active=…][&limit=…&before=…]`: the
/// orders on a target (an account, contract or holder address, a transaction hash, or a
/// holder with `asset`), oldest first; without a target every order, newest first.
pub async fn orders(
    State(ctx): Ctx,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let query = OrdersQuery::parse(&query_map(query)?)?;
    read_committed(&ctx, |sup, _, height| {
        let next = height + 1;
        let keep = |o: &OrderRecord| query.active.is_none_or(|a| a == o.is_active(next));
        if let Some(key) = query.key {
            let mut list = Vec::new();
            for id in sup.orders_of(&key).map_err(state_error)? {
                if let Some(order) = sup.order(id).map_err(state_error)?
                    && keep(&order)
                {
                    list.push(order_json(&order, next));
                }
            }
            return Ok(Json(
                json!({ "height": height, "target_key": key, "orders": list }),
            ));
        }
        let count = sup.order_count().map_err(state_error)?;
        // Order ids start at 1.
        let mut next_id = query.before.unwrap_or(count + 1).min(count + 1);
        let mut list = Vec::new();
        let mut scanned = 0u64;
        while next_id > 1 && (list.len() as u64) < query.limit && scanned < 10 * ORDERS_LIMIT_MAX {
            next_id -= 1;
            scanned += 1;
            if let Some(order) = sup.order(next_id).map_err(state_error)?
                && keep(&order)
            {
                list.push(order_json(&order, next));
            }
        }
        Ok(Json(json!({
            "height": height,
            "orders": list,
            "next_before": (next_id > 1).then_some(next_id),
        })))
    })
}

/// `GET /v1/supervision/orders/{id}`.
pub async fn order(State(ctx): Ctx, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let id = parse_id("order id", &id)?;
    read_committed(&ctx, |sup, _, height| {
        let order = sup
            .order(id)
            .map_err(state_error)?
            .ok_or_else(|| ApiError::NotFound {
                what: format!("order {id}"),
            })?;
        Ok(Json(order_json(&order, height + 1)))
    })
}

/// `GET /v1/supervision/proposals/{id}`.
pub async fn proposal(State(ctx): Ctx, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let id = parse_id("proposal id", &id)?;
    read_committed(&ctx, |sup, gov, height| {
        let proposal =
            sup.proposal(id)
                .map_err(state_error)?
                .ok_or_else(|| ApiError::NotFound {
                    what: format!("proposal {id}"),
                })?;
        Ok(Json(proposal_json(&ctx, gov, &proposal, height)?))
    })
}

/// What a `frozen` query asks.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct FrozenQuery {
    kind: u8,
    target: B256,
    selector: [u8; 4],
    asset: Address,
}

impl FrozenQuery {
    pub(crate) fn parse(query: &HashMap<String, String>) -> Result<Self, ApiError> {
        only(query, &["kind", "target", "selector", "asset"])?;
        let kind = parse_kind(
            query
                .get("kind")
                .ok_or_else(|| bad("kind", format!("required: {}", one_of(&TARGET_KINDS))))?,
        )?;
        let target = parse_target(
            kind,
            query
                .get("target")
                .ok_or_else(|| bad("target", "required"))?,
        )?;
        let selector = match (kind, query.get("selector")) {
            (KIND_METHOD, Some(text)) => parse_selector(text)?.0,
            (KIND_METHOD, None) => return Err(bad("selector", "required for kind method")),
            (_, Some(_)) => return Err(bad("selector", "only for kind method")),
            (_, None) => [0; 4],
        };
        let asset = match (kind, query.get("asset")) {
            (KIND_HOLDING, Some(text)) => parse_address("asset", text)?,
            (KIND_HOLDING, None) => return Err(bad("asset", "required for kind holding")),
            (_, Some(_)) => return Err(bad("asset", "only for kind holding")),
            (_, None) => Address::ZERO,
        };
        Ok(Self {
            kind,
            target,
            selector,
            asset,
        })
    }
}

/// `GET /v1/supervision/frozen?kind=…&target=…[&selector=…][&asset=…]`: whether an
/// active order covers the target, and the first such order.
pub async fn frozen(
    State(ctx): Ctx,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let q = FrozenQuery::parse(&query_map(query)?)?;
    read_committed(&ctx, |sup, _, height| {
        let next = height + 1;
        let found =
            is_frozen(sup, q.kind, q.target, q.selector, q.asset, next).map_err(state_error)?;
        let mut out = json!({
            "height": height,
            "kind": name(&TARGET_KINDS, q.kind),
            "target": target_value(Some(q.kind), &q.target),
            "frozen": found.is_some(),
            "order_id": found,
        });
        if q.kind == KIND_METHOD {
            out["selector"] = json!(FixedBytes(q.selector));
        }
        if q.kind == KIND_HOLDING {
            out["asset"] = json!(q.asset);
            let holder = Address::from_slice(&q.target[12..]);
            let mut holdings = Holdings {
                store: SupStore { s: &mut *sup.s },
                height: next,
            };
            let units = holdings.frozen(&q.asset, &holder).map_err(state_error)?;
            // Units that cannot leave the holding (outbound orders); `all` for a whole one.
            out["frozen_amount"] = if units == U256::MAX {
                json!("all")
            } else {
                json!(units.to_string())
            };
        }
        Ok(Json(out))
    })
}

fn id_topic(id: u64) -> B256 {
    B256::from(U256::from(id))
}

fn log_error(err: StorageError) -> ApiError {
    match err {
        StorageError::TooManyResults { max } => bad(
            "query",
            format!("more than {max} events: narrow the block range with from and to"),
        ),
        other => other.into(),
    }
}

/// What a history query asks.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct HistoryQuery {
    key: B256,
    /// The target as events carry it (the holder's address for a holding).
    target: B256,
    holding: bool,
    from: u64,
    to: Option<u64>,
}

impl HistoryQuery {
    pub(crate) fn parse(query: &HashMap<String, String>) -> Result<Self, ApiError> {
        only(query, &["target", "asset", "from", "to"])?;
        let text = query
            .get("target")
            .ok_or_else(|| bad("target", "required: an address or a transaction hash"))?;
        let asset = query.get("asset").map(String::as_str);
        let key = parse_target_key(text, asset)?;
        let target = if text.len() == 42 {
            address_target(&parse_address("target", text)?)
        } else {
            parse_word("target", text)?
        };
        let from = query
            .get("from")
            .map(|t| parse_id("from", t))
            .transpose()?
            .unwrap_or(0);
        let to = query.get("to").map(|t| parse_id("to", t)).transpose()?;
        if to.is_some_and(|to| to < from) {
            return Err(bad("to", "must not be below from"));
        }
        Ok(Self {
            key,
            target,
            holding: asset.is_some(),
            from,
            to,
        })
    }
}

/// An event with where it was emitted, and its fields named.
pub(crate) fn event_json(entry: &LogEntry) -> Option<Value> {
    let event =
        ISupervisionEvents::decode_raw_log(entry.log.topics(), &entry.log.data.data).ok()?;
    let mut out = json!({
        "height": entry.block_height,
        "block_hash": entry.block_hash,
        "tx_hash": entry.tx_hash,
        "tx_index": entry.tx_index,
        "log_index": entry.log_index,
    });
    let (name_, fields) = event_fields(&event);
    out["event"] = json!(name_);
    if let (Value::Object(out), Value::Object(fields)) = (&mut out, fields) {
        out.extend(fields);
    }
    Some(out)
}

/// An event's name and fields, readable.
pub(crate) fn event_fields(event: &ISupervisionEvents) -> (&'static str, Value) {
    use ISupervisionEvents as E;
    match event {
        E::FreezeProposed(e) => (
            "FreezeProposed",
            json!({ "proposal_id": e.proposalId, "kind": name(&TARGET_KINDS, e.kind),
                    "target": target_value(Some(e.kind), &e.target), "proposer": e.proposer }),
        ),
        E::LiftProposed(e) => (
            "LiftProposed",
            json!({ "proposal_id": e.proposalId, "order_id": e.orderId, "proposer": e.proposer }),
        ),
        E::RatifyProposed(e) => (
            "RatifyProposed",
            json!({ "proposal_id": e.proposalId, "order_id": e.orderId, "proposer": e.proposer }),
        ),
        E::ForcedTransferProposed(e) => (
            "ForcedTransferProposed",
            json!({ "proposal_id": e.proposalId, "order_id": e.orderId, "escrow": e.escrow,
                    "amount": e.amount.to_string() }),
        ),
        E::Voted(e) => (
            "Voted",
            json!({ "proposal_id": e.proposalId, "member": e.member, "agree": e.agree }),
        ),
        E::FreezeActivated(e) => (
            "FreezeActivated",
            json!({ "order_id": e.orderId, "kind": name(&TARGET_KINDS, e.kind),
                    "target": target_value(Some(e.kind), &e.target), "proposal_id": e.proposalId }),
        ),
        E::EmergencyFreezeActivated(e) => (
            "EmergencyFreezeActivated",
            json!({ "order_id": e.orderId, "target": target_value(None, &e.target),
                    "issuer": e.issuer, "expires_at": e.expiresAt }),
        ),
        E::OrderRatified(e) => (
            "OrderRatified",
            json!({ "order_id": e.orderId, "new_order_id": e.newOrderId }),
        ),
        E::OrderLifted(e) => (
            "OrderLifted",
            json!({ "order_id": e.orderId, "proposal_id": e.proposalId }),
        ),
        E::OrderExpired(e) => ("OrderExpired", json!({ "order_id": e.orderId })),
        E::ForcedTransfer(e) => (
            "ForcedTransfer",
            json!({ "order_id": e.orderId, "asset": e.asset, "from": e.from, "escrow": e.escrow,
                    "amount": e.amount.to_string() }),
        ),
        E::SubjectNotified(e) => (
            "SubjectNotified",
            json!({ "target": target_value(None, &e.target), "order_id": e.orderId,
                    "reason": name(&REASONS, e.reason), "legal_basis": e.legalBasis }),
        ),
    }
}

/// `GET /v1/supervision/history?target=…[&asset=…][&from=…][&to=…]`: every supervision
/// event concerning the target, in chain order — proposals to freeze it and their votes,
/// its orders' activation, notification, ratification, lifting, expiry and forced
/// transfers, and the proposals on those orders with their votes.
pub async fn history(
    State(ctx): Ctx,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let q = HistoryQuery::parse(&query_map(query)?)?;
    let ctx2 = ctx.clone();
    tokio::task::spawn_blocking(move || history_of(&ctx2, &q))
        .await
        .map_err(|err| ApiError::Internal(format!("history task failed: {err}")))?
        .map(Json)
}

fn history_of(ctx: &ApiContext, q: &HistoryQuery) -> Result<Value, ApiError> {
    use ISupervision as I;
    // The target's orders and freeze proposals, from state at one height; the logs are
    // read up to that height.
    let (height, orders) = read_committed(ctx, |sup, _, height| {
        Ok((height, sup.orders_of(&q.key).map_err(state_error)?))
    })?;
    let to = q.to.unwrap_or(height).min(height);
    let store = ctx.chain.store();
    let sup_logs = |topics: Vec<Option<Vec<B256>>>| {
        let filter = LogFilter {
            addresses: vec![SUPERVISION_ADDRESS],
            topics,
        };
        store
            .logs(q.from, to, &filter, HISTORY_EVENTS_MAX)
            .map_err(log_error)
    };
    let order_topics: Vec<B256> = orders.iter().map(|id| id_topic(*id)).collect();
    let mut entries: Vec<LogEntry> = Vec::new();
    let mut proposals: Vec<B256> = Vec::new();
    // Events naming the target: keep those of its own orders and of proposals whose
    // spec has its key (a holder's address is also the target of its holding orders).
    let named = [
        sup_logs(vec![
            Some(vec![
                I::FreezeProposed::SIGNATURE_HASH,
                I::FreezeActivated::SIGNATURE_HASH,
                I::EmergencyFreezeActivated::SIGNATURE_HASH,
            ]),
            None,
            Some(vec![q.target]),
        ])?,
        sup_logs(vec![
            Some(vec![I::SubjectNotified::SIGNATURE_HASH]),
            Some(vec![q.target]),
        ])?,
    ]
    .concat();
    let freeze_proposals: Vec<u64> = named
        .iter()
        .filter_map(|e| {
            I::FreezeProposed::decode_raw_log(e.log.topics(), &e.log.data.data)
                .ok()
                .map(|p| p.proposalId)
        })
        .collect();
    let ours: Vec<u64> = read_committed(ctx, |sup, _, _| {
        let mut ours = Vec::new();
        for id in freeze_proposals {
            if let Some(p) = sup.proposal(id).map_err(state_error)?
                && entente_modules::supervision::state::target_key(&p.spec) == q.key
                && (p.spec.kind == KIND_HOLDING) == q.holding
            {
                ours.push(id);
            }
        }
        Ok(ours)
    })?;
    for entry in named {
        let Ok(event) =
            ISupervisionEvents::decode_raw_log(entry.log.topics(), &entry.log.data.data)
        else {
            continue;
        };
        let keep = match event {
            ISupervisionEvents::FreezeProposed(e) => ours.contains(&e.proposalId),
            ISupervisionEvents::FreezeActivated(e) => orders.contains(&e.orderId),
            ISupervisionEvents::EmergencyFreezeActivated(e) => orders.contains(&e.orderId),
            ISupervisionEvents::SubjectNotified(e) => orders.contains(&e.orderId),
            _ => false,
        };
        if keep {
            entries.push(entry);
        }
    }
    proposals.extend(ours.iter().map(|id| id_topic(*id)));
    if !order_topics.is_empty() {
        entries.extend(sup_logs(vec![
            Some(vec![
                I::OrderRatified::SIGNATURE_HASH,
                I::OrderLifted::SIGNATURE_HASH,
                I::OrderExpired::SIGNATURE_HASH,
                I::ForcedTransfer::SIGNATURE_HASH,
            ]),
            Some(order_topics.clone()),
        ])?);
        let on_orders = sup_logs(vec![
            Some(vec![
                I::LiftProposed::SIGNATURE_HASH,
                I::RatifyProposed::SIGNATURE_HASH,
                I::ForcedTransferProposed::SIGNATURE_HASH,
            ]),
            None,
            Some(order_topics),
        ])?;
        // Topic 1 of these is the proposal id.
        proposals.extend(
            on_orders
                .iter()
                .filter_map(|e| e.log.topics().get(1).copied()),
        );
        entries.extend(on_orders);
    }
    if !proposals.is_empty() {
        entries.extend(sup_logs(vec![
            Some(vec![I::Voted::SIGNATURE_HASH]),
            Some(proposals),
        ])?);
    }
    entries.sort_by_key(|e| (e.block_height, e.log_index));
    entries.dedup_by_key(|e| (e.block_height, e.log_index));
    Ok(json!({
        "height": height,
        "target_key": q.key,
        "from": q.from,
        "to": to,
        "orders": orders,
        "events": entries.iter().filter_map(event_json).collect::<Vec<_>>(),
    }))
}

/// A supervision error, readable: `Name: what it means`.
pub(crate) fn error_text(err: &ISupervisionErrors) -> String {
    use ISupervisionErrors as E;
    let order_status = |status: u8| {
        if status == STATUS_ACTIVE {
            // Recorded active, refused: it has lapsed.
            "expired".to_string()
        } else {
            name(&ORDER_STATUSES, status)
        }
    };
    match err {
        E::Unauthorized(e) => format!("Unauthorized: {} ({})", e.caller, e.reason),
        E::InvalidInput(e) => format!("InvalidInput: {}", e.reason),
        E::NotFound(e) => format!("NotFound: {} not found", e.what),
        E::MissingLegalBasis(_) => {
            "MissingLegalBasis: an order needs the SHA-256 of its legal basis".into()
        }
        E::TargetNotFreezable(e) => format!(
            "TargetNotFreezable: {} cannot be frozen: {}",
            target_value(None, &e.target).as_str().unwrap_or_default(),
            e.reason
        ),
        E::AlreadyVoted(e) => format!(
            "AlreadyVoted: {} already voted on proposal {}",
            e.member, e.proposalId
        ),
        E::ProposalExpired(e) => format!("ProposalExpired: proposal {} has expired", e.proposalId),
        E::ProposalNotOpen(e) => format!(
            "ProposalNotOpen: proposal {} is {}",
            e.proposalId,
            name(&PROPOSAL_STATUSES, e.status)
        ),
        E::ProposalAlreadyOpen(e) => format!(
            "ProposalAlreadyOpen: proposal {} is already open for this",
            e.proposalId
        ),
        E::EmergencyQuotaExceeded(e) => format!(
            "EmergencyQuotaExceeded: {} already has {} active emergency orders",
            e.member, e.active
        ),
        E::InvalidState(e) => format!(
            "InvalidState: order {} is not active (it is {})",
            e.orderId,
            order_status(e.status)
        ),
        E::AlreadyOrdinary(e) => format!(
            "AlreadyOrdinary: order {} is already an ordinary order",
            e.orderId
        ),
        E::NoCoveringOrder(e) => format!(
            "NoCoveringOrder: no active outbound holding order covers {}'s {}",
            e.holder, e.asset
        ),
        E::TxAlreadyCommitted(e) => format!(
            "TxAlreadyCommitted: transaction {} is already in the chain: freeze what it produced instead",
            e.txHash
        ),
        E::Frozen(e) => format!("Frozen: frozen by supervision order {}", e.orderId),
        E::ContractFrozen(e) => format!(
            "ContractFrozen: the contract or method is frozen by supervision order {}",
            e.orderId
        ),
    }
}

/// The order named by a denial (`Frozen` / `ContractFrozen`) in revert data.
pub(crate) fn denial_order(output: &[u8]) -> Option<(&'static str, u64)> {
    match ISupervisionErrors::abi_decode(output).ok()? {
        ISupervisionErrors::Frozen(e) => Some(("Frozen", e.orderId)),
        ISupervisionErrors::ContractFrozen(e) => Some(("ContractFrozen", e.orderId)),
        _ => None,
    }
}

/// `GET /v1/supervision/transactions/{hash}`: whether a committed transaction was denied
/// by a supervision order (its receipt's revert data is `Frozen(orderId)` or
/// `ContractFrozen(orderId)`), and that order.
pub async fn transaction(
    State(ctx): Ctx,
    Path(hash): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let hash = parse_word("transaction hash", &hash)?;
    let store = ctx.chain.store();
    let location = store
        .tx_location(&hash)?
        .ok_or_else(|| ApiError::NotFound {
            what: format!("transaction {hash} in a committed block"),
        })?;
    let receipt = store
        .receipt(location.height, location.index)?
        .ok_or_else(|| ApiError::Internal(format!("no receipt for {hash}")))?;
    let denial = (!receipt.success)
        .then(|| denial_order(&receipt.output))
        .flatten();
    let revert = (!receipt.success).then(|| {
        let text = ISupervisionErrors::abi_decode(&receipt.output)
            .ok()
            .filter(|_| denial.is_some() || receipt.to == Some(SUPERVISION_ADDRESS))
            .map(|err| error_text(&err));
        json!({ "data": receipt.output, "supervision_error": text })
    });
    let order = match denial {
        Some((_, id)) => read_committed(&ctx, |sup, _, height| {
            Ok(sup
                .order(id)
                .map_err(state_error)?
                .map(|o| order_json(&o, height + 1)))
        })?,
        None => None,
    };
    Ok(Json(json!({
        "hash": hash,
        "block": location.height,
        "index": location.index,
        "from": receipt.from,
        "to": receipt.to,
        "success": receipt.success,
        "denied": denial.is_some(),
        "error": denial.map(|(name, _)| name),
        "order_id": denial.map(|(_, id)| id),
        "order": order,
        "revert": revert,
    })))
}

// ---------------------------------------------------------------------------------------
// Gateway writes: a regulator's token acts as the regulator.

/// A freeze spec in a request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecBody {
    /// `account`, `contract`, `method`, `holding` or `tx`.
    kind: String,
    /// An address (0x, 20 bytes), or for `tx` the transaction hash (0x, 32 bytes).
    target: String,
    /// `method` only: the 4-byte selector (0x, 8 hex digits).
    selector: Option<String>,
    /// `holding` only: the native asset.
    asset: Option<String>,
    /// `holding` only: units frozen; omitted or 0 freezes the whole holding.
    amount: Option<Quantity>,
    /// `account` and `holding`: `outbound`, `inbound` or `both` (default).
    direction: Option<String>,
    /// `court_order`, `aml`, `sanctions`, `fraud`, `recall` or `other`.
    reason: String,
    /// The SHA-256 of the court order or decision (0x, 32 bytes).
    legal_basis: String,
    /// A case reference (0x, 32 bytes).
    case_ref: Option<String>,
    /// Height at which the order lapses; omitted, until lifted.
    expires_at: Option<u64>,
}

impl SpecBody {
    /// The module's spec, checked field by field as far as it can be without state.
    pub fn check(self) -> Result<FreezeSpec, ApiError> {
        let kind = parse_kind(&self.kind)?;
        let target = parse_target(kind, &self.target)?;
        let selector = match (kind, self.selector) {
            (KIND_METHOD, Some(text)) => parse_selector(&text)?,
            (KIND_METHOD, None) => return Err(bad("selector", "required for kind method")),
            (_, Some(_)) => return Err(bad("selector", "only for kind method")),
            (_, None) => FixedBytes::ZERO,
        };
        let (asset, amount) = match (kind, self.asset) {
            (KIND_HOLDING, Some(text)) => (
                parse_address("asset", &text)?,
                self.amount.map(|q| q.0).unwrap_or_default(),
            ),
            (KIND_HOLDING, None) => return Err(bad("asset", "required for kind holding")),
            (_, Some(_)) => return Err(bad("asset", "only for kind holding")),
            (_, None) if self.amount.is_some() => {
                return Err(bad("amount", "only for kind holding"));
            }
            (_, None) => (Address::ZERO, U256::ZERO),
        };
        let direction = match (kind, self.direction) {
            (KIND_ACCOUNT | KIND_HOLDING, Some(text)) => parse_direction(&text)?,
            (_, Some(_)) => {
                return Err(bad("direction", "only for kinds account and holding"));
            }
            (_, None) => DIRECTIONS.len() as u8,
        };
        let legal_basis = parse_word("legal_basis", &self.legal_basis)?;
        if legal_basis == B256::ZERO {
            return Err(bad(
                "legal_basis",
                "the SHA-256 of the legal document is required (not zero)",
            ));
        }
        let case_ref = self
            .case_ref
            .map(|text| parse_word("case_ref", &text))
            .transpose()?
            .unwrap_or_default();
        if self.expires_at == Some(0) {
            return Err(bad(
                "expires_at",
                "omit it for an order until lifted, or give a future height",
            ));
        }
        Ok(FreezeSpec {
            kind,
            target,
            selector,
            asset,
            amount,
            direction,
            reason: parse_reason(&self.reason)?,
            legalBasis: legal_basis,
            caseRef: case_ref,
            expiresAt: self.expires_at.unwrap_or(0),
        })
    }
}

/// `POST /v1/supervision/proposals`: one variant per proposal kind.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProposalBody {
    Freeze {
        spec: SpecBody,
    },
    Lift {
        order_id: u64,
    },
    Ratify {
        order_id: u64,
        /// Height at which the ratified order lapses; omitted, until lifted.
        new_expires_at: Option<u64>,
    },
    ForcedTransfer {
        order_id: u64,
        escrow: String,
        amount: Quantity,
    },
}

/// For a pending-transaction spec: refuses a transaction already in the chain, and
/// names the sender and nonce of one in this node's pool, so that the module refuses the
/// order if the transaction commits before the order passes (`TxAlreadyCommitted`).
pub(crate) fn locate_pending(ctx: &ApiContext, spec: &mut FreezeSpec) -> Result<(), ApiError> {
    if spec.kind != KIND_PENDING_TX {
        return Ok(());
    }
    if let Some(at) = ctx.chain.store().tx_location(&spec.target)? {
        return Err(ApiError::Rejected(format!(
            "TxAlreadyCommitted: transaction {} is in block {}: freeze what it produced instead",
            spec.target, at.height
        )));
    }
    if let Some(tx) = ctx.chain.pool().get(&spec.target) {
        spec.asset = tx.sender;
        spec.amount = U256::from(tx.nonce());
    }
    Ok(())
}

impl ProposalBody {
    /// The `propose…` call to the supervision module; with `ctx`, a pending transaction
    /// is located on this node ([`locate_pending`]).
    pub fn calldata_at(self, ctx: Option<&ApiContext>) -> Result<Vec<u8>, ApiError> {
        use ISupervision as I;
        Ok(match self {
            Self::Freeze { spec } => {
                let mut spec = spec.check()?;
                if let Some(ctx) = ctx {
                    locate_pending(ctx, &mut spec)?;
                }
                I::proposeFreezeCall { spec }.abi_encode()
            }
            Self::Lift { order_id } => I::proposeLiftCall { orderId: order_id }.abi_encode(),
            Self::Ratify {
                order_id,
                new_expires_at,
            } => I::proposeRatifyCall {
                orderId: order_id,
                newExpiresAt: new_expires_at.unwrap_or(0),
            }
            .abi_encode(),
            Self::ForcedTransfer {
                order_id,
                escrow,
                amount,
            } => {
                if amount.0.is_zero() {
                    return Err(bad("amount", "a forced transfer moves at least one unit"));
                }
                I::proposeForcedTransferCall {
                    orderId: order_id,
                    escrow: parse_address("escrow", &escrow)?,
                    amount: amount.0,
                }
                .abi_encode()
            }
        })
    }
}

/// `POST /v1/supervision/proposals/{id}/votes`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteBody {
    agree: bool,
}

/// A submitted supervision call, with the id it returned in the simulation.
#[derive(Serialize)]
pub struct SupervisionSubmitted {
    #[serde(flatten)]
    submitted: Submitted,
    /// For an emergency freeze: the order's id unless another order is committed first.
    #[serde(skip_serializing_if = "Option::is_none")]
    order_id: Option<u64>,
}

/// Signs and submits `calldata` to the supervision module as the token's account;
/// returns the submission and the simulation's return value as a `uint64`.
fn submit(
    ctx: &ApiContext,
    headers: &HeaderMap,
    calldata: impl FnOnce() -> Result<Vec<u8>, ApiError>,
) -> Result<(Submitted, Option<u64>), ApiError> {
    let (gw, session) = gateway::authenticate(ctx, headers)?;
    let calldata = calldata()?;
    let signer = gw.signer(&session.account).map_err(gateway::key_error)?;
    let (submitted, output) =
        gateway::module_call(ctx, &gw, &session, &signer, SUPERVISION_ADDRESS, calldata)?;
    let id =
        <alloy_sol_types::sol_data::Uint<64> as alloy_sol_types::SolType>::abi_decode(&output).ok();
    Ok((submitted, id))
}

/// `POST /v1/supervision/proposals`: a regulator proposes a freeze, lift, ratification
/// or forced transfer (voting agree at once).
pub async fn propose(
    State(ctx): Ctx,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<SupervisionSubmitted>), ApiError> {
    gateway::blocking(move || {
        let (mut submitted, id) = submit(&ctx, &headers, || {
            gateway::json_body::<ProposalBody>(&body)?.calldata_at(Some(&ctx))
        })?;
        submitted.proposal_id = id;
        Ok((
            StatusCode::ACCEPTED,
            Json(SupervisionSubmitted {
                submitted,
                order_id: None,
            }),
        ))
    })
    .await
}

/// `POST /v1/supervision/emergency`: one regulator freezes at once (the body is a spec).
pub async fn emergency(
    State(ctx): Ctx,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<SupervisionSubmitted>), ApiError> {
    gateway::blocking(move || {
        let (submitted, order_id) = submit(&ctx, &headers, || {
            let mut spec = gateway::json_body::<SpecBody>(&body)?.check()?;
            locate_pending(&ctx, &mut spec)?;
            Ok(ISupervision::emergencyFreezeCall { spec }.abi_encode())
        })?;
        Ok((
            StatusCode::ACCEPTED,
            Json(SupervisionSubmitted {
                submitted,
                order_id,
            }),
        ))
    })
    .await
}

/// `POST /v1/supervision/proposals/{id}/votes`.
pub async fn vote(
    State(ctx): Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<SupervisionSubmitted>), ApiError> {
    gateway::blocking(move || {
        let (submitted, _) = submit(&ctx, &headers, || {
            let id = parse_id("proposal id", &id)?;
            let VoteBody { agree } = gateway::json_body(&body)?;
            Ok(ISupervision::voteCall {
                proposalId: id,
                agree,
            }
            .abi_encode())
        })?;
        Ok((
            StatusCode::ACCEPTED,
            Json(SupervisionSubmitted {
                submitted,
                order_id: None,
            }),
        ))
    })
    .await
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Bytes, Log, LogData};
    use alloy_sol_types::SolError as _;
    use entente_modules::supervision::{
        abi::ISupervision::ISupervisionCalls,
        state::{DIR_BOTH, DIR_OUTBOUND, STATUS_LIFTED},
    };

    use super::*;

    const ALICE: &str = "0x1111111111111111111111111111111111111111";
    const ASSET: &str = "0x0000000000000000000000000000000000e17ea5";
    const HASH: &str = "0x2222222222222222222222222222222222222222222222222222222222222222";

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The refused field and the message, or a panic naming what was accepted.
    fn refused<T: std::fmt::Debug>(result: Result<T, ApiError>) -> (&'static str, String) {
        match result {
            Err(err @ ApiError::BadRequest { field, .. }) => (field, err.to_string()),
            other => panic!("expected a bad request, got {other:?}"),
        }
    }

    #[test]
    fn codes_have_names_and_unknown_codes_stay_numeric() {
        for (table, max) in [
            (&TARGET_KINDS[..], 5u8),
            (&REASONS[..], 6),
            (&DIRECTIONS[..], 3),
            (&ORDER_STATUSES[..], 4),
            (&PROPOSAL_KINDS[..], 4),
            (&PROPOSAL_STATUSES[..], 3),
        ] {
            for code in 1..=max {
                assert_eq!(code_of(table, &name(table, code)), Some(code));
            }
            assert_eq!(name(table, 0u8), "0");
            assert_eq!(name(table, max + 1), (max + 1).to_string());
        }
        assert_eq!(parse_reason("court_order").unwrap(), 1);
        assert_eq!(parse_reason("other").unwrap(), 6);
        assert_eq!(parse_direction("out").unwrap(), DIR_OUTBOUND);
        assert_eq!(parse_direction("both").unwrap(), DIR_BOTH);
        let (field, message) = refused(parse_reason("tax"));
        assert_eq!(field, "reason");
        assert!(message.contains("court_order, aml, sanctions, fraud, recall, other"));
        assert_eq!(refused(parse_kind("wallet")).0, "kind");
        assert_eq!(refused(parse_direction("sideways")).0, "direction");
    }

    #[test]
    fn targets_are_addresses_or_transaction_hashes() {
        let alice: Address = ALICE.parse().unwrap();
        assert_eq!(
            parse_target(KIND_ACCOUNT, ALICE).unwrap(),
            alice.into_word()
        );
        assert_eq!(
            parse_target(KIND_PENDING_TX, HASH).unwrap(),
            HASH.parse::<B256>().unwrap()
        );
        assert!(
            refused(parse_target(KIND_PENDING_TX, ALICE))
                .1
                .contains("transaction hash")
        );
        assert!(refused(parse_target(2, HASH)).1.contains("20-byte address"));
        assert!(
            refused(parse_target(
                KIND_ACCOUNT,
                "1111111111111111111111111111111111111111"
            ))
            .1
            .contains("20-byte address")
        );
        // Keys: an address, a hash, or a holding.
        assert_eq!(parse_target_key(ALICE, None).unwrap(), alice.into_word());
        assert_eq!(
            parse_target_key(HASH, None).unwrap(),
            HASH.parse::<B256>().unwrap()
        );
        let asset: Address = ASSET.parse().unwrap();
        assert_eq!(
            parse_target_key(ALICE, Some(ASSET)).unwrap(),
            holding_key(&asset, &alice)
        );
        assert_eq!(
            parse_target_key(&format!("{:#x}", alice.into_word()), Some(ASSET)).unwrap(),
            holding_key(&asset, &alice)
        );
        assert_eq!(refused(parse_target_key(HASH, Some(ASSET))).0, "asset");
        assert_eq!(refused(parse_target_key(ALICE, Some("0x12"))).0, "asset");
        assert_eq!(refused(parse_target_key("0xabc", None)).0, "target");
        assert_eq!(refused(parse_selector("0x1234")).0, "selector");
        assert_eq!(
            parse_selector("0xa9059cbb").unwrap().0,
            [0xa9, 0x05, 0x9c, 0xbb]
        );
    }

    #[test]
    fn frozen_queries_are_checked() {
        let ok = FrozenQuery::parse(&query(&[
            ("kind", "method"),
            ("target", ALICE),
            ("selector", "0xa9059cbb"),
        ]))
        .unwrap();
        assert_eq!(
            (ok.kind, ok.selector),
            (KIND_METHOD, [0xa9, 0x05, 0x9c, 0xbb])
        );
        let ok = FrozenQuery::parse(&query(&[
            ("kind", "holding"),
            ("target", ALICE),
            ("asset", ASSET),
        ]))
        .unwrap();
        assert_eq!(ok.asset, ASSET.parse::<Address>().unwrap());
        /// Query pairs, the refused field, words of the message.
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
        let cases: [Case<'_>; 8] = [
            (&[("target", ALICE)], "kind", "required"),
            (
                &[("kind", "wallet"), ("target", ALICE)],
                "kind",
                "account, contract",
            ),
            (&[("kind", "account")], "target", "required"),
            (
                &[("kind", "tx"), ("target", ALICE)],
                "target",
                "transaction hash",
            ),
            (
                &[("kind", "method"), ("target", ALICE)],
                "selector",
                "required",
            ),
            (
                &[
                    ("kind", "account"),
                    ("target", ALICE),
                    ("selector", "0xa9059cbb"),
                ],
                "selector",
                "only for kind method",
            ),
            (
                &[("kind", "holding"), ("target", ALICE)],
                "asset",
                "required",
            ),
            (
                &[("kind", "account"), ("target", ALICE), ("colour", "red")],
                "query",
                "unknown parameter",
            ),
        ];
        for (pairs, field, words) in cases {
            let (got, message) = refused(FrozenQuery::parse(&query(pairs)));
            assert_eq!(got, field, "{pairs:?}: {message}");
            assert!(message.contains(words), "{pairs:?}: {message}");
        }
    }

    #[test]
    fn order_and_history_queries_are_checked() {
        let all = OrdersQuery::parse(&query(&[])).unwrap();
        assert_eq!(
            (all.key, all.limit, all.before),
            (None, ORDERS_LIMIT_DEFAULT, None)
        );
        let one = OrdersQuery::parse(&query(&[("target", ALICE), ("active", "true")])).unwrap();
        assert_eq!(one.active, Some(true));
        assert!(one.key.is_some());
        assert_eq!(
            refused(OrdersQuery::parse(&query(&[("limit", "0")]))).0,
            "limit"
        );
        assert_eq!(
            refused(OrdersQuery::parse(&query(&[("limit", "501")]))).0,
            "limit"
        );
        assert_eq!(
            refused(OrdersQuery::parse(&query(&[("active", "yes")]))).0,
            "active"
        );
        assert_eq!(
            refused(OrdersQuery::parse(&query(&[("asset", ASSET)]))).0,
            "asset"
        );
        assert_eq!(
            refused(OrdersQuery::parse(&query(&[
                ("target", ALICE),
                ("limit", "5")
            ])))
            .0,
            "query"
        );
        let history = HistoryQuery::parse(&query(&[("target", ALICE), ("asset", ASSET)])).unwrap();
        assert!(history.holding);
        assert_eq!(
            history.target,
            ALICE.parse::<Address>().unwrap().into_word()
        );
        assert_ne!(history.key, history.target);
        assert_eq!(refused(HistoryQuery::parse(&query(&[]))).0, "target");
        assert_eq!(
            refused(HistoryQuery::parse(&query(&[
                ("target", HASH),
                ("from", "9"),
                ("to", "3")
            ])))
            .0,
            "to"
        );
        assert_eq!(
            refused(HistoryQuery::parse(&query(&[
                ("target", HASH),
                ("from", "-1")
            ])))
            .0,
            "from"
        );
    }

    fn spec_body(json: &str) -> Result<FreezeSpec, ApiError> {
        gateway::json_body::<SpecBody>(json.as_bytes())?.check()
    }

    #[test]
    fn spec_bodies_become_module_specs() {
        let spec = spec_body(&format!(
            r#"{{"kind": "holding", "target": "{ALICE}", "asset": "{ASSET}", "amount": "100",
                "direction": "out", "reason": "aml", "legal_basis": "{HASH}", "expires_at": 500}}"#
        ))
        .unwrap();
        assert_eq!(
            (spec.kind, spec.direction, spec.reason, spec.expiresAt),
            (KIND_HOLDING, DIR_OUTBOUND, 2, 500)
        );
        assert_eq!(spec.amount, U256::from(100));
        assert_eq!(spec.target, ALICE.parse::<Address>().unwrap().into_word());
        let spec = spec_body(&format!(
            r#"{{"kind": "contract", "target": "{ALICE}", "reason": "sanctions", "legal_basis": "{HASH}"}}"#
        ))
        .unwrap();
        assert_eq!(
            (spec.direction, spec.expiresAt, spec.caseRef),
            (DIR_BOTH, 0, B256::ZERO)
        );
        let zero = format!("0x{}", "0".repeat(64));
        let cases = [
            (
                format!(
                    r#"{{"kind": "account", "target": "{ALICE}", "reason": "aml", "legal_basis": "{zero}"}}"#
                ),
                "legal_basis",
                "required",
            ),
            (
                format!(r#"{{"kind": "account", "target": "{ALICE}", "reason": "aml"}}"#),
                "body",
                "missing field `legal_basis`",
            ),
            (
                format!(
                    r#"{{"kind": "contract", "target": "{ALICE}", "direction": "in", "reason": "aml", "legal_basis": "{HASH}"}}"#
                ),
                "direction",
                "only for kinds account and holding",
            ),
            (
                format!(
                    r#"{{"kind": "account", "target": "{ALICE}", "amount": 5, "reason": "aml", "legal_basis": "{HASH}"}}"#
                ),
                "amount",
                "only for kind holding",
            ),
            (
                format!(
                    r#"{{"kind": "method", "target": "{ALICE}", "reason": "aml", "legal_basis": "{HASH}"}}"#
                ),
                "selector",
                "required",
            ),
            (
                format!(
                    r#"{{"kind": "account", "target": "{ALICE}", "reason": "gut_feeling", "legal_basis": "{HASH}"}}"#
                ),
                "reason",
                "gut_feeling",
            ),
            (
                format!(
                    r#"{{"kind": "account", "target": "{ALICE}", "reason": "aml", "legal_basis": "{HASH}", "expires_at": 0}}"#
                ),
                "expires_at",
                "future height",
            ),
            (
                format!(
                    r#"{{"kind": "tx", "target": "{ALICE}", "reason": "aml", "legal_basis": "{HASH}"}}"#
                ),
                "target",
                "transaction hash",
            ),
            (
                format!(
                    r#"{{"kind": "account", "target": "{ALICE}", "reason": "aml", "legal_basis": "{HASH}", "why": 1}}"#
                ),
                "body",
                "unknown field `why`",
            ),
        ];
        for (body, field, words) in cases {
            let (got, message) = refused(spec_body(&body));
            assert_eq!(got, field, "{body}: {message}");
            assert!(message.contains(words), "{body}: {message}");
        }
    }

    fn proposal(json: &str) -> Result<Vec<u8>, ApiError> {
        gateway::json_body::<ProposalBody>(json.as_bytes())?.calldata_at(None)
    }

    #[test]
    fn proposal_bodies_encode_as_supervision_calls() {
        let calldata = proposal(&format!(
            r#"{{"kind": "freeze", "spec": {{"kind": "account", "target": "{ALICE}", "reason": "fraud", "legal_basis": "{HASH}"}}}}"#
        ))
        .unwrap();
        let ISupervisionCalls::proposeFreeze(call) =
            ISupervisionCalls::abi_decode(&calldata).unwrap()
        else {
            panic!("not proposeFreeze");
        };
        assert_eq!((call.spec.kind, call.spec.reason), (KIND_ACCOUNT, 4));
        let calldata = proposal(r#"{"kind": "ratify", "order_id": 3}"#).unwrap();
        let call = ISupervision::proposeRatifyCall::abi_decode(&calldata).unwrap();
        assert_eq!((call.orderId, call.newExpiresAt), (3, 0));
        let calldata = proposal(&format!(
            r#"{{"kind": "forced_transfer", "order_id": 2, "escrow": "{ALICE}", "amount": "0x10"}}"#
        ))
        .unwrap();
        let call = ISupervision::proposeForcedTransferCall::abi_decode(&calldata).unwrap();
        assert_eq!(call.amount, U256::from(16));
        assert!(
            ISupervision::proposeLiftCall::abi_decode(
                &proposal(r#"{"kind": "lift", "order_id": 9}"#).unwrap()
            )
            .is_ok()
        );
        for (body, field) in [
            (r#"{"kind": "thaw", "order_id": 1}"#, "body"),
            (r#"{"kind": "lift"}"#, "body"),
            (r#"{"kind": "lift", "order_id": -1}"#, "body"),
            (
                r#"{"kind": "forced_transfer", "order_id": 2, "escrow": "0x11", "amount": 1}"#,
                "escrow",
            ),
            (
                &format!(
                    r#"{{"kind": "forced_transfer", "order_id": 2, "escrow": "{ALICE}", "amount": 0}}"#
                ),
                "amount",
            ),
        ] {
            assert_eq!(refused(proposal(body)).0, field, "{body}");
        }
        assert!(gateway::json_body::<VoteBody>(br#"{"agree": "yes"}"#).is_err());
    }

    fn record(status: u8, expires_at: u64) -> OrderRecord {
        OrderRecord {
            id: 4,
            spec: FreezeSpec {
                kind: KIND_ACCOUNT,
                target: ALICE.parse::<Address>().unwrap().into_word(),
                direction: DIR_BOTH,
                reason: 3,
                legalBasis: HASH.parse().unwrap(),
                expiresAt: expires_at,
                ..Default::default()
            },
            emergency: true,
            status,
            activated_at: 10,
            closed_at: 0,
            proposal_id: 0,
            issued_by: Address::repeat_byte(0xaa),
            consumed: U256::ZERO,
        }
    }

    #[test]
    fn orders_read_with_names_and_lapse_at_their_expiry() {
        let active = order_json(&record(STATUS_ACTIVE, 50), 49);
        assert_eq!(active["status"], "active");
        assert_eq!(active["active"], true);
        assert_eq!(active["kind"], "account");
        assert_eq!(active["reason"], "sanctions");
        assert_eq!(active["direction"], "both");
        assert_eq!(active["target"], json!(ALICE.parse::<Address>().unwrap()));
        assert_eq!(active["proposal_id"], Value::Null);
        assert_eq!(active["case_ref"], Value::Null);
        assert!(active.get("selector").is_none() && active.get("consumed").is_none());
        let lapsed = order_json(&record(STATUS_ACTIVE, 50), 50);
        assert_eq!(
            (&lapsed["status"], &lapsed["active"], &lapsed["closed_at"]),
            (&json!("expired"), &json!(false), &json!(50))
        );
        let lifted = order_json(&record(STATUS_LIFTED, 0), 50);
        assert_eq!(lifted["status"], "lifted");
        assert_eq!(lifted["expires_at"], Value::Null);
    }

    #[test]
    fn events_and_errors_read_by_name() {
        let target = ALICE.parse::<Address>().unwrap().into_word();
        let data: LogData = ISupervision::SubjectNotified {
            target,
            orderId: 7,
            reason: 1,
            legalBasis: HASH.parse().unwrap(),
        }
        .encode_log_data();
        let entry = LogEntry {
            log: Log {
                address: SUPERVISION_ADDRESS,
                data,
            },
            block_height: 12,
            block_hash: B256::repeat_byte(1),
            tx_hash: B256::repeat_byte(2),
            tx_index: 0,
            log_index: 3,
        };
        let event = event_json(&entry).unwrap();
        assert_eq!(event["event"], "SubjectNotified");
        assert_eq!(event["reason"], "court_order");
        assert_eq!(event["order_id"], 7);
        assert_eq!(event["height"], 12);
        assert_eq!(event["target"], json!(ALICE.parse::<Address>().unwrap()));

        let frozen = ISupervision::Frozen { orderId: 7 }.abi_encode();
        assert_eq!(denial_order(&frozen), Some(("Frozen", 7)));
        let contract = ISupervision::ContractFrozen { orderId: 8 }.abi_encode();
        assert_eq!(denial_order(&contract), Some(("ContractFrozen", 8)));
        let other = ISupervision::ProposalExpired { proposalId: 1 }.abi_encode();
        assert_eq!(denial_order(&other), None);
        assert_eq!(denial_order(&Bytes::from_static(b"nope")), None);
        let err = ISupervisionErrors::abi_decode(&frozen).unwrap();
        assert_eq!(error_text(&err), "Frozen: frozen by supervision order 7");
        let err = ISupervisionErrors::InvalidState(ISupervision::InvalidState {
            orderId: 3,
            status: STATUS_ACTIVE,
        });
        assert!(
            error_text(&err).ends_with("(it is expired)"),
            "{}",
            error_text(&err)
        );
        let err = ISupervisionErrors::TargetNotFreezable(ISupervision::TargetNotFreezable {
            target,
            reason: "a member of the regulator committee".into(),
        });
        assert!(error_text(&err).contains(&format!("{}", ALICE.parse::<Address>().unwrap())));
        assert_eq!(needed(66, 3), 2);
        assert_eq!(needed(100, 3), 3);
        assert_eq!(needed(66, 0), 0);
    }
}

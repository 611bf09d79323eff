//! Trace: products, lots, items and pallets as committed at the head, an item's journey
//! from the chain's logs, the writes of brand owners, producers, inspectors, carriers,
//! customs and retailers through the gateway (`POST /v1/trace/operations`), and the
//! public consumer page (`/verify/{gtin}/{serial}`, in [`crate::verify_page`]).
//! Codes are named as in docs/trace.md.

use std::sync::Arc;

use alloy_primitives::{Address, B256, FixedBytes};
use alloy_sol_types::{SolCall as _, SolEvent as _};
use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
};
use entente_modules::{
    GOVERNANCE_ADDRESS, TRACE_ADDRESS,
    governance::state::{GovStore, OrgId},
    slots::ViewSlots,
    trace::{
        abi::{Epc, EventInfo, ITrace},
        logic::{Caller, Env, PALLET_ITEMS_MAX, Resolved, TraceError},
        state::{FLAG_DIVERSION, FLAG_PROBING, FLAG_SUSPECT_CLONE, TraceStore, step},
    },
};
use entente_storage::{LogEntry, LogFilter, StateBase};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{
    ApiError,
    evidence::parse_b256,
    gateway::{self, Submitted},
    routes::ApiContext,
};

type Ctx = State<Arc<ApiContext>>;

/// Item states, by code (1-based).
pub const STATES: [&str; 7] = [
    "commissioned",
    "in_transit",
    "held",
    "in_stock",
    "sold",
    "recalled",
    "decommissioned",
];
/// Code statuses, by code (1-based).
pub const CODE_STATUSES: [&str; 3] = ["active", "consumed", "revoked"];
/// Business steps, by code (1-based).
pub const STEPS: [&str; 12] = [
    "commissioning",
    "inspecting",
    "packing",
    "unpacking",
    "shipping",
    "receiving",
    "customs_declared",
    "customs_cleared",
    "retail_selling",
    "recalling",
    "decommissioning",
    "holding",
];
/// Verification outcomes, by code (1-based).
pub const OUTCOMES: [&str; 4] = [
    "genuine",
    "already_verified",
    "invalid_code",
    "code_revoked",
];
/// Entitlements, by code (1-based).
pub const ENTITLEMENTS: [&str; 4] = ["private", "restricted", "linked", "public"];
/// Flags, by bit.
pub const FLAGS: [(u8, &str); 3] = [
    (FLAG_SUSPECT_CLONE, "suspected_clone"),
    (FLAG_PROBING, "probing"),
    (FLAG_DIVERSION, "diversion"),
];

/// The name of a 1-based code.
pub fn name(table: &[&str], code: u8) -> String {
    match usize::from(code).checked_sub(1).and_then(|i| table.get(i)) {
        Some(name) => (*name).to_string(),
        None => format!("unknown({code})"),
    }
}

fn code_of(table: &[&str], text: &str) -> Option<u8> {
    table
        .iter()
        .position(|n| *n == text)
        .and_then(|i| u8::try_from(i + 1).ok())
}

pub fn flag_names(flags: u8) -> Vec<&'static str> {
    FLAGS
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, name)| *name)
        .collect()
}

/// An organisation id as its text.
pub fn org_text(org: &B256) -> String {
    OrgId(*org).text()
}

/// Most items one commissioning request may carry (split into transactions).
pub const COMMISSION_ITEMS_MAX: usize = 10_000;
/// Items per commissioning transaction (about 64 KiB of calldata and 20M gas).
pub const COMMISSION_CHUNK: usize = 400;
/// Items per packing transaction (about 90 KiB of calldata); a pallet takes several.
pub const PACK_CHUNK: usize = 400;
/// Most trace events one journey gathers.
const JOURNEY_EVENTS_MAX: usize = 10_000;

/// A trace refusal as a REST error.
pub(crate) fn trace_error(err: TraceError) -> ApiError {
    match err {
        TraceError::NotFound(what) => ApiError::NotFound { what },
        TraceError::InvalidIdentifier { .. } | TraceError::InvalidInput(_) => {
            ApiError::BadRequest {
                field: "path",
                reason: err.to_string(),
            }
        }
        other => ApiError::Internal(other.to_string()),
    }
}

/// Runs `read` over the trace module and the registry at the committed head.
pub(crate) fn read_trace<T>(
    ctx: &ApiContext,
    read: impl FnOnce(&mut Env<'_, ViewSlots<'_>, ViewSlots<'_>>) -> Result<T, TraceError>,
) -> Result<T, ApiError> {
    let store = ctx.chain.store();
    let head = store
        .head()?
        .ok_or_else(|| ApiError::Internal("no genesis".into()))?;
    let view = store.view(&StateBase::committed(head.height));
    let mut own = ViewSlots {
        view: &view,
        address: TRACE_ADDRESS,
    };
    let mut registry = ViewSlots {
        view: &view,
        address: GOVERNANCE_ADDRESS,
    };
    let mut env = Env::new(
        TraceStore { s: &mut own },
        GovStore { s: &mut registry },
        Caller {
            address: Address::ZERO,
            height: head.height + 1,
            time: head.timestamp_ms / 1000,
        },
    );
    read(&mut env).map_err(trace_error)
}

/// The organisation names of `orgs` (their ids when unnamed).
pub(crate) fn org_names(ctx: &ApiContext, orgs: &[B256]) -> Result<Vec<String>, ApiError> {
    crate::governance::read_committed(ctx, |gov, _| {
        orgs.iter()
            .map(|org| {
                Ok(gov
                    .org(&OrgId(*org))?
                    .map(|o| o.name)
                    .unwrap_or_else(|| org_text(org)))
            })
            .collect()
    })
}

// ---------------------------------------------------------------------------------------
// Reads.

/// `GET /v1/trace/products/{gtin}`.
pub async fn product(State(ctx): Ctx, Path(gtin): Path<String>) -> Result<Json<Value>, ApiError> {
    gateway::blocking(move || {
        let p = read_trace(&ctx, |env| env.product_view(&gtin))?;
        let brand = org_names(&ctx, &[p.brandOrg])?.remove(0);
        Ok(Json(json!({
            "gtin": p.gtin,
            "name": p.name,
            "brand_org": org_text(&p.brandOrg),
            "brand_name": brand,
            "attrs_hash": p.attrsHash,
        })))
    })
    .await
}

fn lot_json(lot: &entente_modules::trace::abi::LotView) -> Value {
    json!({
        "gtin": lot.gtin,
        "lot": lot.lot,
        "producer": org_text(&lot.producer),
        "origin_country": String::from_utf8_lossy(lot.originCountry.as_slice()),
        "produced_at": lot.producedAt,
        "cross_border": lot.crossBorder,
        "status": if lot.status == 2 { "recalled" } else { "active" },
        "held": lot.held,
        "items": lot.items,
        "last_event_time": lot.lastEventTime,
        "recall_reason": (lot.status == 2).then_some(lot.recallReason),
        "recalled_at": (lot.status == 2).then_some(lot.recalledAt),
        "ilmd_hash": lot.ilmdHash,
    })
}

/// `GET /v1/trace/lots/{gtin}/{lot}`.
pub async fn lot(
    State(ctx): Ctx,
    Path((gtin, lot)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    gateway::blocking(move || {
        let view = read_trace(&ctx, |env| env.lot_view(&gtin, &lot))?;
        Ok(Json(lot_json(&view)))
    })
    .await
}

/// `GET /v1/trace/pallets/{sscc}`.
pub async fn pallet(State(ctx): Ctx, Path(sscc): Path<String>) -> Result<Json<Value>, ApiError> {
    gateway::blocking(move || {
        let p = read_trace(&ctx, |env| env.pallet_view(&sscc))?;
        Ok(Json(json!({
            "sscc": p.sscc,
            "state": name(&STATES, p.state),
            "custodian": org_text(&p.custodian),
            "recipient": (p.recipient != B256::ZERO).then(|| org_text(&p.recipient)),
            "customs": { "declared": p.customsDeclared, "cleared": p.customsCleared },
            "last_event_time": p.lastEventTime,
            "items": p.items,
        })))
    })
    .await
}

/// One trace event of a journey.
#[derive(Clone, Debug, Serialize)]
pub struct JourneyEvent {
    pub step: String,
    pub subject: B256,
    /// `item`, `pallet` or `lot`.
    pub via: &'static str,
    pub event_id: B256,
    pub org: String,
    pub org_name: String,
    #[serde(rename = "ref")]
    pub reference: B256,
    pub event_time: u64,
    pub time_zone_offset: i16,
    pub read_point: String,
    /// Inspections: `pass` or `fail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<&'static str>,
    pub entitlement: String,
    pub block: u64,
    pub tx: B256,
}

/// Everything known of an item, for the REST view and the consumer page.
pub struct ItemReport {
    pub resolved: Resolved,
    pub product: entente_modules::trace::abi::ProductView,
    pub brand_name: String,
    pub lot: entente_modules::trace::abi::LotView,
    pub journey: Vec<JourneyEvent>,
}

fn trace_logs(ctx: &ApiContext, subjects: Vec<B256>, to: u64) -> Result<Vec<LogEntry>, ApiError> {
    let filter = LogFilter {
        addresses: vec![TRACE_ADDRESS],
        topics: vec![
            Some(vec![ITrace::TraceEvent::SIGNATURE_HASH]),
            Some(subjects),
        ],
    };
    ctx.chain
        .store()
        .logs(0, to, &filter, JOURNEY_EVENTS_MAX)
        .map_err(|err| match err {
            entente_storage::StorageError::TooManyResults { max } => {
                ApiError::Internal(format!("more than {max} events for one item"))
            }
            other => other.into(),
        })
}

fn decode_event(entry: &LogEntry) -> Option<ITrace::TraceEvent> {
    ITrace::TraceEvent::decode_log_data(&entry.log.data).ok()
}

/// The item, its product and lot, and its journey: the events of the item itself, of
/// its lot, and of each pallet while the item was packed in it, in chain order.
pub fn item_report(ctx: &ApiContext, gtin: &str, serial: &str) -> Result<ItemReport, ApiError> {
    let (resolved, product, lot) = read_trace(ctx, |env| {
        let resolved = env.resolve(gtin, serial)?;
        let product = env.product_view(gtin)?;
        let lot = env.lot_view(gtin, &resolved.lot.lot)?;
        Ok((resolved, product, lot))
    })?;
    let head = ctx
        .chain
        .store()
        .head()?
        .map(|h| h.height)
        .unwrap_or_default();
    let own = trace_logs(ctx, vec![resolved.item.key, resolved.lot.key], head)?;
    // The pallets the item was in, with the block ranges it was in them.
    let mut spans: Vec<(B256, u64, u64)> = Vec::new();
    for entry in &own {
        let Some(event) = decode_event(entry) else {
            continue;
        };
        if event.subject != resolved.item.key {
            continue;
        }
        if event.bizStep == step::PACKING {
            spans.push((event.r#ref, entry.block_height, u64::MAX));
        } else if event.bizStep == step::UNPACKING
            && let Some(span) = spans.iter_mut().rev().find(|s| s.0 == event.r#ref)
        {
            span.2 = entry.block_height;
        }
    }
    let mut entries: Vec<(LogEntry, &'static str)> = own
        .into_iter()
        .map(|e| {
            let via = if e.log.topics().get(1) == Some(&resolved.lot.key) {
                "lot"
            } else {
                "item"
            };
            (e, via)
        })
        .collect();
    if !spans.is_empty() {
        let pallets: Vec<B256> = spans.iter().map(|s| s.0).collect();
        for entry in trace_logs(ctx, pallets, head)? {
            let Some(event) = decode_event(&entry) else {
                continue;
            };
            // The pallet's own packing and unpacking are the item's too.
            if matches!(event.bizStep, step::PACKING | step::UNPACKING) {
                continue;
            }
            let inside = spans.iter().any(|(key, from, until)| {
                *key == event.subject && entry.block_height > *from && entry.block_height < *until
            });
            if inside {
                entries.push((entry, "pallet"));
            }
        }
    }
    entries.sort_by_key(|(e, _)| (e.block_height, e.log_index));
    let events: Vec<(ITrace::TraceEvent, &LogEntry, &'static str)> = entries
        .iter()
        .filter_map(|(e, via)| decode_event(e).map(|ev| (ev, e, *via)))
        .collect();
    let orgs: Vec<B256> = events.iter().map(|(ev, _, _)| ev.org).collect();
    let mut names = org_names(ctx, &orgs)?;
    names.push(String::new());
    let brand_name = org_names(ctx, &[product.brandOrg])?.remove(0);
    let journey = events
        .into_iter()
        .zip(names)
        .map(|((ev, entry, via), org_name)| JourneyEvent {
            step: name(&STEPS, ev.bizStep),
            subject: ev.subject,
            via,
            event_id: ev.eventId,
            org: org_text(&ev.org),
            org_name,
            reference: ev.r#ref,
            event_time: ev.eventTime,
            time_zone_offset: ev.timeZoneOffset,
            read_point: ev.readPoint,
            result: match (ev.bizStep, ev.result) {
                (step::INSPECTING, 1) => Some("pass"),
                (step::INSPECTING, 2) => Some("fail"),
                _ => None,
            },
            entitlement: name(&ENTITLEMENTS, ev.entitlement),
            block: entry.block_height,
            tx: entry.tx_hash,
        })
        .collect();
    Ok(ItemReport {
        resolved,
        product,
        brand_name,
        lot,
        journey,
    })
}

/// The item as JSON (every field; the consumer page shows less).
pub fn item_json(report: &ItemReport, gtin: &str, serial: &str) -> Value {
    let view = report.resolved.view(gtin, serial);
    json!({
        "gtin": view.gtin,
        "serial": view.serial,
        "lot": view.lot,
        "product": { "name": report.product.name, "brand_org": org_text(&report.product.brandOrg), "brand_name": report.brand_name },
        "lot_info": lot_json(&report.lot),
        "state": name(&STATES, view.state),
        "owner": org_text(&view.owner),
        "custodian": org_text(&view.custodian),
        "recipient": (view.recipient != B256::ZERO).then(|| org_text(&view.recipient)),
        "container": (!view.container.is_empty()).then_some(view.container),
        "cross_border": view.crossBorder,
        "customs": { "declared": view.customsDeclared, "cleared": view.customsCleared },
        "code_status": name(&CODE_STATUSES, view.codeStatus),
        "verify_count": view.verifyCount,
        "bad_attempts": view.badAttempts,
        "first_verified": (view.firstVerifiedAt != 0).then(|| json!({ "at": view.firstVerifiedAt, "cell": view.firstVerifiedCell })),
        "flags": flag_names(view.flags),
        "last_event_time": view.lastEventTime,
        "journey": report.journey,
    })
}

/// `GET /v1/trace/items/{gtin}/{serial}`.
pub async fn item(
    State(ctx): Ctx,
    Path((gtin, serial)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    gateway::blocking(move || {
        let report = item_report(&ctx, &gtin, &serial)?;
        Ok(Json(item_json(&report, &gtin, &serial)))
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Writes.

fn bad(field: &'static str, reason: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        field,
        reason: reason.into(),
    }
}

fn hash_or_zero(field: &'static str, text: &Option<String>) -> Result<B256, ApiError> {
    match text {
        Some(text) => parse_b256(field, text),
        None => Ok(B256::ZERO),
    }
}

fn org_id(field: &'static str, text: &str) -> Result<B256, ApiError> {
    OrgId::from_text(text).map(|o| o.0).ok_or_else(|| {
        bad(
            field,
            format!("{text:?} is not an organisation id (1 to 32 bytes)"),
        )
    })
}

/// The when, where and why of an event.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    /// Unix seconds.
    time: u64,
    #[serde(default)]
    time_zone_offset: i16,
    #[serde(default)]
    read_point: String,
    biz_transaction: Option<String>,
    payload_hash: Option<String>,
    /// `private`, `restricted`, `linked` or `public` (default).
    entitlement: Option<String>,
}

impl EventBody {
    fn info(&self) -> Result<EventInfo, ApiError> {
        let entitlement = match &self.entitlement {
            None => 4,
            Some(text) => code_of(&ENTITLEMENTS, text).ok_or_else(|| {
                bad(
                    "entitlement",
                    format!("{text:?}; use one of {}", ENTITLEMENTS.join(", ")),
                )
            })?,
        };
        Ok(EventInfo {
            eventTime: self.time,
            timeZoneOffset: self.time_zone_offset,
            readPoint: self.read_point.clone(),
            bizTransaction: hash_or_zero("biz_transaction", &self.biz_transaction)?,
            payloadHash: hash_or_zero("payload_hash", &self.payload_hash)?,
            entitlement,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpcBody {
    gtin: String,
    serial: String,
}

fn epcs(items: &[EpcBody]) -> Vec<Epc> {
    items
        .iter()
        .map(|e| Epc {
            gtin: e.gtin.clone(),
            serial: e.serial.clone(),
        })
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommissionItem {
    serial: String,
    /// `authCommit(gtin, serial, secret)`, 0x and 32 bytes.
    auth_commit: String,
}

/// A customs declaration or clearance: items and pallets, the declaration's hash.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomsBody {
    #[serde(default)]
    items: Vec<EpcBody>,
    #[serde(default)]
    ssccs: Vec<String>,
    declaration: String,
    event: EventBody,
}

impl CustomsBody {
    fn parts(self) -> Result<(Vec<Epc>, Vec<String>, B256, EventInfo), ApiError> {
        Ok((
            epcs(&self.items),
            self.ssccs,
            parse_b256("declaration", &self.declaration)?,
            self.event.info()?,
        ))
    }
}

/// `POST /v1/trace/operations`: one operation, named by `op`.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum OperationBody {
    RegisterPrefix {
        prefix: String,
        org: String,
    },
    RegisterProduct {
        gtin: String,
        name: String,
        attrs_hash: Option<String>,
    },
    AuthorizeProducer {
        gtin: String,
        org: String,
        allowed: bool,
    },
    CreateLot {
        gtin: String,
        lot: String,
        origin_country: String,
        produced_at: u64,
        cross_border: bool,
        ilmd_hash: Option<String>,
    },
    Commission {
        gtin: String,
        lot: String,
        items: Vec<CommissionItem>,
        event: EventBody,
    },
    Inspect {
        gtin: String,
        lot: String,
        #[serde(default)]
        serials: Vec<String>,
        pass: bool,
        certificate_hash: Option<String>,
        event: EventBody,
    },
    Pack {
        sscc: String,
        items: Vec<EpcBody>,
        event: EventBody,
    },
    Unpack {
        sscc: String,
        event: EventBody,
    },
    Ship {
        #[serde(default)]
        items: Vec<EpcBody>,
        #[serde(default)]
        ssccs: Vec<String>,
        to: String,
        event: EventBody,
    },
    Receive {
        #[serde(default)]
        items: Vec<EpcBody>,
        #[serde(default)]
        ssccs: Vec<String>,
        event: EventBody,
    },
    CustomsDeclare(CustomsBody),
    CustomsClear(CustomsBody),
    Sell {
        items: Vec<EpcBody>,
        event: EventBody,
    },
    Recall {
        gtin: String,
        lot: String,
        reason: String,
    },
    Decommission {
        items: Vec<EpcBody>,
        event: EventBody,
    },
    Flag {
        gtin: String,
        serial: String,
        flags: Vec<String>,
        set: bool,
        reason: Option<String>,
    },
}

/// Every operation name, for the OpenAPI document.
pub const OPERATIONS: [&str; 16] = [
    "register_prefix",
    "register_product",
    "authorize_producer",
    "create_lot",
    "commission",
    "inspect",
    "pack",
    "unpack",
    "ship",
    "receive",
    "customs_declare",
    "customs_clear",
    "sell",
    "recall",
    "decommission",
    "flag",
];

impl OperationBody {
    /// The calldata of the operation: several transactions for a large commissioning.
    pub fn calldata(self) -> Result<Vec<Vec<u8>>, ApiError> {
        use ITrace as I;
        Ok(vec![match self {
            Self::RegisterPrefix { prefix, org } => I::registerPrefixCall {
                prefix,
                org: org_id("org", &org)?,
            }
            .abi_encode(),
            Self::RegisterProduct {
                gtin,
                name,
                attrs_hash,
            } => I::registerProductCall {
                gtin,
                name,
                attrsHash: hash_or_zero("attrs_hash", &attrs_hash)?,
            }
            .abi_encode(),
            Self::AuthorizeProducer { gtin, org, allowed } => I::authorizeProducerCall {
                gtin,
                org: org_id("org", &org)?,
                allowed,
            }
            .abi_encode(),
            Self::CreateLot {
                gtin,
                lot,
                origin_country,
                produced_at,
                cross_border,
                ilmd_hash,
            } => {
                let country: [u8; 2] = origin_country.as_bytes().try_into().map_err(|_| {
                    bad("origin_country", "an ISO 3166-1 alpha-2 code, e.g. \"CN\"")
                })?;
                I::createLotCall {
                    gtin,
                    lot,
                    originCountry: FixedBytes(country),
                    producedAt: produced_at,
                    crossBorder: cross_border,
                    ilmdHash: hash_or_zero("ilmd_hash", &ilmd_hash)?,
                }
                .abi_encode()
            }
            Self::Commission {
                gtin,
                lot,
                items,
                event,
            } => {
                if items.is_empty() || items.len() > COMMISSION_ITEMS_MAX {
                    return Err(bad(
                        "items",
                        format!(
                            "1 to {COMMISSION_ITEMS_MAX} items per request, not {}",
                            items.len()
                        ),
                    ));
                }
                let info = event.info()?;
                let mut out = Vec::new();
                for chunk in items.chunks(COMMISSION_CHUNK) {
                    let commits = chunk
                        .iter()
                        .map(|i| parse_b256("auth_commit", &i.auth_commit))
                        .collect::<Result<Vec<_>, _>>()?;
                    out.push(
                        I::commissionCall {
                            gtin: gtin.clone(),
                            lot: lot.clone(),
                            serials: chunk.iter().map(|i| i.serial.clone()).collect(),
                            authCommits: commits,
                            info: info.clone(),
                        }
                        .abi_encode(),
                    );
                }
                return Ok(out);
            }
            Self::Inspect {
                gtin,
                lot,
                serials,
                pass,
                certificate_hash,
                event,
            } => I::inspectCall {
                gtin,
                lot,
                serials,
                pass,
                certificateHash: hash_or_zero("certificate_hash", &certificate_hash)?,
                info: event.info()?,
            }
            .abi_encode(),
            Self::Pack { sscc, items, event } => {
                if items.is_empty() || items.len() as u64 > PALLET_ITEMS_MAX {
                    return Err(bad(
                        "items",
                        format!(
                            "1 to {PALLET_ITEMS_MAX} items per pallet, not {}",
                            items.len()
                        ),
                    ));
                }
                let info = event.info()?;
                return Ok(items
                    .chunks(PACK_CHUNK)
                    .map(|chunk| {
                        I::packCall {
                            sscc: sscc.clone(),
                            items: epcs(chunk),
                            info: info.clone(),
                        }
                        .abi_encode()
                    })
                    .collect());
            }
            Self::Unpack { sscc, event } => I::unpackCall {
                sscc,
                info: event.info()?,
            }
            .abi_encode(),
            Self::Ship {
                items,
                ssccs,
                to,
                event,
            } => I::shipCall {
                items: epcs(&items),
                ssccs,
                to: org_id("to", &to)?,
                info: event.info()?,
            }
            .abi_encode(),
            Self::Receive {
                items,
                ssccs,
                event,
            } => I::receiveCall {
                items: epcs(&items),
                ssccs,
                info: event.info()?,
            }
            .abi_encode(),
            Self::CustomsDeclare(body) => {
                let (items, ssccs, declaration, info) = body.parts()?;
                I::customsDeclareCall {
                    items,
                    ssccs,
                    declaration,
                    info,
                }
                .abi_encode()
            }
            Self::CustomsClear(body) => {
                let (items, ssccs, declaration, info) = body.parts()?;
                I::customsClearCall {
                    items,
                    ssccs,
                    declaration,
                    info,
                }
                .abi_encode()
            }
            Self::Sell { items, event } => I::sellCall {
                items: epcs(&items),
                info: event.info()?,
            }
            .abi_encode(),
            Self::Recall { gtin, lot, reason } => I::recallCall {
                gtin,
                lot,
                reason: parse_b256("reason", &reason)?,
            }
            .abi_encode(),
            Self::Decommission { items, event } => I::decommissionCall {
                items: epcs(&items),
                info: event.info()?,
            }
            .abi_encode(),
            Self::Flag {
                gtin,
                serial,
                flags,
                set,
                reason,
            } => {
                let mut bits = 0u8;
                for flag in &flags {
                    let (bit, _) = FLAGS.iter().find(|(_, n)| n == flag).ok_or_else(|| {
                        bad(
                            "flags",
                            format!("{flag:?}; use suspected_clone, probing or diversion"),
                        )
                    })?;
                    bits |= bit;
                }
                I::flagCall {
                    gtin,
                    serial,
                    flags: bits,
                    set,
                    reason: hash_or_zero("reason", &reason)?,
                }
                .abi_encode()
            }
        }])
    }
}

#[derive(Serialize)]
pub struct OperationSubmitted {
    transactions: Vec<Submitted>,
}

/// `POST /v1/trace/operations`: the token's account performs one operation. Every
/// transaction it takes is simulated before any is submitted; a refusal submits none.
pub async fn operation(
    State(ctx): Ctx,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<OperationSubmitted>), ApiError> {
    gateway::blocking(move || {
        let (gw, session) = gateway::authenticate(&ctx, &headers)?;
        let calls = gateway::json_body::<OperationBody>(&body)?.calldata()?;
        let signer = gw.signer(&session.account).map_err(gateway::key_error)?;
        let transactions =
            gateway::module_calls(&ctx, &gw, &session, &signer, TRACE_ADDRESS, calls)?;
        Ok((
            StatusCode::ACCEPTED,
            Json(OperationSubmitted { transactions }),
        ))
    })
    .await
}

/// A trace error as text, for refusals the gateway reports.
pub fn error_text(err: &ITrace::ITraceErrors) -> String {
    use ITrace::ITraceErrors as E;
    match err {
        E::Unauthorized(e) => format!("Unauthorized: {} {}", e.caller, e.reason),
        E::InvalidInput(e) => format!("InvalidInput: {}", e.reason),
        E::InvalidIdentifier(e) => format!("InvalidIdentifier: {:?} {}", e.value, e.reason),
        E::NotFound(e) => format!("NotFound: {}", e.what),
        E::AlreadyExists(e) => format!("AlreadyExists: {}", e.what),
        E::InvalidState(e) => format!("InvalidState: {} is {}", e.subject, name(&STATES, e.state)),
        E::WrongRecipient(e) => format!(
            "WrongRecipient: {} was shipped to {}",
            e.subject,
            org_text(&e.recipient)
        ),
        E::ConflictOfInterest(e) => {
            format!("ConflictOfInterest: {} produced the lot", org_text(&e.org))
        }
        E::NotCleared(e) => format!("NotCleared: {} is not cleared by customs", e.subject),
        E::Recalled(e) => format!("Recalled: {}", e.subject),
        E::InContainer(e) => format!("InContainer: {} is packed in pallet {}", e.subject, e.sscc),
        E::OutOfOrder(e) => format!(
            "OutOfOrder: event time {} is before {} of {}",
            e.given, e.last, e.subject
        ),
        E::TimeInFuture(e) => format!("TimeInFuture: event time {} is after {}", e.given, e.limit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calldata(body: &str) -> Result<Vec<Vec<u8>>, String> {
        let body: OperationBody = gateway::json_body(body.as_bytes()).map_err(|e| e.to_string())?;
        body.calldata().map_err(|e| e.to_string())
    }

    #[test]
    fn operations_are_checked_before_anything_is_signed() {
        let event = r#""event": {"time": 5}"#;
        for (body, expected) in [
            (r#"{"op": "teleport"}"#.to_string(), "unknown variant"),
            (format!(r#"{{"op": "ship", "to": "", {event}}}"#), "not an organisation id"),
            (format!(r#"{{"op": "ship", "to": "org1", "bogus": 1, {event}}}"#), "unknown field"),
            (
                r#"{"op": "sell", "items": [], "event": {"time": 5, "entitlement": "secret"}}"#
                    .to_string(),
                "entitlement",
            ),
            (
                r#"{"op": "create_lot", "gtin": "1", "lot": "L", "origin_country": "CHN", "produced_at": 1, "cross_border": false}"#
                    .to_string(),
                "alpha-2",
            ),
            (format!(r#"{{"op": "commission", "gtin": "1", "lot": "L", "items": [], {event}}}"#), "1 to 10000"),
            (
                format!(r#"{{"op": "commission", "gtin": "1", "lot": "L", "items": [{{"serial": "A", "auth_commit": "0x12"}}], {event}}}"#),
                "auth_commit",
            ),
            (
                format!(r#"{{"op": "customs_clear", "ssccs": [], "declaration": "0x12", {event}}}"#),
                "declaration",
            ),
            (
                format!(r#"{{"op": "customs_declare", "declaration": "0x{}", "extra": 1, {event}}}"#, "ab".repeat(32)),
                "unknown field",
            ),
            (
                r#"{"op": "flag", "gtin": "1", "serial": "A", "flags": ["stolen"], "set": true}"#.to_string(),
                "suspected_clone",
            ),
        ] {
            let err = calldata(&body).unwrap_err();
            assert!(err.contains(expected), "{body}: {err}");
        }
    }

    #[test]
    fn a_full_pallet_is_packed_in_several_transactions() -> Result<(), String> {
        let items: Vec<String> = (0..PALLET_ITEMS_MAX)
            .map(|i| format!(r#"{{"gtin": "06901234567892", "serial": "S{i}"}}"#))
            .collect();
        let body = format!(
            r#"{{"op": "pack", "sscc": "069012340000000016", "items": [{}], "event": {{"time": 5}}}}"#,
            items.join(",")
        );
        let calls = calldata(&body)?;
        assert_eq!(
            calls.len(),
            (PALLET_ITEMS_MAX as usize).div_ceil(PACK_CHUNK)
        );
        assert!(calls.iter().all(|c| c.len() < 128 * 1024));
        let too_many = body.replace(
            r#""items": ["#,
            r#""items": [{"gtin": "1", "serial": "X"},"#,
        );
        assert!(calldata(&too_many).unwrap_err().contains("1 to 1000"));
        Ok(())
    }

    #[test]
    fn a_large_commissioning_is_split_into_transactions() -> Result<(), String> {
        let items: Vec<String> = (0..COMMISSION_CHUNK + 1)
            .map(|i| {
                format!(
                    r#"{{"serial": "S{i}", "auth_commit": "0x{}"}}"#,
                    "ab".repeat(32)
                )
            })
            .collect();
        let body = format!(
            r#"{{"op": "commission", "gtin": "06901234567892", "lot": "L", "items": [{}], "event": {{"time": 5}}}}"#,
            items.join(",")
        );
        let calls = calldata(&body)?;
        assert_eq!(calls.len(), 2);
        let decode =
            |call: &[u8]| ITrace::commissionCall::abi_decode(call).map_err(|err| err.to_string());
        let (first, second) = (decode(&calls[0])?, decode(&calls[1])?);
        assert_eq!(first.serials.len(), COMMISSION_CHUNK);
        assert_eq!(second.serials, vec![format!("S{COMMISSION_CHUNK}")]);
        assert_eq!(first.info.entitlement, 4, "public by default");
        Ok(())
    }
}

//! The public consumer page a product's QR code points to: `/verify/{gtin}/{serial}`
//! (and the GS1 Digital Link form `/01/{gtin}/21/{serial}`, redirected there). It shows
//! the product, its origin, inspections, journey, customs and recall status and its
//! verification history, each line with the transaction and block that prove it; it
//! never shows business transactions, internal organisation ids, or events whose
//! entitlement is not public. A consumer may enter the item's hidden code: the node
//! checks it on chain as the configured verification account (`gateway.verification_account`)
//! and shows the outcome once the check is final.
//!
//! Server-rendered HTML without scripts, laid out for a phone-sized screen.

use std::{
    fmt::Write as _,
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use alloy_primitives::{B256, FixedBytes, keccak256};
use alloy_sol_types::SolCall as _;
use axum::{
    Form,
    extract::{Path, State, rejection::FormRejection},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
};
use entente_gateway::Session;
use entente_modules::{
    TRACE_ADDRESS,
    trace::{
        abi::{ITrace, Verification},
        logic::check_cell,
        state::{
            FLAG_DIVERSION, FLAG_PROBING, FLAG_SUSPECT_CLONE, ITEM_RECALLED, ITEM_SOLD,
            OUTCOME_ALREADY_VERIFIED, OUTCOME_GENUINE, OUTCOME_INVALID_CODE, step,
        },
    },
};
use serde::Deserialize;

use crate::{
    ApiError, gateway,
    routes::ApiContext,
    time::utc,
    trace::{ItemReport, JourneyEvent, item_report, name, org_names},
};

type Ctx = State<Arc<ApiContext>>;

/// Code checks the page runs at once; more are answered "busy, try again".
pub const CHECKS_IN_FLIGHT_MAX: usize = 16;
/// How long the page waits for a code check to be final.
const CHECK_WAIT: Duration = Duration::from_secs(20);

/// Text safe inside HTML.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Unix seconds as `YYYY-MM-DD HH:MM UTC`.
fn date(secs: u64) -> String {
    format!("{} UTC", &utc(secs)[..16])
}

fn short(hash: &B256) -> String {
    let text = hash.to_string();
    format!("{}…{}", &text[..10], &text[text.len() - 6..])
}

fn step_label(event: &JourneyEvent) -> String {
    let label = match event.step.as_str() {
        "commissioning" => "Produced and serialised",
        "inspecting" => "Inspected",
        "packing" => "Packed",
        "unpacking" => "Unpacked",
        "shipping" => "Shipped",
        "receiving" => "Received",
        "customs_declared" => "Declared to customs",
        "customs_cleared" => "Cleared by customs",
        "retail_selling" => "Sold by an authorised retailer",
        "recalling" => "Recalled",
        "decommissioning" => "Taken out of circulation",
        other => other,
    };
    match event.result {
        Some("pass") => format!("{label}: passed"),
        Some("fail") => format!("{label}: FAILED"),
        _ => label.to_string(),
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f5f5f2;color:#222}\
main{max-width:40rem;margin:0 auto;padding:1rem}\
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.1rem;margin:1.2rem 0 .4rem}\
.card{background:#fff;border-radius:.6rem;padding:.8rem 1rem;margin:.6rem 0;box-shadow:0 1px 2px #0002}\
.banner{border-radius:.6rem;padding:.8rem 1rem;margin:.6rem 0;font-weight:600}\
.ok{background:#e3f5e1;color:#185c12}.warn{background:#fff3d6;color:#6b4a00}.bad{background:#fde2e0;color:#8a1c12}\
dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem .8rem;margin:0}dt{color:#666}dd{margin:0;overflow-wrap:anywhere}\
ol{list-style:none;padding:0;margin:0}li{border-left:3px solid #7a9;padding:.2rem 0 .5rem .7rem;margin-left:.3rem}\
.meta{color:#666;font-size:.85rem;overflow-wrap:anywhere}a{color:#1a5e8a}\
input{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box;margin:.2rem 0 .5rem}\
button{font-size:1rem;padding:.6rem 1rem;border:0;border-radius:.4rem;background:#1a5e8a;color:#fff;width:100%}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        esc(title)
    )
}

fn tx_link(event: &JourneyEvent) -> String {
    format!(
        "<a class=\"tx\" href=\"/v1/trace/transactions/{tx}\">tx {short}</a> · block {block}",
        tx = event.tx,
        short = esc(&short(&event.tx)),
        block = event.block
    )
}

/// The outcome of a code the consumer entered, as a banner.
fn outcome_banner(result: &Verification) -> String {
    let mut out = match result.outcome {
        OUTCOME_GENUINE => "<div class=\"banner ok\" id=\"result\">Genuine: this is the first \
             verification of this code.</div>"
            .to_string(),
        OUTCOME_ALREADY_VERIFIED => format!(
            "<div class=\"banner bad\" id=\"result\">Already verified at {} in {}. This code was \
             used before: the item may be a copy or a refilled bottle, and it is now flagged as a \
             suspected clone.</div>",
            esc(&date(result.firstVerifiedAt)),
            esc(&result.firstVerifiedCell)
        ),
        OUTCOME_INVALID_CODE => "<div class=\"banner bad\" id=\"result\">Invalid code: this is \
             not the code of this item. The attempt was recorded.</div>"
            .to_string(),
        _ => "<div class=\"banner bad\" id=\"result\">This item's code was revoked: the item was \
             taken out of circulation.</div>"
            .to_string(),
    };
    if !result.soldThroughAuthorizedChannel && !result.recalled {
        out.push_str(
            "<div class=\"banner warn\" id=\"channel\">Warning: this item was not sold through an \
             authorised retailer.</div>",
        );
    }
    out
}

/// The page of an item, with the outcome of a code check when there was one.
fn item_page(
    report: &ItemReport,
    gtin: &str,
    serial: &str,
    result: Option<&Verification>,
    notice: Option<&str>,
    checks_enabled: bool,
) -> String {
    let view = report.resolved.view(gtin, serial);
    let lot = &report.lot;
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1 id=\"product\">{}</h1><div class=\"meta\">by {} · GTIN {} · serial {}</div>",
        esc(&report.product.name),
        esc(&report.brand_name),
        esc(gtin),
        esc(serial)
    );
    if let Some(result) = result {
        b.push_str(&outcome_banner(result));
    }
    if let Some(notice) = notice {
        let _ = write!(
            b,
            "<div class=\"banner warn\" id=\"notice\">{}</div>",
            esc(notice)
        );
    }
    if view.state == ITEM_RECALLED {
        let _ = write!(
            b,
            "<div class=\"banner bad\" id=\"recall\">RECALLED on {}: do not consume or use this \
             product. Return it to the seller.</div>",
            esc(&date(lot.recalledAt))
        );
    }
    if view.flags & FLAG_SUSPECT_CLONE != 0 && result.is_none() {
        let _ = write!(
            b,
            "<div class=\"banner bad\" id=\"clone\">Suspected clone: this item's code was already \
             verified at {} in {}.</div>",
            esc(&date(view.firstVerifiedAt)),
            esc(&view.firstVerifiedCell)
        );
    }
    if view.flags & FLAG_PROBING != 0 {
        b.push_str(
            "<div class=\"banner warn\" id=\"probing\">Many wrong codes were tried for this item.</div>",
        );
    }
    if view.flags & FLAG_DIVERSION != 0 {
        b.push_str(
            "<div class=\"banner warn\" id=\"diversion\">The brand reports this item outside its \
             authorised sales channel.</div>",
        );
    }
    if result.is_none() && view.state != ITEM_SOLD && view.state != ITEM_RECALLED {
        b.push_str(
            "<div class=\"banner warn\" id=\"channel\">This item has not been sold through an \
             authorised retailer.</div>",
        );
    }
    // Origin.
    let _ = write!(
        b,
        "<h2>Origin</h2><div class=\"card\"><dl id=\"origin\"><dt>Lot</dt><dd>{}</dd>\
         <dt>Produced</dt><dd>{}</dd><dt>Country</dt><dd>{}</dd>",
        esc(&lot.lot),
        esc(&date(lot.producedAt)),
        esc(&String::from_utf8_lossy(lot.originCountry.as_slice()))
    );
    if let Some(event) = report.journey.iter().find(|e| e.step == "commissioning") {
        let _ = write!(
            b,
            "<dt>Producer</dt><dd>{}</dd><dt>Proof</dt><dd class=\"meta\">{}</dd>",
            esc(&event.org_name),
            tx_link(event)
        );
    }
    b.push_str("</dl></div>");
    // Verification.
    let _ = write!(
        b,
        "<h2>Verification</h2><div class=\"card\"><dl id=\"verification\"><dt>Checks</dt><dd>{}</dd>",
        view.verifyCount
    );
    if view.firstVerifiedAt != 0 {
        let _ = write!(
            b,
            "<dt>First verified</dt><dd>{} in {}</dd>",
            esc(&date(view.firstVerifiedAt)),
            esc(&view.firstVerifiedCell)
        );
    }
    let customs = if !view.crossBorder {
        "not imported"
    } else if view.customsCleared {
        "cleared"
    } else if view.customsDeclared {
        "declared, not cleared"
    } else {
        "not declared"
    };
    let _ = write!(
        b,
        "<dt>Status</dt><dd id=\"state\">{}</dd><dt>Customs</dt><dd id=\"customs\">{}</dd></dl></div>",
        esc(&name(&crate::trace::STATES, view.state).replace('_', " ")),
        customs
    );
    // Inspections.
    let inspections: Vec<&JourneyEvent> = report
        .journey
        .iter()
        .filter(|e| e.step == "inspecting" && e.entitlement == "public")
        .collect();
    if !inspections.is_empty() {
        b.push_str("<h2>Inspections</h2><div class=\"card\"><ol id=\"inspections\">");
        for event in inspections {
            let _ = write!(
                b,
                "<li><strong>{}</strong> by {} on {}<div class=\"meta\">certificate {} · {}</div></li>",
                esc(&step_label(event)),
                esc(&event.org_name),
                esc(&date(event.event_time)),
                esc(&short(&event.reference)),
                tx_link(event)
            );
        }
        b.push_str("</ol></div>");
    }
    // Journey.
    b.push_str("<h2>Journey</h2><div class=\"card\"><ol id=\"journey\">");
    for event in report.journey.iter().filter(|e| e.entitlement == "public") {
        let place = if event.read_point.is_empty() {
            String::new()
        } else {
            format!(" at {}", esc(&event.read_point))
        };
        let _ = write!(
            b,
            "<li data-step=\"{}\"><strong>{}</strong>{place}<div>{} · {}</div><div class=\"meta\">{}</div></li>",
            esc(&event.step),
            esc(&step_label(event)),
            esc(&date(event.event_time)),
            esc(&event.org_name),
            tx_link(event)
        );
    }
    b.push_str("</ol></div>");
    // The code form.
    if checks_enabled {
        let _ = write!(
            b,
            "<h2>Check your code</h2><div class=\"card\"><form method=\"post\" \
             action=\"/verify/{g}/{s}\"><label for=\"code\">The 32-character code under the \
             seal</label><input id=\"code\" name=\"code\" autocomplete=\"off\" required \
             maxlength=\"64\"><label for=\"city\">Your city (optional)</label><input id=\"city\" \
             name=\"city\" maxlength=\"24\"><button type=\"submit\">Verify</button></form></div>",
            g = esc(gtin),
            s = esc(serial)
        );
    }
    b.push_str(
        "<p class=\"meta\">Every line is recorded on the consortium's ledger; follow a \
         transaction link for its proof.</p>",
    );
    page(&format!("{} — verification", report.product.name), &b)
}

fn not_found_page(gtin: &str, serial: &str, why: &str) -> Response {
    let body = format!(
        "<h1>Not a registered product</h1><div class=\"banner bad\" id=\"result\">No product is \
         registered as GTIN {} serial {}. It may be counterfeit.</div><p class=\"meta\">{}</p>",
        esc(gtin),
        esc(serial),
        esc(why)
    );
    (StatusCode::NOT_FOUND, Html(page("Not found", &body))).into_response()
}

fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<h1>Verification</h1><div class=\"banner bad\" id=\"result\">{}</div>",
        esc(message)
    );
    (status, Html(page("Verification", &body))).into_response()
}

fn report_or_page(ctx: &ApiContext, gtin: &str, serial: &str) -> Result<ItemReport, Box<Response>> {
    item_report(ctx, gtin, serial).map_err(|err| {
        Box::new(match err {
            ApiError::NotFound { what } => not_found_page(gtin, serial, &what),
            ApiError::BadRequest { reason, .. } => not_found_page(gtin, serial, &reason),
            err => error_page(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string()),
        })
    })
}

fn checks_enabled(ctx: &ApiContext) -> bool {
    ctx.gateway.is_some() && ctx.verification_account.is_some()
}

/// `GET /verify/{gtin}/{serial}`.
pub async fn show(State(ctx): Ctx, Path((gtin, serial)): Path<(String, String)>) -> Response {
    let work = tokio::task::spawn_blocking(move || {
        let report = match report_or_page(&ctx, &gtin, &serial) {
            Ok(report) => report,
            Err(response) => return *response,
        };
        Html(item_page(
            &report,
            &gtin,
            &serial,
            None,
            None,
            checks_enabled(&ctx),
        ))
        .into_response()
    });
    work.await
        .unwrap_or_else(|err| error_page(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string()))
}

/// `GET /01/{gtin}/21/{serial}` (GS1 Digital Link): the item's page. A GTIN-8, -12 or
/// -13 is padded to 14 digits.
pub async fn digital_link(Path((gtin, serial)): Path<(String, String)>) -> Response {
    let gtin = if gtin.len() < 14 && gtin.bytes().all(|b| b.is_ascii_digit()) {
        format!("{gtin:0>14}")
    } else {
        gtin
    };
    if !serial
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
        || !gtin.bytes().all(|b| b.is_ascii_digit())
    {
        return not_found_page(&gtin, &serial, "malformed identifiers");
    }
    Redirect::to(&format!("/verify/{gtin}/{serial}")).into_response()
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    code: String,
    #[serde(default)]
    city: String,
}

/// The 16-byte secret in what a consumer typed: 32 hex digits, spaces and dashes ignored.
fn parse_code(text: &str) -> Option<[u8; 16]> {
    let digits: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let bytes = hex::decode(digits).ok()?;
    bytes.try_into().ok()
}

/// Decrements the in-flight count when a check ends.
struct InFlight<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// `POST /verify/{gtin}/{serial}`: checks a consumer's code on chain and shows the
/// outcome once its transaction is final.
pub async fn check(
    State(ctx): Ctx,
    Path((gtin, serial)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let work = tokio::task::spawn_blocking(move || {
        let report = match report_or_page(&ctx, &gtin, &serial) {
            Ok(report) => report,
            Err(response) => return *response,
        };
        let enabled = checks_enabled(&ctx);
        let retry = |status: StatusCode, notice: &str| {
            (
                status,
                Html(item_page(
                    &report,
                    &gtin,
                    &serial,
                    None,
                    Some(notice),
                    enabled,
                )),
            )
                .into_response()
        };
        let Ok(Form(form)) = form else {
            return retry(
                StatusCode::BAD_REQUEST,
                "Enter the code printed under the seal.",
            );
        };
        let Some(secret) = parse_code(&form.code) else {
            return retry(
                StatusCode::BAD_REQUEST,
                "A code is 32 characters, 0–9 and a–f; please check what you typed.",
            );
        };
        let city = if form.city.trim().is_empty() {
            "web".to_string()
        } else {
            form.city.trim().to_string()
        };
        if check_cell(&city).is_err() {
            return retry(
                StatusCode::BAD_REQUEST,
                "A city is up to 24 letters, digits, '-', '.' or '_'.",
            );
        }
        let (Some(gw), Some(account)) = (ctx.gateway.clone(), ctx.verification_account) else {
            return retry(
                StatusCode::SERVICE_UNAVAILABLE,
                "This node does not check codes; ask the brand for its verification page.",
            );
        };
        if ctx.verify_in_flight.fetch_add(1, Ordering::AcqRel) >= CHECKS_IN_FLIGHT_MAX {
            ctx.verify_in_flight.fetch_sub(1, Ordering::AcqRel);
            return retry(
                StatusCode::SERVICE_UNAVAILABLE,
                "Too many checks right now; please try again in a moment.",
            );
        }
        let _in_flight = InFlight(&ctx.verify_in_flight);
        let device = headers
            .get(header::USER_AGENT)
            .map(|v| keccak256(v.as_bytes()))
            .unwrap_or_default();
        let calldata = ITrace::verifyCall {
            gtin: gtin.clone(),
            serial: serial.clone(),
            secret: FixedBytes(secret),
            cell: city,
            deviceHash: device,
        }
        .abi_encode();
        let session = Session {
            token_id: "verification-page".into(),
            label: "public verification page".into(),
            account,
        };
        let submitted = gw
            .signer(&account)
            .map_err(gateway::key_error)
            .and_then(|signer| {
                gateway::module_calls(&ctx, &gw, &session, &signer, TRACE_ADDRESS, vec![calldata])
            });
        let hash = match submitted.as_deref() {
            Ok([one]) => one.hash,
            Ok(_) => return retry(StatusCode::INTERNAL_SERVER_ERROR, "no check was submitted"),
            Err(err) => {
                tracing::warn!(%err, "verification page: code check refused");
                return retry(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The check could not be submitted; please try again later.",
                );
            }
        };
        let result = match wait_for_result(&ctx, &hash) {
            Ok(result) => result,
            Err(message) => return retry(StatusCode::GATEWAY_TIMEOUT, &message),
        };
        match report_or_page(&ctx, &gtin, &serial) {
            Ok(after) => Html(item_page(
                &after,
                &gtin,
                &serial,
                Some(&result),
                None,
                enabled,
            ))
            .into_response(),
            Err(response) => *response,
        }
    });
    work.await
        .unwrap_or_else(|err| error_page(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string()))
}

/// Waits until the check's transaction is committed; decodes its outcome.
fn wait_for_result(ctx: &ApiContext, hash: &B256) -> Result<Verification, String> {
    let store = ctx.chain.store();
    let deadline = Instant::now() + CHECK_WAIT;
    loop {
        if let Some(location) = store.tx_location(hash).map_err(|e| e.to_string())? {
            let receipt = store
                .receipt(location.height, location.index)
                .map_err(|e| e.to_string())?
                .ok_or("the check's receipt is missing")?;
            if !receipt.success {
                return Err("The check was refused by the ledger; please try again.".into());
            }
            return ITrace::verifyCall::abi_decode_returns(&receipt.output)
                .map_err(|err| format!("unreadable check result: {err}"));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "The check (transaction {hash}) is not final yet; reload this page in a moment."
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `GET /v1/trace/transactions/{hash}`: the trace events of a committed transaction,
/// with its block: what each line of the consumer page links to.
pub async fn transaction(
    State(ctx): Ctx,
    Path(hash): Path<String>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    gateway::blocking(move || {
        let hash = crate::evidence::parse_b256("hash", &hash)?;
        let store = ctx.chain.store();
        let location = store
            .tx_location(&hash)?
            .ok_or_else(|| ApiError::NotFound {
                what: format!("transaction {hash}"),
            })?;
        let receipt = store
            .receipt(location.height, location.index)?
            .ok_or_else(|| ApiError::NotFound {
                what: format!("receipt of {hash}"),
            })?;
        let header = store.header(location.height)?;
        let mut events = Vec::new();
        let mut orgs = Vec::new();
        for log in receipt.logs.iter().filter(|l| l.address == TRACE_ADDRESS) {
            use alloy_sol_types::SolEvent as _;
            if let Ok(ev) = ITrace::TraceEvent::decode_log_data(&log.data) {
                if ev.entitlement != 4 {
                    continue;
                }
                orgs.push(ev.org);
                events.push(ev);
            }
        }
        let names = org_names(&ctx, &orgs)?;
        let events: Vec<serde_json::Value> = events
            .iter()
            .zip(names)
            .map(|(ev, org)| {
                serde_json::json!({
                    "subject": ev.subject,
                    "step": name(&crate::trace::STEPS, ev.bizStep),
                    "event_id": ev.eventId,
                    "org_name": org,
                    "event_time": ev.eventTime,
                    "read_point": ev.readPoint,
                    "result": match (ev.bizStep, ev.result) {
                        (step::INSPECTING, 1) => Some("pass"),
                        (step::INSPECTING, 2) => Some("fail"),
                        _ => None,
                    },
                })
            })
            .collect();
        Ok(axum::Json(serde_json::json!({
            "hash": hash,
            "block": location.height,
            "block_hash": header.map(|h| entente_primitives::digest_to_b256(&h.digest())),
            "success": receipt.success,
            "events": events,
        })))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_utc_calendar_times() {
        assert_eq!(date(0), "1970-01-01 00:00 UTC");
        assert_eq!(date(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(date(1_795_000_000), "2026-11-18 11:06 UTC");
        assert_eq!(date(4_102_444_799), "2099-12-31 23:59 UTC");
    }

    #[test]
    fn consumer_input_is_parsed_and_page_text_escaped() {
        let code = "40404040-40404040 40404040 4040404A";
        let mut expected = [0x40; 16];
        expected[15] = 0x4a;
        assert_eq!(parse_code(code), Some(expected));
        for bad in [
            "",
            "4040",
            &"40".repeat(17),
            "zz404040404040404040404040404040",
        ] {
            assert_eq!(parse_code(bad), None, "{bad:?}");
        }
        assert_eq!(
            esc("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
    }
}

//! The OpenAPI 3.1 description of the REST API, served at `/openapi.json`.

use axum::Json;
use serde_json::{Map, Value, json};

use entente_modules::{
    evidence::{logic::MEDIA_TYPE_MAX, state::DIGESTS_MAX},
    governance::state::params,
    supervision::names as sup,
};

use crate::{
    ApiError,
    evidence::DEFAULT_MEDIA_TYPE,
    governance::{ORG_STATUSES, PROPOSAL_STATUSES, PROPOSALS_LIMIT_DEFAULT, PROPOSALS_LIMIT_MAX},
    supervision::{ORDERS_LIMIT_DEFAULT, ORDERS_LIMIT_MAX},
    trace,
};

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema_ref("Error") } } })
}

/// Responses: `ok` with its status and schema, then the listed error statuses.
fn responses(ok_status: &str, schema: Option<&str>, errors: &[&str]) -> Value {
    let mut out = Map::new();
    let content = match schema {
        Some(name) => json!({ "application/json": { "schema": schema_ref(name) } }),
        None => json!({ "application/json": {} }),
    };
    out.insert(
        ok_status.into(),
        json!({ "description": "OK", "content": content }),
    );
    for status in errors {
        let description = match *status {
            "400" => "Bad request: malformed path, query or body",
            "401" => "Missing, unknown or revoked API token",
            "404" => "Not found (or the gateway is not enabled)",
            "409" => "This node's keystore holds no key for the token's account",
            "422" => {
                "Transaction rejected (it would revert, or the node refused it); nothing was submitted"
            }
            "503" => {
                "Not available yet (overloaded, or a finality proof still being stored); retry later"
            }
            _ => "Error",
        };
        out.insert((*status).into(), error_response(description));
    }
    Value::Object(out)
}

fn get(summary: &str, params: Value, schema: Option<&str>, errors: &[&str]) -> Value {
    json!({ "summary": summary, "parameters": params, "responses": responses("200", schema, errors) })
}

/// A gateway operation: bearer token, JSON body, 202 with the submitted transaction.
fn post(summary: &str, description: &str, params: Value, body: &str) -> Value {
    json!({
        "summary": summary,
        "description": description,
        "security": [{ "bearerAuth": [] }],
        "parameters": params,
        "requestBody": { "required": true, "content": { "application/json": { "schema": schema_ref(body) } } },
        "responses": responses("202", Some("Submitted"), &["400", "401", "404", "409", "422", "503"])
    })
}

fn path_param(name: &str, description: &str) -> Value {
    json!([{ "name": name, "in": "path", "required": true, "description": description, "schema": { "type": "string" } }])
}

fn paths() -> Value {
    let block_id = path_param(
        "id",
        "`latest`, a decimal height, or a 0x-prefixed block hash",
    );
    let proposal_id = path_param("id", "The proposal id (a non-negative integer)");
    let submit_help = "The node simulates the call on the latest committed state (refusing one that would revert, with its decoded reason), signs it as the token's account with the account's next pending nonce and submits it through the same ingress as eth_sendRawTransaction. Poll the hash with eth_getTransactionReceipt.";
    let mut paths = json!({
        "/health": { "get": get("Liveness and the committed height", json!([]), None, &[]) },
        "/metrics": { "get": get("Prometheus metrics (text format)", json!([]), None, &[]) },
        "/v1/status": { "get": get("Chain id, head, validator set size, pool size", json!([]), None, &[]) },
        "/v1/chain-spec": { "get": get("The chain spec this node runs", json!([]), None, &[]) },
        "/v1/blocks/{id}": { "get": get("A block header summary and its transaction hashes", block_id.clone(), None, &["400", "404"]) },
        "/v1/blocks/{id}/finalization": { "get": get("The block's finality proof (its certificate, or a descendant's with the linking headers) and the validator set it verifies against", block_id, None, &["400", "404"]) },
        "/v1/evidence": { "post": post("Deposit evidence as the token's account (role evidence_submitter): the digests of a document, never the document", "The node builds the evidence record (chain id from its spec, submitter the token's account), signs its hash with the account's key (EIP-191, as `entente evidence deposit --key` does) and submits the evidence module's deposit like any gateway call: refused with 422 and the module's error (e.g. `AlreadyDeposited: evidence 0x…`) if it would revert. The answer carries the record's `evidence_id`; once the transaction is final, fetch the certificate from /v1/evidence/by-tx/{hash}/certificate.", json!([]), "EvidenceDeposit") },
        "/v1/evidence/{id}": { "get": get("An evidence record: digests, submitter, media type, chain of custody, annotations", path_param("id", "The evidence id, 0x-prefixed 32 bytes"), None, &["400", "404"]) },
        "/v1/evidence/{id}/certificate": { "get": get("The portable evidence certificate of a final deposit, in canonical JSON (see docs/evidence.md); check it offline with `entente verify`", path_param("id", "The evidence id, 0x-prefixed 32 bytes"), None, &["400", "404", "503"]) },
        "/v1/evidence/by-tx/{hash}/certificate": { "get": get("The evidence certificate of the deposit made by a transaction", path_param("hash", "The deposit transaction's hash, 0x-prefixed 32 bytes"), None, &["400", "404", "503"]) },
        "/v1/governance/orgs": { "get": get("The organisations, as committed at the head", json!([]), Some("OrgList"), &[]) },
        "/v1/governance/orgs/{id}": { "get": get("One organisation", path_param("id", "The organisation id as text (`org0`), or a 0x-prefixed 32-byte word"), Some("Org"), &["400", "404"]) },
        "/v1/governance/accounts/{address}": { "get": get("A registered account: organisation, status and roles", path_param("address", "A 0x-prefixed 20-byte address"), Some("Account"), &["400", "404"]) },
        "/v1/governance/validators": { "get": get("Validators, past, present and scheduled, with whether each votes in the current epoch", json!([]), Some("ValidatorList"), &[]) },
        "/v1/governance/params": { "get": get("Governance parameters", json!([]), Some("Params"), &[]) },
        "/v1/governance/proposals": {
            "get": get("Proposals, newest first, with decoded payloads and ballots", json!([
                { "name": "status", "in": "query", "required": false, "description": "Only proposals with this status (as of the next block)", "schema": { "type": "string", "enum": PROPOSAL_STATUSES } },
                { "name": "limit", "in": "query", "required": false, "description": format!("Most proposals returned (1 to {PROPOSALS_LIMIT_MAX}, default {PROPOSALS_LIMIT_DEFAULT})"), "schema": { "type": "integer" } },
                { "name": "before", "in": "query", "required": false, "description": "Only proposals with a smaller id (the previous page's `next_before`)", "schema": { "type": "integer" } }
            ]), Some("ProposalList"), &["400"]),
            "post": post("Propose a governance change as the token's account (an organisation admin)", submit_help, json!([]), "NewProposal")
        },
        "/v1/governance/proposals/{id}": { "get": get("One proposal", proposal_id.clone(), Some("Proposal"), &["400", "404"]) },
        "/v1/governance/proposals/{id}/votes": { "post": post("Vote on an open proposal as the token's account (an organisation admin)", submit_help, proposal_id, "Vote") },
        "/v1/supervision/params": { "get": get("The regulator committee's size, thresholds, TTLs and quota (the `supervision.*` parameters, defaults applied) and the order and proposal counts", json!([]), Some("SupervisionParams"), &[]) },
        "/v1/supervision/orders": {
            "get": get("Supervision orders: those on a target (oldest first, as many as it has), or every order (newest first, paged)", json!([
                { "name": "target", "in": "query", "required": false, "description": "An account, contract or holder address (0x, 20 bytes) or a transaction hash (0x, 32 bytes)", "schema": { "type": "string" } },
                { "name": "asset", "in": "query", "required": false, "description": "With a holder as target: the orders on that holding of this native asset", "schema": { "type": "string" } },
                { "name": "active", "in": "query", "required": false, "description": "Only orders in force (true) or not (false) as of the next block", "schema": { "type": "boolean" } },
                { "name": "limit", "in": "query", "required": false, "description": format!("Without target: most orders returned (1 to {ORDERS_LIMIT_MAX}, default {ORDERS_LIMIT_DEFAULT})"), "schema": { "type": "integer" } },
                { "name": "before", "in": "query", "required": false, "description": "Without target: only orders with a smaller id (the previous page's `next_before`)", "schema": { "type": "integer" } }
            ]), Some("OrderList"), &["400"])
        },
        "/v1/supervision/orders/{id}": { "get": get("One supervision order", path_param("id", "The order id (a positive integer)"), Some("Order"), &["400", "404"]) },
        "/v1/supervision/proposals": { "post": post("Propose a freeze, lift, ratification or forced transfer as the token's account (a regulator; it votes agree at once)", submit_help, json!([]), "NewSupervisionProposal") },
        "/v1/supervision/proposals/{id}": { "get": get("One committee proposal, with its votes and ballots", path_param("id", "The proposal id (a positive integer)"), Some("SupervisionProposal"), &["400", "404"]) },
        "/v1/supervision/proposals/{id}/votes": { "post": post("Vote on an open committee proposal as the token's account (a regulator); the vote that reaches the threshold executes it", submit_help, path_param("id", "The proposal id (a positive integer)"), "Vote") },
        "/v1/supervision/emergency": { "post": post("Freeze at once as the token's account (one regulator): the order lapses after supervision.emergency_ttl_blocks unless the committee ratifies it", submit_help, json!([]), "FreezeSpec") },
        "/v1/supervision/frozen": { "get": get("Whether an active order covers a target, and the first such order", json!([
            { "name": "kind", "in": "query", "required": true, "schema": { "type": "string", "enum": sup::TARGET_KINDS } },
            { "name": "target", "in": "query", "required": true, "description": "An address (0x, 20 bytes); for kind tx the transaction hash (0x, 32 bytes)", "schema": { "type": "string" } },
            { "name": "selector", "in": "query", "required": false, "description": "Kind method only (required): the 4-byte selector, 0x and 8 hex digits", "schema": { "type": "string" } },
            { "name": "asset", "in": "query", "required": false, "description": "Kind holding only (required): the native asset", "schema": { "type": "string" } }
        ]), Some("Frozen"), &["400"]) },
        "/v1/supervision/history": { "get": get("The audit trail of a target: every supervision event concerning it (freeze proposals and votes, activation, notification, ratification, lifting, expiry, forced transfers), in chain order, read from the logs", json!([
            { "name": "target", "in": "query", "required": true, "description": "An address (0x, 20 bytes) or a transaction hash (0x, 32 bytes)", "schema": { "type": "string" } },
            { "name": "asset", "in": "query", "required": false, "description": "With a holder as target: the trail of that holding", "schema": { "type": "string" } },
            { "name": "from", "in": "query", "required": false, "description": "First block searched (default 0)", "schema": { "type": "integer" } },
            { "name": "to", "in": "query", "required": false, "description": "Last block searched (default the head)", "schema": { "type": "integer" } }
        ]), Some("History"), &["400"]) },
        "/v1/supervision/transactions/{hash}": { "get": get("Whether a committed transaction was denied by a supervision order (its receipt's revert data is Frozen or ContractFrozen), and that order", path_param("hash", "The transaction hash, 0x-prefixed 32 bytes"), None, &["400", "404"]) },
        "/v1/gateway/whoami": { "get": {
            "summary": "The token's id, label and account, whether the node holds its key, its next nonce and its registration",
            "security": [{ "bearerAuth": [] }],
            "responses": responses("200", Some("WhoAmI"), &["401", "404"])
        } },
        "/v1/gateway/transactions": { "post": post("Sign and submit a transaction as the token's account", submit_help, json!([]), "TransactionRequest") }
    });
    if let (Value::Object(all), Value::Object(more)) = (&mut paths, trace_paths()) {
        all.extend(more);
    }
    paths
}

fn quantity() -> Value {
    json!({ "oneOf": [{ "type": "integer", "minimum": 0 }, { "type": "string", "description": "decimal, or 0x-prefixed hex" }] })
}

fn hex(description: &str) -> Value {
    json!({ "type": "string", "pattern": "^0x[0-9a-fA-F]*$", "description": description })
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": properties, "additionalProperties": false })
}

/// One `NewProposal` variant.
fn proposal_kind(kind: &str, required: &[&str], properties: Value) -> Value {
    let mut properties = properties;
    properties["kind"] = json!({ "const": kind });
    let mut required: Vec<&str> = required.to_vec();
    required.insert(0, "kind");
    object(&required, properties)
}

fn schemas() -> Value {
    let address = hex("20-byte address");
    let word = hex("32 bytes");
    let org_status = json!({ "type": "string", "enum": ORG_STATUSES });
    let mut schemas = json!({
        "Error": {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "code": { "type": "string", "enum": ApiError::CODES },
                        "message": { "type": "string" }
                    }
                }
            }
        },
        "Org": { "type": "object", "properties": {
            "id": { "type": "string" }, "name": { "type": "string" }, "admin": address,
            "status": org_status, "weight": { "type": "integer" }
        } },
        "OrgList": { "type": "object", "properties": {
            "height": { "type": "integer" }, "orgs": { "type": "array", "items": schema_ref("Org") }
        } },
        "Account": { "type": "object", "properties": {
            "address": address, "org": { "type": "string" },
            "status": { "type": "string", "enum": ["active", "suspended"] },
            "roles": { "type": "array", "items": { "type": "string" } }
        } },
        "Validator": { "type": "object", "properties": {
            "public_key": hex("ed25519 public key"), "org": { "type": "string" }, "fee_recipient": address,
            "p2p_address": { "type": "string" }, "from_epoch": { "type": "integer" },
            "until_epoch": { "type": ["integer", "null"] }, "active": { "type": "boolean" }
        } },
        "ValidatorList": { "type": "object", "properties": {
            "height": { "type": "integer" }, "epoch": { "type": "integer" },
            "validators": { "type": "array", "items": schema_ref("Validator") }
        } },
        "Params": { "type": "object", "properties": {
            "height": { "type": "integer" }, "permissioned": { "type": "boolean" },
            "approval_pct": { "type": "integer" }, "proposal_ttl_blocks": { "type": "integer" },
            "epoch_blocks": { "type": "integer" }
        } },
        "Proposal": { "type": "object", "properties": {
            "id": { "type": "integer" },
            "kind": { "type": "string", "enum": ["add_org", "set_org_status", "add_validator", "remove_validator", "appoint_regulator", "remove_regulator", "set_param"] },
            "status": { "type": "string", "enum": PROPOSAL_STATUSES },
            "target": word, "proposer_org": { "type": "string" },
            "created_at": { "type": "integer" }, "expires_at": { "type": "integer" },
            "votes": { "type": "object", "properties": {
                "agree": { "type": "integer" }, "against": { "type": "integer" },
                "total": { "type": "integer" }, "approval_pct": { "type": "integer" }
            } },
            "ballots": { "type": "array", "items": { "type": "object", "properties": {
                "org": { "type": "string" }, "agree": { "type": "boolean" }
            } } },
            "payload": { "type": "object", "description": "The proposal's arguments, named as in NewProposal (`{\"raw\": \"0x…\"}` if undecodable)" }
        } },
        "ProposalList": { "type": "object", "properties": {
            "height": { "type": "integer" },
            "proposals": { "type": "array", "items": schema_ref("Proposal") },
            "next_before": { "type": ["integer", "null"] }
        } },
        "TransactionRequest": object(&[], json!({
            "to": address, "data": hex("call data or init code"), "value": quantity(),
            "gas": { "type": "integer", "description": "gas limit; omitted, the node estimates it and adds 25%" }
        })),
        "NewProposal": {
            "oneOf": [
                proposal_kind("add_org", &["id", "name", "admin", "weight"], json!({
                    "id": { "type": "string", "maxLength": 32 }, "name": { "type": "string" },
                    "admin": address, "weight": { "type": "integer", "minimum": 1 }
                })),
                proposal_kind("set_org_status", &["org", "status"], json!({ "org": { "type": "string" }, "status": org_status })),
                proposal_kind("add_validator", &["public_key", "org", "fee_recipient", "p2p_address"], json!({
                    "public_key": hex("ed25519 public key, 32 bytes"), "org": { "type": "string" },
                    "fee_recipient": address, "p2p_address": { "type": "string", "description": "host:port" }
                })),
                proposal_kind("remove_validator", &["public_key"], json!({ "public_key": hex("ed25519 public key, 32 bytes") })),
                proposal_kind("appoint_regulator", &["account"], json!({ "account": address })),
                proposal_kind("remove_regulator", &["account"], json!({ "account": address })),
                proposal_kind("set_param", &["key", "value"], json!({
                    "key": { "type": "string", "enum": params::MUTABLE },
                    "value": quantity()
                }))
            ],
            "discriminator": { "propertyName": "kind" }
        },
        "Vote": object(&["agree"], json!({ "agree": { "type": "boolean" } })),
        "EvidenceDeposit": object(&["content", "content_length"], json!({
            "content": { "type": "array", "minItems": 1, "maxItems": DIGESTS_MAX, "description": "the document's digests: sha-256 (required) and optionally sm3, one per algorithm",
                "items": object(&["alg", "hex"], json!({
                    "alg": { "type": "string", "enum": ["sha-256", "sm3"] },
                    "hex": hex("the digest, 32 bytes")
                })) },
            "content_length": { "type": "integer", "minimum": 0, "description": "the document's length in bytes" },
            "media_type": { "type": "string", "minLength": 1, "maxLength": MEDIA_TYPE_MAX, "default": DEFAULT_MEDIA_TYPE, "description": "printable ASCII" },
            "metadata_hash": hex("hash of capture metadata kept off chain, 32 bytes; default zero"),
            "prev": hex("the evidence id of the record this one follows (chain of custody), 32 bytes; default none")
        })),
        "Submitted": { "type": "object", "properties": {
            "hash": word, "from": address, "nonce": { "type": "integer" }, "gas": { "type": "integer" },
            "proposal_id": { "type": "integer", "description": "for a proposal: the id it gets unless another proposal is committed first" },
            "evidence_id": hex("for an evidence deposit: the record's id, 32 bytes"),
            "order_id": { "type": "integer", "description": "for an emergency freeze: the order's id unless another order is committed first" }
        } },
        "WhoAmI": { "type": "object", "properties": {
            "token_id": { "type": "string" }, "label": { "type": "string" }, "account": address,
            "key_in_keystore": { "type": "boolean" }, "next_nonce": { "type": "integer" },
            "registration": { "oneOf": [schema_ref("Account"), { "type": "null" }] }
        } }
    });
    if let (Value::Object(all), Value::Object(more)) = (&mut schemas, supervision_schemas()) {
        all.extend(more);
    }
    if let (Value::Object(all), Value::Object(more)) = (&mut schemas, trace_schemas()) {
        all.extend(more);
    }
    schemas
}

/// The trace module's paths (REST and the consumer page).
fn trace_paths() -> Value {
    json!({
        "/v1/trace/products/{gtin}": { "get": get("A product: name, brand organisation and name, attributes hash", path_param("gtin", "The GTIN-14, with its check digit"), None, &["400", "404"]) },
        "/v1/trace/lots/{gtin}/{lot}": { "get": get("A lot: producer, origin, production time, cross-border, status (recalled), hold, items commissioned", json!([
            { "name": "gtin", "in": "path", "required": true, "schema": { "type": "string" } },
            { "name": "lot", "in": "path", "required": true, "schema": { "type": "string" } }
        ]), None, &["400", "404"]) },
        "/v1/trace/items/{gtin}/{serial}": { "get": get("An item: state, owner, custodian, pallet, customs, code status, verifications, flags, and its journey (its own events, its lot's and its pallets' while it was packed, in chain order, each with block and transaction)", json!([
            { "name": "gtin", "in": "path", "required": true, "schema": { "type": "string" } },
            { "name": "serial", "in": "path", "required": true, "schema": { "type": "string" } }
        ]), None, &["400", "404"]) },
        "/v1/trace/pallets/{sscc}": { "get": get("A pallet (SSCC): state, custodian, recipient, customs, the keys of the items packed in it", path_param("sscc", "The SSCC, 18 digits with its check digit"), None, &["400", "404"]) },
        "/v1/trace/transactions/{hash}": { "get": get("The public trace events of a committed transaction, with its block: what each line of the consumer page links to", path_param("hash", "The transaction hash, 0x-prefixed 32 bytes"), None, &["400", "404"]) },
        "/v1/trace/operations": { "post": {
            "summary": "Perform one trace operation as the token's account",
            "description": format!("`op` names the operation; its fields follow (see docs/trace.md). A commissioning of up to {} items is split into transactions of {} items, a packing into transactions of {}; every transaction is simulated before any is submitted, and a refusal (422, with the module's error by name, e.g. `WrongRecipient`) submits none.", trace::COMMISSION_ITEMS_MAX, trace::COMMISSION_CHUNK, trace::PACK_CHUNK),
            "security": [{ "bearerAuth": [] }],
            "requestBody": { "required": true, "content": { "application/json": { "schema": schema_ref("TraceOperation") } } },
            "responses": responses("202", Some("TraceSubmitted"), &["400", "401", "404", "409", "422", "503"])
        } },
        "/verify/{gtin}/{serial}": {
            "get": { "summary": "The public consumer page of an item (HTML): product, origin, inspections, journey, customs, recall and verification status, each line linked to its transaction", "parameters": [
                { "name": "gtin", "in": "path", "required": true, "schema": { "type": "string" } },
                { "name": "serial", "in": "path", "required": true, "schema": { "type": "string" } }
            ], "responses": { "200": { "description": "The page", "content": { "text/html": {} } }, "404": { "description": "Not a registered product (HTML)", "content": { "text/html": {} } } } },
            "post": { "summary": "Check the code under an item's seal (HTML form: code, city); the node verifies it on chain as gateway.verification_account and shows the outcome once final", "parameters": [
                { "name": "gtin", "in": "path", "required": true, "schema": { "type": "string" } },
                { "name": "serial", "in": "path", "required": true, "schema": { "type": "string" } }
            ], "requestBody": { "required": true, "content": { "application/x-www-form-urlencoded": { "schema": { "type": "object", "required": ["code"], "properties": { "code": { "type": "string", "description": "32 hex digits" }, "city": { "type": "string" } } } } } },
            "responses": { "200": { "description": "The page with the outcome", "content": { "text/html": {} } }, "400": { "description": "Malformed code or city (HTML)", "content": { "text/html": {} } }, "503": { "description": "Checks not enabled on this node, or busy (HTML)", "content": { "text/html": {} } }, "504": { "description": "The check is not final yet (HTML)", "content": { "text/html": {} } } } }
        },
        "/01/{gtin}/21/{serial}": { "get": { "summary": "GS1 Digital Link form of an item's identity (what a QR code holds): redirects to /verify/{gtin}/{serial}", "parameters": [
            { "name": "gtin", "in": "path", "required": true, "schema": { "type": "string" } },
            { "name": "serial", "in": "path", "required": true, "schema": { "type": "string" } }
        ], "responses": { "303": { "description": "To the item's page" } } } }
    })
}

/// The trace module's schemas.
fn trace_schemas() -> Value {
    let epc = json!({ "type": "object", "required": ["gtin", "serial"], "properties": { "gtin": { "type": "string" }, "serial": { "type": "string" } } });
    json!({
        "TraceEvent": object(&["time"], json!({
            "time": { "type": "integer", "description": "event time, Unix seconds; not before the subject's last event, not after block time + trace.max_skew_secs" },
            "time_zone_offset": { "type": "integer", "description": "minutes east of UTC" },
            "read_point": { "type": "string", "description": "where (GLN or place), at most 64 bytes" },
            "biz_transaction": hex("hash of the business transaction; never shown to consumers"),
            "payload_hash": hex("hash of the off-chain EPCIS document"),
            "entitlement": { "type": "string", "enum": trace::ENTITLEMENTS, "description": "default public; only public events appear on the consumer page" }
        })),
        "TraceOperation": object(&["op"], json!({
            "op": { "type": "string", "enum": trace::OPERATIONS },
            "prefix": { "type": "string" }, "org": { "type": "string", "description": "organisation id as text" },
            "gtin": { "type": "string" }, "lot": { "type": "string" }, "serial": { "type": "string" },
            "name": { "type": "string" }, "attrs_hash": hex("32 bytes"), "allowed": { "type": "boolean" },
            "origin_country": { "type": "string", "description": "ISO 3166-1 alpha-2" },
            "produced_at": { "type": "integer" }, "cross_border": { "type": "boolean" }, "ilmd_hash": hex("32 bytes"),
            "items": { "type": "array", "description": "commission: [{serial, auth_commit}]; other operations: [{gtin, serial}]", "items": { "oneOf": [epc, { "type": "object", "required": ["serial", "auth_commit"], "properties": { "serial": { "type": "string" }, "auth_commit": hex("authCommit(gtin, serial, secret), 32 bytes") } }] } },
            "serials": { "type": "array", "items": { "type": "string" } },
            "ssccs": { "type": "array", "items": { "type": "string" } },
            "to": { "type": "string", "description": "ship: the recipient organisation id" },
            "pass": { "type": "boolean" }, "certificate_hash": hex("32 bytes"),
            "declaration": hex("customs declaration hash"), "reason": hex("32 bytes"),
            "flags": { "type": "array", "items": { "type": "string", "enum": ["suspected_clone", "probing", "diversion"] } },
            "set": { "type": "boolean" },
            "event": schema_ref("TraceEvent")
        })),
        "TraceSubmitted": { "type": "object", "properties": { "transactions": { "type": "array", "items": schema_ref("Submitted") } } }
    })
}

/// The supervision module's schemas.
fn supervision_schemas() -> Value {
    let address = hex("20-byte address");
    let word = hex("32 bytes");
    json!({
        "SupervisionParams": { "type": "object", "properties": {
            "height": { "type": "integer" }, "members": { "type": "integer", "description": "accounts with the role regulator" },
            "approval_pct": { "type": "integer" }, "forced_transfer_pct": { "type": "integer" },
            "proposal_ttl_blocks": { "type": "integer" }, "emergency_ttl_blocks": { "type": "integer" },
            "emergency_quota": { "type": "integer" }, "orders": { "type": "integer" }, "proposals": { "type": "integer" }
        } },
        "FreezeSpec": object(&["kind", "target", "reason", "legal_basis"], json!({
            "kind": { "type": "string", "enum": sup::TARGET_KINDS },
            "target": { "type": "string", "description": "an address (0x, 20 bytes); for kind tx the transaction hash (0x, 32 bytes)" },
            "selector": hex("kind method only (required): the 4-byte selector"),
            "asset": address,
            "amount": quantity(),
            "direction": { "type": "string", "enum": sup::DIRECTIONS, "default": "both", "description": "kinds account and holding only" },
            "reason": { "type": "string", "enum": sup::REASONS },
            "legal_basis": hex("the SHA-256 of the court order or decision, 32 bytes (required, not zero)"),
            "case_ref": hex("a case reference, 32 bytes"),
            "expires_at": { "type": "integer", "minimum": 1, "description": "height at which the order lapses; omitted, until lifted" }
        })),
        "Order": { "type": "object", "description": "An order; the spec's fields (kind, target, selector, asset, amount, direction, reason, legal_basis, case_ref, expires_at) are flattened in", "properties": {
            "id": { "type": "integer" }, "active": { "type": "boolean", "description": "in force as of the next block" },
            "status": { "type": "string", "enum": sup::ORDER_STATUSES },
            "emergency": { "type": "boolean" },
            "kind": { "type": "string", "enum": sup::TARGET_KINDS }, "target": { "type": "string" },
            "selector": hex("kind method"), "asset": address,
            "amount": { "type": "string", "description": "kind holding: units frozen, or `all`" },
            "direction": { "type": "string", "enum": sup::DIRECTIONS },
            "reason": { "type": "string", "enum": sup::REASONS },
            "legal_basis": word, "case_ref": { "type": ["string", "null"] },
            "expires_at": { "type": ["integer", "null"] }, "issued_by": address,
            "proposal_id": { "type": ["integer", "null"], "description": "the committee proposal that made it; null for an emergency order" },
            "activated_at": { "type": "integer" }, "closed_at": { "type": ["integer", "null"] },
            "consumed": { "type": "string", "description": "kind holding: units already moved to escrow" }
        } },
        "OrderList": { "type": "object", "properties": {
            "height": { "type": "integer" }, "target_key": word,
            "orders": { "type": "array", "items": schema_ref("Order") },
            "next_before": { "type": ["integer", "null"] }
        } },
        "SupervisionProposal": { "type": "object", "properties": {
            "id": { "type": "integer" }, "kind": { "type": "string", "enum": sup::PROPOSAL_KINDS },
            "status": { "type": "string", "enum": sup::PROPOSAL_STATUSES },
            "order_id": { "type": ["integer", "null"] },
            "spec": { "type": "object", "description": "kind freeze: the order it would make (fields as in Order)" },
            "new_expires_at": { "type": ["integer", "null"] }, "escrow": address, "amount": { "type": "string" },
            "proposer": address, "created_at": { "type": "integer" }, "expires_at": { "type": "integer" },
            "votes": { "type": "object", "properties": {
                "agree": { "type": "integer" }, "against": { "type": "integer" }, "members": { "type": "integer" },
                "approval_pct": { "type": "integer" }, "needed": { "type": "integer" }
            } },
            "ballots": { "type": "array", "items": { "type": "object", "properties": {
                "member": address, "agree": { "type": "boolean" }, "height": { "type": "integer" }
            } } }
        } },
        "NewSupervisionProposal": {
            "oneOf": [
                proposal_kind("freeze", &["spec"], json!({ "spec": schema_ref("FreezeSpec") })),
                proposal_kind("lift", &["order_id"], json!({ "order_id": { "type": "integer" } })),
                proposal_kind("ratify", &["order_id"], json!({ "order_id": { "type": "integer" }, "new_expires_at": { "type": "integer" } })),
                proposal_kind("forced_transfer", &["order_id", "escrow", "amount"], json!({
                    "order_id": { "type": "integer" }, "escrow": address, "amount": quantity()
                }))
            ],
            "discriminator": { "propertyName": "kind" }
        },
        "Frozen": { "type": "object", "properties": {
            "height": { "type": "integer" }, "kind": { "type": "string", "enum": sup::TARGET_KINDS },
            "target": { "type": "string" }, "frozen": { "type": "boolean" },
            "order_id": { "type": ["integer", "null"] },
            "frozen_amount": { "type": "string", "description": "kind holding: units that may not leave the holding, or `all`" }
        } },
        "History": { "type": "object", "properties": {
            "height": { "type": "integer" }, "target_key": word, "from": { "type": "integer" }, "to": { "type": "integer" },
            "orders": { "type": "array", "items": { "type": "integer" }, "description": "the ids of the target's orders" },
            "events": { "type": "array", "items": { "type": "object", "description": "`event` (its name), where it was emitted (height, block_hash, tx_hash, tx_index, log_index) and its fields, named (kind, reason as names)" } }
        } }
    })
}

/// The whole document.
pub fn build() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Entente node REST API", "version": env!("CARGO_PKG_VERSION") },
        "paths": paths(),
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token issued with `entente gateway issue-token` (64 hex characters)"
                }
            }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route the router serves, with its methods.
    const ROUTES: [(&str, &str); 41] = [
        ("/health", "get"),
        ("/metrics", "get"),
        ("/v1/status", "get"),
        ("/v1/chain-spec", "get"),
        ("/v1/blocks/{id}", "get"),
        ("/v1/blocks/{id}/finalization", "get"),
        ("/v1/evidence", "post"),
        ("/v1/evidence/{id}", "get"),
        ("/v1/evidence/{id}/certificate", "get"),
        ("/v1/evidence/by-tx/{hash}/certificate", "get"),
        ("/v1/governance/orgs", "get"),
        ("/v1/governance/orgs/{id}", "get"),
        ("/v1/governance/accounts/{address}", "get"),
        ("/v1/governance/validators", "get"),
        ("/v1/governance/params", "get"),
        ("/v1/governance/proposals", "get"),
        ("/v1/governance/proposals", "post"),
        ("/v1/governance/proposals/{id}", "get"),
        ("/v1/governance/proposals/{id}/votes", "post"),
        ("/v1/supervision/params", "get"),
        ("/v1/supervision/orders", "get"),
        ("/v1/supervision/orders/{id}", "get"),
        ("/v1/supervision/proposals", "post"),
        ("/v1/supervision/proposals/{id}", "get"),
        ("/v1/supervision/proposals/{id}/votes", "post"),
        ("/v1/supervision/emergency", "post"),
        ("/v1/supervision/frozen", "get"),
        ("/v1/supervision/history", "get"),
        ("/v1/supervision/transactions/{hash}", "get"),
        ("/v1/trace/products/{gtin}", "get"),
        ("/v1/trace/lots/{gtin}/{lot}", "get"),
        ("/v1/trace/items/{gtin}/{serial}", "get"),
        ("/v1/trace/pallets/{sscc}", "get"),
        ("/v1/trace/transactions/{hash}", "get"),
        ("/v1/trace/operations", "post"),
        ("/verify/{gtin}/{serial}", "get"),
        ("/verify/{gtin}/{serial}", "post"),
        ("/01/{gtin}/21/{serial}", "get"),
        ("/v1/gateway/whoami", "get"),
        ("/v1/gateway/transactions", "post"),
        ("/openapi.json", "self"),
    ];

    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    if key == "$ref" {
                        out.push(value.as_str().unwrap().to_string());
                    }
                    refs(value, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_route_is_documented_and_every_reference_resolves() {
        let doc = build();
        for (path, method) in ROUTES.iter().filter(|(_, m)| *m != "self") {
            assert!(
                doc["paths"][path][method].is_object(),
                "{method} {path} undocumented"
            );
        }
        let documented = doc["paths"].as_object().unwrap();
        for (path, operations) in documented {
            for method in operations.as_object().unwrap().keys() {
                assert!(
                    ROUTES.contains(&(path.as_str(), method.as_str())),
                    "{method} {path} is documented but not routed"
                );
            }
        }
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(!found.is_empty());
        for reference in found {
            let name = reference.trim_start_matches("#/components/schemas/");
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{reference} dangles"
            );
        }
        let gateway = &doc["paths"]["/v1/gateway/transactions"]["post"];
        assert_eq!(gateway["security"][0]["bearerAuth"], json!([]));
        assert!(gateway["responses"]["401"].is_object());
    }
}

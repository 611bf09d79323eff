//! The OpenAPI 3.1 description of the REST API, served at `/openapi.json`.

use axum::Json;
use serde_json::{Map, Value, json};

use crate::{
    ApiError,
    governance::{ORG_STATUSES, PROPOSAL_STATUSES, PROPOSALS_LIMIT_DEFAULT, PROPOSALS_LIMIT_MAX},
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
    json!({
        "/health": { "get": get("Liveness and the committed height", json!([]), None, &[]) },
        "/metrics": { "get": get("Prometheus metrics (text format)", json!([]), None, &[]) },
        "/v1/status": { "get": get("Chain id, head, validator set size, pool size", json!([]), None, &[]) },
        "/v1/chain-spec": { "get": get("The chain spec this node runs", json!([]), None, &[]) },
        "/v1/blocks/{id}": { "get": get("A block header summary and its transaction hashes", block_id.clone(), None, &["400", "404"]) },
        "/v1/blocks/{id}/finalization": { "get": get("The block's finality proof (its certificate, or a descendant's with the linking headers) and the validator set it verifies against", block_id, None, &["400", "404"]) },
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
        "/v1/gateway/whoami": { "get": {
            "summary": "The token's id, label and account, whether the node holds its key, its next nonce and its registration",
            "security": [{ "bearerAuth": [] }],
            "responses": responses("200", Some("WhoAmI"), &["401", "404"])
        } },
        "/v1/gateway/transactions": { "post": post("Sign and submit a transaction as the token's account", submit_help, json!([]), "TransactionRequest") }
    })
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
    json!({
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
                    "key": { "type": "string", "enum": ["permissioned", "governance.approval_pct", "governance.proposal_ttl_blocks"] },
                    "value": quantity()
                }))
            ],
            "discriminator": { "propertyName": "kind" }
        },
        "Vote": object(&["agree"], json!({ "agree": { "type": "boolean" } })),
        "Submitted": { "type": "object", "properties": {
            "hash": word, "from": address, "nonce": { "type": "integer" }, "gas": { "type": "integer" },
            "proposal_id": { "type": "integer", "description": "for a proposal: the id it gets unless another proposal is committed first" }
        } },
        "WhoAmI": { "type": "object", "properties": {
            "token_id": { "type": "string" }, "label": { "type": "string" }, "account": address,
            "key_in_keystore": { "type": "boolean" }, "next_nonce": { "type": "integer" },
            "registration": { "oneOf": [schema_ref("Account"), { "type": "null" }] }
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
    const ROUTES: [(&str, &str); 21] = [
        ("/health", "get"),
        ("/metrics", "get"),
        ("/v1/status", "get"),
        ("/v1/chain-spec", "get"),
        ("/v1/blocks/{id}", "get"),
        ("/v1/blocks/{id}/finalization", "get"),
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
        let documented = doc["paths"].as_object().unwrap().len();
        assert_eq!(
            documented,
            ROUTES.len() - 2,
            "a documented path is not routed"
        );
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

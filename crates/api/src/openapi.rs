//! The OpenAPI 3.1 description of the REST API, served at `/openapi.json`.

use axum::Json;
use serde_json::{Value, json};

fn op(summary: &str, params: Value) -> Value {
    json!({
        "get": {
            "summary": summary,
            "parameters": params,
            "responses": {
                "200": { "description": "OK", "content": { "application/json": {} } },
                "400": { "description": "Bad request", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "404": { "description": "Not found", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            }
        }
    })
}

pub async fn document() -> Json<Value> {
    let block_id = json!([{
        "name": "id", "in": "path", "required": true,
        "description": "`latest`, a decimal height, or a 0x-prefixed block hash",
        "schema": { "type": "string" }
    }]);
    Json(json!({
        "openapi": "3.1.0",
        "info": { "title": "Entente node REST API", "version": env!("CARGO_PKG_VERSION") },
        "paths": {
            "/health": op("Liveness and the committed height", json!([])),
            "/metrics": op("Prometheus metrics (text format)", json!([])),
            "/v1/status": op("Chain id, head, validator set size, pool size", json!([])),
            "/v1/chain-spec": op("The chain spec this node runs", json!([])),
            "/v1/blocks/{id}": op("A block header summary and its transaction hashes", block_id.clone()),
            "/v1/blocks/{id}/finalization": op("The block's finalisation certificate and the validator set it verifies against", block_id)
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": { "type": "string", "enum": ["not_found", "bad_request", "internal"] },
                                "message": { "type": "string" }
                            }
                        }
                    }
                }
            }
        }
    }))
}

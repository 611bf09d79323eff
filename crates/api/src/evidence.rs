//! Evidence: the records of the evidence module, and the portable certificate of a final
//! deposit (`entente_verify::evidence`), assembled from the node's store.

use alloy_primitives::B256;
use axum::{
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
};
use entente_consensus::evidence::CertificateError;
use entente_verify::evidence::EvidenceCertificate;
use serde_json::json;

use crate::{ApiError, routes::ApiContext};

type Ctx = State<std::sync::Arc<ApiContext>>;

fn parse_b256(field: &'static str, text: &str) -> Result<B256, ApiError> {
    let hex = text
        .strip_prefix("0x")
        .ok_or_else(|| ApiError::BadRequest {
            field,
            reason: "expected 0x-prefixed hex".into(),
        })?;
    let bytes = hex::decode(hex).map_err(|err| ApiError::BadRequest {
        field,
        reason: err.to_string(),
    })?;
    if bytes.len() != 32 {
        return Err(ApiError::BadRequest {
            field,
            reason: format!("expected 32 bytes, got {}", bytes.len()),
        });
    }
    Ok(B256::from_slice(&bytes))
}

impl From<CertificateError> for ApiError {
    fn from(err: CertificateError) -> Self {
        match err {
            CertificateError::NotFound(what) => Self::NotFound { what },
            CertificateError::NotYetProven { .. } => Self::Unavailable(err.to_string()),
            CertificateError::Internal(reason) => Self::Internal(reason),
        }
    }
}

/// `GET /v1/evidence/{id}`: the record, readable.
pub async fn show(State(ctx): Ctx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = parse_b256("evidence id", &id)?;
    let r = entente_consensus::evidence::record(&ctx.chain, &id)?;
    Ok(axum::Json(json!({
        "id": r.id,
        "submitter": r.submitter,
        "submitter_org": r.submitterOrg,
        "content": r.content.iter().map(|d| json!({
            "alg": entente_verify::evidence::abi::alg_name(d.alg),
            "hex": format!("0x{}", hex::encode(&d.value)),
        })).collect::<Vec<_>>(),
        "content_length": r.contentLength,
        "media_type": r.mediaType,
        "metadata_hash": r.metadataHash,
        "prev": r.prev,
        "height": r.height,
        "block_time": r.blockTime,
        "annotations": r.annotations,
    }))
    .into_response())
}

/// `GET /v1/evidence/{id}/certificate`: the certificate of a final deposit.
pub async fn certificate(State(ctx): Ctx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = parse_b256("evidence id", &id)?;
    let cert = entente_consensus::evidence::certificate(&ctx.chain, &id)?;
    Ok(canonical(&cert))
}

/// `GET /v1/evidence/by-tx/{hash}/certificate`: the certificate of the deposit made by a
/// transaction.
pub async fn certificate_by_tx(
    State(ctx): Ctx,
    Path(hash): Path<String>,
) -> Result<Response, ApiError> {
    let hash = parse_b256("transaction hash", &hash)?;
    let id = entente_consensus::evidence::deposited_by(&ctx.chain, &hash)?;
    let cert = entente_consensus::evidence::certificate(&ctx.chain, &id)?;
    Ok(canonical(&cert))
}

fn canonical(cert: &EvidenceCertificate) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        cert.to_canonical_json(),
    )
        .into_response()
}

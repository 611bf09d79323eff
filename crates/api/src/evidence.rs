//! Evidence: the records of the evidence module, the portable certificate of a final
//! deposit (`entente_verify::evidence`), assembled from the node's store, and the body of
//! a deposit through the gateway (`POST /v1/evidence`, handled in `gateway`).

use alloy_primitives::{Address, B256, Bytes};
use axum::{
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
};
use entente_consensus::evidence::CertificateError;
use entente_modules::evidence::{
    abi::{ALG_SHA256, ALG_SM3, Digest, EvidenceRecord, IEvidence},
    logic::{MEDIA_TYPE_MAX, check_media_type},
    state::DIGESTS_MAX,
};
use entente_verify::evidence::EvidenceCertificate;
use serde::Deserialize;
use serde_json::json;

use crate::{ApiError, routes::ApiContext};

type Ctx = State<std::sync::Arc<ApiContext>>;

/// 32 bytes as 0x-prefixed hex.
fn hex_b256(text: &str) -> Result<B256, String> {
    let hex = text
        .strip_prefix("0x")
        .ok_or_else(|| "expected 0x-prefixed hex".to_string())?;
    let bytes = hex::decode(hex).map_err(|err| err.to_string())?;
    if bytes.len() != 32 {
        return Err(format!("expected 32 bytes, got {}", bytes.len()));
    }
    Ok(B256::from_slice(&bytes))
}

pub(crate) fn parse_b256(field: &'static str, text: &str) -> Result<B256, ApiError> {
    hex_b256(text).map_err(|reason| ApiError::BadRequest { field, reason })
}

/// The media type of a deposit that names none.
pub const DEFAULT_MEDIA_TYPE: &str = "application/octet-stream";

/// `POST /v1/evidence`: what to deposit. Only the document's digests travel, named as
/// in certificates.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepositBody {
    /// The SHA-256 digest (required) and optionally the SM3 digest.
    content: Vec<DigestBody>,
    /// The document's length in bytes.
    content_length: u64,
    /// Default [`DEFAULT_MEDIA_TYPE`].
    media_type: Option<String>,
    /// Hash of capture metadata kept off chain (0x, 32 bytes); default zero.
    metadata_hash: Option<String>,
    /// The evidence id of the record this one follows (0x, 32 bytes); default none.
    prev: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DigestBody {
    /// `sha-256` or `sm3`.
    alg: String,
    /// The digest, 0x hex, 32 bytes.
    hex: String,
}

/// A deposit's fields, checked as the evidence module checks them (its digests, their
/// count and algorithms, the media type), so that a bad body is refused before anything
/// is signed.
#[derive(Debug, PartialEq, Eq)]
pub struct Deposit {
    pub content: Vec<Digest>,
    /// The SHA-256 digest, which names the record with the submitter.
    pub sha256: B256,
    pub content_length: u64,
    pub media_type: String,
    pub metadata_hash: B256,
    pub prev: B256,
}

impl DepositBody {
    pub fn check(self) -> Result<Deposit, ApiError> {
        let bad = |field: &'static str, reason: String| ApiError::BadRequest { field, reason };
        if self.content.is_empty() {
            return Err(bad(
                "content",
                "no digest: the sha-256 digest is required".into(),
            ));
        }
        if self.content.len() > DIGESTS_MAX {
            return Err(bad(
                "content",
                format!(
                    "{} digests, more than {DIGESTS_MAX}: give one per algorithm",
                    self.content.len()
                ),
            ));
        }
        let mut content: Vec<Digest> = Vec::with_capacity(self.content.len());
        let mut sha256 = None;
        for (i, digest) in self.content.iter().enumerate() {
            let alg = match digest.alg.as_str() {
                "sha-256" => ALG_SHA256,
                "sm3" => ALG_SM3,
                other => {
                    return Err(bad(
                        "content",
                        format!("digest {i}: alg {other:?} is not sha-256 or sm3"),
                    ));
                }
            };
            let value = hex_b256(&digest.hex).map_err(|reason| {
                bad("content", format!("digest {i} ({}): {reason}", digest.alg))
            })?;
            if content.iter().any(|d| d.alg == alg) {
                return Err(bad(
                    "content",
                    format!("more than one {} digest", digest.alg),
                ));
            }
            if alg == ALG_SHA256 {
                sha256 = Some(value);
            }
            content.push(Digest {
                alg,
                value: Bytes::from(value.to_vec()),
            });
        }
        let sha256 =
            sha256.ok_or_else(|| bad("content", "no sha-256 digest: it is required".into()))?;
        let media_type = self
            .media_type
            .unwrap_or_else(|| DEFAULT_MEDIA_TYPE.to_string());
        check_media_type(&media_type).map_err(|_| {
            bad(
                "media_type",
                format!("{media_type:?}: 1 to {MEDIA_TYPE_MAX} printable ASCII characters"),
            )
        })?;
        let word = |field: &'static str, text: Option<String>| {
            text.map_or(Ok(B256::ZERO), |text| parse_b256(field, &text))
        };
        Ok(Deposit {
            content,
            sha256,
            content_length: self.content_length,
            media_type,
            metadata_hash: word("metadata_hash", self.metadata_hash)?,
            prev: word("prev", self.prev)?,
        })
    }
}

impl Deposit {
    /// The record `submitter` signs on chain `chain_id`.
    pub fn record(&self, chain_id: u64, submitter: Address) -> EvidenceRecord {
        EvidenceRecord {
            chainId: chain_id,
            submitter,
            content: self.content.clone(),
            contentLength: self.content_length,
            mediaType: self.media_type.clone(),
            metadataHash: self.metadata_hash,
            prev: self.prev,
        }
    }

    /// The module call that deposits the record with its submitter's `signature`.
    pub fn call(self, signature: [u8; 65]) -> IEvidence::depositCall {
        IEvidence::depositCall {
            content: self.content,
            contentLength: self.content_length,
            mediaType: self.media_type,
            metadataHash: self.metadata_hash,
            prev: self.prev,
            signature: Bytes::from(signature.to_vec()),
        }
    }
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

//! Routes and handlers.

use std::{net::SocketAddr, sync::Arc, sync::atomic::Ordering};

use alloy_primitives::B256;
use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use entente_chainspec::ChainSpec;
use entente_consensus::{Chain, FinalityStatus, TxIngress};
use entente_gateway::Gateway;
use entente_primitives::Block;
use serde::Serialize;

use crate::{
    ApiError, evidence, gateway, governance, metrics, openapi, supervision, trace, verify_page,
};

/// What the REST handlers read, and the door through which the gateway submits.
pub struct ApiContext {
    pub chain: Arc<Chain>,
    pub status: Arc<FinalityStatus>,
    pub request_bytes_max: usize,
    /// The same ingress as `eth_sendRawTransaction`.
    pub ingress: TxIngress,
    /// Keys and API tokens, when `[gateway]` is enabled.
    pub gateway: Option<Arc<Gateway>>,
    /// Gas cap of the simulations that size gateway transactions (`rpc.gas_cap`).
    pub gas_cap: u64,
    /// The gateway account the public verification page checks codes with.
    pub verification_account: Option<alloy_primitives::Address>,
    /// Code checks of the public page in progress (bounded by
    /// [`crate::verify_page::CHECKS_IN_FLIGHT_MAX`]).
    pub verify_in_flight: std::sync::atomic::AtomicUsize,
}

type Ctx = State<Arc<ApiContext>>;

/// The REST router.
pub fn router(context: Arc<ApiContext>) -> Router {
    let limit = context.request_bytes_max;
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics::render))
        .route("/openapi.json", get(openapi::document))
        .route("/v1/status", get(status))
        .route("/v1/chain-spec", get(chain_spec))
        .route("/v1/blocks/{id}", get(block))
        .route("/v1/blocks/{id}/finalization", get(finalization))
        .route("/v1/governance/orgs", get(governance::orgs))
        .route("/v1/governance/orgs/{id}", get(governance::org))
        .route(
            "/v1/governance/accounts/{address}",
            get(governance::account),
        )
        .route("/v1/governance/validators", get(governance::validators))
        .route("/v1/governance/params", get(governance::params))
        .route(
            "/v1/governance/proposals",
            get(governance::proposals).post(gateway::propose),
        )
        .route("/v1/governance/proposals/{id}", get(governance::proposal))
        .route("/v1/governance/proposals/{id}/votes", post(gateway::vote))
        .route("/v1/evidence", post(gateway::deposit_evidence))
        .route("/v1/evidence/{id}", get(evidence::show))
        .route("/v1/evidence/{id}/certificate", get(evidence::certificate))
        .route(
            "/v1/evidence/by-tx/{hash}/certificate",
            get(evidence::certificate_by_tx),
        )
        .route("/v1/supervision/params", get(supervision::params_view))
        .route("/v1/supervision/orders", get(supervision::orders))
        .route("/v1/supervision/orders/{id}", get(supervision::order))
        .route("/v1/supervision/proposals", post(supervision::propose))
        .route("/v1/supervision/proposals/{id}", get(supervision::proposal))
        .route(
            "/v1/supervision/proposals/{id}/votes",
            post(supervision::vote),
        )
        .route("/v1/supervision/emergency", post(supervision::emergency))
        .route("/v1/supervision/frozen", get(supervision::frozen))
        .route("/v1/supervision/history", get(supervision::history))
        .route(
            "/v1/supervision/transactions/{hash}",
            get(supervision::transaction),
        )
        .route("/v1/trace/products/{gtin}", get(trace::product))
        .route("/v1/trace/lots/{gtin}/{lot}", get(trace::lot))
        .route("/v1/trace/items/{gtin}/{serial}", get(trace::item))
        .route("/v1/trace/pallets/{sscc}", get(trace::pallet))
        .route(
            "/v1/trace/transactions/{hash}",
            get(verify_page::transaction),
        )
        .route("/v1/trace/operations", post(trace::operation))
        .route(
            "/verify/{gtin}/{serial}",
            get(verify_page::show).post(verify_page::check),
        )
        .route("/01/{gtin}/21/{serial}", get(verify_page::digital_link))
        .route("/v1/gateway/whoami", get(gateway::whoami))
        .route("/v1/gateway/transactions", post(gateway::transactions))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::map_response(move |response: Response| {
            std::future::ready(too_large_as_json(response, limit))
        }))
        .with_state(context)
}

/// A body over the limit is refused by axum's extractor with a plain-text 413 before
/// any handler runs; answer it as a REST error like the others.
fn too_large_as_json(response: Response, limit: usize) -> Response {
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge { limit }.into_response()
    } else {
        response
    }
}

/// Binds `listen` and serves until the runtime stops. Returns the bound address.
pub async fn serve(
    listen: SocketAddr,
    context: Arc<ApiContext>,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), std::io::Error> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let address = listener.local_addr()?;
    let app = router(context);
    let handle = tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(%err, "REST server stopped");
        }
    });
    Ok((address, handle))
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    height: u64,
    finalized_tip: u64,
}

async fn health(State(ctx): Ctx) -> Result<Json<Health>, ApiError> {
    let height = ctx
        .chain
        .store()
        .head()?
        .map(|h| h.height)
        .unwrap_or_default();
    Ok(Json(Health {
        status: "ok",
        height,
        finalized_tip: ctx.status.finalized_tip.load(Ordering::Relaxed).max(height),
    }))
}

#[derive(Serialize)]
struct Status {
    chain_id: u64,
    name: String,
    height: u64,
    head_hash: B256,
    state_root: B256,
    validators: usize,
    faults_tolerated: usize,
    pooled_transactions: usize,
    executed_unfinalized_blocks: usize,
}

async fn status(State(ctx): Ctx) -> Result<Json<Status>, ApiError> {
    let spec = ctx.chain.spec();
    let head = ctx
        .chain
        .store()
        .head()?
        .ok_or_else(|| ApiError::Internal("no genesis".into()))?;
    Ok(Json(Status {
        chain_id: spec.chain_id,
        name: spec.name.clone(),
        height: head.height,
        head_hash: head.hash,
        state_root: head.state_root,
        validators: spec.validators.len(),
        faults_tolerated: spec.faults_tolerated(),
        pooled_transactions: ctx.chain.pool().len(),
        executed_unfinalized_blocks: ctx.chain.pending_len(),
    }))
}

async fn chain_spec(State(ctx): Ctx) -> Json<ChainSpec> {
    Json((**ctx.chain.spec()).clone())
}

/// Resolves `latest`, a decimal height or a 0x block hash.
fn resolve(ctx: &ApiContext, id: &str) -> Result<Block, ApiError> {
    let store = ctx.chain.store();
    let not_found = || ApiError::NotFound {
        what: format!("block {id}"),
    };
    if id == "latest" {
        let head = store.head()?.ok_or_else(not_found)?;
        return store.block(head.height)?.ok_or_else(not_found);
    }
    if let Some(hex) = id.strip_prefix("0x") {
        let bytes = hex::decode(hex).map_err(|err| ApiError::BadRequest {
            field: "block id",
            reason: err.to_string(),
        })?;
        if bytes.len() != 32 {
            return Err(ApiError::BadRequest {
                field: "block id",
                reason: "a block hash has 32 bytes".into(),
            });
        }
        return store
            .block_by_hash(&B256::from_slice(&bytes))?
            .ok_or_else(not_found);
    }
    let height: u64 = id.parse().map_err(|_| ApiError::BadRequest {
        field: "block id",
        reason: "use `latest`, a height or a 0x-prefixed hash".into(),
    })?;
    store.block(height)?.ok_or_else(not_found)
}

#[derive(Serialize)]
struct BlockSummary {
    number: u64,
    hash: B256,
    parent_hash: B256,
    timestamp_ms: u64,
    proposer: alloy_primitives::Address,
    gas_used: u64,
    gas_limit: u64,
    tx_root: B256,
    receipts_root: B256,
    state_root: B256,
    transactions: Vec<B256>,
}

async fn block(State(ctx): Ctx, Path(id): Path<String>) -> Result<Json<BlockSummary>, ApiError> {
    let block = resolve(&ctx, &id)?;
    let h = &block.header;
    Ok(Json(BlockSummary {
        number: h.height,
        hash: block.hash(),
        parent_hash: B256::from(h.parent.0),
        timestamp_ms: h.timestamp_ms,
        proposer: h.proposer,
        gas_used: h.gas_used,
        gas_limit: h.gas_limit,
        tx_root: h.tx_root,
        receipts_root: h.receipts_root,
        state_root: h.state_root,
        transactions: block.txs.iter().map(alloy_primitives::keccak256).collect(),
    }))
}

#[derive(Serialize)]
struct FinalizationDoc {
    number: u64,
    hash: B256,
    state_root: B256,
    /// The block's encoded header (hex): its SHA-256 is `hash`, the digest validators sign.
    header: String,
    /// Commonware encoding of the simplex finalisation (2f+1 ed25519 signatures), hex:
    /// of this block, or of the descendant `certified_number` when the block has no
    /// certificate of its own.
    certificate: String,
    /// The height of the block `certificate` signs (equal to `number` when it is the
    /// block's own).
    certified_number: u64,
    /// The encoded headers (hex) of the blocks `number + 1 ..= certified_number`, each
    /// naming the one before as its parent: the links from the certified block back to
    /// this one. Empty when the certificate is the block's own.
    descendants: Vec<String>,
    /// Namespace the validators signed under.
    namespace: String,
    /// The epoch of the certified block.
    epoch: u64,
    /// The public keys (hex) of that epoch's validators: the set the certificate is
    /// checked against (from the governance registry, so it follows validator changes).
    validators: Vec<String>,
}

async fn finalization(
    State(ctx): Ctx,
    Path(id): Path<String>,
) -> Result<Json<FinalizationDoc>, ApiError> {
    let block = resolve(&ctx, &id)?;
    let height = block.header.height;
    let internal = |err: entente_consensus::ChainError| ApiError::Internal(err.to_string());
    let (certified, proof) = ctx
        .chain
        .finality_proof(height)
        .map_err(internal)?
        .ok_or_else(|| ApiError::NotFound {
            what: format!("finalization certificate for block {height}"),
        })?;
    let (epoch, validators) =
        entente_consensus::epochs::signers_of(&ctx.chain, certified).map_err(internal)?;
    Ok(Json(FinalizationDoc {
        number: height,
        hash: block.hash(),
        state_root: block.header.state_root,
        header: format!("0x{}", hex::encode(block.header.to_bytes())),
        certificate: format!("0x{}", hex::encode(&proof.certificate)),
        certified_number: certified,
        descendants: proof
            .descendants
            .iter()
            .map(|header| format!("0x{}", hex::encode(header.to_bytes())))
            .collect(),
        namespace: String::from_utf8_lossy(entente_consensus::NAMESPACE).into_owned(),
        epoch,
        validators: validators
            .iter()
            .map(entente_chainspec::encode_public_key)
            .collect(),
    }))
}

//! Prometheus metrics, rendered on request from the node's live state.
//!
//! Names follow Prometheus conventions: `entente_` prefix, units in the name.

use std::sync::atomic::Ordering;

use axum::{extract::State, http::header, response::IntoResponse};

use crate::routes::ApiContext;

pub async fn render(State(ctx): State<std::sync::Arc<ApiContext>>) -> impl IntoResponse {
    let head = ctx.chain.store().head().ok().flatten();
    let height = head.as_ref().map(|h| h.height).unwrap_or_default();
    let gauges = [
        (
            "entente_chain_height",
            "Height of the last committed block.",
            height,
        ),
        (
            "entente_finalized_tip_height",
            "Highest height known to be finalised by the network.",
            ctx.status.finalized_tip.load(Ordering::Relaxed),
        ),
        (
            "entente_txpool_transactions",
            "Transactions waiting in the pool.",
            ctx.chain.pool().len() as u64,
        ),
        (
            "entente_txpool_bytes",
            "Bytes of transactions waiting in the pool.",
            ctx.chain.pool().bytes() as u64,
        ),
        (
            "entente_unfinalized_blocks",
            "Blocks executed but not yet finalised.",
            ctx.chain.pending_len() as u64,
        ),
        (
            "entente_validators",
            "Validators in the chain spec.",
            ctx.chain.spec().validators.len() as u64,
        ),
    ];
    let mut body = String::new();
    for (name, help, value) in gauges {
        body.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
        ));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}

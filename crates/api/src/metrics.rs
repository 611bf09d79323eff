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
        (
            "entente_state_cache_keys",
            "State keys whose newest value is cached in memory.",
            ctx.chain.store().state_cache_keys() as u64,
        ),
    ];
    let memory = ctx.chain.store().engine_memory().ok().flatten();
    let storage = memory.map(|m| {
        [
            (
                "entente_storage_write_buffer_bytes",
                "Recent writes held in the storage engine's memory tables, not yet flushed.",
                m.write_buffer_bytes,
            ),
            (
                "entente_storage_journal_bytes",
                "The storage engine's write-ahead journal on disk (bounds the write buffer).",
                m.journal_bytes,
            ),
            (
                "entente_storage_block_cache_bytes",
                "Table blocks in the storage engine's block cache.",
                m.block_cache_bytes,
            ),
            (
                "entente_storage_block_cache_capacity_bytes",
                "Capacity of the storage engine's block cache.",
                m.block_cache_capacity_bytes,
            ),
            (
                "entente_storage_pinned_bytes",
                "Filter and index blocks of the storage engine's table files pinned in memory.",
                m.pinned_bytes,
            ),
        ]
    });
    let mut body = String::new();
    for (name, help, value) in gauges.into_iter().chain(storage.into_iter().flatten()) {
        body.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
        ));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}

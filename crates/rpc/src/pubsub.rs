//! `eth_subscribe`: `newHeads` and `logs`, fed by committed blocks.
//!
//! Each subscription reads the chain's committed-block broadcast. A subscriber too slow
//! to keep up loses the oldest notifications (bounded buffer) rather than stalling the
//! node; its stream continues with the newest blocks.

use std::sync::Arc;

use alloy_rpc_types_eth::{Filter, FilteredParams};
use entente_consensus::CommittedBlock;
use jsonrpsee::{PendingSubscriptionSink, SubscriptionMessage, types::ErrorObjectOwned};
use tokio::sync::broadcast::error::RecvError;

use crate::{convert, eth::Eth};

/// What a subscription asked for.
pub enum Kind {
    NewHeads,
    Logs(Box<Filter>),
}

/// Parses `eth_subscribe`'s parameters.
pub fn parse(params: jsonrpsee::types::Params<'_>) -> Result<Kind, ErrorObjectOwned> {
    let mut seq = params.sequence();
    let name: String = seq.next()?;
    match name.as_str() {
        "newHeads" => Ok(Kind::NewHeads),
        "logs" => {
            let filter: Option<Filter> = seq.optional_next()?;
            Ok(Kind::Logs(Box::new(filter.unwrap_or_default())))
        }
        other => Err(crate::error::invalid_params(format!(
            "unsupported subscription {other:?}: use newHeads or logs"
        ))),
    }
}

fn messages(kind: &Kind, committed: &CommittedBlock) -> Vec<serde_json::Value> {
    let block = &committed.block;
    match kind {
        Kind::NewHeads => {
            let header = convert::header(block, convert::block_bloom(&committed.receipts));
            serde_json::to_value(header).into_iter().collect()
        }
        Kind::Logs(filter) => {
            let params = FilteredParams::new(Some((**filter).clone()));
            let mut out = Vec::new();
            let mut log_index = 0u64;
            for (tx_index, receipt) in committed.receipts.iter().enumerate() {
                for log in &receipt.logs {
                    let rpc = convert::log(log, block, receipt.tx_hash, tx_index as u64, log_index);
                    log_index += 1;
                    if params.filter_address(&rpc.inner.address)
                        && params.filter_topics(rpc.inner.topics())
                        && let Ok(value) = serde_json::to_value(rpc)
                    {
                        out.push(value);
                    }
                }
            }
            out
        }
    }
}

/// Serves one accepted subscription until the client goes away.
pub async fn serve(pending: PendingSubscriptionSink, eth: Arc<Eth>, kind: Kind) {
    let mut blocks = eth.chain.subscribe();
    let Ok(sink) = pending.accept().await else {
        return;
    };
    loop {
        let committed = match blocks.recv().await {
            Ok(committed) => committed,
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        };
        for value in messages(&kind, &committed) {
            let Ok(raw) = serde_json::value::to_raw_value(&value) else {
                continue;
            };
            let message = SubscriptionMessage::from(raw);
            if sink.send(message).await.is_err() {
                return;
            }
        }
    }
}

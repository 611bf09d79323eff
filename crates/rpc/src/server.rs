//! The JSON-RPC server: limits from the node config, and method registration.

use std::{net::SocketAddr, sync::Arc};

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rpc_types_eth::{Filter, TransactionRequest};
use entente_config::RpcConfig;
use entente_consensus::{Chain, TxIngress};
use jsonrpsee::{
    RpcModule,
    server::{BatchRequestConfig, Server, ServerConfig, ServerHandle},
    types::{ErrorObjectOwned, Params},
};

use crate::{
    error::{RpcResult, internal, invalid_params},
    eth::{CLIENT_VERSION, Eth},
    pubsub,
};

/// Everything the RPC server needs from its node.
pub struct RpcContext {
    pub chain: Arc<Chain>,
    pub ingress: TxIngress,
    pub config: RpcConfig,
}

/// Starts the server on `config.listen` (HTTP and WebSocket on the same port).
pub async fn start(context: RpcContext) -> Result<(SocketAddr, ServerHandle), std::io::Error> {
    let config = context.config.clone();
    let server_config = ServerConfig::builder()
        .max_request_body_size(config.request_bytes_max)
        .max_response_body_size(config.response_bytes_max)
        .max_connections(config.connections_max)
        .max_subscriptions_per_connection(config.subscriptions_per_connection_max)
        .set_batch_request_config(BatchRequestConfig::Limit(config.batch_requests_max))
        .build();
    let server = Server::builder()
        .set_config(server_config)
        .build(config.listen)
        .await?;
    let address = server.local_addr()?;
    let eth = Eth {
        chain: context.chain,
        ingress: context.ingress,
        config,
    };
    let module = module(eth).map_err(std::io::Error::other)?;
    Ok((address, server.start(module)))
}

/// Parses positional parameters, naming the method in the error.
fn parse<'a, T: serde::Deserialize<'a>>(params: &'a Params<'a>) -> RpcResult<T> {
    params
        .parse::<T>()
        .map_err(|err| invalid_params(format!("invalid params: {}", err.message())))
}

/// Wraps an infallible answer in the result type jsonrpsee serialises.
fn ok<T>(value: T) -> RpcResult<T> {
    Ok(value)
}

/// One optional block id after the required parameters.
type WithBlock<T> = (T, Option<BlockId>);

/// Builds the module with every method.
pub fn module(eth: Eth) -> Result<RpcModule<Eth>, jsonrpsee::core::RegisterMethodError> {
    let mut m = RpcModule::new(eth);

    m.register_method("web3_clientVersion", |_, _, _| CLIENT_VERSION)?;
    m.register_method("net_version", |_, eth, _| {
        eth.chain.spec().chain_id.to_string()
    })?;
    m.register_method("net_listening", |_, _, _| true)?;
    m.register_method("eth_chainId", |_, eth, _| ok(eth.chain_id()))?;
    m.register_method("eth_syncing", |_, _, _| false)?;
    m.register_method("eth_accounts", |_, _, _| Vec::<Address>::new())?;
    m.register_method("eth_blockNumber", |_, eth, _| eth.block_number())?;
    m.register_method("eth_gasPrice", |_, eth, _| ok(eth.gas_price()))?;
    m.register_method("eth_maxPriorityFeePerGas", |_, _, _| ok(U256::ZERO))?;
    m.register_method("eth_getBalance", |p, eth, _| {
        let (address, block): WithBlock<Address> = parse(&p)?;
        eth.balance(address, block)
    })?;
    m.register_method("eth_getCode", |p, eth, _| {
        let (address, block): WithBlock<Address> = parse(&p)?;
        eth.code(address, block)
    })?;
    m.register_method("eth_getStorageAt", |p, eth, _| {
        let (address, slot, block): (Address, U256, Option<BlockId>) = parse(&p)?;
        eth.storage_at(address, slot, block)
    })?;
    m.register_method("eth_getTransactionCount", |p, eth, _| {
        let (address, block): WithBlock<Address> = parse(&p)?;
        eth.transaction_count(address, block)
    })?;
    m.register_method("eth_sendRawTransaction", |p, eth, _| {
        let (raw,): (Bytes,) = parse(&p)?;
        eth.send_raw_transaction(raw)
    })?;
    m.register_blocking_method("eth_call", |p, eth, _| {
        let (request, block): WithBlock<TransactionRequest> = parse_call(&p)?;
        eth.call(request, block)
    })?;
    m.register_blocking_method("eth_estimateGas", |p, eth, _| {
        let (request, block): WithBlock<TransactionRequest> = parse_call(&p)?;
        eth.estimate_gas(request, block)
    })?;
    m.register_method("eth_feeHistory", |p, eth, _| {
        let (count, newest, percentiles): (U256, BlockNumberOrTag, Option<Vec<f64>>) = parse(&p)?;
        let count = u64::try_from(count).map_err(|_| invalid_params("block count too large"))?;
        eth.fee_history(count, newest, percentiles)
    })?;
    m.register_blocking_method("eth_getBlockByNumber", |p, eth, _| {
        let (number, full): (BlockNumberOrTag, Option<bool>) = parse(&p)?;
        eth.block_by_id(BlockId::Number(number), full.unwrap_or(false))
    })?;
    m.register_blocking_method("eth_getBlockByHash", |p, eth, _| {
        let (hash, full): (B256, Option<bool>) = parse(&p)?;
        eth.block_by_id(BlockId::from(hash), full.unwrap_or(false))
    })?;
    m.register_method("eth_getBlockTransactionCountByNumber", |p, eth, _| {
        let (number,): (BlockNumberOrTag,) = parse(&p)?;
        eth.block_tx_count(BlockId::Number(number))
    })?;
    m.register_method("eth_getBlockTransactionCountByHash", |p, eth, _| {
        let (hash,): (B256,) = parse(&p)?;
        eth.block_tx_count(BlockId::from(hash))
    })?;
    m.register_method("eth_getTransactionByHash", |p, eth, _| {
        let (hash,): (B256,) = parse(&p)?;
        eth.transaction_by_hash(hash)
    })?;
    m.register_method("eth_getTransactionReceipt", |p, eth, _| {
        let (hash,): (B256,) = parse(&p)?;
        eth.transaction_receipt(hash)
    })?;
    m.register_blocking_method("eth_getLogs", |p, eth, _| {
        let (filter,): (Filter,) = parse(&p)?;
        eth.logs(filter)
    })?;
    m.register_blocking_method("eth_getProof", |p, eth, _| {
        let (address, keys, block): (Address, Vec<B256>, Option<BlockId>) = parse(&p)?;
        if keys.len() > 1024 {
            return Err(invalid_params("at most 1024 storage keys per proof"));
        }
        eth.proof(address, keys, block)
    })?;
    m.register_method("entente_getFinalization", |p, eth, _| {
        let (block,): (BlockId,) = parse(&p)?;
        eth.finalization(block)
    })?;
    m.register_blocking_method("entente_getEvidenceCertificate", |p, eth, _| {
        let (key,): (B256,) = parse(&p)?;
        eth.evidence_certificate(key)
    })?;
    m.register_subscription(
        "eth_subscribe",
        "eth_subscription",
        "eth_unsubscribe",
        |params, pending, eth, _| async move {
            match pubsub::parse(params) {
                Ok(kind) => pubsub::serve(pending, eth, kind).await,
                Err(err) => pending.reject(err).await,
            }
        },
    )?;
    Ok(m)
}

/// `eth_call` and `eth_estimateGas` take a call object and an optional block (a third
/// state-override parameter is refused rather than silently ignored).
fn parse_call(params: &Params<'_>) -> RpcResult<WithBlock<TransactionRequest>> {
    let mut seq = params.sequence();
    let request: TransactionRequest = seq.next().map_err(|err: ErrorObjectOwned| {
        invalid_params(format!("invalid call object: {}", err.message()))
    })?;
    let block: Option<BlockId> = seq.optional_next().map_err(|err: ErrorObjectOwned| {
        invalid_params(format!("invalid block: {}", err.message()))
    })?;
    let overrides: Option<serde_json::Value> =
        seq.optional_next().map_err(|_| internal("params"))?;
    if overrides.is_some_and(|o| !o.is_null()) {
        return Err(invalid_params("state overrides are not supported"));
    }
    Ok((request, block))
}

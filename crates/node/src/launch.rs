//! Starting one node on the production (tokio) runtime.

use std::{path::PathBuf, sync::Arc, time::Duration};

use commonware_runtime::{Handle, Supervisor as _, tokio};
use entente_chainspec::{ChainSpec, ValidatorKey, decode_public_key};
use entente_config::NodeConfig;
use entente_consensus::{
    Chain, ChainConfig, EngineConfig, FinalityStatus, TxIngress, init_genesis,
};
use entente_modules::EntenteModules;
use entente_storage::{EngineLimits, Store};
use entente_txpool::{PoolLimits, TxPool};
use tracing::info;

use crate::{NodeError, p2p};

/// Everything needed to start one node.
pub struct NodeParams {
    /// Name used in logs and to separate this node's storage partitions.
    pub name: String,
    pub spec: Arc<ChainSpec>,
    pub key: ValidatorKey,
    pub config: NodeConfig,
}

/// A started node.
pub struct NodeHandle {
    pub name: String,
    pub chain: Arc<Chain>,
    pub ingress: TxIngress,
    pub status: Arc<FinalityStatus>,
    /// Completes when a component stops; the node must then be shut down.
    pub handles: Vec<Handle<()>>,
}

/// The gateway keystore and tokens, when `[gateway]` is enabled.
fn open_gateway(config: &NodeConfig) -> Result<Option<Arc<entente_gateway::Gateway>>, NodeError> {
    if !config.gateway.enabled {
        return Ok(None);
    }
    let gateway = entente_gateway::Gateway::open(config)
        .map_err(|err| NodeError::Invalid(format!("gateway: {err}")))?;
    info!(
        keystore = %config.gateway_keystore_dir().display(),
        tokens = %config.gateway_tokens_file().display(),
        "gateway enabled"
    );
    Ok(Some(Arc::new(gateway)))
}

/// Starts a validator: store and genesis, pool, p2p, consensus.
pub async fn launch(context: tokio::Context, params: NodeParams) -> Result<NodeHandle, NodeError> {
    let NodeParams {
        name,
        spec,
        key,
        config,
    } = params;
    let me = key.public_key();
    let needed = crate::p2p::message_bytes_needed(&spec.limits);
    if u64::from(config.p2p.message_bytes_max) < needed {
        return Err(NodeError::Invalid(format!(
            "p2p.message_bytes_max is {} bytes, below the {needed} bytes the largest block of this chain needs (limits.block_txs_bytes_max {} and block_txs_max {}): raise it",
            config.p2p.message_bytes_max,
            spec.limits.block_txs_bytes_max,
            spec.limits.block_txs_max
        )));
    }
    // Opened first: a missing or wrong passphrase stops the node before anything starts.
    let gateway = open_gateway(&config)?;
    if spec.validator(&me).is_none() {
        tracing::warn!(
            key = %entente_chainspec::encode_public_key(&me),
            "this node's key is not a genesis validator: it follows the chain and votes once governance adds it"
        );
    }

    let codec = entente_primitives::BlockCodec {
        txs_max: spec.limits.block_txs_max,
        txs_bytes_max: spec.limits.block_txs_bytes_max,
    };
    let state_dir: PathBuf = config.data_dir.join("state");
    std::fs::create_dir_all(&state_dir)?;
    let mib = 1024 * 1024;
    let limits = EngineLimits {
        cache_bytes: config.storage.cache_mib.saturating_mul(mib),
        journal_bytes: config.storage.journal_mib.saturating_mul(mib),
    };
    let store = Store::open_with(&state_dir, codec, limits)?;
    let genesis = init_genesis(&spec, &store)?;
    let head = store.head()?.map(|h| h.height).unwrap_or_default();
    info!(node = %name, genesis = %genesis.hash(), head, "store opened");

    let pool = TxPool::new(PoolLimits {
        txs_max: config.txpool.txs_max,
        bytes_max: config.txpool.bytes_max,
        per_sender_max: config.txpool.per_sender_max,
        nonce_gap_max: config.txpool.nonce_gap_max,
        base_fee: spec.gas.min_gas_price,
        ..PoolLimits::default()
    });
    let chain = Arc::new(Chain::new(
        spec.clone(),
        store,
        pool,
        Arc::new(EntenteModules),
        ChainConfig {
            block_interval_min_ms: config.consensus.block_interval_min_ms,
            timestamp_skew_max_ms: config.consensus.timestamp_skew_max_ms,
            build_time_max: Some(Duration::from_millis(
                config.consensus.block_build_time_max_ms,
            )),
            ..ChainConfig::default()
        },
    ));

    // Addresses of the validators this node knows from its config; validators added by
    // governance carry their own in the registry.
    let mut peers = vec![(me.clone(), config.p2p.listen)];
    for peer in &config.p2p.peers {
        let key = decode_public_key(&peer.public_key)?;
        if key != me {
            peers.push((key, peer.address));
        }
    }
    // The network binds its listener inside an actor, where a failure is only a panic
    // that nothing observes while the node starts (it then hangs without p2p or RPC).
    // Check the address first, so a port in use stops the node with a clear error.
    std::net::TcpListener::bind(config.p2p.listen).map_err(|err| NodeError::Server {
        service: "p2p",
        address: config.p2p.listen.to_string(),
        reason: err.to_string(),
    })?;
    let (network_handle, oracle, tracker, channels) = p2p::start(
        &context,
        key.0.clone(),
        config.p2p.listen,
        peers,
        config.p2p.message_bytes_max,
        &config.p2p.rates,
        config.consensus.mailbox_size,
    );

    let (ingress, gossip) = TxIngress::new(chain.clone());
    let engine_config = EngineConfig {
        partition_prefix: name.clone(),
        leader_timeout: Duration::from_millis(config.consensus.leader_timeout_ms),
        certification_timeout: Duration::from_millis(config.consensus.certification_timeout_ms),
        timeout_retry: Duration::from_millis(config.consensus.timeout_retry_ms),
        fetch_timeout: Duration::from_millis(config.consensus.fetch_timeout_ms),
        mailbox_size: config.consensus.mailbox_size,
        proposal_mutator: None,
    };
    let running = entente_consensus::start(
        context.child("engine"),
        engine_config,
        chain.clone(),
        genesis,
        key.0.clone(),
        gossip,
        oracle.clone(),
        tracker,
        oracle,
        channels,
    )
    .await;
    let mut handles = running.handles;
    handles.push(network_handle);

    let (rpc_address, rpc_server) = entente_rpc::start(entente_rpc::RpcContext {
        chain: chain.clone(),
        ingress: ingress.clone(),
        config: config.rpc.clone(),
    })
    .await
    .map_err(|err| NodeError::Server {
        service: "JSON-RPC",
        address: config.rpc.listen.to_string(),
        reason: err.to_string(),
    })?;
    let verification_account = match &config.gateway.verification_account {
        None => None,
        Some(text) => Some(text.parse::<alloy_primitives::Address>().map_err(|err| {
            NodeError::Invalid(format!(
                "gateway.verification_account {text:?} is not an address: {err}"
            ))
        })?),
    };
    let api_context = Arc::new(entente_api::ApiContext {
        chain: chain.clone(),
        status: running.status.clone(),
        request_bytes_max: config.api.request_bytes_max,
        ingress: ingress.clone(),
        gateway,
        gas_cap: config.rpc.gas_cap,
        verification_account,
        verify_in_flight: Default::default(),
    });
    let (api_address, api_server) = entente_api::serve(config.api.listen, api_context)
        .await
        .map_err(|err| NodeError::Server {
            service: "REST",
            address: config.api.listen.to_string(),
            reason: err.to_string(),
        })?;
    // The servers live as long as the runtime; stopping them is part of its shutdown.
    handles.push(Handle::from_future(async move {
        rpc_server.stopped().await;
        Ok(())
    }));
    handles.push(Handle::from_future(async move {
        let _ = api_server.await;
        Ok(())
    }));
    info!(
        node = %name,
        p2p = %config.p2p.listen,
        rpc = %rpc_address,
        rest = %api_address,
        "validator started"
    );
    Ok(NodeHandle {
        name,
        chain,
        ingress,
        status: running.status,
        handles,
    })
}

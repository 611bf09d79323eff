//! JSON-RPC request handling: the real `RpcModule` of `entente-rpc` over an in-memory
//! chain (genesis plus one committed block with two transfers), fed the input as a raw
//! request string. Every request must get an answer (a result or a JSON-RPC error),
//! never a panic.

#![no_main]

use std::sync::{Arc, OnceLock};

use alloy_primitives::{Address, U256};
use entente_config::RpcConfig;
use entente_consensus::{Chain, ChainConfig, Gossip, TxIngress, init_genesis};
use entente_modules::EntenteModules;
use entente_primitives::BlockCodec;
use entente_rpc::{eth::Eth, server::module};
use entente_storage::{MemoryKv, Store};
use entente_testkit::fixtures::{self, account, transfer};
use entente_txpool::{PoolLimits, TxPool};
use jsonrpsee::RpcModule;
use libfuzzer_sys::fuzz_target;

struct Node {
    module: RpcModule<Eth>,
    // Kept alive so that submissions see an open gossip queue, as on a node.
    _gossip: Gossip,
}

fn node() -> &'static Node {
    static NODE: OnceLock<Node> = OnceLock::new();
    NODE.get_or_init(|| {
        let spec = Arc::new(fixtures::spec(4, 4));
        let codec = BlockCodec {
            txs_max: spec.limits.block_txs_max,
            txs_bytes_max: spec.limits.block_txs_bytes_max,
        };
        let store = Store::from_kv(Arc::new(MemoryKv::new()), codec).expect("store");
        let genesis = init_genesis(&spec, &store).expect("genesis");
        let chain = Arc::new(Chain::new(
            spec,
            store,
            TxPool::new(PoolLimits::default()),
            Arc::new(EntenteModules),
            ChainConfig::default(),
        ));
        for nonce in 0..2 {
            let tx = transfer(&account(0), nonce, Address::repeat_byte(7), U256::from(5));
            chain.pool().insert(tx, 0).expect("pool");
        }
        let built = chain
            .build(&genesis, Address::repeat_byte(0xf0), 10_000)
            .expect("build");
        chain.commit(&built.block, None).expect("commit");
        let (ingress, gossip) = TxIngress::new(chain.clone());
        let eth = Eth {
            chain,
            ingress,
            config: RpcConfig::default(),
        };
        Node {
            module: module(eth).expect("module"),
            _gossip: gossip,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(request) = std::str::from_utf8(data) else {
        return;
    };
    let node = node();
    // A runtime per input: dropping it ends the tasks a request spawned (subscriptions
    // wait for the next block, which never comes here).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let _ = node.module.raw_json_request(request, 16).await;
    });
});

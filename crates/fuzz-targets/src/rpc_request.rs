//! JSON-RPC request handling: the real [`RpcModule`] of `entente-rpc`
//! ([`entente_rpc::server::module`]) over an in-memory chain — the genesis of
//! `fixtures::spec(4, 4)` plus one committed block with two transfers, see
//! [`test_chain`] — fed the input, if it is UTF-8, as a raw request string
//! (`RpcModule::raw_json_request`: one JSON-RPC request object; batches are the
//! server's framing and come back here as a parse error).
//!
//! Checked beyond "no panic": every answer is valid JSON.
//!
//! Cost per input: the chain and the module are built once per process; requests run on
//! a current-thread tokio runtime kept per thread and reused across inputs. Requests may
//! leave tasks behind on it — an `eth_subscribe` subscription waits for the next
//! committed block, which never comes here, even after its receiver is dropped — so the
//! runtime is dropped (ending those tasks) and rebuilt once more than [`TASKS_MAX`] are
//! alive. Shared state outlives inputs: transactions an input submits stay in the pool
//! (bounded by its limits) and in the ingress's seen-cache, so an input's outcome may
//! depend on the inputs before it, as in any long-running node.

use std::{
    cell::RefCell,
    sync::{Arc, OnceLock},
};

use alloy_primitives::{Address, U256};
use entente_config::RpcConfig;
use entente_consensus::{Chain, ChainConfig, Gossip, TxIngress, init_genesis};
use entente_modules::EntenteModules;
use entente_primitives::{Block, BlockCodec};
use entente_rpc::{eth::Eth, server::module};
use entente_storage::{MemoryKv, Store};
use entente_testkit::fixtures::{self, account, transfer};
use entente_txpool::{PoolLimits, TxPool};
use jsonrpsee::RpcModule;

/// Most tasks left alive on the per-thread runtime before it is rebuilt.
pub const TASKS_MAX: usize = 64;

/// The fuzzed node's chain: the genesis of `fixtures::spec(4, 4)` and a committed block 1
/// with two transfers of account 0 (nonces 0 and 1, built at 10 s). Returns the chain,
/// the genesis block and block 1. Deterministic: the seed corpus refers to its hashes.
pub fn test_chain() -> (Arc<Chain>, Block, Block) {
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
    let block = built.block.clone();
    (chain, genesis, block)
}

struct Node {
    module: RpcModule<Eth>,
    // Kept alive so that submissions see an open gossip queue, as on a node.
    _gossip: Gossip,
}

fn node() -> &'static Node {
    static NODE: OnceLock<Node> = OnceLock::new();
    NODE.get_or_init(|| {
        let (chain, _, _) = test_chain();
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

/// The names of the methods the module serves: a dictionary for mutators.
pub fn method_names() -> Vec<&'static str> {
    node().module.method_names().collect()
}

thread_local! {
    static RUNTIME: RefCell<Option<tokio::runtime::Runtime>> = const { RefCell::new(None) };
}

/// Runs one input.
pub fn run(data: &[u8]) {
    if let Ok(request) = std::str::from_utf8(data) {
        answer(request);
    }
}

/// The module's answer to `request`, or `None` when it is no JSON-RPC request object.
pub fn answer(request: &str) -> Option<String> {
    let node = node();
    RUNTIME.with_borrow_mut(|slot| {
        if slot
            .as_ref()
            .is_some_and(|runtime| runtime.metrics().num_alive_tasks() > TASKS_MAX)
        {
            // Dropping the runtime ends the tasks earlier requests left behind.
            *slot = None;
        }
        let runtime = slot.get_or_insert_with(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
        });
        runtime.block_on(async {
            let (response, _subscription) = node.module.raw_json_request(request, 16).await.ok()?;
            let response = response.get();
            assert!(
                serde_json::from_str::<serde_json::Value>(response).is_ok(),
                "the answer is not JSON: {response}"
            );
            Some(response.to_string())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed requests are answered with results, not errors (but the batch, which is
    /// the server's framing), and subscriptions left behind do not pile up.
    #[test]
    fn seeds_are_answered() {
        let (chain, _, block) = test_chain();
        for seed in crate::seeds::rpc_request(&chain, &block) {
            let request = std::str::from_utf8(&seed.bytes).unwrap();
            let answer = answer(request);
            if seed.name == "batch" {
                assert_eq!(answer, None);
                continue;
            }
            let answer = answer.unwrap_or_else(|| panic!("{}: no answer", seed.name));
            let value: serde_json::Value = serde_json::from_str(&answer).unwrap();
            assert!(value.get("result").is_some(), "{}: {answer}", seed.name);
        }
        let subscribe =
            r#"{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}"#;
        for _ in 0..3 * TASKS_MAX {
            answer(subscribe).unwrap();
        }
        RUNTIME.with_borrow(|slot| {
            let alive = slot.as_ref().unwrap().metrics().num_alive_tasks();
            assert!(alive <= TASKS_MAX + 1, "{alive} tasks alive");
        });
    }
}

//! Four `entente node` processes on 127.0.0.1 form a consortium over TCP; validators
//! are killed with SIGKILL and restarted; nothing finalised or acknowledged is lost.

use std::time::Duration;

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use entente_primitives::LocalSigner;
use serde_json::{Value, json};

use crate::common::*;

struct Network {
    dir: Scratch,
    rpc: Vec<String>,
    nodes: Vec<Option<Proc>>,
    account: LocalSigner,
    chain_id: u64,
}

impl Network {
    fn init(name: &str) -> Self {
        let dir = Scratch::new(name);
        let base = free_ports(12);
        let out = dir.0.join("net");
        let status = std::process::Command::new(entente())
            .args([
                "init",
                "--orgs",
                "4",
                "--out",
                out.to_str().unwrap(),
                "--chain-id",
                "777",
                "--accounts",
                "2",
                "--p2p-port",
                &base.to_string(),
                "--rpc-port",
                &(base + 4).to_string(),
                "--api-port",
                &(base + 8).to_string(),
            ])
            .status()
            .unwrap();
        assert!(status.success(), "entente init failed");
        // Node 0 gets a tight log-query limit, to check it is enforced at its edge.
        let config = out.join("node0/config.toml");
        let text = std::fs::read_to_string(&config).unwrap();
        let text = text.replace("logs_block_range_max = 10000", "logs_block_range_max = 3");
        assert!(text.contains("logs_block_range_max = 3"));
        std::fs::write(&config, text).unwrap();
        let accounts: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("accounts.json")).unwrap())
                .unwrap();
        let account = LocalSigner::from_hex(accounts[0]["private_key"].as_str().unwrap()).unwrap();
        let rpc = (0..4)
            .map(|i| format!("http://127.0.0.1:{}", base + 4 + i))
            .collect();
        let mut network = Self {
            dir,
            rpc,
            nodes: (0..4).map(|_| None).collect(),
            account,
            chain_id: 777,
        };
        for i in 0..4 {
            network.start(i);
        }
        network
    }

    fn start(&mut self, i: usize) {
        let config = self.dir.0.join(format!("net/node{i}/config.toml"));
        let log = self.dir.0.join(format!(
            "node{i}-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
        ));
        self.nodes[i] = Some(Proc::spawn(
            &["node", "--config", config.to_str().unwrap()],
            &log,
        ));
    }

    fn kill(&mut self, i: usize) {
        if let Some(mut node) = self.nodes[i].take() {
            node.kill();
        }
    }

    fn logs(&self) -> String {
        self.nodes
            .iter()
            .flatten()
            .map(|p| format!("==== {}\n{}", p.log.display(), tail(&p.log_text())))
            .collect()
    }

    fn send(&self, node: usize, nonce: u64) -> String {
        let tx = self
            .account
            .sign(TxEip1559 {
                chain_id: self.chain_id,
                nonce,
                gas_limit: 21_000,
                max_fee_per_gas: 0,
                max_priority_fee_per_gas: 0,
                to: TxKind::Call(Address::repeat_byte(0x42)),
                value: U256::from(1_000),
                access_list: Default::default(),
                input: Bytes::new(),
            })
            .unwrap();
        rpc(
            &self.rpc[node],
            "eth_sendRawTransaction",
            json!([tx.raw.to_string()]),
        )
        .unwrap_or_else(|err| panic!("send failed: {err}\n{}", self.logs()))
        .as_str()
        .unwrap()
        .to_string()
    }

    fn receipt(&self, node: usize, hash: &str) -> Option<Value> {
        rpc(&self.rpc[node], "eth_getTransactionReceipt", json!([hash]))
            .ok()
            .filter(|v| !v.is_null())
    }

    fn wait_receipt(&self, node: usize, hash: &str) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            if let Some(receipt) = self.receipt(node, hash) {
                return receipt;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("no receipt for {hash} on node {node}\n{}", self.logs());
    }
}

#[test]
fn four_processes_survive_kill_and_restart() {
    let mut net = Network::init("multi");
    for url in &net.rpc {
        assert!(
            wait_for_height(url, 3, Duration::from_secs(90)),
            "no progress on {url}\n{}",
            net.logs()
        );
    }

    // A transaction sent to one node is included and seen by all.
    let mut nonce = 0;
    let mut acknowledged = Vec::new();
    let hash = net.send(1, nonce);
    nonce += 1;
    let receipt = net.wait_receipt(3, &hash);
    assert_eq!(receipt["status"], "0x1");
    acknowledged.push(hash);

    // eth_getLogs accepts a range at the configured limit and refuses one block more.
    let ok = rpc(
        &net.rpc[0],
        "eth_getLogs",
        json!([{"fromBlock": "0x0", "toBlock": "0x2"}]),
    );
    assert!(ok.is_ok(), "{ok:?}");
    let err = rpc(
        &net.rpc[0],
        "eth_getLogs",
        json!([{"fromBlock": "0x0", "toBlock": "0x3"}]),
    )
    .unwrap_err();
    assert_eq!(err["code"], -32005, "{err}");
    assert!(
        rpc(
            &net.rpc[1],
            "eth_getLogs",
            json!([{"fromBlock": "0x0", "toBlock": "0x3"}])
        )
        .is_ok()
    );

    // SIGKILL one validator: the other three keep finalising.
    net.kill(3);
    let height = block_number(&net.rpc[0]).unwrap();
    for _ in 0..3 {
        acknowledged.push(net.send(0, nonce));
        nonce += 1;
    }
    for url in &net.rpc[..3] {
        assert!(
            wait_for_height(url, height + 5, Duration::from_secs(60)),
            "stalled without node3\n{}",
            net.logs()
        );
    }

    // Restart it: it catches up and agrees on hash and state root.
    net.start(3);
    let target = block_number(&net.rpc[0]).unwrap();
    assert!(
        wait_for_height(&net.rpc[3], target, Duration::from_secs(120)),
        "node3 did not catch up\n{}",
        net.logs()
    );
    assert_eq!(
        block_identity(&net.rpc[3], target),
        block_identity(&net.rpc[0], target)
    );

    // SIGKILL all four and restart: nothing finalised or acknowledged is lost.
    let before = block_number(&net.rpc[0]).unwrap();
    let identity = block_identity(&net.rpc[0], before).unwrap();
    for i in 0..4 {
        net.kill(i);
    }
    for i in 0..4 {
        net.start(i);
    }
    for url in &net.rpc {
        assert!(
            wait_for_height(url, before + 2, Duration::from_secs(120)),
            "no progress after full restart\n{}",
            net.logs()
        );
    }
    for url in &net.rpc {
        assert_eq!(block_identity(url, before).as_ref(), Some(&identity));
    }
    for hash in &acknowledged {
        for node in 0..4 {
            assert_eq!(net.wait_receipt(node, hash)["status"], "0x1");
        }
    }
    acknowledged.push(net.send(2, nonce));
    net.wait_receipt(0, acknowledged.last().unwrap());
}

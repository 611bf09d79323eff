//! The harness end to end, small: a 1-validator network started in-process on free
//! 127.0.0.1 ports, a few hundred pre-signed mixed transactions (ERC-20, native, calls
//! with events, deployments) plus a small state fill, and a report on disk. It asserts
//! only that the run completes and reports — never a timing.

use std::{
    sync::{Arc, mpsc},
    time::Duration,
};

use alloy_primitives::U256;
use commonware_runtime::{Runner as _, Spawner as _, Supervisor as _};
use entente_bench::{BenchOptions, LoadConfig, TargetOptions, WorkloadKind, network::free_ports};
use entente_node::{ConsortiumPlan, NodeParams, launch, read_validator_key, write_consortium};
use entente_primitives::LocalSigner;

const SENDERS: usize = 20;
/// Whole-test bound: node start, setup, 3 s of load and the drain.
const TEST_TIMEOUT: Duration = Duration::from_secs(120);

/// A one-validator network running on its own runtime thread; stopped when dropped.
struct InProcessNode {
    url: String,
    /// The API's metrics page.
    metrics_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl InProcessNode {
    fn start(dir: &std::path::Path, accounts: &[LocalSigner]) -> Self {
        let ports = free_ports(3).expect("free ports");
        let mut plan = ConsortiumPlan::local("bench-smoke", 1337, 1);
        plan.p2p_port = ports;
        plan.rpc_port = ports + 1;
        plan.api_port = ports + 2;
        plan.deterministic_keys = true;
        let balance = U256::from(10u64).pow(U256::from(24));
        plan.funded = accounts.iter().map(|a| (a.address(), balance)).collect();
        plan.registered = accounts.iter().map(LocalSigner::address).collect();
        let consortium = write_consortium(&plan, &dir.join("network")).expect("consortium");
        let node = consortium.nodes[0].clone();
        let params = NodeParams {
            name: node.name.clone(),
            spec: Arc::new(consortium.spec.clone()),
            key: read_validator_key(&node.config.key_file).expect("key"),
            config: node.config.clone(),
        };
        let url = format!("http://{}", node.config.rpc.listen);
        let metrics_url = format!("http://{}/metrics", node.config.api.listen);
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let storage = dir.join("consensus");
        let thread = std::thread::spawn(move || {
            let config = commonware_runtime::tokio::Config::new()
                .with_storage_directory(&storage)
                .with_worker_threads(2)
                .with_catch_panics(false);
            commonware_runtime::tokio::Runner::new(config).start(|context| async move {
                // The handle owns the servers: keep it until the test is done.
                match launch(context.child("node"), params).await {
                    Ok(handle) => {
                        let _ = ready_tx.send(Ok(()));
                        let _ = stop_rx.await;
                        drop(handle);
                    }
                    Err(err) => {
                        let _ = ready_tx.send(Err(err.to_string()));
                    }
                }
                let _ = context.stop(0, Some(Duration::from_secs(10))).await;
            });
        });
        ready_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("node started in time")
            .expect("node launched");
        Self {
            url,
            metrics_url,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }
}

impl Drop for InProcessNode {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn harness_runs_end_to_end_and_writes_a_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    // faucet, deployer, senders — registered and funded in genesis, as `entente init`
    // does for the accounts it generates.
    let accounts: Vec<LocalSigner> = (0..SENDERS + 2)
        .map(|i| LocalSigner::deterministic(&format!("bench-smoke/{i}")))
        .collect();
    let accounts_file = dir.path().join("accounts.json");
    let json: Vec<serde_json::Value> = accounts
        .iter()
        .map(|a| serde_json::json!({"address": a.address(), "private_key": a.secret_hex()}))
        .collect();
    std::fs::write(&accounts_file, serde_json::to_string(&json).unwrap()).unwrap();
    let node = InProcessNode::start(dir.path(), &accounts);

    let out_dir = dir.path().join("reports");
    let options = BenchOptions {
        target: TargetOptions::Remote {
            urls: vec![node.url.clone()],
            faucet_key: None,
            accounts_file: Some(accounts_file),
            // The node runs inside this process: exercise the CPU/memory probe on it.
            pids: vec![std::process::id()],
            metrics: Some(node.metrics_url.clone()),
        },
        workload: WorkloadKind::Mixed,
        senders: SENDERS,
        txs: Some(300),
        batch_txs: 25,
        load: LoadConfig {
            rate_tps: Some(100.0),
            warmup: Duration::from_millis(500),
            window: Duration::from_millis(2_500),
            drain_max: Duration::from_secs(30),
            connections: 4,
            inflight_max: 1_000,
            poll_interval: Duration::from_millis(20),
            retries_max: 5,
            progress: false,
        },
        state_accounts: 500,
        compare_anvil: false,
        anvil_binary: None,
        anvil_block_time_secs: None,
        repo_root: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        out_dir: out_dir.clone(),
        command: "smoke test".into(),
        setup_timeout: Duration::from_secs(60),
        request_timeout: Duration::from_secs(10),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // A --metrics page without storage-engine gauges (the JSON-RPC endpoint) is refused
    // before the setup touches the chain.
    let mut wrong_page = options.clone();
    if let TargetOptions::Remote { metrics, .. } = &mut wrong_page.target {
        *metrics = Some(node.url.clone());
    }
    match runtime.block_on(entente_bench::run(wrong_page)) {
        Err(entente_bench::BenchError::Invalid { option, .. }) => assert_eq!(option, "--metrics"),
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("a page without gauges was accepted"),
    }
    assert!(!out_dir.exists(), "the refused run wrote nothing");
    let outcome = runtime
        .block_on(async { tokio::time::timeout(TEST_TIMEOUT, entente_bench::run(options)).await })
        .expect("the harness finished in time")
        .expect("the harness ran");
    let node_metrics = node.metrics_url.clone();
    drop(node);

    assert!(outcome.json.is_file() && outcome.markdown.is_file());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&outcome.json).unwrap()).unwrap();
    assert_eq!(report["runs"][0]["target"], "entente");
    assert_eq!(report["workload"]["txs_presigned"], 300);
    assert!(
        report["runs"][0]["figures"]["finalised_total"]
            .as_u64()
            .unwrap()
            > 0
    );
    // The node's storage-engine gauges, read from its metrics page through the window.
    let engine = &report["runs"][0]["figures"]["engine_through_window_mib"];
    assert!(
        engine["write_buffer"]
            .as_array()
            .is_some_and(|series| !series.is_empty()),
        "no engine trace in {engine}"
    );
    assert_eq!(report["runs"][0]["engine_source"], node_metrics.as_str());
    let markdown = std::fs::read_to_string(&outcome.markdown).unwrap();
    assert!(markdown.contains("finalised TPS") && markdown.contains("smoke test"));
    assert!(markdown.contains("storage engine of `http://"));
}

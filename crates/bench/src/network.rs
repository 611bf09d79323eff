//! A consortium the harness starts itself: `entente init`, then one `entente node`
//! process per validator on free 127.0.0.1 ports, so each node's CPU and memory can be
//! read from `/proc`. Nodes are stopped (SIGINT, then SIGKILL) when the network is
//! dropped.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use entente_primitives::LocalSigner;
use serde::Deserialize;

use crate::{BenchError, procstat::Probe, rpc::RpcClient, setup};

/// Chain id of the harness's own networks (the dev chain id, so tools recognise it).
pub const LOCAL_CHAIN_ID: u64 = 1337;
/// Longest wait for a started node to answer and produce a block.
const START_TIMEOUT: Duration = Duration::from_secs(90);
/// Longest wait for a node to stop after SIGINT before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// How to start a local network.
#[derive(Clone, Debug)]
pub struct LocalOptions {
    /// The `entente` binary.
    pub binary: PathBuf,
    pub validators: usize,
    /// Funded accounts to generate in genesis besides the faucet.
    pub accounts: usize,
    /// Folder under which the network's folder is created.
    pub base_dir: PathBuf,
    /// Keep the network's folder (data and logs) after the run.
    pub keep: bool,
    /// `RUST_LOG` for the nodes.
    pub log: String,
    /// Extra `entente init` arguments (consensus timing, as `--flag value` pairs).
    pub init_args: Vec<String>,
}

struct NodeProc {
    name: String,
    child: Child,
    log: PathBuf,
}

/// A running local network.
pub struct LocalNetwork {
    dir: PathBuf,
    keep: bool,
    nodes: Vec<NodeProc>,
    rpc_urls: Vec<String>,
    api_urls: Vec<String>,
    /// The funded accounts of `accounts.json`, faucet first.
    pub accounts: Vec<LocalSigner>,
}

#[derive(Deserialize)]
struct AccountFile {
    private_key: String,
}

impl LocalNetwork {
    /// Generates a consortium and starts its validators; returns once every node answers
    /// JSON-RPC and the chain has finalised a block.
    pub async fn start(options: &LocalOptions) -> Result<Self, BenchError> {
        if !(1..=7).contains(&options.validators) {
            return Err(BenchError::Invalid {
                option: "--validators",
                reason: "must be between 1 and 7".into(),
            });
        }
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let dir = options
            .base_dir
            .join(format!("entente-bench-{}-{stamp}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|err| BenchError::io(dir.display(), err))?;
        let n = options.validators as u16;
        let ports = free_ports(3 * n)?;
        let (p2p, rpc, api) = (ports, ports + n, ports + 2 * n);
        let network_dir = dir.join("network");
        let output = Command::new(&options.binary)
            .arg("init")
            .args(["--orgs", &options.validators.to_string()])
            .arg("--out")
            .arg(&network_dir)
            .args(["--accounts", &(options.accounts + 1).to_string()])
            .args(["--chain-id", &LOCAL_CHAIN_ID.to_string()])
            .args(["--p2p-port", &p2p.to_string()])
            .args(["--rpc-port", &rpc.to_string()])
            .args(["--api-port", &api.to_string()])
            .args(&options.init_args)
            .output()
            .map_err(|err| process_error("entente init", err))?;
        if !output.status.success() {
            return Err(BenchError::Process {
                what: "entente init".into(),
                reason: String::from_utf8_lossy(&output.stderr).into_owned(),
            });
        }
        let accounts = read_accounts(&network_dir.join("accounts.json"))?;
        let mut network = Self {
            dir: dir.clone(),
            keep: options.keep,
            nodes: Vec::new(),
            rpc_urls: (0..n)
                .map(|i| format!("http://127.0.0.1:{}", rpc + i))
                .collect(),
            api_urls: (0..n)
                .map(|i| format!("http://127.0.0.1:{}", api + i))
                .collect(),
            accounts,
        };
        for i in 0..options.validators {
            let name = format!("node{i}");
            let log = dir.join(format!("{name}.log"));
            let file =
                std::fs::File::create(&log).map_err(|err| BenchError::io(log.display(), err))?;
            let file2 = file
                .try_clone()
                .map_err(|err| BenchError::io(log.display(), err))?;
            let child = Command::new(&options.binary)
                .arg("node")
                .arg("--config")
                .arg(network_dir.join(&name).join("config.toml"))
                .env("RUST_LOG", &options.log)
                .stdin(Stdio::null())
                .stdout(Stdio::from(file))
                .stderr(Stdio::from(file2))
                .spawn()
                .map_err(|err| process_error("entente node", err))?;
            network.nodes.push(NodeProc { name, child, log });
        }
        network.wait_ready().await?;
        Ok(network)
    }

    async fn wait_ready(&mut self) -> Result<(), BenchError> {
        let deadline = Instant::now() + START_TIMEOUT;
        for (i, url) in self.rpc_urls.clone().iter().enumerate() {
            let client = RpcClient::new(url, Duration::from_secs(2))?;
            loop {
                if let Ok(Some(status)) = self.nodes[i].child.try_wait() {
                    return Err(BenchError::Process {
                        what: self.nodes[i].name.clone(),
                        reason: format!("exited with {status}; log:\n{}", self.log_tail(i)),
                    });
                }
                if setup::block_number(&client).await.is_ok_and(|h| h >= 1) {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(BenchError::timeout(
                        format!(
                            "{} to start; log:\n{}",
                            self.nodes[i].name,
                            self.log_tail(i)
                        ),
                        START_TIMEOUT.as_secs(),
                    ));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        Ok(())
    }

    fn log_tail(&self, i: usize) -> String {
        let text = std::fs::read_to_string(&self.nodes[i].log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    pub fn rpc_urls(&self) -> &[String] {
        &self.rpc_urls
    }

    /// The first node's Prometheus metrics page.
    pub fn metrics_url(&self) -> String {
        format!("{}/metrics", self.api_urls[0])
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The node processes, for CPU and memory readings.
    pub fn probes(&self) -> Vec<Probe> {
        self.nodes
            .iter()
            .map(|node| Probe::new(node.name.clone(), node.child.id()))
            .collect()
    }

    /// Stops every node: SIGINT (a clean stop), then SIGKILL after a bounded wait.
    pub fn stop(&mut self) {
        for node in &self.nodes {
            signal(node.child.id(), libc::SIGINT);
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        for node in &mut self.nodes {
            while Instant::now() < deadline {
                if !matches!(node.child.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = node.child.kill();
            let _ = node.child.wait();
        }
        self.nodes.clear();
    }
}

impl Drop for LocalNetwork {
    fn drop(&mut self) {
        self.stop();
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn signal(pid: u32, signal: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) on a child we spawned and have not reaped yet.
        unsafe {
            libc::kill(pid, signal);
        }
    }
}

fn process_error(what: &str, err: std::io::Error) -> BenchError {
    BenchError::Process {
        what: what.into(),
        reason: err.to_string(),
    }
}

/// Reads an `accounts.json` as written by `entente init` (`[{address, private_key}]`).
pub fn read_accounts(path: &Path) -> Result<Vec<LocalSigner>, BenchError> {
    let text = std::fs::read_to_string(path).map_err(|err| BenchError::io(path.display(), err))?;
    let files: Vec<AccountFile> = serde_json::from_str(&text)?;
    files
        .iter()
        .map(|f| {
            LocalSigner::from_hex(&f.private_key)
                .map_err(|err| BenchError::Setup(format!("{}: {err}", path.display())))
        })
        .collect()
}

/// The first of `n` consecutive free ports on 127.0.0.1 (probed, then released).
pub fn free_ports(n: u16) -> Result<u16, BenchError> {
    for _ in 0..200 {
        let probe =
            TcpListener::bind("127.0.0.1:0").map_err(|err| BenchError::io("127.0.0.1:0", err))?;
        let base = probe
            .local_addr()
            .map_err(|err| BenchError::io("127.0.0.1:0", err))?
            .port();
        drop(probe);
        if base > 60_000 - n {
            continue;
        }
        if (0..n).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return Ok(base);
        }
    }
    Err(BenchError::Setup(format!(
        "no block of {n} free ports on 127.0.0.1"
    )))
}

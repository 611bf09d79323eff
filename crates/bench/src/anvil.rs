//! Foundry's anvil as the comparison target: found (or installed with `npm ci` from the
//! versions pinned in `e2e/clients/package.json`), started with the same chain id, a
//! zero base fee and a 1e9 gas limit, prepared with the same setup transactions, and
//! sent the very same pre-signed workload.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, U256};
use serde_json::{Value, json};

use crate::{BenchError, network::free_ports, procstat::Probe, rpc::RpcClient, setup};

/// Where `npm ci` puts the pinned anvil, relative to the repository root.
const ANVIL_IN_CLIENTS: &str = "e2e/clients/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil";
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Finds anvil: `explicit`, then `$ENTENTE_ANVIL`, then the copy pinned in
/// `e2e/clients`; installs that copy with `npm ci` if it is missing.
pub fn locate(repo_root: &Path, explicit: Option<&Path>) -> Result<PathBuf, BenchError> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    if let Some(path) = std::env::var_os("ENTENTE_ANVIL") {
        return Ok(PathBuf::from(path));
    }
    let pinned = repo_root.join(ANVIL_IN_CLIENTS);
    if pinned.is_file() {
        return Ok(pinned);
    }
    let clients = repo_root.join("e2e/clients");
    eprintln!(
        "anvil not found; installing the pinned @foundry-rs/anvil-linux-amd64 with npm ci in {}",
        clients.display()
    );
    let mut child = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&clients)
        .stdin(Stdio::null())
        .spawn()
        .map_err(|err| BenchError::Process {
            what: "npm ci".into(),
            reason: format!("{err} (is Node.js/npm installed?)"),
        })?;
    let deadline = Instant::now() + INSTALL_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(status)) => {
                return Err(BenchError::Process {
                    what: "npm ci".into(),
                    reason: format!("exited with {status}"),
                });
            }
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(BenchError::timeout("npm ci", INSTALL_TIMEOUT.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(200)),
            Err(err) => {
                return Err(BenchError::Process {
                    what: "npm ci".into(),
                    reason: err.to_string(),
                });
            }
        }
    }
    if pinned.is_file() {
        Ok(pinned)
    } else {
        Err(BenchError::Setup(format!(
            "npm ci finished but {} is missing",
            pinned.display()
        )))
    }
}

/// A running anvil, killed when dropped.
pub struct Anvil {
    child: Child,
    pub url: String,
    pub version: String,
    /// Command-line flags it was started with (for the report).
    pub flags: Vec<String>,
}

impl Anvil {
    /// Starts anvil on a free port; `block_time_secs` of `None` keeps its default
    /// automine (one block per transaction).
    pub async fn start(
        binary: &Path,
        chain_id: u64,
        block_time_secs: Option<f64>,
        log: &Path,
    ) -> Result<Self, BenchError> {
        let version = Command::new(binary)
            .arg("--version")
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .map_err(|err| BenchError::Process {
                what: format!("{} --version", binary.display()),
                reason: err.to_string(),
            })?;
        let port = free_ports(1)?;
        let mut flags: Vec<String> = [
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--chain-id",
            &chain_id.to_string(),
            "--gas-limit",
            "1000000000",
            "--block-base-fee-per-gas",
            "0",
            "--gas-price",
            "0",
            "--disable-min-priority-fee",
            "--no-request-size-limit",
            "--order",
            "fifo",
            "--accounts",
            "1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if let Some(secs) = block_time_secs {
            flags.push("--block-time".into());
            flags.push(secs.to_string());
        }
        let file = std::fs::File::create(log).map_err(|err| BenchError::io(log.display(), err))?;
        let file2 = file
            .try_clone()
            .map_err(|err| BenchError::io(log.display(), err))?;
        let child = Command::new(binary)
            .args(&flags)
            .stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(file2))
            .spawn()
            .map_err(|err| BenchError::Process {
                what: "anvil".into(),
                reason: err.to_string(),
            })?;
        let mut anvil = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            version,
            flags,
        };
        let client = RpcClient::new(&anvil.url, Duration::from_secs(2))?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = anvil.child.try_wait() {
                return Err(BenchError::Process {
                    what: "anvil".into(),
                    reason: format!("exited with {status}; see {}", log.display()),
                });
            }
            if setup::chain_id(&client).await.is_ok() {
                return Ok(anvil);
            }
            if Instant::now() > deadline {
                anvil.stop();
                return Err(BenchError::timeout(
                    "anvil to start",
                    START_TIMEOUT.as_secs(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn probe(&self) -> Probe {
        Probe::new("anvil", self.child.id())
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Gives `accounts` `balance` and sets the nonces in `nonces` (address, nonce), so anvil
/// starts from the same account state the Entente run signed against.
pub async fn prepare_accounts(
    client: &RpcClient,
    accounts: &[Address],
    balance: U256,
    nonces: &[(Address, u64)],
) -> Result<(), BenchError> {
    let mut calls: Vec<(&str, Value)> = accounts
        .iter()
        .map(|a| ("anvil_setBalance", json!([a, format!("{balance:#x}")])))
        .collect();
    calls.extend(
        nonces
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(a, n)| ("anvil_setNonce", json!([a, format!("{n:#x}")]))),
    );
    for chunk in calls.chunks(100) {
        for answer in client.batch(chunk).await? {
            answer.map_err(|f| BenchError::Setup(format!("anvil account setup: {}", f.message)))?;
        }
    }
    Ok(())
}

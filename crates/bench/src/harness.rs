//! One benchmark, end to end: prepare the target (untimed), pre-sign the workload,
//! run the load, optionally do the same against anvil, and write the report.

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256};
use entente_primitives::LocalSigner;

use crate::{
    BenchError,
    anvil::{self, Anvil},
    contracts,
    load::{self, LoadConfig, LoadOutcome, LoadTarget},
    network::{LocalNetwork, LocalOptions},
    procstat::Probe,
    report::{Commit, Machine, Report, RunReport, WorkloadInfo, load_average, utc},
    rpc::RpcClient,
    setup::{self, DeployerPlan},
    stats,
    workload::{Workload, WorkloadKind, WorkloadSpec},
};

/// Which nodes to measure.
#[derive(Clone, Debug)]
pub enum TargetOptions {
    /// Start a consortium of `validators` node processes.
    Local(LocalOptions),
    /// Use running nodes: their JSON-RPC URLs; the accounts to use — an `accounts.json`
    /// as `entente init` writes it (first key pays for setup, second deploys, the rest
    /// send; needed on a permissioned chain, where senders must be registered) and/or a
    /// funded key that pays for setup (senders are then derived keys it funds);
    /// optionally the nodes' process ids (for CPU and memory figures) and one node's
    /// `/metrics` URL (for its storage-engine gauges).
    Remote {
        urls: Vec<String>,
        faucet_key: Option<String>,
        accounts_file: Option<PathBuf>,
        pids: Vec<u32>,
        metrics: Option<String>,
    },
}

/// Everything a benchmark run needs.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    pub target: TargetOptions,
    pub workload: WorkloadKind,
    pub senders: usize,
    /// Transactions to pre-sign; `None` sizes the workload from the rate and duration.
    pub txs: Option<usize>,
    pub batch_txs: usize,
    pub load: LoadConfig,
    /// Accounts to create before the run (the large-state variant); 0 for none.
    pub state_accounts: u64,
    pub compare_anvil: bool,
    pub anvil_binary: Option<PathBuf>,
    /// anvil's `--block-time`; `None` keeps automine.
    pub anvil_block_time_secs: Option<f64>,
    /// The repository (for the commit and the pinned anvil).
    pub repo_root: PathBuf,
    /// Where reports go.
    pub out_dir: PathBuf,
    /// The exact command line, for the report.
    pub command: String,
    /// Bound on each setup wait (funding, deployment, state filling).
    pub setup_timeout: Duration,
    /// Bound on each JSON-RPC request.
    pub request_timeout: Duration,
}

/// A finished benchmark.
pub struct BenchOutcome {
    pub report: Report,
    pub json: PathBuf,
    pub markdown: PathBuf,
}

/// Transactions pre-signed per second of planned load when no rate is given.
const SATURATION_BUDGET_TPS: f64 = 10_000.0;
/// Receipts checked after a run.
const RECEIPT_SAMPLE: usize = 64;

/// The accounts a run uses on every target.
struct Actors {
    faucet: LocalSigner,
    deployer: LocalSigner,
    senders: Vec<LocalSigner>,
}

impl Actors {
    fn funded(&self) -> Vec<Address> {
        std::iter::once(self.deployer.address())
            .chain(self.senders.iter().map(LocalSigner::address))
            .collect()
    }

    fn sender_addresses(&self) -> Vec<Address> {
        self.senders.iter().map(LocalSigner::address).collect()
    }
}

/// What the Entente run leaves for the anvil run.
struct Prepared {
    chain_id: u64,
    plan: DeployerPlan,
    deployer_start: u64,
    start_nonces: Vec<u64>,
    workload: Arc<Workload>,
    presign_secs: f64,
}

/// Runs the benchmark described by `options` and writes its report.
pub async fn run(options: BenchOptions) -> Result<BenchOutcome, BenchError> {
    validate(&options)?;
    let mut machine = Machine::probe();
    let commit = Commit::probe(&options.repo_root);
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let (started_utc, stamp) = utc(started);
    let mut notes = Vec::new();

    let (entente, prepared, actors) = run_entente(&options, &mut notes).await?;
    let mut runs = vec![entente];
    if options.compare_anvil {
        runs.push(run_anvil(&options, &prepared, &actors, &mut notes).await?);
    }
    machine.load_after = load_average();
    let ratio_vs_anvil = (runs.len() == 2 && runs[1].figures.finalised_tps > 0.0)
        .then(|| runs[0].figures.finalised_tps / runs[1].figures.finalised_tps);
    for run in &runs {
        describe_problems(run, &mut notes);
    }

    let validators = match &options.target {
        TargetOptions::Local(local) => local.validators,
        TargetOptions::Remote { urls, .. } => urls.len(),
    };
    let mut title = format!(
        "Entente benchmark: {} on {validators} validator{}",
        options.workload,
        if validators == 1 { "" } else { "s" }
    );
    let mut stem = format!("{stamp}-{}-{validators}v", options.workload);
    if options.state_accounts > 0 {
        title.push_str(&format!(
            ", {} extra accounts of state",
            options.state_accounts
        ));
        stem.push_str(&format!("-state{}", options.state_accounts));
    }
    if let Some(rate) = options.load.rate_tps {
        title.push_str(&format!(", offered {rate:.0} tx/s"));
        stem.push_str(&format!("-rate{rate:.0}"));
    }
    if options.compare_anvil {
        title.push_str(", vs anvil");
        stem.push_str("-vs-anvil");
    }
    let report = Report {
        title,
        started_utc,
        command: options.command.clone(),
        commit,
        machine,
        workload: WorkloadInfo {
            kind: options.workload.to_string(),
            senders: options.senders,
            txs_presigned: prepared.workload.txs.len(),
            batch_txs: options.batch_txs,
            connections: options.load.connections,
            inflight_max: options.load.inflight_max,
            rate_tps: options.load.rate_tps,
            warmup_secs: options.load.warmup.as_secs_f64(),
            window_secs: options.load.window.as_secs_f64(),
            state_accounts: options.state_accounts,
            presign_secs: prepared.presign_secs,
            contracts: format!(
                "OpenZeppelin 5 ERC-20 and helpers, {}",
                contracts::bytecodes()?.compiler
            ),
        },
        runs,
        ratio_vs_anvil,
        notes,
    };
    let (json, markdown) = report.write(&options.out_dir, &stem)?;
    Ok(BenchOutcome {
        report,
        json,
        markdown,
    })
}

fn validate(options: &BenchOptions) -> Result<(), BenchError> {
    let invalid = |option, reason: &str| {
        Err(BenchError::Invalid {
            option,
            reason: reason.into(),
        })
    };
    if options.senders == 0 || options.senders > 100_000 {
        return invalid("--senders", "must be 1..=100000");
    }
    if options.load.window.is_zero() {
        return invalid("--duration", "must be greater than zero");
    }
    if options
        .load
        .rate_tps
        .is_some_and(|r| !(r > 0.0 && r <= 1_000_000.0))
    {
        return invalid("--rate", "must be between 0 and 1,000,000 tx/s");
    }
    if options.state_accounts > 100_000_000 {
        return invalid("--state-accounts", "at most 100,000,000");
    }
    if let TargetOptions::Remote { urls, metrics, .. } = &options.target {
        if urls.is_empty() {
            return invalid("--rpc", "give at least one URL");
        }
        let usable = |url: &str| {
            url.parse::<http::Uri>()
                .is_ok_and(|uri| uri.scheme_str() == Some("http") && uri.host().is_some())
        };
        if let Some(url) = metrics
            && !usable(url)
        {
            return Err(BenchError::Invalid {
                option: "--metrics",
                reason: format!("{url}: give an http:// URL of a node's /metrics page"),
            });
        }
    }
    Ok(())
}

/// Refuses a `--metrics` page that cannot be read or carries no storage-engine gauges,
/// before the setup changes anything on the chain.
async fn check_metrics(url: &str, timeout: Duration) -> Result<(), BenchError> {
    let refused = |reason: String| BenchError::Invalid {
        option: "--metrics",
        reason: format!("{url}: {reason}"),
    };
    let page = RpcClient::new(url, timeout)?
        .get()
        .await
        .map_err(|err| refused(err.to_string()))?;
    if load::engine_gauges(&String::from_utf8_lossy(&page)).is_empty() {
        return Err(refused("no entente_storage_* gauges on that page".into()));
    }
    Ok(())
}

/// How many transactions to pre-sign.
fn planned_txs(options: &BenchOptions) -> usize {
    if let Some(txs) = options.txs {
        return txs;
    }
    let secs = (options.load.warmup + options.load.window).as_secs_f64();
    let rate = options
        .load
        .rate_tps
        .map(|r| r * 1.05)
        .unwrap_or(SATURATION_BUDGET_TPS);
    ((secs * rate).ceil() as usize).max(options.batch_txs)
}

async fn run_entente(
    options: &BenchOptions,
    notes: &mut Vec<String>,
) -> Result<(RunReport, Prepared, Actors), BenchError> {
    let setup_started = Instant::now();
    let (network, urls, actors, mut probes, description, version) = match &options.target {
        TargetOptions::Local(local) => {
            let mut local = local.clone();
            local.accounts = 1 + options.senders;
            eprintln!(
                "starting {} validator{} ({} node processes)…",
                local.validators,
                if local.validators == 1 { "" } else { "s" },
                local.validators
            );
            let network = LocalNetwork::start(&local).await?;
            let mut accounts = network.accounts.clone().into_iter();
            let (Some(faucet), Some(deployer)) = (accounts.next(), accounts.next()) else {
                return Err(BenchError::Setup(
                    "accounts.json holds too few accounts".into(),
                ));
            };
            let actors = Actors {
                faucet,
                deployer,
                senders: accounts.take(options.senders).collect(),
            };
            let urls = network.rpc_urls().to_vec();
            let probes = network.probes();
            let version = binary_version(&local.binary);
            let description = format!(
                "entente, {} validator{}",
                local.validators,
                if local.validators == 1 { "" } else { "s" }
            );
            (Some(network), urls, actors, probes, description, version)
        }
        TargetOptions::Remote {
            urls,
            faucet_key,
            accounts_file,
            pids,
            metrics,
        } => {
            if let Some(url) = metrics {
                check_metrics(url, options.request_timeout).await?;
            }
            let actors = remote_actors(
                faucet_key.as_deref(),
                accounts_file.as_deref(),
                options.senders,
            )?;
            let probes = pids
                .iter()
                .enumerate()
                .map(|(i, pid)| Probe::new(format!("node{i}"), *pid))
                .collect();
            let description = format!("entente, {} node(s) at --rpc", urls.len());
            (
                None,
                urls.clone(),
                actors,
                probes,
                description,
                "unknown".into(),
            )
        }
    };
    let clients = urls
        .iter()
        .map(|url| RpcClient::new(url, options.request_timeout))
        .collect::<Result<Vec<_>, _>>()?;
    let main = clients[0].clone();
    let chain_id = setup::chain_id(&main).await?;
    eprintln!("funding {} accounts…", actors.senders.len() + 1);
    let funded = setup::fund(
        &main,
        chain_id,
        &actors.faucet,
        &actors.funded(),
        setup::funding_wei(),
        options.setup_timeout,
    )
    .await?;
    if funded > 0 {
        notes.push(format!(
            "setup funded {funded} accounts with transfers from --key"
        ));
    }
    let deployer_start = setup::nonces(&main, &[actors.deployer.address()], "pending").await?[0];
    let holders = actors.sender_addresses();
    let plan = setup::deployer_plan(
        chain_id,
        &actors.deployer,
        deployer_start,
        &holders,
        options.state_accounts,
    )?;
    eprintln!(
        "deploying contracts and minting tokens{}…",
        if options.state_accounts > 0 {
            format!(", creating {} accounts of state", options.state_accounts)
        } else {
            String::new()
        }
    );
    setup::run_deployer_plan(
        &main,
        actors.deployer.address(),
        &plan,
        &holders,
        options.setup_timeout,
    )
    .await?;
    let start_nonces = setup::nonces(&main, &holders, "latest").await?;
    let setup_secs = setup_started.elapsed().as_secs_f64();

    let txs = planned_txs(options);
    eprintln!("pre-signing {txs} {} transactions…", options.workload);
    let presign_started = Instant::now();
    let workload = {
        let senders = actors.senders.clone();
        let start_nonces = start_nonces.clone();
        let deployed = plan.deployed;
        let kind = options.workload;
        let nodes = clients.len();
        let batch_txs = options.batch_txs;
        tokio::task::spawn_blocking(move || {
            Workload::generate(&WorkloadSpec {
                kind,
                chain_id,
                txs,
                senders: &senders,
                start_nonces: &start_nonces,
                contracts: deployed,
                nodes,
                batch_txs,
                threads: std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(2),
            })
        })
        .await
        .map_err(|err| BenchError::Signing(err.to_string()))??
    };
    let workload = Arc::new(workload);
    let presign_secs = presign_started.elapsed().as_secs_f64();

    probes.push(Probe::this_process());
    // The storage-engine gauges: node 0 of a started network, or the node at --metrics.
    let (engine_url, engine_source) = match (&network, &options.target) {
        (Some(network), _) => (Some(network.metrics_url()), Some("node0".to_string())),
        (
            None,
            TargetOptions::Remote {
                metrics: Some(url), ..
            },
        ) => (Some(url.clone()), Some(url.clone())),
        (None, _) => (None, None),
    };
    let engine = engine_url
        .map(|url| RpcClient::new(&url, options.request_timeout))
        .transpose()?;
    let start_height = setup::block_number(&main).await?;
    eprintln!("running the load against {description}…");
    let outcome = load::run(
        workload.clone(),
        LoadTarget {
            submit: clients.clone(),
            watch: main.clone(),
            probes,
            engine,
        },
        options.load.clone(),
        start_height,
    )
    .await?;
    let figures = stats::analyse(
        &outcome,
        options.load.warmup.as_secs_f64(),
        options.load.window.as_secs_f64(),
    );
    let receipts_ok = setup::receipt_successes(&main, &receipt_sample(&workload, &outcome)).await?;
    if let Some(mut network) = network {
        network.stop();
    }
    let report = RunReport {
        target: "entente".into(),
        description,
        version,
        setup_secs,
        figures,
        receipts_ok,
        engine_source,
    };
    Ok((
        report,
        Prepared {
            chain_id,
            plan,
            deployer_start,
            start_nonces,
            workload,
            presign_secs,
        },
        actors,
    ))
}

/// The accounts of a run against running nodes.
fn remote_actors(
    faucet_key: Option<&str>,
    accounts_file: Option<&std::path::Path>,
    senders: usize,
) -> Result<Actors, BenchError> {
    let key = faucet_key
        .map(|key| {
            LocalSigner::from_hex(key).map_err(|err| BenchError::Invalid {
                option: "--key",
                reason: err.to_string(),
            })
        })
        .transpose()?;
    match (accounts_file, key) {
        (Some(path), key) => {
            let accounts = crate::network::read_accounts(path)?;
            if accounts.len() < senders + 2 {
                return Err(BenchError::Invalid {
                    option: "--accounts-file",
                    reason: format!(
                        "{} holds {} accounts; {senders} senders need {}",
                        path.display(),
                        accounts.len(),
                        senders + 2
                    ),
                });
            }
            let mut accounts = accounts.into_iter();
            let first = accounts.next();
            let deployer = accounts.next();
            let (Some(first), Some(deployer)) = (first, deployer) else {
                return Err(BenchError::Setup("accounts file is empty".into()));
            };
            Ok(Actors {
                faucet: key.unwrap_or(first),
                deployer,
                senders: accounts.take(senders).collect(),
            })
        }
        (None, Some(faucet)) => Ok(Actors {
            faucet,
            deployer: LocalSigner::deterministic("entente/bench/deployer"),
            senders: (0..senders)
                .map(|i| LocalSigner::deterministic(&format!("entente/bench/sender/{i}")))
                .collect(),
        }),
        (None, None) => Err(BenchError::Invalid {
            option: "--rpc",
            reason: "give --key (a funded key) or --accounts-file".into(),
        }),
    }
}

async fn run_anvil(
    options: &BenchOptions,
    prepared: &Prepared,
    actors: &Actors,
    notes: &mut Vec<String>,
) -> Result<RunReport, BenchError> {
    let binary = anvil::locate(&options.repo_root, options.anvil_binary.as_deref())?;
    let log = std::env::temp_dir().join(format!("entente-bench-anvil-{}.log", std::process::id()));
    eprintln!("starting anvil ({})…", binary.display());
    let setup_started = Instant::now();
    let mut anvil = Anvil::start(
        &binary,
        prepared.chain_id,
        options.anvil_block_time_secs,
        &log,
    )
    .await?;
    notes.push(format!("anvil flags: {}", anvil.flags.join(" ")));
    let client = RpcClient::new(&anvil.url, options.request_timeout)?;
    let holders = actors.sender_addresses();
    let mut nonces: Vec<(Address, u64)> =
        vec![(actors.deployer.address(), prepared.deployer_start)];
    nonces.extend(
        holders
            .iter()
            .copied()
            .zip(prepared.start_nonces.iter().copied()),
    );
    anvil::prepare_accounts(&client, &actors.funded(), setup::funding_wei(), &nonces).await?;
    setup::run_deployer_plan(
        &client,
        actors.deployer.address(),
        &prepared.plan,
        &holders,
        options.setup_timeout,
    )
    .await?;
    let setup_secs = setup_started.elapsed().as_secs_f64();
    let nodes = prepared
        .workload
        .batches
        .iter()
        .map(|b| b.node + 1)
        .max()
        .unwrap_or(1);
    let start_height = setup::block_number(&client).await?;
    eprintln!("running the same workload against anvil…");
    let outcome = load::run(
        prepared.workload.clone(),
        LoadTarget {
            submit: vec![client.clone(); nodes],
            watch: client.clone(),
            probes: vec![anvil.probe(), Probe::this_process()],
            engine: None,
        },
        options.load.clone(),
        start_height,
    )
    .await?;
    let figures = stats::analyse(
        &outcome,
        options.load.warmup.as_secs_f64(),
        options.load.window.as_secs_f64(),
    );
    let receipts_ok =
        setup::receipt_successes(&client, &receipt_sample(&prepared.workload, &outcome)).await?;
    anvil.stop();
    let _ = std::fs::remove_file(&log);
    Ok(RunReport {
        target: "anvil".into(),
        description: "anvil".into(),
        version: anvil.version.clone(),
        setup_secs,
        figures,
        receipts_ok,
        engine_source: None,
    })
}

/// Up to [`RECEIPT_SAMPLE`] finalised transactions spread over the workload.
fn receipt_sample(workload: &Workload, outcome: &LoadOutcome) -> Vec<B256> {
    let finalised: Vec<usize> = outcome
        .final_ns
        .iter()
        .enumerate()
        .filter(|(_, t)| **t != u64::MAX)
        .map(|(i, _)| i)
        .collect();
    let step = (finalised.len() / RECEIPT_SAMPLE).max(1);
    finalised
        .iter()
        .step_by(step)
        .take(RECEIPT_SAMPLE)
        .map(|&i| workload.txs[i].hash)
        .collect()
}

fn describe_problems(run: &RunReport, notes: &mut Vec<String>) {
    let f = &run.figures;
    if f.window_truncated {
        notes.push(format!(
            "{}: the pre-signed workload ran out before the window ended; the window was \
             {:.1} s (raise --txs)",
            run.target, f.window_secs
        ));
    }
    if !f.drained {
        notes.push(format!(
            "{}: not every accepted transaction finalised before the drain deadline",
            run.target
        ));
    }
    if run.receipts_ok.0 < run.receipts_ok.1 {
        notes.push(format!(
            "{}: only {} of {} sampled receipts succeeded",
            run.target, run.receipts_ok.0, run.receipts_ok.1
        ));
    }
}

fn binary_version(binary: &std::path::Path) -> String {
    std::process::Command::new(binary)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(metrics: Option<&str>) -> BenchOptions {
        BenchOptions {
            target: TargetOptions::Remote {
                urls: vec!["http://127.0.0.1:8545".into()],
                faucet_key: None,
                accounts_file: None,
                pids: Vec::new(),
                metrics: metrics.map(str::to_owned),
            },
            workload: WorkloadKind::Erc20,
            senders: 10,
            txs: None,
            batch_txs: 100,
            load: LoadConfig {
                rate_tps: None,
                warmup: Duration::from_secs(1),
                window: Duration::from_secs(1),
                drain_max: Duration::from_secs(1),
                connections: 1,
                inflight_max: 100,
                poll_interval: Duration::from_millis(20),
                retries_max: 1,
                progress: false,
            },
            state_accounts: 0,
            compare_anvil: false,
            anvil_binary: None,
            anvil_block_time_secs: None,
            repo_root: PathBuf::from("."),
            out_dir: PathBuf::from("."),
            command: "test".into(),
            setup_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn a_metrics_url_must_be_an_http_url_of_a_host() {
        for url in [None, Some("http://127.0.0.1:8645/metrics")] {
            assert!(validate(&remote(url)).is_ok(), "{url:?}");
        }
        for url in [
            "https://127.0.0.1:8645/metrics",
            "127.0.0.1:8645",
            "/metrics",
            "not a url",
        ] {
            match validate(&remote(Some(url))) {
                Err(BenchError::Invalid { option, reason }) => {
                    assert_eq!(option, "--metrics");
                    assert!(reason.contains(url), "{reason}");
                }
                other => panic!("{url}: {other:?}"),
            }
        }
    }
}

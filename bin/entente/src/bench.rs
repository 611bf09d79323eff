//! `entente bench`: measure finalised throughput, latency, CPU and memory of a
//! consortium (one the command starts itself, or running nodes), optionally side by
//! side with anvil. The work is done by `entente-bench`; this file is its command line.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use clap::{Args, ValueEnum};
use entente_bench::{
    BenchOptions, LoadConfig, LocalOptions, TargetOptions, WorkloadKind, harness::BenchOutcome,
};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Compare {
    /// Foundry's anvil (installed on demand from e2e/clients/package.json).
    Anvil,
}

#[derive(Args)]
pub struct BenchArgs {
    /// Workload: `native` transfers, `erc20` transfers, or `mixed` (70% ERC-20, 20%
    /// native, 10% contract deployments and calls with events).
    #[arg(long, default_value = "erc20")]
    pub workload: WorkloadKind,
    /// Validators of the network the command starts (1..=7). Ignored with --rpc.
    #[arg(long, default_value_t = 4)]
    pub validators: usize,
    /// Benchmark running nodes instead: their JSON-RPC URLs (comma-separated); the load
    /// is spread over them. Needs --key or --accounts-file.
    #[arg(long, value_delimiter = ',')]
    pub rpc: Vec<String>,
    /// With --rpc: a funded private key (hex) that pays for the setup; senders are then
    /// derived keys it funds (the chain must let unregistered accounts transact).
    #[arg(long)]
    pub key: Option<String>,
    /// With --rpc: an accounts.json from `entente init --accounts N` (registered and
    /// funded): the first pays, the second deploys, the next --senders send.
    #[arg(long)]
    pub accounts_file: Option<PathBuf>,
    /// With --rpc: the nodes' process ids (comma-separated), for CPU and memory figures.
    #[arg(long, value_delimiter = ',')]
    pub pid: Vec<u32>,
    /// With --rpc: one node's /metrics URL (its API address), whose storage-engine gauges
    /// the report traces through the window, as it does node 0's of a started network.
    #[arg(long)]
    pub metrics: Option<String>,
    /// Sender accounts (each sends its transactions in nonce order).
    #[arg(long, default_value_t = 2000)]
    pub senders: usize,
    /// Transactions to pre-sign [default: enough for the rate (or 10,000 tx/s) over
    /// warm-up + duration].
    #[arg(long)]
    pub txs: Option<usize>,
    /// Offered load in tx/s [default: saturation, bounded by --inflight].
    #[arg(long)]
    pub rate: Option<f64>,
    /// Length of the measured window, seconds.
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    /// Load before the window opens (excluded from the figures), seconds.
    #[arg(long, default_value_t = 10)]
    pub warmup: u64,
    /// Longest wait for submitted transactions to finalise after the window, seconds.
    #[arg(long, default_value_t = 60)]
    pub drain: u64,
    /// Concurrent HTTP connections submitting.
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
    /// Transactions per JSON-RPC batch (1..=100).
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Most transactions submitted but not yet final.
    #[arg(long, default_value_t = 30_000)]
    pub inflight: usize,
    /// Accounts to create before the run (the large-state variant, e.g. 1000000).
    #[arg(long, default_value_t = 0)]
    pub state_accounts: u64,
    /// Run the identical pre-signed workload against another chain in the same run.
    #[arg(long)]
    pub compare: Option<Compare>,
    /// The anvil binary [default: $ENTENTE_ANVIL, else the one pinned in e2e/clients].
    #[arg(long)]
    pub anvil: Option<PathBuf>,
    /// anvil's --block-time in seconds [default: automine, a block per transaction].
    #[arg(long)]
    pub anvil_block_time: Option<f64>,
    /// Where reports go.
    #[arg(long, default_value = "bench/reports")]
    pub out: PathBuf,
    /// Folder under which the started network keeps its data [default: the system
    /// temporary folder].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Keep the started network's data and logs after the run.
    #[arg(long)]
    pub keep: bool,
    /// Consensus timing of the started nodes (ignored with --rpc: refused).
    #[command(flatten)]
    pub timing: crate::init::TimingArgs,
    /// Log filter (RUST_LOG) of the started nodes.
    #[arg(long, default_value = "warn,entente=info")]
    pub node_log: String,
    /// No progress line.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let options = options(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(entente_bench::run(options))?;
    print_summary(&outcome);
    Ok(())
}

fn options(args: BenchArgs) -> anyhow::Result<BenchOptions> {
    let target = if args.rpc.is_empty() {
        if args.metrics.is_some() {
            anyhow::bail!(
                "--metrics goes with --rpc: for a network the command starts, node 0's gauges are traced already"
            );
        }
        TargetOptions::Local(LocalOptions {
            binary: std::env::current_exe()?,
            validators: args.validators,
            accounts: 0,
            base_dir: args.data_dir.clone().unwrap_or_else(std::env::temp_dir),
            keep: args.keep,
            log: args.node_log.clone(),
            init_args: args.timing.as_flags().collect(),
        })
    } else {
        if args.timing.any() {
            anyhow::bail!(
                "the consensus timing flags (--leader-timeout-ms, --certification-timeout-ms, --block-build-time-max-ms, --block-interval-min-ms) tune the network the command starts; with --rpc set them in the nodes' config"
            );
        }
        if args.key.is_none() && args.accounts_file.is_none() {
            anyhow::bail!("--rpc needs --key or --accounts-file");
        }
        TargetOptions::Remote {
            urls: args.rpc.clone(),
            faucet_key: args.key.clone(),
            accounts_file: args.accounts_file.clone(),
            pids: args.pid.clone(),
            metrics: args.metrics.clone(),
        }
    };
    let command = std::env::args()
        .map(|arg| shell_quote(&arg))
        .collect::<Vec<_>>()
        .join(" ");
    let cwd = std::env::current_dir()?;
    Ok(BenchOptions {
        target,
        workload: args.workload,
        senders: args.senders,
        txs: args.txs,
        batch_txs: args.batch,
        load: LoadConfig {
            rate_tps: args.rate,
            warmup: Duration::from_secs(args.warmup),
            window: Duration::from_secs(args.duration),
            drain_max: Duration::from_secs(args.drain),
            connections: args.connections,
            inflight_max: args.inflight,
            poll_interval: Duration::from_millis(20),
            retries_max: 20,
            progress: !args.quiet,
        },
        state_accounts: args.state_accounts,
        compare_anvil: matches!(args.compare, Some(Compare::Anvil)),
        anvil_binary: args.anvil,
        anvil_block_time_secs: args.anvil_block_time,
        repo_root: repo_root(&cwd),
        out_dir: args.out,
        command,
        setup_timeout: Duration::from_secs(1800),
        request_timeout: Duration::from_secs(30),
    })
}

/// The enclosing checkout (holding `e2e/clients`), else the current folder.
fn repo_root(cwd: &Path) -> PathBuf {
    let from_exe = std::env::current_exe().ok();
    let candidates = cwd
        .ancestors()
        .chain(from_exe.iter().flat_map(|exe| exe.ancestors()));
    for dir in candidates {
        if dir.join("e2e/clients/package.json").is_file() {
            return dir.to_path_buf();
        }
    }
    cwd.to_path_buf()
}

fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

fn print_summary(outcome: &BenchOutcome) {
    let report = &outcome.report;
    println!();
    println!("{}", report.title);
    for run in &report.runs {
        let f = &run.figures;
        println!(
            "  {:<28} {:>8.0} finalised tx/s over {:.0} s   latency p50 {:.0} ms  p99 {:.0} ms  max {:.0} ms",
            run.description,
            f.finalised_tps,
            f.window_secs,
            f.latency.p50_ms,
            f.latency.p99_ms,
            f.latency.max_ms
        );
        let cpu = f
            .node_cpu_secs_per_1k_txs
            .map(|c| format!("{c:.2} CPU s / 1k txs"))
            .unwrap_or_else(|| "CPU n/a".into());
        let rss = f
            .node_rss_peak_mib
            .map(|m| format!("peak RSS {m:.0} MiB per node"))
            .unwrap_or_else(|| "RSS n/a".into());
        println!("  {:<28} {cpu}, {rss}", "");
    }
    if let Some(ratio) = report.ratio_vs_anvil {
        println!("  Entente / anvil: {ratio:.2}×");
    }
    for note in &report.notes {
        println!("  note: {note}");
    }
    println!(
        "Report: {} and {}",
        outcome.markdown.display(),
        outcome.json.display()
    );
}

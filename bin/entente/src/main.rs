//! The `entente` command: run a development consortium, generate and run real
//! deployments, manage keys. Parses the command line, sets up logging and hands off to
//! `entente-node`.

mod admin;
mod bench;
mod dev;
mod evidence;
mod gateway;
mod init;
mod keys;
mod rest;
mod run;
mod supervision;
mod telemetry;
mod trace;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// mimalloc rather than glibc's malloc: the state tree, the EVM and the storage engine
/// allocate many small short-lived buffers, where glibc's allocator was a third of the
/// state-root time (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "entente",
    version,
    about = "A permissioned consortium blockchain with Ethereum-compatible contracts"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a whole consortium of validators on this machine, with funded dev accounts.
    Dev(dev::DevArgs),
    /// Generate a consortium: chain spec, validator keys and one config per node.
    Init(init::InitArgs),
    /// Run one validator node.
    Node {
        /// The node's config.toml (as written by `entente init`).
        #[arg(long)]
        config: PathBuf,
    },
    /// Generate keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Benchmark finalised throughput, latency, CPU and memory (see docs/performance.md).
    Bench(Box<bench::BenchArgs>),
    /// Manage the gateway: account keys kept encrypted by a node, and API tokens.
    Gateway(Box<gateway::GatewayArgs>),
    /// Governance from the command line: registries, accounts and roles, proposals and
    /// votes, against a running node (see docs/governance.md).
    Admin(Box<admin::AdminArgs>),
    /// Evidence preservation: deposit a document's digest and fetch its certificate
    /// (see docs/evidence.md).
    #[command(subcommand)]
    Evidence(evidence::EvidenceCommand),
    /// Product traceability: one-time codes, commissioning, operations and item journeys
    /// through a node's REST port (see docs/trace.md).
    #[command(subcommand)]
    Trace(trace::TraceCommand),
    /// Check an evidence certificate offline: content, signatures, inclusion, finality and
    /// the trusted chain. Exits non-zero with a distinct code per failure.
    Verify(evidence::VerifyArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dev(args) => dev::run(args),
        Command::Init(args) => init::run(args),
        Command::Node { config } => run::node(&config),
        Command::Keys(command) => keys::run(command),
        Command::Bench(args) => bench::run(*args),
        Command::Gateway(args) => gateway::run(*args),
        Command::Admin(args) => admin::run(*args),
        Command::Evidence(command) => evidence::run(command),
        Command::Trace(command) => trace::run(command),
        Command::Verify(args) => evidence::verify(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

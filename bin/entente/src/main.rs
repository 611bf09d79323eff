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

/// `mi_option_purge_delay` in the mimalloc 3 sources the pinned `libmimalloc-sys` builds
/// (its Rust bindings do not name this option).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps freed memory in the allocator for reuse rather than handing it back to the
/// kernel. A node frees and allocates tens of MiB of tree nodes and write batches per
/// block; returned to the kernel, those pages were faulted in and zeroed again on every
/// block: keeping them cut CPU per transaction by a sixth with a million-account state
/// (docs/performance.md).
/// Resident memory stays at the node's peak heap, which the benchmark reports. An
/// operator's `MIMALLOC_PURGE_DELAY` still takes precedence.
fn keep_freed_memory() {
    // SAFETY: sets the default of an option mimalloc has not read from the environment;
    // options are plain integers that mimalloc reads atomically.
    unsafe { libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, -1) }
}

fn main() -> std::process::ExitCode {
    keep_freed_memory();
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

//! `entente dev`: a whole consortium on this machine in one command.
//!
//! The first run generates a consortium (chain spec, validator keys, configs) in the
//! data folder with 10 funded development accounts; later runs resume from disk.

use std::path::{Path, PathBuf};

use alloy_primitives::Address;
use clap::Args;
use entente_node::{
    ConsortiumPlan, NodeParams, load_consortium, read_validator_key, write_consortium,
};
use entente_primitives::LocalSigner;
use serde::Serialize;
use std::sync::Arc;

use crate::{init::dev_balance, run::run_nodes, telemetry};

/// Chain id of development networks.
pub const DEV_CHAIN_ID: u64 = 1337;
/// Funded development accounts.
const DEV_ACCOUNTS: usize = 10;
const VALIDATORS_MAX: usize = 7;

#[derive(Args)]
pub struct DevArgs {
    /// Where the network lives [default: ~/.entente/dev].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Number of validators (1..=7) [default: 4, or the existing network's].
    #[arg(long)]
    pub validators: Option<usize>,
    /// Delete the existing network in the data folder and start a new one.
    #[arg(long)]
    pub reset: bool,
    /// JSON-RPC port of node0; node i uses this plus i.
    #[arg(long, default_value_t = 8545)]
    pub rpc_port: u16,
    /// REST API port of node0; node i uses this plus i.
    #[arg(long, default_value_t = 8645)]
    pub api_port: u16,
    /// p2p port of node0; node i uses this plus i.
    #[arg(long, default_value_t = 30300)]
    pub p2p_port: u16,
    /// Let any key transact (by default only registered accounts may; the dev accounts
    /// are registered). Only when creating the network.
    #[arg(long)]
    pub permissionless: bool,
    /// Log filter (tracing syntax).
    #[arg(long, default_value = "warn,entente=info")]
    pub log: String,
}

/// The development accounts: deterministic, publicly known keys. Never use them for
/// anything of value.
pub fn dev_accounts() -> Vec<LocalSigner> {
    (0..DEV_ACCOUNTS)
        .map(|i| LocalSigner::deterministic(&format!("entente/dev/account/{i}")))
        .collect()
}

#[derive(Serialize)]
struct DevNode {
    name: String,
    rpc_http: String,
    rpc_ws: String,
    api: String,
}

#[derive(Serialize)]
struct DevAccount {
    address: Address,
    private_key: String,
}

/// What `dev.json` holds: everything a client needs to use the network.
#[derive(Serialize)]
struct DevInfo {
    chain_id: u64,
    chain_spec: PathBuf,
    validators: usize,
    nodes: Vec<DevNode>,
    accounts: Vec<DevAccount>,
}

fn default_data_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".entente")
        .join("dev")
}

fn reset(dir: &Path) -> anyhow::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    let ours = dir.join("network").join("genesis.json").exists() || dir.join("dev.json").exists();
    let empty = std::fs::read_dir(dir)?.next().is_none();
    if !ours && !empty {
        anyhow::bail!(
            "{} does not look like an Entente dev folder; refusing to delete it",
            dir.display()
        );
    }
    std::fs::remove_dir_all(dir)?;
    Ok(())
}

pub fn run(args: DevArgs) -> anyhow::Result<()> {
    telemetry::init(&args.log, false);
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    if args.reset {
        reset(&data_dir)?;
    }
    let network_dir = data_dir.join("network");
    let accounts = dev_accounts();
    let consortium = if network_dir.join("genesis.json").exists() {
        let consortium = load_consortium(&network_dir)?;
        let existing = consortium.spec.validators.len();
        if let Some(wanted) = args.validators
            && wanted != existing
        {
            anyhow::bail!(
                "the network in {} has {existing} validators; add --reset to start over with {wanted}",
                data_dir.display()
            );
        }
        println!("Resuming the dev network in {}", data_dir.display());
        consortium
    } else {
        let validators = args.validators.unwrap_or(4);
        if !(1..=VALIDATORS_MAX).contains(&validators) {
            anyhow::bail!("--validators must be between 1 and {VALIDATORS_MAX}");
        }
        let mut plan = ConsortiumPlan::local("entente-dev", DEV_CHAIN_ID, validators);
        plan.rpc_port = args.rpc_port;
        plan.api_port = args.api_port;
        plan.p2p_port = args.p2p_port;
        plan.funded = accounts
            .iter()
            .map(|a| (a.address(), dev_balance()))
            .collect();
        plan.registered = accounts.iter().map(LocalSigner::address).collect();
        plan.permissioned = !args.permissionless;
        println!(
            "Creating a dev network with {validators} validators in {}",
            data_dir.display()
        );
        write_consortium(&plan, &network_dir)?
    };

    let spec = Arc::new(consortium.spec.clone());
    let mut params = Vec::new();
    let mut nodes = Vec::new();
    for node in &consortium.nodes {
        let key = read_validator_key(&node.config.key_file)?;
        nodes.push(DevNode {
            name: node.name.clone(),
            rpc_http: format!("http://{}", node.config.rpc.listen),
            rpc_ws: format!("ws://{}", node.config.rpc.listen),
            api: format!("http://{}", node.config.api.listen),
        });
        params.push(NodeParams {
            name: node.name.clone(),
            spec: spec.clone(),
            key,
            config: node.config.clone(),
        });
    }
    let info = DevInfo {
        chain_id: spec.chain_id,
        chain_spec: consortium.spec_path.clone(),
        validators: spec.validators.len(),
        nodes,
        accounts: accounts
            .iter()
            .map(|a| DevAccount {
                address: a.address(),
                private_key: a.secret_hex(),
            })
            .collect(),
    };
    let info_path = data_dir.join("dev.json");
    let storage_dir = data_dir.join("consensus");
    run_nodes(&storage_dir, params, move |_| {
        std::fs::write(&info_path, serde_json::to_string_pretty(&info)?)?;
        print_banner(&info, &info_path);
        Ok(())
    })
}

fn print_banner(info: &DevInfo, info_path: &Path) {
    println!();
    println!(
        "Entente dev network is running ({} validators)",
        info.validators
    );
    println!("Chain id: {}", info.chain_id);
    println!();
    println!("JSON-RPC endpoints:");
    for node in &info.nodes {
        println!(
            "  {}  HTTP {}  WS {}  REST {}",
            node.name, node.rpc_http, node.rpc_ws, node.api
        );
    }
    println!();
    println!("Funded accounts (1,000,000 ETH each; these keys are public, for development only):");
    for (i, account) in info.accounts.iter().enumerate() {
        println!("  ({i}) {}  {}", account.address, account.private_key);
    }
    println!();
    println!(
        "Written to {}. Press Ctrl-C to stop; run again to resume.",
        info_path.display()
    );
}

//! `entente init`: generate a consortium for real, multi-process deployment.

use std::{net::IpAddr, path::PathBuf};

use alloy_primitives::U256;
use clap::Args;
use entente_node::{ConsortiumPlan, write_consortium};
use entente_primitives::LocalSigner;
use serde::Serialize;

#[derive(Args)]
pub struct InitArgs {
    /// Number of organisations; each runs one validator (1..=128).
    #[arg(long)]
    pub orgs: usize,
    /// Folder to write the consortium into (must not already hold one).
    #[arg(long)]
    pub out: PathBuf,
    /// EIP-155 chain id.
    #[arg(long, default_value_t = 20260)]
    pub chain_id: u64,
    /// Network name recorded in the chain spec.
    #[arg(long, default_value = "entente")]
    pub name: String,
    /// Funded accounts to generate (their keys go to accounts.json).
    #[arg(long, default_value_t = 10)]
    pub accounts: usize,
    /// Address the nodes bind to.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// p2p port of node0; node i uses this plus i.
    #[arg(long, default_value_t = 30300)]
    pub p2p_port: u16,
    /// JSON-RPC port of node0; node i uses this plus i.
    #[arg(long, default_value_t = 8545)]
    pub rpc_port: u16,
    /// REST API port of node0; node i uses this plus i.
    #[arg(long, default_value_t = 8645)]
    pub api_port: u16,
    /// Let any key transact (by default only registered accounts may).
    #[arg(long)]
    pub permissionless: bool,
    /// Blocks per epoch (validator-set changes take effect at epoch boundaries).
    #[arg(long, default_value_t = 1000)]
    pub epoch_blocks: u64,
    /// Also prepare this many organisations that join later by governance: an admin
    /// key and a node folder each, not in the chain spec.
    #[arg(long, default_value_t = 0)]
    pub spare: usize,
    #[command(flatten)]
    pub timing: TimingArgs,
}

/// Consensus timing written into every generated node config (`entente init`, and the
/// network `entente bench` starts).
#[derive(Args, Clone, Debug, Default)]
pub struct TimingArgs {
    /// Every node's consensus.leader_timeout_ms [default: the node default, 1000].
    #[arg(long)]
    pub leader_timeout_ms: Option<u64>,
    /// Every node's consensus.certification_timeout_ms [default: the node default, 2000].
    #[arg(long)]
    pub certification_timeout_ms: Option<u64>,
    /// Every node's consensus.block_build_time_max_ms [default: the node default, 400].
    #[arg(long)]
    pub block_build_time_max_ms: Option<u64>,
    /// Every node's consensus.block_interval_min_ms [default: the node default, 100].
    #[arg(long)]
    pub block_interval_min_ms: Option<u64>,
}

impl TimingArgs {
    /// True when any flag is given.
    pub fn any(&self) -> bool {
        self.as_flags().next().is_some()
    }

    /// The given flags as `entente init` arguments.
    pub fn as_flags(&self) -> impl Iterator<Item = String> {
        [
            ("--leader-timeout-ms", self.leader_timeout_ms),
            ("--certification-timeout-ms", self.certification_timeout_ms),
            ("--block-build-time-max-ms", self.block_build_time_max_ms),
            ("--block-interval-min-ms", self.block_interval_min_ms),
        ]
        .into_iter()
        .filter_map(|(flag, value)| value.map(|ms| [flag.to_string(), ms.to_string()]))
        .flatten()
    }
}

/// A funded account as written to accounts.json.
#[derive(Serialize)]
pub struct AccountFile {
    pub address: String,
    pub private_key: String,
}

/// Balance of each generated account: one million ether.
pub fn dev_balance() -> U256 {
    U256::from(1_000_000u64) * U256::from(10u64).pow(U256::from(18))
}

pub fn run(args: InitArgs) -> anyhow::Result<()> {
    let consensus = consensus_timing(&args.timing)?;
    let accounts: Vec<LocalSigner> = (0..args.accounts).map(|_| LocalSigner::random()).collect();
    let plan = ConsortiumPlan {
        name: args.name,
        chain_id: args.chain_id,
        orgs: args.orgs,
        host: args.host,
        p2p_port: args.p2p_port,
        rpc_port: args.rpc_port,
        api_port: args.api_port,
        funded: accounts
            .iter()
            .map(|a| (a.address(), dev_balance()))
            .collect(),
        registered: accounts.iter().map(LocalSigner::address).collect(),
        permissioned: !args.permissionless,
        epoch_blocks: args.epoch_blocks,
        spare: args.spare,
        consensus,
        ..ConsortiumPlan::local("entente", args.chain_id, args.orgs)
    };
    let consortium = write_consortium(&plan, &args.out)?;
    let files: Vec<AccountFile> = accounts
        .iter()
        .map(|a| AccountFile {
            address: a.address().to_string(),
            private_key: a.secret_hex(),
        })
        .collect();
    std::fs::write(
        args.out.join("accounts.json"),
        serde_json::to_string_pretty(&files)?,
    )?;
    println!("Consortium written to {}", args.out.display());
    println!("  chain spec: {}", consortium.spec_path.display());
    println!("  chain id:   {}", consortium.spec.chain_id);
    for node in &consortium.nodes {
        println!(
            "  {}: entente node --config {}   (rpc http://{})",
            node.name,
            node.config_path.display(),
            node.config.rpc.listen
        );
    }
    println!(
        "  funded accounts and their keys: {}",
        args.out.join("accounts.json").display()
    );
    for spare in &consortium.spares {
        println!(
            "  {} (not in the chain spec; the committee admits it, then run {}):",
            spare.org,
            spare.node.config_path.display()
        );
        println!(
            "    entente admin propose add-org --id {} --name \"Organisation {}\" --admin {}",
            spare.org,
            spare.org.trim_start_matches("org"),
            spare.admin
        );
        println!(
            "    entente admin propose add-validator --public-key {} --org {} --fee-recipient {} --p2p {}",
            spare.public_key, spare.org, spare.admin, spare.p2p_address
        );
    }
    Ok(())
}

/// The consensus timing of the generated configs: the node defaults with the flags
/// given, checked as a node would check its config (nothing is written when invalid).
fn consensus_timing(args: &TimingArgs) -> anyhow::Result<entente_config::ConsensusConfig> {
    let mut config = entente_config::NodeConfig::default();
    let timing = &mut config.consensus;
    if let Some(ms) = args.leader_timeout_ms {
        timing.leader_timeout_ms = ms;
    }
    if let Some(ms) = args.certification_timeout_ms {
        timing.certification_timeout_ms = ms;
    }
    if let Some(ms) = args.block_build_time_max_ms {
        timing.block_build_time_max_ms = ms;
    }
    if let Some(ms) = args.block_interval_min_ms {
        timing.block_interval_min_ms = ms;
    }
    config.validate()?;
    Ok(config.consensus)
}

//! Generating a consortium: the chain spec, one folder per validator (key and
//! commented config) and one per organisation (admin key). Used by `entente init` and
//! `entente dev`, and by tests that start real node processes.

use std::{
    net::{IpAddr, SocketAddr},
    path::{Path, PathBuf},
};

use alloy_primitives::{Address, U256};
use entente_chainspec::{
    ChainSpec, GasRules, GenesisAccount, Limits, Org, Validator, ValidatorKey, encode_public_key,
};
use entente_config::{NodeConfig, PeerConfig};
use entente_primitives::LocalSigner;

use crate::NodeError;

/// What to generate.
#[derive(Clone, Debug)]
pub struct ConsortiumPlan {
    pub name: String,
    pub chain_id: u64,
    /// Number of organisations; each runs one validator.
    pub orgs: usize,
    /// Address every port is bound on (loopback for a single machine).
    pub host: IpAddr,
    /// Ports of validator 0; validator `i` uses each plus `i`.
    pub p2p_port: u16,
    pub rpc_port: u16,
    pub api_port: u16,
    /// Accounts funded at genesis.
    pub funded: Vec<(Address, U256)>,
    pub block_gas_limit: u64,
    /// Derive validator and admin keys from labels instead of the OS RNG (tests only).
    pub deterministic_keys: bool,
    /// Only registered accounts may transact (the chain spec's `permissioned`).
    pub permissioned: bool,
    /// Blocks per epoch: validator-set changes take effect at epoch boundaries.
    pub epoch_blocks: u64,
    /// Accounts registered in `org0` as members and deployers.
    pub registered: Vec<Address>,
    /// Organisations prepared to join later: an admin key and a node folder each, but
    /// not in the chain spec (governance adds them to the running network).
    pub spare: usize,
    /// Consensus timing written into every node's config (local tuning).
    pub consensus: entente_config::ConsensusConfig,
}

impl ConsortiumPlan {
    /// A plan for `orgs` validators on loopback with the default ports.
    pub fn local(name: &str, chain_id: u64, orgs: usize) -> Self {
        Self {
            name: name.into(),
            chain_id,
            orgs,
            host: IpAddr::from([127, 0, 0, 1]),
            p2p_port: 30300,
            rpc_port: 8545,
            api_port: 8645,
            funded: Vec::new(),
            block_gas_limit: 1_000_000_000,
            deterministic_keys: false,
            permissioned: true,
            epoch_blocks: entente_chainspec::ConsensusRules::default().epoch_blocks,
            registered: Vec::new(),
            spare: 0,
            consensus: entente_config::ConsensusConfig::default(),
        }
    }
}

/// One generated validator.
#[derive(Clone, Debug)]
pub struct NodeFiles {
    pub name: String,
    pub dir: PathBuf,
    pub config_path: PathBuf,
    pub config: NodeConfig,
}

/// A generated consortium on disk.
#[derive(Clone, Debug)]
pub struct Consortium {
    pub spec: ChainSpec,
    pub spec_path: PathBuf,
    pub nodes: Vec<NodeFiles>,
    /// Organisations prepared to join by governance, not in the chain spec.
    pub spares: Vec<SpareOrg>,
}

/// An organisation (and its node) that is not in the chain spec: what the committee's
/// `proposeAddOrg` and `proposeAddValidator` need to admit it.
#[derive(Clone, Debug)]
pub struct SpareOrg {
    pub org: String,
    pub admin: Address,
    pub public_key: String,
    pub p2p_address: SocketAddr,
    pub node: NodeFiles,
}

/// Writes a new consortium into `out` (which must not already hold one).
pub fn write_consortium(plan: &ConsortiumPlan, out: &Path) -> Result<Consortium, NodeError> {
    if plan.orgs == 0 || plan.orgs > entente_chainspec::VALIDATORS_MAX {
        return Err(NodeError::Invalid(format!(
            "--orgs must be between 1 and {}",
            entente_chainspec::VALIDATORS_MAX
        )));
    }
    if plan.spare > entente_chainspec::VALIDATORS_MAX - plan.orgs {
        return Err(NodeError::Invalid(format!(
            "--orgs plus --spare must be at most {}",
            entente_chainspec::VALIDATORS_MAX
        )));
    }
    let spec_path = out.join("genesis.json");
    if spec_path.exists() {
        return Err(NodeError::Invalid(format!(
            "{} already exists; choose another folder",
            spec_path.display()
        )));
    }
    std::fs::create_dir_all(out)?;
    let port = |base: u16, i: usize| -> Result<SocketAddr, NodeError> {
        let port = base
            .checked_add(i as u16)
            .ok_or_else(|| NodeError::Invalid(format!("port {base} + {i} overflows")))?;
        Ok(SocketAddr::new(plan.host, port))
    };

    let mut keys = Vec::new();
    let mut admins = Vec::new();
    let mut orgs = Vec::new();
    let mut validators = Vec::new();
    for i in 0..plan.orgs + plan.spare {
        let key = if plan.deterministic_keys {
            ValidatorKey::from_seed(i as u64)
        } else {
            ValidatorKey::random()
        };
        let admin = if plan.deterministic_keys {
            LocalSigner::deterministic(&format!("{}/org{i}/admin", plan.name))
        } else {
            LocalSigner::random()
        };
        let org_dir = out.join(format!("org{i}"));
        std::fs::create_dir_all(&org_dir)?;
        write_secret(&org_dir.join("admin.key"), &admin.secret_hex())?;
        admins.push(admin.address());
        keys.push(key);
        if i >= plan.orgs {
            continue;
        }
        let key = &keys[i];
        orgs.push(Org {
            id: format!("org{i}"),
            name: format!("Organisation {i}"),
            admin: admin.address(),
            weight: 1,
        });
        validators.push(Validator {
            name: format!("node{i}"),
            org: format!("org{i}"),
            public_key: encode_public_key(&key.public_key()),
            fee_recipient: admin.address(),
        });
    }
    let alloc = plan
        .funded
        .iter()
        .map(|(address, balance)| {
            (
                *address,
                GenesisAccount {
                    balance: *balance,
                    ..Default::default()
                },
            )
        })
        .collect();
    let spec = ChainSpec {
        name: plan.name.clone(),
        chain_id: plan.chain_id,
        genesis_time_ms: now_ms(),
        gas: GasRules {
            block_gas_limit: plan.block_gas_limit,
            min_gas_price: 0,
        },
        limits: Limits::default(),
        orgs,
        validators,
        alloc,
        permissioned: plan.permissioned,
        consensus: entente_chainspec::ConsensusRules {
            epoch_blocks: plan.epoch_blocks,
        },
        governance: entente_chainspec::GovernanceRules::default(),
        accounts: plan
            .registered
            .iter()
            .map(|address| entente_chainspec::AccountEntry {
                address: *address,
                org: "org0".into(),
                roles: vec![
                    "member".into(),
                    "deployer".into(),
                    "evidence_submitter".into(),
                    "asset_issuer".into(),
                ],
            })
            .collect(),
    };
    spec.validate()?;
    std::fs::write(&spec_path, spec.to_json())?;

    let mut nodes = Vec::new();
    let mut spares = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let name = format!("node{i}");
        let dir = out.join(&name);
        std::fs::create_dir_all(&dir)?;
        write_secret(&dir.join("node.key"), &key.to_hex())?;
        let mut config = NodeConfig {
            consensus: plan.consensus.clone(),
            ..NodeConfig::default()
        };
        config.p2p.listen = port(plan.p2p_port, i)?;
        config.rpc.listen = port(plan.rpc_port, i)?;
        config.api.listen = port(plan.api_port, i)?;
        // Genesis validators know each other; a spare node knows every node, and the
        // others learn its address from the registry once governance admits it.
        let peers = if i < plan.orgs { plan.orgs } else { keys.len() };
        for (j, other) in keys.iter().enumerate().take(peers) {
            if j != i {
                config.p2p.peers.push(PeerConfig {
                    public_key: encode_public_key(&other.public_key()),
                    address: port(plan.p2p_port, j)?,
                });
            }
        }
        let config_path = dir.join("config.toml");
        std::fs::write(&config_path, config.to_documented_toml())?;
        config.resolve_paths(&dir);
        let files = NodeFiles {
            name,
            dir,
            config_path,
            config,
        };
        if i < plan.orgs {
            nodes.push(files);
        } else {
            spares.push(SpareOrg {
                org: format!("org{i}"),
                admin: admins[i],
                public_key: encode_public_key(&key.public_key()),
                p2p_address: files.config.p2p.listen,
                node: files,
            });
        }
    }
    Ok(Consortium {
        spec,
        spec_path,
        nodes,
        spares,
    })
}

/// Reads back a consortium written by [`write_consortium`].
pub fn load_consortium(out: &Path) -> Result<Consortium, NodeError> {
    let spec_path = out.join("genesis.json");
    let spec = ChainSpec::load(&spec_path)?;
    let mut nodes = Vec::new();
    for i in 0..spec.validators.len() {
        let name = format!("node{i}");
        let dir = out.join(&name);
        let config_path = dir.join("config.toml");
        let config = NodeConfig::load(&config_path)?;
        nodes.push(NodeFiles {
            name,
            dir,
            config_path,
            config,
        });
    }
    Ok(Consortium {
        spec,
        spec_path,
        nodes,
        spares: Vec::new(),
    })
}

/// Reads a node's validator key file.
pub fn read_validator_key(path: &Path) -> Result<ValidatorKey, NodeError> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        NodeError::Invalid(format!("cannot read key file {}: {err}", path.display()))
    })?;
    Ok(ValidatorKey::from_hex(&text)?)
}

fn write_secret(path: &Path, secret: &str) -> Result<(), NodeError> {
    std::fs::write(path, format!("{secret}\n"))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

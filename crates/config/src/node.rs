//! The `config.toml` schema.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a config file was refused.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config {path} is invalid: {message}")]
    Parse { path: String, message: String },
    #[error("config value {field} is invalid: {reason}")]
    Invalid { field: &'static str, reason: String },
}

/// Largest storage cache or journal accepted, MiB (1 TiB): beyond it a typo, not a plan.
const STORAGE_MIB_MAX: u64 = 1 << 20;

/// One node's configuration (`config.toml`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// Where the node keeps its database. Default `data`.
    pub data_dir: PathBuf,
    /// The chain spec (genesis) file shared by the consortium. Default `../genesis.json`.
    pub chain_spec: PathBuf,
    /// The node's ed25519 key file (hex). Default `node.key`.
    pub key_file: PathBuf,
    pub p2p: P2pConfig,
    pub rpc: RpcConfig,
    pub api: ApiConfig,
    pub txpool: TxPoolConfig,
    pub storage: StorageConfig,
    pub consensus: ConsensusConfig,
    pub log: LogConfig,
    pub gateway: GatewayConfig,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            chain_spec: PathBuf::from("../genesis.json"),
            key_file: PathBuf::from("node.key"),
            p2p: P2pConfig::default(),
            rpc: RpcConfig::default(),
            api: ApiConfig::default(),
            txpool: TxPoolConfig::default(),
            storage: StorageConfig::default(),
            consensus: ConsensusConfig::default(),
            log: LogConfig::default(),
            gateway: GatewayConfig::default(),
        }
    }
}

/// Peer-to-peer networking between validators.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct P2pConfig {
    /// Address to accept peer connections on. Default `127.0.0.1:30300`.
    pub listen: SocketAddr,
    /// Largest message a peer may send, in bytes. Must fit the largest block. Default 16 MiB.
    pub message_bytes_max: u32,
    /// Messages per second each peer may send on each channel.
    pub rates: PeerRates,
    /// The other validators: their public keys (from the chain spec) and addresses.
    pub peers: Vec<PeerConfig>,
}

impl Default for P2pConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:30300".parse().expect("valid address"),
            message_bytes_max: 16 * 1024 * 1024,
            rates: PeerRates::default(),
            peers: Vec::new(),
        }
    }
}

/// Messages per second one peer may send on each p2p channel (a burst of as many is
/// admitted at once). A peer over its rate is slowed, not dropped: its further messages
/// on that channel wait until the rate admits them (counted in the metric
/// `…_p2p_…rate_limited`). Generous defaults: they stop floods, not honest bursts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PeerRates {
    /// Consensus votes. Default 500.
    pub votes: u32,
    /// Consensus certificates. Default 500.
    pub certificates: u32,
    /// Requests and answers for missing certificates. Default 200.
    pub resolver: u32,
    /// Proposed blocks. Default 100.
    pub blocks: u32,
    /// Block backfill for catching up. Default 200.
    pub backfill: u32,
    /// Gossiped transaction batches. Default 200.
    pub txs: u32,
    /// Status announcements. Default 10.
    pub status: u32,
}

impl Default for PeerRates {
    fn default() -> Self {
        Self {
            votes: 500,
            certificates: 500,
            resolver: 200,
            blocks: 100,
            backfill: 200,
            txs: 200,
            status: 10,
        }
    }
}

impl PeerRates {
    /// Every rate with its name.
    pub fn named(&self) -> [(&'static str, u32); 7] {
        [
            ("votes", self.votes),
            ("certificates", self.certificates),
            ("resolver", self.resolver),
            ("blocks", self.blocks),
            ("backfill", self.backfill),
            ("txs", self.txs),
            ("status", self.status),
        ]
    }
}

/// Where to reach another validator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerConfig {
    /// The peer's ed25519 public key (hex), as listed in the chain spec.
    pub public_key: String,
    /// The peer's p2p address.
    pub address: SocketAddr,
}

/// The Ethereum JSON-RPC server (HTTP and WebSocket on one port).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RpcConfig {
    /// Listen address. Default `127.0.0.1:8545`.
    pub listen: SocketAddr,
    /// Largest request body, in bytes. Default 5 MiB.
    pub request_bytes_max: u32,
    /// Largest response body, in bytes. Default 20 MiB.
    pub response_bytes_max: u32,
    /// Most calls in one JSON-RPC batch. Default 100.
    pub batch_requests_max: u32,
    /// Most concurrent connections. Default 512.
    pub connections_max: u32,
    /// Most subscriptions one WebSocket connection may hold. Default 64.
    pub subscriptions_per_connection_max: u32,
    /// Widest block range `eth_getLogs` accepts. Default 10,000 blocks.
    pub logs_block_range_max: u64,
    /// Most logs `eth_getLogs` returns. Default 10,000.
    pub logs_results_max: usize,
    /// Gas cap for `eth_call` and `eth_estimateGas`. Default 50,000,000.
    pub gas_cap: u64,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8545".parse().expect("valid address"),
            request_bytes_max: 5 * 1024 * 1024,
            response_bytes_max: 20 * 1024 * 1024,
            batch_requests_max: 100,
            connections_max: 512,
            subscriptions_per_connection_max: 64,
            logs_block_range_max: 10_000,
            logs_results_max: 10_000,
            gas_cap: 50_000_000,
        }
    }
}

/// The REST API, finality certificates, health and metrics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// Listen address. Default `127.0.0.1:8645`.
    pub listen: SocketAddr,
    /// Largest request body, in bytes. Default 1 MiB.
    pub request_bytes_max: usize,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8645".parse().expect("valid address"),
            request_bytes_max: 1024 * 1024,
        }
    }
}

/// The pool of pending transactions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TxPoolConfig {
    /// Most transactions held. Default 100,000.
    pub txs_max: usize,
    /// Most bytes of transactions held. Default 128 MiB.
    pub bytes_max: usize,
    /// Most transactions held for one sender. Default 5,000.
    pub per_sender_max: usize,
    /// Furthest a nonce may run ahead of the sender's next nonce. Default 5,000.
    pub nonce_gap_max: u64,
}

impl Default for TxPoolConfig {
    fn default() -> Self {
        Self {
            txs_max: 100_000,
            bytes_max: 128 * 1024 * 1024,
            per_sender_max: 5_000,
            nonce_gap_max: 5_000,
        }
    }
}

/// The state database's memory (local tuning: it changes no result, only speed and RSS).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Block cache for table blocks read from disk, MiB. Default 32.
    pub cache_mib: u64,
    /// Most write-ahead journal kept, MiB; recent writes stay in memory until their
    /// journal is flushed, so this bounds that memory too. At least 64. Default 512.
    pub journal_mib: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            cache_mib: 32,
            journal_mib: 512,
        }
    }
}

/// Consensus timing (local tuning; safety never depends on it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsensusConfig {
    /// How long to wait for the leader's proposal before voting to skip the view. Default 1000 ms.
    pub leader_timeout_ms: u64,
    /// How long to wait for a view to certify before voting to skip it. Must exceed the
    /// leader timeout. Default 2000 ms.
    pub certification_timeout_ms: u64,
    /// How often to rebroadcast a skip vote while stuck. Default 500 ms.
    pub timeout_retry_ms: u64,
    /// How long to wait for a peer to answer a fetch. Default 2000 ms.
    pub fetch_timeout_ms: u64,
    /// Shortest interval between a block and its child, so an idle chain does not spin
    /// and a loaded one amortises each block's fixed cost over more transactions. With
    /// block_build_time_max_ms, below leader_timeout_ms. Default 100 ms.
    pub block_interval_min_ms: u64,
    /// Longest a proposer spends executing transactions into one block; the block is
    /// closed with what fits, so a proposal reaches the others within their leader
    /// timeout even when the pool holds more than a block. Below leader_timeout_ms.
    /// Default 400 ms.
    pub block_build_time_max_ms: u64,
    /// How far ahead of local time a block's timestamp may be. Default 2000 ms.
    pub timestamp_skew_max_ms: u64,
    /// Capacity of internal actor mailboxes. Default 1024.
    pub mailbox_size: usize,
}

impl Default for ConsensusConfig {
    fn default() -> Self {
        Self {
            leader_timeout_ms: 1000,
            certification_timeout_ms: 2000,
            timeout_retry_ms: 500,
            fetch_timeout_ms: 2000,
            block_interval_min_ms: 100,
            block_build_time_max_ms: 400,
            timestamp_skew_max_ms: 2000,
            mailbox_size: 1024,
        }
    }
}

/// Logging.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A `tracing` filter (`info`, `entente=debug,warn`). Default `info`.
    pub level: String,
    /// Emit JSON lines instead of text. Default false.
    pub json: bool,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            json: false,
        }
    }
}

/// The gateway: account keys kept encrypted by this node, used by REST callers that
/// present an API token (`entente gateway …` manages both). Off unless enabled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    /// Serve the gateway endpoints (token-authenticated signing). Default false.
    pub enabled: bool,
    /// Folder of the encrypted account keys (Ethereum V3 JSON keystores).
    /// Default `<data_dir>/gateway/keystore`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keystore_dir: Option<PathBuf>,
    /// The API token records (SHA-256 hashes only). Default `<data_dir>/gateway/tokens.json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_file: Option<PathBuf>,
    /// Environment variable holding the keystore passphrase.
    /// Default `ENTENTE_GATEWAY_PASSPHRASE`.
    pub passphrase_env: String,
    /// A file holding the keystore passphrase; when set it is used instead of the
    /// environment variable. Default none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passphrase_file: Option<PathBuf>,
    /// Most keys the keystore holds. Default 1,000.
    pub keys_max: usize,
    /// Most API tokens in force at once. Default 1,000.
    pub tokens_max: usize,
    /// The account (0x address; its key in the keystore, with the trace role
    /// `verification_gateway`) the public verification page signs consumers' code checks
    /// with. Default none: the page shows provenance but cannot check codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_account: Option<String>,
}

/// The default name of the environment variable holding the gateway passphrase.
pub const GATEWAY_PASSPHRASE_ENV: &str = "ENTENTE_GATEWAY_PASSPHRASE";

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            keystore_dir: None,
            tokens_file: None,
            passphrase_env: GATEWAY_PASSPHRASE_ENV.into(),
            passphrase_file: None,
            keys_max: 1_000,
            tokens_max: 1_000,
            verification_account: None,
        }
    }
}

impl NodeConfig {
    /// The gateway's keystore folder (configured, or `<data_dir>/gateway/keystore`).
    pub fn gateway_keystore_dir(&self) -> PathBuf {
        self.gateway
            .keystore_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("gateway").join("keystore"))
    }

    /// The gateway's token file (configured, or `<data_dir>/gateway/tokens.json`).
    pub fn gateway_tokens_file(&self) -> PathBuf {
        self.gateway
            .tokens_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("gateway").join("tokens.json"))
    }

    /// Reads `path`, resolves relative paths against its folder and validates the result.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let mut config: Self = toml::from_str(&text).map_err(|err| ConfigError::Parse {
            path: path.display().to_string(),
            message: err.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.resolve_paths(base);
        config.validate()?;
        Ok(config)
    }

    /// Makes relative paths absolute against `base`.
    pub fn resolve_paths(&mut self, base: &Path) {
        let gateway = &mut self.gateway;
        let optional = [
            gateway.keystore_dir.as_mut(),
            gateway.tokens_file.as_mut(),
            gateway.passphrase_file.as_mut(),
        ];
        for path in [&mut self.data_dir, &mut self.chain_spec, &mut self.key_file]
            .into_iter()
            .chain(optional.into_iter().flatten())
        {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        }
    }

    /// Checks the relations between fields that types alone cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let c = &self.consensus;
        if c.leader_timeout_ms == 0 || c.timeout_retry_ms == 0 || c.fetch_timeout_ms == 0 {
            return Err(ConfigError::Invalid {
                field: "consensus",
                reason: "timeouts must be greater than zero".into(),
            });
        }
        if c.certification_timeout_ms <= c.leader_timeout_ms {
            return Err(ConfigError::Invalid {
                field: "consensus.certification_timeout_ms",
                reason: "must exceed consensus.leader_timeout_ms".into(),
            });
        }
        if c.block_build_time_max_ms == 0 || c.block_build_time_max_ms >= c.leader_timeout_ms {
            return Err(ConfigError::Invalid {
                field: "consensus.block_build_time_max_ms",
                reason: "must be greater than zero and below consensus.leader_timeout_ms".into(),
            });
        }
        if c.block_interval_min_ms + c.block_build_time_max_ms >= c.leader_timeout_ms {
            return Err(ConfigError::Invalid {
                field: "consensus.block_interval_min_ms",
                reason: "with consensus.block_build_time_max_ms, must stay below consensus.leader_timeout_ms".into(),
            });
        }
        if c.mailbox_size == 0 {
            return Err(ConfigError::Invalid {
                field: "consensus.mailbox_size",
                reason: "must be greater than zero".into(),
            });
        }
        let pool = &self.txpool;
        if pool.txs_max == 0 || pool.bytes_max == 0 || pool.per_sender_max == 0 {
            return Err(ConfigError::Invalid {
                field: "txpool",
                reason: "bounds must be greater than zero".into(),
            });
        }
        let storage = &self.storage;
        if storage.cache_mib == 0 || storage.cache_mib > STORAGE_MIB_MAX {
            return Err(ConfigError::Invalid {
                field: "storage.cache_mib",
                reason: format!("must be between 1 and {STORAGE_MIB_MAX}"),
            });
        }
        if storage.journal_mib < 64 || storage.journal_mib > STORAGE_MIB_MAX {
            return Err(ConfigError::Invalid {
                field: "storage.journal_mib",
                reason: format!("must be between 64 and {STORAGE_MIB_MAX}"),
            });
        }
        let rpc = &self.rpc;
        if rpc.batch_requests_max == 0 || rpc.logs_block_range_max == 0 || rpc.gas_cap < 21_000 {
            return Err(ConfigError::Invalid {
                field: "rpc",
                reason: "batch and log bounds must be non-zero and gas_cap at least 21000".into(),
            });
        }
        let gateway = &self.gateway;
        if gateway.keys_max == 0 || gateway.tokens_max == 0 {
            return Err(ConfigError::Invalid {
                field: "gateway",
                reason: "keys_max and tokens_max must be greater than zero".into(),
            });
        }
        if gateway.passphrase_file.is_none() && gateway.passphrase_env.trim().is_empty() {
            return Err(ConfigError::Invalid {
                field: "gateway.passphrase_env",
                reason: "name an environment variable or set gateway.passphrase_file".into(),
            });
        }
        if let Some((name, _)) = self.p2p.rates.named().into_iter().find(|(_, r)| *r == 0) {
            return Err(ConfigError::Invalid {
                field: "p2p.rates",
                reason: format!("{name} must be at least 1 message per second"),
            });
        }
        if self.p2p.message_bytes_max < 64 * 1024 {
            return Err(ConfigError::Invalid {
                field: "p2p.message_bytes_max",
                reason: "must be at least 65536".into(),
            });
        }
        Ok(())
    }

    /// The TOML text of this config (what `entente init` writes).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("config serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_means_defaults() {
        let config: NodeConfig = toml::from_str("").unwrap();
        assert_eq!(config, NodeConfig::default());
        config.validate().unwrap();
    }

    #[test]
    fn roundtrip_and_relative_paths() {
        let dir = std::env::temp_dir().join(format!("entente-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut config = NodeConfig::default();
        config.p2p.peers.push(PeerConfig {
            public_key: "ab".repeat(32),
            address: "127.0.0.1:30301".parse().unwrap(),
        });
        let path = dir.join("config.toml");
        std::fs::write(&path, config.to_toml()).unwrap();
        let loaded = NodeConfig::load(&path).unwrap();
        assert_eq!(loaded.p2p, config.p2p);
        assert_eq!(loaded.data_dir, dir.join("data"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bad_configs_name_the_field() {
        let err = toml::from_str::<NodeConfig>("colour = 3").unwrap_err();
        assert!(err.to_string().contains("colour"));
        let config: NodeConfig =
            toml::from_str("[consensus]\nleader_timeout_ms = 5000\ncertification_timeout_ms = 10")
                .unwrap();
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("certification_timeout_ms"), "{err}");
        for budget in ["0", "1000", "1500"] {
            let config: NodeConfig = toml::from_str(&format!(
                "[consensus]\nleader_timeout_ms = 1000\nblock_build_time_max_ms = {budget}"
            ))
            .unwrap();
            let err = config.validate().unwrap_err().to_string();
            assert!(err.contains("block_build_time_max_ms"), "{budget}: {err}");
        }
        // The pacing wait and the build both fall inside the others' leader timeout.
        let config: NodeConfig = toml::from_str(
            "[consensus]\nleader_timeout_ms = 1000\nblock_build_time_max_ms = 899\nblock_interval_min_ms = 100",
        )
        .unwrap();
        config.validate().unwrap();
        let config: NodeConfig = toml::from_str(
            "[consensus]\nleader_timeout_ms = 1000\nblock_build_time_max_ms = 900\nblock_interval_min_ms = 100",
        )
        .unwrap();
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("block_interval_min_ms"), "{err}");
        assert!(toml::from_str::<NodeConfig>("[rpc]\nlisten = \"nowhere\"").is_err());
    }

    #[test]
    fn storage_limits_are_checked_at_their_edges() {
        for (text, ok) in [
            ("cache_mib = 1", true),
            ("cache_mib = 0", false),
            ("cache_mib = 1048576", true),
            ("cache_mib = 1048577", false),
            ("journal_mib = 64", true),
            ("journal_mib = 63", false),
            ("journal_mib = 1048577", false),
        ] {
            let config: NodeConfig = toml::from_str(&format!("[storage]\n{text}")).unwrap();
            let field = text.split(' ').next().unwrap();
            match config.validate() {
                Ok(()) => assert!(ok, "{text} accepted"),
                Err(err) => {
                    assert!(!ok, "{text} refused: {err}");
                    assert!(
                        err.to_string().contains(&format!("storage.{field}")),
                        "{err}"
                    );
                }
            }
        }
        assert!(toml::from_str::<NodeConfig>("[storage]\ncache_mib = -1").is_err());
        assert!(toml::from_str::<NodeConfig>("[storage]\nmemtable_mib = 8").is_err());
    }

    #[test]
    fn gateway_paths_default_under_the_data_dir() {
        let mut config: NodeConfig =
            toml::from_str("data_dir = \"/srv/node\"\n[gateway]\nenabled = true").unwrap();
        assert_eq!(
            config.gateway_keystore_dir(),
            PathBuf::from("/srv/node/gateway/keystore")
        );
        assert_eq!(
            config.gateway_tokens_file(),
            PathBuf::from("/srv/node/gateway/tokens.json")
        );
        config.gateway.passphrase_file = Some("pass".into());
        config.gateway.keystore_dir = Some("keys".into());
        config.resolve_paths(Path::new("/etc/entente"));
        assert_eq!(
            config.gateway.passphrase_file,
            Some(PathBuf::from("/etc/entente/pass"))
        );
        assert_eq!(
            config.gateway_keystore_dir(),
            PathBuf::from("/etc/entente/keys")
        );
        config.gateway.tokens_max = 0;
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("gateway"), "{err}");
    }
}

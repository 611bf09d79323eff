//! A node's local configuration: paths, listen addresses, peers, timeouts and the bound
//! of every queue and request. Nothing here is consensus-critical; that lives in the
//! chain spec. Every field has a documented default, so an empty file is a valid config
//! (apart from the peers a multi-node network needs).
//!
//! Relative paths are resolved against the folder of the config file.

mod node;
mod template;

pub use node::{
    ApiConfig, ConfigError, ConsensusConfig, GATEWAY_PASSPHRASE_ENV, GatewayConfig, LogConfig,
    NodeConfig, P2pConfig, PeerConfig, PeerRates, RpcConfig, StorageConfig, TxPoolConfig,
};

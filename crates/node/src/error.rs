use thiserror::Error;

/// Why a node could not start.
#[derive(Debug, Error)]
pub enum NodeError {
    #[error(transparent)]
    Config(#[from] entente_config::ConfigError),
    #[error(transparent)]
    ChainSpec(#[from] entente_chainspec::ChainSpecError),
    #[error("storage: {0}")]
    Storage(#[from] entente_storage::StorageError),
    #[error("chain: {0}")]
    Chain(#[from] entente_consensus::ChainError),
    #[error("this node's key {0} is not a validator in the chain spec")]
    NotAValidator(String),
    #[error("peer {key} is not a validator in the chain spec")]
    UnknownPeer { key: String },
    #[error("cannot start the {service} server on {address}: {reason}")]
    Server {
        service: &'static str,
        address: String,
        reason: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

use thiserror::Error;

/// Why a chain spec was refused.
#[derive(Debug, Error)]
pub enum ChainSpecError {
    #[error("cannot read chain spec {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("chain spec is not valid JSON: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("chain spec is invalid: {0}")]
    Invalid(String),
    #[error("invalid validator public key {key}: {reason}")]
    BadPublicKey { key: String, reason: String },
}

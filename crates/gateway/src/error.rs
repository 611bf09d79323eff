use std::path::PathBuf;

use alloy_primitives::Address;
use thiserror::Error;

/// Why a keystore or token operation failed. Messages name the file or setting to fix.
#[derive(Debug, Error)]
pub enum GatewayError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("gateway passphrase: {0}")]
    Passphrase(String),
    #[error("wrong passphrase for key file {path}")]
    WrongPassphrase { path: PathBuf },
    #[error("key file {path} is invalid: {reason}")]
    InvalidKeyFile { path: PathBuf, reason: String },
    #[error("key file {path} holds the key of {found}, not of {expected}")]
    KeyMismatch {
        path: PathBuf,
        expected: Address,
        found: Address,
    },
    #[error("the keystore already holds a key for {0}")]
    KeyExists(Address),
    #[error("the keystore holds no key for {0}")]
    KeyNotFound(Address),
    #[error("the keystore is full: at most {0} keys (gateway.keys_max)")]
    TooManyKeys(usize),
    #[error("invalid key: {0}")]
    InvalidKey(String),
    #[error("token file {path} is invalid: {reason}")]
    TokenFile { path: PathBuf, reason: String },
    #[error("at most {0} API tokens may be in force (gateway.tokens_max); revoke one first")]
    TooManyTokens(usize),
    #[error("no API token with id {0}")]
    TokenNotFound(String),
    #[error("API token {0} is already revoked")]
    TokenAlreadyRevoked(String),
    #[error("invalid token label: {0}")]
    InvalidLabel(String),
    #[error("keystore: {0}")]
    Keystore(String),
}

impl GatewayError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}

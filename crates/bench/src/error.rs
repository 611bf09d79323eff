//! The harness's error type.

use thiserror::Error;

/// Why a benchmark could not run or report. Every variant is fatal to the run: the
/// harness stops its nodes and exits rather than report figures it cannot stand behind.
#[derive(Debug, Error)]
pub enum BenchError {
    #[error("invalid benchmark option {option}: {reason}")]
    Invalid {
        option: &'static str,
        reason: String,
    },
    #[error("JSON-RPC transport to {url} failed: {reason}")]
    Transport { url: String, reason: String },
    #[error("JSON-RPC {method} on {url} returned error {code}: {message}")]
    Rpc {
        url: String,
        method: String,
        code: i64,
        message: String,
    },
    #[error("unexpected JSON-RPC answer to {method}: {reason}")]
    BadAnswer { method: String, reason: String },
    #[error("timed out after {seconds} s waiting for {what}")]
    Timeout { what: String, seconds: u64 },
    #[error("cannot sign a transaction: {0}")]
    Signing(String),
    #[error("setup failed: {0}")]
    Setup(String),
    #[error("process {what} failed: {reason}")]
    Process { what: String, reason: String },
    #[error("I/O on {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl BenchError {
    pub(crate) fn io(path: impl std::fmt::Display, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_string(),
            source,
        }
    }

    pub(crate) fn timeout(what: impl Into<String>, seconds: u64) -> Self {
        Self::Timeout {
            what: what.into(),
            seconds,
        }
    }
}

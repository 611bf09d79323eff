//! A small client of the node's REST gateway (`api.listen`): JSON requests with
//! `Authorization: Bearer <API token>`, and the node's `{"error": {"code", "message"}}`
//! answers as errors. hyper's HTTP/1.1 client (as the bench's JSON-RPC client), no
//! hand-written HTTP framing.

use std::{path::Path, time::Duration};

use anyhow::{Context as _, anyhow, bail};
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode, Uri, header};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Bound on one request, answer included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest answer read.
const ANSWER_BYTES_MAX: usize = 4 * 1024 * 1024;
/// The environment variable read for the API token when no option gives it.
pub(crate) const TOKEN_ENV: &str = "ENTENTE_API_TOKEN";

/// A REST request that failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RestError {
    /// No answer, or one that is not what the node sends.
    #[error("{0}")]
    Transport(String),
    /// The node answered with an error status: nothing was done.
    #[error("{method} {path} answered HTTP {status} ({code}): {message}")]
    Refused {
        method: Method,
        path: String,
        status: StatusCode,
        /// The node's error code (`unauthorized`, `rejected`, `bad_request`…).
        code: String,
        message: String,
    },
}

/// The node's REST port, acting with one API token.
pub(crate) struct Rest {
    /// The URL given, without a trailing slash; paths are appended to it.
    base: String,
    /// None for the public endpoints (reads).
    authorization: Option<HeaderValue>,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Rest {
    /// A client for `url` (`http://host:port`) with `token`; nothing is sent yet.
    pub(crate) fn connect(url: &str, token: &str) -> anyhow::Result<Self> {
        let mut authorization = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| anyhow!("the API token is not printable text"))?;
        authorization.set_sensitive(true);
        Self::open(url, Some(authorization))
    }

    /// A client for the public endpoints of `url`, without a token.
    pub(crate) fn public(url: &str) -> anyhow::Result<Self> {
        Self::open(url, None)
    }

    fn open(url: &str, authorization: Option<HeaderValue>) -> anyhow::Result<Self> {
        let base = url.trim_end_matches('/').to_string();
        let uri: Uri = base
            .parse()
            .map_err(|err| anyhow!("--api {url:?}: {err}"))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            bail!(
                "--api {url:?}: expected the node's REST URL, http://host:port such as \
                 http://127.0.0.1:8645 (the REST port speaks plain HTTP)"
            );
        }
        Ok(Self {
            base,
            authorization,
            client: Client::builder(TokioExecutor::new()).build(HttpConnector::new()),
        })
    }

    /// POSTs `body` as JSON to `path` (e.g. `/v1/evidence`) and decodes the answer.
    pub(crate) async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<T, RestError> {
        let answer = self.exchange(Method::POST, path, body.to_string()).await?;
        serde_json::from_slice(&answer).map_err(|err| {
            RestError::Transport(format!(
                "POST {}{path}: not the answer of an Entente node's REST port \
                 (is this its api.listen address?): {err}",
                self.base
            ))
        })
    }

    /// GETs `path` and decodes the JSON answer.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, RestError> {
        let answer = self.exchange(Method::GET, path, String::new()).await?;
        serde_json::from_slice(&answer).map_err(|err| {
            RestError::Transport(format!(
                "GET {}{path}: not the answer of an Entente node's REST port: {err}",
                self.base
            ))
        })
    }

    async fn exchange(&self, method: Method, path: &str, body: String) -> Result<Bytes, RestError> {
        let url = format!("{}{path}", self.base);
        let transport = |reason: String| RestError::Transport(format!("{method} {url}: {reason}"));
        let mut request = http::Request::builder().method(method.clone()).uri(&url);
        if let Some(authorization) = &self.authorization {
            request = request.header(header::AUTHORIZATION, authorization.clone());
        }
        let request = request
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|err| transport(err.to_string()))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|err| transport(format!("cannot reach the node: {err}")))?;
            let status = response.status();
            let answer = Limited::new(response.into_body(), ANSWER_BYTES_MAX)
                .collect()
                .await
                .map_err(|err| transport(err.to_string()))?
                .to_bytes();
            Ok::<_, RestError>((status, answer))
        };
        let (status, answer) = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| transport(format!("no answer within {REQUEST_TIMEOUT:?}")))??;
        if status.is_success() {
            return Ok(answer);
        }
        let error = serde_json::from_slice::<Value>(&answer).ok();
        let field = |name: &str| {
            error
                .as_ref()
                .and_then(|e| e["error"][name].as_str())
                .map(str::to_string)
        };
        Err(RestError::Refused {
            method,
            path: path.to_string(),
            status,
            code: field("code").unwrap_or_else(|| "error".into()),
            // Not the node's error document (a proxy's page, say): its first bytes.
            message: field("message").unwrap_or_else(|| {
                String::from_utf8_lossy(&answer[..answer.len().min(200)]).into_owned()
            }),
        })
    }
}

/// The API token: `--token`, else the file `--token-file`, else the environment
/// variable [`TOKEN_ENV`].
pub(crate) fn load_token(token: Option<&str>, token_file: Option<&Path>) -> anyhow::Result<String> {
    let (text, source) = match (token, token_file) {
        (Some(token), _) => (token.to_string(), "--token".to_string()),
        (None, Some(path)) => (
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the token file {}", path.display()))?,
            path.display().to_string(),
        ),
        (None, None) => match std::env::var(TOKEN_ENV) {
            Ok(token) => (token, TOKEN_ENV.to_string()),
            Err(_) => bail!(
                "--api needs the gateway API token (as printed by `entente gateway \
                 issue-token`): --token-file PATH, --token TOKEN or the env var {TOKEN_ENV}"
            ),
        },
    };
    let token = text.trim();
    if token.is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        bail!("{source} does not hold an API token (one word, 64 hex characters)");
    }
    Ok(token.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_tokens_are_checked_before_anything_is_sent() {
        assert!(Rest::connect("http://127.0.0.1:8645/", "ab").is_ok());
        for url in ["127.0.0.1:8645", "https://node:8645", "http://", "ftp://x"] {
            assert!(Rest::connect(url, "ab").is_err(), "{url}");
        }
        assert_eq!(load_token(Some(" abc\n"), None).unwrap(), "abc");
        assert!(load_token(Some("two words"), None).is_err());
        assert!(load_token(Some(""), None).is_err());
        let err = load_token(None, Some(Path::new("/nonexistent/token"))).unwrap_err();
        assert!(
            format!("{err:#}").contains("cannot read the token file"),
            "{err:#}"
        );
    }
}

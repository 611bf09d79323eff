//! A small JSON-RPC client over hyper's HTTP/1.1 connection pool.
//!
//! The load path posts request bodies that were serialised before the clock started
//! ([`RpcClient::post`]); setup and the finality watcher use [`RpcClient::call`] and
//! [`RpcClient::batch`]. Every request has a timeout and every answer a size bound.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::BenchError;

/// Largest answer read, in bytes (a 20,000-transaction block with hashes is ~1.4 MB).
const RESPONSE_BYTES_MAX: usize = 64 * 1024 * 1024;

/// One JSON-RPC endpoint. Cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct RpcClient {
    url: String,
    uri: http::Uri,
    client: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

/// A JSON-RPC error object from an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcFailure {
    pub code: i64,
    pub message: String,
}

impl RpcClient {
    /// A client for `url` (`http://host:port`); each request must finish within `timeout`.
    pub fn new(url: &str, timeout: Duration) -> Result<Self, BenchError> {
        let uri: http::Uri = url.parse().map_err(|err| BenchError::Invalid {
            option: "rpc url",
            reason: format!("{url}: {err}"),
        })?;
        if uri.scheme_str() != Some("http") {
            return Err(BenchError::Invalid {
                option: "rpc url",
                reason: format!("{url}: only http:// endpoints are supported"),
            });
        }
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(Self {
            url: url.to_string(),
            uri,
            client,
            timeout,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Posts a serialised JSON-RPC body and returns the raw answer.
    pub async fn post(&self, body: Bytes) -> Result<Bytes, BenchError> {
        let request = http::Request::post(self.uri.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(body))
            .map_err(|err| self.transport(err))?;
        self.send(request).await
    }

    /// Gets the client's URL (a plain page, such as a node's `/metrics`) and returns the
    /// body.
    pub async fn get(&self) -> Result<Bytes, BenchError> {
        let request = http::Request::get(self.uri.clone())
            .body(Full::new(Bytes::new()))
            .map_err(|err| self.transport(err))?;
        self.send(request).await
    }

    /// Sends `request`, within the timeout; a non-success status is an error.
    async fn send(&self, request: http::Request<Full<Bytes>>) -> Result<Bytes, BenchError> {
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|err| self.transport(err))?;
            let status = response.status();
            let body = Limited::new(response.into_body(), RESPONSE_BYTES_MAX)
                .collect()
                .await
                .map_err(|err| self.transport(err))?
                .to_bytes();
            if !status.is_success() {
                return Err(self.transport(format!(
                    "HTTP {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                )));
            }
            Ok(body)
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| self.transport(format!("no answer within {:?}", self.timeout)))?
    }

    /// Calls one method and decodes its result.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<T, BenchError> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let answer = self.post(Bytes::from(body.to_string())).await?;
        let value: Value = serde_json::from_slice(&answer)?;
        let result = single_result(&value, method).map_err(|failure| BenchError::Rpc {
            url: self.url.clone(),
            method: method.into(),
            code: failure.code,
            message: failure.message,
        })?;
        serde_json::from_value(result).map_err(|err| BenchError::BadAnswer {
            method: method.into(),
            reason: err.to_string(),
        })
    }

    /// Calls several methods in one JSON-RPC batch; answers come back in call order.
    pub async fn batch(
        &self,
        calls: &[(&str, Value)],
    ) -> Result<Vec<Result<Value, RpcFailure>>, BenchError> {
        if calls.is_empty() {
            return Ok(Vec::new());
        }
        let body: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(id, (method, params))| {
                json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
            })
            .collect();
        let answer = self.post(Bytes::from(serde_json::to_vec(&body)?)).await?;
        batch_results(&answer, calls.len()).map_err(|reason| BenchError::BadAnswer {
            method: format!("batch of {} calls", calls.len()),
            reason,
        })
    }

    fn transport(&self, reason: impl std::fmt::Display) -> BenchError {
        BenchError::Transport {
            url: self.url.clone(),
            reason: reason.to_string(),
        }
    }
}

/// The result or error of a single (non-batch) answer.
fn single_result(value: &Value, method: &str) -> Result<Value, RpcFailure> {
    if let Some(error) = value.get("error") {
        return Err(failure(error));
    }
    value.get("result").cloned().ok_or_else(|| RpcFailure {
        code: -32603,
        message: format!("answer to {method} has neither result nor error"),
    })
}

fn failure(error: &Value) -> RpcFailure {
    RpcFailure {
        code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
        message: error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("(no message)")
            .to_string(),
    }
}

/// Splits a batch answer into per-call outcomes ordered by id `0..count`.
pub fn batch_results(
    answer: &[u8],
    count: usize,
) -> Result<Vec<Result<Value, RpcFailure>>, String> {
    let value: Value = serde_json::from_slice(answer).map_err(|err| err.to_string())?;
    let items = match value {
        Value::Array(items) => items,
        // A server that refuses the whole batch answers with one error object.
        other => {
            let error = other.get("error").map(failure).unwrap_or(RpcFailure {
                code: 0,
                message: "batch answer is not an array".into(),
            });
            return Ok(vec![Err(error); count]);
        }
    };
    let mut out: Vec<Option<Result<Value, RpcFailure>>> = vec![None; count];
    for item in items {
        let Some(id) = item.get("id").and_then(Value::as_u64) else {
            continue;
        };
        let Some(slot) = out.get_mut(id as usize) else {
            return Err(format!("answer id {id} out of range"));
        };
        *slot = Some(match item.get("error") {
            Some(error) => Err(failure(error)),
            None => Ok(item.get("result").cloned().unwrap_or(Value::Null)),
        });
    }
    Ok(out
        .into_iter()
        .map(|slot| {
            slot.unwrap_or(Err(RpcFailure {
                code: 0,
                message: "no answer for this call".into(),
            }))
        })
        .collect())
}

/// Parses a `0x`-prefixed hex quantity.
pub fn quantity(value: &Value) -> Option<u64> {
    u64::from_str_radix(value.as_str()?.strip_prefix("0x")?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_answers_are_ordered_by_id_and_gaps_reported() {
        let answer =
            br#"[{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"txpool is full"}},
                          {"jsonrpc":"2.0","id":0,"result":"0x01"}]"#;
        let results = batch_results(answer, 3).unwrap();
        assert_eq!(results[0], Ok(json!("0x01")));
        assert_eq!(results[1].as_ref().unwrap_err().message, "txpool is full");
        assert!(results[2].is_err());
        assert!(batch_results(br#"[{"id":7,"result":1}]"#, 2).is_err());
        let refused =
            batch_results(br#"{"error":{"code":-32600,"message":"too big"}}"#, 2).unwrap();
        assert_eq!(refused.len(), 2);
        assert!(batch_results(b"not json", 1).is_err());
    }

    #[test]
    fn quantities() {
        assert_eq!(quantity(&json!("0x1f")), Some(31));
        assert_eq!(quantity(&json!("1f")), None);
        assert_eq!(quantity(&json!(5)), None);
    }
}

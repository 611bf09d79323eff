//! Request limits of a real node at their edges, as configured in `config.toml`: the
//! JSON-RPC batch size, the request body size and the subscriptions per WebSocket
//! connection. At the limit a request is served; one past it is refused with a clear
//! error and changes nothing.

use std::{path::Path, process::Command, time::Duration};

use serde_json::{Value, json};

use crate::common::*;

const BATCH_MAX: usize = 3;
const BODY_MAX: usize = 4096;
const SUBSCRIPTIONS_MAX: usize = 2;

fn set(config: &Path, key: &str, value: usize) {
    let text = std::fs::read_to_string(config).unwrap();
    let mut done = false;
    let edited: Vec<String> = text
        .lines()
        .map(|line| {
            // The [rpc] section comes before [api]: edit only the first occurrence.
            if !done && line.starts_with(&format!("{key} = ")) {
                done = true;
                format!("{key} = {value}")
            } else {
                line.to_string()
            }
        })
        .collect();
    assert!(done, "{key} not in {}", config.display());
    std::fs::write(config, edited.join("\n") + "\n").unwrap();
}

fn chain_id_call(id: usize) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "eth_chainId", "params": []})
}

#[test]
fn rpc_limits_hold_at_their_edges() {
    let dir = Scratch::new("limits");
    let base = free_ports(3);
    let out = dir.0.join("net");
    let status = Command::new(entente())
        .args([
            "init",
            "--orgs",
            "1",
            "--out",
            out.to_str().unwrap(),
            "--accounts",
            "1",
            "--p2p-port",
            &base.to_string(),
            "--rpc-port",
            &(base + 1).to_string(),
            "--api-port",
            &(base + 2).to_string(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let config = out.join("node0/config.toml");
    set(&config, "batch_requests_max", BATCH_MAX);
    set(&config, "request_bytes_max", BODY_MAX);
    set(
        &config,
        "subscriptions_per_connection_max",
        SUBSCRIPTIONS_MAX,
    );
    let node = Proc::spawn(
        &["node", "--config", config.to_str().unwrap()],
        &dir.0.join("node0.log"),
    );
    let url = format!("http://127.0.0.1:{}", base + 1);
    assert!(
        wait_for_height(&url, 1, Duration::from_secs(60)),
        "node did not start\n{}",
        node.log_text()
    );

    // Batch: at the limit every call is answered; one more and the batch is refused.
    let batch: Vec<Value> = (0..BATCH_MAX).map(chain_id_call).collect();
    let answer: Value =
        serde_json::from_str(&raw_post(&url, &Value::from(batch).to_string()).unwrap()).unwrap();
    assert_eq!(answer.as_array().map(Vec::len), Some(BATCH_MAX), "{answer}");
    let batch: Vec<Value> = (0..=BATCH_MAX).map(chain_id_call).collect();
    let answer = raw_post(&url, &Value::from(batch).to_string()).unwrap();
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert!(
        answer["error"]["message"]
            .as_str()
            .is_some_and(|m| m.to_lowercase().contains("batch")),
        "an over-long batch is refused as such: {answer}"
    );

    // Body: padded to exactly the limit it is served; one byte more is refused.
    let call = chain_id_call(1).to_string();
    let at_limit = format!("{call}{}", " ".repeat(BODY_MAX - call.len()));
    assert_eq!(at_limit.len(), BODY_MAX);
    let answer: Value = serde_json::from_str(&raw_post(&url, &at_limit).unwrap()).unwrap();
    assert!(answer["result"].is_string(), "{answer}");
    let over = format!("{at_limit} ");
    let refused = raw_post(&url, &over).unwrap();
    assert!(
        refused.to_lowercase().contains("too big") || refused.to_lowercase().contains("too large"),
        "an oversized body is refused: {refused}"
    );
    // A raw transaction too big for the body is refused before it is decoded.
    let huge_tx = format!("0x{}", "00".repeat(BODY_MAX));
    let refused = rpc(&url, "eth_sendRawTransaction", json!([huge_tx])).unwrap_err();
    assert!(
        refused.to_string().to_lowercase().contains("too"),
        "{refused}"
    );

    // Subscriptions: the limit per WebSocket connection, through a real WS client.
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e/clients/.venv/bin/python");
    assert!(
        python.exists(),
        "client dependencies are missing: run e2e/clients/install.sh (scripts/test does)"
    );
    let script = format!(
        r#"
import asyncio, json, websockets
async def main():
    async with websockets.connect("ws://127.0.0.1:{port}") as ws:
        answers = []
        for i in range({n}):
            await ws.send(json.dumps({{"jsonrpc": "2.0", "id": i, "method": "eth_subscribe", "params": ["newHeads"]}}))
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if message.get("id") == i:
                    answers.append(message)
                    break
        print(json.dumps(answers))
asyncio.run(main())
"#,
        port = base + 1,
        n = SUBSCRIPTIONS_MAX + 1
    );
    let output = Command::new(&python)
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    for answer in &answers[..SUBSCRIPTIONS_MAX] {
        assert!(!answer["result"].is_null(), "within the limit: {answer}");
    }
    let last = &answers[SUBSCRIPTIONS_MAX];
    assert!(
        last["error"]["message"].is_string() && last["result"].is_null(),
        "one subscription too many is refused: {last}"
    );
    // The node is still serving.
    assert!(rpc(&url, "eth_chainId", json!([])).is_ok());
}

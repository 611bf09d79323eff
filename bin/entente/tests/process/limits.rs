//! Request limits of a real node at their edges, as configured in `config.toml`: the
//! JSON-RPC batch size, the request body size and the subscriptions per WebSocket
//! connection, and the REST request body size. At the limit a request is served; one
//! past it is refused with a clear error and changes nothing.

use std::{path::Path, process::Command, time::Duration};

use entente_config::NodeConfig;
use serde_json::{Value, json};

use crate::{
    common::*,
    gateway::{cli, expect_error, field, http, pending_nonce, prepare, receipt},
};

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

/// `api.request_bytes_max` at its edge on the REST port, through a gateway endpoint
/// (`POST /v1/gateway/transactions`, which reads the whole body before it looks at the
/// token): a body of exactly the limit reaches the handler, which answers for itself
/// (401 without a token, 400 for JSON it cannot parse, 202 and a final transaction for
/// a valid one); one byte more is refused with 413 and a JSON error before any handler
/// runs, and nothing changes.
#[test]
fn rest_body_limit_holds_at_its_edge() {
    const REST_BODY_MAX: usize = 4096;
    const DEAD: &str = "0x000000000000000000000000000000000000dead";
    let dir = Scratch::new("rest-limit");
    let base = free_ports(3);
    let (config, rpc_url, api) = prepare(&dir.0, base);
    let c = config.as_str();
    let mut node_config = NodeConfig::load(Path::new(c)).unwrap();
    node_config.api.request_bytes_max = REST_BODY_MAX;
    std::fs::write(c, node_config.to_documented_toml()).unwrap();
    let accounts: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.0.join("net/accounts.json")).unwrap())
            .unwrap();
    let secret = accounts[0]["private_key"].as_str().unwrap();
    let member = field(
        &cli(&["gateway", "import-key", "--config", c, "--key", secret]),
        "address",
    );
    let token = field(
        &cli(&[
            "gateway",
            "issue-token",
            "--config",
            c,
            "--account",
            &member,
            "--label",
            "limits",
        ]),
        "token",
    );
    let node = Proc::spawn(&["node", "--config", c], &dir.0.join("node0.log"));
    assert!(
        wait_for_height(&rpc_url, 1, Duration::from_secs(60)),
        "node did not start\n{}",
        node.log_text()
    );

    let transactions = format!("{api}/v1/gateway/transactions");
    let transfer = json!({ "to": DEAD, "value": "7" }).to_string();
    let padded = |body: &str, len: usize| format!("{body}{}", " ".repeat(len - body.len()));
    let at_limit = padded(&transfer, REST_BODY_MAX);
    let over = padded(&transfer, REST_BODY_MAX + 1);
    assert_eq!(
        (at_limit.len(), over.len()),
        (REST_BODY_MAX, REST_BODY_MAX + 1)
    );
    let too_large = format!("request body too large: the limit is {REST_BODY_MAX} bytes");

    // Without a token: at the limit the handler runs and refuses the missing token; one
    // byte more never reaches it.
    expect_error(
        http("POST", &transactions, None, Some(&at_limit)),
        401,
        "unauthorized",
        "Bearer",
    );
    expect_error(
        http("POST", &transactions, None, Some(&over)),
        413,
        "too_large",
        &too_large,
    );

    // With the token: JSON the handler cannot parse, exactly the limit long, is read
    // to its end and refused as a bad body.
    let unterminated = padded("{\"to\": ", REST_BODY_MAX);
    assert_eq!(unterminated.len(), REST_BODY_MAX);
    expect_error(
        http("POST", &transactions, Some(&token), Some(&unterminated)),
        400,
        "bad_request",
        "invalid body",
    );

    // A valid transfer one byte over the limit: refused, and nothing changes.
    let balance = || rpc(&rpc_url, "eth_getBalance", json!([DEAD, "latest"])).unwrap();
    let pooled =
        || http("GET", &format!("{api}/v1/status"), None, None).1["pooled_transactions"].clone();
    let before = (pending_nonce(&rpc_url, &member), pooled(), balance());
    assert_eq!(before, (0, json!(0), json!("0x0")));
    expect_error(
        http("POST", &transactions, Some(&token), Some(&over)),
        413,
        "too_large",
        "(api.request_bytes_max)",
    );
    assert_eq!(
        (pending_nonce(&rpc_url, &member), pooled(), balance()),
        before,
        "a refused body changed something"
    );

    // The same transfer exactly at the limit: submitted and final.
    let (status, sent) = http("POST", &transactions, Some(&token), Some(&at_limit));
    assert_eq!(status, 202, "{sent}");
    assert_eq!(sent["nonce"], 0, "{sent}");
    let receipt = receipt(&rpc_url, sent["hash"].as_str().unwrap());
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    assert_eq!(balance(), json!("0x7"));
}

#[test]
fn init_writes_the_consensus_timing_and_refuses_a_budget_past_the_timeout() {
    let dir = Scratch::new("init-timing");
    let refused = dir.0.join("refused");
    let output = run_cli(&[
        "init",
        "--orgs",
        "1",
        "--out",
        refused.to_str().unwrap(),
        "--leader-timeout-ms",
        "500",
        "--block-build-time-max-ms",
        "600",
    ]);
    let text = output_text(&output);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("block_build_time_max_ms"), "{text}");
    assert!(!refused.exists(), "nothing is written on refusal");

    let out = dir.0.join("net");
    let output = run_cli(&[
        "init",
        "--orgs",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--leader-timeout-ms",
        "3000",
        "--certification-timeout-ms",
        "6000",
        "--block-build-time-max-ms",
        "1500",
        "--block-interval-min-ms",
        "250",
    ]);
    assert!(output.status.success(), "{}", output_text(&output));
    for node in ["node0", "node1"] {
        let config = std::fs::read_to_string(out.join(node).join("config.toml")).unwrap();
        for line in [
            "leader_timeout_ms = 3000",
            "certification_timeout_ms = 6000",
            "block_build_time_max_ms = 1500",
            "block_interval_min_ms = 250",
        ] {
            assert!(
                config.lines().any(|l| l == line),
                "{node}: {line}\n{config}"
            );
        }
    }
}

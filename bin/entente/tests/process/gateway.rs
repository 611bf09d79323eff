//! The gateway end to end on a real `entente node` process: keys imported and created
//! with `entente gateway`, API tokens acting as their accounts over REST (transactions
//! finalised with the keystore account as sender), a governance proposal created and
//! voted through the gateway and read back through the governance REST endpoints, a
//! token revoked with the CLI on the running node and refused at once, and bad inputs
//! refused with nothing changed.

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use entente_config::NodeConfig;
use serde_json::{Value, json};

use crate::common::*;

const DEAD: &str = "0x000000000000000000000000000000000000dead";

/// Runs `entente` with `args`, expecting success; returns its standard output.
pub(crate) fn cli(args: &[&str]) -> String {
    let output = Command::new(entente())
        .args(args)
        .output()
        .expect("run entente");
    assert!(
        output.status.success(),
        "entente {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs `entente` with `args`, expecting failure; returns its standard error.
pub(crate) fn cli_fails(args: &[&str]) -> String {
    let output = Command::new(entente())
        .args(args)
        .output()
        .expect("run entente");
    assert!(
        !output.status.success(),
        "entente {args:?} should have failed"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The value of a `name: value` line of CLI output.
pub(crate) fn field(output: &str, name: &str) -> String {
    output
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name:?} in {output}"))
        .trim()
        .to_string()
}

/// An HTTP request with curl: the status code and the JSON body (`Null` when empty).
pub(crate) fn http(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, Value) {
    let mut command = Command::new("curl");
    command.args([
        "-sS",
        "--max-time",
        "30",
        "-X",
        method,
        "-w",
        "\n%{http_code}",
    ]);
    if let Some(token) = token {
        command.args(["-H", &format!("authorization: Bearer {token}")]);
    }
    if body.is_some() {
        command.args([
            "-H",
            "content-type: application/json",
            "--data-binary",
            "@-",
        ]);
    }
    let mut child = command
        .arg(url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("curl");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        if let Some(body) = body {
            stdin.write_all(body.as_bytes()).unwrap();
        }
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "curl {method} {url}: {output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    let (body, status) = text.rsplit_once('\n').expect("status line");
    let value = if body.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_string()))
    };
    (status.trim().parse().expect("status code"), value)
}

/// Expects an error response with `status` and `code` whose message contains `text`.
pub(crate) fn expect_error(response: (u16, Value), status: u16, code: &str, text: &str) {
    let (got, body) = response;
    assert_eq!(got, status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(text), "{message:?} lacks {text:?}");
}

/// Waits for a receipt: the transaction was finalised (every committed block is final).
pub(crate) fn receipt(rpc_url: &str, hash: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(receipt) = rpc(rpc_url, "eth_getTransactionReceipt", json!([hash]))
            && !receipt.is_null()
        {
            return receipt;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("transaction {hash} not finalised in time");
}

pub(crate) fn pending_nonce(rpc_url: &str, address: &str) -> u64 {
    quantity(
        &rpc(
            rpc_url,
            "eth_getTransactionCount",
            json!([address, "pending"]),
        )
        .unwrap(),
    )
}

pub(crate) fn lower(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_lowercase()
}

/// What must not change when a request is refused.
#[derive(Debug, PartialEq)]
struct Snapshot {
    nonces: Vec<u64>,
    proposals: usize,
    pooled: u64,
}

fn snapshot(rpc_url: &str, api: &str, accounts: &[&str]) -> Snapshot {
    let (_, list) = http("GET", &format!("{api}/v1/governance/proposals"), None, None);
    let (_, status) = http("GET", &format!("{api}/v1/status"), None, None);
    Snapshot {
        nonces: accounts.iter().map(|a| pending_nonce(rpc_url, a)).collect(),
        proposals: list["proposals"].as_array().unwrap().len(),
        pooled: status["pooled_transactions"].as_u64().unwrap(),
    }
}

/// A 1-organisation consortium from `entente init`, with a second organisation (no
/// validator) added to its genesis so that a proposal stays open until it votes, and
/// the gateway enabled with a passphrase file.
pub(crate) fn prepare(dir: &Path, base: u16) -> (String, String, String) {
    let out = dir.join("net");
    cli(&[
        "init",
        "--orgs",
        "1",
        "--out",
        out.to_str().unwrap(),
        "--chain-id",
        "4242",
        "--accounts",
        "1",
        "--p2p-port",
        &base.to_string(),
        "--rpc-port",
        &(base + 1).to_string(),
        "--api-port",
        &(base + 2).to_string(),
    ]);
    let config_path = out.join("node0/config.toml");
    let pass = dir.join("gateway.pass");
    std::fs::write(&pass, "an end-to-end passphrase\n").unwrap();
    let mut config = NodeConfig::load(&config_path).unwrap();
    assert!(!config.gateway.enabled, "the gateway is off by default");
    config.gateway.enabled = true;
    config.gateway.passphrase_file = Some(pass);
    std::fs::write(&config_path, config.to_documented_toml()).unwrap();
    (
        config_path.to_str().unwrap().to_string(),
        format!("http://127.0.0.1:{}", base + 1),
        format!("http://127.0.0.1:{}", base + 2),
    )
}

fn add_genesis_org(dir: &Path, id: &str, admin: &str) {
    let path = dir.join("net/genesis.json");
    let mut spec: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    spec["orgs"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "id": id, "name": "Observer Organisation", "admin": admin, "weight": 1 }));
    std::fs::write(&path, serde_json::to_string_pretty(&spec).unwrap()).unwrap();
}

#[test]
fn gateway_tokens_act_as_their_accounts_and_drive_governance() {
    let dir = Scratch::new("gateway");
    let base = free_ports(3);
    let (config, rpc_url, api) = prepare(&dir.0, base);
    let c = config.as_str();
    let net = dir.0.join("net");

    // Keys: org0's admin and the funded member imported, org1's admin and a stranger new.
    let admin0_key = net.join("org0/admin.key");
    let admin0 = field(
        &cli(&[
            "gateway",
            "import-key",
            "--config",
            c,
            "--key-file",
            admin0_key.to_str().unwrap(),
        ]),
        "address",
    );
    let accounts: Value =
        serde_json::from_str(&std::fs::read_to_string(net.join("accounts.json")).unwrap()).unwrap();
    let member_secret = accounts[0]["private_key"].as_str().unwrap();
    let member = field(
        &cli(&[
            "gateway",
            "import-key",
            "--config",
            c,
            "--key",
            member_secret,
        ]),
        "address",
    );
    assert_eq!(member.to_lowercase(), lower(&accounts[0]["address"]));
    let admin1 = field(&cli(&["gateway", "new-key", "--config", c]), "address");
    let stranger = field(&cli(&["gateway", "new-key", "--config", c]), "address");
    let listed = cli(&["gateway", "list-keys", "--config", c]);
    for address in [&admin0, &member, &admin1, &stranger] {
        assert!(
            listed.contains(address.as_str()),
            "{address} not in {listed}"
        );
    }
    let err = cli_fails(&[
        "gateway",
        "import-key",
        "--config",
        c,
        "--key",
        member_secret,
    ]);
    assert!(err.contains("already holds a key"), "{err}");
    add_genesis_org(&dir.0, "org1", &admin1);

    let issue = |account: &str, label: &str| {
        let out = cli(&[
            "gateway",
            "issue-token",
            "--config",
            c,
            "--account",
            account,
            "--label",
            label,
        ]);
        (field(&out, "id"), field(&out, "token"))
    };
    let (member_id, member_token) = issue(&member, "erp");
    let (_, admin0_token) = issue(&admin0, "org0 console");
    let (_, stranger_token) = issue(&stranger, "stranger");
    let err = cli_fails(&["gateway", "issue-token", "--config", c, "--account", DEAD]);
    assert!(err.contains("holds no key"), "{err}");

    // Secrets stay secret at rest: tokens only hashed, keys only encrypted.
    let data = net.join("node0/data/gateway");
    let tokens_file = std::fs::read_to_string(data.join("tokens.json")).unwrap();
    for token in [&member_token, &admin0_token, &stranger_token] {
        assert!(!tokens_file.contains(token.as_str()));
    }
    let key_file =
        std::fs::read_to_string(data.join(format!("keystore/{}.json", member.to_lowercase())))
            .unwrap();
    assert!(!key_file.contains(member_secret.trim_start_matches("0x")));

    let log = dir.0.join("node0.log");
    let mut node = Proc::spawn(&["node", "--config", c], &log);
    assert!(
        wait_for_height(&rpc_url, 1, Duration::from_secs(60)),
        "node did not start: {}",
        node.log_text()
    );

    // A token acts as its account.
    let (status, me) = http(
        "GET",
        &format!("{api}/v1/gateway/whoami"),
        Some(&member_token),
        None,
    );
    assert_eq!(status, 200, "{me}");
    assert_eq!(lower(&me["account"]), member.to_lowercase());
    assert_eq!(me["label"], "erp");
    assert_eq!(me["key_in_keystore"], true);
    assert_eq!(me["registration"]["org"], "org0");
    assert!(
        me["registration"]["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("member"))
    );
    expect_error(
        http("GET", &format!("{api}/v1/gateway/whoami"), None, None),
        401,
        "unauthorized",
        "Bearer",
    );
    expect_error(
        http(
            "GET",
            &format!("{api}/v1/gateway/whoami"),
            Some(&"ab".repeat(32)),
            None,
        ),
        401,
        "unauthorized",
        "unknown or revoked",
    );

    // Two submissions in a row get consecutive nonces and are finalised as the member.
    let transactions = format!("{api}/v1/gateway/transactions");
    let mut hashes = Vec::new();
    for (value, nonce) in [("1000", 0), ("0x929", 1)] {
        let body = json!({ "to": DEAD, "value": value }).to_string();
        let (status, sent) = http("POST", &transactions, Some(&member_token), Some(&body));
        assert_eq!(status, 202, "{sent}");
        assert_eq!(sent["nonce"], nonce, "{sent}");
        assert_eq!(lower(&sent["from"]), member.to_lowercase());
        hashes.push(sent["hash"].as_str().unwrap().to_string());
    }
    for hash in &hashes {
        let receipt = receipt(&rpc_url, hash);
        assert_eq!(receipt["status"], "0x1", "{receipt}");
        assert_eq!(lower(&receipt["from"]), member.to_lowercase(), "{receipt}");
    }
    let balance = rpc(&rpc_url, "eth_getBalance", json!([DEAD, "latest"])).unwrap();
    assert_eq!(balance, json!("0xd11"), "1000 + 2345 wei");

    // Governance reads.
    let (status, orgs) = http("GET", &format!("{api}/v1/governance/orgs"), None, None);
    assert_eq!(status, 200);
    let orgs = orgs["orgs"].as_array().unwrap().clone();
    assert_eq!(orgs.len(), 2, "{orgs:?}");
    assert_eq!(orgs[1]["id"], "org1");
    assert_eq!(orgs[1]["status"], "active");
    assert_eq!(lower(&orgs[1]["admin"]), admin1.to_lowercase());
    let (status, org0) = http("GET", &format!("{api}/v1/governance/orgs/org0"), None, None);
    assert_eq!(
        (status, lower(&org0["admin"])),
        (200, admin0.to_lowercase())
    );
    let (_, account) = http(
        "GET",
        &format!("{api}/v1/governance/accounts/{member}"),
        None,
        None,
    );
    assert_eq!(account["org"], "org0");
    assert_eq!(account["status"], "active");
    assert_eq!(
        account["roles"],
        json!(["member", "deployer", "evidence_submitter", "asset_issuer"])
    );
    let (_, validators) = http(
        "GET",
        &format!("{api}/v1/governance/validators"),
        None,
        None,
    );
    let validators = validators["validators"].as_array().unwrap().clone();
    assert_eq!(validators.len(), 1);
    assert_eq!(
        (
            validators[0]["org"].clone(),
            validators[0]["active"].clone()
        ),
        (json!("org0"), json!(true))
    );
    let params_url = format!("{api}/v1/governance/params");
    let (_, params) = http("GET", &params_url, None, None);
    assert_eq!(params["permissioned"], true);
    assert_eq!(params["approval_pct"], 67);
    assert_eq!(params["proposal_ttl_blocks"], 100_000);

    // A proposal through the gateway: org0 agrees by proposing, 1 of 2 is not enough.
    let proposals = format!("{api}/v1/governance/proposals");
    let body =
        json!({ "kind": "set_param", "key": "governance.proposal_ttl_blocks", "value": 5000 })
            .to_string();
    let (status, sent) = http("POST", &proposals, Some(&admin0_token), Some(&body));
    assert_eq!(status, 202, "{sent}");
    assert_eq!(sent["proposal_id"], 0);
    assert_eq!(
        receipt(&rpc_url, sent["hash"].as_str().unwrap())["status"],
        "0x1"
    );
    let (_, open) = http("GET", &format!("{proposals}?status=open"), None, None);
    let open = open["proposals"].as_array().unwrap().clone();
    assert_eq!(open.len(), 1, "{open:?}");
    let proposal = &open[0];
    assert_eq!(proposal["id"], 0);
    assert_eq!(proposal["kind"], "set_param");
    assert_eq!(proposal["status"], "open");
    assert_eq!(proposal["proposer_org"], "org0");
    assert_eq!(
        proposal["payload"],
        json!({ "key": "governance.proposal_ttl_blocks", "value": "5000" })
    );
    assert_eq!(proposal["votes"]["agree"], 1);
    assert_eq!(proposal["votes"]["total"], 2);
    assert_eq!(
        proposal["ballots"],
        json!([{ "org": "org0", "agree": true }])
    );

    // org1's token is issued on the running node and works at once; its vote passes it.
    let (_, admin1_token) = issue(&admin1, "org1 console");
    let body = json!({ "agree": true }).to_string();
    let (status, sent) = http(
        "POST",
        &format!("{proposals}/0/votes"),
        Some(&admin1_token),
        Some(&body),
    );
    assert_eq!(status, 202, "{sent}");
    assert_eq!(lower(&sent["from"]), admin1.to_lowercase());
    assert_eq!(
        receipt(&rpc_url, sent["hash"].as_str().unwrap())["status"],
        "0x1"
    );
    let (_, proposal) = http("GET", &format!("{proposals}/0"), None, None);
    assert_eq!(proposal["status"], "executed", "{proposal}");
    assert_eq!(proposal["votes"]["agree"], 2);
    assert_eq!(
        proposal["ballots"],
        json!([{ "org": "org0", "agree": true }, { "org": "org1", "agree": true }])
    );
    let (_, params) = http("GET", &params_url, None, None);
    assert_eq!(params["proposal_ttl_blocks"], 5000);
    let (_, open) = http("GET", &format!("{proposals}?status=open"), None, None);
    assert_eq!(open["proposals"], json!([]));

    // Bad inputs are refused and change nothing.
    let watched = [
        member.as_str(),
        admin0.as_str(),
        admin1.as_str(),
        stranger.as_str(),
    ];
    let before = snapshot(&rpc_url, &api, &watched);
    assert_eq!(before.nonces, vec![2, 1, 1, 0]);
    let transfer = json!({ "to": DEAD, "value": "1" }).to_string();
    expect_error(
        http(
            "POST",
            &transactions,
            Some(&stranger_token),
            Some(&transfer),
        ),
        422,
        "rejected",
        "unauthorized",
    );
    let huge = json!({ "to": DEAD, "value": format!("0x{}", "f".repeat(60)) }).to_string();
    expect_error(
        http("POST", &transactions, Some(&member_token), Some(&huge)),
        422,
        "rejected",
        "",
    );
    expect_error(
        http(
            "POST",
            &proposals,
            Some(&member_token),
            Some(&json!({ "kind": "appoint_regulator", "account": stranger }).to_string()),
        ),
        422,
        "rejected",
        "not an organisation admin",
    );
    expect_error(
        http(
            "POST",
            &format!("{proposals}/0/votes"),
            Some(&admin0_token),
            Some(&body),
        ),
        422,
        "rejected",
        "proposal 0 is not open (it is executed)",
    );
    expect_error(
        http(
            "POST",
            &format!("{proposals}/7/votes"),
            Some(&admin0_token),
            Some(&body),
        ),
        422,
        "rejected",
        "proposal 7 not found",
    );
    expect_error(
        http(
            "POST",
            &proposals,
            Some(&admin0_token),
            Some(r#"{"kind": "make_coffee"}"#),
        ),
        400,
        "bad_request",
        "make_coffee",
    );
    expect_error(
        http(
            "POST",
            &transactions,
            Some(&member_token),
            Some(r#"{"to": "0x12"}"#),
        ),
        400,
        "bad_request",
        "body",
    );
    expect_error(
        http(
            "POST",
            &transactions,
            Some(&member_token),
            Some(r#"{"to": "#),
        ),
        400,
        "bad_request",
        "body",
    );
    expect_error(
        http(
            "POST",
            &transactions,
            Some(&member_token),
            Some(r#"{"nonce": 9}"#),
        ),
        400,
        "bad_request",
        "unknown field",
    );
    expect_error(
        http(
            "POST",
            &format!("{proposals}/abc/votes"),
            Some(&admin0_token),
            Some(&body),
        ),
        400,
        "bad_request",
        "proposal id",
    );
    expect_error(
        http("POST", &transactions, None, Some(&transfer)),
        401,
        "unauthorized",
        "Bearer",
    );
    expect_error(
        http(
            "GET",
            &format!("{api}/v1/governance/accounts/0x12"),
            None,
            None,
        ),
        400,
        "bad_request",
        "address",
    );
    expect_error(
        http(
            "GET",
            &format!("{api}/v1/governance/accounts/{stranger}"),
            None,
            None,
        ),
        404,
        "not_found",
        "account",
    );
    expect_error(
        http("GET", &format!("{proposals}/abc"), None, None),
        400,
        "bad_request",
        "proposal id",
    );
    expect_error(
        http("GET", &format!("{proposals}/99"), None, None),
        404,
        "not_found",
        "proposal 99",
    );
    expect_error(
        http("GET", &format!("{proposals}?status=bogus"), None, None),
        400,
        "bad_request",
        "status",
    );
    expect_error(
        http("GET", &format!("{api}/v1/governance/orgs/nope"), None, None),
        404,
        "not_found",
        "organisation nope",
    );
    assert_eq!(snapshot(&rpc_url, &api, &watched), before);

    // Revoked with the CLI while the node runs: refused from the next request on.
    let out = cli(&["gateway", "revoke-token", "--config", c, &member_id]);
    assert!(out.contains(&member_id), "{out}");
    expect_error(
        http(
            "GET",
            &format!("{api}/v1/gateway/whoami"),
            Some(&member_token),
            None,
        ),
        401,
        "unauthorized",
        "revoked",
    );
    expect_error(
        http("POST", &transactions, Some(&member_token), Some(&transfer)),
        401,
        "unauthorized",
        "revoked",
    );
    let (status, _) = http(
        "GET",
        &format!("{api}/v1/gateway/whoami"),
        Some(&admin0_token),
        None,
    );
    assert_eq!(status, 200, "other tokens keep working");
    let listed = cli(&["gateway", "list-tokens", "--config", c]);
    let line = listed.lines().find(|l| l.starts_with(&member_id)).unwrap();
    assert!(line.contains("revoked"), "{listed}");
    assert_eq!(pending_nonce(&rpc_url, &member), 2);

    assert!(node.interrupt().success(), "{}", node.log_text());
}

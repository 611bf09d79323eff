//! Evidence deposited through the gateway, end to end on a real `entente node` process:
//! an application holding only an API token runs `entente evidence deposit --api …
//! --token-file …`; the node signs the record with the token account's key (kept in its
//! keystore); the certificate verifies offline and names that account as the submitter.
//! A second deposit of the same document is refused with `AlreadyDeposited` naming the
//! same id, bad bodies are refused with 400, a revoked token with 401, and none of these
//! submits anything.

use std::{path::Path, process::Output, time::Duration};

use alloy_primitives::Bytes;
use alloy_sol_types::SolCall as _;
use entente_verify::evidence::abi;
use serde_json::{Value, json};

use crate::{
    common::*,
    gateway::{cli, expect_error, field, http, lower, pending_nonce, prepare},
};

/// `entente evidence deposit FILE --rpc … --api … --token-file TOKEN --out CERT …`.
fn deposit(rpc: &str, api: &str, token: &Path, file: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "evidence",
        "deposit",
        file.to_str().unwrap(),
        "--rpc",
        rpc,
        "--api",
        api,
        "--token-file",
        token.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run_cli(&args)
}

/// What must not change when a deposit is refused: the account's next nonce, the
/// pool and the number of records.
fn unchanged(rpc_url: &str, api: &str, account: &str) -> (u64, u64, Value) {
    let (_, status) = http("GET", &format!("{api}/v1/status"), None, None);
    let call = json!({
        "to": abi::EVIDENCE_ADDRESS,
        "data": Bytes::from(abi::IEvidence::evidenceCountCall {}.abi_encode()),
    });
    let count = rpc(rpc_url, "eth_call", json!([call, "latest"])).ok();
    (
        pending_nonce(rpc_url, account),
        status["pooled_transactions"].as_u64().unwrap(),
        count.unwrap_or(Value::Null),
    )
}

#[test]
fn evidence_deposited_through_the_gateway_with_an_api_token() {
    let dir = Scratch::new("evidence-gateway");
    let base = free_ports(3);
    let (config, rpc_url, api) = prepare(&dir.0, base);
    let c = config.as_str();
    let net = dir.0.join("net");

    // `entente init`'s member account has the roles member, deployer and
    // evidence_submitter in the chain spec; its key goes into the node's keystore and an
    // application gets a token for it.
    let accounts: Value =
        serde_json::from_str(&std::fs::read_to_string(net.join("accounts.json")).unwrap()).unwrap();
    let secret = accounts[0]["private_key"].as_str().unwrap();
    let submitter = field(
        &cli(&["gateway", "import-key", "--config", c, "--key", secret]),
        "address",
    )
    .to_lowercase();
    let issued = cli(&[
        "gateway",
        "issue-token",
        "--config",
        c,
        "--account",
        &submitter,
        "--label",
        "records office",
    ]);
    let (token_id, token) = (field(&issued, "id"), field(&issued, "token"));
    let token_file = dir.0.join("api.token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();

    let mut node = Proc::spawn(&["node", "--config", c], &dir.0.join("node0.log"));
    assert!(
        wait_for_height(&rpc_url, 1, Duration::from_secs(60)),
        "node did not start: {}",
        node.log_text()
    );

    // The application deposits with its token only: the digests go to the node, which
    // signs the record as the token's account.
    let kept = dir.0.join("kept");
    std::fs::create_dir_all(&kept).unwrap();
    let doc = kept.join("minutes.txt");
    std::fs::write(&doc, b"Minutes of the board meeting, 3 March: approved.\n").unwrap();
    let cert = kept.join("minutes.txt.evidence.json");
    let out = deposit(
        &rpc_url,
        &api,
        &token_file,
        &doc,
        &cert,
        &["--media-type", "text/plain", "--sm3"],
    );
    assert!(out.status.success(), "deposit: {}", output_text(&out));
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    let cert_doc: Value = serde_json::from_slice(&std::fs::read(&cert).unwrap()).unwrap();
    let id = cert_doc["evidence_id"].as_str().unwrap().to_string();
    assert!(
        printed.contains(&format!("evidence id   {id}")),
        "{printed}"
    );
    assert_eq!(lower(&cert_doc["record"]["submitter"]), submitter);
    assert_eq!(cert_doc["record"]["media_type"], "text/plain");
    assert_eq!(cert_doc["record"]["content"].as_array().unwrap().len(), 2);

    // The certificate verifies offline against the document and the chain spec.
    let spec = net.join("genesis.json");
    let verified = run_cli(&[
        "verify",
        cert.to_str().unwrap(),
        "--file",
        doc.to_str().unwrap(),
        "--chain-spec",
        spec.to_str().unwrap(),
        "--json",
    ]);
    let report: Value = serde_json::from_slice(&verified.stdout)
        .unwrap_or_else(|err| panic!("verify printed no JSON ({err}): {}", output_text(&verified)));
    assert_eq!(verified.status.code(), Some(0), "{report}");
    assert_eq!(report["ok"], true);
    assert_eq!(report["pinned"], true);
    assert_eq!(report["evidence_id"], id.as_str());
    assert_eq!(lower(&report["submitter"]), submitter);

    // The record on chain: the token's account submitted it, for its organisation.
    let (status, record) = http("GET", &format!("{api}/v1/evidence/{id}"), None, None);
    assert_eq!(status, 200, "{record}");
    assert_eq!(lower(&record["submitter"]), submitter);
    assert_eq!(record["content"], cert_doc["record"]["content"]);

    // The same document again: refused by the simulation with the module's error naming
    // the same id, through the CLI and over REST; nothing submitted.
    let before = unchanged(&rpc_url, &api, &submitter);
    let again = deposit(
        &rpc_url,
        &api,
        &token_file,
        &doc,
        &kept.join("again.json"),
        &[],
    );
    assert!(!again.status.success());
    let said = output_text(&again);
    assert!(
        said.contains(&format!("AlreadyDeposited: evidence {id}")) && said.contains("HTTP 422"),
        "{said}"
    );
    assert!(!kept.join("again.json").exists());
    let sha256 = cert_doc["record"]["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["alg"] == "sha-256")
        .unwrap()["hex"]
        .as_str()
        .unwrap()
        .to_string();
    let evidence = format!("{api}/v1/evidence");
    let body = |content: Value, extra: Value| {
        let mut body = json!({ "content": content, "content_length": 51 });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body.to_string()
    };
    let sha = json!([{ "alg": "sha-256", "hex": sha256 }]);
    expect_error(
        http(
            "POST",
            &evidence,
            Some(&token),
            Some(&body(sha.clone(), json!({}))),
        ),
        422,
        "rejected",
        &format!("execution reverted: AlreadyDeposited: evidence {id}"),
    );
    // A chain of custody that names no record: the module's NotFound.
    let unknown = format!("0x{}", "ab".repeat(32));
    let other = json!([{ "alg": "sha-256", "hex": format!("0x{}", "cd".repeat(32)) }]);
    expect_error(
        http(
            "POST",
            &evidence,
            Some(&token),
            Some(&body(other.clone(), json!({ "prev": unknown }))),
        ),
        422,
        "rejected",
        &format!("NotFound: evidence {unknown}"),
    );

    // Bad bodies: 400 naming the field.
    let cases = [
        (
            body(json!([{ "alg": "md5", "hex": sha256 }]), json!({})),
            "\"md5\" is not sha-256 or sm3",
        ),
        (
            body(json!([{ "alg": "sm3", "hex": sha256 }]), json!({})),
            "no sha-256 digest",
        ),
        (
            body(json!([{ "alg": "sha-256", "hex": "0xnothex" }]), json!({})),
            "invalid content",
        ),
        (
            body(json!([{ "alg": "sha-256", "hex": "0x1234" }]), json!({})),
            "expected 32 bytes, got 2",
        ),
        (
            body(
                json!([{ "alg": "sha-256", "hex": sha256 }, { "alg": "sha-256", "hex": sha256 }]),
                json!({}),
            ),
            "more than one sha-256 digest",
        ),
        (
            body(
                json!(vec![json!({ "alg": "sha-256", "hex": sha256 }); 5]),
                json!({}),
            ),
            "5 digests, more than 4",
        ),
        (
            body(sha.clone(), json!({ "document": "the whole file" })),
            "unknown field `document`",
        ),
        (
            body(sha.clone(), json!({ "media_type": "" })),
            "invalid media_type",
        ),
        (
            body(sha.clone(), json!({ "metadata_hash": "0x12" })),
            "invalid metadata_hash",
        ),
        (r#"{"content": "#.to_string(), "invalid body"),
    ];
    for (bad, expected) in &cases {
        expect_error(
            http("POST", &evidence, Some(&token), Some(bad)),
            400,
            "bad_request",
            expected,
        );
    }
    expect_error(
        http(
            "POST",
            &evidence,
            None,
            Some(&body(other.clone(), json!({}))),
        ),
        401,
        "unauthorized",
        "Bearer",
    );
    assert_eq!(unchanged(&rpc_url, &api, &submitter), before);

    // The token revoked while the node runs: 401 at once, nothing submitted.
    cli(&["gateway", "revoke-token", "--config", c, &token_id]);
    let doc2 = kept.join("later.txt");
    std::fs::write(&doc2, b"a later document").unwrap();
    let refused = deposit(
        &rpc_url,
        &api,
        &token_file,
        &doc2,
        &kept.join("later.json"),
        &[],
    );
    assert!(!refused.status.success());
    let said = output_text(&refused);
    assert!(
        said.contains("HTTP 401") && said.contains("unknown or revoked API token"),
        "{said}"
    );
    assert!(!kept.join("later.json").exists());
    assert_eq!(unchanged(&rpc_url, &api, &submitter), before);

    // A key and a token at once: refused before anything is sent.
    let both = run_cli(&[
        "evidence",
        "deposit",
        doc2.to_str().unwrap(),
        "--rpc",
        &rpc_url,
        "--key",
        secret,
        "--api",
        &api,
        "--token-file",
        token_file.to_str().unwrap(),
    ]);
    assert_eq!(both.status.code(), Some(2), "{}", output_text(&both));
    assert!(
        output_text(&both).contains("cannot be used with"),
        "{}",
        output_text(&both)
    );

    assert!(node.interrupt().success(), "{}", node.log_text());
}

//! Evidence preservation end to end with real processes: `entente evidence deposit`
//! against a running dev consortium, then `entente verify` offline — also after the
//! network that issued the certificate has been stopped and its data folder deleted.

use std::{path::Path, process::Output};

use serde_json::Value;

use crate::{
    common::*,
    dev::{start_dev, url},
};

fn deposit(rpc: &str, key: &str, file: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "evidence",
        "deposit",
        file.to_str().unwrap(),
        "--rpc",
        rpc,
        "--key",
        key,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run_cli(&args)
}

/// `entente verify CERT [--file DOC] --chain-spec SPEC --json`: (exit code, report).
fn verify(cert: &Path, file: Option<&Path>, spec: &Path) -> (i32, Value) {
    let mut args = vec![
        "verify",
        cert.to_str().unwrap(),
        "--chain-spec",
        spec.to_str().unwrap(),
        "--json",
    ];
    if let Some(file) = file {
        args.extend(["--file", file.to_str().unwrap()]);
    }
    let output = run_cli(&args);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|err| panic!("verify printed no JSON ({err}): {}", output_text(&output)));
    (output.status.code().unwrap_or(-1), report)
}

fn evidence_id(cert: &Path) -> String {
    let doc: Value = serde_json::from_slice(&std::fs::read(cert).unwrap()).unwrap();
    doc["evidence_id"].as_str().unwrap().to_string()
}

#[test]
fn deposit_certificate_and_offline_verification() {
    let dir = Scratch::new("evidence");
    let base = free_ports(30);
    let mut dev = start_dev(&dir, base, &["--validators", "4"]);
    let rpc = url(&dev, 1);
    let key = |i: usize| {
        dev.info["accounts"][i]["private_key"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let spec_source = Path::new(dev.info["chain_spec"].as_str().unwrap()).to_path_buf();
    let kept = dir.0.join("kept");
    std::fs::create_dir_all(&kept).unwrap();
    let spec = kept.join("genesis.json");
    std::fs::copy(&spec_source, &spec).unwrap();

    // A 10 MB document: only its digests leave this machine.
    let pdf = kept.join("contract.pdf");
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..10 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    std::fs::write(&pdf, &bytes).unwrap();
    let cert = kept.join("contract.pdf.evidence.json");
    let out = deposit(
        &rpc,
        &key(0),
        &pdf,
        &cert,
        &["--media-type", "application/pdf", "--sm3"],
    );
    assert!(out.status.success(), "deposit: {}", output_text(&out));
    let id = evidence_id(&cert);

    // Verified offline, with the chain's own height and block time.
    let (code, report) = verify(&cert, Some(&pdf), &spec);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["ok"], true);
    assert_eq!(report["pinned"], true);
    assert_eq!(report["evidence_id"], id.as_str());
    let height = report["height"].as_u64().unwrap();
    let block = rpc_block(&rpc, height);
    assert_eq!(
        report["block_time_ms"].as_u64().unwrap() / 1000,
        quantity(&block["timestamp"])
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&cert).unwrap()).unwrap();
    assert_eq!(doc["block"]["hash"], block["hash"]);
    for check in [
        "content",
        "submitter signature",
        "evidence id",
        "transaction",
        "inclusion",
        "finality",
        "trusted chain",
    ] {
        assert!(
            report["checks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["check"] == check && c["skipped"] == false),
            "check {check} missing: {report}"
        );
    }
    // The same certificate from REST, by id and by transaction hash.
    let api = dev.info["nodes"][2]["api"].as_str().unwrap().to_string();
    let by_id = curl_get(&format!("{api}/v1/evidence/{id}/certificate")).unwrap();
    let by_tx = curl_get(&format!(
        "{api}/v1/evidence/by-tx/{}/certificate",
        doc["transaction"]["hash"].as_str().unwrap()
    ))
    .unwrap();
    assert_eq!(by_id, by_tx);
    assert_eq!(
        serde_json::from_str::<Value>(&by_id).unwrap()["evidence_id"],
        id.as_str()
    );
    let record: Value =
        serde_json::from_str(&curl_get(&format!("{api}/v1/evidence/{id}")).unwrap()).unwrap();
    assert_eq!(record["media_type"], "application/pdf");
    assert_eq!(
        record["content"].as_array().unwrap().len(),
        2,
        "sha-256 and sm3"
    );

    // One flipped byte in the document.
    let mut flipped = bytes.clone();
    flipped[4_000_000] ^= 1;
    let forged = kept.join("forged.pdf");
    std::fs::write(&forged, &flipped).unwrap();
    let (code, report) = verify(&cert, Some(&forged), &spec);
    assert_eq!(
        (code, report["error"].as_str()),
        (20, Some("HashMismatch")),
        "{report}"
    );

    // The same digest again from the same submitter: refused, same id.
    let again = deposit(&rpc, &key(0), &pdf, &kept.join("again.json"), &[]);
    assert!(!again.status.success());
    assert!(
        output_text(&again).contains(&format!("AlreadyDeposited: evidence {id}")),
        "{}",
        output_text(&again)
    );
    // From another submitter: a new record, which verifies too.
    let other = kept.join("other.json");
    let out = deposit(
        &rpc,
        &key(1),
        &pdf,
        &other,
        &["--media-type", "application/pdf"],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    assert_ne!(evidence_id(&other), id);
    assert_eq!(verify(&other, Some(&pdf), &spec).0, 0);

    // Chain of custody: B follows A; an unknown predecessor is refused.
    let note = kept.join("note.txt");
    std::fs::write(&note, b"Chain of custody: copy handed to the notary.").unwrap();
    let linked = kept.join("note.json");
    let out = deposit(&rpc, &key(0), &note, &linked, &["--prev", &id]);
    assert!(out.status.success(), "{}", output_text(&out));
    let linked_doc: Value = serde_json::from_slice(&std::fs::read(&linked).unwrap()).unwrap();
    assert_eq!(linked_doc["record"]["prev"], id.as_str());
    assert_eq!(verify(&linked, Some(&note), &spec).0, 0);
    let unknown = format!("0x{}", "ab".repeat(32));
    let out = deposit(
        &rpc,
        &key(2),
        &note,
        &kept.join("x.json"),
        &["--prev", &unknown],
    );
    assert!(!out.status.success());
    assert!(
        output_text(&out).contains("NotFound"),
        "{}",
        output_text(&out)
    );

    // An account that is not registered cannot deposit.
    let stranger = entente_primitives::LocalSigner::random();
    let out = deposit(
        &rpc,
        &stranger.secret_hex(),
        &note,
        &kept.join("y.json"),
        &[],
    );
    assert!(!out.status.success());
    assert!(
        output_text(&out).contains("not a registered account"),
        "{}",
        output_text(&out)
    );

    // A deposit with an RFC 3161 token (made by `openssl ts` for the golden contract,
    // crates/verify/tests/golden/tsa/): a token for another document is refused before
    // anything is sent; the right one is checked and attached to the certificate.
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../crates/verify/tests/golden");
    let contract = kept.join("contract.txt");
    std::fs::copy(golden.join("contract.txt"), &contract).unwrap();
    let tsa = |name: &str| golden.join("tsa").join(name).to_str().unwrap().to_string();
    let stamped = kept.join("contract.json");
    let out = deposit(
        &rpc,
        &key(2),
        &contract,
        &stamped,
        &["--tsa-token", &tsa("ec-other.tsr")],
    );
    assert!(!out.status.success());
    assert!(
        output_text(&out).contains("nothing was sent"),
        "{}",
        output_text(&out)
    );
    assert!(!stamped.exists());
    let out = deposit(
        &rpc,
        &key(2),
        &contract,
        &stamped,
        &["--tsa-token", &tsa("rsa-content.tsr")],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    let output = run_cli(&[
        "verify",
        stamped.to_str().unwrap(),
        "--file",
        contract.to_str().unwrap(),
        "--chain-spec",
        spec.to_str().unwrap(),
        "--tsa-cert",
        &tsa("ca.pem"),
        "--json",
    ]);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    let stamp = &report["timestamps"][0];
    assert_eq!(
        (stamp["stamps"].as_str(), stamp["pinned"].as_bool()),
        (Some("content"), Some(true))
    );
    // The token predates this block: the chain's time is the later one, no skew warning.
    assert!(stamp["tsa_time_ms"].as_u64().unwrap() < report["block_time_ms"].as_u64().unwrap());
    assert_eq!(report["warnings"], Value::Array(vec![]), "{report}");

    // The network goes away, data and all: the certificate still verifies.
    let status = dev.proc.interrupt();
    assert!(status.success(), "dev stopped: {status:?}");
    std::fs::remove_dir_all(dir.0.join("dev")).unwrap();
    let (code, report) = verify(&cert, Some(&pdf), &spec);
    assert_eq!(code, 0, "after the network is gone: {report}");
    // A different chain spec is not this chain.
    let mut other_spec: Value = serde_json::from_slice(&std::fs::read(&spec).unwrap()).unwrap();
    other_spec["chain_id"] = Value::from(4243);
    let other_spec_path = kept.join("other-genesis.json");
    std::fs::write(&other_spec_path, other_spec.to_string()).unwrap();
    let (code, report) = verify(&cert, Some(&pdf), &other_spec_path);
    assert_eq!(
        (code, report["error"].as_str()),
        (29, Some("ChainMismatch")),
        "{report}"
    );
}

fn rpc_block(url: &str, height: u64) -> Value {
    rpc(
        url,
        "eth_getBlockByNumber",
        serde_json::json!([format!("{height:#x}"), false]),
    )
    .unwrap()
}

#[test]
fn verify_refuses_unreadable_and_foreign_files() {
    let dir = Scratch::new("evidence-bad-input");
    let not_json = dir.0.join("junk.json");
    std::fs::write(&not_json, b"{ not json").unwrap();
    let out = run_cli(&["verify", not_json.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(10), "{}", output_text(&out));
    assert!(output_text(&out).contains("UnsupportedFormat"));
    let missing = run_cli(&["verify", dir.0.join("absent.json").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(output_text(&missing).contains("cannot read"));
}

//! `entente evidence attach` and `entente verify` with RFC 3161 timestamp tokens, on the
//! golden certificate and the `openssl ts` tokens of `crates/verify/tests/golden/` (no
//! network: what a court's clerk runs).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{Scratch, output_text, run_cli};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/verify/tests/golden")
        .join(name)
}

#[test]
fn tokens_are_attached_checked_and_verified_offline() {
    let dir = Scratch::new("timestamps");
    let cert = dir.0.join("contract.txt.evidence.json");
    std::fs::copy(golden("contract.txt.evidence.json"), &cert).unwrap();
    let cert = cert.to_str().unwrap();
    let token = |name: &str| golden(&format!("tsa/{name}")).to_str().unwrap().to_string();
    let document = golden("contract.txt");
    let spec = golden("genesis.json");
    let (document, spec) = (document.to_str().unwrap(), spec.to_str().unwrap());
    let root = token("ca.pem");

    // A token for another document is refused and nothing is written.
    let before = std::fs::read(cert).unwrap();
    let out = run_cli(&[
        "evidence",
        "attach",
        cert,
        "--tsa-token",
        &token("ec-other.tsr"),
    ]);
    assert!(!out.status.success());
    assert!(
        output_text(&out).contains("TsaMismatch"),
        "{}",
        output_text(&out)
    );
    assert_eq!(std::fs::read(cert).unwrap(), before);
    let out = run_cli(&["evidence", "attach", cert, "--tsa-token", document]);
    assert!(
        output_text(&out).contains("is not a timestamp token"),
        "{}",
        output_text(&out)
    );

    // A bare token and a whole TimeStampResp are attached in place.
    let out = run_cli(&[
        "evidence",
        "attach",
        cert,
        "--tsa-token",
        &token("rsa-content.tsr"),
        "--tsa-token",
        &token("ec-content-response.der"),
    ]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("stamped the content digest"),
        "{}",
        output_text(&out)
    );
    let out = run_cli(&[
        "evidence",
        "attach",
        cert,
        "--tsa-token",
        &token("rsa-content.tsr"),
    ]);
    assert!(
        output_text(&out).contains("already attached"),
        "{}",
        output_text(&out)
    );

    // Verified with the authorities pinned by their root: both times reported.
    let out = run_cli(&[
        "verify",
        cert,
        "--file",
        document,
        "--chain-spec",
        spec,
        "--tsa-cert",
        &root,
        "--json",
    ]);
    assert!(out.status.success(), "{}", output_text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let times: Vec<u64> = report["timestamps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tsa_time_ms"].as_u64().unwrap())
        .collect();
    assert_eq!(times, [1_795_449_403_000, 1_795_449_463_000]);
    assert!(
        report["timestamps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["pinned"] == true)
    );
    assert_eq!(report["warnings"], Value::Array(vec![]));

    // Pinned to another root: TsaUntrusted, its own exit code.
    let out = run_cli(&["verify", cert, "--tsa-cert", &token("other-ca.pem")]);
    assert_eq!(out.status.code(), Some(33), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("✗ TsaUntrusted"),
        "{}",
        output_text(&out)
    );

    // A late token: verifies (exit 0) with a TsaTimeSkew warning, silenced by a wider
    // tolerance.
    let late = dir.0.join("late.json");
    let late = late.to_str().unwrap();
    let out = run_cli(&[
        "evidence",
        "attach",
        cert,
        "--tsa-token",
        &token("rsa-late.tsr"),
        "--out",
        late,
    ]);
    assert!(out.status.success(), "{}", output_text(&out));
    let out = run_cli(&["verify", late, "--tsa-cert", &root]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("! TsaTimeSkew"),
        "{}",
        output_text(&out)
    );
    let out = run_cli(&[
        "verify",
        late,
        "--tsa-cert",
        &root,
        "--tsa-tolerance",
        "300000",
    ]);
    assert!(
        !output_text(&out).contains("TsaTimeSkew"),
        "{}",
        output_text(&out)
    );

    // A byte flipped inside a token's signature: TsaBadSignature.
    let mut value: Value = serde_json::from_slice(&std::fs::read(cert).unwrap()).unwrap();
    let b64 = value["anchors"][0]["token_b64"]
        .as_str()
        .unwrap()
        .to_string();
    let mut chars: Vec<char> = b64.chars().collect();
    let at = chars.len() - 8;
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    value["anchors"][0]["token_b64"] = Value::String(chars.into_iter().collect());
    std::fs::write(cert, value.to_string()).unwrap();
    let out = run_cli(&["verify", cert]);
    assert_eq!(out.status.code(), Some(32), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("TsaBadSignature"),
        "{}",
        output_text(&out)
    );
}

//! Traceability end to end on a real `entente node` process: seven organisations (a
//! regulator's, a brand, a third-party inspector, a forwarder, a customs broker, the
//! customs authority and a retailer) trace two bottles through the REST gateway, from
//! commissioning to sale across a border; then headless Chromium (through chromedriver)
//! opens the public consumer page on a phone-sized screen, checks the codes of a genuine
//! and of a cloned bottle as a consumer would, and reads what a person would see.

use std::{path::Path, process::Command, time::Duration};

use entente_modules::trace::state::auth_commit;
use serde_json::{Value, json};

use crate::{
    common::*,
    gateway::{cli, expect_error, field, http, prepare, receipt},
};

const GTIN: &str = "06901234567892";
const SSCC: &str = "069012340000000016";
const GENUINE: &str = "MT0001";
const CLONED: &str = "MT0002";
/// A business transaction hash (a purchase order): never on the consumer page.
const PURCHASE_ORDER: &str = "0x5050505050505050505050505050505050505050505050505050505050505050";

/// The organisations: id, name, account roles.
const ORGS: [(&str, &str, &str); 6] = [
    (
        "org-brand",
        "Kweichow Moutai Distillery",
        "brand_owner,producer",
    ),
    ("org-inspect", "CCIG Inspection", "inspector"),
    ("org-fwd", "Sino Forwarding", "forwarder"),
    ("org-broker", "Harbour Customs Brokers", "customs_broker"),
    ("org-customs", "Shanghai Customs", "customs_authority"),
    ("org-retail", "Tmall Flagship Store", "retailer"),
];

fn secret(i: u8) -> [u8; 16] {
    [0x40 + i; 16]
}

fn code_text(i: u8) -> String {
    secret(i).iter().map(|b| format!("{b:02x}")).collect()
}

/// Adds the organisations and their accounts (with roles) to the genesis, and the
/// regulator and the page's verification account to org0.
fn add_genesis(dir: &Path, accounts: &[(String, String, Vec<String>)]) {
    let path = dir.join("net/genesis.json");
    let mut spec: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for (i, (id, name, _)) in ORGS.iter().enumerate() {
        spec["orgs"].as_array_mut().unwrap().push(json!({
            "id": id, "name": name, "admin": format!("0x{:040x}", 0xad00 + i), "weight": 1
        }));
    }
    for (address, org, roles) in accounts {
        spec["accounts"]
            .as_array_mut()
            .unwrap()
            .push(json!({ "address": address, "org": org, "roles": roles }));
    }
    std::fs::write(&path, serde_json::to_string_pretty(&spec).unwrap()).unwrap();
}

/// Performs one operation with `token`; waits until each of its transactions succeeded.
fn op(rpc_url: &str, api: &str, token: &str, body: Value) -> Vec<String> {
    let (status, answer) = http(
        "POST",
        &format!("{api}/v1/trace/operations"),
        Some(token),
        Some(&body.to_string()),
    );
    assert_eq!(status, 202, "{body} → {answer}");
    let hashes: Vec<String> = answer["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["hash"].as_str().unwrap().to_string())
        .collect();
    for hash in &hashes {
        let receipt = receipt(rpc_url, hash);
        assert_eq!(receipt["status"], "0x1", "{body} failed: {receipt}");
    }
    hashes
}

fn event(time: u64, place: &str) -> Value {
    json!({ "time": time, "read_point": place, "biz_transaction": PURCHASE_ORDER })
}

fn epc(serial: &str) -> Value {
    json!({ "gtin": GTIN, "serial": serial })
}

#[test]
fn a_bottle_traced_across_a_border_and_checked_on_the_consumer_page() {
    let dir = Scratch::new("trace");
    let base = free_ports(3);
    let (config, rpc_url, api) = prepare(&dir.0, base);
    let c = config.as_str();

    // Keys in the node's keystore, one account per organisation, plus the regulator and
    // the page's verification account in org0.
    let new_key = || field(&cli(&["gateway", "new-key", "--config", c]), "address");
    let mut accounts = Vec::new();
    for (id, _, roles) in ORGS {
        accounts.push((
            new_key(),
            id.to_string(),
            roles.split(',').map(String::from).collect::<Vec<_>>(),
        ));
    }
    let regulator = new_key();
    let verifier = new_key();
    accounts.push((regulator.clone(), "org0".into(), vec!["regulator".into()]));
    accounts.push((
        verifier.clone(),
        "org0".into(),
        vec!["verification_gateway".into()],
    ));
    add_genesis(&dir.0, &accounts);
    let config_text = std::fs::read_to_string(c).unwrap();
    std::fs::write(
        c,
        config_text.replace(
            "# verification_account = \"0x…\"",
            &format!("verification_account = \"{verifier}\""),
        ),
    )
    .unwrap();
    let issue = |account: &str| {
        let out = cli(&[
            "gateway",
            "issue-token",
            "--config",
            c,
            "--account",
            account,
            "--label",
            "trace",
        ]);
        field(&out, "token")
    };
    let tokens: Vec<String> = accounts.iter().map(|(a, _, _)| issue(a)).collect();
    let [
        brand,
        inspector,
        forwarder,
        broker,
        customs,
        retailer,
        regulator_token,
        _,
    ] = [0, 1, 2, 3, 4, 5, 6, 7].map(|i| tokens[i].as_str());

    let mut node = Proc::spawn(&["node", "--config", c], &dir.0.join("node.log"));
    assert!(
        wait_for_height(&rpc_url, 1, Duration::from_secs(60)),
        "node did not start: {}",
        node.log_text()
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 30 * 86_400;
    let r = rpc_url.as_str();
    let a = api.as_str();

    // Registry: prefix, product, lot.
    op(
        r,
        a,
        regulator_token,
        json!({ "op": "register_prefix", "prefix": "6901234", "org": "org-brand" }),
    );
    op(
        r,
        a,
        brand,
        json!({ "op": "register_product", "gtin": GTIN, "name": "Moutai Feitian 53% 500ml" }),
    );
    op(
        r,
        a,
        brand,
        json!({
            "op": "create_lot", "gtin": GTIN, "lot": "L2026A", "origin_country": "CN",
            "produced_at": now, "cross_border": true
        }),
    );
    let items: Vec<Value> = [GENUINE, CLONED]
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({ "serial": s, "auth_commit": auth_commit(GTIN, s, &secret(i as u8)).to_string() })
        })
        .collect();
    let commissioned = op(
        r,
        a,
        brand,
        json!({
            "op": "commission", "gtin": GTIN, "lot": "L2026A", "items": items,
            "event": event(now + 60, "Maotai town bottling line 3"),
        }),
    );
    assert_eq!(commissioned.len(), 1);

    // A refusal by name submits nothing: the forwarder is not the custodian.
    expect_error(
        http(
            "POST",
            &format!("{a}/v1/trace/operations"),
            Some(forwarder),
            Some(&json!({ "op": "ship", "items": [epc(GENUINE)], "to": "org-retail", "event": event(now + 70, "x") }).to_string()),
        ),
        422,
        "rejected",
        "Unauthorized",
    );
    expect_error(
        http(
            "POST",
            &format!("{a}/v1/trace/operations"),
            Some(brand),
            Some(&json!({ "op": "teleport" }).to_string()),
        ),
        400,
        "bad_request",
        "unknown variant",
    );

    op(
        r,
        a,
        inspector,
        json!({
            "op": "inspect", "gtin": GTIN, "lot": "L2026A", "pass": true,
            "certificate_hash": format!("0x{}", "c1".repeat(32)), "event": event(now + 3_600, "CCIG lab Guiyang")
        }),
    );
    op(
        r,
        a,
        brand,
        json!({ "op": "pack", "sscc": SSCC, "items": [epc(GENUINE), epc(CLONED)], "event": event(now + 7_200, "Maotai warehouse") }),
    );
    op(
        r,
        a,
        brand,
        json!({ "op": "ship", "ssccs": [SSCC], "to": "org-fwd", "event": event(now + 10_000, "Port of Guiyang") }),
    );
    op(
        r,
        a,
        forwarder,
        json!({ "op": "receive", "ssccs": [SSCC], "event": event(now + 90_000, "Port of Shanghai") }),
    );
    let declaration = format!("0x{}", "de".repeat(32));
    op(
        r,
        a,
        broker,
        json!({ "op": "customs_declare", "ssccs": [SSCC], "declaration": declaration, "event": event(now + 91_000, "Port of Shanghai") }),
    );
    op(
        r,
        a,
        customs,
        json!({ "op": "customs_clear", "ssccs": [SSCC], "declaration": declaration, "event": event(now + 95_000, "Shanghai customs") }),
    );
    op(
        r,
        a,
        forwarder,
        json!({ "op": "unpack", "sscc": SSCC, "event": event(now + 96_000, "Shanghai bonded warehouse") }),
    );
    op(
        r,
        a,
        forwarder,
        json!({ "op": "ship", "items": [epc(GENUINE), epc(CLONED)], "to": "org-retail", "event": event(now + 97_000, "Shanghai bonded warehouse") }),
    );
    op(
        r,
        a,
        retailer,
        json!({ "op": "receive", "items": [epc(GENUINE), epc(CLONED)], "event": event(now + 150_000, "Tmall Hangzhou store") }),
    );
    op(
        r,
        a,
        retailer,
        json!({ "op": "sell", "items": [epc(GENUINE), epc(CLONED)], "event": event(now + 200_000, "Tmall Hangzhou store") }),
    );

    // The REST view: every step, in order, with its transaction.
    let (status, item) = http(
        "GET",
        &format!("{a}/v1/trace/items/{GTIN}/{GENUINE}"),
        None,
        None,
    );
    assert_eq!(status, 200, "{item}");
    assert_eq!(item["state"], "sold");
    assert_eq!(item["custodian"], "org-retail");
    assert_eq!(
        item["customs"],
        json!({ "declared": true, "cleared": true })
    );
    assert_eq!(item["code_status"], "active");
    let steps: Vec<&str> = item["journey"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "commissioning",
            "inspecting",
            "packing",
            "shipping",
            "receiving",
            "customs_declared",
            "customs_cleared",
            "unpacking",
            "shipping",
            "receiving",
            "retail_selling"
        ],
        "{item}"
    );
    assert_eq!(item["journey"][0]["tx"], commissioned[0].as_str());
    let (status, _) = http(
        "GET",
        &format!("{a}/v1/trace/items/{GTIN}/NOPE1"),
        None,
        None,
    );
    assert_eq!(status, 404);
    let (status, _) = http(
        "GET",
        &format!("{a}/v1/trace/items/06901234567891/{GENUINE}"),
        None,
        None,
    );
    assert_eq!(status, 400, "a bad check digit is refused");

    // An unknown code reads "not a registered product".
    let missing = curl_status(&format!("{a}/verify/{GTIN}/FAKE01"));
    assert_eq!(missing.0, 404);
    assert!(
        missing.1.contains("Not a registered product"),
        "{}",
        missing.1
    );
    // The GS1 Digital Link form redirects to the page.
    let link = Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{redirect_url}",
        ])
        .arg(format!("{a}/01/{GTIN}/21/{GENUINE}"))
        .output()
        .unwrap();
    let link = String::from_utf8_lossy(&link.stdout).to_string();
    assert!(
        link.ends_with(&format!("/verify/{GTIN}/{GENUINE}")),
        "{link}"
    );

    // The CLI: codes made here (only commitments leave), commissioned with a token file,
    // and the item read back.
    let serials = dir.0.join("serials.txt");
    std::fs::write(&serials, "MT0100\nMT0101\n").unwrap();
    let codes = dir.0.join("codes.csv");
    let made = cli(&[
        "trace",
        "codes",
        "--gtin",
        GTIN,
        "--serials",
        serials.to_str().unwrap(),
        "--out",
        codes.to_str().unwrap(),
        "--link-base",
        a,
    ]);
    assert!(made.contains("codes: 2"), "{made}");
    let csv = std::fs::read_to_string(&codes).unwrap();
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    let code: [u8; 16] = (0..16)
        .map(|i| u8::from_str_radix(&row[2][2 * i..2 * i + 2], 16).unwrap())
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    assert_eq!(row[3], auth_commit(GTIN, "MT0100", &code).to_string());
    assert_eq!(row[4], format!("{a}/01/{GTIN}/21/MT0100"));
    let again = crate::gateway::cli_fails(&[
        "trace",
        "codes",
        "--gtin",
        GTIN,
        "--serials",
        serials.to_str().unwrap(),
        "--out",
        codes.to_str().unwrap(),
    ]);
    assert!(again.contains("exists"), "{again}");
    std::fs::write(&serials, "MT0200\nbad serial\n").unwrap();
    let bad = crate::gateway::cli_fails(&[
        "trace",
        "codes",
        "--gtin",
        GTIN,
        "--serials",
        serials.to_str().unwrap(),
        "--out",
        dir.0.join("bad.csv").to_str().unwrap(),
    ]);
    assert!(
        bad.contains("line 2") && !dir.0.join("bad.csv").exists(),
        "{bad}"
    );
    let token_file = dir.0.join("brand.token");
    std::fs::write(&token_file, brand).unwrap();
    let sent = cli(&[
        "trace",
        "commission",
        "--api",
        a,
        "--token-file",
        token_file.to_str().unwrap(),
        "--codes",
        codes.to_str().unwrap(),
        "--lot",
        "L2026A",
        "--time",
        &(now + 300).to_string(),
        "--read-point",
        "Maotai town bottling line 3",
    ]);
    let hash = field(&sent, "submitted")
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(receipt(r, &hash)["status"], "0x1", "{sent}");
    let shown = cli(&["trace", "item", GTIN, "MT0101", "--api", a]);
    assert!(
        shown.contains("state: commissioned") && shown.contains("Kweichow Moutai Distillery"),
        "{shown}"
    );
    let refused =
        crate::gateway::cli_fails(&["trace", "item", "0690123456789", "MT0101", "--api", a]);
    assert!(refused.contains("GTIN must be 14 digits"), "{refused}");

    // What a person sees, in Chromium.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e/clients/trace_page.py");
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e/clients/.venv/bin/python");
    let output = Command::new(python)
        .arg(script)
        .env("PAGE_BASE", a)
        .env("GTIN", GTIN)
        .env("GENUINE_SERIAL", GENUINE)
        .env("GENUINE_CODE", code_text(0))
        .env("CLONE_SERIAL", CLONED)
        .env("CLONE_CODE", code_text(1))
        .env(
            "HIDDEN",
            format!("{},org-brand,org-retail,org-fwd", &PURCHASE_ORDER[2..]),
        )
        .output()
        .expect("run trace_page.py");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "trace_page.py failed:\n{stdout}\n{}\nnode log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        tail(&node.log_text())
    );
    println!("what the browser saw:\n{stdout}");

    // The chain agrees with what the page showed.
    let (_, cloned) = http(
        "GET",
        &format!("{a}/v1/trace/items/{GTIN}/{CLONED}"),
        None,
        None,
    );
    assert_eq!(cloned["flags"], json!(["suspected_clone"]), "{cloned}");
    assert_eq!(cloned["verify_count"], 2);
    assert_eq!(cloned["first_verified"]["cell"], "Guiyang");
    let (_, genuine) = http(
        "GET",
        &format!("{a}/v1/trace/items/{GTIN}/{GENUINE}"),
        None,
        None,
    );
    assert_eq!(genuine["code_status"], "consumed");
    assert_eq!(genuine["verify_count"], 1);
    assert_eq!(genuine["bad_attempts"], 1, "the mistyped code was counted");
    assert_eq!(genuine["flags"], json!([]));
    node.kill();
}

/// GET with curl: the status and the body text.
fn curl_status(url: &str) -> (u16, String) {
    let output = Command::new("curl")
        .args(["-sS", "-w", "\n%{http_code}"])
        .arg(url)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let (body, status) = text.rsplit_once('\n').unwrap();
    (status.trim().parse().unwrap(), body.to_string())
}

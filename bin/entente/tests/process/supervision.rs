//! Regulator supervision end to end on a 4-validator `entente dev` network: three dev
//! accounts appointed regulators by governance proposals the org admins vote with
//! `entente admin`; then `entente admin supervision` refuses bad input and outsiders by
//! name without sending anything, proposes and votes a freeze of an account; a raw
//! transfer from that account is included with a failed receipt whose stored revert
//! (REST) and replay (`eth_estimateGas`) name the order, while `eth_call` still runs it;
//! REST `frozen`, `orders`, `history` and the CLI show the order; a lift lets the account
//! transact again; an emergency freeze of an asset holding is ratified and its frozen
//! units moved to escrow; then the ethers script freezes a contract an OpenZeppelin
//! contract calls into. A second test drives the committee through the gateway's REST writes on
//! a real `entente node` (regulators holding only API tokens).

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, TxKind, U256};
use alloy_sol_types::SolError as _;
use entente_modules::supervision::abi::ISupervision;
use entente_primitives::LocalSigner;
use serde_json::{Value, json};

use crate::{
    admin::{Dev, Run, admin, admin_ok, start_dev},
    common::*,
    gateway::http,
};

/// `dev.json`'s names as these tests use them (addresses lower-case, as the REST API
/// answers them).
trait DevNames {
    fn rpc(&self, node: usize) -> String;
    fn key(&self, i: usize) -> String;
    fn address(&self, i: usize) -> String;
}

impl DevNames for Dev {
    fn rpc(&self, node: usize) -> String {
        self.url(node)
    }
    fn key(&self, i: usize) -> String {
        self.dev_key(i)
    }
    fn address(&self, i: usize) -> String {
        self.dev_address(i).to_lowercase()
    }
}

/// `entente admin supervision <args> --json`, which must succeed.
fn sup_json(rpc: &str, args: &[&str]) -> Value {
    let all: Vec<&str> = ["supervision"]
        .iter()
        .chain(args)
        .chain(&["--json"])
        .copied()
        .collect();
    let run = admin_ok(rpc, &all);
    serde_json::from_str(&run.stdout).unwrap_or_else(|err| panic!("{err}: not JSON\n{run}"))
}

/// `entente admin supervision <args>`, which must fail naming every one of `words`.
fn sup_refused(rpc: &str, args: &[&str], words: &[&str]) -> Run {
    let all: Vec<&str> = ["supervision"].iter().chain(args).copied().collect();
    let run = admin(rpc, &all);
    assert!(!run.ok, "entente admin {all:?} succeeded\n{run}");
    for word in words {
        assert!(
            run.stderr.contains(word),
            "entente admin {all:?}: error does not mention {word:?}\n{run}"
        );
    }
    run
}

fn names(events: &Value) -> Vec<String> {
    events
        .as_array()
        .unwrap_or_else(|| panic!("not a list of events: {events}"))
        .iter()
        .map(|e| {
            e["name"]
                .as_str()
                .or(e["event"].as_str())
                .unwrap()
                .to_string()
        })
        .collect()
}

fn nonce(url: &str, address: &str) -> u64 {
    quantity(&rpc(url, "eth_getTransactionCount", json!([address, "pending"])).unwrap())
}

fn balance(url: &str, address: &str) -> U256 {
    rpc(url, "eth_getBalance", json!([address, "latest"]))
        .unwrap()
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// A GET against the REST API that must answer 200.
fn get(url: &str) -> Value {
    let (status, body) = http("GET", url, None, None);
    assert_eq!(status, 200, "GET {url}: {body}");
    body
}

/// Signs a 1-wei-per-unit value transfer with an explicit gas limit (so no client
/// estimates it first) and sends it raw; returns its hash and receipt.
fn raw_transfer(url: &str, key: &str, to: &str, value: U256) -> (String, Value) {
    let signer = LocalSigner::from_hex(key).unwrap();
    let from = format!("{:#x}", signer.address());
    let gas_price = quantity(&rpc(url, "eth_gasPrice", json!([])).unwrap());
    let tx = TxEip1559 {
        chain_id: quantity(&rpc(url, "eth_chainId", json!([])).unwrap()),
        nonce: nonce(url, &from),
        gas_limit: 21_000,
        max_fee_per_gas: u128::from(gas_price),
        max_priority_fee_per_gas: 0,
        to: TxKind::Call(to.parse::<Address>().unwrap()),
        value,
        access_list: Default::default(),
        input: Default::default(),
    };
    let signed = signer.sign(tx).unwrap();
    let hash = rpc(url, "eth_sendRawTransaction", json!([signed.raw]))
        .unwrap_or_else(|err| panic!("the node refused the transfer: {err}"));
    let hash = hash.as_str().unwrap().to_string();
    (hash.clone(), crate::gateway::receipt(url, &hash))
}

#[test]
fn regulators_freeze_and_lift_an_account_on_a_dev_network() {
    let dir = Scratch::new("supervision");
    let base = free_ports(30);
    let dev = start_dev(&dir, base);
    let rpc0 = dev.rpc(0);
    assert!(
        wait_for_height(&rpc0, 1, Duration::from_secs(60)),
        "no blocks\n{}",
        dev.proc.log_text()
    );
    let started = Instant::now();
    appoint_regulators(&dev, &[1, 2, 3]);
    let legal_basis = refusals_send_nothing(&dev);
    let order = freeze_account(&dev, &legal_basis);
    a_frozen_account_cannot_transact(&dev, order);
    reads_show_the_order(&dev, order, &legal_basis);
    a_lift_lets_it_transact_again(&dev, order);
    an_emergency_holding_freeze_is_ratified_and_moved_to_escrow(&dev);
    ethers_script_freezes_a_contract(&dev);
    eprintln!("supervision steps took {:?}", started.elapsed());
}

/// org0 proposes each account as a regulator; org1 and org2 agree (3 of 4 ≥ 67 %).
fn appoint_regulators(dev: &Dev, accounts: &[usize]) {
    let rpc = dev.rpc(1);
    let mut ids = Vec::new();
    for &i in accounts {
        let created = admin_ok(
            &rpc,
            &[
                "propose",
                "appoint-regulator",
                &dev.address(i),
                "--key-file",
                &dev.admin_key(0),
                "--json",
            ],
        );
        let created: Value = serde_json::from_str(&created.stdout).unwrap();
        ids.push(created["proposal"].as_u64().unwrap().to_string());
    }
    for org in [1, 2] {
        for id in &ids {
            admin_ok(
                &rpc,
                &["vote", id, "--agree", "--key-file", &dev.admin_key(org)],
            );
        }
    }
    for &i in accounts {
        let account = admin_ok(&rpc, &["account", &dev.address(i), "--json"]);
        assert!(account.stdout.contains("\"regulator\""), "{account}");
    }
    let params = get(&format!("{}/v1/supervision/params", dev.api(1)));
    assert_eq!(params["members"], 3, "{params}");
    assert_eq!(params["approval_pct"], 66, "{params}");
    assert_eq!(params["orders"], 0, "{params}");
}

/// Writes the court order and returns the 0x SHA-256 the CLI must put on chain.
fn court_order(dev: &Dev) -> (PathBuf, String) {
    let path = dev.data.join("court-order-2026-117.pdf");
    let document = b"%PDF-1.7 District Court, order 2026-117: freeze of account X";
    std::fs::write(&path, document).unwrap();
    let digest = entente_verify::evidence::verify::digest_document(1, document);
    (path, format!("0x{}", alloy_primitives::hex::encode(digest)))
}

/// Bad arguments, a non-member, an unfreezable target and an unknown proposal are refused
/// with clear messages (module errors by name, from `eth_estimateGas`), and nothing is
/// sent. Returns the legal basis file's path and digest.
fn refusals_send_nothing(dev: &Dev) -> (PathBuf, String) {
    let url = dev.rpc(2);
    let (pdf, digest) = court_order(dev);
    let pdf = pdf.to_str().unwrap().to_string();
    let (x, member2) = (dev.address(4), dev.address(2));
    let before = nonce(&url, &dev.address(1));
    let freeze = |kind: &str, target: &str, reason: &str, basis: Option<&str>| {
        let mut args = vec![
            "propose-freeze".to_string(),
            "--kind".into(),
            kind.into(),
            "--target".into(),
            target.into(),
            "--reason".into(),
            reason.into(),
        ];
        if let Some(basis) = basis {
            args.extend(["--legal-basis-file".to_string(), basis.to_string()]);
        }
        args
    };
    let cases: Vec<(Vec<String>, Vec<&str>)> = vec![
        // Refused locally.
        (
            freeze("account", &x, "aml", None),
            vec!["--legal-basis-file", "--legal-basis"],
        ),
        (
            freeze("account", &x, "aml", Some("/nonexistent/order.pdf")),
            vec!["cannot read the legal basis file"],
        ),
        (
            freeze("method", &x, "fraud", Some(&pdf)),
            vec!["--kind method needs --selector"],
        ),
        (
            freeze("account", &x, "tax_evasion", Some(&pdf)),
            vec!["tax_evasion", "court_order"],
        ),
        (
            freeze("tx", &x, "aml", Some(&pdf)),
            vec!["--kind tx", "hash"],
        ),
        // Refused by the module, by name, before sending.
        (
            freeze("account", &member2, "aml", Some(&pdf)),
            vec!["TargetNotFreezable", "regulator committee"],
        ),
        (
            vec!["vote".into(), "99".into(), "--agree".into()],
            vec!["NotFound", "proposal 99"],
        ),
        (
            vec!["propose-lift".into(), "1".into()],
            vec!["NotFound", "order 1"],
        ),
    ];
    let key = dev.key(1);
    for (mut args, words) in cases {
        args.extend(["--key".to_string(), key.clone()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        sup_refused(&url, &args, &words);
    }
    assert_eq!(
        nonce(&url, &dev.address(1)),
        before,
        "a refusal sent something"
    );

    // A registered account that is no regulator: Unauthorized, by name, in JSON too.
    let outsider = dev.key(0);
    let mut args = vec!["supervision".to_string()];
    args.extend(freeze("account", &x, "aml", Some(&pdf)));
    args.extend(["--key".to_string(), outsider, "--json".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = admin(&url, &args);
    assert!(!run.ok, "{run}");
    let doc: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|_| panic!("{run}"));
    assert_eq!(doc["ok"], false, "{run}");
    assert_eq!(doc["error"]["name"], "Unauthorized", "{run}");
    assert!(
        doc["error"]["reason"]
            .as_str()
            .unwrap()
            .contains("not a member of the regulator committee"),
        "{run}"
    );
    assert_eq!(
        nonce(&url, &dev.address(0)),
        0,
        "the outsider sent something"
    );
    (PathBuf::from(pdf), digest)
}

/// Regulator 1 proposes freezing account X (dev account 4) on the court order; regulator
/// 2's vote reaches 2 of 3 and activates it. Returns the order id.
fn freeze_account(dev: &Dev, (pdf, legal_basis): &(PathBuf, String)) -> u64 {
    let rpc = dev.rpc(0);
    let x = dev.address(4);
    let proposed = sup_json(
        &rpc,
        &[
            "propose-freeze",
            "--kind",
            "account",
            "--target",
            &x,
            "--direction",
            "both",
            "--reason",
            "aml",
            "--legal-basis-file",
            pdf.to_str().unwrap(),
            "--case-ref",
            "2026-117",
            "--key",
            &dev.key(1),
        ],
    );
    assert_eq!(proposed["ok"], true, "{proposed}");
    assert_eq!(
        names(&proposed["events"]),
        ["FreezeProposed", "Voted"],
        "{proposed}"
    );
    assert_eq!(proposed["events"][0]["kind"], "account");
    let proposal = proposed["proposal"].as_u64().unwrap();
    // One vote of three: open, nothing frozen yet.
    let shown = sup_json(&rpc, &["proposal", &proposal.to_string()]);
    assert_eq!(shown["status"], "open", "{shown}");
    assert_eq!(shown["kind"], "freeze");
    assert_eq!(shown["spec"]["legal_basis"], legal_basis.as_str());
    assert_eq!(shown["spec"]["reason"], "aml");
    assert_eq!(
        (&shown["votes"]["agree"], &shown["votes"]["members"]),
        (&json!(1), &json!(3))
    );
    // The same freeze cannot be proposed twice while open.
    sup_refused(
        &rpc,
        &[
            "propose-freeze",
            "--kind",
            "account",
            "--target",
            &x,
            "--reason",
            "aml",
            "--legal-basis",
            legal_basis,
            "--key",
            &dev.key(3),
        ],
        &["ProposalAlreadyOpen", &format!("proposal: {proposal}")],
    );
    sup_refused(
        &rpc,
        &[
            "vote",
            &proposal.to_string(),
            "--agree",
            "--key",
            &dev.key(1),
        ],
        &["AlreadyVoted"],
    );
    let voted = sup_json(
        &dev.rpc(3),
        &[
            "vote",
            &proposal.to_string(),
            "--agree",
            "--key",
            &dev.key(2),
        ],
    );
    assert_eq!(
        names(&voted["events"]),
        ["Voted", "SubjectNotified", "FreezeActivated"],
        "{voted}"
    );
    assert_eq!(voted["events"][1]["reason"], "aml");
    assert_eq!(voted["events"][1]["legalBasis"], legal_basis.as_str());
    let order = voted["order"].as_u64().unwrap();
    sup_refused(
        &rpc,
        &[
            "vote",
            &proposal.to_string(),
            "--against",
            "--key",
            &dev.key(3),
        ],
        &["ProposalNotOpen", "executed"],
    );
    order
}

/// X's raw transfer is included with status 0: value and balances unchanged, nonce
/// consumed; the stored revert data (REST) and an `eth_estimateGas` replay name the
/// order, while `eth_call` (no per-frame checks) still runs the transfer.
fn a_frozen_account_cannot_transact(dev: &Dev, order: u64) {
    let url = dev.rpc(1);
    let (x, y) = (dev.address(4), dev.address(6));
    let (y_before, x_nonce) = (balance(&url, &y), nonce(&url, &x));
    let (hash, receipt) = raw_transfer(&url, &dev.key(4), &y, U256::from(1_000_000u64));
    assert_eq!(
        receipt["status"], "0x0",
        "a frozen account transacted: {receipt}"
    );
    assert_eq!(
        balance(&url, &y),
        y_before,
        "the frozen transfer moved value"
    );
    assert_eq!(nonce(&url, &x), x_nonce + 1, "the nonce is consumed");

    // The receipt's revert, as the node stored it.
    let denied = get(&format!(
        "{}/v1/supervision/transactions/{hash}",
        dev.api(2)
    ));
    assert_eq!(denied["success"], false, "{denied}");
    assert_eq!(denied["denied"], true, "{denied}");
    assert_eq!(denied["error"], "Frozen", "{denied}");
    assert_eq!(denied["order_id"], order, "{denied}");
    assert_eq!(denied["order"]["status"], "active", "{denied}");
    assert_eq!(denied["order"]["reason"], "aml", "{denied}");
    let frozen_data = format!(
        "0x{}",
        alloy_primitives::hex::encode(ISupervision::Frozen { orderId: order }.abi_encode())
    );
    assert_eq!(denied["revert"]["data"], frozen_data.as_str(), "{denied}");

    // What a wallet sees before sending: eth_estimateGas applies the checks.
    let call = json!({ "from": x, "to": y, "value": "0xf4240" });
    let err = rpc(&url, "eth_estimateGas", json!([call])).expect_err("estimate passed");
    assert_eq!(err["code"], 3, "{err}");
    assert_eq!(err["data"], frozen_data.as_str(), "{err}");
    // eth_call skips them: reads by (and of) frozen accounts keep working.
    rpc(&url, "eth_call", json!([call, "latest"])).expect("eth_call of the frozen transfer");

    // That transaction is in a block: an order on it is refused before sending (the
    // module would refuse it too: its sender's nonce is used).
    let regulator_nonce = nonce(&url, &dev.address(1));
    sup_refused(
        &url,
        &[
            "propose-freeze",
            "--kind",
            "tx",
            "--target",
            &hash,
            "--reason",
            "aml",
            "--legal-basis",
            &format!("0x{}", "7e".repeat(32)),
            "--key",
            &dev.key(1),
        ],
        &["TxAlreadyCommitted", &hash],
    );
    assert_eq!(nonce(&url, &dev.address(1)), regulator_nonce);

    // Incoming value is refused too (the order is on both directions).
    let (_, receipt) = raw_transfer(&url, &dev.key(6), &x, U256::from(7u64));
    assert_eq!(
        receipt["status"], "0x0",
        "a frozen account was credited: {receipt}"
    );

    // A transaction that did not fail is not a denial; an unknown hash is not found.
    let stranger = format!("0x{}", "ab".repeat(32));
    let (status, body) = http(
        "GET",
        &format!("{}/v1/supervision/transactions/{stranger}", dev.api(2)),
        None,
        None,
    );
    assert_eq!(status, 404, "{body}");
}

/// REST `frozen`, `orders`, `orders/{id}`, `history`, bad queries, and the CLI reads.
fn reads_show_the_order(dev: &Dev, order: u64, (_, legal_basis): &(PathBuf, String)) {
    let api = dev.api(3);
    let x = dev.address(4);
    let frozen = get(&format!(
        "{api}/v1/supervision/frozen?kind=account&target={x}"
    ));
    assert_eq!(frozen["frozen"], true, "{frozen}");
    assert_eq!(frozen["order_id"], order, "{frozen}");
    let not = get(&format!(
        "{api}/v1/supervision/frozen?kind=contract&target={x}"
    ));
    assert_eq!(
        (&not["frozen"], &not["order_id"]),
        (&json!(false), &Value::Null)
    );
    let orders = get(&format!("{api}/v1/supervision/orders?target={x}"));
    let list = orders["orders"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{orders}");
    let o = &list[0];
    assert_eq!(o["id"], order);
    assert_eq!(
        (&o["kind"], &o["status"], &o["active"], &o["direction"]),
        (
            &json!("account"),
            &json!("active"),
            &json!(true),
            &json!("both")
        )
    );
    assert_eq!(o["reason"], "aml");
    assert_eq!(o["legal_basis"], legal_basis.as_str());
    assert_eq!(o["target"].as_str().unwrap().to_lowercase(), x);
    assert!(
        o["case_ref"]
            .as_str()
            .unwrap()
            .starts_with(&format!("0x{}", alloy_primitives::hex::encode(b"2026-117"))),
        "{o}"
    );
    assert_eq!(o["emergency"], false);
    assert_eq!(
        get(&format!("{api}/v1/supervision/orders/{order}"))["legal_basis"],
        legal_basis.as_str()
    );
    let all = get(&format!("{api}/v1/supervision/orders?active=true"));
    assert_eq!(all["orders"].as_array().unwrap().len(), 1, "{all}");
    let history = get(&format!("{api}/v1/supervision/history?target={x}"));
    assert_eq!(
        names(&history["events"]),
        [
            "FreezeProposed",
            "Voted",
            "Voted",
            "SubjectNotified",
            "FreezeActivated"
        ],
        "{history}"
    );
    assert_eq!(history["events"][3]["reason"], "aml");
    let proposal = history["events"][0]["proposal_id"].as_u64().unwrap();
    let shown = get(&format!("{api}/v1/supervision/proposals/{proposal}"));
    assert_eq!(shown["status"], "executed", "{shown}");
    let ballots: Vec<String> = shown["ballots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["member"].as_str().unwrap().to_lowercase())
        .collect();
    assert_eq!(ballots, [dev.address(1), dev.address(2)], "{shown}");

    // Bad queries: 400 with the field and reason, unknown ids 404.
    for (path, words) in [
        ("frozen?kind=wallet&target=0x01", "kind"),
        ("frozen?kind=account", "target"),
        (
            "frozen?kind=method&target=0x0000000000000000000000000000000000000001",
            "selector",
        ),
        ("orders?limit=0", "limit"),
        ("orders/abc", "order id"),
        ("history", "target"),
        ("history?target=0x1234", "target"),
    ] {
        let (status, body) = http("GET", &format!("{api}/v1/supervision/{path}"), None, None);
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["code"], "bad_request", "{path}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(words),
            "{path}: {body}"
        );
    }
    let (status, body) = http(
        "GET",
        &format!("{api}/v1/supervision/orders/99"),
        None,
        None,
    );
    assert_eq!((status, &body["error"]["code"]), (404, &json!("not_found")));

    // The CLI reads the same.
    let rpc = dev.rpc(2);
    let shown = sup_json(&rpc, &["order", &order.to_string()]);
    assert_eq!(shown["status"], "active");
    assert_eq!(shown["legal_basis"], legal_basis.as_str());
    let text = admin_ok(&rpc, &["supervision", "order", &order.to_string()]).stdout;
    assert!(
        text.contains(&format!("order {order} (active)")) && text.contains("aml"),
        "{text}"
    );
    let listed = sup_json(&rpc, &["orders", &x]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let text = admin_ok(
        &rpc,
        &[
            "supervision",
            "is-frozen",
            "--kind",
            "account",
            "--target",
            &x,
        ],
    )
    .stdout;
    assert!(
        text.contains(&format!("is frozen by order {order}")),
        "{text}"
    );
}

/// Regulator 3 proposes the lift, regulator 1 agrees: the order is lifted, the audit
/// trail shows it, and X transacts again.
fn a_lift_lets_it_transact_again(dev: &Dev, order: u64) {
    let rpc = dev.rpc(3);
    let proposed = sup_json(
        &rpc,
        &["propose-lift", &order.to_string(), "--key", &dev.key(3)],
    );
    assert_eq!(
        names(&proposed["events"]),
        ["LiftProposed", "Voted"],
        "{proposed}"
    );
    let proposal = proposed["proposal"].as_u64().unwrap().to_string();
    let lifted = sup_json(&rpc, &["vote", &proposal, "--agree", "--key", &dev.key(1)]);
    assert_eq!(
        names(&lifted["events"]),
        ["Voted", "OrderLifted"],
        "{lifted}"
    );
    let api = dev.api(0);
    let x = dev.address(4);
    let frozen = get(&format!(
        "{api}/v1/supervision/frozen?kind=account&target={x}"
    ));
    assert_eq!(frozen["frozen"], false, "{frozen}");
    let shown = get(&format!("{api}/v1/supervision/orders/{order}"));
    assert_eq!(
        (&shown["status"], &shown["active"]),
        (&json!("lifted"), &json!(false))
    );
    assert!(shown["closed_at"].as_u64().unwrap() > shown["activated_at"].as_u64().unwrap());
    let history = get(&format!("{api}/v1/supervision/history?target={x}"));
    assert_eq!(
        names(&history["events"]),
        [
            "FreezeProposed",
            "Voted",
            "Voted",
            "SubjectNotified",
            "FreezeActivated",
            "LiftProposed",
            "Voted",
            "Voted",
            "OrderLifted"
        ],
        "{history}"
    );
    let heights: Vec<u64> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["height"].as_u64().unwrap())
        .collect();
    assert!(heights.windows(2).all(|w| w[0] <= w[1]), "{heights:?}");
    sup_refused(
        &rpc,
        &["propose-lift", &order.to_string(), "--key", &dev.key(2)],
        &["InvalidState", "lifted"],
    );

    let y = dev.address(6);
    let y_before = balance(&rpc, &y);
    let (_, receipt) = raw_transfer(&rpc, &dev.key(4), &y, U256::from(1_000_000u64));
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    assert_eq!(balance(&rpc, &y), y_before + U256::from(1_000_000u64));
}

/// Signs a call to `to` with an explicit gas limit and sends it raw; returns the receipt,
/// which must be successful.
fn send_call(url: &str, key: &str, to: Address, input: Vec<u8>) -> Value {
    let signer = LocalSigner::from_hex(key).unwrap();
    let from = format!("{:#x}", signer.address());
    let tx = TxEip1559 {
        chain_id: quantity(&rpc(url, "eth_chainId", json!([])).unwrap()),
        nonce: nonce(url, &from),
        gas_limit: 2_000_000,
        max_fee_per_gas: u128::from(quantity(&rpc(url, "eth_gasPrice", json!([])).unwrap())),
        max_priority_fee_per_gas: 0,
        to: TxKind::Call(to),
        value: U256::ZERO,
        access_list: Default::default(),
        input: input.into(),
    };
    let signed = signer.sign(tx).unwrap();
    let hash = rpc(url, "eth_sendRawTransaction", json!([signed.raw])).unwrap();
    let receipt = crate::gateway::receipt(url, hash.as_str().unwrap());
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    receipt
}

/// A holding of a native asset: regulator 3 freezes 100 of its 150 units alone (an
/// emergency order, lapsing unless ratified); the committee ratifies it into an ordinary
/// order, then all three regulators move the 100 units to an escrow account. The audit
/// trail of the holding shows every step.
fn an_emergency_holding_freeze_is_ratified_and_moved_to_escrow(dev: &Dev) {
    use alloy_sol_types::SolCall as _;
    use entente_modules::assets::abi::{IAsset, IAssets};
    let url = dev.rpc(0);
    let (issuer, holder, escrow) = (dev.key(7), dev.address(8), dev.address(9));
    let created = send_call(
        &url,
        &issuer,
        entente_modules::ASSETS_ADDRESS,
        IAssets::createAssetCall {
            name: "Warehouse receipts".into(),
            symbol: "WHR".into(),
            decimals: 0,
        }
        .abi_encode(),
    );
    let topic = created["logs"][0]["topics"][1].as_str().unwrap();
    let asset = Address::from_slice(&hex_bytes(topic)[12..]);
    send_call(
        &url,
        &issuer,
        asset,
        IAsset::issueCall {
            to: holder.parse().unwrap(),
            value: U256::from(150),
        }
        .abi_encode(),
    );
    admin_ok(
        &url,
        &[
            "grant-role",
            &escrow,
            "escrow",
            "--key-file",
            &dev.admin_key(0),
        ],
    );
    let asset_text = format!("{asset:#x}");
    let basis = format!("0x{}", "e7".repeat(32));
    let emergency = sup_json(
        &url,
        &[
            "emergency-freeze",
            "--kind",
            "holding",
            "--target",
            &holder,
            "--asset",
            &asset_text,
            "--amount",
            "100",
            "--direction",
            "out",
            "--reason",
            "fraud",
            "--legal-basis",
            &basis,
            "--key",
            &dev.key(3),
        ],
    );
    assert_eq!(
        names(&emergency["events"]),
        ["SubjectNotified", "EmergencyFreezeActivated"],
        "{emergency}"
    );
    let order = emergency["order"].as_u64().unwrap();
    let api = dev.api(1);
    let frozen = get(&format!(
        "{api}/v1/supervision/frozen?kind=holding&target={holder}&asset={asset_text}"
    ));
    assert_eq!(
        (
            &frozen["frozen"],
            &frozen["order_id"],
            &frozen["frozen_amount"]
        ),
        (&json!(true), &json!(order), &json!("100")),
        "{frozen}"
    );
    let shown = get(&format!("{api}/v1/supervision/orders/{order}"));
    assert_eq!(
        (&shown["emergency"], &shown["amount"]),
        (&json!(true), &json!("100"))
    );

    // Ratified into an ordinary order (2 of 3).
    let ratify = sup_json(
        &url,
        &["propose-ratify", &order.to_string(), "--key", &dev.key(1)],
    );
    let proposal = ratify["proposal"].as_u64().unwrap().to_string();
    let ratified = sup_json(&url, &["vote", &proposal, "--agree", "--key", &dev.key(2)]);
    assert_eq!(
        names(&ratified["events"]),
        ["Voted", "SubjectNotified", "OrderRatified"],
        "{ratified}"
    );
    let ordinary = ratified["events"][2]["newOrder"].as_u64().unwrap();
    let old = sup_json(&url, &["order", &order.to_string()]);
    assert_eq!(old["status"], "ratified", "{old}");

    // Forced transfer to escrow: all three regulators (forced_transfer_pct 100).
    let moving = sup_json(
        &url,
        &[
            "propose-forced-transfer",
            &ordinary.to_string(),
            "--escrow",
            &escrow,
            "--amount",
            "100",
            "--key",
            &dev.key(1),
        ],
    );
    let proposal = moving["proposal"].as_u64().unwrap().to_string();
    let second = sup_json(&url, &["vote", &proposal, "--agree", "--key", &dev.key(2)]);
    assert_eq!(
        names(&second["events"]),
        ["Voted"],
        "two of three do not suffice"
    );
    let moved = sup_json(&url, &["vote", &proposal, "--agree", "--key", &dev.key(3)]);
    assert_eq!(
        names(&moved["events"]),
        ["Voted", "OrderLifted", "ForcedTransfer"],
        "{moved}"
    );
    let balance_of = |account: &str| {
        let call = json!({
            "to": asset,
            "data": alloy_primitives::Bytes::from(
                IAsset::balanceOfCall { account: account.parse().unwrap() }.abi_encode()
            ),
        });
        let out = rpc(&url, "eth_call", json!([call, "latest"])).unwrap();
        U256::from_be_slice(&hex_bytes(out.as_str().unwrap()))
    };
    assert_eq!(balance_of(&escrow), U256::from(100));
    assert_eq!(balance_of(&holder), U256::from(50));
    let history = get(&format!(
        "{api}/v1/supervision/history?target={holder}&asset={asset_text}"
    ));
    assert_eq!(
        names(&history["events"]),
        [
            "SubjectNotified",
            "EmergencyFreezeActivated",
            "RatifyProposed",
            "Voted",
            "Voted",
            "SubjectNotified",
            "OrderRatified",
            "ForcedTransferProposed",
            "Voted",
            "Voted",
            "Voted",
            "OrderLifted",
            "ForcedTransfer"
        ],
        "{history}"
    );
    assert_eq!(history["orders"], json!([order, ordinary]));
}

/// e2e/clients/supervision.mjs (ethers v6, solc-js, OpenZeppelin's Ownable) on the same
/// network.
fn ethers_script_freezes_a_contract(dev: &Dev) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e/clients");
    assert!(
        root.join("node_modules").join("ethers").exists(),
        "client dependencies are missing: run e2e/clients/install.sh (scripts/test does)"
    );
    let keys = [dev.key(1), dev.key(2)].join(",");
    let output = Command::new("timeout")
        .args(["--kill-after=5", "70", "node"])
        .arg(root.join("supervision.mjs"))
        .current_dir(&root)
        .env("ENTENTE_RPC_HTTP", dev.rpc(2))
        .env("ENTENTE_CHAIN_ID", "1337")
        .env("ENTENTE_REGULATOR_KEYS", keys)
        .env("ENTENTE_PRIVATE_KEY", dev.key(5))
        .output()
        .expect("run node (Node.js 20 is required)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("ALL OK"),
        "supervision.mjs failed:\n{stdout}\n{}\nnode log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        tail(&dev.proc.log_text())
    );
    // The script's order is on record, lifted.
    let orders = get(&format!("{}/v1/supervision/orders", dev.api(0)));
    let contract = orders["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "contract")
        .unwrap_or_else(|| panic!("no contract order: {orders}"));
    assert_eq!(contract["status"], "lifted", "{contract}");
    assert_eq!(contract["reason"], "sanctions", "{contract}");
}

/// A POST to the gateway that must be accepted (202); waits for the transaction's
/// receipt, which must be successful. Returns the answer.
fn accepted(rpc_url: &str, url: &str, token: &str, body: &str) -> Value {
    let (status, answer) = http("POST", url, Some(token), Some(body));
    assert_eq!(status, 202, "POST {url} {body}: {answer}");
    let receipt = crate::gateway::receipt(rpc_url, answer["hash"].as_str().unwrap());
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    answer
}

/// Regulators holding only API tokens act through the gateway on a real `entente node`:
/// a freeze proposed and voted, an emergency freeze, a lift; refusals (bad bodies 400,
/// module errors by name 422, a non-regulator 422) submit nothing.
#[test]
fn regulators_act_through_the_gateway() {
    let dir = Scratch::new("supervision-gateway");
    let base = free_ports(3);
    let (config, rpc_url, api) = crate::gateway::prepare(&dir.0, base);
    let c = config.as_str();
    let net = dir.0.join("net");
    let cli = crate::gateway::cli;
    let field = crate::gateway::field;

    // Two regulators: `entente init`'s member account and a second account whose key the
    // node creates; both get the role in the genesis (as governance would appoint them).
    let accounts: Value =
        serde_json::from_str(&std::fs::read_to_string(net.join("accounts.json")).unwrap()).unwrap();
    let secret = accounts[0]["private_key"].as_str().unwrap();
    let r1 = field(
        &cli(&["gateway", "import-key", "--config", c, "--key", secret]),
        "address",
    )
    .to_lowercase();
    let r2 = field(&cli(&["gateway", "new-key", "--config", c]), "address").to_lowercase();
    let outsider = field(&cli(&["gateway", "new-key", "--config", c]), "address").to_lowercase();
    let genesis_path = net.join("genesis.json");
    let mut genesis: Value =
        serde_json::from_str(&std::fs::read_to_string(&genesis_path).unwrap()).unwrap();
    genesis["accounts"][0]["roles"]
        .as_array_mut()
        .unwrap()
        .push(json!("regulator"));
    let list = genesis["accounts"].as_array_mut().unwrap();
    list.push(json!({ "address": r2, "org": "org0", "roles": ["member", "regulator"] }));
    list.push(json!({ "address": outsider, "org": "org0", "roles": ["member"] }));
    std::fs::write(
        &genesis_path,
        serde_json::to_string_pretty(&genesis).unwrap(),
    )
    .unwrap();
    let token = |account: &str| {
        field(
            &cli(&[
                "gateway",
                "issue-token",
                "--config",
                c,
                "--account",
                account,
            ]),
            "token",
        )
    };
    let (t1, t2, t_out) = (token(&r1), token(&r2), token(&outsider));

    let node = Proc::spawn(&["node", "--config", c], &dir.0.join("node0.log"));
    assert!(
        wait_for_height(&rpc_url, 1, Duration::from_secs(60)),
        "node did not start: {}",
        node.log_text()
    );
    let proposals = format!("{api}/v1/supervision/proposals");
    let basis = format!("0x{}", "c0".repeat(32));
    let target = "0x000000000000000000000000000000000000dead";
    let freeze = format!(
        r#"{{"kind": "freeze", "spec": {{"kind": "account", "target": "{target}", "direction": "outbound",
            "reason": "court_order", "legal_basis": "{basis}", "case_ref": "{basis}"}}}}"#
    );

    // Refusals first: nothing is submitted.
    let nonces = |accounts: &[&str]| -> Vec<u64> {
        accounts
            .iter()
            .map(|a| crate::gateway::pending_nonce(&rpc_url, a))
            .collect()
    };
    let before = nonces(&[&r1, &r2, &outsider]);
    let expect_error = crate::gateway::expect_error;
    expect_error(
        http(
            "POST",
            &proposals,
            Some(&t1),
            Some(r#"{"kind": "thaw", "order_id": 1}"#),
        ),
        400,
        "bad_request",
        "unknown variant `thaw`",
    );
    expect_error(
        http(
            "POST",
            &proposals,
            Some(&t1),
            Some(&freeze.replace("court_order", "hunch")),
        ),
        400,
        "bad_request",
        "invalid reason",
    );
    expect_error(
        http(
            "POST",
            &format!("{api}/v1/supervision/emergency"),
            Some(&t1),
            Some(&format!(
                r#"{{"kind": "tx", "target": "{target}", "reason": "aml", "legal_basis": "{basis}"}}"#
            )),
        ),
        400,
        "bad_request",
        "transaction hash",
    );
    expect_error(
        http("POST", &proposals, Some(&t_out), Some(&freeze)),
        422,
        "rejected",
        "Unauthorized",
    );
    expect_error(
        http(
            "POST",
            &proposals,
            Some(&t1),
            Some(&freeze.replace(target, &r2)),
        ),
        422,
        "rejected",
        "TargetNotFreezable",
    );
    expect_error(
        http(
            "POST",
            &format!("{proposals}/9/votes"),
            Some(&t2),
            Some(r#"{"agree": true}"#),
        ),
        422,
        "rejected",
        "NotFound: proposal 9 not found",
    );
    expect_error(
        http("POST", &proposals, None, Some(&freeze)),
        401,
        "unauthorized",
        "Bearer",
    );
    assert_eq!(
        nonces(&[&r1, &r2, &outsider]),
        before,
        "a refusal submitted"
    );

    // A freeze proposed by one regulator and voted by the other (2 of 2 ≥ 66 %).
    let proposed = accepted(&rpc_url, &proposals, &t1, &freeze);
    assert_eq!(lower_str(&proposed["from"]), r1);
    let id = proposed["proposal_id"].as_u64().expect("the proposal id");
    let shown = get(&format!("{proposals}/{id}"));
    assert_eq!(shown["status"], "open", "{shown}");
    assert_eq!(shown["spec"]["direction"], "outbound", "{shown}");
    assert_eq!(
        (&shown["votes"]["needed"], &shown["votes"]["members"]),
        (&json!(2), &json!(2))
    );
    accepted(
        &rpc_url,
        &format!("{proposals}/{id}/votes"),
        &t2,
        r#"{"agree": true}"#,
    );
    let frozen = get(&format!(
        "{api}/v1/supervision/frozen?kind=account&target={target}"
    ));
    assert_eq!(frozen["frozen"], true, "{frozen}");
    let order = frozen["order_id"].as_u64().unwrap();
    expect_error(
        http(
            "POST",
            &format!("{proposals}/{id}/votes"),
            Some(&t1),
            Some(r#"{"agree": false}"#),
        ),
        422,
        "rejected",
        "is executed",
    );

    // An emergency freeze: one regulator, at once, the order id in the answer.
    let method = format!(
        r#"{{"kind": "method", "target": "{target}", "selector": "0xa9059cbb", "reason": "fraud", "legal_basis": "{basis}"}}"#
    );
    let emergency = accepted(
        &rpc_url,
        &format!("{api}/v1/supervision/emergency"),
        &t2,
        &method,
    );
    let emergency_order = emergency["order_id"].as_u64().expect("the order id");
    let shown = get(&format!("{api}/v1/supervision/orders/{emergency_order}"));
    assert_eq!(
        (
            &shown["emergency"],
            &shown["kind"],
            &shown["selector"],
            &shown["active"]
        ),
        (
            &json!(true),
            &json!("method"),
            &json!("0xa9059cbb"),
            &json!(true)
        ),
        "{shown}"
    );
    assert!(shown["expires_at"].as_u64().unwrap() > 7_000, "{shown}");

    // Lifted through the gateway.
    let lift = format!(r#"{{"kind": "lift", "order_id": {order}}}"#);
    let lifted = accepted(&rpc_url, &proposals, &t2, &lift);
    let lift_id = lifted["proposal_id"].as_u64().unwrap();
    accepted(
        &rpc_url,
        &format!("{proposals}/{lift_id}/votes"),
        &t1,
        r#"{"agree": true}"#,
    );
    let frozen = get(&format!(
        "{api}/v1/supervision/frozen?kind=account&target={target}"
    ));
    assert_eq!(frozen["frozen"], false, "{frozen}");
    let history = get(&format!("{api}/v1/supervision/history?target={target}"));
    assert_eq!(
        names(&history["events"]),
        [
            "FreezeProposed",
            "Voted",
            "Voted",
            "SubjectNotified",
            "FreezeActivated",
            "SubjectNotified",
            "EmergencyFreezeActivated",
            "LiftProposed",
            "Voted",
            "Voted",
            "OrderLifted"
        ],
        "{history}"
    );
    drop(node);
}

fn lower_str(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_lowercase()
}

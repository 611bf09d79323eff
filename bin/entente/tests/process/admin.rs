//! `entente admin` end to end: a 4-validator `entente dev` network governed with the
//! real binary (registries, bad input, refusals by name, a proposal voted until it
//! executes, a revoked proposal, account management), then the ethers governance
//! script against the same network.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use entente_primitives::LocalSigner;
use serde_json::{Value, json};

use crate::common::*;

/// A running `entente dev` network and what it wrote to `dev.json` (shared with the
/// supervision tests).
pub(crate) struct Dev {
    pub(crate) proc: Proc,
    pub(crate) info: Value,
    pub(crate) data: PathBuf,
}

impl Dev {
    pub(crate) fn url(&self, node: usize) -> String {
        self.info["nodes"][node]["rpc_http"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The node's REST base URL.
    pub(crate) fn api(&self, node: usize) -> String {
        self.info["nodes"][node]["api"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The admin key file `entente dev` wrote for organisation `i`.
    pub(crate) fn admin_key(&self, i: usize) -> String {
        let path = self
            .data
            .join("network")
            .join(format!("org{i}"))
            .join("admin.key");
        assert!(path.exists(), "no admin key at {}", path.display());
        path.to_str().unwrap().to_string()
    }

    pub(crate) fn dev_key(&self, i: usize) -> String {
        self.info["accounts"][i]["private_key"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub(crate) fn dev_address(&self, i: usize) -> String {
        self.info["accounts"][i]["address"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

pub(crate) fn start_dev(dir: &Scratch, base: u16) -> Dev {
    let data = dir.0.join("dev");
    let info_path = data.join("dev.json");
    let (rpc, api, p2p) = (
        base.to_string(),
        (base + 10).to_string(),
        (base + 20).to_string(),
    );
    let args = [
        "dev",
        "--data-dir",
        data.to_str().unwrap(),
        "--validators",
        "4",
        "--rpc-port",
        &rpc,
        "--api-port",
        &api,
        "--p2p-port",
        &p2p,
    ];
    let proc = Proc::spawn(&args, &dir.0.join("dev.log"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !info_path.exists() {
        assert!(
            Instant::now() < deadline,
            "dev.json never written\n{}",
            proc.log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(200));
    let info = serde_json::from_str(&std::fs::read_to_string(&info_path).unwrap()).unwrap();
    Dev { proc, info, data }
}

/// What one `entente admin` run did.
pub(crate) struct Run {
    pub(crate) ok: bool,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ok: {}\n--- stdout\n{}--- stderr\n{}",
            self.ok, self.stdout, self.stderr
        )
    }
}

/// Runs `entente admin --rpc <rpc> <args>` (waiting at most 30 s for a receipt).
pub(crate) fn admin(rpc: &str, args: &[&str]) -> Run {
    let output = Command::new(entente())
        .args(["admin", "--rpc", rpc, "--wait", "30"])
        .args(args)
        .output()
        .expect("run entente admin");
    Run {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs a command that must succeed.
pub(crate) fn admin_ok(rpc: &str, args: &[&str]) -> Run {
    let run = admin(rpc, args);
    assert!(run.ok, "entente admin {args:?} failed\n{run}");
    run
}

/// Runs a command that must succeed with `--json`, and parses its output.
fn admin_json(rpc: &str, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    let run = admin_ok(rpc, &args);
    serde_json::from_str(&run.stdout).unwrap_or_else(|err| panic!("{err}: not JSON\n{run}"))
}

/// Runs a command that must fail, with every one of `words` in its error output.
fn admin_refused(rpc: &str, args: &[&str], words: &[&str]) -> Run {
    let run = admin(rpc, args);
    assert!(!run.ok, "entente admin {args:?} succeeded\n{run}");
    for word in words {
        assert!(
            run.stderr.contains(word),
            "entente admin {args:?}: error does not mention {word:?}\n{run}"
        );
    }
    run
}

/// `args` followed by `--key-file key_file`.
fn keyed<'a>(key_file: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--key-file", key_file]);
    all
}

fn nonce(rpc: &str, address: &str) -> u64 {
    quantity(&rpc_call(
        rpc,
        "eth_getTransactionCount",
        json!([address, "pending"]),
    ))
}

fn rpc_call(url: &str, method: &str, params: Value) -> Value {
    crate::common::rpc(url, method, params).unwrap_or_else(|err| panic!("{method}: {err}"))
}

#[test]
fn admin_cli_and_ethers_govern_a_dev_network() {
    let dir = Scratch::new("admin-cli");
    let base = free_ports(30);
    let dev = start_dev(&dir, base);
    let rpc = dev.url(0);
    assert!(
        wait_for_height(&rpc, 1, Duration::from_secs(60)),
        "no blocks\n{}",
        dev.proc.log_text()
    );

    let admins = registries(&dev);
    bad_input_sends_nothing(&dev, &admins[0]);
    outsiders_are_refused_by_name(&dev);
    a_proposal_passes_when_enough_orgs_vote(&dev);
    a_proposal_is_revoked_by_its_proposer_only(&dev);
    an_organisation_joins(&dev);
    org_admins_manage_their_accounts(&dev);
    ethers_script_governs(&dev);
    ethers_script_uses_a_native_asset(&dev);
}

/// `orgs`, `validators` and `params` read the genesis registries; returns the admin
/// addresses of org0..org3.
fn registries(dev: &Dev) -> Vec<String> {
    let rpc = dev.url(1);
    let orgs = admin_json(&rpc, &["orgs"]);
    let orgs = orgs.as_array().unwrap();
    assert_eq!(orgs.len(), 4, "{orgs:?}");
    for (i, org) in orgs.iter().enumerate() {
        assert_eq!(org["id"], format!("org{i}"));
        assert_eq!(org["status"], "active");
        assert_eq!(org["weight"], 1);
    }
    let admins: Vec<String> = orgs
        .iter()
        .map(|org| org["admin"].as_str().unwrap().to_lowercase())
        .collect();
    // Each org's admin.key signs as that org's admin.
    for (i, admin) in admins.iter().enumerate() {
        let key = std::fs::read_to_string(dev.admin_key(i)).unwrap();
        let signer = LocalSigner::from_hex(&key).unwrap();
        assert_eq!(&format!("{:#x}", signer.address()), admin);
    }
    let validators = admin_json(&rpc, &["validators"]);
    assert_eq!(validators.as_array().unwrap().len(), 4, "{validators}");
    assert_eq!(validators[0]["org"], "org0");
    assert_eq!(validators[0]["fromEpoch"], 0);
    let params = admin_json(&rpc, &["params"]);
    assert_eq!(params["permissioned"], true);
    assert_eq!(params["governance.approval_pct"], 67);
    // The text forms are tables and lists with names, not codes.
    let text = admin_ok(&rpc, &["orgs"]).stdout;
    assert!(
        text.starts_with("ID") && text.contains("Organisation 3") && text.contains("active"),
        "{text}"
    );
    let text = admin_ok(&rpc, &["validators"]).stdout;
    assert_eq!(text.lines().count(), 5, "{text}");
    admins
}

/// Malformed arguments, a missing or bad key and a parameter the module does not know
/// are refused with a clear message, and nothing is sent.
fn bad_input_sends_nothing(dev: &Dev, admin0: &str) {
    const FEE: &str = "0x52908400098527886e0f7030069857d2e4169ee7";
    fn add_validator<'a>(key: &'a str, p2p: &'a str) -> Vec<&'a str> {
        let mut args = vec!["propose", "add-validator", "--public-key", key];
        args.extend(["--org", "org1", "--fee-recipient", FEE, "--p2p", p2p]);
        args
    }
    let rpc = dev.url(0);
    let key0 = dev.admin_key(0);
    let before = nonce(&rpc, admin0);
    let validator_key = admin_json(&rpc, &["validators"])[0]["publicKey"]
        .as_str()
        .unwrap()
        .to_string();
    let add_org = [
        "propose", "add-org", "--id", "org9", "--name", "Nine", "--admin",
    ];
    // (arguments, with --key-file of org0 appended; words the error must contain)
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        (
            [&add_org[..], &["0xnotanaddress"]].concat(),
            &["not an address"],
        ),
        (
            [
                &add_org[..],
                &["0x52908400098527886E0F7030069857D2E4169Ee7"],
            ]
            .concat(),
            &["checksum"],
        ),
        (
            vec![
                "propose",
                "set-org-status",
                "--id",
                "org1",
                "--status",
                "frozen",
            ],
            &["frozen", "active, suspended, removed"],
        ),
        (add_validator("0x1234", "127.0.0.1:1"), &["--public-key"]),
        (
            add_validator(&validator_key, "validator.example:30300"),
            &["ip:port"],
        ),
        (vec!["vote", "0"], &["--agree"]),
        (vec!["vote", "0", "--agree", "--against"], &["--against"]),
        (
            vec!["register-account", FEE, "--roles", "member,"],
            &["role \"\" must be 1 to 32 bytes"],
        ),
        (
            vec!["propose", "set-param", "governance.ttl", "ten"],
            &["not a number"],
        ),
        // Well-formed, but the module refuses: named from eth_estimateGas, not sent.
        (
            vec!["propose", "set-param", "governance.no_such_param", "5"],
            &["InvalidInput", "unknown parameter"],
        ),
        (vec!["vote", "7", "--agree"], &["NotFound", "proposal 7"]),
    ];
    for (args, words) in cases {
        admin_refused(&rpc, &keyed(&key0, &args), words);
    }
    // No key, an unreadable or malformed key, a URL that is not http://.
    admin_refused(
        &rpc,
        &["vote", "0", "--agree"],
        &["signing key", "--key-file"],
    );
    admin_refused(
        &rpc,
        &["revoke", "0", "--key-file", "/nonexistent/admin.key"],
        &["cannot read the key file"],
    );
    admin_refused(&rpc, &["revoke", "0", "--key", "0xnothex"], &["secret key"]);
    admin_refused("ftp://127.0.0.1:1", &["orgs"], &["http://"]);
    assert_eq!(
        nonce(&rpc, admin0),
        before,
        "a refused command sent something"
    );
    assert_eq!(admin_json(&rpc, &["list"]), json!([]));
}

/// A key nobody registered, and a registered member that is not an org admin, cannot
/// propose: `Unauthorized` by name, with the reason, and nothing sent.
fn outsiders_are_refused_by_name(dev: &Dev) {
    let rpc = dev.url(2);
    let stranger = LocalSigner::random();
    let args = [
        "propose",
        "set-param",
        "governance.proposal_ttl_blocks",
        "5000",
        "--key",
        &stranger.secret_hex(),
    ];
    admin_refused(&rpc, &args, &["Unauthorized", "not a registered account"]);
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let run = admin_refused(&rpc, &json_args, &["Unauthorized"]);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["error"]["name"], "Unauthorized");
    assert_eq!(
        doc["error"]["caller"].as_str().unwrap().to_lowercase(),
        format!("{:#x}", stranger.address())
    );
    assert_eq!(nonce(&rpc, &format!("{:#x}", stranger.address())), 0);

    let member = dev.dev_key(0);
    let before = nonce(&rpc, &dev.dev_address(0));
    admin_refused(
        &rpc,
        &[
            "propose",
            "appoint-regulator",
            &dev.dev_address(1),
            "--key",
            &member,
        ],
        &["Unauthorized", "not an organisation admin"],
    );
    assert_eq!(nonce(&rpc, &dev.dev_address(0)), before);
}

/// org0 proposes a parameter change (voting agree itself); org1 agrees; a second vote
/// is refused by name; org2's agreement reaches 3 of 4 ≥ 67% and executes it.
fn a_proposal_passes_when_enough_orgs_vote(dev: &Dev) {
    let rpc = dev.url(0);
    let (k0, k1, k2, k3) = (
        dev.admin_key(0),
        dev.admin_key(1),
        dev.admin_key(2),
        dev.admin_key(3),
    );
    let ttl = "governance.proposal_ttl_blocks";
    let created = admin_json(
        &rpc,
        &["propose", "set-param", ttl, "5000", "--key-file", &k0],
    );
    assert_eq!(created["ok"], true, "{created}");
    assert_eq!(created["proposal"], 0, "{created}");
    assert!(created["block"].as_u64().unwrap() > 0);
    let names: Vec<&str> = created["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ProposalCreated", "Voted"], "{created}");
    assert_eq!(created["events"][0]["kind"], "SetParam");
    assert_eq!(created["events"][1]["org"], "org0");
    // An open proposal for the same target cannot be made twice.
    admin_refused(
        &rpc,
        &["propose", "set-param", ttl, "6000", "--key-file", &k1],
        &["OpenProposalExists", "id: 0"],
    );

    let listed = admin_ok(&rpc, &["list", "--open"]).stdout;
    assert!(
        listed.contains("SetParam")
            && listed.contains("open")
            && listed.contains("governance.proposal_ttl_blocks = 5000"),
        "{listed}"
    );

    let voted = admin_ok(&dev.url(3), &["vote", "0", "--agree", "--key-file", &k1]).stdout;
    assert!(voted.contains("org1 voted agree on proposal 0"), "{voted}");
    assert!(!voted.contains("executed"), "{voted}");
    admin_refused(
        &rpc,
        &["vote", "0", "--agree", "--key-file", &k1],
        &["AlreadyVoted", "org: \"org1\""],
    );
    admin_refused(
        &rpc,
        &["vote", "0", "--against", "--key-file", &k0],
        &["AlreadyVoted", "org: \"org0\""],
    );
    let shown = admin_ok(&rpc, &["show", "0"]).stdout;
    for expected in [
        "kind         SetParam (7)",
        "status       open (1)",
        "proposer     org0",
        "agree 2, against 0, of 4",
        "3 agree needed",
        "key          governance.proposal_ttl_blocks",
        "value        5000",
    ] {
        assert!(shown.contains(expected), "missing {expected:?}\n{shown}");
    }

    let executed = admin_ok(&rpc, &["vote", "0", "--agree", "--key-file", &k2]).stdout;
    for expected in [
        "org2 voted agree on proposal 0",
        "parameter governance.proposal_ttl_blocks = 5000",
        "proposal 0 executed",
    ] {
        assert!(
            executed.contains(expected),
            "missing {expected:?}\n{executed}"
        );
    }

    let shown = admin_json(&rpc, &["show", "0"]);
    assert_eq!(shown["status"], "executed", "{shown}");
    assert_eq!(shown["agreeWeight"], 3);
    assert_eq!(shown["totalWeight"], 4);
    assert_eq!(shown["payload"]["change"]["key"], ttl);
    assert_eq!(shown["payload"]["change"]["value"], "5000");
    let voters: Vec<&str> = shown["votes"]
        .as_array()
        .unwrap_or_else(|| panic!("votes unavailable: {shown}"))
        .iter()
        .map(|v| v["org"].as_str().unwrap())
        .collect();
    assert_eq!(voters, ["org0", "org1", "org2"]);
    assert_eq!(admin_json(&rpc, &["params"])[ttl], 5000);
    let open = admin_ok(&rpc, &["list", "--open"]).stdout;
    assert!(open.contains("no open proposals"), "{open}");
    let all = admin_ok(&rpc, &["list"]).stdout;
    assert!(all.contains("executed"), "{all}");
    admin_refused(
        &rpc,
        &["vote", "0", "--agree", "--key-file", &k3],
        &["ProposalNotOpen", "executed"],
    );
}

/// Only the proposing organisation may revoke its open proposal.
fn a_proposal_is_revoked_by_its_proposer_only(dev: &Dev) {
    let rpc = dev.url(1);
    let (k0, k1) = (dev.admin_key(0), dev.admin_key(1));
    let regulator = dev.dev_address(1);
    let created = admin_ok(
        &rpc,
        &[
            "propose",
            "appoint-regulator",
            &regulator,
            "--key-file",
            &k0,
        ],
    )
    .stdout;
    assert!(
        created.contains("proposal 1 created: AppointRegulator by org0"),
        "{created}"
    );
    admin_refused(
        &rpc,
        &["revoke", "1", "--key-file", &k1],
        &["Unauthorized", "only the proposing organisation"],
    );
    let revoked = admin_ok(&rpc, &["revoke", "1", "--key-file", &k0]).stdout;
    assert!(revoked.contains("proposal 1 revoked"), "{revoked}");
    let shown = admin_json(&rpc, &["show", "1"]);
    assert_eq!(shown["status"], "revoked");
    assert_eq!(shown["kind"], "AppointRegulator");
    assert_eq!(
        shown["payload"]["change"]["account"]
            .as_str()
            .unwrap()
            .to_lowercase(),
        regulator.to_lowercase()
    );
    let account = admin_json(&rpc, &["account", &regulator]);
    assert!(
        !account["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("regulator")),
        "{account}"
    );
}

/// org1 proposes a new organisation; with org2 and org3 it passes, and the new org's
/// admin acts at once.
fn an_organisation_joins(dev: &Dev) {
    let rpc = dev.url(3);
    let admin4 = LocalSigner::random();
    let address4 = format!("{:#x}", admin4.address());
    let created = admin_ok(
        &rpc,
        &[
            "propose",
            "add-org",
            "--id",
            "org4",
            "--name",
            "Organisation Four",
            "--admin",
            &address4,
            "--key-file",
            &dev.admin_key(1),
        ],
    )
    .stdout;
    assert!(
        created.contains("proposal 2 created: AddOrg by org1"),
        "{created}"
    );
    let listed = admin_ok(&rpc, &["list", "--open"]).stdout;
    assert!(
        listed.contains("add org4 \"Organisation Four\"") && listed.contains("weight 1"),
        "{listed}"
    );
    admin_ok(
        &rpc,
        &["vote", "2", "--agree", "--key-file", &dev.admin_key(2)],
    );
    let executed = admin_ok(
        &rpc,
        &["vote", "2", "--agree", "--key-file", &dev.admin_key(3)],
    )
    .stdout;
    for expected in [
        "organisation org4 added: \"Organisation Four\"",
        "registered in org4",
        "role admin granted",
        "proposal 2 executed",
    ] {
        assert!(
            executed.contains(expected),
            "missing {expected:?}\n{executed}"
        );
    }
    let orgs = admin_json(&rpc, &["orgs"]);
    assert_eq!(orgs.as_array().unwrap().len(), 5, "{orgs}");
    assert_eq!(orgs[4]["id"], "org4");
    assert_eq!(orgs[4]["admin"].as_str().unwrap().to_lowercase(), address4);
    // The new admin registers an account of its own organisation.
    let member = format!("{:#x}", LocalSigner::random().address());
    admin_ok(
        &rpc,
        &[
            "register-account",
            &member,
            "--roles",
            "member",
            "--key",
            &admin4.secret_hex(),
        ],
    );
    assert_eq!(admin_json(&rpc, &["account", &member])["org"], "org4");
}

/// org1's admin registers an account, grants and revokes a role and suspends it; another
/// org's admin cannot touch it, and `regulator` is the committee's alone.
fn org_admins_manage_their_accounts(dev: &Dev) {
    let rpc = dev.url(2);
    let (k0, k1) = (dev.admin_key(0), dev.admin_key(1));
    let account = format!("{:#x}", LocalSigner::random().address());
    admin_refused(&rpc, &["account", &account], &["NotFound"]);
    let registered = admin_ok(
        &rpc,
        &[
            "register-account",
            &account,
            "--roles",
            "member,auditor",
            "--key-file",
            &k1,
        ],
    )
    .stdout;
    assert!(registered.contains("registered in org1"), "{registered}");
    assert!(registered.contains("role auditor granted"), "{registered}");
    let shown = admin_json(&rpc, &["account", &account]);
    assert_eq!(shown["org"], "org1");
    assert_eq!(shown["status"], "active");
    assert_eq!(shown["roles"], json!(["member", "auditor"]));

    admin_ok(
        &rpc,
        &["grant-role", &account, "deployer", "--key-file", &k1],
    );
    admin_refused(
        &rpc,
        &["grant-role", &account, "deployer", "--key-file", &k1],
        &["AlreadyExists"],
    );
    admin_refused(
        &rpc,
        &["revoke-role", &account, "member", "--key-file", &k0],
        &["Unauthorized", "belongs to another organisation"],
    );
    admin_refused(
        &rpc,
        &["grant-role", &account, "regulator", "--key-file", &k1],
        &["Unauthorized", "governance only"],
    );
    let revoked = admin_ok(
        &rpc,
        &["revoke-role", &account, "auditor", "--key-file", &k1],
    )
    .stdout;
    assert!(revoked.contains("role auditor revoked"), "{revoked}");
    let suspended = admin_ok(
        &rpc,
        &[
            "set-account-status",
            &account,
            "suspended",
            "--key-file",
            &k1,
        ],
    )
    .stdout;
    assert!(suspended.contains("is now suspended"), "{suspended}");
    let shown = admin_json(&rpc, &["account", &account]);
    assert_eq!(shown["status"], "suspended");
    assert_eq!(shown["roles"], json!(["member", "deployer"]));
}

/// e2e/clients/assets.mjs (ethers v6, OpenZeppelin's ERC20 ABI, a SafeERC20 contract)
/// against the same network: a native asset works as an ERC-20 token.
fn ethers_script_uses_a_native_asset(dev: &Dev) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e/clients");
    let output = Command::new("node")
        .arg(root.join("assets.mjs"))
        .current_dir(&root)
        .env("ENTENTE_RPC_HTTP", dev.url(2))
        .env("ENTENTE_CHAIN_ID", "1337")
        .env("ENTENTE_PRIVATE_KEY", dev.dev_key(5))
        .env("ENTENTE_PRIVATE_KEY_2", dev.dev_key(6))
        .output()
        .expect("run node (Node.js 20 is required)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("ALL OK"),
        "assets.mjs failed:\n{stdout}\n{}\nnode log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        dev.proc.log_text()
    );
    // The asset the script created is in the registry.
    let count = rpc(
        &dev.url(0),
        "eth_call",
        json!([{"to": "0x0000000000000000000000000000000000e17e03", "data": "0xeafe7a74"}, "latest"]),
    )
    .unwrap();
    assert_eq!(quantity(&count), 1, "{count}");
}

/// e2e/clients/governance.mjs (ethers v6) against the same network.
fn ethers_script_governs(dev: &Dev) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e/clients");
    assert!(
        root.join("node_modules").join("ethers").exists(),
        "client dependencies are missing: run e2e/clients/install.sh (scripts/test does)"
    );
    let keys: Vec<String> = (0..4)
        .map(|i| {
            std::fs::read_to_string(dev.admin_key(i))
                .unwrap()
                .trim()
                .to_string()
        })
        .collect();
    let output = Command::new("node")
        .arg(root.join("governance.mjs"))
        .current_dir(&root)
        .env("ENTENTE_RPC_HTTP", dev.url(3))
        .env("ENTENTE_CHAIN_ID", "1337")
        .env("ENTENTE_ADMIN_KEYS", keys.join(","))
        .env("ENTENTE_PRIVATE_KEY", dev.dev_key(2))
        .output()
        .expect("run node (Node.js 20 is required)");
    assert!(
        output.status.success(),
        "governance.mjs failed:\n{}\n{}\nnode log:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        dev.proc.log_text()
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("ALL OK"), "{stdout}");
    // The script's proposal (ttl + 1) is visible to the CLI.
    let params = admin_json(&dev.url(0), &["params"]);
    assert_eq!(params["governance.proposal_ttl_blocks"], 5001, "{params}");
    let last = admin_json(&dev.url(0), &["show", "3"]);
    assert_eq!(last["status"], "executed", "{last}");
}

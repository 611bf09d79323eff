//! `entente dev` end to end: the one-command consortium, real Ethereum clients against
//! it (ethers, cast, web3.py), bad input, Ctrl-C, resume and reset.

use std::time::{Duration, Instant};

use alloy_consensus::{TxEip1559, TxLegacy};
use alloy_primitives::{Address, Bytes, TxKind, U256};
use entente_consensus::FinalityProof;
use entente_primitives::{Header, LocalSigner};
use serde_json::{Value, json};

use crate::common::*;

pub(crate) struct Dev {
    pub(crate) proc: Proc,
    pub(crate) info: Value,
}

pub(crate) fn start_dev(dir: &Scratch, base: u16, extra: &[&str]) -> Dev {
    let data = dir.0.join("dev");
    let info_path = data.join("dev.json");
    let _ = std::fs::remove_file(&info_path);
    let log = dir.0.join(format!(
        "dev-{}.log",
        Instant::now().elapsed().as_nanos() + base as u128 + extra.len() as u128
    ));
    let base_s = base.to_string();
    let api = (base + 10).to_string();
    let p2p = (base + 20).to_string();
    let mut args = vec![
        "dev",
        "--data-dir",
        data.to_str().unwrap(),
        "--rpc-port",
        &base_s,
        "--api-port",
        &api,
        "--p2p-port",
        &p2p,
    ];
    args.extend_from_slice(extra);
    let proc = Proc::spawn(&args, &log);
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
    let info: Value = serde_json::from_str(&std::fs::read_to_string(&info_path).unwrap()).unwrap();
    Dev { proc, info }
}

pub(crate) fn url(dev: &Dev, node: usize) -> String {
    dev.info["nodes"][node]["rpc_http"]
        .as_str()
        .unwrap()
        .to_string()
}

fn signer(dev: &Dev, i: usize) -> LocalSigner {
    LocalSigner::from_hex(dev.info["accounts"][i]["private_key"].as_str().unwrap()).unwrap()
}

#[test]
fn dev_network_serves_real_clients_and_refuses_bad_input() {
    let dir = Scratch::new("dev-clients");
    let base = free_ports(30);
    let dev = start_dev(&dir, base, &["--validators", "4"]);
    assert_eq!(dev.info["chain_id"], 1337);
    assert_eq!(dev.info["accounts"].as_array().unwrap().len(), 10);
    assert_eq!(dev.info["nodes"].as_array().unwrap().len(), 4);
    let node0 = url(&dev, 0);
    assert!(
        wait_for_height(&node0, 2, Duration::from_secs(60)),
        "no blocks\n{}",
        dev.proc.log_text()
    );

    bad_input_changes_nothing(&dev);
    finality_certificates_verify_offline(&dev);
    metrics_show_the_storage_memory(&dev);

    // Real clients: ethers v6, Foundry cast and web3.py (installed by scripts/test).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e/clients");
    assert!(
        root.join("node_modules").exists() && root.join(".venv").exists(),
        "client dependencies are missing: run e2e/clients/install.sh (scripts/test does)"
    );
    let output = std::process::Command::new("bash")
        .arg(root.join("run_all.sh"))
        .env("ENTENTE_RPC_HTTP", &node0)
        .env(
            "ENTENTE_RPC_WS",
            dev.info["nodes"][0]["rpc_ws"].as_str().unwrap(),
        )
        .env("ENTENTE_CHAIN_ID", "1337")
        .env(
            "ENTENTE_PRIVATE_KEY",
            dev.info["accounts"][2]["private_key"].as_str().unwrap(),
        )
        .env(
            "ENTENTE_PRIVATE_KEY_2",
            dev.info["accounts"][3]["private_key"].as_str().unwrap(),
        )
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "client scripts failed:\n{}\n{}\nnode log:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        dev.proc.log_text()
    );
}

/// `/metrics` reports what the storage engine holds in memory, within its configured
/// bounds.
fn metrics_show_the_storage_memory(dev: &Dev) {
    let api = dev.info["nodes"][1]["api"].as_str().unwrap();
    let text = curl_get(&format!("{api}/metrics")).expect("metrics");
    let gauge = |name: &str| -> u64 {
        let line = text
            .lines()
            .find(|line| line.split(' ').next() == Some(name))
            .unwrap_or_else(|| panic!("no {name} in\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    // Committed blocks sit in the engine's memory tables and journal until a flush.
    assert!(gauge("entente_storage_write_buffer_bytes") > 0, "{text}");
    assert!(gauge("entente_storage_journal_bytes") > 0, "{text}");
    // The default [storage] cache_mib.
    assert_eq!(
        gauge("entente_storage_block_cache_capacity_bytes"),
        32 * 1024 * 1024,
        "{text}"
    );
    assert!(
        gauge("entente_storage_block_cache_bytes")
            <= gauge("entente_storage_block_cache_capacity_bytes")
    );
    // Table files exist once a memory table has been flushed; their filters and
    // indexes are pinned only then.
    gauge("entente_storage_pinned_bytes");
    // Genesis accounts are read for every block built.
    assert!(gauge("entente_state_cache_keys") > 0, "{text}");
}

/// The REST certificate of a block verifies against the validator set alone, and names
/// the block the JSON-RPC reports.
fn finality_certificates_verify_offline(dev: &Dev) {
    let api = dev.info["nodes"][2]["api"].as_str().unwrap();
    let doc: Value = serde_json::from_str(
        &curl_get(&format!("{api}/v1/blocks/1/finalization")).expect("REST certificate"),
    )
    .unwrap();
    let validators: Vec<_> = doc["validators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| entente_chainspec::decode_public_key(v.as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(validators.len(), 4);
    let header = |hex: &Value| Header::from_bytes(&hex_bytes(hex.as_str().unwrap())).unwrap();
    let block_header = header(&doc["header"]);
    let hash = doc["hash"].as_str().unwrap();
    assert_eq!(
        entente_primitives::digest_to_b256(&block_header.digest()),
        hash.parse::<alloy_primitives::B256>().unwrap()
    );
    let proof = FinalityProof {
        certificate: hex_bytes(doc["certificate"].as_str().unwrap()),
        descendants: doc["descendants"]
            .as_array()
            .unwrap()
            .iter()
            .map(header)
            .collect(),
    };
    let verified = entente_consensus::verify_finality(&block_header, &proof, &validators)
        .expect("finality proof verifies");
    assert!(verified.signers.len() >= 3, "a quorum of 2f+1 = 3 signed");
    let certificate = proof.certificate.clone();
    // The digest the certificate signs: block 1's, or the certified descendant's.
    let digest = proof
        .descendants
        .last()
        .map_or(block_header.digest(), Header::digest);
    let block = rpc(&url(dev, 0), "eth_getBlockByNumber", json!(["0x1", false])).unwrap();
    assert_eq!(block["hash"], doc["hash"]);
    // The same proof through JSON-RPC.
    let via_rpc = rpc(&url(dev, 1), "entente_getFinalization", json!(["0x1"])).unwrap();
    assert_eq!(via_rpc["hash"], doc["hash"]);
    assert_eq!(via_rpc["header"], doc["header"]);
    // A broken link between the block and the certified descendant is refused.
    if let Some(first) = proof.descendants.first() {
        let mut broken = proof.clone();
        broken.descendants[0].timestamp_ms = first.timestamp_ms + 1;
        assert!(entente_consensus::verify_finality(&block_header, &broken, &validators).is_err());
    }
    // A flipped byte breaks it; another block's hash does not match it.
    let mut tampered = certificate.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert!(entente_consensus::verify_finalization(&tampered, &validators, &digest).is_err());
    let other = entente_primitives::b256_to_digest(&alloy_primitives::B256::repeat_byte(1));
    assert!(entente_consensus::verify_finalization(&certificate, &validators, &other).is_err());
    // Unknown blocks and bad ids get clear REST errors.
    let missing: Value =
        serde_json::from_str(&curl_get(&format!("{api}/v1/blocks/999999/finalization")).unwrap())
            .unwrap();
    assert_eq!(missing["error"]["code"], "not_found");
    let bad: Value =
        serde_json::from_str(&curl_get(&format!("{api}/v1/blocks/nonsense")).unwrap()).unwrap();
    assert_eq!(bad["error"]["code"], "bad_request");
}

/// Malformed or unacceptable requests get clear errors and change no state.
fn bad_input_changes_nothing(dev: &Dev) {
    let node = url(dev, 1);
    let account = signer(dev, 0);
    let address = format!("{:#x}", account.address());
    let nonce_before = rpc(&node, "eth_getTransactionCount", json!([address, "latest"])).unwrap();

    // Not JSON at all.
    let body = raw_post(&node, "{this is not json").unwrap();
    let reply: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(reply["error"]["code"], -32700, "{reply}");

    // Unknown method, wrong parameter types.
    assert_eq!(
        rpc(&node, "eth_noSuchMethod", json!([])).unwrap_err()["code"],
        -32601
    );
    assert_eq!(
        rpc(&node, "eth_getBalance", json!(["0x12", "latest"])).unwrap_err()["code"],
        -32602
    );

    // Malformed raw transactions.
    let err = rpc(&node, "eth_sendRawTransaction", json!(["0xdeadbeef"])).unwrap_err();
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("invalid transaction"),
        "{err}"
    );
    let err = rpc(&node, "eth_sendRawTransaction", json!(["not hex"])).unwrap_err();
    assert_eq!(err["code"], -32602, "{err}");

    // Signed for another chain.
    let tx = account
        .sign(TxLegacy {
            chain_id: Some(1),
            nonce: 0,
            gas_price: 0,
            gas_limit: 21_000,
            to: TxKind::Call(Address::repeat_byte(1)),
            value: U256::from(1),
            input: Bytes::new(),
        })
        .unwrap();
    let err = rpc(&node, "eth_sendRawTransaction", json!([tx.raw.to_string()])).unwrap_err();
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("invalid chain id"),
        "{err}"
    );

    // Gas above the block limit; more value than the balance.
    let too_much_gas = account
        .sign(TxEip1559 {
            chain_id: 1337,
            nonce: 0,
            gas_limit: 2_000_000_000,
            max_fee_per_gas: 0,
            max_priority_fee_per_gas: 0,
            to: TxKind::Call(Address::repeat_byte(1)),
            value: U256::ZERO,
            access_list: Default::default(),
            input: Bytes::new(),
        })
        .unwrap();
    let err = rpc(
        &node,
        "eth_sendRawTransaction",
        json!([too_much_gas.raw.to_string()]),
    )
    .unwrap_err();
    assert!(
        err["message"].as_str().unwrap().contains("gas limit"),
        "{err}"
    );
    let too_rich = account
        .sign(TxEip1559 {
            chain_id: 1337,
            nonce: 0,
            gas_limit: 21_000,
            max_fee_per_gas: 0,
            max_priority_fee_per_gas: 0,
            to: TxKind::Call(Address::repeat_byte(1)),
            value: U256::MAX,
            access_list: Default::default(),
            input: Bytes::new(),
        })
        .unwrap();
    let err = rpc(
        &node,
        "eth_sendRawTransaction",
        json!([too_rich.raw.to_string()]),
    )
    .unwrap_err();
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("insufficient funds"),
        "{err}"
    );

    // A nonce far ahead waits in the pool; sending it again is "already known".
    let nonce: u64 = quantity(&nonce_before);
    let future = account
        .sign(TxEip1559 {
            chain_id: 1337,
            nonce: nonce + 50,
            gas_limit: 21_000,
            max_fee_per_gas: 0,
            max_priority_fee_per_gas: 0,
            to: TxKind::Call(Address::repeat_byte(1)),
            value: U256::from(1),
            access_list: Default::default(),
            input: Bytes::new(),
        })
        .unwrap();
    rpc(
        &node,
        "eth_sendRawTransaction",
        json!([future.raw.to_string()]),
    )
    .unwrap();
    let err = rpc(
        &node,
        "eth_sendRawTransaction",
        json!([future.raw.to_string()]),
    )
    .unwrap_err();
    assert_eq!(err["message"], "already known", "{err}");

    // A signature that recovers to nobody.
    let unsigned = TxEip1559 {
        chain_id: 1337,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 0,
        max_priority_fee_per_gas: 0,
        to: TxKind::Call(Address::repeat_byte(1)),
        value: U256::from(1),
        access_list: Default::default(),
        input: Bytes::new(),
    };
    let forged: alloy_consensus::TxEnvelope = alloy_consensus::SignableTransaction::into_signed(
        unsigned,
        alloy_primitives::Signature::new(U256::ZERO, U256::from(1), false),
    )
    .into();
    let raw = alloy_eips::eip2718::Encodable2718::encoded_2718(&forged);
    let err = rpc(
        &node,
        "eth_sendRawTransaction",
        json!([Bytes::from(raw).to_string()]),
    )
    .unwrap_err();
    assert!(
        err["message"].as_str().unwrap().contains("invalid sender"),
        "{err}"
    );

    // A transaction over the chain spec's size limit (128 KiB).
    let oversized = account
        .sign(TxEip1559 {
            chain_id: 1337,
            nonce,
            gas_limit: 30_000_000,
            max_fee_per_gas: 0,
            max_priority_fee_per_gas: 0,
            to: TxKind::Call(Address::repeat_byte(1)),
            value: U256::ZERO,
            access_list: Default::default(),
            input: Bytes::from(vec![1u8; 200 * 1024]),
        })
        .unwrap();
    let err = rpc(
        &node,
        "eth_sendRawTransaction",
        json!([oversized.raw.to_string()]),
    )
    .unwrap_err();
    assert!(
        err["message"].as_str().unwrap().contains("oversized"),
        "{err}"
    );

    // A nonce already used: send one transaction, wait for it, send the same nonce again.
    let first = account
        .sign(TxEip1559 {
            chain_id: 1337,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 0,
            max_priority_fee_per_gas: 0,
            to: TxKind::Call(Address::repeat_byte(2)),
            value: U256::from(7),
            access_list: Default::default(),
            input: Bytes::new(),
        })
        .unwrap();
    let hash = rpc(
        &node,
        "eth_sendRawTransaction",
        json!([first.raw.to_string()]),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while rpc(&node, "eth_getTransactionReceipt", json!([hash]))
        .unwrap()
        .is_null()
    {
        assert!(Instant::now() < deadline, "transfer never included");
        std::thread::sleep(Duration::from_millis(100));
    }
    let again = account
        .sign(TxEip1559 {
            chain_id: 1337,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 0,
            max_priority_fee_per_gas: 0,
            to: TxKind::Call(Address::repeat_byte(3)),
            value: U256::from(7),
            access_list: Default::default(),
            input: Bytes::new(),
        })
        .unwrap();
    let err = rpc(
        &node,
        "eth_sendRawTransaction",
        json!([again.raw.to_string()]),
    )
    .unwrap_err();
    assert!(
        err["message"].as_str().unwrap().contains("nonce too low"),
        "{err}"
    );
    let nonce_before = rpc(&node, "eth_getTransactionCount", json!([address, "latest"])).unwrap();
    let balance_before = rpc(&node, "eth_getBalance", json!([address, "latest"])).unwrap();

    // An oversized request body.
    let huge = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_sendRawTransaction\",\"params\":[\"0x{}\"]}}",
        "00".repeat(6 * 1024 * 1024)
    );
    let reply = raw_post(&node, &huge).unwrap_or_default();
    assert!(
        !reply.contains("\"result\""),
        "oversized request was accepted: {}",
        &reply[..reply.len().min(200)]
    );

    // Nothing changed.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        rpc(&node, "eth_getTransactionCount", json!([address, "latest"])).unwrap(),
        nonce_before
    );
    assert_eq!(
        rpc(&node, "eth_getBalance", json!([address, "latest"])).unwrap(),
        balance_before
    );
}

#[test]
fn dev_stops_on_ctrl_c_resumes_and_resets() {
    let dir = Scratch::new("dev-resume");
    let base = free_ports(30);
    let mut dev = start_dev(&dir, base, &["--validators", "1"]);
    let node0 = url(&dev, 0);
    assert!(
        wait_for_height(&node0, 3, Duration::from_secs(60)),
        "no blocks\n{}",
        dev.proc.log_text()
    );
    let height = block_number(&node0).unwrap();
    let identity = block_identity(&node0, height).unwrap();
    let genesis = block_identity(&node0, 0).unwrap();
    let status = dev.proc.interrupt();
    assert!(
        status.success(),
        "dev did not exit cleanly: {status}\n{}",
        dev.proc.log_text()
    );

    // Resume: same chain, heights continue.
    let mut dev = start_dev(&dir, base, &[]);
    assert!(
        wait_for_height(&node0, height + 2, Duration::from_secs(60)),
        "did not resume\n{}",
        dev.proc.log_text()
    );
    assert_eq!(block_identity(&node0, height), Some(identity.clone()));
    assert!(dev.proc.log_text().contains("Resuming"));
    dev.proc.interrupt();

    // A different size needs --reset.
    let dev = start_dev_expect_failure(&dir, base, &["--validators", "4"]);
    assert!(dev.contains("--reset"), "{dev}");

    // Reset: a new chain from genesis.
    let mut dev = start_dev(&dir, base, &["--reset", "--validators", "1"]);
    assert!(
        wait_for_height(&node0, 1, Duration::from_secs(60)),
        "{}",
        dev.proc.log_text()
    );
    let new_genesis = block_identity(&node0, 0).unwrap();
    assert_ne!(new_genesis.0, genesis.0, "--reset must start a new chain");
    dev.proc.interrupt();
}

fn start_dev_expect_failure(dir: &Scratch, base: u16, extra: &[&str]) -> String {
    let data = dir.0.join("dev");
    let output = std::process::Command::new(entente())
        .args([
            "dev",
            "--data-dir",
            data.to_str().unwrap(),
            "--rpc-port",
            &base.to_string(),
        ])
        .args(extra)
        .output()
        .unwrap();
    assert!(!output.status.success());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

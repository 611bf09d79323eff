//! Live validator-set changes with real processes on 127.0.0.1: four validators run;
//! the committee admits a fifth organisation and its node, which joins the running
//! network, syncs and signs finality certificates from the next epoch; then a genesis
//! validator is removed, stopped, and the chain goes on without it.

use std::time::{Duration, Instant};

use alloy_consensus::TxEip1559;
use alloy_primitives::{B256, Bytes, TxKind, U256};
use alloy_sol_types::SolCall;
use entente_modules::{
    GOVERNANCE_ADDRESS,
    governance::{abi::IGovernance, state::OrgId},
};
use entente_primitives::{Header, LocalSigner};
use serde_json::{Value, json};

use crate::common::*;

/// Short epochs, so that changes take effect within seconds.
const EPOCH_BLOCKS: u64 = 10;
const CHAIN_ID: u64 = 778;
/// Genesis validators, plus one organisation prepared to join.
const GENESIS: usize = 4;
const NODES: usize = GENESIS + 1;

struct Network {
    dir: Scratch,
    rpc: Vec<String>,
    api: Vec<String>,
    nodes: Vec<Option<Proc>>,
    admins: Vec<LocalSigner>,
}

impl Network {
    fn init() -> Self {
        let dir = Scratch::new("validators");
        let base = free_ports(3 * NODES as u16);
        let out = dir.0.join("net");
        let output = std::process::Command::new(entente())
            .args([
                "init",
                "--orgs",
                &GENESIS.to_string(),
                "--spare",
                "1",
                "--epoch-blocks",
                &EPOCH_BLOCKS.to_string(),
                "--out",
                out.to_str().unwrap(),
                "--chain-id",
                &CHAIN_ID.to_string(),
                "--accounts",
                "1",
                "--p2p-port",
                &base.to_string(),
                "--rpc-port",
                &(base + NODES as u16).to_string(),
                "--api-port",
                &(base + 2 * NODES as u16).to_string(),
            ])
            .output()
            .unwrap();
        assert!(output.status.success(), "entente init failed: {output:?}");
        // init tells the operator how to admit the spare organisation.
        let printed = String::from_utf8_lossy(&output.stdout);
        assert!(printed.contains("propose add-validator"), "{printed}");
        let admins = (0..NODES)
            .map(|i| {
                let key = std::fs::read_to_string(out.join(format!("org{i}/admin.key"))).unwrap();
                LocalSigner::from_hex(key.trim()).unwrap()
            })
            .collect();
        let port = |offset: usize, i: usize| base + (offset * NODES + i) as u16;
        Self {
            rpc: (0..NODES)
                .map(|i| format!("http://127.0.0.1:{}", port(1, i)))
                .collect(),
            api: (0..NODES)
                .map(|i| format!("http://127.0.0.1:{}", port(2, i)))
                .collect(),
            nodes: (0..NODES).map(|_| None).collect(),
            admins,
            dir,
        }
    }

    fn start(&mut self, i: usize) {
        let config = self.dir.0.join(format!("net/node{i}/config.toml"));
        let log = self.dir.0.join(format!("node{i}.log"));
        self.nodes[i] = Some(Proc::spawn(
            &["node", "--config", config.to_str().unwrap()],
            &log,
        ));
    }

    fn logs(&self) -> String {
        self.nodes
            .iter()
            .flatten()
            .map(|p| format!("==== {}\n{}", p.log.display(), tail(&p.log_text())))
            .collect()
    }

    fn node_key(&self, i: usize) -> B256 {
        let genesis: Value = serde_json::from_str(
            &std::fs::read_to_string(self.dir.0.join("net/genesis.json")).unwrap(),
        )
        .unwrap();
        let key = match genesis["validators"].get(i) {
            Some(v) => v["public_key"].as_str().unwrap().to_string(),
            None => {
                // Not in the chain spec: derive it from the node's secret.
                let secret =
                    std::fs::read_to_string(self.dir.0.join(format!("net/node{i}/node.key")))
                        .unwrap();
                let key = entente_chainspec::ValidatorKey::from_hex(secret.trim()).unwrap();
                entente_chainspec::encode_public_key(&key.public_key())
            }
        };
        key.trim_start_matches("0x").parse().unwrap()
    }

    /// A governance view, through node `via`.
    fn view<C: SolCall>(&self, via: usize, call: C) -> C::Return {
        let data = Bytes::from(call.abi_encode());
        let out = rpc(
            &self.rpc[via],
            "eth_call",
            json!([{"to": GOVERNANCE_ADDRESS, "data": data}, "latest"]),
        )
        .unwrap_or_else(|err| panic!("eth_call failed: {err}"));
        let bytes: Bytes = serde_json::from_value(out).unwrap();
        C::abi_decode_returns(&bytes).unwrap()
    }

    /// Sends a governance call as org `org`'s admin through node `via` and waits for a
    /// successful receipt.
    fn send<C: SolCall>(&self, via: usize, org: usize, call: C) -> Value {
        let admin = &self.admins[org];
        let nonce = quantity(
            &rpc(
                &self.rpc[via],
                "eth_getTransactionCount",
                json!([admin.address(), "pending"]),
            )
            .unwrap(),
        );
        let tx = admin
            .sign(TxEip1559 {
                chain_id: CHAIN_ID,
                nonce,
                gas_limit: 5_000_000,
                max_fee_per_gas: 0,
                max_priority_fee_per_gas: 0,
                to: TxKind::Call(GOVERNANCE_ADDRESS),
                value: U256::ZERO,
                access_list: Default::default(),
                input: call.abi_encode().into(),
            })
            .unwrap();
        let hash = rpc(
            &self.rpc[via],
            "eth_sendRawTransaction",
            json!([Bytes::from(tx.raw.to_vec())]),
        )
        .unwrap_or_else(|err| panic!("governance tx refused: {err}"));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(receipt) = rpc(&self.rpc[via], "eth_getTransactionReceipt", json!([hash]))
                && !receipt.is_null()
            {
                assert_eq!(
                    receipt["status"], "0x1",
                    "governance call reverted: {receipt}"
                );
                return receipt;
            }
            assert!(
                Instant::now() < deadline,
                "no receipt for {hash}\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Org `proposer` proposes `call`; `voters` agree until it passes.
    fn pass<C: SolCall>(&self, proposer: usize, call: C, voters: &[usize]) {
        self.send(0, proposer, call);
        let id = self.view(0, IGovernance::proposalCountCall {}) - 1;
        for &org in voters {
            self.send(
                org % GENESIS,
                org,
                IGovernance::voteCall { id, agree: true },
            );
        }
        let proposal = self.view(0, IGovernance::getProposalCall { id });
        assert_eq!(proposal.status, 2, "proposal {id} executed: {proposal:?}");
    }

    fn height(&self, i: usize) -> u64 {
        block_number(&self.rpc[i]).unwrap_or(0)
    }

    fn wait(&self, nodes: &[usize], height: u64, within: Duration) {
        for &i in nodes {
            assert!(
                wait_for_height(&self.rpc[i], height, within),
                "node{i} did not reach {height} (at {})\n{}",
                self.height(i),
                self.logs()
            );
        }
    }

    /// The height whose certificate proves block `height` final, as node `via` serves
    /// the proof, and the public keys that signed it: the proof (the block's own
    /// certificate, or a descendant's with the headers linking back) is checked against
    /// the members of the certified block's epoch from the registry.
    fn signers(&self, via: usize, height: u64) -> (u64, Vec<B256>) {
        let doc: Value = serde_json::from_str(
            &curl_get(&format!(
                "{}/v1/blocks/{height}/finalization",
                self.api[via]
            ))
            .unwrap_or_else(|err| panic!("node{via}: no finality proof of {height}: {err}")),
        )
        .unwrap();
        let certified = doc["certified_number"].as_u64().unwrap();
        let epoch = doc["epoch"].as_u64().unwrap();
        assert_eq!(epoch, certified / EPOCH_BLOCKS, "certificate epoch");
        let members = self.members(0, epoch);
        let proof = entente_consensus::FinalityProof {
            certificate: hex_bytes(doc["certificate"].as_str().unwrap()),
            descendants: doc["descendants"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| Header::from_bytes(&hex_bytes(h.as_str().unwrap())).unwrap())
                .collect(),
        };
        assert_eq!(proof.descendants.len() as u64, certified - height);
        let header = Header::from_bytes(&hex_bytes(doc["header"].as_str().unwrap())).unwrap();
        assert_eq!(
            entente_primitives::digest_to_b256(&header.digest()),
            doc["hash"].as_str().unwrap().parse::<B256>().unwrap()
        );
        let mut keys: Vec<_> = members
            .iter()
            .map(|k| entente_chainspec::decode_public_key(&k.to_string()).unwrap())
            .collect();
        keys.sort();
        let verified = entente_consensus::verify_finality(&header, &proof, &keys)
            .unwrap_or_else(|err| panic!("node{via}: finality proof of {height}: {err}"));
        assert_eq!(verified.epoch, epoch);
        let signers = verified
            .signers
            .iter()
            .map(|&i| members_sorted(&members)[i as usize])
            .collect();
        (certified, signers)
    }

    /// The validators of `epoch`, per the registry.
    fn members(&self, via: usize, epoch: u64) -> Vec<B256> {
        self.view(via, IGovernance::validatorsCall {})
            .into_iter()
            .filter(|v| v.fromEpoch <= epoch && (v.untilEpoch == 0 || epoch < v.untilEpoch))
            .map(|v| v.publicKey)
            .collect()
    }
}

/// Members in the order of the signing scheme (sorted by public key).
fn members_sorted(members: &[B256]) -> Vec<B256> {
    let mut sorted = members.to_vec();
    sorted.sort();
    sorted
}

#[test]
fn a_new_organisation_joins_and_a_validator_leaves_while_the_chain_runs() {
    let mut net = Network::init();
    for i in 0..GENESIS {
        net.start(i);
    }
    net.wait(&[0], 2, Duration::from_secs(60));

    // The committee (3 of 4 weights needed) admits org4, then its validator.
    let newcomer = net.admins[GENESIS].address();
    net.pass(
        0,
        IGovernance::proposeAddOrgCall {
            id: OrgId::from_text("org4").unwrap().0,
            name: "Organisation 4".into(),
            admin: newcomer,
            weight: 1,
        },
        &[1, 2],
    );
    let joining = net.node_key(GENESIS);
    let p2p = {
        let config = std::fs::read_to_string(net.dir.0.join("net/node4/config.toml")).unwrap();
        config
            .lines()
            .find_map(|l| l.trim().strip_prefix("listen = \""))
            .unwrap()
            .trim_end_matches('"')
            .to_string()
    };
    // Now five members: 4 of 5 needed.
    net.pass(
        4,
        IGovernance::proposeAddValidatorCall {
            publicKey: joining,
            org: OrgId::from_text("org4").unwrap().0,
            feeRecipient: newcomer,
            p2pAddress: p2p,
        },
        &[0, 1, 2],
    );
    let added = net
        .view(0, IGovernance::validatorsCall {})
        .into_iter()
        .find(|v| v.publicKey == joining)
        .expect("registered");
    let first_epoch = added.fromEpoch;
    assert!(first_epoch >= 1);
    assert!(!net.members(0, first_epoch - 1).contains(&joining));
    assert!(net.members(0, first_epoch).contains(&joining));

    // The new organisation's node starts late, syncs the whole chain and votes.
    net.start(GENESIS);
    let target = (first_epoch + 1) * EPOCH_BLOCKS + 2;
    net.wait(&[0, 1, 2, 3, 4], target, Duration::from_secs(120));
    let members = net.members(0, first_epoch);
    assert_eq!(members.len(), 5);
    let mut signed_by_newcomer = 0;
    for height in first_epoch * EPOCH_BLOCKS..(first_epoch + 1) * EPOCH_BLOCKS {
        let (certified, signers) = net.signers(0, height);
        if certified / EPOCH_BLOCKS == first_epoch {
            assert!(signers.len() >= 4, "quorum of five is four: {signers:?}");
        }
        if certified == height && signers.contains(&joining) {
            signed_by_newcomer += 1;
        }
    }
    assert!(
        signed_by_newcomer > 0,
        "node4 signed no certificate of epoch {first_epoch}"
    );
    // The joiner, which synced all of it by backfill, proves every block it committed
    // final from its own store (some by a descendant's certificate: backfill brings only
    // the certificate of the block it syncs to).
    let by_descendant = (1..=target)
        .filter(|&height| {
            let (certified, _) = net.signers(4, height);
            certified != height
        })
        .count();
    eprintln!("node4: {by_descendant} of {target} blocks proven by a descendant's certificate");
    // The joiner agrees with the genesis validators on every block.
    for height in [1, first_epoch * EPOCH_BLOCKS, target] {
        assert_eq!(
            block_identity(&net.rpc[4], height),
            block_identity(&net.rpc[0], height),
            "node4 diverged at {height}"
        );
    }

    // Remove node3 (4 of 5 needed); from its last epoch on it no longer counts.
    let leaving = net.node_key(3);
    net.pass(
        0,
        IGovernance::proposeRemoveValidatorCall { publicKey: leaving },
        &[1, 2, 4],
    );
    let removed = net
        .view(0, IGovernance::validatorsCall {})
        .into_iter()
        .find(|v| v.publicKey == leaving)
        .unwrap();
    let gone_from = removed.untilEpoch;
    assert!(gone_from > first_epoch);
    let after = net.members(0, gone_from);
    assert_eq!(after.len(), 4);
    assert!(!after.contains(&leaving) && after.contains(&joining));
    net.wait(
        &[0, 4],
        gone_from * EPOCH_BLOCKS + 1,
        Duration::from_secs(120),
    );
    // Stop it: the four remaining validators finalise on their own, and node3 signs
    // nothing in the new epoch.
    if let Some(mut node3) = net.nodes[3].take() {
        node3.kill();
    }
    let end = (gone_from + 1) * EPOCH_BLOCKS + 2;
    net.wait(&[0, 1, 2, 4], end, Duration::from_secs(120));
    for height in gone_from * EPOCH_BLOCKS..=end {
        let (_, signers) = net.signers(0, height);
        assert!(!signers.contains(&leaving), "node3 signed block {height}");
        assert!(signers.len() >= 3);
    }
    for height in [gone_from * EPOCH_BLOCKS, end] {
        assert_eq!(
            block_identity(&net.rpc[4], height),
            block_identity(&net.rpc[0], height)
        );
    }
}

#[test]
fn init_refuses_impossible_spares() {
    let dir = Scratch::new("validators-spare");
    let output = std::process::Command::new(entente())
        .args([
            "init",
            "--orgs",
            "100",
            "--spare",
            "100",
            "--out",
            dir.0.join("net").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--spare"), "{stderr}");
    assert!(!dir.0.join("net/genesis.json").exists());
}

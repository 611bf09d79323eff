//! The seed corpora of the fuzz targets: a few small valid inputs each (and a few refused
//! ones), built with the project's own encoders and signers, deterministically.
//!
//! `fuzz/corpus/<target>/` holds them; regenerate with
//! `cargo test -p entente-fuzz-targets --test fuzz_smoke -- --ignored write_corpus`.

use std::sync::Arc;

use alloy_consensus::{TxEip1559, TxEip2930, TxLegacy};
use alloy_primitives::{Address, B256, Bytes, FixedBytes, TxKind, U256, hex, keccak256};
use alloy_sol_types::SolCall;
use commonware_codec::Encode as _;
use commonware_consensus::{
    simplex::types::{Finalize, Proposal},
    types::{Epoch, Round, View},
};
use commonware_parallel::Sequential;
use commonware_utils::iter::NonEmpty;
use entente_consensus::{
    Chain, Finalization, ingress::encode_batch, signing_scheme, verify_finalization,
    verifying_scheme,
};
use entente_modules::{
    GOVERNANCE_ADDRESS,
    assets::{
        abi::{IAsset, IAssets},
        asset_address,
    },
    evidence::abi::{Digest, EvidenceRecord, IEvidence, evidence_id, record_hash},
    governance::abi::IGovernance as G,
    supervision::abi::{FreezeSpec, ISupervision as S},
    trace::{
        abi::{Epc, EventInfo, ITrace as T},
        logic::gs1_check_digit,
        state::auth_commit,
    },
};
use entente_primitives::Block;
use entente_testkit::fixtures::{CHAIN_ID, account, transfer, validator_key};

use crate::module_call::{self, frame, org, target, timestamp};

/// One seed input of one target.
#[derive(Clone, Debug)]
pub struct Seed {
    /// The fuzz target (its corpus directory's name).
    pub target: &'static str,
    /// The file name in the corpus directory.
    pub name: String,
    pub bytes: Vec<u8>,
}

fn seed(target: &'static str, name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Seed {
    Seed {
        target,
        name: name.into(),
        bytes: bytes.into(),
    }
}

/// Every target's seeds.
pub fn all() -> Vec<Seed> {
    let (chain, genesis, block) = crate::rpc_request::test_chain();
    let mut out = tx_decode();
    out.extend(block_decode(&genesis, &block));
    out.extend(rpc_request(&chain, &block));
    out.extend(
        module_call()
            .into_iter()
            .map(|(name, script)| seed("module_call", name, script.bytes)),
    );
    out
}

fn signed_txs() -> Vec<(&'static str, Bytes)> {
    let from = account(0);
    let to = TxKind::Call(Address::repeat_byte(7));
    let legacy = |chain_id| TxLegacy {
        chain_id,
        nonce: 0,
        gas_price: 0,
        gas_limit: 21_000,
        to,
        value: U256::from(5),
        input: Bytes::new(),
    };
    let call = G::hasRoleCall {
        account: from.address(),
        role: "deployer".into(),
    }
    .abi_encode();
    let sign = |tx| from.sign(tx).expect("test keys sign").raw;
    vec![
        (
            "legacy-eip155",
            from.sign(legacy(Some(CHAIN_ID))).unwrap().raw,
        ),
        ("legacy-no-chain-id", from.sign(legacy(None)).unwrap().raw),
        (
            "legacy-wrong-chain",
            from.sign(legacy(Some(1))).unwrap().raw,
        ),
        (
            "eip2930",
            from.sign(TxEip2930 {
                chain_id: CHAIN_ID,
                nonce: 1,
                gas_price: 0,
                gas_limit: 50_000,
                to: TxKind::Call(GOVERNANCE_ADDRESS),
                value: U256::ZERO,
                access_list: Default::default(),
                input: call.into(),
            })
            .unwrap()
            .raw,
        ),
        (
            "eip1559",
            transfer(&from, 2, Address::repeat_byte(9), U256::from(1)).raw,
        ),
        (
            "eip1559-create",
            sign(TxEip1559 {
                chain_id: CHAIN_ID,
                nonce: 3,
                gas_limit: 100_000,
                max_fee_per_gas: 0,
                max_priority_fee_per_gas: 0,
                to: TxKind::Create,
                value: U256::ZERO,
                access_list: Default::default(),
                // PUSH1 0 PUSH1 0 RETURN
                input: Bytes::from_static(&[0x60, 0x00, 0x60, 0x00, 0xf3]),
            }),
        ),
    ]
}

/// Signed transactions of every accepted type, refused ones (no chain id, another
/// chain) and a gossip batch.
pub fn tx_decode() -> Vec<Seed> {
    let txs = signed_txs();
    let batch: Vec<Bytes> = txs.iter().take(2).map(|(_, raw)| raw.clone()).collect();
    let mut out: Vec<Seed> = txs
        .into_iter()
        .map(|(name, raw)| seed("tx_decode", name, raw.to_vec()))
        .collect();
    out.push(seed("tx_decode", "gossip-batch", encode_batch(&batch)));
    out
}

fn finalization(block: &Block, signers: usize) -> Vec<u8> {
    let participants: Vec<_> = (0..4).map(|i| validator_key(i).public_key()).collect();
    let proposal = Proposal::new(
        Round::new(Epoch::new(0), View::new(3)),
        View::new(2),
        commonware_cryptography::Digestible::digest(block),
    );
    let mut votes = (0..signers).map(|i| {
        let scheme = signing_scheme(&participants, validator_key(i).0).expect("scheme");
        Finalize::sign(&scheme, proposal.clone()).expect("vote")
    });
    let first = votes.next().expect("one signer");
    let certificate = Finalization::from_owned_finalizes(
        &verifying_scheme(&participants),
        NonEmpty::new(first, votes.collect::<Vec<_>>().into_iter()),
        &Sequential,
    )
    .expect("certificate");
    let bytes = certificate.encode().to_vec();
    let digest = commonware_cryptography::Digestible::digest(block);
    assert!(verify_finalization(&bytes, &participants, &digest).is_ok());
    bytes
}

fn with_selector(selector: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![selector];
    out.extend_from_slice(body);
    out
}

/// The genesis block, a block with two transfers, and certificates of 3 and 4 of the 4
/// validators.
pub fn block_decode(genesis: &Block, block: &Block) -> Vec<Seed> {
    vec![
        seed(
            "block_decode",
            "block-genesis",
            with_selector(0, &genesis.encode()),
        ),
        seed(
            "block_decode",
            "block-two-transfers",
            with_selector(0, &block.encode()),
        ),
        seed(
            "block_decode",
            "finalization-3of4",
            with_selector(1, &finalization(block, 3)),
        ),
        seed(
            "block_decode",
            "finalization-4of4",
            with_selector(1, &finalization(block, 4)),
        ),
    ]
}

fn rpc(method: &str, params: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{params}}}"#)
}

/// One request per family of methods, with valid parameters referring to the fuzzed
/// chain's block 1, and a batch.
pub fn rpc_request(_chain: &Arc<Chain>, block: &Block) -> Vec<Seed> {
    let txs = signed_txs();
    let tx_hex = hex::encode_prefixed(&txs[4].1);
    let addr = account(0).address();
    let block_hash = block.hash();
    let tx_hash = keccak256(&block.txs[0]);
    let gov_call = hex::encode_prefixed(G::orgsCall {}.abi_encode());
    let requests = [
        ("web3_clientVersion", rpc("web3_clientVersion", "[]")),
        ("eth_chainId", rpc("eth_chainId", "[]")),
        ("eth_blockNumber", rpc("eth_blockNumber", "[]")),
        (
            "eth_getBalance",
            rpc("eth_getBalance", &format!(r#"["{addr}","latest"]"#)),
        ),
        (
            "eth_getStorageAt",
            rpc(
                "eth_getStorageAt",
                &format!(r#"["{GOVERNANCE_ADDRESS}","0x1","0x1"]"#),
            ),
        ),
        (
            "eth_getTransactionCount",
            rpc(
                "eth_getTransactionCount",
                &format!(r#"["{addr}","pending"]"#),
            ),
        ),
        (
            "eth_sendRawTransaction",
            rpc("eth_sendRawTransaction", &format!(r#"["{tx_hex}"]"#)),
        ),
        (
            "eth_call",
            rpc(
                "eth_call",
                &format!(r#"[{{"to":"{GOVERNANCE_ADDRESS}","data":"{gov_call}"}},"latest"]"#),
            ),
        ),
        (
            "eth_estimateGas",
            rpc(
                "eth_estimateGas",
                &format!(r#"[{{"from":"{addr}","to":"{addr}","value":"0x1"}}]"#),
            ),
        ),
        (
            "eth_feeHistory",
            rpc("eth_feeHistory", r#"["0x4","latest",[25,75]]"#),
        ),
        (
            "eth_getBlockByNumber",
            rpc("eth_getBlockByNumber", r#"["0x1",true]"#),
        ),
        (
            "eth_getBlockByHash",
            rpc("eth_getBlockByHash", &format!(r#"["{block_hash}",false]"#)),
        ),
        (
            "eth_getTransactionReceipt",
            rpc("eth_getTransactionReceipt", &format!(r#"["{tx_hash}"]"#)),
        ),
        (
            "eth_getLogs",
            rpc(
                "eth_getLogs",
                &format!(
                    r#"[{{"fromBlock":"0x0","toBlock":"latest","address":"{GOVERNANCE_ADDRESS}"}}]"#
                ),
            ),
        ),
        (
            "eth_getProof",
            rpc(
                "eth_getProof",
                &format!(r#"["{addr}",["0x{}"],"latest"]"#, hex::encode(B256::ZERO)),
            ),
        ),
        (
            "entente_getFinalization",
            rpc("entente_getFinalization", r#"["0x1"]"#),
        ),
        ("eth_subscribe", rpc("eth_subscribe", r#"["newHeads"]"#)),
        (
            "batch",
            format!(
                "[{},{}]",
                rpc("eth_chainId", "[]"),
                rpc("net_version", "[]")
            ),
        ),
    ];
    requests
        .into_iter()
        .map(|(name, request)| seed("rpc_request", name, request))
        .collect()
}

// -------------------------------------------------------------------------------------
// module_call

/// Caller bytes (see [`module_call::caller`]).
pub mod who {
    /// Organisation `i`'s admin.
    pub const fn org_admin(i: u8) -> u8 {
        i
    }
    /// Regulator, court, evidence submitter and asset issuer of org0 (account 0).
    pub const REGULATOR: u8 = 4;
    /// Regulator, brand owner, evidence submitter and asset issuer of org1 (account 1).
    pub const BRAND: u8 = 5;
    /// Regulator, producer and customs broker of org2 (account 2).
    pub const PRODUCER: u8 = 6;
    /// Inspector, carrier, retailer, customs authority, verification gateway and escrow
    /// of org3 (account 3).
    pub const ORG3: u8 = 7;
    /// An inspector of the producer's organisation (account 4).
    pub const PRODUCER_INSPECTOR: u8 = 8;
    /// A member of org0 without roles (account 7).
    pub const MEMBER: u8 = 11;
    /// An unregistered address.
    pub const NOBODY: u8 = 0x30;
    /// Bit: through a contract.
    pub const VIA_CONTRACT: u8 = 0x40;
}

/// Bit of the height byte making a call static.
pub const STATIC: u8 = 0x40;

/// A sequence of module calls and whether each is meant to return (rather than revert
/// or halt). The seeds' tests check that they do, so the seeds reach deep paths.
#[derive(Clone, Debug, Default)]
pub struct Script {
    pub bytes: Vec<u8>,
    pub expect_return: Vec<bool>,
    height: u64,
}

impl Script {
    pub fn new() -> Self {
        Self {
            height: 1,
            ..Self::default()
        }
    }

    /// The block time of the next call if it advances one block.
    pub fn next_time(&self) -> u64 {
        timestamp(self.height + 1)
    }

    /// Adds a call that advances one block.
    pub fn call(&mut self, module: u8, caller: u8, call: impl SolCall, ok: bool) -> &mut Self {
        self.raw(module, caller, 1, &call.abi_encode(), ok)
    }

    /// Adds a call in the same block as the previous one.
    pub fn view(&mut self, module: u8, call: impl SolCall) -> &mut Self {
        self.raw(module, who::NOBODY, 0, &call.abi_encode(), true)
    }

    /// Adds a frame.
    pub fn raw(
        &mut self,
        module: u8,
        caller: u8,
        height: u8,
        calldata: &[u8],
        ok: bool,
    ) -> &mut Self {
        self.height += u64::from(height);
        self.bytes
            .extend_from_slice(&frame(module, caller, height, calldata));
        self.expect_return.push(ok);
        self
    }
}

const PREFIX: &str = "614141";

/// A GTIN-14 under [`PREFIX`] with its check digit.
fn gtin() -> String {
    let body = format!("0{PREFIX}000123");
    format!("{body}{}", gs1_check_digit(body.as_bytes()))
}

/// An SSCC under [`PREFIX`] with its check digit.
fn sscc(n: u64) -> String {
    let body = format!("0{PREFIX}{n:010}");
    format!("{body}{}", gs1_check_digit(body.as_bytes()))
}

fn secret(serial: &str) -> [u8; 16] {
    keccak256(format!("secret/{serial}")).0[..16]
        .try_into()
        .expect("16 bytes")
}

fn epcs(serials: &[&str]) -> Vec<Epc> {
    serials
        .iter()
        .map(|serial| Epc {
            gtin: gtin(),
            serial: (*serial).into(),
        })
        .collect()
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|s| (*s).into()).collect()
}

fn info(time: u64) -> EventInfo {
    EventInfo {
        eventTime: time,
        timeZoneOffset: 480,
        readPoint: "urn:epc:id:sgln:6141410.00001.0".into(),
        bizTransaction: B256::repeat_byte(0xb1),
        payloadHash: B256::ZERO,
        entitlement: 4,
    }
}

fn word(address: Address) -> B256 {
    address.into_word()
}

fn account_freeze(target: Address) -> FreezeSpec {
    FreezeSpec {
        kind: 1,
        target: word(target),
        selector: Default::default(),
        asset: Address::ZERO,
        amount: U256::ZERO,
        direction: 3,
        reason: 1,
        legalBasis: keccak256("court order 2024/17"),
        caseRef: B256::repeat_byte(0xca),
        expiresAt: 0,
    }
}

/// The evidence deposit of `content` by fixture account `i`, signed, and its id.
fn deposit(i: usize, content: &str, prev: B256) -> (IEvidence::depositCall, B256) {
    let submitter = account(i);
    let sha256 = keccak256(content);
    let record = EvidenceRecord {
        chainId: CHAIN_ID,
        submitter: submitter.address(),
        content: vec![Digest {
            alg: 1,
            value: sha256.to_vec().into(),
        }],
        contentLength: content.len() as u64,
        mediaType: "text/plain".into(),
        metadataHash: B256::repeat_byte(0x3d),
        prev,
    };
    let signature = submitter
        .sign_message(record_hash(&record).as_slice())
        .expect("test keys sign");
    let id = evidence_id(CHAIN_ID, &submitter.address(), &sha256);
    (
        IEvidence::depositCall {
            content: record.content,
            contentLength: record.contentLength,
            mediaType: record.mediaType,
            metadataHash: record.metadataHash,
            prev,
            signature: signature.to_vec().into(),
        },
        id,
    )
}

/// The trace registry set up: the brand's prefix, its product and org2 authorised.
fn trace_setup(s: &mut Script) {
    use {target::TRACE, who::*};
    s.call(
        TRACE,
        REGULATOR,
        T::registerPrefixCall {
            prefix: PREFIX.into(),
            org: org(1),
        },
        true,
    );
    s.call(
        TRACE,
        BRAND,
        T::registerProductCall {
            gtin: gtin(),
            name: "Baijiu 53% 500 ml".into(),
            attrsHash: B256::repeat_byte(0xa7),
        },
        true,
    );
    s.call(
        TRACE,
        BRAND,
        T::authorizeProducerCall {
            gtin: gtin(),
            org: org(2),
            allowed: true,
        },
        true,
    );
}

/// A lot of the producer's, and `serials` commissioned in it.
fn trace_lot(s: &mut Script, lot: &str, cross_border: bool, serials: &[&str]) {
    use {target::TRACE, who::*};
    let produced_at = s.next_time() - 600;
    s.call(
        TRACE,
        PRODUCER,
        T::createLotCall {
            gtin: gtin(),
            lot: lot.into(),
            originCountry: FixedBytes(*b"CN"),
            producedAt: produced_at,
            crossBorder: cross_border,
            ilmdHash: B256::repeat_byte(0x1d),
        },
        true,
    );
    let now = s.next_time();
    s.call(
        TRACE,
        PRODUCER,
        T::commissionCall {
            gtin: gtin(),
            lot: lot.into(),
            serials: strings(serials),
            authCommits: serials
                .iter()
                .map(|serial| auth_commit(&gtin(), serial, &secret(serial)))
                .collect(),
            info: info(now),
        },
        true,
    );
}

/// The module calls' seeds, by name, each a script of calls.
pub fn module_call() -> Vec<(String, Script)> {
    use target::*;
    use who::*;
    let mut out = Vec::new();
    let mut add = |name: &str, s: &mut Script| out.push((name.to_string(), s.clone()));

    // Governance: queries, an admin's registry change, proposals carried by votes.
    let member = Address::repeat_byte(0x42);
    add(
        "governance-views",
        Script::new()
            .view(GOVERNANCE, G::orgsCall {})
            .view(GOVERNANCE, G::validatorsCall {})
            .view(
                GOVERNANCE,
                G::getAccountCall {
                    account: account(0).address(),
                },
            )
            .view(GOVERNANCE, G::isPermissionedCall {})
            .view(GOVERNANCE, G::approvalPctCall {})
            .view(GOVERNANCE, G::proposalTtlBlocksCall {}),
    );
    add(
        "governance-registerAccount",
        Script::new()
            .call(
                GOVERNANCE,
                org_admin(0),
                G::registerAccountCall {
                    account: member,
                    roles: vec!["member".into(), "deployer".into()],
                },
                true,
            )
            .call(
                GOVERNANCE,
                org_admin(0),
                G::grantRoleCall {
                    account: member,
                    role: "evidence_submitter".into(),
                },
                true,
            )
            .view(
                GOVERNANCE,
                G::hasRoleCall {
                    account: member,
                    role: "deployer".into(),
                },
            )
            .call(
                GOVERNANCE,
                org_admin(0),
                G::revokeRoleCall {
                    account: member,
                    role: "deployer".into(),
                },
                true,
            )
            .call(
                GOVERNANCE,
                org_admin(0),
                G::setAccountStatusCall {
                    account: member,
                    status: 2,
                },
                true,
            ),
    );
    let new_org = B256::right_padding_from(b"org9");
    add(
        "governance-proposeAddOrg-votes",
        Script::new()
            .call(
                GOVERNANCE,
                org_admin(0),
                G::proposeAddOrgCall {
                    id: new_org,
                    name: "Org 9".into(),
                    admin: entente_testkit::fixtures::admin(9).address(),
                    weight: 1,
                },
                true,
            )
            .call(
                GOVERNANCE,
                org_admin(1),
                G::voteCall { id: 0, agree: true },
                true,
            )
            .call(
                GOVERNANCE,
                org_admin(2),
                G::voteCall { id: 0, agree: true },
                true,
            )
            .view(GOVERNANCE, G::getProposalCall { id: 0 })
            .view(GOVERNANCE, G::getOrgCall { id: new_org })
            .view(GOVERNANCE, G::proposalCountCall {}),
    );
    add(
        "governance-appointRegulator",
        Script::new()
            .call(
                GOVERNANCE,
                org_admin(1),
                G::proposeAppointRegulatorCall {
                    account: account(7).address(),
                },
                true,
            )
            .call(
                GOVERNANCE,
                org_admin(2),
                G::voteCall { id: 0, agree: true },
                true,
            )
            .call(
                GOVERNANCE,
                org_admin(3),
                G::voteCall { id: 0, agree: true },
                true,
            )
            .view(
                GOVERNANCE,
                G::hasRoleCall {
                    account: account(7).address(),
                    role: "regulator".into(),
                },
            ),
    );
    add(
        "governance-proposeSetParam-revoke",
        Script::new()
            .call(
                GOVERNANCE,
                org_admin(3),
                G::proposeSetParamCall {
                    key: "governance.approval_pct".into(),
                    value: U256::from(75),
                },
                true,
            )
            .call(
                GOVERNANCE,
                org_admin(0),
                G::voteCall { id: 0, agree: true },
                true,
            )
            .call(
                GOVERNANCE,
                org_admin(1),
                G::voteCall { id: 0, agree: true },
                true,
            )
            .view(GOVERNANCE, G::approvalPctCall {})
            .call(
                GOVERNANCE,
                org_admin(3),
                G::proposeSetParamCall {
                    key: "supervision.emergency_quota".into(),
                    value: U256::from(1),
                },
                true,
            )
            .call(GOVERNANCE, org_admin(3), G::revokeCall { id: 1 }, true)
            .call(
                GOVERNANCE,
                org_admin(2),
                G::voteCall { id: 1, agree: true },
                false,
            ),
    );
    add(
        "governance-refused",
        Script::new()
            .raw(
                GOVERNANCE,
                org_admin(0),
                0,
                &[0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1],
                false,
            )
            .call(
                GOVERNANCE,
                MEMBER,
                G::registerAccountCall {
                    account: member,
                    roles: vec!["member".into()],
                },
                false,
            )
            .raw(
                GOVERNANCE,
                org_admin(0),
                1 | STATIC,
                &G::registerAccountCall {
                    account: member,
                    roles: vec!["member".into()],
                }
                .abi_encode(),
                false,
            ),
    );

    // Evidence: deposits (one continuing another's chain of custody), queries, a court's
    // note, and refusals.
    let (first, first_id) = deposit(0, "contract.pdf", B256::ZERO);
    let (second, _) = deposit(1, "contract-signed.pdf", first_id);
    add(
        "evidence-deposit-annotate",
        Script::new()
            .call(EVIDENCE, REGULATOR, first.clone(), true)
            .view(EVIDENCE, IEvidence::getEvidenceCall { id: first_id })
            .view(
                EVIDENCE,
                IEvidence::evidenceIdOfCall {
                    submitter: account(0).address(),
                    sha256Digest: keccak256("contract.pdf"),
                },
            )
            .call(
                EVIDENCE,
                REGULATOR,
                IEvidence::annotateCall {
                    id: first_id,
                    noteHash: B256::repeat_byte(0x0e),
                },
                true,
            )
            .call(EVIDENCE, BRAND, second, true)
            .view(EVIDENCE, IEvidence::evidenceCountCall {}),
    );
    let mut bad_signature = first.clone();
    bad_signature.metadataHash = B256::repeat_byte(0x3e);
    add(
        "evidence-refused",
        Script::new()
            .call(EVIDENCE, REGULATOR | VIA_CONTRACT, first.clone(), false)
            .call(EVIDENCE, REGULATOR, bad_signature, false)
            .call(EVIDENCE, MEMBER, first.clone(), false)
            .call(EVIDENCE, REGULATOR, first.clone(), true)
            .call(EVIDENCE, REGULATOR, first, false),
    );

    // Assets: a registry entry, issuance, ERC-20 transfers and allowances, burning.
    let holder = account(4).address();
    let other = account(5).address();
    let spender = account(6).address();
    let asset = asset_address(1);
    let create = IAssets::createAssetCall {
        name: "Euro Token".into(),
        symbol: "EURT".into(),
        decimals: 2,
    };
    add(
        "assets-erc20",
        Script::new()
            .call(ASSETS, REGULATOR, create.clone(), true)
            .view(ASSETS, IAssets::assetCountCall {})
            .view(ASSETS, IAssets::getAssetCall { asset })
            .call(
                ASSET,
                REGULATOR,
                IAsset::issueCall {
                    to: holder,
                    value: U256::from(1_000),
                },
                true,
            )
            .call(
                ASSET,
                PRODUCER_INSPECTOR,
                IAsset::transferCall {
                    to: other,
                    value: U256::from(100),
                },
                true,
            )
            .call(
                ASSET,
                9,
                IAsset::approveCall {
                    spender,
                    value: U256::from(50),
                },
                true,
            )
            .call(
                ASSET,
                10,
                IAsset::transferFromCall {
                    from: other,
                    to: spender,
                    value: U256::from(50),
                },
                true,
            )
            .call(
                ASSET,
                PRODUCER_INSPECTOR,
                IAsset::burnCall {
                    value: U256::from(10),
                },
                true,
            )
            .view(ASSET, IAsset::balanceOfCall { account: holder })
            .view(ASSET, IAsset::totalSupplyCall {})
            .view(
                ASSET,
                IAsset::allowanceCall {
                    owner: other,
                    spender,
                },
            )
            .view(ASSET, IAsset::spendableOfCall { account: holder })
            .view(ASSET, IAsset::nameCall {})
            .view(ASSET, IAsset::symbolCall {})
            .view(ASSET, IAsset::decimalsCall {})
            .view(ASSET, IAsset::issuerCall {}),
    );
    add(
        "assets-refused",
        Script::new()
            .call(ASSETS, MEMBER, create.clone(), false)
            .call(ASSETS, REGULATOR | VIA_CONTRACT, create.clone(), false)
            .call(ASSETS, BRAND, create.clone(), true)
            .call(
                ASSET,
                REGULATOR,
                IAsset::issueCall {
                    to: holder,
                    value: U256::from(5),
                },
                false,
            )
            .call(
                ASSET,
                PRODUCER_INSPECTOR,
                IAsset::transferCall {
                    to: other,
                    value: U256::from(1),
                },
                false,
            )
            .call(
                UNCREATED_ASSET,
                REGULATOR,
                IAsset::issueCall {
                    to: holder,
                    value: U256::from(5),
                },
                false,
            ),
    );

    // Supervision: an emergency freeze ratified, an ordinary freeze lifted, a holding
    // freeze with a forced transfer to escrow, pending-transaction and method orders.
    let frozen = account(7).address();
    add(
        "supervision-emergency-ratify",
        Script::new()
            .call(
                SUPERVISION,
                REGULATOR,
                S::emergencyFreezeCall {
                    spec: account_freeze(frozen),
                },
                true,
            )
            .view(SUPERVISION, S::getOrderCall { id: 1 })
            .view(
                SUPERVISION,
                S::isFrozenCall {
                    kind: 1,
                    target: word(frozen),
                    selector: Default::default(),
                    asset: Address::ZERO,
                },
            )
            .call(
                SUPERVISION,
                REGULATOR,
                S::proposeRatifyCall {
                    orderId: 1,
                    newExpiresAt: 0,
                },
                true,
            )
            .call(
                SUPERVISION,
                BRAND,
                S::voteCall {
                    proposalId: 1,
                    agree: true,
                },
                true,
            )
            .view(SUPERVISION, S::getProposalCall { id: 1 })
            .view(SUPERVISION, S::orderCountCall {})
            .view(SUPERVISION, S::proposalCountCall {})
            .view(
                SUPERVISION,
                S::ordersOfCall {
                    targetKey: word(frozen),
                },
            ),
    );
    add(
        "supervision-freeze-lift",
        Script::new()
            .call(
                SUPERVISION,
                BRAND,
                S::proposeFreezeCall {
                    spec: account_freeze(frozen),
                },
                true,
            )
            .call(
                SUPERVISION,
                PRODUCER,
                S::voteCall {
                    proposalId: 1,
                    agree: true,
                },
                true,
            )
            .call(
                SUPERVISION,
                REGULATOR,
                S::proposeLiftCall { orderId: 1 },
                true,
            )
            .call(
                SUPERVISION,
                BRAND,
                S::voteCall {
                    proposalId: 2,
                    agree: true,
                },
                true,
            )
            .view(SUPERVISION, S::getOrderCall { id: 1 }),
    );
    let mut holding = account_freeze(holder);
    holding.kind = 4;
    holding.asset = asset;
    holding.amount = U256::from(500);
    holding.direction = 1;
    let escrow = account(3).address();
    add(
        "supervision-forced-transfer",
        Script::new()
            .call(ASSETS, REGULATOR, create, true)
            .call(
                ASSET,
                REGULATOR,
                IAsset::issueCall {
                    to: holder,
                    value: U256::from(1_000),
                },
                true,
            )
            .call(
                SUPERVISION,
                REGULATOR,
                S::proposeFreezeCall { spec: holding },
                true,
            )
            .call(
                SUPERVISION,
                BRAND,
                S::voteCall {
                    proposalId: 1,
                    agree: true,
                },
                true,
            )
            .view(SUPERVISION, S::frozenAmountCall { asset, holder })
            .view(ASSET, IAsset::spendableOfCall { account: holder })
            .call(
                SUPERVISION,
                REGULATOR,
                S::proposeForcedTransferCall {
                    orderId: 1,
                    escrow,
                    amount: U256::from(200),
                },
                true,
            )
            .call(
                SUPERVISION,
                BRAND,
                S::voteCall {
                    proposalId: 2,
                    agree: true,
                },
                true,
            )
            .call(
                SUPERVISION,
                PRODUCER,
                S::voteCall {
                    proposalId: 2,
                    agree: true,
                },
                true,
            )
            .view(ASSET, IAsset::balanceOfCall { account: escrow })
            .view(SUPERVISION, S::holdingKeyCall { asset, holder }),
    );
    let mut pending = account_freeze(Address::ZERO);
    pending.kind = 5;
    pending.target = keccak256("a pending transaction");
    pending.asset = account(1).address();
    pending.amount = U256::from(module_call::ACCOUNT_1_NONCE - 1);
    let mut later = pending.clone();
    later.amount = U256::from(module_call::ACCOUNT_1_NONCE + 2);
    let mut method = account_freeze(Address::repeat_byte(0x77));
    method.kind = 3;
    method.selector = FixedBytes([0xa9, 0x05, 0x9c, 0xbb]);
    add(
        "supervision-pending-method",
        Script::new()
            .call(
                SUPERVISION,
                REGULATOR,
                S::proposeFreezeCall { spec: pending },
                false,
            )
            .call(
                SUPERVISION,
                REGULATOR,
                S::emergencyFreezeCall { spec: later },
                true,
            )
            .call(
                SUPERVISION,
                PRODUCER,
                S::emergencyFreezeCall { spec: method },
                true,
            )
            .call(
                SUPERVISION,
                MEMBER,
                S::emergencyFreezeCall {
                    spec: account_freeze(frozen),
                },
                false,
            )
            .call(
                SUPERVISION,
                REGULATOR,
                S::emergencyFreezeCall {
                    spec: account_freeze(account(1).address()),
                },
                false,
            ),
    );

    // Trace: the registry, a lot's items from commissioning to a consumer's verification,
    // a cross-border pallet through customs, recalls and flags.
    let mut s = Script::new();
    trace_setup(&mut s);
    trace_lot(&mut s, "L1", false, &["S1", "S2"]);
    let now = s.next_time();
    s.call(
        TRACE,
        ORG3,
        T::inspectCall {
            gtin: gtin(),
            lot: "L1".into(),
            serials: vec![],
            pass: true,
            certificateHash: B256::repeat_byte(0xce),
            info: info(now),
        },
        true,
    );
    let now = s.next_time();
    s.call(
        TRACE,
        PRODUCER,
        T::shipCall {
            items: epcs(&["S1", "S2"]),
            ssccs: vec![],
            to: org(3),
            info: info(now),
        },
        true,
    );
    let now = s.next_time();
    s.call(
        TRACE,
        ORG3,
        T::receiveCall {
            items: epcs(&["S1", "S2"]),
            ssccs: vec![],
            info: info(now),
        },
        true,
    );
    let now = s.next_time();
    s.call(
        TRACE,
        ORG3,
        T::sellCall {
            items: epcs(&["S1"]),
            info: info(now),
        },
        true,
    );
    let verify = T::verifyCall {
        gtin: gtin(),
        serial: "S1".into(),
        secret: FixedBytes(secret("S1")),
        cell: "wtw3sj".into(),
        deviceHash: B256::repeat_byte(0xde),
    };
    s.call(TRACE, ORG3, verify.clone(), true)
        .call(TRACE, ORG3, verify, true)
        .view(
            TRACE,
            T::itemCall {
                gtin: gtin(),
                serial: "S1".into(),
            },
        )
        .view(
            TRACE,
            T::lotCall {
                gtin: gtin(),
                lot: "L1".into(),
            },
        )
        .view(TRACE, T::productCall { gtin: gtin() });
    add("trace-lot-to-consumer", &mut s);

    let mut s = Script::new();
    trace_setup(&mut s);
    trace_lot(&mut s, "L2", true, &["P1", "P2"]);
    let pallet = sscc(7);
    for (caller, call, ok) in [
        (
            PRODUCER,
            T::packCall {
                sscc: pallet.clone(),
                items: epcs(&["P1", "P2"]),
                info: info(0),
            }
            .abi_encode(),
            true,
        ),
        (
            PRODUCER,
            T::shipCall {
                items: vec![],
                ssccs: vec![pallet.clone()],
                to: org(3),
                info: info(0),
            }
            .abi_encode(),
            true,
        ),
        (
            PRODUCER,
            T::customsDeclareCall {
                items: vec![],
                ssccs: vec![pallet.clone()],
                declaration: B256::repeat_byte(0xdc),
                info: info(0),
            }
            .abi_encode(),
            true,
        ),
        (
            ORG3,
            T::receiveCall {
                items: vec![],
                ssccs: vec![pallet.clone()],
                info: info(0),
            }
            .abi_encode(),
            true,
        ),
        (
            ORG3,
            T::customsClearCall {
                items: vec![],
                ssccs: vec![pallet.clone()],
                declaration: B256::repeat_byte(0xdc),
                info: info(0),
            }
            .abi_encode(),
            true,
        ),
        (
            ORG3,
            T::unpackCall {
                sscc: pallet.clone(),
                info: info(0),
            }
            .abi_encode(),
            true,
        ),
        (
            ORG3,
            T::sellCall {
                items: epcs(&["P1"]),
                info: info(0),
            }
            .abi_encode(),
            true,
        ),
        (
            ORG3,
            T::decommissionCall {
                items: epcs(&["P2"]),
                info: info(0),
            }
            .abi_encode(),
            true,
        ),
    ] {
        // Every call at the next block's time (patched into its EventInfo).
        let call = with_event_time(&call, s.next_time());
        s.raw(TRACE, caller, 1, &call, ok);
    }
    s.view(
        TRACE,
        T::palletCall {
            sscc: pallet.clone(),
        },
    );
    add("trace-pallet-customs", &mut s);

    let mut s = Script::new();
    trace_setup(&mut s);
    trace_lot(&mut s, "L3", false, &["R1"]);
    let now = s.next_time();
    s.call(
        TRACE,
        PRODUCER_INSPECTOR,
        T::inspectCall {
            gtin: gtin(),
            lot: "L3".into(),
            serials: strings(&["R1"]),
            pass: false,
            certificateHash: B256::repeat_byte(0xce),
            info: info(now),
        },
        false,
    )
    .call(
        TRACE,
        BRAND,
        T::flagCall {
            gtin: gtin(),
            serial: "R1".into(),
            flags: 4,
            set: true,
            reason: B256::repeat_byte(0xf1),
        },
        true,
    )
    .call(
        TRACE,
        REGULATOR,
        T::recallCall {
            gtin: gtin(),
            lot: "L3".into(),
            reason: B256::repeat_byte(0x5e),
        },
        true,
    )
    .call(
        TRACE,
        ORG3,
        T::verifyCall {
            gtin: gtin(),
            serial: "R1".into(),
            secret: FixedBytes([0; 16]),
            cell: "wtw3sj".into(),
            deviceHash: B256::ZERO,
        },
        true,
    )
    .view(
        TRACE,
        T::prefixOwnerCall {
            prefix: PREFIX.into(),
        },
    )
    .view(
        TRACE,
        T::authCommitCall {
            gtin: gtin(),
            serial: "R1".into(),
            secret: FixedBytes(secret("R1")),
        },
    )
    .view(
        TRACE,
        T::itemKeyCall {
            gtin: gtin(),
            serial: "R1".into(),
        },
    )
    .view(
        TRACE,
        T::lotKeyCall {
            gtin: gtin(),
            lot: "L3".into(),
        },
    )
    .view(TRACE, T::palletKeyCall { sscc: sscc(1) });
    add("trace-recall-flag", &mut s);

    // The dispatcher: an address that is no module, and a bare selector to each module.
    add(
        "dispatch",
        Script::new()
            .raw(NOT_A_MODULE, NOBODY, 0, &[0x12, 0x34, 0x56, 0x78], false)
            .raw(TRACE, NOBODY, 0, &[], false)
            .raw(
                SUPERVISION | 0x08,
                NOBODY,
                0,
                &S::orderCountCall {}.abi_encode(),
                true,
            )
            .raw(ASSET | 0x18, REGULATOR, 1, &create_call_bytes(), false),
    );
    out
}

fn create_call_bytes() -> Vec<u8> {
    IAssets::createAssetCall {
        name: "x".into(),
        symbol: "X".into(),
        decimals: 0,
    }
    .abi_encode()
}

/// `call` (a trace call whose last argument is an `EventInfo`) with the event time set
/// to `time`.
fn with_event_time(call: &[u8], time: u64) -> Vec<u8> {
    use alloy_sol_types::SolInterface as _;
    let mut decoded = T::ITraceCalls::abi_decode(call).expect("a trace call");
    let info = match &mut decoded {
        T::ITraceCalls::pack(c) => &mut c.info,
        T::ITraceCalls::unpack(c) => &mut c.info,
        T::ITraceCalls::ship(c) => &mut c.info,
        T::ITraceCalls::receive(c) => &mut c.info,
        T::ITraceCalls::customsDeclare(c) => &mut c.info,
        T::ITraceCalls::customsClear(c) => &mut c.info,
        T::ITraceCalls::sell(c) => &mut c.info,
        T::ITraceCalls::decommission(c) => &mut c.info,
        other => panic!("{other:?} has no EventInfo"),
    };
    info.eventTime = time;
    decoded.abi_encode()
}

#[cfg(test)]
mod tests {
    use entente_execution::ModuleOutput;

    use super::*;

    /// Every module_call seed does what it means to: the calls meant to return do, the
    /// others revert or halt. So the seeds reach the deep paths of every module.
    #[test]
    fn module_call_seeds_reach_their_paths() {
        let mut modules = std::collections::BTreeSet::new();
        for (name, script) in module_call() {
            let outcomes = module_call::execute(&script.bytes);
            assert_eq!(outcomes.len(), script.expect_return.len(), "{name}");
            for (i, (outcome, ok)) in outcomes.iter().zip(&script.expect_return).enumerate() {
                let returned = matches!(outcome.result, Ok(ModuleOutput::Return(_)));
                assert_eq!(
                    returned, *ok,
                    "{name}, call {i} to {}: {:?}",
                    outcome.address, outcome.result
                );
                if returned {
                    modules.insert(outcome.address);
                }
            }
        }
        // Every module, the registry and an asset answered some call.
        for address in entente_modules::MODULE_ADDRESSES {
            assert!(modules.contains(&address), "no seed reaches {address}");
        }
        assert!(modules.contains(&asset_address(1)));
    }

    #[test]
    fn seeds_are_deterministic_and_small() {
        let (a, b) = (module_call(), module_call());
        for ((name, x), (_, y)) in a.iter().zip(&b) {
            assert_eq!(x.bytes, y.bytes, "{name}");
            assert!(x.bytes.len() < 16 * 1024, "{name}");
        }
    }
}

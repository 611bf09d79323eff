//! Writes the seed corpora of the fuzz targets to `fuzz/corpus/<target>/`: a few small
//! valid inputs each, built with the project's own encoders and signers.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example gen_corpus`

use std::{fs, path::PathBuf, sync::Arc};

use alloy_consensus::{TxEip1559, TxEip2930, TxLegacy};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, hex};
use alloy_sol_types::SolCall;
use commonware_codec::Encode as _;
use commonware_consensus::{
    simplex::types::{Finalize, Proposal},
    types::{Epoch, Round, View},
};
use commonware_parallel::Sequential;
use commonware_utils::iter::NonEmpty;
use entente_consensus::{
    Chain, ChainConfig, Finalization, ingress::encode_batch, init_genesis, signing_scheme,
    verify_finalization, verifying_scheme,
};
use entente_modules::{EntenteModules, GOVERNANCE_ADDRESS, governance::abi::IGovernance as G};
use entente_primitives::{Block, BlockCodec};
use entente_storage::{MemoryKv, Store};
use entente_testkit::fixtures::{self, CHAIN_ID, account, admin, transfer, validator_key};
use entente_txpool::{PoolLimits, TxPool};

fn out(target: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(target: &str, name: &str, bytes: impl AsRef<[u8]>) {
    fs::write(out(target).join(name), bytes).unwrap();
}

fn txs() -> Vec<(&'static str, Bytes)> {
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
                input: call.clone().into(),
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
            from.sign(TxEip1559 {
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
            })
            .unwrap()
            .raw,
        ),
    ]
}

fn chain() -> (Arc<Chain>, Block, Block) {
    let spec = Arc::new(fixtures::spec(4, 4));
    let codec = BlockCodec {
        txs_max: spec.limits.block_txs_max,
        txs_bytes_max: spec.limits.block_txs_bytes_max,
    };
    let store = Store::from_kv(Arc::new(MemoryKv::new()), codec).unwrap();
    let genesis = init_genesis(&spec, &store).unwrap();
    let chain = Arc::new(Chain::new(
        spec,
        store,
        TxPool::new(PoolLimits::default()),
        Arc::new(EntenteModules),
        ChainConfig::default(),
    ));
    for nonce in 0..2 {
        let tx = transfer(&account(0), nonce, Address::repeat_byte(7), U256::from(5));
        chain.pool().insert(tx, 0).unwrap();
    }
    let built = chain
        .build(&genesis, Address::repeat_byte(0xf0), 10_000)
        .unwrap();
    let block = built.block.clone();
    (chain, genesis, block)
}

fn finalization(block: &Block, signers: usize) -> Vec<u8> {
    let participants: Vec<_> = (0..4).map(|i| validator_key(i).public_key()).collect();
    let proposal = Proposal::new(
        Round::new(Epoch::new(0), View::new(3)),
        View::new(2),
        commonware_cryptography::Digestible::digest(block),
    );
    let votes: Vec<_> = (0..signers)
        .map(|i| {
            let scheme = signing_scheme(&participants, validator_key(i).0).unwrap();
            Finalize::sign(&scheme, proposal.clone()).unwrap()
        })
        .collect();
    let mut votes = votes.into_iter();
    let first = votes.next().unwrap();
    let certificate = Finalization::from_owned_finalizes(
        &verifying_scheme(&participants),
        NonEmpty::new(first, votes),
        &Sequential,
    )
    .unwrap();
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

fn frame(caller: u8, advance: u8, calldata: &[u8]) -> Vec<u8> {
    let mut out = vec![caller, advance];
    out.extend_from_slice(&(calldata.len() as u16).to_be_bytes());
    out.extend_from_slice(calldata);
    out
}

fn rpc(method: &str, params: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{params}}}"#)
}

fn main() {
    // tx_decode: signed transactions of every accepted type, refused ones, and a gossip batch.
    let txs = txs();
    for (name, raw) in &txs {
        write("tx_decode", name, raw);
    }
    let batch: Vec<Bytes> = txs.iter().take(2).map(|(_, raw)| raw.clone()).collect();
    write("tx_decode", "gossip-batch", encode_batch(&batch));

    // block_decode: genesis, a block with two transfers, certificates of 3 and 4 signers.
    let (chain, genesis, block) = chain();
    write(
        "block_decode",
        "block-genesis",
        with_selector(0, &genesis.encode()),
    );
    write(
        "block_decode",
        "block-two-transfers",
        with_selector(0, &block.encode()),
    );
    write(
        "block_decode",
        "finalization-3of4",
        with_selector(1, &finalization(&block, 3)),
    );
    write(
        "block_decode",
        "finalization-4of4",
        with_selector(1, &finalization(&block, 4)),
    );

    // rpc_request: one request per family of methods, valid parameters.
    let tx_hex = hex::encode_prefixed(&txs[4].1);
    let addr = account(0).address();
    let block_hash = block.hash();
    let tx_hash = alloy_primitives::keccak256(&block.txs[0]);
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
    for (name, request) in requests {
        write("rpc_request", name, request);
    }
    drop(chain);

    // governance_abi: queries, an admin's registry change, and a proposal carried by votes.
    let new_org = B256::right_padding_from(b"org9");
    let member = Address::repeat_byte(0x42);
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        ("orgs", frame(8, 0, &G::orgsCall {}.abi_encode())),
        (
            "validators",
            frame(8, 0, &G::validatorsCall {}.abi_encode()),
        ),
        (
            "getAccount",
            frame(
                8,
                0,
                &G::getAccountCall {
                    account: account(0).address(),
                }
                .abi_encode(),
            ),
        ),
        (
            "registerAccount",
            [
                frame(
                    0,
                    1,
                    &G::registerAccountCall {
                        account: member,
                        roles: vec!["member".into(), "deployer".into()],
                    }
                    .abi_encode(),
                ),
                frame(
                    8,
                    0,
                    &G::hasRoleCall {
                        account: member,
                        role: "deployer".into(),
                    }
                    .abi_encode(),
                ),
            ]
            .concat(),
        ),
        (
            "proposeAddOrg-votes",
            [
                frame(
                    0,
                    1,
                    &G::proposeAddOrgCall {
                        id: new_org,
                        name: "Org 9".into(),
                        admin: admin(9).address(),
                        weight: 1,
                    }
                    .abi_encode(),
                ),
                frame(1, 1, &G::voteCall { id: 1, agree: true }.abi_encode()),
                frame(2, 1, &G::voteCall { id: 1, agree: true }.abi_encode()),
                frame(8, 0, &G::getProposalCall { id: 1 }.abi_encode()),
                frame(8, 0, &G::getOrgCall { id: new_org }.abi_encode()),
            ]
            .concat(),
        ),
        (
            "proposeSetParam",
            frame(
                3,
                1,
                &G::proposeSetParamCall {
                    key: "approvalPct".into(),
                    value: U256::from(75),
                }
                .abi_encode(),
            ),
        ),
        (
            "unknown-selector",
            frame(0, 0, &[0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1]),
        ),
    ];
    for (name, bytes) in seeds {
        write("governance_abi", name, bytes);
    }
    let _ = admin(0);
    println!("corpus written to {}", out("").display());
}

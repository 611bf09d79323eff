//! Workloads, generated deterministically and signed before the clock starts.
//!
//! Transaction `i` of a workload is sent by sender `i mod K` with that sender's next
//! nonce, so every sender's transactions are spread evenly over the run and each one
//! always goes to the same node (sender `s` to node `s mod N`), in nonce order. The signed
//! bytes and the JSON-RPC batch bodies are built here, once: the load loop only posts
//! them, and `--compare anvil` posts the very same bodies to anvil.

use std::{fmt, str::FromStr};

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use entente_primitives::LocalSigner;
use serde::Serialize;

use crate::{BenchError, contracts};

/// Gas limits of the workload's transactions (the chain's gas price is zero, so these
/// only bound the work; they are generous enough for first writes to fresh slots).
pub const NATIVE_GAS: u64 = 21_000;
pub const ERC20_GAS: u64 = 90_000;
pub const RECORD_GAS: u64 = 90_000;
pub const DEPLOY_GAS: u64 = 400_000;
/// Distinct recipients of transfers: a bounded set, so a long run does not grow the
/// state without limit and the small- and large-state runs touch the same keys.
pub const RECIPIENTS: usize = 4096;
/// Most transactions one JSON-RPC batch may carry (the node's default batch limit).
pub const BATCH_TXS_MAX: usize = 100;

/// What the measured transactions do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkloadKind {
    /// Native value transfers of 1 wei.
    Native,
    /// `transfer(to, 1)` on an OpenZeppelin 5 ERC-20.
    Erc20,
    /// 70% ERC-20 transfers, 20% native transfers, 5% contract calls that write storage
    /// and emit an event, 5% deployments of that contract.
    Mixed,
}

impl fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Native => "native",
            Self::Erc20 => "erc20",
            Self::Mixed => "mixed",
        })
    }
}

impl FromStr for WorkloadKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "native" => Ok(Self::Native),
            "erc20" => Ok(Self::Erc20),
            "mixed" => Ok(Self::Mixed),
            other => Err(format!("unknown workload {other:?} (native, erc20, mixed)")),
        }
    }
}

/// One transaction of the mixed workload, by draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Native,
    Erc20,
    Record,
    Deploy,
}

fn op(kind: WorkloadKind, index: u64) -> Op {
    match kind {
        WorkloadKind::Native => Op::Native,
        WorkloadKind::Erc20 => Op::Erc20,
        WorkloadKind::Mixed => match splitmix(index) % 100 {
            0..70 => Op::Erc20,
            70..90 => Op::Native,
            90..95 => Op::Record,
            _ => Op::Deploy,
        },
    }
}

/// A well-mixed deterministic hash of `x` (SplitMix64's finaliser).
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The `j`-th transfer recipient: an address nobody holds a key for.
pub fn recipient(j: usize) -> Address {
    Address::from_slice(&keccak256(format!("entente/bench/recipient/{j}"))[12..])
}

/// Contracts the workload calls, deployed in setup.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Deployed {
    pub token: Address,
    pub events: Address,
}

/// What to generate.
pub struct WorkloadSpec<'a> {
    pub kind: WorkloadKind,
    pub chain_id: u64,
    pub txs: usize,
    pub senders: &'a [LocalSigner],
    /// Each sender's first nonce (its account nonce on the target when signing).
    pub start_nonces: &'a [u64],
    pub contracts: Deployed,
    /// Number of nodes the load is spread over.
    pub nodes: usize,
    pub batch_txs: usize,
    /// Signing threads.
    pub threads: usize,
}

/// A signed transaction of the workload.
#[derive(Clone, Debug)]
pub struct SignedTx {
    pub raw: Bytes,
    pub hash: B256,
}

/// A JSON-RPC batch of `eth_sendRawTransaction` calls, serialised.
#[derive(Clone, Debug)]
pub struct Batch {
    /// Index of the node it goes to.
    pub node: usize,
    /// Indices into [`Workload::txs`], in call-id order.
    pub txs: Vec<u32>,
    pub body: bytes::Bytes,
}

/// A workload ready to send.
pub struct Workload {
    pub kind: WorkloadKind,
    pub txs: Vec<SignedTx>,
    pub batches: Vec<Batch>,
}

impl Workload {
    /// Generates and signs `spec.txs` transactions and packs them into batches.
    pub fn generate(spec: &WorkloadSpec<'_>) -> Result<Self, BenchError> {
        let senders = spec.senders.len();
        if senders == 0 || spec.start_nonces.len() != senders {
            return Err(BenchError::Invalid {
                option: "--senders",
                reason: "need at least one sender and a start nonce for each".into(),
            });
        }
        if spec.txs == 0 || spec.txs > u32::MAX as usize {
            return Err(BenchError::Invalid {
                option: "--txs",
                reason: format!("{} is out of range", spec.txs),
            });
        }
        if spec.nodes == 0 || !(1..=BATCH_TXS_MAX).contains(&spec.batch_txs) {
            return Err(BenchError::Invalid {
                option: "--batch",
                reason: format!("batch size must be 1..={BATCH_TXS_MAX} and nodes at least 1"),
            });
        }
        let codes = contracts::bytecodes()?;
        let recipients: Vec<Address> = (0..RECIPIENTS).map(recipient).collect();
        let threads = spec.threads.clamp(1, 64);
        let chunk = spec.txs.div_ceil(threads);
        let txs = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let range = (t * chunk)..((t + 1) * chunk).min(spec.txs);
                    let recipients = &recipients;
                    scope.spawn(move || {
                        range
                            .map(|i| sign_one(spec, codes, recipients, i))
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            let mut txs = Vec::with_capacity(spec.txs);
            for handle in handles {
                let part = handle
                    .join()
                    .map_err(|_| BenchError::Signing("a signing thread panicked".into()))??;
                txs.extend(part);
            }
            Ok::<_, BenchError>(txs)
        })?;
        let batches = pack(&txs, senders, spec.nodes, spec.batch_txs);
        Ok(Self {
            kind: spec.kind,
            txs,
            batches,
        })
    }
}

fn sign_one(
    spec: &WorkloadSpec<'_>,
    codes: &contracts::Bytecodes,
    recipients: &[Address],
    i: usize,
) -> Result<SignedTx, BenchError> {
    let senders = spec.senders.len();
    let sender = i % senders;
    let nonce = spec.start_nonces[sender] + (i / senders) as u64;
    let to = recipients[splitmix(i as u64 ^ 0x5EED) as usize % recipients.len()];
    let (kind, gas_limit, value, input) = match op(spec.kind, i as u64) {
        Op::Native => (TxKind::Call(to), NATIVE_GAS, U256::from(1), Bytes::new()),
        Op::Erc20 => (
            TxKind::Call(spec.contracts.token),
            ERC20_GAS,
            U256::ZERO,
            contracts::transfer_call(to, U256::from(1)),
        ),
        Op::Record => (
            TxKind::Call(spec.contracts.events),
            RECORD_GAS,
            U256::ZERO,
            contracts::record_call(U256::from(i), U256::from(nonce)),
        ),
        Op::Deploy => (TxKind::Create, DEPLOY_GAS, U256::ZERO, codes.events.clone()),
    };
    let signed = spec.senders[sender]
        .sign(eip1559(spec.chain_id, nonce, gas_limit, kind, value, input))
        .map_err(|err| BenchError::Signing(err.to_string()))?;
    Ok(SignedTx {
        raw: signed.raw,
        hash: signed.hash,
    })
}

/// A zero-fee EIP-1559 transaction (the chain's gas price is zero; anvil runs with a
/// zero base fee for the comparison).
pub fn eip1559(
    chain_id: u64,
    nonce: u64,
    gas_limit: u64,
    to: TxKind,
    value: U256,
    input: Bytes,
) -> TxEip1559 {
    TxEip1559 {
        chain_id,
        nonce,
        gas_limit,
        max_fee_per_gas: 0,
        max_priority_fee_per_gas: 0,
        to,
        value,
        access_list: Default::default(),
        input,
    }
}

/// Splits the transactions into per-node batches, keeping each node's transactions in
/// workload order; batches are listed in the order they fill up, which interleaves the
/// nodes.
fn pack(txs: &[SignedTx], senders: usize, nodes: usize, batch_txs: usize) -> Vec<Batch> {
    let mut open: Vec<Vec<u32>> = vec![Vec::with_capacity(batch_txs); nodes];
    let mut batches = Vec::with_capacity(txs.len().div_ceil(batch_txs) + nodes);
    for index in 0..txs.len() {
        let node = (index % senders) % nodes;
        open[node].push(index as u32);
        if open[node].len() == batch_txs {
            let ids = std::mem::replace(&mut open[node], Vec::with_capacity(batch_txs));
            batches.push(batch(txs, node, ids));
        }
    }
    for (node, ids) in open.into_iter().enumerate() {
        if !ids.is_empty() {
            batches.push(batch(txs, node, ids));
        }
    }
    batches
}

fn batch(txs: &[SignedTx], node: usize, ids: Vec<u32>) -> Batch {
    let body = send_raw_body(ids.iter().map(|&i| &txs[i as usize].raw));
    Batch {
        node,
        txs: ids,
        body,
    }
}

/// A JSON-RPC batch body of `eth_sendRawTransaction` calls with ids `0..n`.
pub fn send_raw_body<'a>(raws: impl Iterator<Item = &'a Bytes>) -> bytes::Bytes {
    let mut body = String::with_capacity(4096);
    body.push('[');
    for (id, raw) in raws.enumerate() {
        if id > 0 {
            body.push(',');
        }
        body.push_str(r#"{"jsonrpc":"2.0","id":"#);
        body.push_str(&id.to_string());
        body.push_str(r#","method":"eth_sendRawTransaction","params":["0x"#);
        body.push_str(&alloy_primitives::hex::encode(raw));
        body.push_str(r#""]}"#);
    }
    body.push(']');
    bytes::Bytes::from(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use entente_primitives::RecoveredTx;

    fn senders(n: usize) -> Vec<LocalSigner> {
        (0..n)
            .map(|i| LocalSigner::deterministic(&format!("workload-test/{i}")))
            .collect()
    }

    #[test]
    fn mixed_draws_match_the_advertised_shares() {
        let mut counts = [0usize; 4];
        for i in 0..100_000 {
            counts[op(WorkloadKind::Mixed, i) as usize] += 1;
        }
        let share = |n: usize| n as f64 / 1000.0;
        assert!(
            (share(counts[Op::Erc20 as usize]) - 70.0).abs() < 1.0,
            "{counts:?}"
        );
        assert!(
            (share(counts[Op::Native as usize]) - 20.0).abs() < 1.0,
            "{counts:?}"
        );
        assert!(
            (share(counts[Op::Record as usize]) - 5.0).abs() < 0.5,
            "{counts:?}"
        );
        assert!(
            (share(counts[Op::Deploy as usize]) - 5.0).abs() < 0.5,
            "{counts:?}"
        );
    }

    #[test]
    fn workload_is_signed_in_nonce_order_per_sender_and_batched_per_node() {
        let keys = senders(5);
        let spec = WorkloadSpec {
            kind: WorkloadKind::Mixed,
            chain_id: 1337,
            txs: 103,
            senders: &keys,
            start_nonces: &[0, 3, 0, 0, 7],
            contracts: Deployed {
                token: Address::repeat_byte(1),
                events: Address::repeat_byte(2),
            },
            nodes: 2,
            batch_txs: 10,
            threads: 3,
        };
        let workload = Workload::generate(&spec).unwrap();
        assert_eq!(workload.txs.len(), 103);
        let mut next = [0u64, 3, 0, 0, 7];
        for (i, tx) in workload.txs.iter().enumerate() {
            let decoded = RecoveredTx::decode(tx.raw.clone(), 1337, 1 << 17).unwrap();
            let sender = i % 5;
            assert_eq!(decoded.sender, keys[sender].address());
            assert_eq!(decoded.nonce(), next[sender]);
            assert_eq!(decoded.hash, tx.hash);
            next[sender] += 1;
        }
        let mut seen = [false; 103];
        for batch in &workload.batches {
            assert!(batch.txs.len() <= 10);
            let body: serde_json::Value = serde_json::from_slice(&batch.body).unwrap();
            assert_eq!(body.as_array().unwrap().len(), batch.txs.len());
            for &i in &batch.txs {
                assert_eq!((i as usize % 5) % 2, batch.node);
                assert!(!std::mem::replace(&mut seen[i as usize], true));
            }
        }
        assert!(seen.iter().all(|s| *s));
    }

    #[test]
    fn bad_specs_are_refused() {
        let keys = senders(1);
        let mut spec = WorkloadSpec {
            kind: WorkloadKind::Native,
            chain_id: 1,
            txs: 0,
            senders: &keys,
            start_nonces: &[0],
            contracts: Deployed {
                token: Address::ZERO,
                events: Address::ZERO,
            },
            nodes: 1,
            batch_txs: 10,
            threads: 1,
        };
        assert!(Workload::generate(&spec).is_err());
        spec.txs = 1;
        spec.batch_txs = 1000;
        assert!(Workload::generate(&spec).is_err());
        assert_eq!("erc20".parse::<WorkloadKind>(), Ok(WorkloadKind::Erc20));
        assert!("erc721".parse::<WorkloadKind>().is_err());
    }
}

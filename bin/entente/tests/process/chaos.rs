//! Real-process chaos: four `entente node` processes on 127.0.0.1 under continuous
//! transfer load, while a seeded script kills (SIGKILL) and restarts random validators,
//! never more than f = 1 out at once. At the end every node must hold the same chain
//! (block hash and state root at every height) and every acknowledged transaction must
//! be in a finalised block exactly once.
//!
//! Replay a run with `ENTENTE_CHAOS_SEED=<seed>` (the seed is printed first).

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use alloy_consensus::TxEip1559;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use entente_primitives::LocalSigner;
use serde_json::{Value, json};

use crate::common::*;

const NODES: usize = 4;
/// Most validators down at once: f for n = 4.
const F: usize = 1;
const CHAIN_ID: u64 = 779;
/// Accounts sending transfers, round-robin.
const SENDERS: usize = 6;
/// How long the script starts new kills (the last kill-restart cycle ends a few seconds
/// later).
const CHAOS: Duration = Duration::from_secs(40);
/// An acknowledged transaction may vanish with its node's in-memory pool if the node is
/// killed before its gossip reached a peer; a loss whose acknowledging node lived on
/// longer than this after the acknowledgement is a bug.
const GOSSIP_WINDOW: Duration = Duration::from_secs(2);
/// No new inclusion for this long while acknowledged transactions are missing: stalled.
const STALL: Duration = Duration::from_secs(3);
/// Most transfers the load thread submits.
const TXS_MAX: usize = 2_000;
/// Submissions per second the load thread aims at (leaves CPU to the nodes on 2 cores).
const TX_RATE: f64 = 30.0;
/// A restarted node must catch up within this.
const CATCH_UP_MAX: Duration = Duration::from_secs(40);
/// Calls per JSON-RPC batch (the node's default limit is 100).
const BATCH: usize = 100;

/// splitmix64: small, seeded, replayable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A duration in `[lo, hi)` milliseconds.
    fn millis(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(lo + self.below(hi - lo))
    }
}

struct Network {
    dir: Scratch,
    rpc: Vec<String>,
    nodes: Vec<Option<Proc>>,
    senders: Vec<LocalSigner>,
}

impl Network {
    fn init() -> Self {
        let dir = Scratch::new("chaos");
        // Below the ephemeral range: a killed node's port must still be free when it
        // restarts (see `free_ports_below_ephemeral`).
        let base = free_ports_below_ephemeral(3 * NODES as u16);
        let out = dir.0.join("net");
        let output = std::process::Command::new(entente())
            .args([
                "init",
                "--orgs",
                &NODES.to_string(),
                "--out",
                out.to_str().unwrap(),
                "--chain-id",
                &CHAIN_ID.to_string(),
                "--accounts",
                &SENDERS.to_string(),
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
        let accounts: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("accounts.json")).unwrap())
                .unwrap();
        let senders: Vec<LocalSigner> = accounts
            .as_array()
            .unwrap()
            .iter()
            .map(|a| LocalSigner::from_hex(a["private_key"].as_str().unwrap()).unwrap())
            .collect();
        assert_eq!(senders.len(), SENDERS);
        Self {
            rpc: (0..NODES)
                .map(|i| format!("http://127.0.0.1:{}", base + (NODES + i) as u16))
                .collect(),
            nodes: (0..NODES).map(|_| None).collect(),
            senders,
            dir,
        }
    }

    fn start(&mut self, i: usize) {
        assert!(self.nodes[i].is_none(), "node{i} already running");
        let config = self.dir.0.join(format!("net/node{i}/config.toml"));
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let log = self.dir.0.join(format!("node{i}-{stamp}.log"));
        self.nodes[i] = Some(Proc::spawn(
            &["node", "--config", config.to_str().unwrap()],
            &log,
        ));
    }

    fn kill(&mut self, i: usize) {
        let mut node = self.nodes[i].take().expect("node running");
        node.kill();
    }

    fn down(&self) -> usize {
        self.nodes.iter().filter(|n| n.is_none()).count()
    }

    fn height(&self, i: usize) -> Option<u64> {
        block_number(&self.rpc[i])
    }

    fn logs(&self) -> String {
        let mut paths: Vec<_> = std::fs::read_dir(&self.dir.0)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        paths.retain(|p| p.extension().is_some_and(|e| e == "log"));
        paths.sort();
        paths
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).unwrap_or_default();
                format!("==== {}\n{}\n", p.display(), tail(&text))
            })
            .collect()
    }
}

/// One JSON-RPC batch: `calls` are `(method, params)`; answers in the same order.
fn rpc_batch(url: &str, calls: &[(&str, Value)]) -> Result<Vec<Result<Value, Value>>, String> {
    let body: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(id, (method, params))| {
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
        })
        .collect();
    let response = raw_post(url, &Value::Array(body).to_string())?;
    let value: Value = serde_json::from_str(&response).map_err(|e| format!("{e}: {response}"))?;
    let answers = value
        .as_array()
        .ok_or_else(|| format!("not a batch answer: {response}"))?;
    let mut out: Vec<Result<Value, Value>> = vec![Err(Value::Null); calls.len()];
    for answer in answers {
        let id = answer["id"].as_u64().ok_or("answer without id")? as usize;
        out[id] = match answer.get("error") {
            Some(error) => Err(error.clone()),
            None => Ok(answer.get("result").cloned().unwrap_or(Value::Null)),
        };
    }
    Ok(out)
}

/// `rpc_batch` over any number of calls, in chunks the node accepts.
fn rpc_many(url: &str, calls: &[(&str, Value)]) -> Result<Vec<Result<Value, Value>>, String> {
    let mut out = Vec::with_capacity(calls.len());
    for chunk in calls.chunks(BATCH) {
        out.extend(rpc_batch(url, chunk)?);
    }
    Ok(out)
}

/// How a submission came to count as acknowledged.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ack {
    /// `eth_sendRawTransaction` returned the hash.
    Hash,
    /// A resubmission (after a node died before answering) got "already known".
    AlreadyKnown,
    /// A resubmission got "nonce too low": the earlier attempt was already included.
    NonceUsed,
}

/// One signed transfer and what the network said about it.
#[derive(Clone, Debug)]
struct Sent {
    sender: usize,
    nonce: u64,
    hash: String,
    raw: String,
    /// The node whose answer acknowledged it.
    node: usize,
    at: Instant,
    ack: Ack,
}

#[derive(Default, Debug)]
struct LoadReport {
    sent: Vec<Sent>,
    /// Attempts that failed at the transport (node down or killed mid-request).
    failovers: usize,
    /// Answers no careful client expects (e.g. "already known" on a first attempt).
    unexpected: Vec<String>,
}

/// Submits transfers round-robin over senders and nodes until `stop` or `TXS_MAX`.
/// Each sender's nonce only advances once its transaction is acknowledged; a submission
/// that dies with its node is retried, same bytes, on the next node.
fn load(
    urls: Vec<String>,
    senders: Vec<LocalSigner>,
    stop: Arc<AtomicBool>,
    start: Instant,
) -> LoadReport {
    let mut report = LoadReport::default();
    let mut nonces = vec![0u64; senders.len()];
    let mut next_node = 0usize;
    let interval = Duration::from_secs_f64(1.0 / TX_RATE);
    let mut due = Instant::now();
    while !stop.load(Ordering::Relaxed) && report.sent.len() < TXS_MAX {
        let s = report.sent.len() % senders.len();
        let tx = senders[s]
            .sign(TxEip1559 {
                chain_id: CHAIN_ID,
                nonce: nonces[s],
                gas_limit: 21_000,
                max_fee_per_gas: 0,
                max_priority_fee_per_gas: 0,
                to: TxKind::Call(Address::repeat_byte(0x42)),
                value: U256::from(1 + report.sent.len()),
                access_list: Default::default(),
                input: Bytes::new(),
            })
            .unwrap();
        let hash = format!("{:#x}", tx.hash);
        let raw = tx.raw.to_string();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut attempt = 0usize;
        let acked = loop {
            assert!(
                Instant::now() < deadline,
                "no node acknowledged {hash} (sender {s}, nonce {}) in 30 s",
                nonces[s]
            );
            let node = next_node % urls.len();
            next_node += 1;
            let answer = rpc(&urls[node], "eth_sendRawTransaction", json!([raw]));
            let resubmitted = attempt > 0;
            attempt += 1;
            match answer {
                Ok(v) => {
                    if v.as_str() != Some(hash.as_str()) {
                        report
                            .unexpected
                            .push(format!("node{node} answered {v} for {hash}"));
                    }
                    break (node, Ack::Hash);
                }
                Err(e) if e.get("transport").is_some() || e.get("parse").is_some() => {
                    report.failovers += 1;
                    if attempt.is_multiple_of(urls.len()) {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
                Err(e) => {
                    let message = e["message"].as_str().unwrap_or_default().to_string();
                    if resubmitted && message.contains("already known") {
                        break (node, Ack::AlreadyKnown);
                    }
                    if resubmitted && message.contains("nonce too low") {
                        break (node, Ack::NonceUsed);
                    }
                    report.unexpected.push(format!(
                        "node{node} refused {hash} (sender {s}, nonce {}, attempt {attempt}) \
                         at {:?}: {e}",
                        nonces[s],
                        start.elapsed()
                    ));
                    // Retry elsewhere; a refusal that persists fails the deadline above.
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        };
        report.sent.push(Sent {
            sender: s,
            nonce: nonces[s],
            hash,
            raw,
            node: acked.0,
            at: Instant::now(),
            ack: acked.1,
        });
        nonces[s] += 1;
        due += interval;
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        } else {
            due = now;
        }
    }
    report
}

/// Waits until node `i` is within one block of the highest other live node; the time it
/// took, or `None` if it did not within `CATCH_UP_MAX`.
fn wait_caught_up(net: &mut Network, i: usize, since: Instant) -> Option<Duration> {
    while since.elapsed() < CATCH_UP_MAX {
        let node = net.nodes[i].as_mut().expect("node running");
        if let Ok(Some(status)) = node.child.try_wait() {
            panic!(
                "node{i} exited ({status}) after its restart\n{}",
                tail(&node.log_text())
            );
        }
        let others = (0..NODES)
            .filter(|&j| j != i && net.nodes[j].is_some())
            .filter_map(|j| net.height(j))
            .max();
        if let (Some(mine), Some(others)) = (net.height(i), others)
            && mine + 1 >= others
        {
            return Some(since.elapsed());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

#[test]
fn four_processes_under_load_survive_random_kills() {
    let seed = std::env::var("ENTENTE_CHAOS_SEED")
        .ok()
        .map(|s| {
            s.trim()
                .parse::<u64>()
                .expect("ENTENTE_CHAOS_SEED is a u64")
        })
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    println!("chaos seed {seed} (replay: ENTENTE_CHAOS_SEED={seed})");
    let mut rng = Rng(seed);
    let test_start = Instant::now();

    let mut net = Network::init();
    println!("scratch dir {}", net.dir.0.display());
    for i in 0..NODES {
        net.start(i);
    }
    for i in 0..NODES {
        assert!(
            wait_for_height(&net.rpc[i], 2, Duration::from_secs(60)),
            "node{i} made no progress\n{}",
            net.logs()
        );
    }
    for (s, signer) in net.senders.iter().enumerate() {
        let nonce = rpc(
            &net.rpc[0],
            "eth_getTransactionCount",
            json!([signer.address(), "latest"]),
        )
        .unwrap();
        assert_eq!(quantity(&nonce), 0, "sender {s} starts fresh");
    }

    // Load.
    let stop = Arc::new(AtomicBool::new(false));
    let loader = {
        let (urls, senders, stop) = (net.rpc.clone(), net.senders.clone(), stop.clone());
        std::thread::spawn(move || load(urls, senders, stop, test_start))
    };

    // Chaos: kill a random validator, keep it down a while, restart it, wait until it
    // has caught up (a node still catching up does not vote, so it counts as down), and
    // only then pick the next victim.
    let chaos_start = Instant::now();
    let mut kills: Vec<(usize, Instant)> = Vec::new();
    let mut restarts = 0usize;
    let mut catch_ups: Vec<(usize, Duration, u64)> = Vec::new();
    while chaos_start.elapsed() < CHAOS {
        std::thread::sleep(rng.millis(500, 3_000));
        if loader.is_finished() {
            break;
        }
        let victim = rng.below(NODES as u64) as usize;
        assert!(net.down() < F, "more than f validators would be down");
        let height = net.height(victim);
        net.kill(victim);
        kills.push((victim, Instant::now()));
        println!(
            "[{:>5.1}s] SIGKILL node{victim} at height {height:?}",
            test_start.elapsed().as_secs_f64()
        );
        std::thread::sleep(rng.millis(200, 4_000));
        net.start(victim);
        restarts += 1;
        let restarted = Instant::now();
        let Some(took) = wait_caught_up(&mut net, victim, restarted) else {
            stop.store(true, Ordering::Relaxed);
            panic!(
                "node{victim} did not catch up within {CATCH_UP_MAX:?} of its restart \
                 (at {:?}, others at {:?})\n{}",
                net.height(victim),
                (0..NODES).map(|j| net.height(j)).collect::<Vec<_>>(),
                net.logs()
            );
        };
        let at = net.height(victim).unwrap_or_default();
        println!(
            "[{:>5.1}s] node{victim} restarted, caught up at height {at} in {:.1}s",
            test_start.elapsed().as_secs_f64(),
            took.as_secs_f64()
        );
        catch_ups.push((victim, took, at));
    }
    stop.store(true, Ordering::Relaxed);
    let report = match loader.join() {
        Ok(report) => report,
        Err(panic) => {
            eprintln!("{}", net.logs());
            std::panic::resume_unwind(panic);
        }
    };
    let chaos_time = chaos_start.elapsed();
    assert_eq!(net.down(), 0, "all validators are up at the end");
    assert!(
        report.unexpected.is_empty(),
        "unexpected answers: {:#?}",
        report.unexpected
    );
    assert!(!kills.is_empty(), "the script killed nobody");
    let sent = &report.sent;
    println!(
        "[{:>5.1}s] load stopped: {} txs acknowledged ({} by hash, {} already known, {} \
         nonce used), {} failovers",
        test_start.elapsed().as_secs_f64(),
        sent.len(),
        sent.iter().filter(|s| s.ack == Ack::Hash).count(),
        sent.iter().filter(|s| s.ack == Ack::AlreadyKnown).count(),
        sent.iter().filter(|s| s.ack == Ack::NonceUsed).count(),
        report.failovers
    );

    // Settle: wait for every acknowledged transaction to be finalised. A transaction can
    // only be lost from the network when every pool that held it was killed (pools live
    // in memory). A careful client rebroadcasts what has stalled, same bytes; each stall
    // must be explained by a kill of the node that acknowledged it, else the test fails.
    let mut included: HashMap<String, u64> = HashMap::new();
    let mut rebroadcasts: HashSet<String> = HashSet::new();
    // The first missing nonce of each stalled sender: dropped by the network.
    let mut dropped: Vec<String> = Vec::new();
    let mut unexplained: Vec<String> = Vec::new();
    let settle_start = Instant::now();
    let mut last_progress = Instant::now();
    loop {
        let missing: Vec<&Sent> = sent
            .iter()
            .filter(|s| !included.contains_key(&s.hash))
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            settle_start.elapsed() < Duration::from_secs(40),
            "{} acknowledged txs not finalised 40 s after the load stopped, e.g. {:?}\n{}",
            missing.len(),
            missing.first(),
            net.logs()
        );
        let calls: Vec<(&str, Value)> = missing
            .iter()
            .map(|s| ("eth_getTransactionReceipt", json!([s.hash])))
            .collect();
        let answers = rpc_many(&net.rpc[0], &calls).expect("receipts from node0");
        let before = included.len();
        for (s, answer) in missing.iter().zip(answers) {
            if let Ok(receipt) = answer
                && !receipt.is_null()
            {
                included.insert(s.hash.clone(), quantity(&receipt["blockNumber"]));
            }
        }
        if included.len() > before {
            last_progress = Instant::now();
        } else if last_progress.elapsed() > STALL {
            // Stalled: the lowest missing nonce of each sender holds the others back.
            let mut first: BTreeMap<usize, &Sent> = BTreeMap::new();
            for s in &missing {
                first.entry(s.sender).or_insert(s);
            }
            for s in first.values() {
                if dropped.contains(&s.hash) {
                    continue;
                }
                let killed_after = kills
                    .iter()
                    .filter(|(node, at)| *node == s.node && *at >= s.at)
                    .map(|(_, at)| at.duration_since(s.at))
                    .min();
                let line = format!(
                    "sender {} nonce {} {} acknowledged by node{} ({:?}) at {:.1}s; \
                     that node was next killed {:?} later",
                    s.sender,
                    s.nonce,
                    s.hash,
                    s.node,
                    s.ack,
                    s.at.duration_since(test_start).as_secs_f64(),
                    killed_after
                );
                println!("stalled: {line}");
                dropped.push(s.hash.clone());
                if killed_after.is_none_or(|after| after > GOSSIP_WINDOW) {
                    unexplained.push(line);
                }
            }
            for (k, s) in missing.iter().enumerate() {
                let _ = rpc(
                    &net.rpc[k % NODES],
                    "eth_sendRawTransaction",
                    json!([s.raw]),
                );
                rebroadcasts.insert(s.hash.clone());
            }
            last_progress = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        unexplained.is_empty(),
        "acknowledged txs lost while the node that acknowledged them stayed up: {unexplained:#?}\n{}",
        net.logs()
    );

    // Converge: every node reaches the head the highest one has now.
    let head = (0..NODES)
        .filter_map(|i| net.height(i))
        .max()
        .expect("a head");
    for i in 0..NODES {
        assert!(
            wait_for_height(&net.rpc[i], head, Duration::from_secs(30)),
            "node{i} did not reach head {head} (at {:?})\n{}",
            net.height(i),
            net.logs()
        );
    }

    // Same block hash and state root at every height on every node; no tx twice.
    let calls: Vec<(&str, Value)> = (0..=head)
        .map(|h| ("eth_getBlockByNumber", json!([format!("0x{h:x}"), false])))
        .collect();
    let chains: Vec<Vec<Value>> = (0..NODES)
        .map(|i| {
            rpc_many(&net.rpc[i], &calls)
                .unwrap_or_else(|e| panic!("blocks from node{i}: {e}"))
                .into_iter()
                .enumerate()
                .map(|(h, b)| match b {
                    Ok(block) if !block.is_null() => block,
                    other => panic!("node{i} has no block {h}: {other:?}"),
                })
                .collect()
        })
        .collect();
    for h in 0..=head as usize {
        let reference = &chains[0][h];
        assert_eq!(quantity(&reference["number"]), h as u64);
        for (i, chain) in chains.iter().enumerate().skip(1) {
            assert_eq!(
                (&chain[h]["hash"], &chain[h]["stateRoot"]),
                (&reference["hash"], &reference["stateRoot"]),
                "node{i} and node0 disagree at height {h}"
            );
            assert_eq!(
                chain[h]["transactions"], reference["transactions"],
                "node{i} and node0 disagree on the transactions of height {h}"
            );
        }
    }
    let mut occurrences: HashMap<String, Vec<u64>> = HashMap::new();
    for (h, block) in chains[0].iter().enumerate() {
        for tx in block["transactions"].as_array().expect("tx hashes") {
            let tx = tx.as_str().expect("tx hash").to_lowercase();
            occurrences.entry(tx).or_default().push(h as u64);
        }
    }
    let twice: Vec<_> = occurrences.iter().filter(|(_, hs)| hs.len() > 1).collect();
    assert!(twice.is_empty(), "txs in more than one block: {twice:?}");
    let ours: HashSet<&str> = sent.iter().map(|s| s.hash.as_str()).collect();
    let foreign: Vec<_> = occurrences
        .keys()
        .filter(|h| !ours.contains(h.as_str()))
        .collect();
    assert!(foreign.is_empty(), "txs nobody sent: {foreign:?}");

    // Every acknowledged tx: a successful receipt on every node, in the block that
    // carries it, exactly once.
    let mut lost = 0usize;
    for i in 0..NODES {
        let calls: Vec<(&str, Value)> = sent
            .iter()
            .map(|s| ("eth_getTransactionReceipt", json!([s.hash])))
            .collect();
        let answers = rpc_many(&net.rpc[i], &calls).expect("receipts");
        for (s, answer) in sent.iter().zip(answers) {
            let receipt = match answer {
                Ok(r) if !r.is_null() => r,
                other => {
                    lost += 1;
                    eprintln!("node{i}: no receipt for {s:?}: {other:?}");
                    continue;
                }
            };
            assert_eq!(receipt["status"], "0x1", "node{i}: {receipt}");
            let at = quantity(&receipt["blockNumber"]);
            assert_eq!(
                occurrences.get(&s.hash).map(Vec::as_slice),
                Some(&[at][..]),
                "node{i}: {} is in block {at} by its receipt",
                s.hash
            );
        }
    }
    // Every nonce each sender used is one of its acknowledged transfers.
    for (k, signer) in net.senders.iter().enumerate() {
        let nonce = rpc(
            &net.rpc[k % NODES],
            "eth_getTransactionCount",
            json!([signer.address(), format!("0x{head:x}")]),
        )
        .unwrap();
        let count = sent.iter().filter(|s| s.sender == k).count() as u64;
        assert_eq!(quantity(&nonce), count, "sender {k}'s nonce at {head}");
    }

    let longest = catch_ups.iter().max_by_key(|(_, took, _)| *took);
    println!("---- chaos figures (seed {seed})");
    println!(
        "chaos phase          {:.1} s, whole test {:.1} s",
        chaos_time.as_secs_f64(),
        test_start.elapsed().as_secs_f64()
    );
    println!("kills (SIGKILL)      {}", kills.len());
    println!("restarts             {restarts}");
    println!(
        "txs acknowledged     {} ({} by hash, {} on resubmission)",
        sent.len(),
        sent.iter().filter(|s| s.ack == Ack::Hash).count(),
        sent.iter().filter(|s| s.ack != Ack::Hash).count()
    );
    println!("submission failovers {}", report.failovers);
    println!(
        "txs dropped w/ pool  {} (acknowledging node SIGKILLed within {GOSSIP_WINDOW:?})",
        dropped.len()
    );
    println!(
        "txs rebroadcast      {} (the dropped ones and those queued behind them)",
        rebroadcasts.len()
    );
    println!("txs lost             {lost} (acknowledged, not finalised on every node)");
    println!("final head           {head}, identical on {NODES} nodes");
    if let Some((node, took, at)) = longest {
        println!(
            "longest catch-up     {:.1} s (node{node}, to height {at})",
            took.as_secs_f64()
        );
    }
    println!(
        "catch-ups            {:?}",
        catch_ups
            .iter()
            .map(|(n, t, _)| format!("node{n}:{:.1}s", t.as_secs_f64()))
            .collect::<Vec<_>>()
    );
    assert_eq!(lost, 0, "acknowledged transactions lost");
}

//! The timed part: submitting a pre-signed workload and watching it finalise.
//!
//! Workers post the pre-serialised JSON-RPC batches over concurrent HTTP connections,
//! either as fast as the in-flight bound allows or paced to a fixed offered rate. A
//! watcher follows the finalised head (every committed block is final) and stamps each
//! of the workload's transactions when the block holding it is first seen; a sampler
//! reads the nodes' CPU and memory once a second. Every loop is bounded by the run's
//! deadline.

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    io::{IsTerminal as _, Write as _},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use alloy_primitives::B256;
use serde_json::{Value, json};

use crate::{
    BenchError,
    procstat::{Probe, ProcSample},
    rpc::{RpcClient, RpcFailure, batch_results, quantity},
    workload::{Workload, send_raw_body},
};

const NOT_YET: u64 = u64::MAX;
/// Most blocks fetched in one watcher batch.
const WATCH_BLOCKS_PER_CALL: u64 = 64;
/// Consecutive watcher failures tolerated before the run is abandoned.
const WATCH_FAILURES_MAX: u32 = 50;
/// Delay before retrying a transaction the node refused as overloaded, per attempt.
const RETRY_BACKOFF: Duration = Duration::from_millis(100);

/// How to drive the load.
#[derive(Clone, Debug)]
pub struct LoadConfig {
    /// Offered rate in transactions per second; `None` submits as fast as the in-flight
    /// bound allows (saturation).
    pub rate_tps: Option<f64>,
    /// Load before the measurement window opens (excluded from the figures).
    pub warmup: Duration,
    /// The measurement window.
    pub window: Duration,
    /// Longest wait, after submission stops, for the submitted transactions to finalise.
    pub drain_max: Duration,
    /// Concurrent HTTP connections (requests in flight), over all nodes.
    pub connections: usize,
    /// Most transactions submitted but not yet final.
    pub inflight_max: usize,
    /// How often the watcher asks for the finalised head.
    pub poll_interval: Duration,
    /// Times a transaction refused as "txpool is full" is offered again.
    pub retries_max: u32,
    /// Print a progress line to stderr.
    pub progress: bool,
}

/// Where the load goes.
pub struct LoadTarget {
    /// One client per node; batch `node` indexes this.
    pub submit: Vec<RpcClient>,
    /// The node whose finalised head is followed.
    pub watch: RpcClient,
    /// Processes whose CPU and memory are reported (empty for remote nodes).
    pub probes: Vec<Probe>,
    /// The first node's `/metrics` page, whose storage-engine gauges are sampled (only
    /// for nodes the harness started).
    pub engine: Option<RpcClient>,
}

/// A finalised block as seen by the watcher.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BlockSeen {
    pub height: u64,
    /// When the watcher first saw it, ms since the load started.
    pub seen_ms: f64,
    pub txs: u32,
    /// Transactions of this workload in it.
    pub ours: u32,
}

/// One reading of every probe.
#[derive(Clone, Debug)]
pub struct ResourceSample {
    pub at_ns: u64,
    pub procs: Vec<Option<ProcSample>>,
}

/// One reading of the first node's storage-engine gauges (`entente_storage_*`, by
/// name without that prefix).
#[derive(Clone, Debug)]
pub struct EngineSample {
    pub at_ns: u64,
    pub gauges: BTreeMap<String, u64>,
}

/// Seconds between readings of the storage-engine gauges.
const ENGINE_SAMPLE_SECS: u64 = 5;

/// Everything the load phase observed; [`crate::stats`] turns it into figures.
pub struct LoadOutcome {
    /// Per transaction: ns since start of its first submission, or `u64::MAX`.
    pub submit_ns: Vec<u64>,
    /// Per transaction: ns since start when its block was seen, or `u64::MAX`.
    pub final_ns: Vec<u64>,
    /// Transactions refused for good, by normalised message.
    pub rejections: BTreeMap<String, u64>,
    pub blocks: Vec<BlockSeen>,
    pub samples: Vec<ResourceSample>,
    pub probes: Vec<Probe>,
    /// Empty when no node's metrics were sampled.
    pub engine_samples: Vec<EngineSample>,
    /// When submission stopped (ns since start).
    pub load_end_ns: u64,
    /// When the drain ended (ns since start).
    pub end_ns: u64,
    /// Whether every accepted transaction finalised before the drain deadline.
    pub drained: bool,
}

struct Retry {
    tx: u32,
    node: usize,
    attempt: u32,
    not_before_ns: u64,
}

struct Shared {
    start: Instant,
    submit_ns: Vec<AtomicU64>,
    final_ns: Vec<AtomicU64>,
    sent: AtomicU64,
    finalised: AtomicU64,
    failed: AtomicU64,
    next_batch: AtomicUsize,
    retries: Mutex<VecDeque<Retry>>,
    retry_pending: AtomicUsize,
    rejections: Mutex<BTreeMap<String, u64>>,
    load_done: AtomicBool,
    stop: AtomicBool,
}

impl Shared {
    fn elapsed_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    fn inflight(&self) -> u64 {
        self.sent
            .load(Ordering::Relaxed)
            .saturating_sub(self.finalised.load(Ordering::Relaxed))
            .saturating_sub(self.failed.load(Ordering::Relaxed))
    }

    fn reject(&self, message: &str) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        let mut map = self.rejections.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry(normalise(message)).or_default() += 1;
    }

    fn take_due_retries(&self, now_ns: u64, max: usize) -> Vec<Retry> {
        if self.retry_pending.load(Ordering::Relaxed) == 0 {
            return Vec::new();
        }
        let mut queue = self.retries.lock().unwrap_or_else(|p| p.into_inner());
        let Some(node) = queue
            .front()
            .filter(|r| r.not_before_ns <= now_ns)
            .map(|r| r.node)
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut index = 0;
        while index < queue.len() && out.len() < max {
            if queue[index].node == node && queue[index].not_before_ns <= now_ns {
                if let Some(retry) = queue.remove(index) {
                    out.push(retry);
                }
            } else {
                index += 1;
            }
        }
        self.retry_pending.fetch_sub(out.len(), Ordering::Relaxed);
        out
    }
}

/// Groups rejection messages that differ only in numbers or addresses.
fn normalise(message: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.starts_with(|c: char| c.is_ascii_digit()) {
            out.push('N');
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for ch in message.chars().take(160) {
        if ch.is_ascii_alphanumeric() {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push(ch);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Code given to calls whose request never got an answer (transport failure).
const NO_ANSWER: i64 = i64::MIN;

/// Refusals that say "later", not "never": a full pool, or a nonce that arrived before
/// its predecessor over another connection.
fn retryable(failure: &RpcFailure) -> bool {
    failure.code == NO_ANSWER
        || failure.message.contains("txpool is full")
        || failure.message.contains("ahead of the sender's next nonce")
}

/// Runs the load against `target` and waits for it to finalise. `start_height` is the
/// finalised height before the first submission.
pub async fn run(
    workload: Arc<Workload>,
    target: LoadTarget,
    config: LoadConfig,
    start_height: u64,
) -> Result<LoadOutcome, BenchError> {
    if target.submit.is_empty() || config.connections == 0 || config.inflight_max == 0 {
        return Err(BenchError::Invalid {
            option: "--connections",
            reason: "need at least one node, one connection and a non-zero in-flight bound".into(),
        });
    }
    let count = workload.txs.len();
    let index: Arc<HashMap<B256, u32>> = Arc::new(
        workload
            .txs
            .iter()
            .enumerate()
            .map(|(i, tx)| (tx.hash, i as u32))
            .collect(),
    );
    let shared = Arc::new(Shared {
        start: Instant::now(),
        submit_ns: (0..count).map(|_| AtomicU64::new(NOT_YET)).collect(),
        final_ns: (0..count).map(|_| AtomicU64::new(NOT_YET)).collect(),
        sent: AtomicU64::new(0),
        finalised: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        next_batch: AtomicUsize::new(0),
        retries: Mutex::new(VecDeque::new()),
        retry_pending: AtomicUsize::new(0),
        rejections: Mutex::new(BTreeMap::new()),
        load_done: AtomicBool::new(false),
        stop: AtomicBool::new(false),
    });
    let load_end_ns = (config.warmup + config.window).as_nanos() as u64;
    let target = Arc::new(target);

    let watcher = tokio::spawn(watch(
        shared.clone(),
        index,
        target.watch.clone(),
        start_height,
        config.poll_interval,
    ));
    let sampler = tokio::spawn(sample(shared.clone(), target.probes.clone()));
    let engine_sampler = tokio::spawn(sample_engine(shared.clone(), target.engine.clone()));
    let progress = config
        .progress
        .then(|| tokio::spawn(progress(shared.clone(), count, config.clone())));
    let workers: Vec<_> = (0..config.connections)
        .map(|_| {
            tokio::spawn(worker(
                shared.clone(),
                workload.clone(),
                target.clone(),
                config.clone(),
                load_end_ns,
            ))
        })
        .collect();
    for handle in workers {
        handle
            .await
            .map_err(|err| BenchError::Setup(format!("load worker failed: {err}")))?;
    }
    let load_end_ns = shared.elapsed_ns();
    shared.load_done.store(true, Ordering::Relaxed);
    // Retries still waiting when submission stopped were never accepted.
    let leftover: Vec<Retry> = shared
        .retries
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .drain(..)
        .collect();
    shared.retry_pending.store(0, Ordering::Relaxed);
    for _ in &leftover {
        shared.reject("still refused as overloaded when submission stopped");
    }

    // Drain: wait for everything accepted to finalise, bounded.
    let drain_deadline = Instant::now() + config.drain_max;
    let mut drained = false;
    while Instant::now() < drain_deadline && !watcher.is_finished() {
        if shared.inflight() == 0 {
            drained = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // One more poll so the last block seen is the last block there is.
    tokio::time::sleep(config.poll_interval * 2).await;
    shared.stop.store(true, Ordering::Relaxed);
    let blocks = watcher
        .await
        .map_err(|err| BenchError::Setup(format!("watcher failed: {err}")))??;
    let samples = sampler
        .await
        .map_err(|err| BenchError::Setup(format!("sampler failed: {err}")))?;
    let engine_samples = engine_sampler
        .await
        .map_err(|err| BenchError::Setup(format!("engine sampler failed: {err}")))?;
    if let Some(progress) = progress {
        let _ = progress.await;
    }
    let end_ns = shared.elapsed_ns();
    let shared = Arc::try_unwrap(shared)
        .map_err(|_| BenchError::Setup("load tasks still running".into()))?;
    let target = Arc::try_unwrap(target)
        .map_err(|_| BenchError::Setup("load tasks still running".into()))?;
    Ok(LoadOutcome {
        submit_ns: shared
            .submit_ns
            .into_iter()
            .map(AtomicU64::into_inner)
            .collect(),
        final_ns: shared
            .final_ns
            .into_iter()
            .map(AtomicU64::into_inner)
            .collect(),
        rejections: shared
            .rejections
            .into_inner()
            .unwrap_or_else(|p| p.into_inner()),
        blocks,
        samples,
        probes: target.probes,
        engine_samples,
        load_end_ns,
        end_ns,
        drained,
    })
}

async fn worker(
    shared: Arc<Shared>,
    workload: Arc<Workload>,
    target: Arc<LoadTarget>,
    config: LoadConfig,
    load_end_ns: u64,
) {
    let batch_txs = workload
        .batches
        .first()
        .map(|b| b.txs.len())
        .unwrap_or(1)
        .max(1);
    loop {
        let now = shared.elapsed_ns();
        if now >= load_end_ns {
            return;
        }
        let due = shared.take_due_retries(now, batch_txs);
        if !due.is_empty() {
            let node = due[0].node;
            let body = send_raw_body(due.iter().map(|r| &workload.txs[r.tx as usize].raw));
            let ids: Vec<(u32, u32)> = due.iter().map(|r| (r.tx, r.attempt)).collect();
            send(&shared, &target.submit[node], node, body, &ids, &config).await;
            continue;
        }
        let g = shared.next_batch.fetch_add(1, Ordering::Relaxed);
        let Some(batch) = workload.batches.get(g) else {
            // No fresh work: finish once no retry is waiting.
            if shared.retry_pending.load(Ordering::Relaxed) == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        if let Some(rate) = config.rate_tps {
            let due_ns = (g as f64 * batch_txs as f64 / rate * 1e9) as u64;
            if due_ns >= load_end_ns {
                return;
            }
            let now = shared.elapsed_ns();
            if due_ns > now {
                tokio::time::sleep(Duration::from_nanos(due_ns - now)).await;
            }
        }
        // Respect the in-flight bound (checked again each few ms, bounded by the run).
        while shared.inflight() + batch.txs.len() as u64 > config.inflight_max as u64 {
            if shared.elapsed_ns() >= load_end_ns {
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let ids: Vec<(u32, u32)> = batch.txs.iter().map(|&i| (i, 0)).collect();
        send(
            &shared,
            &target.submit[batch.node],
            batch.node,
            batch.body.clone(),
            &ids,
            &config,
        )
        .await;
    }
}

/// Posts one batch; `ids` are (transaction, attempt) in call-id order.
async fn send(
    shared: &Shared,
    client: &RpcClient,
    node: usize,
    body: bytes::Bytes,
    ids: &[(u32, u32)],
    config: &LoadConfig,
) {
    let now = shared.elapsed_ns();
    for &(tx, attempt) in ids {
        if attempt == 0 {
            shared.submit_ns[tx as usize].store(now, Ordering::Relaxed);
            shared.sent.fetch_add(1, Ordering::Relaxed);
        }
    }
    let outcomes: Vec<Result<Value, RpcFailure>> = match client.post(body).await {
        Ok(answer) => match batch_results(&answer, ids.len()) {
            Ok(outcomes) => outcomes,
            Err(reason) => vec![
                Err(RpcFailure {
                    code: 0,
                    message: reason
                });
                ids.len()
            ],
        },
        Err(err) => {
            let failure = RpcFailure {
                code: NO_ANSWER,
                message: err.to_string(),
            };
            vec![Err(failure); ids.len()]
        }
    };
    let retry_at = shared.elapsed_ns() + RETRY_BACKOFF.as_nanos() as u64;
    let mut retries = Vec::new();
    for (&(tx, attempt), outcome) in ids.iter().zip(outcomes) {
        match outcome {
            Ok(_) => {}
            Err(failure) if failure.message.contains("already known") => {}
            // A lost answer may leave a transaction that is already final.
            Err(_) if shared.final_ns[tx as usize].load(Ordering::Relaxed) != NOT_YET => {}
            Err(failure) if retryable(&failure) && attempt < config.retries_max => {
                retries.push(Retry {
                    tx,
                    node,
                    attempt: attempt + 1,
                    not_before_ns: retry_at + attempt as u64 * RETRY_BACKOFF.as_nanos() as u64,
                });
            }
            Err(failure) => shared.reject(&failure.message),
        }
    }
    if !retries.is_empty() {
        shared
            .retry_pending
            .fetch_add(retries.len(), Ordering::Relaxed);
        shared
            .retries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(retries);
    }
}

/// Follows the finalised head, stamping the workload's transactions.
async fn watch(
    shared: Arc<Shared>,
    index: Arc<HashMap<B256, u32>>,
    client: RpcClient,
    start_height: u64,
    poll: Duration,
) -> Result<Vec<BlockSeen>, BenchError> {
    let mut blocks = Vec::new();
    let mut next = start_height + 1;
    let mut failures = 0u32;
    while !shared.stop.load(Ordering::Relaxed) {
        match watch_once(&shared, &index, &client, &mut next, &mut blocks).await {
            Ok(()) => failures = 0,
            Err(err) => {
                failures += 1;
                if failures >= WATCH_FAILURES_MAX {
                    return Err(err);
                }
            }
        }
        tokio::time::sleep(poll).await;
    }
    Ok(blocks)
}

async fn watch_once(
    shared: &Shared,
    index: &HashMap<B256, u32>,
    client: &RpcClient,
    next: &mut u64,
    blocks: &mut Vec<BlockSeen>,
) -> Result<(), BenchError> {
    let head_value: Value = client.call("eth_blockNumber", json!([])).await?;
    let head = quantity(&head_value).ok_or_else(|| BenchError::BadAnswer {
        method: "eth_blockNumber".into(),
        reason: head_value.to_string(),
    })?;
    while *next <= head {
        let upto = head.min(*next + WATCH_BLOCKS_PER_CALL - 1);
        let calls: Vec<(&str, Value)> = (*next..=upto)
            .map(|h| ("eth_getBlockByNumber", json!([format!("{h:#x}"), false])))
            .collect();
        let answers = client.batch(&calls).await?;
        let seen_ns = shared.elapsed_ns();
        for (height, answer) in (*next..=upto).zip(answers) {
            let block = answer.map_err(|failure| BenchError::BadAnswer {
                method: "eth_getBlockByNumber".into(),
                reason: failure.message,
            })?;
            let hashes = block
                .get("transactions")
                .and_then(Value::as_array)
                .ok_or_else(|| BenchError::BadAnswer {
                    method: "eth_getBlockByNumber".into(),
                    reason: format!("block {height} has no transaction list"),
                })?;
            let mut ours = 0u32;
            for hash in hashes {
                let Some(hash) = hash.as_str().and_then(|h| h.parse::<B256>().ok()) else {
                    continue;
                };
                if let Some(&i) = index.get(&hash) {
                    let slot = &shared.final_ns[i as usize];
                    if slot
                        .compare_exchange(NOT_YET, seen_ns, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                    {
                        ours += 1;
                        shared.finalised.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            blocks.push(BlockSeen {
                height,
                seen_ms: seen_ns as f64 / 1e6,
                txs: hashes.len() as u32,
                ours,
            });
        }
        *next = upto + 1;
    }
    Ok(())
}

/// Reads every probe once a second until the run stops.
async fn sample(shared: Arc<Shared>, probes: Vec<Probe>) -> Vec<ResourceSample> {
    let mut samples = Vec::new();
    loop {
        samples.push(ResourceSample {
            at_ns: shared.elapsed_ns(),
            procs: probes.iter().map(Probe::sample).collect(),
        });
        if shared.stop.load(Ordering::Relaxed) {
            return samples;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Reads the storage-engine gauges of `metrics` every [`ENGINE_SAMPLE_SECS`] until the
/// run stops. A reading that fails (the node busy past the timeout) is skipped.
async fn sample_engine(shared: Arc<Shared>, metrics: Option<RpcClient>) -> Vec<EngineSample> {
    let Some(metrics) = metrics else {
        return Vec::new();
    };
    let mut samples = Vec::new();
    let mut tick = 0u64;
    while !shared.stop.load(Ordering::Relaxed) {
        if tick.is_multiple_of(ENGINE_SAMPLE_SECS) {
            let at_ns = shared.elapsed_ns();
            if let Ok(page) = metrics.get().await {
                let gauges = engine_gauges(&String::from_utf8_lossy(&page));
                if !gauges.is_empty() {
                    samples.push(EngineSample { at_ns, gauges });
                }
            }
        }
        tick += 1;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    samples
}

/// The `entente_storage_*` gauges of a Prometheus text page, by name without the prefix.
pub(crate) fn engine_gauges(page: &str) -> BTreeMap<String, u64> {
    page.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?.strip_prefix("entente_storage_")?;
            let value = words.next()?.parse().ok()?;
            Some((name.to_string(), value))
        })
        .collect()
}

/// One status line a second on stderr (rewritten in place on a terminal).
async fn progress(shared: Arc<Shared>, total: usize, config: LoadConfig) {
    let tty = std::io::stderr().is_terminal();
    let phase_end = (config.warmup + config.window).as_secs_f64();
    let mut history: VecDeque<(f64, u64)> = VecDeque::new();
    let mut tick = 0u64;
    while !shared.stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        tick += 1;
        let t = shared.start.elapsed().as_secs_f64();
        let finalised = shared.finalised.load(Ordering::Relaxed);
        history.push_back((t, finalised));
        while history.len() > 6 {
            history.pop_front();
        }
        let rate = match (history.front(), history.back()) {
            (Some(a), Some(b)) if b.0 > a.0 => (b.1 - a.1) as f64 / (b.0 - a.0),
            _ => 0.0,
        };
        let phase = if shared.load_done.load(Ordering::Relaxed) {
            "drain"
        } else if t < config.warmup.as_secs_f64() {
            "warm-up"
        } else {
            "window"
        };
        let width = 24usize;
        let filled = ((t / phase_end).min(1.0) * width as f64) as usize;
        let line = format!(
            "[{}{}] {:>5.1}s {:<7} sent {:>9}/{} final {:>9} in-flight {:>7} {:>8.0} tx/s rejected {}",
            "#".repeat(filled),
            ".".repeat(width - filled),
            t,
            phase,
            shared.sent.load(Ordering::Relaxed),
            total,
            finalised,
            shared.inflight(),
            rate,
            shared.failed.load(Ordering::Relaxed),
        );
        let mut err = std::io::stderr().lock();
        if tty {
            let _ = write!(err, "\r{line}\x1b[K");
        } else if tick.is_multiple_of(5) {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }
    if tty {
        let _ = writeln!(std::io::stderr());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_gauges_are_read_from_a_metrics_page() {
        let page = "# HELP entente_storage_pinned_bytes Pinned.\n\
                    # TYPE entente_storage_pinned_bytes gauge\n\
                    entente_storage_pinned_bytes 4096\n\
                    entente_storage_write_buffer_bytes 123\n\
                    entente_txpool_txs 9\n\
                    entente_storage_journal_bytes not-a-number\n";
        assert_eq!(
            engine_gauges(page),
            BTreeMap::from([
                ("pinned_bytes".to_string(), 4096),
                ("write_buffer_bytes".to_string(), 123)
            ])
        );
        assert!(engine_gauges("").is_empty());
    }

    #[test]
    fn messages_are_grouped_without_numbers() {
        assert_eq!(
            normalise("nonce too low: next nonce 17, tx nonce 3"),
            "nonce too low: next nonce N, tx nonce N"
        );
        assert_eq!(normalise("sender 0xab12 full"), "sender N full");
        assert!(retryable(&RpcFailure {
            code: -32000,
            message: "txpool is full: node overloaded".into()
        }));
        assert!(!retryable(&RpcFailure {
            code: -32000,
            message: "nonce too low".into()
        }));
    }
}

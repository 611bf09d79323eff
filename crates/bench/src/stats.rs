//! From raw observations to the reported figures.
//!
//! Throughput counts the workload's transactions whose block was first seen inside the
//! steady window `[warm-up, warm-up + window]` (cut short if submission stopped
//! earlier). Latency is measured on every transaction *submitted* inside the window:
//! submission (the batch request leaving the harness) to the watcher first seeing the
//! finalised block that holds it. CPU is the nodes' user + system time across the
//! window, divided by the transactions finalised in it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::load::LoadOutcome;

const NOT_YET: u64 = u64::MAX;

/// Submit-to-final latency, in milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Latency {
    pub samples: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

/// One process's CPU and memory over the run.
#[derive(Clone, Debug, Serialize)]
pub struct ProcFigures {
    pub name: String,
    /// CPU seconds used inside the window.
    pub cpu_secs_window: f64,
    /// CPU seconds per 1,000 finalised transactions.
    pub cpu_secs_per_1k_txs: f64,
    /// Mean cores busy inside the window.
    pub cores_busy: f64,
    /// Resident memory at the window's start and end, MiB.
    pub rss_start_mib: f64,
    pub rss_end_mib: f64,
    /// Peak resident memory since the process started (VmHWM), MiB.
    pub rss_peak_mib: f64,
    /// Resident memory every [`RSS_STEP_SECS`] from the window's start to its end, MiB:
    /// whether memory levels off or keeps growing.
    pub rss_through_window_mib: Vec<f64>,
}

/// Spacing of [`ProcFigures::rss_through_window_mib`], seconds.
pub const RSS_STEP_SECS: u64 = 30;

/// The figures of one run.
#[derive(Clone, Debug, Serialize)]
pub struct RunFigures {
    /// Length of the steady window actually measured, seconds.
    pub window_secs: f64,
    /// True when submission stopped before the planned window ended (workload exhausted).
    pub window_truncated: bool,
    pub finalised_tps: f64,
    /// Transactions submitted per second inside the window.
    pub offered_tps: f64,
    pub finalised_in_window: u64,
    pub submitted_in_window: u64,
    pub latency: Latency,
    /// Transactions submitted inside the window that never finalised before the drain
    /// deadline (refused ones included).
    pub unfinalised_in_window: u64,
    pub submitted_total: u64,
    pub finalised_total: u64,
    pub rejected_total: u64,
    pub rejections: BTreeMap<String, u64>,
    pub drained: bool,
    pub blocks_in_window: u64,
    pub mean_txs_per_block: f64,
    pub mean_block_interval_ms: f64,
    /// CPU seconds of all node processes per 1,000 finalised transactions.
    pub node_cpu_secs_per_1k_txs: Option<f64>,
    /// Largest peak resident memory of one node process, MiB.
    pub node_rss_peak_mib: Option<f64>,
    pub procs: Vec<ProcFigures>,
    /// The first node's storage-engine gauges (`/metrics`, `entente_storage_*` without
    /// the prefix) at the steps of the resident-memory trace, MiB: what the engine holds
    /// in memory, against its bounds. Empty when the harness did not start the nodes.
    pub engine_through_window_mib: BTreeMap<String, Vec<f64>>,
    /// Workload transactions finalised in each second since the load started.
    pub finalised_per_second: Vec<u64>,
}

/// Computes the figures of a run planned with this warm-up and window.
pub fn analyse(outcome: &LoadOutcome, warmup_secs: f64, window_secs: f64) -> RunFigures {
    let start_ns = (warmup_secs * 1e9) as u64;
    let planned_end_ns = ((warmup_secs + window_secs) * 1e9) as u64;
    let end_ns = planned_end_ns.min(outcome.load_end_ns).max(start_ns);
    let window_truncated = end_ns < planned_end_ns.saturating_sub(500_000_000);
    let window = (end_ns - start_ns) as f64 / 1e9;
    let in_window = |t: u64| t != NOT_YET && t >= start_ns && t < end_ns;

    let finalised_in_window = outcome.final_ns.iter().filter(|&&t| in_window(t)).count() as u64;
    let mut latencies = Vec::new();
    let mut submitted_in_window = 0u64;
    let mut unfinalised = 0u64;
    for (&submit, &fin) in outcome.submit_ns.iter().zip(&outcome.final_ns) {
        if !in_window(submit) {
            continue;
        }
        submitted_in_window += 1;
        if fin == NOT_YET {
            unfinalised += 1;
        } else {
            latencies.push(fin.saturating_sub(submit));
        }
    }
    let per_sec = |n: u64| if window > 0.0 { n as f64 / window } else { 0.0 };

    let window_blocks: Vec<_> = outcome
        .blocks
        .iter()
        .filter(|b| in_window((b.seen_ms * 1e6) as u64))
        .collect();
    let mean_txs_per_block = if window_blocks.is_empty() {
        0.0
    } else {
        window_blocks.iter().map(|b| b.txs as f64).sum::<f64>() / window_blocks.len() as f64
    };
    let mean_block_interval_ms = if window_blocks.len() > 1 {
        window * 1000.0 / window_blocks.len() as f64
    } else {
        0.0
    };

    let procs = proc_figures(outcome, start_ns, end_ns, finalised_in_window);
    let engine_through_window_mib = engine_figures(outcome, start_ns, end_ns);
    let nodes: Vec<&ProcFigures> = procs.iter().filter(|p| p.name != "harness").collect();
    let node_cpu_secs_per_1k_txs = (!nodes.is_empty() && finalised_in_window > 0).then(|| {
        nodes.iter().map(|p| p.cpu_secs_window).sum::<f64>() * 1000.0 / finalised_in_window as f64
    });
    let node_rss_peak_mib = nodes
        .iter()
        .map(|p| p.rss_peak_mib)
        .fold(None, |acc: Option<f64>, x| {
            Some(acc.map_or(x, |a| a.max(x)))
        });

    let seconds = (outcome.end_ns / 1_000_000_000 + 1) as usize;
    let mut finalised_per_second = vec![0u64; seconds];
    for &t in &outcome.final_ns {
        if t != NOT_YET
            && let Some(slot) = finalised_per_second.get_mut((t / 1_000_000_000) as usize)
        {
            *slot += 1;
        }
    }

    RunFigures {
        window_secs: window,
        window_truncated,
        finalised_tps: per_sec(finalised_in_window),
        offered_tps: per_sec(submitted_in_window),
        finalised_in_window,
        submitted_in_window,
        latency: latency(latencies),
        unfinalised_in_window: unfinalised,
        submitted_total: outcome.submit_ns.iter().filter(|&&t| t != NOT_YET).count() as u64,
        finalised_total: outcome.final_ns.iter().filter(|&&t| t != NOT_YET).count() as u64,
        rejected_total: outcome.rejections.values().sum(),
        rejections: outcome.rejections.clone(),
        drained: outcome.drained,
        blocks_in_window: window_blocks.len() as u64,
        mean_txs_per_block,
        mean_block_interval_ms,
        node_cpu_secs_per_1k_txs,
        node_rss_peak_mib,
        procs,
        engine_through_window_mib,
        finalised_per_second,
    }
}

/// The window's start, every [`RSS_STEP_SECS`] after it, and its end (a step closer to
/// the end than half a step would repeat the end).
fn window_steps(start_ns: u64, end_ns: u64) -> Vec<u64> {
    let step = RSS_STEP_SECS * 1_000_000_000;
    (0..)
        .map(|k| start_ns + k * step)
        .take_while(|&at| end_ns.saturating_sub(at) >= step / 2)
        .chain([end_ns])
        .collect()
}

/// Each storage-engine gauge at [`window_steps`], from the reading nearest each step.
fn engine_figures(outcome: &LoadOutcome, start_ns: u64, end_ns: u64) -> BTreeMap<String, Vec<f64>> {
    let nearest = |at: u64| {
        outcome
            .engine_samples
            .iter()
            .min_by_key(|sample| sample.at_ns.abs_diff(at))
    };
    let mut series: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for at in window_steps(start_ns, end_ns) {
        let Some(sample) = nearest(at) else {
            break;
        };
        for (name, &bytes) in &sample.gauges {
            // Capacities are configuration, not something held.
            if !name.ends_with("_capacity_bytes") {
                let name = name.strip_suffix("_bytes").unwrap_or(name);
                series
                    .entry(name.to_string())
                    .or_default()
                    .push(bytes as f64 / (1024.0 * 1024.0));
            }
        }
    }
    series
}

fn latency(mut ns: Vec<u64>) -> Latency {
    if ns.is_empty() {
        return Latency::default();
    }
    ns.sort_unstable();
    let ms = |v: u64| v as f64 / 1e6;
    let pick = |q: f64| {
        let rank = ((q * ns.len() as f64).ceil() as usize).clamp(1, ns.len());
        ms(ns[rank - 1])
    };
    Latency {
        samples: ns.len() as u64,
        p50_ms: pick(0.50),
        p90_ms: pick(0.90),
        p99_ms: pick(0.99),
        max_ms: ms(*ns.last().unwrap_or(&0)),
        mean_ms: ns.iter().map(|&v| ms(v)).sum::<f64>() / ns.len() as f64,
    }
}

/// Per-probe figures: the samples nearest the window's edges bound the CPU used in it.
fn proc_figures(
    outcome: &LoadOutcome,
    start_ns: u64,
    end_ns: u64,
    finalised: u64,
) -> Vec<ProcFigures> {
    let nearest = |at: u64| outcome.samples.iter().min_by_key(|s| s.at_ns.abs_diff(at));
    let (Some(first), Some(last)) = (nearest(start_ns), nearest(end_ns)) else {
        return Vec::new();
    };
    let span = (last.at_ns.saturating_sub(first.at_ns)) as f64 / 1e9;
    let mib = |kib: u64| kib as f64 / 1024.0;
    outcome
        .probes
        .iter()
        .enumerate()
        .filter_map(|(i, probe)| {
            let a = (*first.procs.get(i)?)?;
            let b = (*last.procs.get(i)?)?;
            let peak = outcome
                .samples
                .iter()
                .filter_map(|s| s.procs.get(i).copied().flatten())
                .map(|s| s.rss_peak_kib)
                .max()
                .unwrap_or(b.rss_peak_kib);
            let rss_through_window_mib = window_steps(first.at_ns, last.at_ns)
                .into_iter()
                .filter_map(|at| nearest(at)?.procs.get(i).copied().flatten())
                .map(|sample| mib(sample.rss_kib))
                .collect();
            let cpu = (b.cpu_secs - a.cpu_secs).max(0.0);
            Some(ProcFigures {
                name: probe.name.clone(),
                cpu_secs_window: cpu,
                cpu_secs_per_1k_txs: if finalised > 0 {
                    cpu * 1000.0 / finalised as f64
                } else {
                    0.0
                },
                cores_busy: if span > 0.0 { cpu / span } else { 0.0 },
                rss_start_mib: mib(a.rss_kib),
                rss_end_mib: mib(b.rss_kib),
                rss_peak_mib: mib(peak),
                rss_through_window_mib,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        load::{BlockSeen, EngineSample, ResourceSample},
        procstat::{Probe, ProcSample},
    };

    fn secs(s: f64) -> u64 {
        (s * 1e9) as u64
    }

    #[test]
    fn window_throughput_latency_and_cpu() {
        // 10 txs submitted at t = 0.5, 1.5, …, 9.5 s; each final 0.25 s later; tx 9 never.
        let submit_ns: Vec<u64> = (0..10).map(|i| secs(i as f64 + 0.5)).collect();
        let mut final_ns: Vec<u64> = submit_ns.iter().map(|&t| t + secs(0.25)).collect();
        final_ns[9] = NOT_YET;
        let sample = |at: f64, cpu: f64| ResourceSample {
            at_ns: secs(at),
            procs: vec![Some(ProcSample {
                cpu_secs: cpu,
                rss_kib: 2048,
                rss_peak_kib: 4096,
            })],
        };
        let outcome = LoadOutcome {
            submit_ns,
            final_ns,
            rejections: BTreeMap::from([("nonce too low".to_string(), 1)]),
            blocks: vec![BlockSeen {
                height: 1,
                seen_ms: 3_000.0,
                txs: 5,
                ours: 1,
            }],
            samples: vec![sample(0.0, 0.0), sample(2.0, 1.0), sample(10.0, 5.0)],
            probes: vec![Probe::new("node0", 1)],
            engine_samples: Vec::new(),
            load_end_ns: secs(10.0),
            end_ns: secs(11.0),
            drained: false,
        };
        let figures = analyse(&outcome, 2.0, 8.0);
        assert_eq!(figures.window_secs, 8.0);
        assert!(!figures.window_truncated);
        // Finalised in [2, 10): t = 2.75 … 8.75 → 7 txs.
        assert_eq!(figures.finalised_in_window, 7);
        assert_eq!(figures.submitted_in_window, 8);
        assert_eq!(figures.unfinalised_in_window, 1);
        assert_eq!(figures.latency.samples, 7);
        assert!((figures.latency.p99_ms - 250.0).abs() < 1e-6);
        assert_eq!(figures.blocks_in_window, 1);
        let cpu = figures.node_cpu_secs_per_1k_txs.unwrap();
        assert!((cpu - 4.0 * 1000.0 / 7.0).abs() < 1e-9);
        assert_eq!(figures.node_rss_peak_mib, Some(4.0));
        assert_eq!(figures.finalised_per_second.iter().sum::<u64>(), 9);
        // Truncated: submission stopped at 6 s.
        let mut early = outcome;
        early.load_end_ns = secs(6.0);
        let figures = analyse(&early, 2.0, 8.0);
        assert!(figures.window_truncated);
        assert_eq!(figures.window_secs, 4.0);
    }

    #[test]
    fn memory_is_traced_through_the_window() {
        // One sample a second for 100 s; RSS (KiB) = 1024 × (100 + t). Window [10, 90).
        let samples = (0..=100)
            .map(|t| ResourceSample {
                at_ns: secs(t as f64),
                procs: vec![Some(ProcSample {
                    cpu_secs: t as f64,
                    rss_kib: 1024 * (100 + t),
                    rss_peak_kib: 1024 * (100 + t),
                })],
            })
            .collect();
        let outcome = LoadOutcome {
            submit_ns: vec![secs(20.0)],
            final_ns: vec![secs(21.0)],
            rejections: BTreeMap::new(),
            blocks: Vec::new(),
            samples,
            probes: vec![Probe::new("node0", 1)],
            engine_samples: (0..=20)
                .map(|k| EngineSample {
                    at_ns: secs(5.0 * k as f64),
                    gauges: BTreeMap::from([
                        ("pinned_bytes".to_string(), (k as u64 + 1) << 20),
                        ("block_cache_capacity_bytes".to_string(), 32 << 20),
                    ]),
                })
                .collect(),
            load_end_ns: secs(100.0),
            end_ns: secs(100.0),
            drained: true,
        };
        let figures = analyse(&outcome, 10.0, 80.0);
        let node = &figures.procs[0];
        // The window's start, every 30 s after it, and its end.
        assert_eq!(
            node.rss_through_window_mib,
            vec![110.0, 140.0, 170.0, 190.0]
        );
        assert_eq!((node.rss_start_mib, node.rss_end_mib), (110.0, 190.0));
        // The engine's gauges at the same steps, from the nearest reading (one every
        // 5 s, k + 1 MiB at 5k s); capacities left out.
        assert_eq!(
            figures.engine_through_window_mib,
            BTreeMap::from([("pinned".to_string(), vec![3.0, 9.0, 15.0, 19.0])])
        );
        // A window of whole steps ends on its last step, listed once.
        let figures = analyse(&outcome, 10.0, 60.0);
        assert_eq!(
            figures.procs[0].rss_through_window_mib,
            vec![110.0, 140.0, 170.0]
        );
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let l = latency((1..=100).map(|ms| ms * 1_000_000).collect());
        assert_eq!(
            (l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms),
            (50.0, 90.0, 99.0, 100.0)
        );
        assert_eq!(latency(Vec::new()).samples, 0);
    }
}

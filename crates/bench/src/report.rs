//! The report: what ran (machine, commit, exact command, workload) and what it measured,
//! as JSON for tools and Markdown for people, written side by side.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
    process::Command,
};

use serde::Serialize;

use crate::{
    BenchError,
    stats::{RSS_STEP_SECS, RunFigures},
};

/// The machine the benchmark ran on.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub logical_cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub os: String,
    /// `/proc/loadavg` when the run started and ended: load from anything else shows up
    /// here.
    pub load_before: String,
    pub load_after: String,
}

impl Machine {
    pub fn probe() -> Self {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let cpuinfo = read("/proc/cpuinfo");
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split(':').nth(1))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let memory_kib: f64 = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|l| l.split_whitespace().next()?.parse().ok())
            .unwrap_or(0.0);
        let os = read("/etc/os-release")
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|s| s.trim_matches('"').to_string())
            .unwrap_or_else(|| std::env::consts::OS.into());
        Self {
            cpu,
            logical_cores: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            memory_gib: memory_kib / 1024.0 / 1024.0,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
            os,
            load_before: load_average(),
            load_after: String::new(),
        }
    }
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The source the binary was built from.
#[derive(Clone, Debug, Serialize)]
pub struct Commit {
    pub hash: String,
    /// Files differing from the commit (uncommitted work in the checkout).
    pub changed_files: usize,
}

impl Commit {
    pub fn probe(repo: &Path) -> Self {
        let git = |args: &[&str]| {
            Command::new("git")
                .args(args)
                .current_dir(repo)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        };
        Self {
            hash: git(&["rev-parse", "HEAD"])
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|| "unknown".into()),
            changed_files: git(&["status", "--porcelain", "--untracked-files=no"])
                .map(|s| s.lines().count())
                .unwrap_or(0),
        }
    }
}

/// The workload and how it was driven.
#[derive(Clone, Debug, Serialize)]
pub struct WorkloadInfo {
    pub kind: String,
    pub senders: usize,
    pub txs_presigned: usize,
    pub batch_txs: usize,
    pub connections: usize,
    pub inflight_max: usize,
    pub rate_tps: Option<f64>,
    pub warmup_secs: f64,
    pub window_secs: f64,
    /// Extra accounts created before the run (the large-state variant), 0 otherwise.
    pub state_accounts: u64,
    pub presign_secs: f64,
    pub contracts: String,
}

/// One target's run.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// `entente` or `anvil`.
    pub target: String,
    pub description: String,
    pub version: String,
    pub setup_secs: f64,
    pub figures: RunFigures,
    /// Successful receipts in a sample of the finalised workload: (successes, sampled).
    pub receipts_ok: (u64, u64),
    /// Whose storage-engine gauges the figures trace: `node0` of a started network, or
    /// the `--metrics` URL given with `--rpc`; `None`: not sampled.
    pub engine_source: Option<String>,
}

/// A whole benchmark report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub title: String,
    pub started_utc: String,
    pub command: String,
    pub commit: Commit,
    pub machine: Machine,
    pub workload: WorkloadInfo,
    pub runs: Vec<RunReport>,
    /// Entente's finalised TPS divided by anvil's, when both ran.
    pub ratio_vs_anvil: Option<f64>,
    pub notes: Vec<String>,
}

impl Report {
    /// Writes `<stem>.json` and `<stem>.md` into `dir`; returns both paths.
    pub fn write(&self, dir: &Path, stem: &str) -> Result<(PathBuf, PathBuf), BenchError> {
        std::fs::create_dir_all(dir).map_err(|err| BenchError::io(dir.display(), err))?;
        let json = dir.join(format!("{stem}.json"));
        let md = dir.join(format!("{stem}.md"));
        std::fs::write(&json, serde_json::to_string_pretty(self)? + "\n")
            .map_err(|err| BenchError::io(json.display(), err))?;
        std::fs::write(&md, self.markdown()).map_err(|err| BenchError::io(md.display(), err))?;
        Ok((json, md))
    }

    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# {}\n", self.title);
        let _ = writeln!(s, "Started {} (UTC).\n", self.started_utc);
        let _ = writeln!(s, "```sh\n{}\n```\n", self.command);
        let m = &self.machine;
        let _ = writeln!(s, "| machine | |\n|---|---|");
        let _ = writeln!(s, "| CPU | {} ({} logical cores) |", m.cpu, m.logical_cores);
        let _ = writeln!(s, "| memory | {:.1} GiB |", m.memory_gib);
        let _ = writeln!(s, "| OS / kernel | {} / {} |", m.os, m.kernel);
        let _ = writeln!(
            s,
            "| load average before / after | {} / {} |",
            m.load_before, m.load_after
        );
        let _ = writeln!(
            s,
            "| commit | `{}`{} |\n",
            self.commit.hash,
            if self.commit.changed_files > 0 {
                format!(" + {} uncommitted changed files", self.commit.changed_files)
            } else {
                String::new()
            }
        );
        let w = &self.workload;
        let _ = writeln!(s, "| workload | |\n|---|---|");
        let _ = writeln!(s, "| kind | {} |", w.kind);
        let _ = writeln!(s, "| senders | {} |", w.senders);
        let _ = writeln!(
            s,
            "| pre-signed transactions | {} (signed in {:.1} s, untimed) |",
            w.txs_presigned, w.presign_secs
        );
        let _ = writeln!(
            s,
            "| submission | {} connections, JSON-RPC batches of {}, at most {} in flight |",
            w.connections, w.batch_txs, w.inflight_max
        );
        let _ = writeln!(
            s,
            "| offered rate | {} |",
            w.rate_tps
                .map(|r| format!("{r:.0} tx/s"))
                .unwrap_or_else(|| "saturation (as fast as the in-flight bound allows)".into())
        );
        let _ = writeln!(
            s,
            "| warm-up / window | {:.0} s / {:.0} s |",
            w.warmup_secs, w.window_secs
        );
        let _ = writeln!(s, "| extra state accounts | {} |", w.state_accounts);
        let _ = writeln!(s, "| contracts | {} |\n", w.contracts);

        let _ = writeln!(s, "## Results\n");
        let mut header = "| |".to_string();
        let mut rule = "|---|".to_string();
        for run in &self.runs {
            header.push_str(&format!(" {} |", run.description));
            rule.push_str("---|");
        }
        let _ = writeln!(s, "{header}\n{rule}");
        let row = |s: &mut String, name: &str, f: &dyn Fn(&RunReport) -> String| {
            let mut line = format!("| {name} |");
            for run in &self.runs {
                line.push_str(&format!(" {} |", f(run)));
            }
            let _ = writeln!(s, "{line}");
        };
        row(&mut s, "**finalised TPS**", &|r| {
            format!("**{:.0}**", r.figures.finalised_tps)
        });
        row(&mut s, "offered TPS", &|r| {
            format!("{:.0}", r.figures.offered_tps)
        });
        row(&mut s, "window measured", &|r| {
            format!(
                "{:.1} s{}",
                r.figures.window_secs,
                if r.figures.window_truncated {
                    " (truncated)"
                } else {
                    ""
                }
            )
        });
        row(&mut s, "latency p50 / p99 / max", &|r| {
            let l = &r.figures.latency;
            format!("{:.0} / {:.0} / {:.0} ms", l.p50_ms, l.p99_ms, l.max_ms)
        });
        row(&mut s, "latency samples", &|r| {
            r.figures.latency.samples.to_string()
        });
        row(&mut s, "not finalised (of window's)", &|r| {
            format!(
                "{} of {}",
                r.figures.unfinalised_in_window, r.figures.submitted_in_window
            )
        });
        row(&mut s, "refused", &|r| r.figures.rejected_total.to_string());
        row(&mut s, "blocks in window", &|r| {
            format!(
                "{} (mean {:.0} txs, every {:.0} ms)",
                r.figures.blocks_in_window,
                r.figures.mean_txs_per_block,
                r.figures.mean_block_interval_ms
            )
        });
        row(&mut s, "node CPU s / 1,000 txs", &|r| {
            r.figures
                .node_cpu_secs_per_1k_txs
                .map(|c| format!("{c:.2}"))
                .unwrap_or_else(|| "n/a".into())
        });
        row(&mut s, "node peak RSS", &|r| {
            r.figures
                .node_rss_peak_mib
                .map(|m| format!("{m:.0} MiB"))
                .unwrap_or_else(|| "n/a".into())
        });
        row(&mut s, "receipts succeeded (sample)", &|r| {
            format!("{} of {}", r.receipts_ok.0, r.receipts_ok.1)
        });
        row(&mut s, "setup (untimed)", &|r| {
            format!("{:.1} s", r.setup_secs)
        });
        row(&mut s, "version", &|r| r.version.clone());
        if let Some(ratio) = self.ratio_vs_anvil {
            let _ = writeln!(s, "\n**Entente / anvil finalised TPS: {ratio:.2}×**");
        }

        let _ = writeln!(s, "\n## Processes (inside the window)\n");
        let _ = writeln!(
            s,
            "| run | process | CPU s | cores busy | CPU s / 1k txs | RSS start → end | peak RSS |\n|---|---|---|---|---|---|---|"
        );
        for run in &self.runs {
            for p in &run.figures.procs {
                let _ = writeln!(
                    s,
                    "| {} | {} | {:.1} | {:.2} | {:.2} | {:.0} → {:.0} MiB | {:.0} MiB |",
                    run.target,
                    p.name,
                    p.cpu_secs_window,
                    p.cores_busy,
                    p.cpu_secs_per_1k_txs,
                    p.rss_start_mib,
                    p.rss_end_mib,
                    p.rss_peak_mib
                );
            }
        }
        let _ = writeln!(
            s,
            "\n## Resident memory through the window (every {RSS_STEP_SECS} s, MiB)\n"
        );
        for run in &self.runs {
            for p in &run.figures.procs {
                let series: Vec<String> = p
                    .rss_through_window_mib
                    .iter()
                    .map(|m| format!("{m:.0}"))
                    .collect();
                let _ = writeln!(s, "- {} {}: {}", run.target, p.name, series.join(" "));
            }
        }
        for run in &self.runs {
            let Some(source) = &run.engine_source else {
                continue;
            };
            if run.figures.engine_through_window_mib.is_empty() {
                continue;
            }
            let _ = writeln!(
                s,
                "\n## {}: storage engine of `{source}` through the window (`/metrics`, every {RSS_STEP_SECS} s, MiB)\n",
                run.target
            );
            for (gauge, series) in &run.figures.engine_through_window_mib {
                let series: Vec<String> = series.iter().map(|m| format!("{m:.1}")).collect();
                let _ = writeln!(s, "- {gauge}: {}", series.join(" "));
            }
        }
        for run in &self.runs {
            if !run.figures.rejections.is_empty() {
                let _ = writeln!(s, "\n{} refusals:\n", run.target);
                for (message, count) in &run.figures.rejections {
                    let _ = writeln!(s, "- {count} × `{message}`");
                }
            }
            let series: Vec<String> = run
                .figures
                .finalised_per_second
                .iter()
                .map(u64::to_string)
                .collect();
            let _ = writeln!(
                s,
                "\n{} — workload transactions finalised per second since the load started:\n\n```\n{}\n```",
                run.target,
                series.join(" ")
            );
        }
        if !self.notes.is_empty() {
            let _ = writeln!(s, "\n## Notes\n");
            for note in &self.notes {
                let _ = writeln!(s, "- {note}");
            }
        }
        let _ = writeln!(
            s,
            "\nMethod: finalised TPS counts this workload's transactions in blocks first seen \
             (polling the finalised head) inside the window; latency is submission (the batch \
             request leaving the harness) to that sighting, for every transaction submitted \
             inside the window; CPU is user+system time of each process across the window."
        );
        s
    }
}

/// `YYYY-MM-DD HH:MM:SS` and a file-name stamp `YYYYMMDD-HHMMSS`, both UTC, for `secs`
/// since the Unix epoch.
pub fn utc(secs: u64) -> (String, String) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (h, mi, se) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Civil-from-days (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{se:02}"),
        format!("{y:04}{m:02}{d:02}-{h:02}{mi:02}{se:02}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0).0, "1970-01-01 00:00:00");
        assert_eq!(utc(951_782_400).1, "20000229-000000");
        assert_eq!(utc(1_767_225_599).0, "2025-12-31 23:59:59");
    }

    #[test]
    fn machine_and_commit_probe_without_failing() {
        let machine = Machine::probe();
        assert!(machine.logical_cores >= 1);
        let commit = Commit::probe(Path::new("/nonexistent"));
        assert_eq!(commit.hash, "unknown");
    }
}

//! CPU time and memory of node processes, read from Linux `/proc`.

use serde::Serialize;

/// One reading of a process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ProcSample {
    /// User plus system CPU time of all its threads, in seconds.
    pub cpu_secs: f64,
    /// Resident memory now, in KiB.
    pub rss_kib: u64,
    /// Peak resident memory since the process started (`VmHWM`), in KiB.
    pub rss_peak_kib: u64,
}

/// A process whose CPU and memory the harness reports.
#[derive(Clone, Debug, Serialize)]
pub struct Probe {
    pub name: String,
    pub pid: u32,
}

impl Probe {
    pub fn new(name: impl Into<String>, pid: u32) -> Self {
        Self {
            name: name.into(),
            pid,
        }
    }

    /// The harness itself (its load client shares the machine with the nodes).
    pub fn this_process() -> Self {
        Self::new("harness", std::process::id())
    }

    /// Reads the process's counters; `None` once it has exited (or off Linux).
    pub fn sample(&self) -> Option<ProcSample> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let cpu_secs = cpu_secs_from_stat(&stat)?;
        Some(ProcSample {
            cpu_secs,
            rss_kib: status_kib(&status, "VmRSS:").unwrap_or(0),
            rss_peak_kib: status_kib(&status, "VmHWM:").unwrap_or(0),
        })
    }
}

/// Clock ticks per second of `/proc/*/stat` times.
fn ticks_per_sec() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// utime + stime from a `/proc/PID/stat` line. The command name (field 2) may contain
/// spaces and parentheses, so fields are counted after its closing parenthesis.
fn cpu_secs_from_stat(stat: &str) -> Option<f64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the name: state is field 3, utime field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / ticks_per_sec())
}

fn status_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_and_status() {
        let stat = "1234 (entente (x) y) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 9";
        let secs = cpu_secs_from_stat(stat).unwrap();
        assert!((secs - 300.0 / ticks_per_sec()).abs() < 1e-9);
        let status = "Name:\tentente\nVmHWM:\t  20480 kB\nVmRSS:\t  10240 kB\n";
        assert_eq!(status_kib(status, "VmHWM:"), Some(20480));
        assert_eq!(status_kib(status, "VmRSS:"), Some(10240));
        assert_eq!(status_kib(status, "VmSwap:"), None);
    }

    #[test]
    fn samples_this_process() {
        let sample = Probe::this_process().sample().expect("Linux /proc");
        assert!(sample.rss_kib > 0 && sample.rss_peak_kib >= sample.rss_kib);
        assert!(Probe::new("gone", u32::MAX).sample().is_none());
    }
}

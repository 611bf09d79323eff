//! What simulation runs add up to: the figures `docs/reliability.md` reports.

use std::{collections::BTreeMap, fmt};

/// Totals over one or more seeds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub seeds: u64,
    pub failed_seeds: Vec<u64>,
    pub steps: u64,
    /// Faults injected, by kind.
    pub faults: BTreeMap<String, u64>,
    /// Virtual time simulated, in milliseconds.
    pub simulated_ms: u64,
    /// Highest finalised height reached, summed over seeds.
    pub blocks: u64,
    /// Transactions a validator acknowledged (returned a hash for).
    pub acknowledged: u64,
    /// Acknowledged transactions a client had to send again because no running honest
    /// validator held them any more: the validator that acknowledged them crashed (or
    /// lost power) before passing them on, or only a byzantine validator had them.
    /// Pools are memory; an acknowledgement is not a promise of durability.
    pub resubmitted: u64,
    /// Acknowledged transactions not finalised exactly once at the end. Must be 0.
    pub lost: u64,
    /// Heights at which two honest validators committed different blocks or state
    /// roots. Must be 0.
    pub divergences: u64,
    /// Committed blocks (counted per honest validator) whose finality is proven by a
    /// descendant's certificate rather than their own: finalised by ancestry, or synced
    /// by backfill. Every committed block has a proof either way.
    pub proven_by_descendant: u64,
    /// Longest time from the last heal until every honest validator finalised a new
    /// block, in virtual milliseconds.
    pub recovery_ms_max: u64,
    /// Most views the honest validators went through between the last heal and that
    /// new block.
    pub recovery_views_max: u64,
    /// Disk operations (journal writes, resizes, syncs, reads) a slow disk delayed.
    pub disk_ops_delayed: u64,
    /// The delay slow disks added, summed over those operations, in virtual milliseconds.
    pub disk_delay_ms: u64,
}

impl Figures {
    /// Adds `other`'s totals to these.
    pub fn merge(&mut self, other: &Figures) {
        self.seeds += other.seeds;
        self.failed_seeds.extend(&other.failed_seeds);
        self.steps += other.steps;
        for (kind, n) in &other.faults {
            *self.faults.entry(kind.clone()).or_default() += n;
        }
        self.simulated_ms += other.simulated_ms;
        self.blocks += other.blocks;
        self.acknowledged += other.acknowledged;
        self.resubmitted += other.resubmitted;
        self.lost += other.lost;
        self.divergences += other.divergences;
        self.proven_by_descendant += other.proven_by_descendant;
        self.recovery_ms_max = self.recovery_ms_max.max(other.recovery_ms_max);
        self.recovery_views_max = self.recovery_views_max.max(other.recovery_views_max);
        self.disk_ops_delayed += other.disk_ops_delayed;
        self.disk_delay_ms += other.disk_delay_ms;
    }

    pub fn fault(&mut self, kind: &str) {
        *self.faults.entry(kind.to_string()).or_default() += 1;
    }
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "| figure | value |")?;
        writeln!(f, "|---|---|")?;
        writeln!(f, "| seeds run | {} |", self.seeds)?;
        writeln!(f, "| seeds failed | {} |", self.failed_seeds.len())?;
        writeln!(f, "| fault steps | {} |", self.steps)?;
        writeln!(
            f,
            "| simulated time | {:.2} h |",
            self.simulated_ms as f64 / 3_600_000.0
        )?;
        writeln!(f, "| blocks finalised | {} |", self.blocks)?;
        writeln!(f, "| transactions acknowledged | {} |", self.acknowledged)?;
        writeln!(
            f,
            "| of which a client had to resubmit (pool lost in a crash) | {} |",
            self.resubmitted
        )?;
        writeln!(f, "| acknowledged transactions lost | {} |", self.lost)?;
        writeln!(
            f,
            "| blocks proven final by a descendant's certificate | {} |",
            self.proven_by_descendant
        )?;
        writeln!(f, "| divergences | {} |", self.divergences)?;
        writeln!(
            f,
            "| longest recovery after the last heal | {} ms ({} views) |",
            self.recovery_ms_max, self.recovery_views_max
        )?;
        writeln!(
            f,
            "| disk operations a slow disk delayed | {} ({:.1} s in all) |",
            self.disk_ops_delayed,
            self.disk_delay_ms as f64 / 1_000.0
        )?;
        writeln!(f)?;
        writeln!(f, "| fault | injected |")?;
        writeln!(f, "|---|---|")?;
        for (kind, n) in &self.faults {
            writeln!(f, "| {kind} | {n} |")?;
        }
        if !self.failed_seeds.is_empty() {
            writeln!(f, "\nfailed seeds: {:?}", self.failed_seeds)?;
        }
        Ok(())
    }
}

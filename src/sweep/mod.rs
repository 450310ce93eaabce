//! Expanding a scenario file into runs and executing them in parallel.
//!
//! A run's seed derives from the master seed and its replication number only, never from its
//! scheduler, its sweep point or the execution order: every scheduler and every sweep point of a
//! replication sees the same random streams (common random numbers: the same arrivals where the
//! arrival process is unchanged, the same node crash sequence under every failover policy), which
//! makes comparisons sharper; and results are identical whatever the thread count.

mod execute;

pub use execute::{
    engine_config, execute, open_workload, run_in_memory, run_one, ExecError, ExecOptions,
    RunResult,
};

use serde::Serialize;

use crate::config::ScenarioFile;
use crate::rng::derive_seed;

/// One run: a scheduler at a sweep point with one replication's seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RunSpec {
    /// Position in the file's run list.
    pub index: usize,
    /// Sweep point.
    pub point: usize,
    /// Scheduler index in the scenario.
    pub scheduler: usize,
    /// Replication number, from 0.
    pub replication: u32,
    /// The run's seed.
    pub seed: u64,
}

/// Every run of a scenario file, ordered by sweep point, then scheduler, then replication.
/// `seed_override` replaces the scenario's master seed.
pub fn plan(file: &ScenarioFile, seed_override: Option<u64>) -> Vec<RunSpec> {
    let mut runs = Vec::new();
    for (p, point) in file.points.iter().enumerate() {
        let s = &point.scenario;
        let master = seed_override.unwrap_or(s.seed);
        for scheduler in 0..s.schedulers.len() {
            for replication in 0..s.replications {
                let seed = derive_seed(master, &[replication as u64]);
                runs.push(RunSpec {
                    index: runs.len(),
                    point: p,
                    scheduler,
                    replication,
                    seed,
                });
            }
        }
    }
    runs
}

/// A deterministic share of a run list: runs whose index is `k - 1` modulo `n` (`--shard k/n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 1.
    pub k: usize,
    /// Number of shards.
    pub n: usize,
}

impl Shard {
    /// Parses "K/N" with 1 <= K <= N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let err = || format!("expected --shard K/N with 1 <= K <= N, got \"{text}\"");
        let (k, n) = text.split_once('/').ok_or_else(err)?;
        let (k, n): (usize, usize) = (
            k.trim().parse().map_err(|_| err())?,
            n.trim().parse().map_err(|_| err())?,
        );
        if k == 0 || n == 0 || k > n {
            return Err(err());
        }
        Ok(Shard { k, n })
    }

    /// Whether run `index` belongs to this shard.
    pub fn owns(&self, index: usize) -> bool {
        index % self.n == self.k - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_runs() {
        let shards: Vec<Shard> = (1..=3)
            .map(|k| Shard::parse(&format!("{k}/3")).unwrap())
            .collect();
        for i in 0..100 {
            assert_eq!(shards.iter().filter(|s| s.owns(i)).count(), 1);
        }
        assert!(
            Shard::parse("0/3").is_err()
                && Shard::parse("4/3").is_err()
                && Shard::parse("x").is_err()
        );
    }
}

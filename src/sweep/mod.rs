//! Expanding a scenario file into runs and executing them in parallel.
//!
//! A run's seed derives from the master seed and its replication number only, never from its
//! scheduler, its sweep point or the execution order: every scheduler and every sweep point of a
//! replication sees the same random streams (common random numbers: the same arrivals where the
//! arrival process is unchanged, the same node crash sequence under every failover policy), which
//! makes comparisons sharper; and results are identical whatever the thread count.

mod execute;
pub mod shard;

pub use execute::{
    engine_config, execute, open_workload, run_in_memory, run_one, run_one_watched, trace_sha256,
    ExecError, ExecOptions, RunResult,
};

pub use shard::Shard;

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

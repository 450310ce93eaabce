//! Expanding a scenario file into runs and executing them in parallel.
//!
//! A run's seed derives from the master seed and the run's coordinates (sweep point, replication),
//! never from its scheduler or from execution order: every scheduler sees the same workload, and the
//! results are identical whatever the thread count.

mod execute;

pub use execute::{execute, run_one, RunResult};

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
                let seed = derive_seed(master, &[p as u64, replication as u64]);
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

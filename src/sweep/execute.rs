//! Running one run, and many in parallel.

use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;

use crate::cluster::Cluster;
use crate::config::{ScenarioFile, WorkloadSpec};
use crate::engine::{EngineConfig, Simulation};
use crate::metrics::{Sample, Summary, TaskRow};
use crate::rng::stream;
use crate::sched::build_scheduler;
use crate::sweep::RunSpec;
use crate::time::SimTime;
use crate::workload::synthetic::SyntheticWorkload;
use crate::workload::{WorkloadError, WorkloadSource};

/// What one run produced.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Which run.
    pub spec: RunSpec,
    /// Its summary row (wall_s filled in).
    pub summary: Summary,
    /// (metric, quantile, value) rows.
    pub quantiles: Vec<(&'static str, f64, f64)>,
    /// Time-series samples.
    pub samples: Vec<Sample>,
    /// What the trace reader skipped or dropped, when it did (printed once per scenario).
    pub trace_report: Option<String>,
}

/// Runs one simulation. `tasks` receives per-task rows when given.
pub fn run_one(
    file: &ScenarioFile,
    spec: &RunSpec,
    check_invariants: bool,
    tasks: Option<&mut dyn FnMut(&TaskRow)>,
) -> Result<RunResult, WorkloadError> {
    let scenario = &file.points[spec.point].scenario;
    let started = Instant::now();
    let cluster = Cluster::new(&scenario.node_groups);
    let scheduler = build_scheduler(
        &scenario.schedulers[spec.scheduler],
        stream(spec.seed, "scheduler"),
    );
    let mut report = None;
    let workload: Box<dyn WorkloadSource> = match &scenario.workload {
        WorkloadSpec::Synthetic(s) => Box::new(SyntheticWorkload::new((**s).clone(), spec.seed)),
        WorkloadSpec::Trace {
            spec: trace,
            max_tasks,
        } => {
            let (replay, shared) = trace.open_replay(spec.seed)?;
            report = Some(shared);
            Box::new(Capped {
                inner: Box::new(replay),
                left: max_tasks.unwrap_or(u64::MAX),
            })
        }
    };
    let config = EngineConfig {
        horizon: scenario.horizon.map(|h| SimTime::ZERO + h),
        warmup: SimTime::ZERO + scenario.warmup,
        mode: scenario.dispatch,
        sample_interval: scenario.output.timeseries,
        check_invariants,
        faults: scenario.faults.clone(),
        failover: scenario.failover.clone(),
        seed: spec.seed,
        node_events: scenario.node_events.clone(),
    };
    let output = Simulation::new(config, cluster, scheduler, workload, tasks).run()?;
    let mut summary = output.summary;
    summary.wall_s = started.elapsed().as_secs_f64();
    let trace_report = report
        .map(|r| r.lock().expect("report lock").clone())
        .filter(|r| r.malformed_total() + r.dropped_total() > 0)
        .map(|r| r.to_string());
    Ok(RunResult {
        spec: *spec,
        summary,
        quantiles: output.metrics.quantile_rows(),
        samples: output.metrics.samples,
        trace_report,
    })
}

/// A workload cut after a number of tasks.
struct Capped {
    inner: Box<dyn WorkloadSource>,
    left: u64,
}

impl WorkloadSource for Capped {
    fn next_task(&mut self) -> Result<Option<crate::workload::TaskSpec>, WorkloadError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        self.inner.next_task()
    }
}

/// Runs `runs` on `jobs` threads; results come back in the order of `runs`, whatever the scheduling
/// of threads. `tasks_dir`, when given, receives one CSV part file of task rows per run.
pub fn execute(
    file: &ScenarioFile,
    runs: &[RunSpec],
    jobs: usize,
    check_invariants: bool,
    tasks_dir: Option<&Path>,
    on_done: &(dyn Fn(&RunResult) + Sync),
) -> Result<Vec<RunResult>, WorkloadError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .expect("thread pool");
    pool.install(|| {
        runs.par_iter()
            .map(|spec| {
                let result = match tasks_dir {
                    Some(dir) => {
                        crate::output::tasks::run_with_task_rows(file, spec, check_invariants, dir)
                    }
                    None => run_one(file, spec, check_invariants, None),
                }?;
                on_done(&result);
                Ok(result)
            })
            .collect()
    })
}

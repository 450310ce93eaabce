//! Running one run, and many in parallel.

use std::path::Path;
use std::time::Instant;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::output::record::{RunRecord, RUNS_DIR};

use crate::cluster::Cluster;
use crate::config::{Scenario, ScenarioFile, WorkloadSpec};
use crate::engine::{EngineConfig, Simulation, Watcher};
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
    /// Trace replays: the SHA-256 of each file replayed, by role (`trace`, `nodes`).
    pub trace_sha256: Option<std::collections::BTreeMap<String, String>>,
    /// Each scheduler actor's results (runs with a scheduler architecture).
    pub schedulers: Vec<crate::control::arch::SchedulerStats>,
    /// The future-event list's mean length per handled event (see
    /// [`crate::control::RunOutput::mean_pending_events`]); in no result file.
    pub mean_pending_events: f64,
}

/// Runs one simulation. `tasks` receives per-task rows when given.
pub fn run_one(
    file: &ScenarioFile,
    spec: &RunSpec,
    check_invariants: bool,
    tasks: Option<&mut dyn FnMut(&TaskRow)>,
) -> Result<RunResult, WorkloadError> {
    run_one_watched(file, spec, check_invariants, tasks, None)
}

/// [`run_one`], with `watcher` looking at the run while it goes (live metrics, progress); the
/// results are the same.
pub fn run_one_watched<'a>(
    file: &ScenarioFile,
    spec: &RunSpec,
    check_invariants: bool,
    tasks: Option<&'a mut dyn FnMut(&TaskRow)>,
    watcher: Option<&'a mut dyn Watcher>,
) -> Result<RunResult, WorkloadError> {
    let scenario = &file.points[spec.point].scenario;
    let started = Instant::now();
    let sched_spec = &scenario.schedulers[spec.scheduler];
    let mut cluster = Cluster::with_indexes(&scenario.node_groups, sched_spec.index_needs());
    cluster.set_gpu_pick(sched_spec.placement.gpu_pick());
    let scheduler = build_scheduler(
        &scenario.schedulers[spec.scheduler],
        stream(spec.seed, "scheduler"),
    );
    let (workload, report) = open_workload(scenario, spec.seed)?;
    let trace_sha256 = trace_sha256(scenario)?;
    let config = engine_config(scenario, spec, check_invariants);
    let mut sim = Simulation::new(config, cluster, scheduler, workload, tasks);
    if let Some(w) = watcher {
        sim = sim.watched(w);
    }
    let output = sim.run()?;
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
        schedulers: output.schedulers,
        mean_pending_events: output.mean_pending_events,
        samples: output.metrics.samples,
        trace_report,
        trace_sha256,
    })
}

/// The checksums of the files a trace replay of `scenario` reads (`None` for a synthetic
/// workload).
pub fn trace_sha256(
    scenario: &Scenario,
) -> Result<Option<std::collections::BTreeMap<String, String>>, WorkloadError> {
    let WorkloadSpec::Trace { spec, .. } = &scenario.workload else {
        return Ok(None);
    };
    crate::workload::trace::checksum::trace_checksums(spec)
        .map(Some)
        .map_err(|source| WorkloadError::Io {
            path: spec.path.display().to_string(),
            source,
        })
}

/// The trace reader's shared skip report (present for trace workloads).
pub type TraceReport = Option<crate::workload::trace::SharedReport>;

/// The workload of a run of `scenario` with seed `seed` (synthetic, or a trace replay cut at
/// `max_tasks`), and the trace reader's report.
pub fn open_workload(
    scenario: &Scenario,
    seed: u64,
) -> Result<(Box<dyn WorkloadSource>, TraceReport), WorkloadError> {
    Ok(match &scenario.workload {
        WorkloadSpec::Synthetic(s) => (Box::new(SyntheticWorkload::new((**s).clone(), seed)), None),
        WorkloadSpec::Trace {
            spec: trace,
            max_tasks,
        } => {
            let (replay, shared) = trace.open_replay(seed)?;
            let capped = Capped {
                inner: replay,
                left: max_tasks.unwrap_or(u64::MAX),
            };
            (Box::new(capped), Some(shared))
        }
    })
}

/// The engine's settings for run `spec` of `scenario`: what the simulator and the real-Docker
/// runner share (the runner uses its control-plane part).
pub fn engine_config(scenario: &Scenario, spec: &RunSpec, check_invariants: bool) -> EngineConfig {
    EngineConfig {
        horizon: scenario.horizon.map(|h| SimTime::ZERO + h),
        warmup: SimTime::ZERO + scenario.warmup,
        mode: scenario.dispatch,
        sample_interval: scenario.output.timeseries,
        check_invariants,
        faults: scenario.faults.clone(),
        failover: std::sync::Arc::new(scenario.failover.policy.clone()),
        pin_services: scenario.failover.pin_services,
        seed: spec.seed,
        node_events: scenario.node_events.clone(),
        preempt: scenario.schedulers[spec.scheduler].preempt,
        bounded_slowdown_tau: scenario.bounded_slowdown_tau,
        power: scenario.power.clone(),
        architecture: scenario.architectures.get(spec.scheduler).map(|a| {
            crate::engine::ArchSetup {
                spec: a.clone(),
                scheduler: scenario.schedulers[spec.scheduler].clone(),
            }
        }),
        unhealthy: scenario.docker.as_ref().and_then(|d| {
            let (tasks, after) = d.unhealthy.clone()?;
            let h = d.health.as_ref()?;
            Some(crate::faults::HealthFault::new(
                tasks, after, h.interval, h.failures,
            ))
        }),
    }
}

/// A workload cut after a number of tasks.
struct Capped {
    inner: Box<dyn WorkloadSource>,
    left: u64,
}

impl WorkloadSource for Capped {
    fn has_dependencies(&self) -> bool {
        self.inner.has_dependencies()
    }

    fn next_task(&mut self) -> Result<Option<crate::workload::TaskSpec>, WorkloadError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        self.inner.next_task()
    }
}

/// Runs `runs` on `jobs` threads and returns their results in memory, in the order of `runs`
/// (for library users and tests; `simctl run` uses [`execute`], which streams records to disk).
pub fn run_in_memory(
    file: &ScenarioFile,
    runs: &[RunSpec],
    jobs: usize,
    check_invariants: bool,
) -> Result<Vec<RunResult>, WorkloadError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .expect("thread pool");
    pool.install(|| {
        runs.par_iter()
            .map(|spec| run_one(file, spec, check_invariants, None))
            .collect()
    })
}

/// How a batch of runs is executed.
pub struct ExecOptions<'a> {
    /// Worker threads.
    pub jobs: usize,
    /// Check capacity invariants after every decision.
    pub check_invariants: bool,
    /// Results directory: each finished run's record (and task rows) goes to `dir/.runs/`.
    pub dir: &'a Path,
    /// Write per-task rows.
    pub tasks_csv: bool,
    /// Total runs of the scenario and its fingerprint, stored in every record.
    pub total_runs: usize,
    /// See [`crate::output::record::fingerprint`].
    pub fingerprint: &'a str,
    /// Set (e.g. by Ctrl-C) to stop starting new runs.
    pub stop: &'a AtomicBool,
    /// Where runs in flight leave their latest look (live metrics, progress by simulated time);
    /// `None`: runs are not watched at all.
    pub live: Option<&'a crate::monitor::live::LiveBoard>,
}

/// Why executing stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// A run failed (bad trace data, I/O).
    #[error(transparent)]
    Run(#[from] WorkloadError),
    /// The stop flag was raised; finished runs are recorded.
    #[error("interrupted: {done} of {total} runs finished and recorded; rerun with --resume to finish the rest")]
    Interrupted {
        /// Runs finished in this call.
        done: usize,
        /// Runs asked for.
        total: usize,
    },
}

/// Runs `runs` on `jobs` threads, saving each run's record as soon as it ends. Runs are independent
/// and seeded by their coordinates, so the records do not depend on the thread count or order.
pub fn execute(
    file: &ScenarioFile,
    runs: &[RunSpec],
    opts: &ExecOptions<'_>,
    on_done: &(dyn Fn(&RunRecord) + Sync),
) -> Result<(), ExecError> {
    std::fs::create_dir_all(opts.dir.join(RUNS_DIR)).map_err(|source| WorkloadError::Io {
        path: opts.dir.join(RUNS_DIR).display().to_string(),
        source,
    })?;
    let done = AtomicUsize::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .build()
        .expect("thread pool");
    let outcomes: Vec<Result<bool, WorkloadError>> = pool.install(|| {
        runs.par_iter()
            .map(|spec| {
                if opts.stop.load(Ordering::SeqCst) {
                    return Ok(false);
                }
                let mut watch = opts.live.map(|board| board.watch(file, spec));
                let watcher = watch.as_mut().map(|w| w as &mut dyn Watcher);
                let result = if opts.tasks_csv {
                    crate::output::tasks::run_with_task_rows(
                        file,
                        spec,
                        opts.check_invariants,
                        &RunRecord::tasks_path(opts.dir, spec.index),
                        watcher,
                    )?
                } else {
                    run_one_watched(file, spec, opts.check_invariants, None, watcher)?
                };
                let record = RunRecord::new(
                    file,
                    &result,
                    opts.total_runs,
                    opts.fingerprint,
                    opts.tasks_csv,
                    crate::output::record::Mode::Sim,
                );
                let path = RunRecord::path(opts.dir, spec.index);
                record.save(opts.dir).map_err(|source| WorkloadError::Io {
                    path: path.display().to_string(),
                    source,
                })?;
                done.fetch_add(1, Ordering::SeqCst);
                on_done(&record);
                Ok(true)
            })
            .collect()
    });
    for o in outcomes {
        o?;
    }
    let done = done.load(Ordering::SeqCst);
    if done < runs.len() {
        return Err(ExecError::Interrupted {
            done,
            total: runs.len(),
        });
    }
    Ok(())
}

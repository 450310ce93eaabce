//! The work and memory a scenario implies, estimated before anything runs, and the limits beyond
//! which simctl refuses it (a run that would take years or abort allocating memory is better
//! refused with the estimate than started).
//!
//! Per run: expected tasks = the sum over workload classes of mean job arrival rate x mean tasks
//! per job x horizon (or the class's `max_tasks`, whichever is smaller), capped by the top-level
//! `max_tasks`, plus service replicas; nodes = the sum over node groups; time-series samples = horizon /
//! interval. Memory = nodes x [`NODE_BYTES`] + samples x [`SAMPLE_BYTES`] + tasks held x
//! [`TASK_BYTES`], where the tasks held are every task when `tasks_csv` keeps per-task rows, or, when
//! the offered load ρ of the busiest resource is at or above 1, the backlog the queue accumulates
//! (a fraction 1 - 1/ρ of the arrivals); below 1 the queue stays bounded and so does the memory.
//! The byte costs are rounded-up sizes of the engine's per-node, per-sample and per-task records.

use crate::config::field::FieldError;
use crate::config::offered::OfferedLoad;
use crate::config::{Scenario, WorkloadSpec};
use crate::workload::jobs::mean_tasks_per_job;
use crate::workload::synthetic::SyntheticSpec;

/// Most tasks one run may be expected to simulate.
pub const MAX_TASKS_PER_RUN: f64 = 1e9;
/// Most nodes a cluster may have, over all node groups.
pub const MAX_NODES: u64 = 10_000_000;
/// Most memory one run may be estimated to need, bytes (4 GiB).
pub const MAX_RUN_BYTES: f64 = 4.0 * GIB;
/// Estimated bytes per node (node state, placement indexes, per-node statistics).
pub const NODE_BYTES: f64 = 256.0;
/// Estimated bytes per time-series sample (the sample and its CSV row).
pub const SAMPLE_BYTES: f64 = 128.0;
/// Estimated bytes per task held in memory (a queued task, or a per-task row).
pub const TASK_BYTES: f64 = 256.0;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// What one run of a scenario is expected to cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Expected tasks per run; `None` for a trace replay without `max_tasks`.
    pub tasks: Option<f64>,
    /// Nodes over all groups.
    pub nodes: u64,
    /// Time-series samples per run.
    pub samples: f64,
    /// Tasks held in memory at the end of a run (per-task rows, or a growing queue).
    pub tasks_held: f64,
    /// Offered load, for synthetic workloads.
    pub load: Option<OfferedLoad>,
}

impl Estimate {
    /// Estimates one run of `s`.
    pub fn of(s: &Scenario) -> Estimate {
        let nodes = s.node_groups.iter().map(|g| u64::from(g.count)).sum();
        let load = OfferedLoad::of(&s.workload, &s.node_groups);
        let horizon = s.horizon.map(|h| h.as_secs_f64());
        let (tasks, span) = match &s.workload {
            WorkloadSpec::Synthetic(w) => {
                let (rate, arrivals) = batch_tasks(w, horizon);
                let services = w
                    .services
                    .as_ref()
                    .map_or(0.0, |v| f64::from(v.count) * f64::from(v.replicas));
                let span = horizon.unwrap_or(if rate > 0.0 { arrivals / rate } else { 0.0 });
                (Some(arrivals + services), span)
            }
            WorkloadSpec::Trace { max_tasks, spec } => {
                // A resampled trace draws exactly `resample.tasks` tasks.
                let drawn = spec.resample.map(|r| r.tasks);
                let tasks = match (*max_tasks, drawn) {
                    (Some(m), Some(d)) => Some(m.min(d)),
                    (m, d) => m.or(d),
                };
                (tasks.map(|m| m as f64), horizon.unwrap_or(0.0))
            }
        };
        let samples = s
            .output
            .timeseries
            .map_or(0.0, |i| (span / i.as_secs_f64()).floor() + 1.0);
        let busiest = load.map_or(0.0, |l| l.max().1);
        let tasks_held = match tasks {
            Some(t) if s.output.tasks_csv => t,
            Some(t) if busiest >= 1.0 => t * (1.0 - 1.0 / busiest),
            _ => 0.0,
        };
        Estimate {
            tasks,
            nodes,
            samples,
            tasks_held,
            load,
        }
    }

    /// Estimated peak memory of one run, bytes.
    pub fn bytes(&self) -> f64 {
        self.nodes as f64 * NODE_BYTES + self.samples * SAMPLE_BYTES + self.tasks_held * TASK_BYTES
    }

    /// Fails, naming the key most responsible, when the run exceeds a limit.
    pub fn check(&self, s: &Scenario) -> Result<(), FieldError> {
        if self.nodes > MAX_NODES {
            return Err(FieldError::new(
                "cluster.nodes",
                format!(
                    "the cluster has {} nodes over all groups; simctl supports at most {MAX_NODES}",
                    self.nodes
                ),
            ));
        }
        if let Some(t) = self.tasks.filter(|t| !within(*t, MAX_TASKS_PER_RUN)) {
            let key = match &s.workload {
                WorkloadSpec::Synthetic(w) if w.max_tasks.is_some_and(|m| m as f64 <= t) => {
                    "workload.max_tasks"
                }
                WorkloadSpec::Trace { .. } => "workload.max_tasks",
                _ => "workload.arrival",
            };
            return Err(FieldError::new(key, format!(
                "a run would simulate about {} tasks, more than the limit of {} per run; lower the arrival rate or the horizon, or set workload.max_tasks",
                count(t), count(MAX_TASKS_PER_RUN)
            )));
        }
        let bytes = self.bytes();
        if !within(bytes, MAX_RUN_BYTES) {
            let parts = [
                ("cluster.nodes", self.nodes as f64 * NODE_BYTES),
                ("output.timeseries", self.samples * SAMPLE_BYTES),
                (
                    if s.output.tasks_csv {
                        "output.tasks_csv"
                    } else {
                        "workload.arrival"
                    },
                    self.tasks_held * TASK_BYTES,
                ),
            ];
            let key = parts
                .iter()
                .fold(parts[0], |a, b| if b.1 > a.1 { *b } else { a })
                .0;
            return Err(FieldError::new(
                key,
                format!(
                    "a run would need about {} of memory ({}), more than the limit of {} per run",
                    size(bytes),
                    self.breakdown(),
                    size(MAX_RUN_BYTES)
                ),
            ));
        }
        Ok(())
    }

    /// `16 nodes x 256 B + 121 samples x 128 B + 0 tasks held x 256 B`.
    pub fn breakdown(&self) -> String {
        format!(
            "{} nodes x {NODE_BYTES} B + {} time-series samples x {SAMPLE_BYTES} B + {} tasks held x {TASK_BYTES} B",
            self.nodes,
            count(self.samples),
            count(self.tasks_held)
        )
    }

    /// One line for `simctl validate`.
    pub fn render(&self) -> String {
        let tasks = self
            .tasks
            .map_or("unknown (trace)".to_string(), |t| format!("~{}", count(t)));
        format!(
            "tasks {tasks}, nodes {}, time-series samples {}, memory ~{} (limits: {} tasks, {MAX_NODES} nodes, {})",
            self.nodes,
            count(self.samples),
            size(self.bytes()),
            count(MAX_TASKS_PER_RUN),
            size(MAX_RUN_BYTES)
        )
    }
}

/// Batch tasks per second and expected batch tasks per run of `w`: per class, job rate x mean
/// tasks per job x horizon, capped by the class's `max_tasks`; in all, capped by `max_tasks`.
fn batch_tasks(w: &SyntheticSpec, horizon: Option<f64>) -> (f64, f64) {
    let mut rate = 0.0;
    let mut tasks = 0.0;
    for c in w.batch_classes() {
        let r = c.arrival.mean_rate() * mean_tasks_per_job(c.tasks_per_job.as_ref());
        rate += r;
        tasks += match (horizon, c.max_tasks) {
            (Some(h), Some(m)) => (r * h).min(m as f64),
            (Some(h), None) => r * h,
            (None, Some(m)) => m as f64,
            // Unbounded: validation requires a top-level max_tasks then.
            (None, None) => f64::INFINITY,
        };
    }
    if let Some(m) = w.max_tasks {
        tasks = tasks.min(m as f64);
    }
    (rate, tasks)
}

/// `x <= max`, false for NaN (an estimate that is not a number is not within any limit).
fn within(x: f64, max: f64) -> bool {
    x.partial_cmp(&max).is_some_and(|o| o.is_le())
}

/// A count: exact below a million, three significant digits above.
pub fn count(x: f64) -> String {
    if x.is_finite() && x < 1e6 {
        format!("{}", x.round())
    } else {
        format!("{x:.3e}")
    }
}

/// Bytes in B, KiB, MiB or GiB with one decimal.
pub fn size(bytes: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB"];
    let mut v = bytes;
    for u in &units[..3] {
        if v < 1024.0 {
            return format!("{v:.1} {u}");
        }
        v /= 1024.0;
    }
    if v.is_finite() && v < 1e6 {
        format!("{v:.1} {}", units[3])
    } else {
        format!("{v:.3e} GiB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scenario(rate: f64, tasks_csv: bool) -> Scenario {
        let text = format!(
            "[scenario]\nname = \"b\"\nhorizon = \"1000s\"\n[[cluster.nodes]]\ncount = 2\ncpu = 1\nmemory = \"1GiB\"\n\
             [workload]\narrival = {{ process = \"poisson\", rate = {rate} }}\nduration = \"1s\"\n\
             [[scheduler]]\nname = \"ff\"\nplacement = \"first-fit\"\n\
             [output]\ntimeseries = \"10s\"\ntasks_csv = {tasks_csv}\n"
        );
        crate::config::parse(&text, Path::new("t.toml"))
            .unwrap()
            .base()
            .clone()
    }

    #[test]
    fn a_stable_queue_holds_no_tasks_an_overloaded_one_holds_its_backlog() {
        // 1 task/s x 1 core x 1 s on 2 cores: load 0.5, nothing accumulates.
        let e = Estimate::of(&scenario(1.0, false));
        assert_eq!(e.tasks, Some(1000.0));
        assert_eq!(e.samples, 101.0);
        assert_eq!(e.tasks_held, 0.0);
        assert_eq!(e.bytes(), 2.0 * NODE_BYTES + 101.0 * SAMPLE_BYTES);
        // 4 tasks/s: load 2, so half of the 4000 arrivals are still queued at the horizon.
        let e = Estimate::of(&scenario(4.0, false));
        assert_eq!(e.tasks_held, 2000.0);
        // Per-task rows keep every task.
        assert_eq!(Estimate::of(&scenario(1.0, true)).tasks_held, 1000.0);
    }

    #[test]
    fn counts_and_sizes_read_well() {
        assert_eq!(count(7200.4), "7200");
        assert_eq!(count(f64::INFINITY), "inf");
        assert_eq!(count(1.5e9), "1.500e9");
        assert_eq!(size(512.0), "512.0 B");
        assert_eq!(size(1.5 * GIB), "1.5 GiB");
        assert_eq!(size(3.0 * 1024.0 * 1024.0), "3.0 MiB");
    }
}

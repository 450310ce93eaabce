//! One measured run: what `simctl bench-one` prints as a JSON line and `simctl bench` reads back.

use serde::{Deserialize, Serialize};

use crate::config::ScenarioFile;
use crate::sweep::{self, RunSpec};
use crate::workload::WorkloadError;

use super::usage;

/// The figures of one run, measured in the process that ran it (and nothing else).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchLine {
    /// The scenario's name.
    pub scenario: String,
    /// The sweep point's values (`key=value ...`; empty without a sweep).
    pub point: String,
    /// The scheduler's name.
    pub scheduler: String,
    /// The run's index in the scenario's run list (`sweep::plan`).
    pub run: usize,
    /// Tasks submitted (the `tasks_submitted` column of `summary.csv`).
    pub tasks: u64,
    /// Events handled (the `events` column of `summary.csv`).
    pub events: u64,
    /// Wall-clock seconds of the run: building the cluster and the workload, simulating, and the
    /// final statistics (`summary.csv`'s `wall_s`).
    pub wall_s: f64,
    /// CPU seconds (user + system) the process spent over the same span (see [`usage`] for the
    /// source); `None` where it cannot be read.
    pub cpu_s: Option<f64>,
    /// The process's peak resident memory at the end (`VmHWM`), MiB; `None` where unreadable.
    pub peak_rss_mib: Option<f64>,
    /// The future-event list's mean length per handled event.
    pub mean_pending_events: f64,
}

impl BenchLine {
    /// Events per CPU second (`None` without a CPU time, or when it rounds to zero).
    pub fn events_per_cpu_s(&self) -> Option<f64> {
        self.cpu_s
            .filter(|&s| s > 0.0)
            .map(|s| self.events as f64 / s)
    }

    /// The bare heap's size to compare with: the mean pending events, rounded, at least 1.
    pub fn heap_size(&self) -> usize {
        (self.mean_pending_events.round() as usize).max(1)
    }
}

/// Runs `spec` of `file` with [`sweep::run_one`] (no task rows, no files written) and measures
/// it. Meant for a process of its own, so that the peak memory is this run's.
pub fn measure(file: &ScenarioFile, spec: &RunSpec) -> Result<BenchLine, WorkloadError> {
    let cpu_before = usage::cpu_seconds();
    let result = sweep::run_one(file, spec, false, None)?;
    let cpu_s = cpu_before
        .zip(usage::cpu_seconds())
        .map(|(before, after)| after - before);
    let point = &file.points[spec.point];
    Ok(BenchLine {
        scenario: point.scenario.name.clone(),
        point: point
            .values
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" "),
        scheduler: point.scenario.schedulers[spec.scheduler].name.clone(),
        run: spec.index,
        tasks: result.summary.tasks_submitted,
        events: result.summary.events,
        wall_s: result.summary.wall_s,
        cpu_s,
        peak_rss_mib: usage::peak_rss_mib(),
        mean_pending_events: result.mean_pending_events,
    })
}

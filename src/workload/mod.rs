//! Workloads: streams of tasks in arrival order, from synthetic distributions or real traces.
//!
//! A source is pulled one task at a time by the engine, so memory does not grow with the length of a
//! workload, and a source's output never depends on scheduling decisions (the same tasks reach every
//! scheduler compared in a run).

pub mod arrival;
pub mod dist;
pub mod jobs;
pub mod synthetic;
pub mod trace;

#[cfg(test)]
mod tests_jobs;

use serde::{Deserialize, Serialize};

use crate::ids::{JobId, TaskId};
use crate::resources::Resources;
use crate::time::{SimDuration, SimTime};

/// What kind of work a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TaskKind {
    /// Runs for its duration, then completes.
    #[default]
    Batch,
    /// A long-running service: runs until the horizon and is expected to be kept up.
    Service,
}

/// One task as the workload describes it, before any scheduling.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSpec {
    /// Arrival sequence number, unique in the run.
    pub id: TaskId,
    /// The job this task belongs to.
    pub job: JobId,
    /// When the task is submitted.
    pub arrival: SimTime,
    /// Processing time on a node of speed 1.0.
    pub duration: SimDuration,
    /// What the user asked for as run time, when known (SJF, backfilling); `None` means "use duration".
    pub requested_duration: Option<SimDuration>,
    /// Resources held while running.
    pub demand: Resources,
    /// Larger is more important.
    pub priority: i32,
    /// Batch or service.
    pub kind: TaskKind,
    /// Tenant / user, for fair-share policies.
    pub user: u32,
    /// Absolute deadline, when the workload has one.
    pub deadline: Option<SimTime>,
    /// Tasks that must complete before this one may start.
    pub depends_on: Vec<TaskId>,
    /// What really happened to this task, when it comes from a trace that says.
    pub observed: Option<Box<Observed>>,
    /// Its workload class (index into the scenario's `[[workload.class]]` list; 0 when the
    /// workload has no classes): an architecture routes each class to its own scheduler.
    pub class: u16,
    /// Delayed submission: the task is submitted at `arrival` but may not be scheduled before this
    /// time (`None`: at once).
    pub not_before: Option<SimTime>,
}

/// A trace's record of what happened to a task in the real cluster, written beside simulated values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observed {
    /// Real time from submission to start.
    pub wait: Option<SimDuration>,
    /// Real run time.
    pub runtime: Option<SimDuration>,
}

impl TaskSpec {
    /// The duration a scheduler may use for decisions: the requested time if given, else the real one.
    pub fn estimated_duration(&self) -> SimDuration {
        self.requested_duration.unwrap_or(self.duration)
    }
}

/// Why a workload could not produce its next task.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    /// The workload's input is malformed (file, line and reason in the message).
    #[error("{0}")]
    Invalid(String),
    /// Reading or writing a file failed. The message names the file; the cause is the error's
    /// `source()` (print the chain, as the CLI does with `{:#}`, or use [`WorkloadError::chain`]).
    #[error("i/o error on {path}")]
    Io {
        /// The file being read.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl WorkloadError {
    /// The message followed by its causes, `": "`-separated, for callers that keep only a string.
    pub fn chain(&self) -> String {
        let mut out = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            out.push_str(": ");
            out.push_str(&c.to_string());
            cause = c.source();
        }
        out
    }
}

/// A stream of tasks in non-decreasing arrival order.
pub trait WorkloadSource: Send {
    /// The next task, or `None` when the workload is exhausted.
    fn next_task(&mut self) -> Result<Option<TaskSpec>, WorkloadError>;

    /// Whether tasks may name dependencies (`depends_on`); the engine tracks task ids only then.
    fn has_dependencies(&self) -> bool {
        false
    }
}

//! The rows a task leaves in tasks.csv, as [`Command::Record`]s.

use crate::ids::NodeId;
use crate::metrics::{Outcome, TaskRow};
use crate::time::SimTime;
use crate::workload::TaskSpec;

use super::tasks::Phase;
use super::{Command, ControlPlane};

impl ControlPlane {
    /// Writes a row for the current attempt of a task.
    pub(super) fn emit_attempt(
        &mut self,
        handle: u32,
        node: Option<NodeId>,
        start: Option<SimTime>,
        outcome: Outcome,
    ) {
        if !self.config.record_rows {
            return;
        }
        let rec = self.tasks.get(handle);
        let (spec, attempt, first_start) = (rec.spec.clone(), rec.attempt, rec.first_start);
        self.emit(&spec, attempt, node, start, first_start, outcome);
    }

    /// Writes a row for a task that is not running (final states, or at the horizon).
    pub(super) fn emit_record(&mut self, handle: u32, outcome: Outcome) {
        let (node, start) = match self.tasks.get(handle).phase {
            Phase::Running { node, start, .. } => (Some(node), Some(start)),
            _ => (None, None),
        };
        self.emit_attempt(handle, node, start, outcome);
    }

    /// Records one row (if rows are recorded).
    pub(super) fn emit(
        &mut self,
        spec: &TaskSpec,
        attempt: u32,
        node: Option<NodeId>,
        start: Option<SimTime>,
        first_start: Option<SimTime>,
        outcome: Outcome,
    ) {
        if !self.config.record_rows {
            return;
        }
        // The run time a completed task needs on the node it completed on, without failures or
        // checkpoints: the denominator of its slowdown.
        let ideal_run = match (outcome, node) {
            (Outcome::Completed, Some(n)) => {
                Some(spec.duration.scaled_by_speed(self.cluster.node(n).speed))
            }
            _ => None,
        };
        let end = match outcome {
            Outcome::Running | Outcome::Pending => None,
            _ => Some(self.now),
        };
        self.commands.push(Command::Record(Box::new(TaskRow {
            task_id: spec.id.0,
            job_id: spec.job.0,
            attempt,
            node,
            arrival: spec.arrival,
            start,
            first_start,
            end,
            outcome,
            ideal_run,
            demand: spec.demand,
            duration: spec.duration,
            priority: spec.priority,
            observed_wait: spec.observed.as_ref().and_then(|o| o.wait),
            observed_runtime: spec.observed.as_ref().and_then(|o| o.runtime),
        })));
    }
}

//! Task dependencies: a task whose `depends_on` names tasks that have not completed waits (blocked)
//! until they have; if one of them fails for good, so does the task (and, in turn, its dependents).
//! A dependency on a task the run never saw (filtered out of a trace) counts as satisfied.
//!
//! Only workloads that declare dependencies pay for this: the control plane then keeps a map of live task
//! ids, the ids of failed tasks, and the waiters of each live task.

use std::collections::{HashMap, HashSet};

use crate::ids::TaskId;
use crate::metrics::Outcome;
use crate::workload::TaskKind;

use super::tasks::Phase;
use super::ControlPlane;

/// Dependency bookkeeping of a run.
#[derive(Debug, Default)]
pub struct Deps {
    /// Whether the workload may have dependencies at all.
    pub enabled: bool,
    alive: HashSet<TaskId>,
    failed: HashSet<TaskId>,
    /// Live task id -> (handle, id) of the tasks waiting for it, in the order they started waiting.
    waiters: HashMap<TaskId, Vec<(u32, TaskId)>>,
}

impl Deps {
    /// Bookkeeping for a workload that has (`enabled`) or has not dependencies.
    pub fn new(enabled: bool) -> Deps {
        Deps {
            enabled,
            ..Deps::default()
        }
    }
}

impl ControlPlane {
    /// A task may be scheduled (arrived, dependencies met): it joins the queue, or waits for its
    /// not-before time first (delayed submission).
    pub(super) fn ready(&mut self, handle: u32) {
        match self.tasks.get(handle).spec.not_before {
            Some(t) if t > self.now => {
                self.tasks.get_mut(handle).phase = Phase::Idle;
                self.commands.push(super::Command::SetTimer {
                    at: t,
                    timer: super::Timer::NotBefore(self.attempt_ref(handle)),
                });
            }
            _ => self.enqueue(handle, crate::failover::Position::Tail),
        }
    }

    /// A new task arrived as `handle`: enqueue it, hold it until its dependencies complete, or fail it
    /// if one already failed.
    pub(super) fn admit(&mut self, handle: u32) {
        if !self.deps.enabled {
            self.ready(handle);
            return;
        }
        let rec = self.tasks.get(handle);
        let (id, deps) = (rec.spec.id, rec.spec.depends_on.clone());
        self.deps.alive.insert(id);
        if deps.iter().any(|d| self.deps.failed.contains(d)) {
            self.fail_for_good(handle);
            return;
        }
        let mut blocked = 0;
        for d in deps.iter().filter(|d| self.deps.alive.contains(d)) {
            self.deps.waiters.entry(*d).or_default().push((handle, id));
            blocked += 1;
        }
        if blocked == 0 {
            self.ready(handle);
        } else {
            self.tasks.get_mut(handle).phase = Phase::Blocked(blocked);
        }
    }

    /// Task `id` completed: its waiters lose one blocker each and run when none is left.
    pub(super) fn dependency_done(&mut self, id: TaskId) {
        if !self.deps.enabled {
            return;
        }
        self.deps.alive.remove(&id);
        for (handle, waiter) in self.deps.waiters.remove(&id).unwrap_or_default() {
            if !self.tasks.is_live(handle, waiter) {
                continue; // failed meanwhile through another dependency
            }
            if let Phase::Blocked(n) = self.tasks.get(handle).phase {
                if n <= 1 {
                    self.ready(handle);
                } else {
                    self.tasks.get_mut(handle).phase = Phase::Blocked(n - 1);
                }
            }
        }
    }

    /// Task `id` will never complete (lost or unschedulable): every task that waits for it fails.
    pub(super) fn dependency_failed(&mut self, id: TaskId) {
        if !self.deps.enabled {
            return;
        }
        self.deps.alive.remove(&id);
        self.deps.failed.insert(id);
        for (handle, waiter) in self.deps.waiters.remove(&id).unwrap_or_default() {
            if self.tasks.is_live(handle, waiter)
                && matches!(self.tasks.get(handle).phase, Phase::Blocked(_))
            {
                self.fail_for_good(handle);
            }
        }
    }

    /// Ends a live task that is not running as failed, and cascades to its dependents.
    pub(super) fn fail_for_good(&mut self, handle: u32) {
        self.emit_record(handle, Outcome::Failed);
        self.metrics.failed += 1;
        let rec = self.tasks.remove(handle);
        if rec.spec.kind == TaskKind::Batch {
            self.unfinished -= 1;
        }
        self.dependency_failed(rec.spec.id);
    }
}

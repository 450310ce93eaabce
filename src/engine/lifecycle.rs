//! A task attempt's life on a node: start, run, finish or stop; and the rows it leaves in tasks.csv.

use crate::failover::FailoverSpec;
use crate::ids::NodeId;
use crate::metrics::{Outcome, TaskRow};
use crate::sched::scoring::least_allocated;
use crate::sched::{DispatchMode, RunningTask};
use crate::time::SimTime;
use crate::workload::{TaskKind, TaskSpec};

use super::tasks::{Phase, TaskRecord};
use super::{Event, Simulation};

impl Simulation<'_> {
    /// Starts an attempt whose resources are already allocated on `node`.
    pub(super) fn start(&mut self, handle: u32, node: NodeId) {
        let now = self.now;
        let speed = self.cluster.node(node).speed;
        let up = self.health[node.index()].down_causes == 0;
        let running_pos = self.running.len();
        let rec = self.tasks.get_mut(handle);
        rec.phase = Phase::Running {
            node,
            start: now,
            running_pos,
            stalled_at: (!up).then_some(now),
        };
        if let Some(failed) = rec.failed_at.take() {
            self.metrics.on_restart_delay(failed, now);
        }
        // The wait ends at the first start only (a task sent back from a dead node's local queue
        // starts again with the same attempt number).
        let first_start = rec.first_start.is_none() && rec.copy_of.is_none();
        if first_start {
            rec.first_start = Some(now);
        }
        let is_primary = rec.copy_of.is_none();
        let spec = &rec.spec;
        let (arrival, kind, job) = (spec.arrival, spec.kind, spec.job.0);
        let work = spec.duration.saturating_sub(rec.saved);
        self.running.push(RunningTask {
            handle,
            id: spec.id,
            node,
            demand: spec.demand,
            start: now,
            expected_end: now
                + spec
                    .estimated_duration()
                    .saturating_sub(rec.saved)
                    .scaled_by_speed(speed),
            priority: spec.priority,
            user: spec.user,
        });
        if first_start {
            self.metrics.on_start(arrival, now);
        }
        if !up {
            return; // placed on a dead node the scheduler has not noticed yet: no progress
        }
        if kind == TaskKind::Service {
            self.services.replica_up(job, now, self.config.warmup);
        }
        self.schedule_progress(handle, kind, work, speed);
        let copies = self.config.failover.policy.copies();
        if is_primary
            && copies > 1
            && kind == TaskKind::Batch
            && self.tasks.get(handle).copies.is_empty()
        {
            self.launch_copies(handle, node, copies - 1);
        }
    }

    /// Schedules the end (and possibly a failure) of a healthy running attempt.
    fn schedule_progress(
        &mut self,
        handle: u32,
        kind: TaskKind,
        work: crate::time::SimDuration,
        speed: f64,
    ) {
        let generation = self.tasks.generation(handle);
        let wall = (kind == TaskKind::Batch)
            .then(|| self.config.failover.policy.attempt_wall_time(work, speed));
        if let Some(w) = wall {
            self.events
                .push(self.now + w, Event::Finish { handle, generation });
        }
        if let Some(after) = self.task_failures.failure_after(wall) {
            self.events
                .push(self.now + after, Event::TaskFail { handle, generation });
        }
    }

    /// Replicate policy: start `extra` copies of a task on other nodes (or failure domains), chosen
    /// by the shared least-allocated score among nodes with room now; copies that find no such node
    /// are not started (replication is best effort at start time).
    fn launch_copies(&mut self, primary: u32, first_node: NodeId, extra: u32) {
        let spread_domains = matches!(
            self.config.failover.policy,
            FailoverSpec::Replicate {
                spread: crate::failover::Spread::Domain,
                ..
            }
        );
        let domain_of = |c: &crate::cluster::Cluster, n: NodeId| {
            c.groups()[c.node(n).group as usize].domain.clone()
        };
        let mut used = vec![first_node];
        for _ in 0..extra {
            let demand = self.tasks.get(primary).spec.demand;
            let cluster = &self.cluster;
            let best = cluster
                .nodes()
                .iter()
                .filter(|n| n.fits_now(&demand) && !used.contains(&n.id))
                .filter(|n| {
                    !spread_domains
                        || used
                            .iter()
                            .all(|u| domain_of(cluster, *u) != domain_of(cluster, n.id))
                })
                .map(|n| (least_allocated(n, &demand), n.id))
                .fold(None::<(f64, NodeId)>, |best, (s, id)| {
                    if best.is_none_or(|(b, _)| s > b) {
                        Some((s, id))
                    } else {
                        best
                    }
                });
            let Some((_, node)) = best else { break };
            self.cluster
                .allocate(node, &demand)
                .expect("chosen node has room");
            let rec = self.tasks.get(primary);
            let copy = TaskRecord {
                copy_of: Some(primary),
                copies: Vec::new(),
                phase: Phase::Pending,
                ..rec.clone()
            };
            let h = self.tasks.insert_record(copy);
            self.tasks.get_mut(primary).copies.push(h);
            used.push(node);
            self.start(h, node);
        }
    }

    /// Immediate dispatch: start tasks from the head of a node's local queue while they fit.
    pub(super) fn drain_local_queue(&mut self, node: NodeId) {
        while let Some(&handle) = self.local_queues[node.index()].front() {
            let demand = self.tasks.get(handle).spec.demand;
            if self.cluster.allocate(node, &demand).is_err() {
                break;
            }
            self.local_queues[node.index()].pop_front();
            self.start(handle, node);
        }
        let len = self.local_queues[node.index()].len() as u32;
        self.cluster.set_queued(node, len);
    }

    /// Ends a running attempt: frees its resources (unless a preemption already did), accounts its
    /// utilisation, and writes its row; the task is then idle (in no queue, on no node). What of
    /// its work is lost is the caller's to account. Returns (node, start, wall time computed).
    pub(super) fn stop_running(
        &mut self,
        handle: u32,
        outcome: Outcome,
    ) -> (NodeId, SimTime, crate::time::SimDuration) {
        let rec = self.tasks.get(handle);
        let Phase::Running {
            node,
            start,
            running_pos,
            stalled_at,
        } = rec.phase
        else {
            panic!("task {} stopped while not running", rec.spec.id.0);
        };
        let (demand, kind, job) = (rec.spec.demand, rec.spec.kind, rec.spec.job.0);
        self.running.swap_remove(running_pos);
        if let Some(moved) = self.running.get(running_pos) {
            if let Phase::Running { running_pos: p, .. } =
                &mut self.tasks.get_mut(moved.handle).phase
            {
                *p = running_pos;
            }
        }
        if kind == TaskKind::Service && stalled_at.is_none() {
            self.services.replica_down(job, self.now);
        }
        self.tasks.bump_generation(handle);
        self.metrics.on_release(node, &demand, start, self.now);
        let computed = stalled_at.unwrap_or(self.now).since(start);
        if outcome != Outcome::Preempted {
            // Session::preempt has already returned a preempted task's resources.
            self.cluster.release(node, &demand);
        }
        self.tasks.get_mut(handle).phase = Phase::Idle;
        self.emit_attempt(handle, Some(node), Some(start), outcome);
        (node, start, computed)
    }

    /// A running attempt finished its work: the task completes (its other copies are cancelled).
    pub(super) fn on_finish(&mut self, handle: u32) {
        let (node, _, _) = self.stop_running(handle, Outcome::Completed);
        let rec = self.tasks.get(handle);
        let primary = rec.copy_of.unwrap_or(handle);
        let (arrival, attempts) = (rec.spec.arrival, rec.attempt);
        let mut members: Vec<u32> = self.tasks.get(primary).copies.clone();
        members.push(primary);
        for m in members.into_iter().filter(|&m| m != handle) {
            if let Phase::Running { node: n, .. } = self.tasks.get(m).phase {
                // A redundant copy's work is thrown away.
                let (_, from, computed) = self.stop_running(m, Outcome::Cancelled);
                let cpu = self.tasks.get(m).spec.demand.cpu_cores();
                self.metrics.on_waste(cpu, from, from + computed);
                self.after_release(n);
            }
            self.tasks.remove(m);
        }
        let done = self.tasks.remove(handle);
        let ideal = done
            .spec
            .duration
            .scaled_by_speed(self.cluster.node(node).speed);
        self.metrics.on_complete(arrival, ideal, attempts, self.now);
        self.dependency_done(done.spec.id);
        self.unfinished -= 1;
        self.after_release(node);
    }

    /// Capacity came back on `node`: the scheduler should look again; local queues may move.
    pub(super) fn after_release(&mut self, node: NodeId) {
        self.capacity_freed = true;
        if self.config.mode == DispatchMode::Immediate {
            self.drain_local_queue(node);
        }
    }

    /// Writes a row for the current attempt of a task.
    pub(super) fn emit_attempt(
        &mut self,
        handle: u32,
        node: Option<NodeId>,
        start: Option<SimTime>,
        outcome: Outcome,
    ) {
        if self.sink.is_none() {
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

    /// Sends one row to the sink.
    pub(super) fn emit(
        &mut self,
        spec: &TaskSpec,
        attempt: u32,
        node: Option<NodeId>,
        start: Option<SimTime>,
        first_start: Option<SimTime>,
        outcome: Outcome,
    ) {
        // The run time a completed task needs on the node it completed on, without failures or
        // checkpoints: the denominator of its slowdown.
        let ideal_run = match (outcome, node) {
            (Outcome::Completed, Some(n)) => {
                Some(spec.duration.scaled_by_speed(self.cluster.node(n).speed))
            }
            _ => None,
        };
        if let Some(sink) = self.sink.as_mut() {
            let end = match outcome {
                Outcome::Running | Outcome::Pending => None,
                _ => Some(self.now),
            };
            sink(&TaskRow {
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
            });
        }
    }
}

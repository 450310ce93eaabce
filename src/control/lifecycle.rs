//! A task attempt's life on a node: start, run, finish or stop.

use crate::cluster::GpuSet;
use crate::failover::Spread;
use crate::ids::NodeId;
use crate::metrics::Outcome;
use crate::sched::scoring::least_allocated;
use crate::sched::RunningTask;
use crate::time::{SimDuration, SimTime};
use crate::workload::TaskKind;

use super::tasks::{Phase, TaskRecord};
use super::{Command, ControlPlane};

impl ControlPlane {
    /// Starts an attempt whose resources are already allocated on `node`.
    pub(super) fn start(&mut self, handle: u32, node: NodeId, gpus: GpuSet) {
        let now = self.now;
        self.power_touch(node);
        let speed = self.cluster.node(node).speed;
        let up = !self.nodes[node.index()].down;
        let rec = self.tasks.get_mut(handle);
        rec.phase = Phase::Running {
            node,
            start: now,
            stalled_at: (!up).then_some(now),
            began: now,
            gpus,
        };
        if let Some(failed) = rec.failed_at.take() {
            self.metrics.on_restart_delay(failed, now);
        }
        // The wait ends at the first start only (a task sent back from a dead node's local queue
        // starts again with the same attempt number).
        let first_start = rec.first_start.is_none() && rec.copy_of.is_none();
        if first_start {
            rec.first_start = Some(now);
            if rec.spec.demand.gpu_milli > 0 {
                self.metrics.gpu.started += 1;
            }
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
            gpus,
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
        if self.arch.is_some() {
            let spec = &self.tasks.get(handle).spec;
            let (class, demand) = (spec.class, spec.demand);
            self.arch_hold(class, &demand, true);
        }
        if !up {
            return; // placed on a dead node the scheduler has not noticed yet: no progress
        }
        if kind == TaskKind::Service {
            self.services.replica_up(job, now, self.config.warmup);
        }
        let run_for =
            (kind == TaskKind::Batch).then(|| self.config.failover.attempt_wall_time(work, speed));
        let rec = self.tasks.get(handle);
        self.commands.push(Command::Start {
            attempt: self.attempt_ref(handle),
            task: rec.spec.id,
            number: rec.attempt,
            node,
            run_for,
        });
        let copies = self.config.failover.replication().copies;
        if is_primary
            && copies > 1
            && kind == TaskKind::Batch
            && self.tasks.get(handle).copies.is_empty()
        {
            self.launch_copies(handle, node, copies - 1);
        }
    }

    /// Replicate policy: start `extra` copies of a task on other nodes (or failure domains), chosen
    /// by the shared least-allocated score among nodes with room now; copies that find no such node
    /// are not started (replication is best effort at start time).
    fn launch_copies(&mut self, primary: u32, first_node: NodeId, extra: u32) {
        let spread_domains = self.config.failover.replication().spread == Spread::Domain;
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
            let gpus = self
                .cluster
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
            self.start(h, node, gpus);
        }
    }

    /// Immediate dispatch: start tasks from the head of a node's local queue while they fit.
    pub(super) fn drain_local_queue(&mut self, node: NodeId) {
        while let Some(&handle) = self.local_queues[node.index()].front() {
            let demand = self.tasks.get(handle).spec.demand;
            let Ok(gpus) = self.cluster.allocate(node, &demand) else {
                break;
            };
            self.local_queues[node.index()].pop_front();
            self.start(handle, node, gpus);
        }
        let len = self.local_queues[node.index()].len() as u32;
        self.cluster.set_queued(node, len);
    }

    /// Ends a running attempt: frees its resources (unless a preemption already did), accounts its
    /// utilisation, and writes its row; the task is then idle (in no queue, on no node). A
    /// preempted or cancelled attempt that still runs is killed. What of its work is lost is the
    /// caller's to account. Returns (node, when it began making progress, wall time computed).
    pub(super) fn stop_running(
        &mut self,
        handle: u32,
        outcome: Outcome,
    ) -> (NodeId, SimTime, SimDuration) {
        let rec = self.tasks.get(handle);
        let Phase::Running {
            node,
            start,
            stalled_at,
            began,
            gpus,
        } = rec.phase
        else {
            panic!("task {} stopped while not running", rec.spec.id.0);
        };
        let (demand, kind, job, class) = (
            rec.spec.demand,
            rec.spec.kind,
            rec.spec.job.0,
            rec.spec.class,
        );
        self.arch_hold(class, &demand, false);
        self.power_touch(node);
        self.running.remove(handle);
        if kind == TaskKind::Service && stalled_at.is_none() {
            self.services.replica_down(job, self.now);
        }
        if stalled_at.is_none() && matches!(outcome, Outcome::Preempted | Outcome::Cancelled) {
            let attempt = self.attempt_ref(handle);
            self.commands.push(Command::Kill { attempt, node });
        }
        self.tasks.bump_generation(handle);
        self.metrics.on_release(node, &demand, start, self.now);
        let computed = stalled_at.unwrap_or(self.now).since(began);
        if outcome != Outcome::Preempted {
            // Session::preempt has already returned a preempted task's resources.
            self.cluster.release(node, &demand, gpus);
        }
        self.tasks.get_mut(handle).phase = Phase::Idle;
        self.emit_attempt(handle, Some(node), Some(start), outcome);
        (node, began, computed)
    }

    /// A running attempt finished its work: the task completes (its other copies are cancelled).
    pub(super) fn on_finish(&mut self, handle: u32) {
        let (node, _, _) = self.stop_running(handle, Outcome::Completed);
        let rec = self.tasks.get(handle);
        let primary = rec.copy_of.unwrap_or(handle);
        let (arrival, attempts) = (rec.spec.arrival, rec.attempt);
        let (id, duration) = (rec.spec.id, rec.spec.duration);
        // Only replicated tasks have other members (the common case allocates nothing here).
        if primary != handle || !self.tasks.get(primary).copies.is_empty() {
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
                self.tasks.discard(m);
            }
        }
        self.tasks.discard(handle);
        let ideal = duration.scaled_by_speed(self.cluster.node(node).speed);
        self.metrics.on_complete(arrival, ideal, attempts, self.now);
        self.dependency_done(id);
        self.unfinished -= 1;
        self.after_release(node);
    }

    /// Capacity came back on `node`: the scheduler should look again; local queues may move.
    pub(super) fn after_release(&mut self, node: NodeId) {
        self.capacity_freed = true;
        if self.local_dispatch {
            self.drain_local_queue(node);
            if self.arch.is_some() {
                self.serve(node);
            }
        }
    }
}

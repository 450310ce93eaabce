//! Failover mechanics: what happens to a node's work when it crashes and when the crash is noticed,
//! to a task whose attempt failed, and carrying out the failover policy's [`Action`]s (requeue now
//! or after a backoff timer, checkpointed work, replica copies, pinned services).

use crate::failover::{Action, Position};
use crate::ids::NodeId;
use crate::metrics::Outcome;
use crate::time::{SimDuration, SimTime};
use crate::workload::TaskKind;

use super::tasks::Phase;
use super::{Command, ControlPlane, Timer};

impl ControlPlane {
    /// Input: `node` crashed. Its attempts stop making progress at once; the scheduler learns of it
    /// only after the detection delay (and may keep placing work there until then). A node already
    /// down is left as it is.
    pub fn node_down(&mut self, node: NodeId) {
        let v = &mut self.nodes[node.index()];
        if v.down {
            return;
        }
        v.down = true;
        v.epoch += 1;
        v.detected = false;
        let epoch = v.epoch;
        self.metrics.on_node_failure(self.now);
        if let Some(m) = self.cluster.meter_mut() {
            m.set_down(node.index(), true);
        }
        self.power_node_down(node);
        for handle in self.running_on(node) {
            self.stall(handle);
        }
        self.commands.push(Command::SetTimer {
            at: self.now + self.config.detection,
            timer: Timer::Detect { node, epoch },
        });
    }

    /// Input: `node` is up again (repaired, or rejoined). If the crash was not noticed yet, the node
    /// reports its lost work as it registers again.
    pub fn node_up(&mut self, node: NodeId) {
        let v = &mut self.nodes[node.index()];
        if !v.down {
            return;
        }
        v.down = false;
        if let Some(m) = self.cluster.meter_mut() {
            m.set_down(node.index(), false);
        }
        if !v.detected {
            self.detect(node);
        }
        // A node switched off (or whose boot a crash aborted) stays unschedulable until booted.
        self.cluster.set_schedulable(node, self.power_on(node));
        self.power_touch(node);
        self.capacity_freed = true;
        let waiting = std::mem::take(&mut self.nodes[node.index()].waiting_services);
        for handle in waiting {
            self.restart_pinned(handle, node);
        }
        if self.local_dispatch {
            self.drain_local_queue(node);
            if self.arch.is_some() {
                self.serve(node);
            }
        }
    }

    /// The tasks running on `node`, in running-list order.
    fn running_on(&self, node: NodeId) -> Vec<u32> {
        self.running
            .positions_on(node)
            .into_iter()
            .map(|p| self.running[p].handle)
            .collect()
    }

    /// A running attempt's node died: it makes no progress from now on.
    fn stall(&mut self, handle: u32) {
        let now = self.now;
        let rec = self.tasks.get_mut(handle);
        if let Phase::Running {
            stalled_at: s @ None,
            ..
        } = &mut rec.phase
        {
            *s = Some(now);
            let (kind, job) = (rec.spec.kind, rec.spec.job.0);
            self.tasks.bump_generation(handle); // its exit can no longer be reported
            if kind == TaskKind::Service {
                self.services.replica_down(job, now);
            }
        }
    }

    /// The scheduler learns that `node` is dead: it stops placing work there, and every attempt on it
    /// (including those placed since the crash) is failed over.
    pub(super) fn detect(&mut self, node: NodeId) {
        self.nodes[node.index()].detected = true;
        self.cluster.set_schedulable(node, false);
        self.commands.push(Command::NodeMarkedDown { node });
        for handle in self.running_on(node) {
            let crash_time = match self.tasks.get(handle).phase {
                Phase::Running { stalled_at, .. } => stalled_at.unwrap_or(self.now),
                _ => self.now,
            };
            let (_, start, computed) = self.stop_running(handle, Outcome::Interrupted);
            self.attempt_died(handle, node, start, computed, crash_time, SimDuration::ZERO);
        }
        // Tasks waiting in the dead node's local queue go back to the scheduler, attempts unchanged.
        let queued: Vec<u32> = self.local_queues[node.index()].drain(..).collect();
        self.cluster.set_queued(node, 0);
        for handle in queued.into_iter().rev() {
            self.enqueue(handle, Position::Head);
        }
        if self.local_dispatch && self.arch.is_some() {
            self.worker_lost(node);
        }
    }

    /// A task's attempt failed on its own: its resources are freed now; the failover policy acts
    /// after `notice` (the health-check interval).
    pub(super) fn on_task_fail(&mut self, handle: u32, notice: SimDuration) {
        let (node, start, computed) = self.stop_running(handle, Outcome::Interrupted);
        self.after_release(node);
        self.attempt_died(handle, node, start, computed, self.now, notice);
    }

    /// Bookkeeping for a dead attempt; then the failover decision, now or after `notice`.
    fn attempt_died(
        &mut self,
        handle: u32,
        node: NodeId,
        started: SimTime,
        computed: SimDuration,
        failed_at: SimTime,
        notice: SimDuration,
    ) {
        let speed = self.cluster.node(node).speed;
        let rec = self.tasks.get_mut(handle);
        rec.failed_at = Some(failed_at);
        rec.last_node = Some(node);
        let (kind, cpu) = (rec.spec.kind, rec.spec.demand.cpu_cores());
        // Work secured by checkpoints survives; the rest of the attempt's compute is thrown away
        // (checkpoint writing is overhead, not waste).
        let secured = self.config.failover.secured(kind, computed, speed);
        rec.saved = rec.saved + secured.work;
        if kind == TaskKind::Batch {
            self.metrics
                .on_waste(cpu, started + secured.wall, started + computed);
        }
        let Some(task) = self.member_gone(handle) else {
            return; // another replica of the task carries on
        };
        if notice.0 == 0 {
            self.apply_failover(task);
        } else {
            self.commands.push(Command::SetTimer {
                at: self.now + notice,
                timer: Timer::Failover(self.attempt_ref(task)),
            });
        }
    }

    /// A member of a task (the task itself, or one of its replica copies) stopped running for good.
    /// Replicas: that matters only when no member of the task is left running. Returns the handle
    /// that stands for the task when none is (the primary, now idle), or `None` when another member
    /// carries on (a copy's record is freed; a primary whose copies run is marked dead).
    pub(super) fn member_gone(&mut self, handle: u32) -> Option<u32> {
        let rec = self.tasks.get_mut(handle);
        rec.phase = Phase::Idle;
        match (rec.copy_of, rec.copies.is_empty()) {
            (Some(p), _) => {
                self.tasks.discard(handle);
                let primary = self.tasks.get_mut(p);
                primary.copies.retain(|&c| c != handle);
                if !primary.copies.is_empty() || primary.phase != Phase::Dead {
                    return None;
                }
                primary.phase = Phase::Idle;
                Some(p)
            }
            (None, false) => {
                rec.phase = Phase::Dead;
                None
            }
            (None, true) => Some(handle),
        }
    }

    /// Carries out the failover policy for a task whose last attempt died.
    pub(super) fn apply_failover(&mut self, handle: u32) {
        let rec = self.tasks.get(handle);
        let (kind, attempt, saved) = (rec.spec.kind, rec.attempt, rec.saved);
        let node = rec.last_node;
        if kind == TaskKind::Service && self.config.pin_services {
            if let Some(node) = node {
                self.tasks.get_mut(handle).attempt += 1;
                self.metrics.on_restart(self.now);
                if !self.nodes[node.index()].down {
                    self.restart_pinned(handle, node);
                } else {
                    self.tasks.get_mut(handle).phase = Phase::WaitingForNode(node);
                    self.nodes[node.index()].waiting_services.push(handle);
                }
                return;
            }
        }
        match self
            .config
            .failover
            .on_failure(attempt, SimDuration::ZERO, 1.0, saved)
        {
            Action::Lose => {
                self.metrics.lost += 1;
                self.fail_for_good(handle)
            }
            Action::Requeue {
                delay,
                position,
                saved,
            } => {
                let rec = self.tasks.get_mut(handle);
                rec.attempt += 1;
                rec.saved = saved;
                self.metrics.on_restart(self.now);
                if delay.0 == 0 {
                    self.enqueue(handle, position);
                } else {
                    self.commands.push(Command::SetTimer {
                        at: self.now + delay,
                        timer: Timer::Requeue {
                            task: self.attempt_ref(handle),
                            head: position == Position::Head,
                        },
                    });
                }
            }
        }
    }

    /// A pinned service replica restarts on its own node (back to the queue if it no longer fits).
    fn restart_pinned(&mut self, handle: u32, node: NodeId) {
        let demand = self.tasks.get(handle).spec.demand;
        if let Ok(gpus) = self.cluster.allocate(node, &demand) {
            self.start(handle, node, gpus);
        } else {
            self.enqueue(handle, Position::Head);
        }
    }
}

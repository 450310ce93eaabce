//! Decision points: the scheduler's queue, one call of the scheduler over it, and carrying out its
//! decisions (starts, local-queue dispatch, preemptions).

use crate::failover::{Position, Secured};
use crate::ids::NodeId;
use crate::metrics::Outcome;
use crate::sched::preempt::PreemptMode;
use crate::sched::{DispatchMode, PendingTask, Session};
use crate::time::{SimDuration, SimTime};
use crate::workload::TaskKind;

use super::tasks::Phase;
use super::ControlPlane;

impl ControlPlane {
    /// Puts a live task in the scheduler's queue.
    pub(super) fn enqueue(&mut self, handle: u32, position: Position) {
        let rec = self.tasks.get_mut(handle);
        rec.phase = Phase::Pending;
        let spec = &rec.spec;
        let entry = PendingTask {
            handle,
            id: spec.id,
            arrival: spec.arrival,
            demand: spec.demand,
            estimate: spec.estimated_duration(),
            priority: spec.priority,
            user: spec.user,
            deadline: spec.deadline,
            attempt: rec.attempt - 1,
        };
        if self.arch.is_some() {
            self.arch_enqueue(entry, position);
            return;
        }
        match position {
            Position::Tail => self.pending.push_back(entry),
            Position::Head => {
                self.pending.push_front(entry);
                // The queue shifted: the scheduler must look at every entry again.
                self.capacity_freed = true;
                self.first_new += 1;
            }
        }
    }

    /// Input: a decision point (the driver calls it once every input of an instant is in). A
    /// decision that preempts puts its victims back in the queue, where they are new work for
    /// another decision at the same instant: other nodes may have room for them now.
    /// This ends: a victim can only preempt tasks of strictly lower priority than its own, so the
    /// highest victim priority falls with every round.
    pub fn decide(&mut self) {
        if self.arch.is_some() {
            self.arch_decide();
        } else {
            while self.decide_once() {}
        }
        if self.power.is_some() {
            self.power_step();
        }
        if self.config.check_invariants || cfg!(debug_assertions) {
            self.cluster.assert_within_capacity();
        }
    }

    /// One call of the scheduler, if anything changed; returns whether it preempted anything.
    fn decide_once(&mut self) -> bool {
        let has_new = self.first_new < self.pending.len();
        if !(has_new || (self.capacity_freed && !self.pending.is_empty())) {
            return false;
        }
        self.scheduler_calls += 1;
        let buffers = std::mem::take(&mut self.scratch.decisions);
        let mut session = Session::new(
            self.now,
            self.config.mode,
            &mut self.cluster,
            self.pending.as_slice(),
            &self.running,
            self.first_new,
            self.capacity_freed,
        )
        .with_demand_classes(self.pending.classes())
        .reusing(buffers);
        self.scheduler.schedule(&mut session);
        let mut decisions = session.into_decisions();
        self.capacity_freed = false;
        let mut stopped = Vec::new();
        if !decisions.preempted.is_empty() {
            decisions.preempted.sort_unstable_by(|a, b| b.cmp(a));
            let victims: Vec<u32> = decisions
                .preempted
                .iter()
                .map(|&i| self.running[i].handle)
                .collect();
            stopped = victims
                .iter()
                .map(|&handle| (handle, self.stop_running(handle, Outcome::Preempted)))
                .collect();
        }
        // Scratch buffers kept across decisions: a decision allocates nothing of its own.
        let mut starts = std::mem::take(&mut self.scratch.starts);
        starts.clear();
        for (&(index, node), &gpus) in decisions.assigned.iter().zip(&decisions.gpus) {
            let entry = &self.pending.as_slice()[index];
            // Queue entries and live records correspond one to one (see `Phase::Pending`); a
            // mismatch here would start another task in a reused slot.
            assert!(
                self.tasks.is_live(entry.handle, entry.id)
                    && self.tasks.get(entry.handle).phase == Phase::Pending,
                "queue entry of task {} does not match a pending task",
                entry.id.0
            );
            starts.push((entry.handle, node, gpus));
        }
        if !starts.is_empty() {
            self.pending
                .remove_all(decisions.assigned.iter().map(|&(index, _)| index));
        }
        self.scratch.decisions = decisions;
        // Everything queued from here on is new to the next decision, the victims included.
        self.first_new = self.pending.len();
        for &(handle, (node, start, computed)) in &stopped {
            self.requeue_preempted(handle, node, start, computed);
        }
        for &(handle, node, gpus) in &starts {
            match self.config.mode {
                DispatchMode::Central => self.start(handle, node, gpus),
                DispatchMode::Immediate => {
                    self.local_queues[node.index()].push_back(handle);
                    self.tasks.get_mut(handle).phase = Phase::Queued(node);
                    self.drain_local_queue(node);
                }
            }
        }
        self.scratch.starts = starts;
        !stopped.is_empty()
    }

    /// A preempted attempt: under `restart` its work is lost (but for completed checkpoints under
    /// the checkpoint policy), under `resume` it is kept; the task goes to the tail of the queue
    /// (behind the tasks of its own priority). A replica member preempted while another member of
    /// its task still runs is simply dropped, its work thrown away.
    fn requeue_preempted(
        &mut self,
        handle: u32,
        node: NodeId,
        start: SimTime,
        computed: SimDuration,
    ) {
        let speed = self.cluster.node(node).speed;
        let rec = self.tasks.get(handle);
        let (kind, cpu) = (rec.spec.kind, rec.spec.demand.cpu_cores());
        let others_run = rec.copy_of.is_some() || !rec.copies.is_empty();
        let policy = &self.config.failover;
        let kept = match self.config.preempt {
            _ if others_run || kind != TaskKind::Batch => Secured::default(),
            PreemptMode::Restart => policy.secured(kind, computed, speed),
            PreemptMode::Resume => Secured {
                wall: computed,
                work: policy.work_done(computed, speed),
            },
        };
        if kind == TaskKind::Batch {
            self.metrics
                .on_waste(cpu, start + kept.wall, start + computed);
        }
        let rec = self.tasks.get_mut(handle);
        rec.saved = (rec.saved + kept.work).min(rec.spec.duration);
        rec.last_node = Some(node);
        if let Some(task) = self.member_gone(handle) {
            self.tasks.get_mut(task).attempt += 1;
            self.metrics.on_restart(self.now);
            self.enqueue(task, Position::Tail);
        }
    }
}

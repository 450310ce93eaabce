//! The discrete-event engine: virtual time in integer microseconds, a future-event list ordered by
//! (time, sequence), and the loop that feeds arrivals and completions to the cluster and asks the
//! scheduler to decide. The engine knows nothing of what a scheduler does; it applies the decisions.
//!
//! Decision points: after all events of one instant are handled, if anything changed (a task queued,
//! capacity freed), the scheduler is called once with the whole pending queue.

mod queue;
mod tasks;

pub use queue::EventQueue;

use std::collections::VecDeque;

use crate::cluster::Cluster;
use crate::ids::NodeId;
use crate::metrics::{Collector, EndCounts, Outcome, Summary, TaskRow};
use crate::sched::{DispatchMode, PendingTask, RunningTask, Scheduler, Session};
use crate::time::{SimDuration, SimTime};
use crate::workload::{TaskKind, TaskSpec, WorkloadError, WorkloadSource};
use tasks::{Phase, TaskTable};

/// Settings of one simulation run.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Stop at this time (tasks still running are reported as such); `None` runs until the workload is
    /// exhausted and every task has ended.
    pub horizon: Option<SimTime>,
    /// Statistics ignore tasks that arrive before this.
    pub warmup: SimTime,
    /// How tasks reach nodes.
    pub mode: DispatchMode,
    /// Time-series sampling interval, if any.
    pub sample_interval: Option<SimDuration>,
    /// Check that no allocation exceeds capacity after every decision (always on in debug builds).
    pub check_invariants: bool,
}

/// What a finished run produced.
pub struct RunOutput {
    /// The metric columns of `summary.csv` (wall-clock columns zero; the caller fills them).
    pub summary: Summary,
    /// The collector, for quantiles and time series.
    pub metrics: Collector,
}

#[derive(Debug, Clone, Copy)]
enum Event {
    /// The buffered next task of the workload arrives.
    Arrival,
    /// A running task's attempt ends, if its generation still matches.
    Finish { handle: u32, generation: u32 },
    /// Take a time-series sample.
    Sample,
}

/// One simulation run.
pub struct Simulation<'a> {
    config: EngineConfig,
    now: SimTime,
    events: EventQueue<Event>,
    cluster: Cluster,
    scheduler: Box<dyn Scheduler>,
    workload: Box<dyn WorkloadSource>,
    next_task: Option<TaskSpec>,
    workload_done: bool,
    tasks: TaskTable,
    pending: Vec<PendingTask>,
    first_new: usize,
    capacity_freed: bool,
    running: Vec<RunningTask>,
    local_queues: Vec<VecDeque<u32>>,
    finite_running: u64,
    metrics: Collector,
    event_count: u64,
    sink: Option<&'a mut dyn FnMut(&TaskRow)>,
}

impl<'a> Simulation<'a> {
    /// Prepares a run; `sink` receives one row per task attempt when given.
    pub fn new(
        config: EngineConfig,
        cluster: Cluster,
        scheduler: Box<dyn Scheduler>,
        workload: Box<dyn WorkloadSource>,
        sink: Option<&'a mut dyn FnMut(&TaskRow)>,
    ) -> Simulation<'a> {
        let n = cluster.len();
        let metrics = Collector::new(n, config.warmup);
        Simulation {
            config,
            now: SimTime::ZERO,
            events: EventQueue::new(),
            cluster,
            scheduler,
            workload,
            next_task: None,
            workload_done: false,
            tasks: TaskTable::default(),
            pending: Vec::new(),
            first_new: 0,
            capacity_freed: false,
            running: Vec::new(),
            local_queues: vec![VecDeque::new(); n],
            finite_running: 0,
            metrics,
            event_count: 0,
            sink,
        }
    }

    /// Runs to the horizon or until nothing is left to happen.
    pub fn run(mut self) -> Result<RunOutput, WorkloadError> {
        self.pull_next_task()?;
        if let Some(dt) = self.config.sample_interval.filter(|d| d.0 > 0) {
            self.events.push(SimTime::ZERO + dt, Event::Sample);
        }
        let horizon = self.config.horizon.unwrap_or(SimTime::MAX);
        let mut end = None;
        while let Some(t) = self.events.peek_time() {
            if t > horizon {
                end = Some(horizon);
                break;
            }
            if self.nothing_left() {
                break;
            }
            let (t, event) = self.events.pop().expect("peeked");
            assert!(
                t >= self.now,
                "time went backwards: {} after {}",
                t,
                self.now
            );
            self.now = t;
            self.event_count += 1;
            self.handle(event)?;
            if self.events.peek_time() != Some(t) {
                self.decide();
            }
        }
        let end = end.unwrap_or(self.now);
        Ok(self.finish(end))
    }

    fn nothing_left(&self) -> bool {
        self.workload_done
            && self.pending.is_empty()
            && self.finite_running == 0
            && self.local_queued() == 0
    }

    fn local_queued(&self) -> usize {
        self.local_queues.iter().map(VecDeque::len).sum()
    }

    fn handle(&mut self, event: Event) -> Result<(), WorkloadError> {
        match event {
            Event::Arrival => self.on_arrival()?,
            Event::Finish { handle, generation } => self.on_finish(handle, generation),
            Event::Sample => self.on_sample(),
        }
        Ok(())
    }

    fn pull_next_task(&mut self) -> Result<(), WorkloadError> {
        match self.workload.next_task()? {
            Some(task) => {
                if task.arrival < self.now {
                    return Err(WorkloadError::Invalid(format!(
                        "task {} arrives at {} but the workload had already reached {}: arrivals must not go back in time",
                        task.id.0, task.arrival, self.now
                    )));
                }
                self.events.push(task.arrival, Event::Arrival);
                self.next_task = Some(task);
            }
            None => self.workload_done = true,
        }
        Ok(())
    }

    fn on_arrival(&mut self) -> Result<(), WorkloadError> {
        let spec = self
            .next_task
            .take()
            .expect("an arrival event always has a buffered task");
        self.metrics.on_submit(spec.arrival);
        if !self.cluster.fits_any_capacity(&spec.demand) {
            self.metrics.unschedulable += 1;
            self.emit(&spec, 1, None, None, Outcome::Unschedulable);
        } else {
            let handle = self.tasks.insert(spec);
            self.enqueue(handle);
        }
        self.pull_next_task()
    }

    fn enqueue(&mut self, handle: u32) {
        let rec = self.tasks.get(handle);
        let spec = &rec.spec;
        self.pending.push(PendingTask {
            handle,
            id: spec.id,
            arrival: spec.arrival,
            demand: spec.demand,
            estimate: spec.estimated_duration(),
            priority: spec.priority,
            user: spec.user,
            deadline: spec.deadline,
            attempt: rec.attempt - 1,
        });
    }

    fn decide(&mut self) {
        let has_new = self.first_new < self.pending.len();
        if !(has_new || (self.capacity_freed && !self.pending.is_empty())) {
            return;
        }
        let mut session = Session::new(
            self.now,
            self.config.mode,
            &mut self.cluster,
            &self.pending,
            &self.running,
            self.first_new,
            self.capacity_freed,
        );
        self.scheduler.schedule(&mut session);
        let decisions = session.into_decisions();
        self.capacity_freed = false;
        let mut preempted: Vec<usize> = decisions.preempted;
        preempted.sort_unstable_by(|a, b| b.cmp(a));
        let preempted_handles: Vec<u32> =
            preempted.iter().map(|&i| self.running[i].handle).collect();
        for handle in &preempted_handles {
            self.stop_running(*handle, Outcome::Preempted);
        }
        let mut taken = vec![false; self.pending.len()];
        let mut starts = Vec::with_capacity(decisions.assigned.len());
        for (index, node) in decisions.assigned {
            taken[index] = true;
            starts.push((self.pending[index].handle, node));
        }
        let mut i = 0;
        self.pending.retain(|_| {
            i += 1;
            !taken[i - 1]
        });
        for handle in preempted_handles {
            self.tasks.get_mut(handle).attempt += 1;
            self.metrics.restarts += 1;
            self.enqueue(handle);
        }
        self.first_new = self.pending.len();
        for (handle, node) in starts {
            match self.config.mode {
                DispatchMode::Central => self.start(handle, node),
                DispatchMode::Immediate => {
                    self.local_queues[node.index()].push_back(handle);
                    self.tasks.get_mut(handle).phase = Phase::Queued(node);
                    self.drain_local_queue(node);
                }
            }
        }
        if self.config.check_invariants || cfg!(debug_assertions) {
            self.cluster.assert_within_capacity();
        }
    }

    /// Starts a task whose resources are already allocated on `node`.
    fn start(&mut self, handle: u32, node: NodeId) {
        let now = self.now;
        let speed = self.cluster.node(node).speed;
        let rec = self.tasks.get_mut(handle);
        rec.phase = Phase::Running {
            node,
            start: now,
            running_pos: self.running.len(),
        };
        let spec = &rec.spec;
        self.metrics.on_start(spec.arrival, now);
        self.running.push(RunningTask {
            handle,
            id: spec.id,
            node,
            demand: spec.demand,
            start: now,
            expected_end: now + spec.estimated_duration().scaled_by_speed(speed),
            priority: spec.priority,
            user: spec.user,
        });
        if spec.kind == TaskKind::Batch {
            let end = now + spec.duration.scaled_by_speed(speed);
            let generation = self.tasks.generation(handle);
            self.events.push(end, Event::Finish { handle, generation });
            self.finite_running += 1;
        }
    }

    /// Immediate dispatch: start tasks from the head of a node's local queue while they fit.
    fn drain_local_queue(&mut self, node: NodeId) {
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

    /// Removes a running task from its node and the running list; returns (node, start).
    fn stop_running(&mut self, handle: u32, outcome: Outcome) -> (NodeId, SimTime) {
        let rec = self.tasks.get(handle);
        let Phase::Running {
            node,
            start,
            running_pos,
        } = rec.phase
        else {
            panic!("task {} stopped while not running", rec.spec.id.0);
        };
        let (demand, kind) = (rec.spec.demand, rec.spec.kind);
        let attempt = rec.attempt;
        self.running.swap_remove(running_pos);
        if let Some(moved) = self.running.get(running_pos) {
            if let Phase::Running { running_pos: p, .. } =
                &mut self.tasks.get_mut(moved.handle).phase
            {
                *p = running_pos;
            }
        }
        if kind == TaskKind::Batch {
            self.finite_running -= 1;
        }
        self.tasks.bump_generation(handle);
        self.metrics.on_release(node, &demand, start, self.now);
        if outcome == Outcome::Preempted {
            // Session::preempt already returned the resources to the cluster.
            self.metrics.wasted_cpu_s += demand.cpu_cores() * self.now.since(start).as_secs_f64();
        } else {
            self.cluster.release(node, &demand);
        }
        let spec = self.tasks.get(handle).spec.clone();
        self.emit(&spec, attempt, Some(node), Some(start), outcome);
        self.tasks.get_mut(handle).phase = Phase::Pending;
        (node, start)
    }

    fn on_finish(&mut self, handle: u32, generation: u32) {
        if !self.tasks.is_current(handle, generation) {
            return; // stale: the attempt was preempted or killed
        }
        let (node, start) = self.stop_running(handle, Outcome::Completed);
        let rec = self.tasks.remove(handle);
        self.metrics
            .on_complete(rec.spec.arrival, self.now.since(start), self.now);
        self.capacity_freed = true;
        if self.config.mode == DispatchMode::Immediate {
            self.drain_local_queue(node);
        }
    }

    fn on_sample(&mut self) {
        let queued = (self.pending.len() + self.local_queued()) as u64;
        self.metrics
            .sample(self.now, &self.cluster, queued, self.running.len() as u64);
        if let Some(dt) = self.config.sample_interval {
            self.events.push(self.now + dt, Event::Sample);
        }
    }

    fn emit(
        &mut self,
        spec: &TaskSpec,
        attempt: u32,
        node: Option<NodeId>,
        start: Option<SimTime>,
        outcome: Outcome,
    ) {
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
                end,
                outcome,
                demand: spec.demand,
                duration: spec.duration,
                priority: spec.priority,
            });
        }
    }

    fn finish(mut self, end: SimTime) -> RunOutput {
        self.now = end;
        let running: Vec<RunningTask> = std::mem::take(&mut self.running);
        for r in &running {
            self.metrics.on_release(r.node, &r.demand, r.start, end);
            let spec = self.tasks.get(r.handle).spec.clone();
            let attempt = self.tasks.get(r.handle).attempt;
            self.emit(
                &spec,
                attempt,
                Some(r.node),
                Some(r.start),
                Outcome::Running,
            );
        }
        let mut waiting: Vec<u32> = self.pending.iter().map(|p| p.handle).collect();
        waiting.extend(self.local_queues.iter().flatten().copied());
        for &h in &waiting {
            let spec = self.tasks.get(h).spec.clone();
            let attempt = self.tasks.get(h).attempt;
            self.emit(&spec, attempt, None, None, Outcome::Pending);
        }
        let counts = EndCounts {
            running: running.len() as u64,
            pending: waiting.len() as u64,
            events: self.event_count,
        };
        let summary = self.metrics.finish(&self.cluster, end, counts);
        let ended = summary.tasks_completed + summary.tasks_failed + summary.tasks_unschedulable;
        assert_eq!(
            summary.tasks_submitted,
            ended + counts.running + counts.pending,
            "conservation violated: every submitted task must end exactly once or still be running or waiting"
        );
        RunOutput {
            summary,
            metrics: self.metrics,
        }
    }
}

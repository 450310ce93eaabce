//! The discrete-event engine: virtual time in integer microseconds, a future-event list ordered by
//! (time, sequence), and the loop that feeds arrivals, completions and faults to the cluster and asks
//! the scheduler to decide. The engine knows nothing of what a scheduler or failover policy does; it
//! applies their decisions.
//!
//! Decision points: after all events of one instant are handled, if anything changed (a task queued,
//! capacity freed), the scheduler is called once with the whole pending queue.

mod deps;
mod faults;
mod lifecycle;
mod queue;
mod services;
mod tasks;

pub use queue::EventQueue;

use std::collections::VecDeque;

use crate::cluster::Cluster;
use crate::failover::{Failover, Position, Secured};
use crate::faults::{FailureProcess, FaultSpec, TaskFailures};
use crate::ids::NodeId;
use crate::metrics::{Collector, EndCounts, Outcome, Summary, TaskRow};
use crate::sched::preempt::PreemptMode;
use crate::sched::{DispatchMode, PendingTask, RunningTask, Scheduler, Session};
use crate::time::{SimDuration, SimTime};
use crate::workload::{TaskKind, TaskSpec, WorkloadError, WorkloadSource};
use services::Services;
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
    /// What fails.
    pub faults: FaultSpec,
    /// What happens to failed work.
    pub failover: Failover,
    /// The run's seed (for fault streams).
    pub seed: u64,
    /// Node up/down events recorded in a trace: (time, node index, up).
    pub node_events: Vec<(SimTime, u32, bool)>,
    /// What a preempted attempt keeps of its work.
    pub preempt: PreemptMode,
    /// The bounded slowdown's `tau`.
    pub bounded_slowdown_tau: SimDuration,
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
    /// A running attempt ends, if its generation still matches.
    Finish { handle: u32, generation: u32 },
    /// A running attempt fails on its own, if its generation still matches.
    TaskFail { handle: u32, generation: u32 },
    /// The failover decision for a failed attempt is taken (after the health-check delay).
    Failover { handle: u32, generation: u32 },
    /// A task waiting out a retry backoff re-enters the queue.
    Requeue {
        handle: u32,
        generation: u32,
        head: bool,
    },
    /// A node crashes (`cause`: its own process, a domain, or a listed crash).
    NodeCrash { node: NodeId, cause: Cause },
    /// The scheduler notices that a node is dead (if `epoch` still matches).
    NodeDetect { node: NodeId, epoch: u32 },
    /// A node is repaired.
    NodeRepair { node: NodeId, cause: Cause },
    /// A whole failure domain crashes.
    DomainCrash { domain: u32 },
    /// A whole failure domain is repaired.
    DomainRepair { domain: u32 },
    /// A trace says a node left (`up` false) or (re)joined the cluster.
    TraceNode { node: NodeId, up: bool },
    /// Take a time-series sample.
    Sample,
}

/// Why a node went down (each cause is repaired separately; a node is up when no cause holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    Own,
    Domain,
    Listed { repair: Option<SimDuration> },
    Trace,
}

/// Per-node fault state.
struct NodeHealth {
    down_causes: u32,
    epoch: u32,
    detected: bool,
    process: Option<FailureProcess>,
    waiting_services: Vec<u32>,
    /// Down because the trace said so.
    trace_down: bool,
}

/// A failure domain: its nodes and, when domains fail at random, its failure process.
type Domain = (Vec<NodeId>, Option<FailureProcess>);

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
    /// Live tasks that still have work to finish (everything but services and copies).
    unfinished: u64,
    health: Vec<NodeHealth>,
    domains: Vec<Domain>,
    task_failures: TaskFailures,
    services: Services,
    deps: deps::Deps,
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
        let metrics = Collector::new(n, config.warmup, config.bounded_slowdown_tau);
        let (health, domains) = faults::build_health(&config, &cluster);
        let task_failures = TaskFailures::new(&config.faults, config.seed);
        let has_deps = workload.has_dependencies();
        Simulation {
            now: SimTime::ZERO,
            events: EventQueue::new(),
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
            unfinished: 0,
            health,
            domains,
            task_failures,
            services: Services::default(),
            deps: deps::Deps::new(has_deps),
            metrics,
            event_count: 0,
            sink,
            cluster,
            config,
        }
    }

    /// Runs to the horizon or until nothing is left to happen.
    pub fn run(mut self) -> Result<RunOutput, WorkloadError> {
        self.pull_next_task()?;
        if let Some(dt) = self.config.sample_interval.filter(|d| d.0 > 0) {
            self.events.push(SimTime::ZERO + dt, Event::Sample);
        }
        self.schedule_initial_faults();
        let horizon = self.config.horizon.unwrap_or(SimTime::MAX);
        let mut end = None;
        while let Some(t) = self.events.peek_time() {
            if t > horizon {
                end = Some(horizon);
                break;
            }
            if self.nothing_left() || self.only_samples_without_horizon() {
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

    /// Nothing but samples and faults can happen: no task will ever arrive, finish or start again.
    fn nothing_left(&self) -> bool {
        self.workload_done && self.unfinished == 0 && self.services.count() == 0
    }

    /// Without a horizon, a lone pending sample means nothing else can ever happen (tasks left are
    /// stuck, e.g. on permanently lost nodes): sampling on would never end.
    fn only_samples_without_horizon(&self) -> bool {
        self.config.horizon.is_none()
            && self.config.sample_interval.is_some()
            && self.events.len() == 1
    }

    fn handle(&mut self, event: Event) -> Result<(), WorkloadError> {
        match event {
            Event::Arrival => self.on_arrival()?,
            Event::Finish { handle, generation } => {
                if self.tasks.is_current(handle, generation) {
                    self.on_finish(handle)
                }
            }
            Event::TaskFail { handle, generation } => {
                if self.tasks.is_current(handle, generation) {
                    self.on_task_fail(handle)
                }
            }
            Event::Failover { handle, generation } => {
                if self.tasks.is_current(handle, generation) {
                    self.apply_failover(handle)
                }
            }
            Event::Requeue {
                handle,
                generation,
                head,
            } => {
                if self.tasks.is_current(handle, generation) {
                    self.enqueue(handle, if head { Position::Head } else { Position::Tail })
                }
            }
            Event::NodeCrash { node, cause } => self.on_node_crash(node, cause),
            Event::NodeDetect { node, epoch } => self.on_node_detect(node, epoch),
            Event::NodeRepair { node, cause } => self.on_node_repair(node, cause),
            Event::DomainCrash { domain } => self.on_domain_crash(domain),
            Event::DomainRepair { domain } => self.on_domain_repair(domain),
            Event::TraceNode { node, up } => self.on_trace_node(node, up),
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
            None => {
                self.workload_done = true;
                // Services keep the cluster busy until the horizon; otherwise measuring past the
                // last arrival would only average the drain (see `metrics`).
                if self.services.count() == 0 {
                    self.metrics.close_window(self.now);
                }
            }
        }
        Ok(())
    }

    fn on_arrival(&mut self) -> Result<(), WorkloadError> {
        let spec = self
            .next_task
            .take()
            .expect("an arrival event always has a buffered task");
        self.metrics
            .on_submit(spec.arrival, spec.observed.as_ref().and_then(|o| o.wait));
        if !self.cluster.fits_any_capacity(&spec.demand) {
            self.metrics.unschedulable += 1;
            self.emit(&spec, 1, None, None, None, Outcome::Unschedulable);
            self.dependency_failed(spec.id);
        } else {
            if spec.kind == TaskKind::Service {
                self.services.register(spec.job.0);
            } else {
                self.unfinished += 1;
            }
            let handle = self.tasks.insert(spec);
            self.admit(handle);
        }
        self.pull_next_task()
    }

    /// Puts a live task in the scheduler's queue.
    fn enqueue(&mut self, handle: u32, position: Position) {
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
        match position {
            Position::Tail => self.pending.push(entry),
            Position::Head => {
                self.pending.insert(0, entry);
                // The queue shifted: the scheduler must look at every entry again.
                self.capacity_freed = true;
                self.first_new += 1;
            }
        }
    }

    /// A decision point. A decision that preempts puts its victims back in the queue, where they are
    /// new work for another decision at the same instant: other nodes may have room for them now.
    /// This ends: a victim can only preempt tasks of strictly lower priority than its own, so the
    /// highest victim priority falls with every round.
    fn decide(&mut self) {
        while self.decide_once() {}
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
        let victims: Vec<u32> = preempted.iter().map(|&i| self.running[i].handle).collect();
        let stopped: Vec<_> = victims
            .iter()
            .map(|&handle| (handle, self.stop_running(handle, Outcome::Preempted)))
            .collect();
        let mut taken = vec![false; self.pending.len()];
        let mut starts = Vec::with_capacity(decisions.assigned.len());
        for (index, node) in decisions.assigned {
            taken[index] = true;
            let entry = &self.pending[index];
            // Queue entries and live records correspond one to one (see `Phase::Pending`); a
            // mismatch here would start another task in a reused slot.
            assert!(
                self.tasks.is_live(entry.handle, entry.id)
                    && self.tasks.get(entry.handle).phase == Phase::Pending,
                "queue entry of task {} does not match a pending task",
                entry.id.0
            );
            starts.push((entry.handle, node));
        }
        let mut i = 0;
        self.pending.retain(|_| {
            i += 1;
            !taken[i - 1]
        });
        // Everything queued from here on is new to the next decision, the victims included.
        self.first_new = self.pending.len();
        for &(handle, (node, start, computed)) in &stopped {
            self.requeue_preempted(handle, node, start, computed);
        }
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
        let policy = &self.config.failover.policy;
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

    fn on_sample(&mut self) {
        let local: usize = self.local_queues.iter().map(VecDeque::len).sum();
        let queued = (self.pending.len() + local) as u64;
        self.metrics
            .sample(self.now, &self.cluster, queued, self.running.len() as u64);
        if let Some(dt) = self.config.sample_interval {
            self.events.push(self.now + dt, Event::Sample);
        }
    }

    fn finish(mut self, end: SimTime) -> RunOutput {
        self.now = end;
        let (mut running, mut waiting) = (0u64, 0u64);
        for h in self.tasks.handles() {
            let rec = self.tasks.get(h).clone();
            if let Phase::Running { node, start, .. } = rec.phase {
                self.metrics.on_release(node, &rec.spec.demand, start, end);
            }
            if rec.copy_of.is_some() {
                self.emit_record(h, Outcome::Cancelled);
                continue;
            }
            match rec.phase {
                Phase::Running { .. } => running += 1,
                Phase::Dead => running += 1, // its copies are still running
                _ => waiting += 1,
            }
            let outcome = if matches!(rec.phase, Phase::Running { .. } | Phase::Dead) {
                Outcome::Running
            } else {
                Outcome::Pending
            };
            self.emit_record(h, outcome);
        }
        let (window_start, window_end) = self.metrics.window(end);
        self.services.close(window_end, window_start);
        let counts = EndCounts {
            running,
            pending: waiting,
            events: self.event_count,
        };
        let mut summary = self.metrics.finish(&self.cluster, end, counts);
        summary.availability = self.services.availability(window_end, window_start);
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

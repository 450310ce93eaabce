//! The sans-IO control plane: everything that decides what a cluster does with its work, and knows
//! no clock and does no I/O. It owns the task table (attempts and generations), the scheduler's
//! queue and the nodes' local queues, the cluster view with its allocations, the scheduler
//! invocation, the failover mechanics (requeue, backoff timers, checkpoints, replica copies with
//! first-copy-wins, pinned services), dependencies, service availability and the metrics hooks.
//!
//! Two drivers feed it the same inputs and carry out the same [`Command`]s:
//! - the discrete-event engine ([`crate::engine`]): a future-event list of simulated time plus the
//!   workload and fault generators;
//! - the real-Docker runner ([`crate::runner::drive`]): the wall clock, container events and
//!   health probes.
//!
//! **Inputs** (methods): [`ControlPlane::advance`] (time is now t), [`ControlPlane::submit`] (a
//! task arrived), [`ControlPlane::attempt_exited`] (an attempt completed or failed),
//! [`ControlPlane::attempt_began`] (an attempt began making progress, after its start latency),
//! [`ControlPlane::health_failed`] (a health check gave up on a running attempt),
//! [`ControlPlane::node_down`] / [`ControlPlane::node_up`] (what really happened to a node),
//! [`ControlPlane::timer_fired`], and [`ControlPlane::decide`] (a decision point: the driver calls it
//! once all inputs of an instant are in).
//!
//! **Outputs**: after every input the driver takes the [`Command`]s it produced, in order, with
//! [`ControlPlane::take_commands`], and carries them out: start an attempt, kill one, set a timer,
//! note a node the control plane now considers down, record a task row.
//!
//! What the control plane knows of a node is split in two on purpose: `node_down` is the truth (a
//! crash, used for accounting: the attempts on it stop making progress), while the scheduler keeps
//! placing work on the node until the detection delay has passed ([`Timer::Detect`]), exactly as a
//! heartbeat-based orchestrator would.

pub mod arch;
mod decide;
mod deps;
mod lifecycle;
mod live;
mod mechanics;
pub mod pending;
pub mod power;
mod rows;
mod services;
mod tasks;
mod timers;

use std::collections::VecDeque;
use std::sync::Arc;

use crate::cluster::Cluster;
use crate::failover::{FailoverPolicy, Position};
use crate::ids::{NodeId, TaskId};
use crate::metrics::{Collector, EndCounts, Outcome, Summary, TaskRow};
use crate::sched::preempt::PreemptMode;
use crate::sched::{Decisions, DispatchMode, RunningList, Scheduler};
use crate::time::{SimDuration, SimTime};
use crate::workload::{TaskKind, TaskSpec};
use services::Services;
use tasks::{Phase, TaskTable};

pub use live::LiveError;
pub use tasks::AttemptView;
pub use timers::TimerQueue;

/// Task slots from which prefetching a finishing task's record is worth its instructions: 4,096
/// records of about 300 bytes are 1.2 MB, more than a core's L2 cache on this project's machines
/// (1 MiB per core on the AMD EPYC guest); below it the records mostly stay cached between a
/// task's start and its end.
const PREFETCH_FROM_SLOTS: usize = 4096;

/// The control plane's settings (what of a scenario it needs; no parsing here).
#[derive(Debug, Clone)]
pub struct ControlConfig {
    /// Statistics ignore tasks that arrive before this.
    pub warmup: SimTime,
    /// How tasks reach nodes.
    pub mode: DispatchMode,
    /// Check that no allocation exceeds capacity after every decision (always on in debug builds).
    pub check_invariants: bool,
    /// The failover policy.
    pub failover: Arc<dyn FailoverPolicy>,
    /// Service replicas wait for their own node instead of being requeued.
    pub pin_services: bool,
    /// Time from a node's crash until the scheduler notices it.
    pub detection: SimDuration,
    /// Time from a task's own failure until the failover policy acts on it.
    pub health_check: SimDuration,
    /// What a preempted attempt keeps of its work.
    pub preempt: PreemptMode,
    /// The bounded slowdown's `tau`.
    pub bounded_slowdown_tau: SimDuration,
    /// Whether to produce [`Command::Record`] rows (tasks.csv).
    pub record_rows: bool,
}

/// An attempt as the driver knows it: a slot of the task table and its generation. Inputs tagged
/// with an attempt whose generation has moved on (it was stopped, or the slot reused) are stale and
/// ignored, which is how a driver never needs to cancel anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttemptRef {
    /// The task's slot.
    pub handle: u32,
    /// The slot's generation when the attempt started.
    pub generation: u32,
}

/// A timer the control plane asked for; the driver hands it back through
/// [`ControlPlane::timer_fired`] when it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// The failover decision for a failed attempt (after the health-check delay).
    Failover(AttemptRef),
    /// A task waiting out a retry backoff re-enters the queue.
    Requeue {
        /// The task.
        task: AttemptRef,
        /// At the head of the queue (else the tail).
        head: bool,
    },
    /// The detection delay of a node's crash has passed (if `epoch` is still the node's).
    Detect {
        /// The node.
        node: NodeId,
        /// Its crash counter when the timer was set.
        epoch: u32,
    },
    /// A task's not-before time has come: it joins the queue.
    NotBefore(AttemptRef),
    /// A timer of the scheduler architecture (decision done, offer timeout, probe, launch).
    Arch(arch::ArchTimer),
    /// A timer of the power policy (a node idle long enough, a boot done).
    Power(power::PowerTimer),
}

/// How an attempt ended, as its driver saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It did all its work (exit status 0).
    Completed,
    /// It failed on its own (a non-zero exit status, a task failure).
    Failed,
}

/// What the control plane asks its driver to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Start `attempt` on `node` (its resources are allocated). `run_for` is the wall time it
    /// needs at the node's speed, checkpoint pauses included; `None` for a service, which runs
    /// until stopped. The driver reports its end with [`ControlPlane::attempt_exited`].
    Start {
        /// The attempt.
        attempt: AttemptRef,
        /// The task's id.
        task: TaskId,
        /// The attempt's number (from 1).
        number: u32,
        /// Where.
        node: NodeId,
        /// How long it runs, if it ends by itself.
        run_for: Option<SimDuration>,
    },
    /// Stop a running attempt (preempted, a redundant replica copy, or found unhealthy); its
    /// resources are already released in the control plane's view.
    Kill {
        /// The attempt (its generation is the one it ran under).
        attempt: AttemptRef,
        /// Where it runs.
        node: NodeId,
    },
    /// Call [`ControlPlane::timer_fired`] with `timer` at time `at`.
    SetTimer {
        /// When.
        at: SimTime,
        /// What.
        timer: Timer,
    },
    /// The control plane now considers `node` down (the detection delay has passed): it no longer
    /// places work there.
    NodeMarkedDown {
        /// The node.
        node: NodeId,
    },
    /// One row of tasks.csv (only with [`ControlConfig::record_rows`]).
    Record(Box<TaskRow>),
}

/// What the control plane knows of a node.
#[derive(Debug, Clone, Default)]
struct NodeView {
    /// Crashed (the truth, from [`ControlPlane::node_down`]).
    down: bool,
    /// Crash counter, so a stale detection timer is ignored.
    epoch: u32,
    /// The scheduler has noticed the current crash (true while up).
    detected: bool,
    /// Pinned service replicas waiting for this node's repair.
    waiting_services: Vec<u32>,
}

/// What a finished run produced.
pub struct RunOutput {
    /// The metric columns of `summary.csv` (wall-clock columns zero; the caller fills them).
    pub summary: Summary,
    /// The collector, for quantiles and time series.
    pub metrics: Collector,
    /// Each scheduler actor's results (empty without an architecture).
    pub schedulers: Vec<arch::SchedulerStats>,
    /// The future-event list's mean length just before each handled event is popped from it (set
    /// by the engine; 0 from drivers without one). Not a CSV column.
    pub mean_pending_events: f64,
}

/// The control plane of one run.
pub struct ControlPlane {
    config: ControlConfig,
    now: SimTime,
    cluster: Cluster,
    scheduler: Box<dyn Scheduler>,
    tasks: TaskTable,
    pending: pending::PendingQueue,
    first_new: usize,
    capacity_freed: bool,
    running: RunningList,
    local_queues: Vec<VecDeque<u32>>,
    /// Live tasks that still have work to finish (everything but services and copies).
    unfinished: u64,
    nodes: Vec<NodeView>,
    services: Services,
    deps: deps::Deps,
    metrics: Collector,
    commands: Vec<Command>,
    scratch: Scratch,
    /// How many times the scheduler was called.
    scheduler_calls: u64,
    /// The scheduler architecture, when it is not one synchronous central scheduler.
    arch: Option<Box<arch::Arch>>,
    /// Whether nodes run local queues (immediate dispatch, or decentralized scheduling).
    local_dispatch: bool,
    /// Attempts given up by their health checks.
    health_failures: u64,
    /// The power policy, when the scenario has a `[power]` table.
    power: Option<Box<power::Power>>,
}

/// What a run looks like now, for live monitoring ([`ControlPlane::live`]).
#[derive(Debug, Clone, Default)]
pub struct LiveState {
    /// The control plane's time, seconds.
    pub now_s: f64,
    /// Per node: up (no crash holds it down).
    pub nodes_up: Vec<bool>,
    /// Tasks waiting: for a scheduler, in a node's queue, or for capacity.
    pub queued: u64,
    /// Attempts holding resources.
    pub running: u64,
    /// Tasks submitted so far.
    pub submitted: u64,
    /// Tasks completed so far.
    pub completed: u64,
    /// Tasks that ended without completing so far.
    pub failed: u64,
    /// Attempts restarted after a failure so far.
    pub restarts: u64,
    /// Attempts given up by their health checks so far.
    pub health_failures: u64,
    /// Node crashes so far.
    pub node_failures: u64,
    /// Per scheduler of an architecture: time spent deciding so far, seconds.
    pub busy: Vec<(String, f64)>,
}

/// Buffers a decision reuses instead of allocating.
#[derive(Default)]
struct Scratch {
    /// The placed tasks and their nodes.
    starts: Vec<(u32, NodeId, crate::cluster::GpuSet)>,
    /// The scheduler's decision vectors.
    decisions: Decisions,
}

impl ControlPlane {
    /// A control plane over `cluster` deciding with `scheduler`; `has_dependencies` says whether
    /// tasks may name dependencies (only then is their bookkeeping paid for).
    pub fn new(
        config: ControlConfig,
        mut cluster: Cluster,
        scheduler: Box<dyn Scheduler>,
        has_dependencies: bool,
    ) -> ControlPlane {
        let n = cluster.len();
        if let Some(m) = cluster.meter_mut() {
            m.set_warmup(config.warmup);
        }
        let nodes = vec![
            NodeView {
                detected: true,
                ..NodeView::default()
            };
            n
        ];
        let by_node = scheduler.reads_running_by_node();
        ControlPlane {
            metrics: Collector::new(n, config.warmup, config.bounded_slowdown_tau),
            now: SimTime::ZERO,
            scheduler,
            tasks: TaskTable::default(),
            pending: pending::PendingQueue::default(),
            first_new: 0,
            capacity_freed: false,
            running: RunningList::new(by_node),
            local_queues: vec![VecDeque::new(); n],
            unfinished: 0,
            nodes,
            services: Services::default(),
            deps: deps::Deps::new(has_dependencies),
            commands: Vec::new(),
            scratch: Scratch::default(),
            scheduler_calls: 0,
            arch: None,
            local_dispatch: config.mode == DispatchMode::Immediate,
            health_failures: 0,
            power: None,
            cluster,
            config,
        }
    }

    /// Input: time is now `now` (never earlier than before).
    #[inline]
    pub fn advance(&mut self, now: SimTime) {
        debug_assert!(now >= self.now, "time went backwards");
        self.now = now;
        if let Some(m) = self.cluster.meter_mut() {
            m.set_clock(now);
        }
    }

    /// The control plane's time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The commands produced since the last call, in order; the driver carries them out.
    #[inline]
    pub fn take_commands(&mut self) -> std::vec::Drain<'_, Command> {
        self.commands.drain(..)
    }

    /// How many times the scheduler has been called (decision points where something changed).
    pub fn scheduler_calls(&self) -> u64 {
        self.scheduler_calls
    }

    /// Whether commands are waiting to be taken.
    #[inline]
    pub fn has_commands(&self) -> bool {
        !self.commands.is_empty()
    }

    /// The cluster view (capacities and allocations).
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// The attempt `attempt` refers to, if it is still current.
    pub fn attempt(&self, attempt: AttemptRef) -> Option<AttemptView<'_>> {
        self.tasks
            .is_current(attempt.handle, attempt.generation)
            .then(|| self.tasks.view(attempt.handle))
    }

    /// Input: a task arrived. A task no node could ever hold is rejected (unschedulable). Returns
    /// the task's slot (what [`AttemptRef::handle`] and [`ControlPlane::cancel`] name), or `None`
    /// when it was rejected.
    #[inline]
    pub fn submit(&mut self, spec: TaskSpec) -> Option<u32> {
        self.metrics
            .on_submit(spec.arrival, spec.observed.as_ref().and_then(|o| o.wait));
        if spec.demand.gpu_milli > 0 {
            self.metrics.gpu.tasks += 1;
            self.metrics.gpu.arrived_milli += spec.demand.gpu_milli;
        }
        self.cluster.note_arrival(&spec.demand);
        if !self.cluster.fits_any_capacity(&spec.demand) {
            self.metrics.unschedulable += 1;
            self.emit(&spec, 1, None, None, None, Outcome::Unschedulable);
            self.dependency_failed(spec.id);
            return None;
        }
        if spec.kind == TaskKind::Service {
            self.services.register(spec.job.0);
        } else {
            self.unfinished += 1;
        }
        let handle = self.tasks.insert(spec);
        self.admit(handle);
        Some(handle)
    }

    /// Input: the workload has no more tasks. Without services, measuring past the last arrival
    /// would only average the drain (see [`Collector::close_window`]).
    pub fn workload_exhausted(&mut self) {
        if self.services.count() == 0 {
            self.metrics.close_window(self.now);
            if let Some(m) = self.cluster.meter_mut() {
                m.close_window();
            }
            if let Some(arch) = self.arch.as_mut() {
                arch.close_window(self.now, self.config.warmup);
            }
        }
    }

    /// Whether every task has ended and no service runs: nothing will ever start again.
    #[inline]
    pub fn all_done(&self) -> bool {
        self.unfinished == 0 && self.services.count() == 0
    }

    /// Whether the live task records outgrow a core's private caches, so that prefetching a
    /// finishing task's record ([`ControlPlane::prefetch_attempt`]) can pay for its
    /// instructions. Below that (an M/M/100 run at load 0.9 holds a few hundred records) the
    /// record is in the cache anyway.
    pub fn worth_prefetching(&self) -> bool {
        self.tasks.slots() >= PREFETCH_FROM_SLOTS
    }

    /// A hint that an input about `attempt`, started on `node`, comes soon: starts loading its
    /// record and what ending it touches of the node into the cache (see [`crate::prefetch`]).
    /// Changes nothing.
    pub fn prefetch_attempt(&self, attempt: AttemptRef, node: NodeId) {
        self.tasks.prefetch(attempt.handle);
        self.cluster.prefetch_node(node);
    }

    /// Input: `attempt` exited. Stale attempts (already stopped) are ignored; returns whether it
    /// was current.
    #[inline]
    pub fn attempt_exited(&mut self, attempt: AttemptRef, exit: Exit) -> bool {
        if !self.tasks.is_current(attempt.handle, attempt.generation) {
            return false;
        }
        match exit {
            Exit::Completed => self.on_finish(attempt.handle),
            Exit::Failed => self.on_task_fail(attempt.handle, self.config.health_check),
        }
        true
    }

    /// Input: `attempt` really began making progress at `at` (its container started, or the
    /// simulated start latency passed). Until then it held its resources without doing work, so
    /// the work a stopped attempt did counts from here. Without this input, from its start.
    pub fn attempt_began(&mut self, attempt: AttemptRef, at: SimTime) {
        if !self.tasks.is_current(attempt.handle, attempt.generation) {
            return;
        }
        if let Phase::Running {
            began,
            stalled_at: None,
            ..
        } = &mut self.tasks.get_mut(attempt.handle).phase
        {
            *began = (*began).max(at);
        }
    }

    /// Input: the health checks of a running attempt gave up on it (its container still runs).
    /// The attempt is killed and failed over at once: probing already took the detection time.
    pub fn health_failed(&mut self, attempt: AttemptRef) -> bool {
        if !self.tasks.is_current(attempt.handle, attempt.generation) {
            return false;
        }
        if let Phase::Running { node, .. } = self.tasks.get(attempt.handle).phase {
            self.commands.push(Command::Kill { attempt, node });
        }
        self.health_failures += 1;
        self.on_task_fail(attempt.handle, SimDuration::ZERO);
        true
    }

    /// Input: a timer set by [`Command::SetTimer`] is due.
    #[inline]
    pub fn timer_fired(&mut self, timer: Timer) {
        match timer {
            Timer::Failover(a) => {
                if self.tasks.is_current(a.handle, a.generation) {
                    self.apply_failover(a.handle)
                }
            }
            Timer::Requeue { task, head } => {
                if self.tasks.is_current(task.handle, task.generation) {
                    let position = if head { Position::Head } else { Position::Tail };
                    self.enqueue(task.handle, position)
                }
            }
            Timer::Detect { node, epoch } => {
                let v = &self.nodes[node.index()];
                if v.epoch == epoch && !v.detected && v.down {
                    self.detect(node);
                }
            }
            Timer::NotBefore(task) => {
                if self.tasks.is_current(task.handle, task.generation)
                    && self.tasks.get(task.handle).phase == Phase::Idle
                {
                    self.enqueue(task.handle, Position::Tail)
                }
            }
            Timer::Arch(timer) => self.arch_timer(timer),
            Timer::Power(timer) => self.power_timer(timer),
        }
    }

    /// What the run looks like now (live monitoring).
    pub fn live(&self) -> LiveState {
        let local: usize = self.local_queues.iter().map(VecDeque::len).sum();
        let arch = self.arch.as_ref().map_or(0, |a| a.queued());
        let m = &self.metrics;
        LiveState {
            now_s: self.now.since(SimTime::ZERO).as_secs_f64(),
            nodes_up: self.nodes.iter().map(|n| !n.down).collect(),
            queued: (self.pending.len() + local + arch) as u64,
            running: self.running.len() as u64,
            submitted: m.submitted,
            completed: m.completed,
            failed: m.failed + m.unschedulable,
            restarts: m.restarts,
            health_failures: self.health_failures,
            node_failures: m.node_failures,
            busy: self
                .arch
                .as_ref()
                .map_or_else(Vec::new, |a| a.busy_seconds(self.now)),
        }
    }

    /// Tasks submitted so far (cheap: for progress by tasks arrived).
    pub fn tasks_submitted(&self) -> u64 {
        self.metrics.submitted
    }

    /// Input (for time series): record a sample of the cluster at the current time.
    pub fn sample(&mut self) {
        let local: usize = self.local_queues.iter().map(VecDeque::len).sum();
        let arch = self.arch.as_ref().map_or(0, |a| a.queued());
        let queued = (self.pending.len() + local + arch) as u64;
        self.metrics
            .sample(self.now, &self.cluster, queued, self.running.len() as u64);
        if let Some(on) = self.nodes_on() {
            if let Some(s) = self.metrics.samples.last_mut() {
                s.nodes_on = Some(on);
            }
        }
    }

    /// The current attempt of task slot `handle` as a driver reference.
    #[inline]
    fn attempt_ref(&self, handle: u32) -> AttemptRef {
        AttemptRef {
            handle,
            generation: self.tasks.generation(handle),
        }
    }

    /// Ends the run at `end`: tasks still running or waiting are reported as such, the statistics
    /// are closed, and conservation is checked.
    pub fn finish(mut self, end: SimTime, events: u64) -> (RunOutput, Vec<Command>) {
        self.now = end;
        if let Some(m) = self.cluster.meter_mut() {
            m.set_clock(end);
        }
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
            events,
        };
        if let Some(arch) = self.arch.as_mut() {
            arch.censor_queue_waits(end, self.config.warmup);
        }
        let schedulers = self.scheduler_stats();
        let mut summary = self.metrics.finish(&self.cluster, end, counts);
        summary.power = self.power_counts();
        summary.availability = self.services.availability(window_end, window_start);
        let ended = summary.tasks_completed + summary.tasks_failed + summary.tasks_unschedulable;
        assert_eq!(
            summary.tasks_submitted,
            ended + counts.running + counts.pending,
            "conservation violated: every submitted task must end exactly once or still be running or waiting"
        );
        let output = RunOutput {
            summary,
            metrics: self.metrics,
            schedulers,
            mean_pending_events: 0.0,
        };
        (output, self.commands)
    }

    /// The id of the task in slot `handle` (for drivers' labels).
    pub fn task_id(&self, handle: u32) -> TaskId {
        self.tasks.get(handle).spec.id
    }
}

//! The discrete-event engine: virtual time in integer microseconds, a future-event list ordered by
//! (time, sequence), the workload and fault generators, and the control plane ([`crate::control`])
//! that decides. The engine knows nothing of what a scheduler or failover policy does: it feeds the
//! control plane its inputs (arrivals, attempt ends, crashes and repairs, due timers) and carries
//! out its commands in simulated time (a started attempt's end becomes a future event, a timer
//! becomes a future event, a kill needs nothing because the attempt's generation has moved on).
//!
//! Decision points: after all events of one instant are handled, the control plane decides once
//! (if anything changed: a task queued, capacity freed).
//!
//! Container start latency: a node group's `start_delay` (see [`crate::cluster::NodeGroup`]) delays
//! each attempt started on its nodes by a sampled `d`, as creating and starting a container does;
//! the rules are on [`Simulation`].

mod faults;
mod queue;
pub mod watch;

pub use crate::control::RunOutput;
pub use queue::EventQueue;
pub use watch::{RunView, Watcher};

use std::sync::Arc;

use crate::cluster::Cluster;
use crate::control::arch::spec::ArchitectureSpec;
use crate::control::{AttemptRef, Command, ControlConfig, ControlPlane, Exit, Timer};
use crate::failover::FailoverPolicy;
use crate::faults::{FailureProcess, FaultSpec, TaskFailures};
use crate::ids::NodeId;
use crate::metrics::TaskRow;
use crate::rng::{stream, SimRng};
use crate::sched::preempt::PreemptMode;
use crate::sched::{build_scheduler, DispatchMode, Scheduler, SchedulerSpec};
use crate::time::{SimDuration, SimTime};
use crate::workload::dist::Sampler;
use crate::workload::{TaskSpec, WorkloadError, WorkloadSource};

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
    pub failover: Arc<dyn FailoverPolicy>,
    /// Service replicas wait for their own node instead of being requeued.
    pub pin_services: bool,
    /// The run's seed (for fault streams).
    pub seed: u64,
    /// Node up/down events recorded in a trace: (time, node index, up).
    pub node_events: Vec<(SimTime, u32, bool)>,
    /// What a preempted attempt keeps of its work.
    pub preempt: PreemptMode,
    /// The bounded slowdown's `tau`.
    pub bounded_slowdown_tau: SimDuration,
    /// Tasks whose first attempt turns unhealthy (the `[docker]` table's health fault, modelled
    /// so that a simulated run meets the same faults as its real twin).
    pub unhealthy: Option<crate::faults::HealthFault>,
    /// The scheduler architecture and the placement algorithm each of its actors runs (`None`:
    /// one synchronous central scheduler, as without an `[architecture]` table).
    pub architecture: Option<ArchSetup>,
    /// The power-management policy and carbon intensity (`None`: nodes stay on, no carbon).
    pub power: Option<crate::control::power::PowerPolicy>,
}

/// A scheduler architecture with the placement algorithm of the run.
#[derive(Debug, Clone)]
pub struct ArchSetup {
    /// The architecture.
    pub spec: Arc<ArchitectureSpec>,
    /// The algorithm each actor runs (one instance each).
    pub scheduler: SchedulerSpec,
}

impl EngineConfig {
    /// The control plane of a run over `cluster`: deciding with `scheduler`, or with the run's
    /// architecture when it has one (each actor with its own instance of the run's algorithm,
    /// seeded from the run's seed). `has_dependencies`: tasks may name dependencies;
    /// `record_rows`: produce tasks.csv rows.
    pub fn control_plane(
        &self,
        cluster: Cluster,
        scheduler: Box<dyn Scheduler>,
        has_dependencies: bool,
        record_rows: bool,
    ) -> ControlPlane {
        let mut cp = ControlPlane::new(
            self.control(record_rows),
            cluster,
            scheduler,
            has_dependencies,
        );
        if let Some(p) = &self.power {
            cp = cp.with_power(p.clone());
        }
        match &self.architecture {
            Some(a) if !a.spec.is_trivial() => {
                let schedulers = (0..a.spec.actors().len())
                    .map(|i| {
                        build_scheduler(&a.scheduler, stream(self.seed, &format!("scheduler-{i}")))
                    })
                    .collect();
                cp.with_architecture(a.spec.clone(), schedulers, self.seed)
            }
            _ => cp,
        }
    }

    /// The control plane's part of these settings (`record_rows`: produce tasks.csv rows).
    pub fn control(&self, record_rows: bool) -> ControlConfig {
        ControlConfig {
            warmup: self.warmup,
            mode: self.mode,
            check_invariants: self.check_invariants,
            failover: self.failover.clone(),
            pin_services: self.pin_services,
            detection: self.faults.detection,
            health_check: self.faults.health_check,
            preempt: self.preempt,
            bounded_slowdown_tau: self.bounded_slowdown_tau,
            record_rows,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Event {
    /// A running attempt ends, if it is still current. The node it was started on is kept for
    /// prefetching only (see [`crate::prefetch`]).
    Finish(AttemptRef, NodeId),
    /// A running attempt fails on its own, if it is still current (node as for `Finish`).
    TaskFail(AttemptRef, NodeId),
    /// A timer of the control plane is due.
    Timer(Timer),
    /// The health checks of a running attempt give up on it (an injected health fault).
    Unhealthy(AttemptRef),
    /// A started attempt's start latency has passed: it begins making progress.
    Began(AttemptRef),
    /// A node crashes (`cause`: its own process, a domain, or a listed crash).
    NodeCrash { node: NodeId, cause: Cause },
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
    /// The scenario's `crashes` list entry of this index (its repair delay is there; kept out of
    /// the event so that an event stays 16 bytes).
    Listed {
        crash: u32,
    },
    Trace,
}

/// Per-node fault state (the truth; what the scheduler knows is the control plane's).
struct NodeHealth {
    /// How many causes hold the node down (it is up at zero).
    down_causes: u32,
    process: Option<FailureProcess>,
    /// Down because the trace said so.
    trace_down: bool,
}

/// A failure domain: its nodes and, when domains fail at random, its failure process.
type Domain = (Vec<NodeId>, Option<FailureProcess>);

/// The per-group container start latencies of a run (semantics on [`Simulation`]): one sampler and
/// one random stream per node group that has a `start_delay`. Only built when some group has one.
struct StartDelays {
    /// Node index -> its group's sampler index in `groups`, or `None` for a group without delay.
    node_group: Vec<Option<u32>>,
    /// Per group with a delay: its sampler and its stream.
    groups: Vec<(Sampler, SimRng)>,
}

impl StartDelays {
    /// `None` when no group of `cluster` has a start delay.
    fn new(cluster: &Cluster, seed: u64) -> Option<StartDelays> {
        let mut slot = Vec::with_capacity(cluster.groups().len());
        let mut groups = Vec::new();
        for (g, group) in cluster.groups().iter().enumerate() {
            slot.push(group.start_delay.as_ref().map(|spec| {
                groups.push((spec.sampler(), stream(seed, &format!("start-delay-{g}"))));
                (groups.len() - 1) as u32
            }));
        }
        if groups.is_empty() {
            return None;
        }
        let node_group = cluster
            .nodes()
            .iter()
            .map(|n| slot[n.group as usize])
            .collect();
        Some(StartDelays { node_group, groups })
    }

    /// The start delay of an attempt started on `node` now (zero for a group without one).
    fn draw(&mut self, node: NodeId) -> SimDuration {
        match self.node_group[node.index()] {
            Some(i) => {
                let (sampler, rng) = &mut self.groups[i as usize];
                SimDuration::from_secs_f64(sampler.sample(rng))
            }
            None => SimDuration::ZERO,
        }
    }
}

/// One simulation run.
///
/// **Start delays.** When a node group has a `start_delay`, every attempt the control plane starts
/// on one of its nodes at time `t` draws a delay `d` from that group's own random stream
/// (`start-delay-<group index>` of the run's seed) and only begins to make progress at `t + d`: an
/// attempt of wall time `w` ends at `t + d + w`, and a task failure drawn `f` into its run happens
/// at `t + d + f`. During `[t, t + d)` the attempt holds its resources, as a container being created
/// does, so `d` counts into the task's response time (and into utilisation and its attempt's run
/// time), not into its wait: the wait ends at the scheduler's start decision `t`, which is also
/// where the real-Docker runner's wait ends (the same control plane records it when the runner
/// issues `docker run`, before the container starts). The delay is not scaled by the
/// node's speed. The control plane does not know about it: an attempt stopped early (crash,
/// preemption, failure) counts as having computed since `t`, delay included. Runs without any
/// `start_delay` draw nothing and give exactly the results they gave before the key existed.
pub struct Simulation<'a> {
    horizon: Option<SimTime>,
    sample_interval: Option<SimDuration>,
    faults: FaultSpec,
    node_events: Vec<(SimTime, u32, bool)>,
    now: SimTime,
    events: EventQueue<Event>,
    control: ControlPlane,
    workload: Box<dyn WorkloadSource>,
    /// The workload's next task, buffered until its arrival. Arrivals do not go through the
    /// future-event list: each holds the sequence number it would have had there
    /// (`arrival_seq`), and the loop takes whichever of it and the list's earliest event comes
    /// first by (time, sequence), so the order is exactly that of one list holding both. This
    /// saves a push and a pop per task.
    next_task: Option<TaskSpec>,
    /// The sequence number reserved for `next_task`'s arrival.
    arrival_seq: u64,
    workload_done: bool,
    health: Vec<NodeHealth>,
    domains: Vec<Domain>,
    task_failures: TaskFailures,
    start_delays: Option<StartDelays>,
    unhealthy: Option<crate::faults::HealthFault>,
    event_count: u64,
    /// The future-event list's length just before each handled event is popped, summed.
    pending_sum: u64,
    sink: Option<&'a mut dyn FnMut(&TaskRow)>,
    watcher: Option<&'a mut dyn Watcher>,
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
        let (health, domains) = faults::build_health(&config, &cluster);
        let task_failures = TaskFailures::new(&config.faults, config.seed);
        let start_delays = StartDelays::new(&cluster, config.seed);
        let control = config.control_plane(
            cluster,
            scheduler,
            workload.has_dependencies(),
            sink.is_some(),
        );
        Simulation {
            horizon: config.horizon,
            sample_interval: config.sample_interval,
            faults: config.faults,
            node_events: config.node_events,
            now: SimTime::ZERO,
            events: EventQueue::new(),
            control,
            workload,
            next_task: None,
            arrival_seq: 0,
            workload_done: false,
            health,
            domains,
            task_failures,
            start_delays,
            unhealthy: config.unhealthy.clone(),
            event_count: 0,
            pending_sum: 0,
            sink,
            watcher: None,
        }
    }

    /// Lets `watcher` look at the run from time to time (see [`watch`]); it changes nothing.
    pub fn watched(mut self, watcher: &'a mut dyn Watcher) -> Simulation<'a> {
        self.watcher = Some(watcher);
        self
    }

    /// Shows the run to its watcher if it has one and a look is due (or the run has ended).
    fn look(&mut self, now: SimTime, finished: bool) {
        if let Some(w) = self.watcher.as_mut() {
            if finished || w.due() {
                w.observe(&RunView {
                    now,
                    events: self.event_count,
                    control: &self.control,
                    finished,
                });
            }
        }
    }

    /// Runs to the horizon or until nothing is left to happen.
    pub fn run(mut self) -> Result<RunOutput, WorkloadError> {
        self.pull_next_task()?;
        if let Some(dt) = self.sample_interval.filter(|d| d.0 > 0) {
            self.events.push(SimTime::ZERO + dt, Event::Sample);
        }
        self.schedule_initial_faults();
        // Timers the control plane set before any input (a power policy's first switch-offs).
        self.carry_out();
        let horizon = self.horizon.unwrap_or(SimTime::MAX);
        let mut end = None;
        while let Some(t) = self.next_time() {
            if t > horizon {
                end = Some(horizon);
                break;
            }
            if self.nothing_left() || self.only_samples_without_horizon() {
                break;
            }
            self.pending_sum += self.pending_events() as u64;
            assert!(
                t >= self.now,
                "time went backwards: {} after {}",
                t,
                self.now
            );
            let arrival_first = self.arrival_comes_first(t);
            self.now = t;
            self.control.advance(t);
            self.event_count += 1;
            if arrival_first {
                self.on_arrival()?;
            } else {
                let (_, event) = self.events.pop().expect("an event is due");
                self.handle(event);
            }
            let next = self.next_time();
            // The next event is known now (the peek found it): ask for its task's record, read
            // first when it is handled, while this decision runs.
            if self.control.worth_prefetching() {
                if let Some(Event::Finish(attempt, node) | Event::TaskFail(attempt, node)) =
                    self.events.peek_hint()
                {
                    self.control.prefetch_attempt(*attempt, *node);
                }
            }
            if next != Some(t) {
                self.control.decide();
                self.carry_out();
            }
            if self.event_count & (watch::CHECK_EVERY - 1) == 0 {
                self.look(self.now, false);
            }
        }
        let end = end.unwrap_or(self.now);
        self.look(end, true);
        let (mut output, mut last) = self.control.finish(end, self.event_count);
        output.mean_pending_events = self.pending_sum as f64 / self.event_count.max(1) as f64;
        if let Some(sink) = self.sink.as_mut() {
            for command in last.drain(..) {
                if let Command::Record(row) = command {
                    sink(&row);
                }
            }
        }
        Ok(output)
    }

    /// Carries out the control plane's commands in simulated time, in the order it gave them. A
    /// started attempt makes progress after its node group's start delay (see [`Simulation`]).
    fn carry_out(&mut self) {
        if !self.control.has_commands() {
            return;
        }
        for command in self.control.take_commands() {
            match command {
                Command::Start {
                    attempt,
                    task,
                    number,
                    node,
                    run_for,
                } => {
                    let begins = match self.start_delays.as_mut() {
                        Some(delays) => self.now + delays.draw(node),
                        None => self.now,
                    };
                    if begins > self.now {
                        self.events.push(begins, Event::Began(attempt));
                    }
                    if let Some(u) = self
                        .unhealthy
                        .as_ref()
                        .filter(|u| number == 1 && u.tasks.contains(&task.0))
                    {
                        self.events
                            .push(begins + u.noticed_after, Event::Unhealthy(attempt));
                    }
                    if let Some(w) = run_for {
                        self.events.push(begins + w, Event::Finish(attempt, node));
                    }
                    if let Some(after) = self.task_failures.failure_after(run_for) {
                        self.events
                            .push(begins + after, Event::TaskFail(attempt, node));
                    }
                }
                Command::SetTimer { at, timer } => self.events.push(at, Event::Timer(timer)),
                Command::Record(row) => {
                    if let Some(sink) = self.sink.as_mut() {
                        sink(&row);
                    }
                }
                // A stopped attempt's pending events are stale (its generation moved on), and the
                // scheduler's view of a dead node is the control plane's own.
                Command::Kill { .. } | Command::NodeMarkedDown { .. } => {}
            }
        }
    }

    /// The time of the next event: the earlier of the buffered arrival and the future-event list's
    /// earliest event.
    fn next_time(&mut self) -> Option<SimTime> {
        let queued = self.events.peek_time();
        match (&self.next_task, queued) {
            (Some(task), Some(q)) => Some(task.arrival.min(q)),
            (Some(task), None) => Some(task.arrival),
            (None, q) => q,
        }
    }

    /// Whether the next event, due at `t` (from [`Simulation::next_time`]), is the buffered
    /// arrival rather than the future-event list's earliest: in time, then in sequence.
    fn arrival_comes_first(&mut self, t: SimTime) -> bool {
        match &self.next_task {
            Some(task) if task.arrival == t => {
                self.events.peek_time() != Some(t)
                    || self.arrival_seq < self.events.peek_seq().expect("an event is queued")
            }
            _ => false,
        }
    }

    /// Events pending: the future-event list's and the buffered arrival.
    fn pending_events(&self) -> usize {
        self.events.len() + usize::from(self.next_task.is_some())
    }

    /// Nothing but samples and faults can happen: no task will ever arrive, finish or start again.
    fn nothing_left(&self) -> bool {
        self.workload_done && self.control.all_done()
    }

    /// Without a horizon, a lone pending sample means nothing else can ever happen (tasks left are
    /// stuck, e.g. on permanently lost nodes): sampling on would never end.
    fn only_samples_without_horizon(&self) -> bool {
        self.horizon.is_none() && self.sample_interval.is_some() && self.pending_events() == 1
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Finish(attempt, _) => {
                self.control.attempt_exited(attempt, Exit::Completed);
            }
            Event::TaskFail(attempt, _) => {
                self.control.attempt_exited(attempt, Exit::Failed);
            }
            Event::Timer(timer) => self.control.timer_fired(timer),
            Event::Unhealthy(attempt) => {
                self.control.health_failed(attempt);
            }
            Event::Began(attempt) => self.control.attempt_began(attempt, self.now),
            Event::NodeCrash { node, cause } => self.on_node_crash(node, cause),
            Event::NodeRepair { node, cause } => self.on_node_repair(node, cause),
            Event::DomainCrash { domain } => self.on_domain_crash(domain),
            Event::DomainRepair { domain } => self.on_domain_repair(domain),
            Event::TraceNode { node, up } => self.on_trace_node(node, up),
            Event::Sample => {
                self.control.sample();
                if let Some(dt) = self.sample_interval {
                    self.events.push(self.now + dt, Event::Sample);
                }
            }
        }
        // Fault handlers carry out the commands of each node they touch at once (the event order
        // must be that of the crashes); for the rest, here.
        self.carry_out();
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
                self.arrival_seq = self.events.reserve_seq();
                self.next_task = Some(task);
            }
            None => {
                self.workload_done = true;
                self.control.workload_exhausted();
            }
        }
        Ok(())
    }

    fn on_arrival(&mut self) -> Result<(), WorkloadError> {
        let spec = self
            .next_task
            .take()
            .expect("an arrival is handled only when a task is buffered");
        self.control.submit(spec);
        self.carry_out();
        self.pull_next_task()
    }
}

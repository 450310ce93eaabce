//! Scheduler architectures: who decides, with what view of the cluster, and how long deciding
//! takes. Each scheduler is an actor (`actor::Actor`) with a queue of jobs: it takes up the job
//! at the head (higher priority first), is busy for its decision time (`t_job + k t_task + n
//! t_node`), and only then acts, through a timer of the control plane
//! ([`crate::control::Timer::Arch`]), so the same architectures run in simulated time and against
//! real containers.
//!
//! - **centralized**: one actor serves every class on the live cluster state; per-class decision
//!   times make Omega's multi-path variant.
//! - **shared-state** (Omega): one actor per class decides on a snapshot of the cell (taken at the
//!   start of the decision, or cached and refreshed every R), then commits its placements as a
//!   transaction against the live state; placements that conflict (fine: the task no longer fits;
//!   coarse: the node changed at all since the snapshot) are not applied, and their tasks are
//!   decided again at once (a retry).
//! - **offers** (Mesos): a master offers all free resources not already on offer to one framework
//!   (one per class) at a time, in dominant-resource-fair order; the framework decides on its head
//!   job with a view restricted to the offer, keeps what it placed and returns the rest; the offer
//!   is rescinded at its timeout. A framework that declined is not offered again until capacity is
//!   freed (Mesos' refusal filter).
//! - **decentralized** (Sparrow): independent actors place by probing workers (module `sparrow`).
//!
//! A job whose tasks could not all be placed waits for capacity to be freed, then is decided again;
//! after `max_attempts` incomplete decisions it is abandoned (its tasks fail). Without an
//! `[architecture]` table, or with `centralized` and zero decision times, none of this exists and
//! the control plane decides as it always did (bit for bit).

mod actor;
mod offers;
mod sparrow;
pub mod spec;

use std::sync::Arc;

use crate::cluster::Cluster;
use crate::cluster::GpuSet;
use crate::failover::Position;
use crate::ids::NodeId;
use crate::metrics::Metric;
use crate::resources::Resources;
use crate::rng::stream;
use crate::sched::{DispatchMode, PendingTask, Scheduler, Session};
use crate::time::SimTime;

use actor::{Actor, InFlight, Job, TaskClock};
use spec::{ArchKind, ArchitectureSpec, Conflicts, Snapshot};

use super::tasks::Phase;
use super::{Command, ControlPlane, Timer};

/// A timer of the architecture layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchTimer {
    /// Actor `actor`'s decision number `seq` is done.
    Decided {
        /// The actor.
        actor: u32,
        /// The decision.
        seq: u64,
    },
    /// The offer `seq` to framework `framework` times out.
    OfferTimeout {
        /// The framework.
        framework: u32,
        /// The offer's decision.
        seq: u64,
    },
    /// A Sparrow reservation of job slot `job` reaches `node`.
    Reservation {
        /// The worker.
        node: NodeId,
        /// The job's slot.
        job: u32,
        /// The slot's generation.
        generation: u32,
    },
    /// A task handed to a worker (after the probe round trip) reaches its queue.
    Deliver {
        /// The task.
        task: super::AttemptRef,
        /// The worker.
        node: NodeId,
    },
    /// A state-full actor's cached snapshot is due for its refresh: its jobs waiting for capacity
    /// are decided again (on the fresh snapshot), since what blocked them may be the stale cache.
    Refresh {
        /// The actor.
        actor: u32,
    },
    /// A task a worker asked for arrives there (resources held since the request).
    Launch {
        /// The task.
        task: super::AttemptRef,
        /// The worker.
        node: NodeId,
    },
}

/// The architecture state of one run.
pub struct Arch {
    spec: Arc<ArchitectureSpec>,
    actors: Vec<Actor>,
    /// Class index -> actor index (decentralized: jobs are spread over actors instead).
    route: Vec<usize>,
    /// Jobs whose remaining tasks wait for capacity: (actor, job).
    blocked: Vec<(usize, Job)>,
    /// Decision sequence numbers.
    seq: u64,
    /// The offer master's state (offers only).
    master: offers::Master,
    /// The workers' reservation queues (decentralized only).
    workers: sparrow::Workers,
}

impl Arch {
    /// The state for `spec`, with one zoo scheduler per actor (in [`ArchitectureSpec::actors`]
    /// order) and decision-time streams from `seed`.
    pub fn new(
        spec: Arc<ArchitectureSpec>,
        schedulers: Vec<Box<dyn Scheduler>>,
        cluster: &Cluster,
        seed: u64,
    ) -> Arch {
        let defs = spec.actors();
        assert_eq!(defs.len(), schedulers.len(), "one scheduler per actor");
        let classes = spec.class_names.len().max(1);
        let mut route = vec![0; classes];
        let actors: Vec<Actor> = defs
            .into_iter()
            .zip(schedulers)
            .enumerate()
            .map(|(i, ((name, served), scheduler))| {
                for &c in &served {
                    if spec.kind != ArchKind::Decentralized || i == 0 {
                        route[c as usize] = i;
                    }
                }
                let rng = stream(seed, &format!("decision-{name}"));
                Actor::new(name, served, scheduler, rng, &spec.decision)
            })
            .collect();
        let frameworks = actors.len();
        Arch {
            master: offers::Master::new(cluster.len(), frameworks),
            workers: sparrow::Workers::new(cluster.len(), stream(seed, "probes")),
            spec,
            actors,
            route,
            blocked: Vec::new(),
            seq: 0,
        }
    }

    /// The actor that serves a task of `class` in job `job`.
    fn actor_for(&self, class: u16, job: u64) -> usize {
        match self.spec.kind {
            ArchKind::Decentralized => (job % self.actors.len() as u64) as usize,
            _ => self.route[class as usize % self.route.len()],
        }
    }

    /// Each actor's time spent deciding up to `now`, seconds.
    pub fn busy_seconds(&self, now: SimTime) -> Vec<(String, f64)> {
        self.actors
            .iter()
            .map(|a| (a.name.clone(), a.clock.until(now).as_secs_f64()))
            .collect()
    }

    /// Tasks waiting for a scheduler or for capacity (for time-series samples).
    pub fn queued(&self) -> usize {
        let queues: usize = self
            .actors
            .iter()
            .map(|a| a.queue.iter().map(|j| j.tasks.len()).sum::<usize>())
            .sum();
        let flying: usize = self
            .actors
            .iter()
            .filter_map(|a| a.busy.as_ref())
            .map(|f| f.job.tasks.len())
            .sum();
        let blocked: usize = self.blocked.iter().map(|(_, j)| j.tasks.len()).sum();
        queues + flying + blocked + self.workers.unlaunched()
    }

    /// The run ends now: tasks that arrived at or after `warmup` and are still waiting for their
    /// first decision count in the queue-wait statistics with their wait so far (a lower bound),
    /// so a saturated scheduler shows its backlog instead of only the few tasks it got to.
    pub fn censor_queue_waits(&mut self, now: SimTime, warmup: SimTime) {
        for a in &mut self.actors {
            for job in &a.queue {
                for (t, c) in job.tasks.iter().zip(&job.clocks) {
                    if c.first_decision.is_none() && t.arrival >= warmup {
                        a.stats
                            .queue_wait
                            .record(now.since(c.entered).as_secs_f64());
                    }
                }
            }
        }
    }

    /// The measurement window closes now.
    pub fn close_window(&mut self, now: SimTime, warmup: SimTime) {
        for a in &mut self.actors {
            a.clock.close(now, warmup);
        }
    }

    /// Each actor's results over the window `[start, end]`.
    pub fn report(&self, start: SimTime, end: SimTime) -> Vec<SchedulerStats> {
        self.actors
            .iter()
            .map(|a| {
                let s = &a.stats;
                let classes: Vec<&str> = a
                    .classes
                    .iter()
                    .map(|&c| {
                        self.spec
                            .class_names
                            .get(c as usize)
                            .map_or("default", String::as_str)
                    })
                    .collect();
                let q = |h: &crate::metrics::Histogram, p: f64| {
                    if h.count() == 0 {
                        f64::NAN
                    } else if p < 0.0 {
                        h.mean()
                    } else {
                        h.quantile(p)
                    }
                };
                SchedulerStats {
                    architecture: self.spec.kind.name(),
                    name: a.name.clone(),
                    classes: classes.join("+"),
                    decisions: s.decisions,
                    tasks_decided: s.tasks_decided,
                    busy_fraction: a.clock.fraction(start, end),
                    queue_wait_mean_s: q(&s.queue_wait, -1.0),
                    queue_wait_p99_s: q(&s.queue_wait, 0.99),
                    sched_wait_mean_s: q(&s.sched_wait, -1.0),
                    sched_wait_p99_s: q(&s.sched_wait, 0.99),
                    transactions: s.transactions,
                    conflict_fraction: if s.transactions == 0 {
                        f64::NAN
                    } else {
                        s.conflicted as f64 / s.transactions as f64
                    },
                    conflicts: s.conflicts,
                    retries: s.retries,
                    abandoned_jobs: s.abandoned_jobs,
                    offers: s.offers,
                    offers_declined: s.offers_declined,
                    offers_rescinded: s.offers_rescinded,
                    probes: s.probes,
                }
            })
            .collect()
    }
}

/// The placements `scheduler` proposes for `job` on `view` (allocated there): (task index, node).
fn propose(
    scheduler: &mut dyn Scheduler,
    now: SimTime,
    view: &mut Cluster,
    job: &Job,
    running: &[crate::sched::RunningTask],
) -> Vec<(usize, NodeId)> {
    let mut session = Session::new(
        now,
        DispatchMode::Central,
        view,
        &job.tasks,
        running,
        0,
        true,
    );
    scheduler.schedule(&mut session);
    session.into_decisions().assigned
}

/// One scheduler's results in one run: a row of `schedulers.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulerStats {
    /// The architecture's name.
    pub architecture: &'static str,
    /// The actor (`central`, a class name, `sparrow-<i>`).
    pub name: String,
    /// The classes it serves, joined by `+`.
    pub classes: String,
    /// Decisions begun.
    pub decisions: u64,
    /// Tasks taken up by decisions.
    pub tasks_decided: u64,
    /// Fraction of the measurement window it spent deciding.
    pub busy_fraction: f64,
    /// Mean time from entering its queue to the first decision (Omega's job wait), seconds.
    pub queue_wait_mean_s: f64,
    /// Its 99th percentile.
    pub queue_wait_p99_s: f64,
    /// Mean time a placed task spent in the scheduler (queue and decisions), seconds.
    pub sched_wait_mean_s: f64,
    /// Its 99th percentile.
    pub sched_wait_p99_s: f64,
    /// Shared state: transactions.
    pub transactions: u64,
    /// Shared state: fraction of transactions with a conflict.
    pub conflict_fraction: f64,
    /// Shared state: conflicting placements.
    pub conflicts: u64,
    /// Jobs decided again at once (conflict, rescinded offer).
    pub retries: u64,
    /// Jobs given up.
    pub abandoned_jobs: u64,
    /// Offers received.
    pub offers: u64,
    /// Offers declined (nothing used).
    pub offers_declined: u64,
    /// Offers rescinded at their timeout.
    pub offers_rescinded: u64,
    /// Probes sent.
    pub probes: u64,
}

impl SchedulerStats {
    /// The metric columns of `schedulers.csv` after the run's identity and the actor's name.
    pub fn columns(&self) -> Vec<(&'static str, Metric)> {
        use Metric::{Count as C, Real as R};
        vec![
            ("decisions", C(self.decisions)),
            ("tasks_decided", C(self.tasks_decided)),
            ("busy_fraction", R(self.busy_fraction)),
            ("queue_wait_mean_s", R(self.queue_wait_mean_s)),
            ("queue_wait_p99_s", R(self.queue_wait_p99_s)),
            ("sched_wait_mean_s", R(self.sched_wait_mean_s)),
            ("sched_wait_p99_s", R(self.sched_wait_p99_s)),
            ("transactions", C(self.transactions)),
            ("conflict_fraction", R(self.conflict_fraction)),
            ("conflicts", C(self.conflicts)),
            ("retries", C(self.retries)),
            ("abandoned_jobs", C(self.abandoned_jobs)),
            ("offers", C(self.offers)),
            ("offers_declined", C(self.offers_declined)),
            ("offers_rescinded", C(self.offers_rescinded)),
            ("probes", C(self.probes)),
        ]
    }
}

impl ControlPlane {
    /// Uses `spec` instead of the single synchronous scheduler: `schedulers` holds one instance of
    /// the run's placement algorithm per actor ([`ArchitectureSpec::actors`]); `seed` seeds the
    /// decision times and probes. A trivial spec ([`ArchitectureSpec::is_trivial`]) changes nothing.
    pub fn with_architecture(
        mut self,
        spec: Arc<ArchitectureSpec>,
        schedulers: Vec<Box<dyn Scheduler>>,
        seed: u64,
    ) -> ControlPlane {
        if spec.is_trivial() {
            return self;
        }
        self.local_dispatch |= spec.kind == ArchKind::Decentralized;
        self.arch = Some(Box::new(Arch::new(spec, schedulers, &self.cluster, seed)));
        self
    }

    /// Each scheduler actor's results (empty without an architecture).
    pub fn scheduler_stats(&self) -> Vec<SchedulerStats> {
        let (start, end) = self.metrics.window(self.now);
        self.arch
            .as_ref()
            .map_or_else(Vec::new, |a| a.report(start, end))
    }

    /// Routes a task entering the scheduling queue to its actor; a task arriving with others of
    /// its job at the same instant joins their job entry.
    pub(super) fn arch_enqueue(&mut self, entry: PendingTask, position: Position) {
        let now = self.now;
        let spec = &self.tasks.get(entry.handle).spec;
        let (class, job_id) = (spec.class, spec.job.0);
        let arch = self.arch.as_mut().expect("architecture");
        let a = arch.actor_for(class, job_id);
        let clock = TaskClock {
            entered: now,
            first_decision: None,
            in_scheduler: crate::time::SimDuration::ZERO,
        };
        let actor = &mut arch.actors[a];
        if position == Position::Tail {
            if let Some(last) = actor.queue.back_mut().filter(|j| {
                j.id == job_id && j.class == class && j.clocks.iter().all(|c| c.entered == now)
            }) {
                last.tasks.push(entry);
                last.clocks.push(clock);
                return;
            }
        }
        let job = Job {
            id: job_id,
            class,
            priority: entry.priority,
            tasks: vec![entry],
            clocks: vec![clock],
            attempts: 0,
        };
        match position {
            Position::Tail => actor.push_back(job),
            Position::Head => actor.push_front(job),
        }
    }

    /// A decision point under an architecture: jobs waiting for capacity go back to their queues
    /// if capacity was freed; every idle actor takes up its head job (offers: the master makes its
    /// offers).
    pub(super) fn arch_decide(&mut self) {
        let arch = self.arch.as_mut().expect("architecture");
        if self.capacity_freed {
            self.capacity_freed = false;
            let now = self.now;
            for (a, mut job) in std::mem::take(&mut arch.blocked) {
                job.entered(now);
                arch.actors[a].push_back(job);
            }
            arch.master.capacity_freed();
        }
        if arch.spec.kind == ArchKind::Offers {
            self.make_offers();
            return;
        }
        for a in 0..self.arch.as_ref().map_or(0, |x| x.actors.len()) {
            while self.begin_decision(a) {}
        }
    }

    /// Actor `a`, if idle, takes up its head job; returns whether it did (it may be idle again if
    /// the decision took no time).
    fn begin_decision(&mut self, a: usize) -> bool {
        let (now, warmup) = (self.now, self.config.warmup);
        let nodes = self.cluster.len();
        let arch = self.arch.as_mut().expect("architecture");
        let kind = arch.spec.kind;
        if arch.actors[a].busy.is_some() {
            return false;
        }
        let Some(job) = arch.actors[a].take_head(now, warmup) else {
            return false;
        };
        let considered = match kind {
            ArchKind::Decentralized => sparrow::probes_for(&arch.spec, job.tasks.len(), nodes),
            _ => nodes,
        };
        let actor = &mut arch.actors[a];
        let d = actor.decision_time(job.class, job.tasks.len(), considered);
        let base = match (kind, arch.spec.snapshot) {
            (ArchKind::SharedState, Snapshot::Stateless) => Some(self.cluster.clone()),
            (ArchKind::SharedState, Snapshot::Stateful { every }) => {
                let stale = actor
                    .cache
                    .as_ref()
                    .is_none_or(|(taken, _)| now.since(*taken) >= every);
                if stale {
                    actor.cache = Some((now, self.cluster.clone()));
                }
                actor.cache.as_ref().map(|(_, c)| c.clone())
            }
            _ => None,
        };
        arch.seq += 1;
        let flight = InFlight {
            job,
            started: now,
            seq: arch.seq,
            base,
        };
        actor.clock.begin(now, now + d, warmup);
        if d.0 == 0 {
            actor.clock.end(now, warmup);
            self.commit(a, flight);
        } else {
            let seq = flight.seq;
            actor.busy = Some(flight);
            self.commands.push(Command::SetTimer {
                at: now + d,
                timer: Timer::Arch(ArchTimer::Decided {
                    actor: a as u32,
                    seq,
                }),
            });
        }
        true
    }

    /// Input (through [`ControlPlane::timer_fired`]): an architecture timer is due.
    pub(super) fn arch_timer(&mut self, timer: ArchTimer) {
        match timer {
            ArchTimer::Decided { actor, seq } => {
                let (now, warmup) = (self.now, self.config.warmup);
                let arch = self.arch.as_mut().expect("architecture");
                let a = &mut arch.actors[actor as usize];
                if a.busy.as_ref().is_some_and(|f| f.seq == seq) {
                    let flight = a.busy.take().expect("checked");
                    a.clock.end(now, warmup);
                    self.commit(actor as usize, flight);
                }
            }
            ArchTimer::OfferTimeout { framework, seq } => self.offer_timeout(framework, seq),
            ArchTimer::Reservation {
                node,
                job,
                generation,
            } => self.reservation_arrives(node, job, generation),
            ArchTimer::Deliver { task, node } => self.deliver(task, node),
            ArchTimer::Launch { task, node } => self.launch(task, node),
            ArchTimer::Refresh { actor } => {
                let now = self.now;
                let arch = self.arch.as_mut().expect("architecture");
                let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(&mut arch.blocked)
                    .into_iter()
                    .partition(|(a, _)| *a == actor as usize);
                arch.blocked = others;
                for (a, mut job) in mine {
                    job.entered(now);
                    arch.actors[a].push_back(job);
                }
            }
        }
    }

    /// A decision of actor `a` is done: act on it as the architecture does.
    fn commit(&mut self, a: usize, mut flight: InFlight) {
        Actor::decided(&mut flight.job, flight.started, self.now);
        self.scheduler_calls += 1;
        let kind = self.arch.as_ref().expect("architecture").spec.kind;
        match kind {
            ArchKind::Centralized => self.commit_live(a, flight.job),
            ArchKind::SharedState => self.commit_transaction(a, flight),
            ArchKind::Offers => self.commit_offer(a, flight),
            ArchKind::Decentralized => self.commit_probes(a, flight.job),
        }
    }

    /// Centralized: the actor's algorithm places the job's tasks on the live cluster.
    fn commit_live(&mut self, a: usize, job: Job) {
        let arch = self.arch.as_mut().expect("architecture");
        let scheduler = arch.actors[a].scheduler.as_mut();
        let placed = propose(scheduler, self.now, &mut self.cluster, &job, &self.running);
        self.start_placed(a, job, &placed, &[]);
    }

    /// Shared state: the actor's algorithm places the job on its snapshot; the placements are then
    /// committed against the live cluster, and those that conflict are decided again at once.
    fn commit_transaction(&mut self, a: usize, flight: InFlight) {
        let base = flight.base.expect("a shared-state decision has a snapshot");
        let job = flight.job;
        let arch = self.arch.as_mut().expect("architecture");
        let conflicts = arch.spec.conflicts;
        let scheduler = arch.actors[a].scheduler.as_mut();
        let proposed = propose(scheduler, self.now, &mut base.clone(), &job, &self.running);
        // Commit placement by placement (incremental transactions): a placement is applied when it
        // does not conflict; a coarse check allows for this transaction's own earlier changes.
        let mut own: Vec<(NodeId, u64)> = Vec::new();
        let mut placed = Vec::new();
        let mut conflicted = Vec::new();
        for &(i, node) in &proposed {
            let demand = job.tasks[i].demand;
            let mine = own.iter().filter(|(n, _)| *n == node).count() as u64;
            let unchanged = self.cluster.node(node).changes == base.node(node).changes + mine;
            let ok = match conflicts {
                Conflicts::Fine => true,
                Conflicts::Coarse => unchanged,
            } && self.cluster.allocate(node, &demand).is_ok();
            if ok {
                own.push((node, 1));
                placed.push((i, node));
            } else {
                conflicted.push(i);
            }
        }
        let actor = &mut self.arch.as_mut().expect("architecture").actors[a];
        actor.stats.transactions += 1;
        if !conflicted.is_empty() {
            actor.stats.conflicted += 1;
            actor.stats.conflicts += conflicted.len() as u64;
        }
        if let Some((_, cache)) = actor.cache.as_mut() {
            for &(i, node) in &placed {
                let _ = cache.allocate(node, &job.tasks[i].demand);
            }
        }
        self.retry(a, &job, &conflicted);
        self.start_placed(a, job, &placed, &conflicted);
    }

    /// Tasks `which` of `job` are decided again at once, ahead of the queue (an attempt of theirs;
    /// given up after `max_attempts`).
    pub(super) fn retry(&mut self, a: usize, job: &Job, which: &[usize]) {
        if which.is_empty() {
            return;
        }
        let mut retry = job.clone();
        retry.retain(|i| which.contains(&i));
        retry.entered(self.now);
        retry.attempts += 1;
        self.arch.as_mut().expect("architecture").actors[a]
            .stats
            .retries += 1;
        if self.gives_up(&retry) {
            self.abandon(a, retry);
        } else {
            self.arch.as_mut().expect("architecture").actors[a].push_front(retry);
        }
    }

    /// Starts the placed tasks of `job` (their resources are allocated); the rest of the job waits
    /// for capacity, or is given up.
    /// Tasks listed in `gone` have been dealt with otherwise (retried).
    fn start_placed(&mut self, a: usize, mut job: Job, placed: &[(usize, NodeId)], gone: &[usize]) {
        let warmup = self.config.warmup;
        let mut taken = vec![false; job.tasks.len()];
        for &i in gone {
            taken[i] = true;
        }
        for &(i, node) in placed {
            taken[i] = true;
            let entry = &job.tasks[i];
            assert!(
                self.tasks.is_live(entry.handle, entry.id)
                    && self.tasks.get(entry.handle).phase == Phase::Pending,
                "job entry of task {} does not match a pending task",
                entry.id.0
            );
            let handle = entry.handle;
            self.arch.as_mut().expect("architecture").actors[a].placed(&job, i, warmup);
            // Architectures do not take GPU workloads (refused at validation): no GPUs held.
            self.start(handle, node, GpuSet::NONE);
        }
        job.retain(|i| !taken[i]);
        if !job.tasks.is_empty() {
            job.attempts += 1;
            if self.gives_up(&job) {
                self.abandon(a, job);
            } else {
                let arch = self.arch.as_mut().expect("architecture");
                arch.blocked.push((a, job));
                // A state-full snapshot may be what blocked the job: look again at its refresh.
                if let (Snapshot::Stateful { every }, Some((taken, _))) =
                    (arch.spec.snapshot, arch.actors[a].cache.as_ref())
                {
                    let at = (*taken + every).max(self.now);
                    self.commands.push(Command::SetTimer {
                        at,
                        timer: Timer::Arch(ArchTimer::Refresh { actor: a as u32 }),
                    });
                }
            }
        }
    }

    /// Whether `job` has used up its attempts.
    fn gives_up(&self, job: &Job) -> bool {
        let arch = self.arch.as_ref().expect("architecture");
        arch.spec.max_attempts.is_some_and(|m| job.attempts >= m)
    }

    /// Gives up `job`: its remaining tasks fail for good.
    fn abandon(&mut self, a: usize, job: Job) {
        self.arch.as_mut().expect("architecture").actors[a]
            .stats
            .abandoned_jobs += 1;
        for t in &job.tasks {
            self.tasks.get_mut(t.handle).phase = Phase::Idle;
            self.fail_for_good(t.handle);
        }
    }

    /// Bookkeeping when a task of `class` starts holding (`hold`) or stops holding `demand`.
    pub(super) fn arch_hold(&mut self, class: u16, demand: &Resources, hold: bool) {
        if let Some(arch) = self.arch.as_mut() {
            if arch.spec.kind == ArchKind::Offers {
                let f = arch.route[class as usize % arch.route.len()];
                arch.master.hold(f, demand, hold);
            }
        }
    }
}

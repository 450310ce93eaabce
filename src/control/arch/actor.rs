//! A scheduler actor: a server with a queue of jobs that is busy while it decides, its decision-time
//! draws, its busy-time clock and its statistics.

use std::collections::VecDeque;

use crate::cluster::Cluster;
use crate::metrics::Histogram;
use crate::rng::SimRng;
use crate::sched::{PendingTask, Scheduler};
use crate::time::{SimDuration, SimTime};
use crate::workload::dist::Sampler;

use super::spec::DecisionTime;

/// Where one task of a job stands with respect to the scheduler (for the scheduler-wait
/// statistics).
#[derive(Debug, Clone, Copy)]
pub struct TaskClock {
    /// When the task entered the actor's queue for its current stint.
    pub entered: SimTime,
    /// When a decision first took it up.
    pub first_decision: Option<SimTime>,
    /// Time spent in the scheduler so far: queue stints and decisions (not waiting for capacity).
    pub in_scheduler: SimDuration,
}

/// A job in an actor's queue: the tasks of one job that arrived together (or that are left of it).
#[derive(Debug, Clone)]
pub struct Job {
    /// The workload's job id.
    pub id: u64,
    /// Its workload class.
    pub class: u16,
    /// Its priority (the first task's): a higher priority is served first.
    pub priority: i32,
    /// Its tasks still to place, as schedulers see them.
    pub tasks: Vec<PendingTask>,
    /// One clock per task, in the same order.
    pub clocks: Vec<TaskClock>,
    /// Decisions that left it incomplete.
    pub attempts: u32,
}

impl Job {
    /// Keeps the tasks (and clocks) for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(usize) -> bool) {
        let mut i = 0;
        self.clocks.retain(|_| {
            i += 1;
            keep(i - 1)
        });
        let mut i = 0;
        self.tasks.retain(|_| {
            i += 1;
            keep(i - 1)
        });
    }

    /// Every task (re)enters a queue now.
    pub fn entered(&mut self, now: SimTime) {
        for c in &mut self.clocks {
            c.entered = now;
        }
    }
}

/// A decision in progress.
pub struct InFlight {
    /// The job decided on.
    pub job: Job,
    /// When the decision began.
    pub started: SimTime,
    /// Its sequence number (the timer that ends it carries it).
    pub seq: u64,
    /// Shared state: the snapshot the decision works on.
    pub base: Option<Cluster>,
}

/// Cumulative busy time, read at the two ends of the measurement window.
#[derive(Debug, Default)]
pub struct BusyClock {
    /// Busy time of finished decisions.
    done: SimDuration,
    /// The decision in progress: (start, end).
    current: Option<(SimTime, SimTime)>,
    /// Busy time up to the warm-up, once time has passed it.
    at_warmup: Option<SimDuration>,
    /// Busy time up to the window's end, once it is closed.
    at_close: Option<SimDuration>,
}

impl BusyClock {
    /// Busy time up to `t`, for `t` no earlier than the end of the last finished decision.
    pub fn until(&self, t: SimTime) -> SimDuration {
        let partial = match self.current {
            Some((s, e)) if t > s => e.min(t).since(s),
            _ => SimDuration::ZERO,
        };
        self.done + partial
    }

    /// Records the busy time at the warm-up the first time time reaches it. Decisions are
    /// sequential, so when this is first called at or after the warm-up, every finished decision
    /// ended before it (or this would have been called at that decision's end).
    fn pass(&mut self, now: SimTime, warmup: SimTime) {
        if self.at_warmup.is_none() && now >= warmup {
            self.at_warmup = Some(self.until(warmup));
        }
    }

    /// A decision runs over `[now, end)`.
    pub fn begin(&mut self, now: SimTime, end: SimTime, warmup: SimTime) {
        self.pass(now, warmup);
        self.current = Some((now, end));
    }

    /// The decision in progress ends now.
    pub fn end(&mut self, now: SimTime, warmup: SimTime) {
        self.pass(now, warmup);
        if let Some((s, _)) = self.current.take() {
            self.done = self.done + now.since(s);
        }
    }

    /// The measurement window closes now (the workload ran out).
    pub fn close(&mut self, now: SimTime, warmup: SimTime) {
        self.pass(now, warmup);
        if self.at_close.is_none() {
            self.at_close = Some(self.until(now));
        }
    }

    /// The busy fraction over the window `[start, end]`.
    pub fn fraction(&self, start: SimTime, end: SimTime) -> f64 {
        if end <= start {
            return f64::NAN;
        }
        let until_end = self.at_close.unwrap_or_else(|| self.until(end));
        let until_start = self.at_warmup.unwrap_or_else(|| self.until(start));
        until_end.saturating_sub(until_start).as_secs_f64() / end.since(start).as_secs_f64()
    }
}

/// What an actor counted.
#[derive(Debug, Default, Clone)]
pub struct ActorStats {
    /// Decisions begun.
    pub decisions: u64,
    /// Tasks taken up by those decisions.
    pub tasks_decided: u64,
    /// Shared state: transactions committed (one per decision).
    pub transactions: u64,
    /// Shared state: transactions with at least one conflicting placement.
    pub conflicted: u64,
    /// Shared state: conflicting placements.
    pub conflicts: u64,
    /// Jobs sent back to the queue at once to be decided again (after a conflict, an offer
    /// rescinded, or a placement the worker refused).
    pub retries: u64,
    /// Jobs given up after `max_attempts` incomplete decisions.
    pub abandoned_jobs: u64,
    /// Offers: offers received.
    pub offers: u64,
    /// Offers: offers of which nothing was used.
    pub offers_declined: u64,
    /// Offers: offers rescinded at their timeout.
    pub offers_rescinded: u64,
    /// Decentralized: probes sent.
    pub probes: u64,
    /// From entering the queue until the first decision took the task up (Omega's job wait).
    pub queue_wait: Histogram,
    /// Time in the scheduler until placed: queue stints and decisions, not waiting for capacity.
    pub sched_wait: Histogram,
}

/// One scheduler of an architecture.
pub struct Actor {
    /// Its name (`central`, a class name, or `sparrow-<i>`).
    pub name: String,
    /// The classes it serves.
    pub classes: Vec<u16>,
    /// Jobs waiting for it: higher priority first, first come first served within a priority.
    pub queue: VecDeque<Job>,
    /// The placement algorithm of the zoo it runs.
    pub scheduler: Box<dyn Scheduler>,
    /// Its decision-time stream.
    rng: SimRng,
    /// Per class: (job term, task term, node term).
    times: Vec<(Sampler, Sampler, f64)>,
    /// The decision in progress.
    pub busy: Option<InFlight>,
    /// Its busy time.
    pub clock: BusyClock,
    /// Its counts.
    pub stats: ActorStats,
    /// Shared state, state-full: the cached cell state and when it was taken.
    pub cache: Option<(SimTime, Cluster)>,
}

impl Actor {
    /// An actor named `name` serving `classes` with `scheduler`; `decision` holds the decision
    /// times of every class.
    pub fn new(
        name: String,
        classes: Vec<u16>,
        scheduler: Box<dyn Scheduler>,
        rng: SimRng,
        decision: &[DecisionTime],
    ) -> Actor {
        Actor {
            name,
            classes,
            queue: VecDeque::new(),
            scheduler,
            rng,
            times: decision
                .iter()
                .map(|d| (d.job.sampler(), d.task.sampler(), d.node))
                .collect(),
            busy: None,
            clock: BusyClock::default(),
            stats: ActorStats::default(),
            cache: None,
        }
    }

    /// Draws the time of a decision over `tasks` tasks of class `class` considering `nodes` nodes.
    pub fn decision_time(&mut self, class: u16, tasks: usize, nodes: usize) -> SimDuration {
        let (job, task, node) = &self.times[class as usize % self.times.len()];
        let mut secs = job.sample(&mut self.rng).max(0.0);
        for _ in 0..tasks {
            secs += task.sample(&mut self.rng).max(0.0);
        }
        secs += node * nodes as f64;
        SimDuration::from_secs_f64(secs)
    }

    /// Puts `job` in the queue behind every job of its priority or higher.
    pub fn push_back(&mut self, job: Job) {
        let at = self
            .queue
            .iter()
            .rposition(|j| j.priority >= job.priority)
            .map_or(0, |i| i + 1);
        self.queue.insert(at, job);
    }

    /// Puts `job` in the queue ahead of every job of its priority or lower.
    pub fn push_front(&mut self, job: Job) {
        let at = self
            .queue
            .iter()
            .position(|j| j.priority <= job.priority)
            .unwrap_or(self.queue.len());
        self.queue.insert(at, job);
    }

    /// Takes up the head job at `now` for a decision: accounts its tasks' queue wait (those that
    /// arrived at or after `warmup`) and counts the decision.
    pub fn take_head(&mut self, now: SimTime, warmup: SimTime) -> Option<Job> {
        let mut job = self.queue.pop_front()?;
        self.stats.decisions += 1;
        self.stats.tasks_decided += job.tasks.len() as u64;
        for (t, c) in job.tasks.iter().zip(&mut job.clocks) {
            c.in_scheduler = c.in_scheduler + now.since(c.entered);
            if c.first_decision.is_none() {
                c.first_decision = Some(now);
                if t.arrival >= warmup {
                    self.stats
                        .queue_wait
                        .record(now.since(c.entered).as_secs_f64());
                }
            }
        }
        Some(job)
    }

    /// A decision over `job` that began at `started` ended now: its time counts as time in the
    /// scheduler for each of its tasks.
    pub fn decided(job: &mut Job, started: SimTime, now: SimTime) {
        for c in &mut job.clocks {
            c.in_scheduler = c.in_scheduler + now.since(started);
        }
    }

    /// Task `i` of `job` was placed: its time in the scheduler is final.
    pub fn placed(&mut self, job: &Job, i: usize, warmup: SimTime) {
        if job.tasks[i].arrival >= warmup {
            self.stats
                .sched_wait
                .record(job.clocks[i].in_scheduler.as_secs_f64());
        }
    }
}

//! The manager's state and what it does with each input: the shared control plane driven by the
//! wall clock, the task store, the workers and their launches. One thread owns it all
//! ([`super::run`]); API handlers and the outbound dispatcher talk to it through [`Msg`]s.

use std::collections::HashMap;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use crate::cluster::Cluster;
use crate::control::{AttemptRef, Command, ControlConfig, ControlPlane, Exit, TimerQueue};
use crate::ids::{JobId, NodeId, TaskId};
use crate::metrics::Outcome;
use crate::orchestrator::request::{Restart, TaskDef};
use crate::orchestrator::store::{Store, TaskDetail, TaskSummary};
use crate::orchestrator::wire::{
    Capacity, Heartbeat, HeartbeatReply, Launch, LaunchReport, NodeMetrics, Register, Registered,
};
use crate::resources::Resources;
use crate::rng::stream;
use crate::sched::build_scheduler;
use crate::time::{SimDuration, SimTime};
use crate::workload::{TaskKind, TaskSpec};

mod views;
mod workers;

use super::config::ManagerConfig;
use super::outbound::Outbound;

/// An error an API call answers with.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// What was wrong.
    pub message: String,
    /// The request field at fault.
    pub field: Option<String>,
}

impl ApiError {
    /// An error without a field.
    pub fn new(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            field: None,
        }
    }
}

/// The answer to a submission.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Submitted {
    /// The new task's id.
    pub id: String,
    /// Its state (`pending`).
    pub state: String,
}

/// A worker as `GET /nodes` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NodeStatus {
    /// Its name.
    pub name: String,
    /// Its API address.
    pub addr: String,
    /// `up`, `down` (declared lost) or `unconfirmed` (known from the store, not heard since the
    /// manager started).
    pub state: String,
    /// Capacity.
    pub capacity: Capacity,
    /// Allocated by the scheduler.
    pub allocated: Capacity,
    /// What the node measured in its last heartbeat.
    pub used: Option<NodeMetrics>,
    /// Launches running there.
    pub running: u32,
    /// Its last heartbeat, RFC 3339.
    pub last_heartbeat: Option<String>,
}

/// The manager's own health (`GET /health`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// Seconds since this manager process started.
    pub uptime_s: f64,
    /// Workers up.
    pub workers_up: usize,
    /// Workers known.
    pub workers: usize,
    /// Tasks not ended.
    pub live_tasks: usize,
    /// Launches recovered from the store still waiting for their worker to report them.
    pub recovering: usize,
}

type Reply<T> = Sender<Result<T, ApiError>>;

/// An input of the manager.
pub enum Msg {
    /// `POST /tasks`.
    Submit(Box<TaskDef>, Reply<Submitted>),
    /// `GET /tasks`.
    List(Option<String>, u32, Reply<Vec<TaskSummary>>),
    /// `GET /tasks/{id}`.
    Get(String, Reply<TaskDetail>),
    /// `DELETE /tasks/{id}`.
    Stop(String, Reply<TaskSummary>),
    /// `GET /nodes`.
    Nodes(Reply<Vec<NodeStatus>>),
    /// `GET /metrics`.
    Metrics(Reply<String>),
    /// `GET /health`.
    Health(Reply<Health>),
    /// `POST /v1/workers`.
    Register(Box<Register>, Reply<Registered>),
    /// `POST /v1/workers/{name}/heartbeat`.
    Heartbeat(String, Box<Heartbeat>, Reply<HeartbeatReply>),
    /// `POST /v1/workers/{name}/reports`.
    Reports(String, Vec<LaunchReport>, Reply<()>),
    /// The dispatcher could not deliver a launch to its worker.
    LaunchFailed(u64, String),
}

/// A task that has not ended.
struct LiveTask {
    id: String,
    def: TaskDef,
    /// Its control-plane slot, once submitted.
    handle: Option<u32>,
    /// Launches so far.
    attempts: u32,
}

/// A launch in progress.
struct LiveLaunch {
    seq: u64,
    attempt: AttemptRef,
    node: NodeId,
    number: u32,
    confirmed: bool,
    /// Heartbeats in a row that did not list it although it was confirmed running.
    misses: u32,
}

/// A launch found in the store at start-up, waiting for its worker to report it.
struct Recovering {
    seq: u64,
    node: NodeId,
    number: u32,
}

/// A worker.
struct Worker {
    name: String,
    addr: String,
    capacity: Capacity,
    /// Heard from since this manager started.
    confirmed: bool,
    /// Declared down (and not back yet).
    down: bool,
    last_seen: Instant,
    last_heartbeat_ms: Option<u64>,
    metrics: Option<NodeMetrics>,
}

/// The manager.
pub struct Manager {
    config: ManagerConfig,
    store: Store,
    cp: ControlPlane,
    t0: Instant,
    timers: TimerQueue,
    tasks: HashMap<u64, LiveTask>,
    /// Tasks no worker could hold yet, in submission order (submitted when one joins).
    too_big: Vec<u64>,
    launches: HashMap<u64, LiveLaunch>,
    by_attempt: HashMap<AttemptRef, u64>,
    recovering: HashMap<u64, Recovering>,
    /// Until then, launches recovered from the store may still be reported by their workers.
    recovery_deadline: Instant,
    workers: Vec<Worker>,
    by_name: HashMap<String, NodeId>,
    next_task: u64,
    next_launch: u64,
    outbound: Outbound,
    /// Inputs handled (the `events` figure of /metrics).
    inputs: u64,
    /// Wall seconds spent in the control plane's decisions.
    decide_seconds: f64,
    /// Wall seconds spent committing the store.
    commit_seconds: f64,
    /// Steps (transactions) so far.
    steps: u64,
}

/// Unix milliseconds now.
pub fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The id of task `seq`.
fn task_id(seq: u64) -> String {
    format!("t{seq}")
}

/// The sequence number of a task id.
fn task_seq(id: &str) -> Option<u64> {
    id.strip_prefix('t')?.parse().ok()
}

impl Manager {
    /// A manager over `store`, resuming what it holds: workers come back as unconfirmed nodes
    /// (declared down if they stay silent for the detection delay), tasks that were waiting are
    /// queued again, and launches that were running wait for their workers to report them
    /// (adopted if they still run; requeued if not).
    pub fn open(
        config: ManagerConfig,
        store: Store,
        outbound: Outbound,
    ) -> Result<Manager, String> {
        let control = ControlConfig {
            warmup: SimTime::ZERO,
            mode: config.dispatch,
            check_invariants: true,
            failover: std::sync::Arc::new(config.failover.policy.clone()),
            pin_services: false,
            detection: SimDuration::ZERO,
            health_check: SimDuration::ZERO,
            preempt: config.scheduler.preempt,
            bounded_slowdown_tau: SimDuration::from_secs(10),
            record_rows: true,
        };
        let mut cluster = Cluster::with_indexes(&[], config.scheduler.index_needs());
        cluster.set_gpu_pick(config.scheduler.placement.gpu_pick());
        let scheduler = build_scheduler(&config.scheduler, stream(config.seed, "scheduler"));
        let cp = ControlPlane::new(control, cluster, scheduler, false);
        let next_task = store.counter("next_task")?.max(1);
        let next_launch = store.counter("next_launch")?.max(1);
        let now = Instant::now();
        let mut m = Manager {
            recovery_deadline: now + config.detection,
            config,
            store,
            cp,
            t0: now,
            timers: TimerQueue::default(),
            tasks: HashMap::new(),
            too_big: Vec::new(),
            launches: HashMap::new(),
            by_attempt: HashMap::new(),
            recovering: HashMap::new(),
            workers: Vec::new(),
            by_name: HashMap::new(),
            next_task,
            next_launch,
            outbound,
            inputs: 0,
            decide_seconds: 0.0,
            commit_seconds: 0.0,
            steps: 0,
        };
        m.recover()?;
        Ok(m)
    }

    fn recover(&mut self) -> Result<(), String> {
        for w in self.store.workers()? {
            self.add_worker(&w.name, &w.addr, w.capacity, false)?;
        }
        let live = self.store.live_tasks()?;
        let (mut queued, mut running) = (0, 0);
        self.store.begin()?;
        for t in live {
            let seq = t.seq;
            self.tasks.insert(
                seq,
                LiveTask {
                    id: t.id.clone(),
                    def: t.def,
                    handle: None,
                    attempts: t.attempts,
                },
            );
            match t
                .launch
                .and_then(|(l, w, n)| Some((l, *self.by_name.get(&w)?, n)))
            {
                Some((launch, node, number)) => {
                    running += 1;
                    self.recovering
                        .insert(launch, Recovering { seq, node, number });
                }
                None => {
                    queued += 1;
                    self.store.set_state(
                        &t.id,
                        "pending",
                        None,
                        None,
                        Some("queued again by a restarted manager"),
                        unix_ms(),
                    )?;
                    self.submit_seq(seq);
                }
            }
        }
        self.store.commit()?;
        if !self.workers.is_empty() || queued + running > 0 {
            eprintln!(
                "simctl serve: resumed {} workers, {queued} waiting tasks and {running} launches awaiting their workers",
                self.workers.len()
            );
        }
        Ok(())
    }

    /// The control plane's time now.
    fn now(&self) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs_f64(self.t0.elapsed().as_secs_f64())
    }

    /// Wall time until the next control-plane timer is due.
    pub fn next_timer_in(&self) -> Option<Duration> {
        let at = self.timers.next_at()?.since(SimTime::ZERO).as_secs_f64();
        Some(Duration::from_secs_f64(
            (at - self.t0.elapsed().as_secs_f64()).max(0.0),
        ))
    }

    /// Handles a batch of inputs in one store transaction: the inputs, due timers, worker
    /// timeouts and the decisions they lead to are applied and committed, and only then are the
    /// answers sent and the launches dispatched (so nothing is acknowledged or launched that a
    /// crash could forget).
    pub fn step(&mut self, msgs: Vec<Msg>) -> Result<(), String> {
        self.store.begin()?;
        self.cp.advance(self.now());
        let mut answers: Vec<Box<dyn FnOnce()>> = Vec::new();
        for msg in msgs {
            self.inputs += 1;
            if let Some(answer) = self.handle(msg)? {
                answers.push(answer);
            }
        }
        self.check_workers()?;
        self.settle()?;
        let t = Instant::now();
        self.store.commit()?;
        self.commit_seconds += t.elapsed().as_secs_f64();
        self.steps += 1;
        for a in answers {
            a();
        }
        self.outbound.flush();
        Ok(())
    }

    /// Fires due timers, decides, and carries out commands until nothing is left to do now.
    /// Timers go first, so a worker declared down is noticed before the next decision (which
    /// would otherwise still place work on it).
    fn settle(&mut self) -> Result<(), String> {
        loop {
            self.carry_out()?;
            let now = self.now();
            while let Some(timer) = self.timers.pop_due(now) {
                self.cp.timer_fired(timer);
                self.carry_out()?;
            }
            let t = Instant::now();
            self.cp.decide();
            self.decide_seconds += t.elapsed().as_secs_f64();
            self.carry_out()?;
            if self.timers.next_at().is_none_or(|at| at > now) {
                return Ok(());
            }
        }
    }

    /// One input; returns the closure that sends its answer, to run after the commit.
    fn handle(&mut self, msg: Msg) -> Result<Option<Box<dyn FnOnce()>>, String> {
        fn answer<T: Send + 'static>(
            tx: Reply<T>,
            v: Result<T, ApiError>,
        ) -> Option<Box<dyn FnOnce()>> {
            Some(Box::new(move || {
                let _ = tx.send(v);
            }))
        }
        Ok(match msg {
            Msg::Submit(def, tx) => {
                let r = self.submit(*def)?;
                answer(tx, Ok(r))
            }
            Msg::List(state, limit, tx) => {
                answer(tx, Ok(self.store.list(state.as_deref(), limit)?))
            }
            Msg::Get(id, tx) => {
                let r = self
                    .store
                    .task(&id)?
                    .ok_or_else(|| ApiError::new(404, format!("no task \"{id}\"")));
                answer(tx, r)
            }
            Msg::Stop(id, tx) => {
                let r = self.stop(&id)?;
                answer(tx, r)
            }
            Msg::Nodes(tx) => answer(tx, Ok(self.nodes())),
            Msg::Metrics(tx) => answer(tx, Ok(self.metrics_text()?)),
            Msg::Health(tx) => answer(tx, Ok(self.health())),
            Msg::Register(reg, tx) => {
                let r = self.register(*reg)?;
                answer(tx, r)
            }
            Msg::Heartbeat(name, hb, tx) => {
                let r = self.heartbeat(&name, *hb)?;
                answer(tx, r)
            }
            Msg::Reports(name, reports, tx) => {
                let r = self.reports(&name, reports)?;
                answer(tx, r)
            }
            Msg::LaunchFailed(launch, error) => {
                self.launch_ended(
                    launch,
                    Exit::Failed,
                    "failed",
                    None,
                    &format!("not delivered: {error}"),
                )?;
                None
            }
        })
    }

    fn submit(&mut self, def: TaskDef) -> Result<Submitted, String> {
        let seq = self.next_task;
        self.next_task += 1;
        self.store.set_counter("next_task", self.next_task)?;
        let id = task_id(seq);
        self.store.insert_task(seq, &id, &def, unix_ms())?;
        self.tasks.insert(
            seq,
            LiveTask {
                id: id.clone(),
                def,
                handle: None,
                attempts: 0,
            },
        );
        self.submit_seq(seq);
        Ok(Submitted {
            id,
            state: "pending".into(),
        })
    }

    /// Hands live task `seq` to the control plane (or holds it until a worker can hold it).
    fn submit_seq(&mut self, seq: u64) {
        let now = self.now();
        let t = self.tasks.get_mut(&seq).expect("live task");
        let spec = task_spec(seq, &t.def, now);
        if !self.cp.cluster().fits_any_capacity(&spec.demand) {
            self.too_big.push(seq);
            return;
        }
        t.handle = self.cp.submit(spec);
    }

    fn stop(&mut self, id: &str) -> Result<Result<TaskSummary, ApiError>, String> {
        let Some(seq) = task_seq(id).filter(|s| self.tasks.contains_key(s)) else {
            return Ok(match self.store.task(id)? {
                Some(d) => Err(ApiError::new(
                    409,
                    format!("task \"{id}\" has already ended ({})", d.summary.state),
                )),
                None => Err(ApiError::new(404, format!("no task \"{id}\""))),
            });
        };
        self.end_task(seq, "stopped", "stopped by request")?;
        let d = self.store.task(id)?.expect("stored");
        Ok(Ok(d.summary))
    }

    /// Ends live task `seq` in `state` (its attempt killed, its queue entry dropped).
    fn end_task(&mut self, seq: u64, state: &str, detail: &str) -> Result<(), String> {
        let Some(t) = self.tasks.remove(&seq) else {
            return Ok(());
        };
        self.too_big.retain(|&s| s != seq);
        if let Some(h) = t.handle {
            if self.cp.is_live(h, TaskId(seq)) {
                self.cp
                    .cancel(h, TaskId(seq))
                    .map_err(|e| format!("cannot stop {}: {e}", t.id))?;
            }
        }
        self.recovering.retain(|_, r| r.seq != seq);
        self.carry_out()?;
        self.store
            .set_state(&t.id, state, None, None, Some(detail), unix_ms())?;
        eprintln!("simctl serve: task {} {state} ({detail})", t.id);
        Ok(())
    }

    /// Carries out the control plane's commands.
    fn carry_out(&mut self) -> Result<(), String> {
        while self.cp.has_commands() {
            let commands: Vec<Command> = self.cp.take_commands().collect();
            for c in commands {
                match c {
                    Command::Start {
                        attempt,
                        task,
                        number,
                        node,
                        run_for,
                    } => self.start(attempt, task.0, number, node, run_for)?,
                    Command::Kill { attempt, .. } => {
                        if let Some(launch) = self.by_attempt.remove(&attempt) {
                            let l = self.launches.remove(&launch).expect("indexed launch");
                            self.store
                                .set_launch(launch, "stopped", None, true, unix_ms())?;
                            let addr = self.workers[l.node.index()].addr.clone();
                            self.outbound.kill(&addr, launch);
                        }
                    }
                    Command::SetTimer { at, timer } => self.timers.set(at, timer),
                    Command::NodeMarkedDown { node } => {
                        eprintln!(
                            "simctl serve: worker {} declared down; its tasks fail over",
                            self.workers[node.index()].name
                        );
                        // Its attempts were failed over: their launches are lost (the worker
                        // is told to stop them if it comes back).
                        let lost: Vec<u64> = self
                            .launches
                            .iter()
                            .filter(|(_, l)| l.node == node)
                            .map(|(&id, _)| id)
                            .collect();
                        for id in lost {
                            let l = self.launches.remove(&id).expect("listed");
                            self.by_attempt.remove(&l.attempt);
                            self.store.set_launch(id, "lost", None, true, unix_ms())?;
                        }
                    }
                    Command::Record(row) => self.row(&row)?,
                }
            }
        }
        Ok(())
    }

    fn start(
        &mut self,
        attempt: AttemptRef,
        seq: u64,
        number: u32,
        node: NodeId,
        run_for: Option<SimDuration>,
    ) -> Result<(), String> {
        let launch = self.next_launch;
        self.next_launch += 1;
        self.store.set_counter("next_launch", self.next_launch)?;
        let t = self.tasks.get_mut(&seq).expect("started a live task");
        t.attempts += 1;
        let w = &self.workers[node.index()];
        self.store
            .insert_launch(launch, &t.id, t.attempts, &w.name, unix_ms())?;
        self.store.set_state(
            &t.id,
            "starting",
            Some(&w.name),
            Some(t.attempts),
            Some(&format!("launch {launch}")),
            unix_ms(),
        )?;
        let d = &t.def;
        let msg = Launch {
            launch,
            task: t.id.clone(),
            attempt: t.attempts,
            image: d.image.clone(),
            args: d.command.clone(),
            env: d.env.clone(),
            cpu_millis: d.cpu_millis,
            memory_bytes: d.memory_bytes,
            burn_seconds: d
                .image
                .is_none()
                .then(|| run_for.map_or(d.duration_s, |r| r.as_secs_f64())),
            ports: d.ports.clone(),
            health: d.health.clone(),
        };
        self.outbound.launch(&w.addr, msg);
        self.launches.insert(
            launch,
            LiveLaunch {
                seq,
                attempt,
                node,
                number,
                confirmed: false,
                misses: 0,
            },
        );
        self.by_attempt.insert(attempt, launch);
        Ok(())
    }

    /// A tasks.csv row: how an attempt (or the task) ended.
    fn row(&mut self, row: &crate::metrics::TaskRow) -> Result<(), String> {
        let seq = row.task_id;
        let Some(t) = self.tasks.get(&seq) else {
            return Ok(());
        };
        match row.outcome {
            Outcome::Completed => {
                self.tasks.remove(&seq);
                let id = task_id(seq);
                self.store
                    .set_state(&id, "completed", None, None, None, unix_ms())?;
            }
            Outcome::Failed | Outcome::Unschedulable => {
                let id = t.id.clone();
                self.tasks.remove(&seq);
                self.store.set_state(
                    &id,
                    "failed",
                    None,
                    None,
                    Some("the failover policy gave up"),
                    unix_ms(),
                )?;
                eprintln!("simctl serve: task {id} failed for good");
            }
            Outcome::Interrupted | Outcome::Preempted => {
                if t.def.restart == Restart::Never && row.outcome == Outcome::Interrupted {
                    self.end_task(seq, "failed", "its attempt failed and restart = \"never\"")?;
                } else {
                    let id = t.id.clone();
                    let why = if row.outcome == Outcome::Preempted {
                        "preempted; queued again"
                    } else {
                        "attempt failed; the failover policy restarts it"
                    };
                    self.store
                        .set_state(&id, "pending", None, None, Some(why), unix_ms())?;
                }
            }
            Outcome::Cancelled | Outcome::Running | Outcome::Pending => {}
        }
        Ok(())
    }

    /// A launch is over (reported, lost or undeliverable): its attempt exits as `exit`.
    fn launch_ended(
        &mut self,
        launch: u64,
        exit: Exit,
        state: &str,
        code: Option<i64>,
        detail: &str,
    ) -> Result<(), String> {
        let Some(l) = self.launches.remove(&launch) else {
            return Ok(());
        };
        self.by_attempt.remove(&l.attempt);
        self.store
            .set_launch(launch, state, code, true, unix_ms())?;
        if exit == Exit::Failed {
            if let Some(t) = self.tasks.get(&l.seq) {
                let id = t.id.clone();
                self.store.set_state(
                    &id,
                    "failing",
                    None,
                    Some(l.number),
                    Some(detail),
                    unix_ms(),
                )?;
            }
        }
        self.cp.attempt_exited(l.attempt, exit);
        Ok(())
    }
}

/// The control plane's view of task `seq` (arriving `now`).
fn task_spec(seq: u64, def: &TaskDef, now: SimTime) -> TaskSpec {
    let now_ms = unix_ms();
    let not_before = def
        .not_before_ms
        .filter(|&nb| nb > now_ms)
        .map(|nb| now + SimDuration::from_secs_f64((nb - now_ms) as f64 / 1000.0));
    TaskSpec {
        id: TaskId(seq),
        job: JobId(seq),
        arrival: now,
        duration: SimDuration::from_secs_f64(def.duration_s),
        requested_duration: None,
        demand: Resources {
            cpu_milli: def.cpu_millis,
            memory: def.memory_bytes,
            disk: def.disk_bytes,
            ..Resources::ZERO
        },
        priority: def.priority,
        kind: TaskKind::Batch,
        user: 0,
        deadline: None,
        depends_on: Vec::new(),
        observed: None,
        class: 0,
        not_before,
    }
}

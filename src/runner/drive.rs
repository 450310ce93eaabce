//! The wall-clock driver: one run of a scenario on real containers, decided by the same control
//! plane ([`crate::control`]) as the simulator. Its inputs come from the wall clock (arrivals,
//! crashes and timers fall due), from the engine's container events (an attempt's container died,
//! with its exit status) and from HTTP health probes; its commands become containers started
//! (on a thread each, so a slow start does not hold the loop) and killed.
//!
//! Scenario time is real time divided by `time_scale`: a task of 10 s runs 5 s of real CPU burn at
//! `time_scale = 0.5`, and every time written out is divided back.
//!
//! At every time-series sample the driver also records what was really used (the host's `/proc`,
//! the run's containers' stats; [`super::usage`]) beside the allocations.
//!
//! A node of the scenario is virtual: its capacity is a budget the control plane allocates from,
//! and its containers carry its name in a label. A crash kills every container of the node; the
//! control plane notices it after the scenario's `detection` delay (the node's heartbeat timeout).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::cluster::Cluster;
use crate::config::docker::DockerSpec;
use crate::config::Scenario;
use crate::control::{AttemptRef, Command, ControlPlane, Exit, RunOutput, TimerQueue};
use crate::faults::TaskFailures;
use crate::ids::NodeId;
use crate::metrics::TaskRow;
use crate::rng::stream;
use crate::sched::build_scheduler;
use crate::sweep::{engine_config, RunSpec};
use crate::time::{SimDuration, SimTime};

use super::docker::DockerCli;
use super::events::EventKind;
use super::plan::{plan, Plan};
use super::probe::probe_health;
use super::runtime::ContainerRuntime;
use super::spec::{ContainerSpec, Network};
use super::usage::UsageSampler;

/// The port `simctl burn` serves `/health` on inside its container.
const HEALTH_PORT: u16 = 8080;

/// Longest the loop sleeps between two looks at the clock.
const TICK: Duration = Duration::from_millis(10);

/// What a real run produced, beside its statistics.
pub struct RealRun {
    /// Summary, quantiles and samples, exactly as a simulated run's.
    pub output: RunOutput,
    /// Its tasks.csv rows.
    pub rows: Vec<TaskRow>,
    /// (task id, attempt, node) of every attempt started, in start order.
    pub placements: Vec<(u64, u32, NodeId)>,
    /// Real seconds from each `docker run` to its container's `start` event.
    pub start_latencies: Vec<f64>,
    /// Real seconds from the run's start to each container's `start` event, in event order.
    pub started_at: Vec<f64>,
    /// Per completed attempt, real seconds its container took beyond its work: from `docker run`
    /// to the `die` event, less the burn time (start latency plus the lag until the exit is seen).
    pub overheads: Vec<f64>,
    /// Real time the control plane spent in each decision point where it called the scheduler
    /// (the scheduler included), in seconds.
    pub decision_seconds: Vec<f64>,
    /// Attempts failed over because their health checks gave up.
    pub health_failures: u64,
    /// Real seconds the run took.
    pub wall_s: f64,
}

/// One container of the run.
struct Container {
    name: String,
    node: NodeId,
    launched: Instant,
    /// Real seconds of work it was given (`None` for a service).
    work: Option<f64>,
    started: Option<Instant>,
    /// Where its `/health` answers (once known).
    health: Option<SocketAddr>,
    failed_probes: u32,
    next_probe: Option<Instant>,
}

/// What a start thread reports.
struct Launched {
    attempt: AttemptRef,
    result: Result<Option<SocketAddr>, String>,
}

/// The driver's state.
struct Driver<'a> {
    docker: &'a DockerCli,
    image: &'a str,
    run_id: &'a str,
    spec: &'a DockerSpec,
    scale: f64,
    t0: Instant,
    cp: ControlPlane,
    timers: TimerQueue,
    containers: HashMap<AttemptRef, Container>,
    by_name: HashMap<String, AttemptRef>,
    launched_tx: mpsc::Sender<Launched>,
    launched_rx: mpsc::Receiver<Launched>,
    /// Start threads that have not reported yet.
    launching: usize,
    task_failures: TaskFailures,
    node_names: Vec<String>,
    rows: Vec<TaskRow>,
    placements: Vec<(u64, u32, NodeId)>,
    start_latencies: Vec<f64>,
    started_at: Vec<f64>,
    overheads: Vec<f64>,
    decision_seconds: Vec<f64>,
    health_failures: u64,
    /// Inputs handed to the control plane (a real run's `events` column).
    inputs: u64,
}

/// How often the live metrics are refreshed (`--metrics`).
const PUBLISH_EVERY: Duration = Duration::from_millis(500);

/// Runs `run` of `scenario` on real containers of `image` under run id `run_id`. `stop` (Ctrl-C)
/// ends it early with an error; the caller removes the run's containers whatever happens.
pub fn run_real(
    docker: &DockerCli,
    image: &str,
    scenario: &Scenario,
    run: &RunSpec,
    run_id: &str,
    stop: &AtomicBool,
    metrics: Option<&crate::monitor::server::MetricsServer>,
) -> Result<RealRun, String> {
    let default_spec = DockerSpec::default();
    let spec = scenario.docker.as_ref().unwrap_or(&default_spec);
    let sched_spec = &scenario.schedulers[run.scheduler];
    let mut cluster = Cluster::with_indexes(&scenario.node_groups, sched_spec.index_needs());
    cluster.set_gpu_pick(sched_spec.placement.gpu_pick());
    let Plan {
        tasks,
        node_changes,
    } = plan(scenario, &cluster, run.seed)?;
    let config = engine_config(scenario, run, false);
    let node_names = cluster
        .nodes()
        .iter()
        .map(|n| format!("{}-{}", cluster.groups()[n.group as usize].name, n.id.0))
        .collect();
    let scheduler = build_scheduler(sched_spec, stream(run.seed, "scheduler"));
    let cp = config.control_plane(
        cluster,
        scheduler,
        tasks.iter().any(|t| !t.depends_on.is_empty()),
        true,
    );
    let (launched_tx, launched_rx) = mpsc::channel();
    let mut d = Driver {
        docker,
        image,
        run_id,
        spec,
        scale: spec.time_scale,
        t0: Instant::now(),
        cp,
        timers: TimerQueue::default(),
        containers: HashMap::new(),
        by_name: HashMap::new(),
        launched_tx,
        launched_rx,
        launching: 0,
        task_failures: TaskFailures::new(&config.faults, config.seed),
        node_names,
        rows: Vec::new(),
        placements: Vec::new(),
        start_latencies: Vec::new(),
        started_at: Vec::new(),
        overheads: Vec::new(),
        decision_seconds: Vec::new(),
        health_failures: 0,
        inputs: 0,
    };
    let events = docker
        .events(run_id)
        .map_err(|e| format!("cannot watch the engine's events: {e}"))?;
    let horizon = config.horizon;
    let sample_every = config.sample_interval.filter(|d| d.0 > 0);
    let mut next_sample = sample_every.map(|d| SimTime::ZERO + d);
    let capacity_cores = d.cp.cluster().total_capacity().cpu_cores();
    let sampler = sample_every.map(|dt| {
        UsageSampler::start(
            docker.clone(),
            run_id.to_string(),
            d.real(dt),
            capacity_cores,
        )
    });
    let mut measured = Vec::new();
    let mut arrivals = tasks.into_iter().peekable();
    let mut changes = node_changes.into_iter().peekable();
    let mut down_causes = vec![0u32; d.node_names.len()];
    let mut exhausted = false;
    let mut published: Option<Instant> = None;
    d.t0 = Instant::now();
    let end = loop {
        if stop.load(Ordering::SeqCst) {
            break Err("interrupted".to_string());
        }
        let now = d.now();
        if let Some(h) = horizon.filter(|h| now >= *h) {
            d.cp.advance(h);
            break Ok(h);
        }
        d.cp.advance(now);
        while let Some(t) = arrivals.next_if(|t| t.arrival <= now) {
            d.cp.submit(t);
            d.carry_out();
        }
        if !exhausted && arrivals.peek().is_none() {
            exhausted = true;
            d.cp.workload_exhausted();
        }
        while let Some(c) = changes.next_if(|c| c.at <= now) {
            let causes = &mut down_causes[c.node.index()];
            if c.up {
                *causes = causes.saturating_sub(1);
                if *causes == 0 {
                    d.cp.node_up(c.node);
                }
            } else {
                *causes += 1;
                if *causes == 1 {
                    d.crash(c.node);
                    d.cp.node_down(c.node);
                }
            }
            d.carry_out();
        }
        while let Some(timer) = d.timers.pop_due(now) {
            d.cp.timer_fired(timer);
            d.carry_out();
        }
        d.collect_launches();
        let mut stream_error = None;
        loop {
            match events.next_timeout(Duration::ZERO) {
                Ok(Some(e)) => d.on_container_event(e.name, e.kind),
                Ok(None) => break,
                Err(e) => {
                    stream_error = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = stream_error {
            break Err(format!("the engine's event stream failed: {e}"));
        }
        d.probe_health();
        if let Some(server) =
            metrics.filter(|_| published.is_none_or(|p| p.elapsed() >= PUBLISH_EVERY))
        {
            let latest = sampler.as_ref().and_then(UsageSampler::latest);
            let families = crate::monitor::families(&d.cp, &d.node_names, latest, d.inputs);
            server.publish(&families, &format!("simctl docker run: {run_id}"));
            published = Some(Instant::now());
        }
        if let Some(at) = next_sample.filter(|at| now >= *at) {
            d.cp.sample();
            measured.push(sampler.as_ref().and_then(UsageSampler::latest));
            next_sample = sample_every.map(|dt| at + dt);
        }
        let (started, calls) = (Instant::now(), d.cp.scheduler_calls());
        d.cp.decide();
        if d.cp.scheduler_calls() > calls {
            // Only decision points where the scheduler ran (most ticks change nothing).
            d.decision_seconds.push(started.elapsed().as_secs_f64());
        }
        d.carry_out();
        if exhausted && d.cp.all_done() {
            break Ok(now);
        }
        // Sleep until the next container event, at most one tick.
        match events.next_timeout(TICK) {
            Ok(Some(e)) => d.on_container_event(e.name, e.kind),
            Ok(None) => {}
            Err(e) => break Err(format!("the engine's event stream failed: {e}")),
        }
    };
    // No start thread may still be creating a container once the caller cleans up.
    d.await_launches();
    let end = end?;
    if let Some(server) = metrics {
        // The final state, so that a scrape after the end sees every task accounted for.
        let latest = sampler.as_ref().and_then(UsageSampler::latest);
        let families = crate::monitor::families(&d.cp, &d.node_names, latest, d.inputs);
        server.publish(
            &families,
            &format!("simctl docker run: {run_id} (finished)"),
        );
    }
    let wall_s = d.t0.elapsed().as_secs_f64();
    drop(sampler);
    let (mut output, last) = d.cp.finish(end, d.inputs);
    for (sample, m) in output.metrics.samples.iter_mut().zip(measured) {
        sample.measured = m;
    }
    for c in last {
        if let Command::Record(row) = c {
            d.rows.push(*row);
        }
    }
    Ok(RealRun {
        output,
        rows: d.rows,
        placements: d.placements,
        start_latencies: d.start_latencies,
        started_at: d.started_at,
        overheads: d.overheads,
        decision_seconds: d.decision_seconds,
        health_failures: d.health_failures,
        wall_s,
    })
}

impl Driver<'_> {
    /// Scenario time now.
    fn now(&self) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs_f64(self.t0.elapsed().as_secs_f64() / self.scale)
    }

    /// Carries out the control plane's commands.
    fn carry_out(&mut self) {
        self.inputs += 1;
        let commands: Vec<Command> = self.cp.take_commands().collect();
        for c in commands {
            match c {
                Command::Start {
                    attempt,
                    task,
                    number,
                    node,
                    run_for,
                } => self.launch(attempt, task.0, number, node, run_for),
                Command::Kill { attempt, .. } => self.kill(attempt),
                Command::SetTimer { at, timer } => self.timers.set(at, timer),
                Command::NodeMarkedDown { .. } => {}
                Command::Record(row) => self.rows.push(*row),
            }
        }
    }

    /// Starts the container of `attempt` on a thread of its own.
    fn launch(
        &mut self,
        attempt: AttemptRef,
        task: u64,
        number: u32,
        node: NodeId,
        run_for: Option<SimDuration>,
    ) {
        let demand = self
            .cp
            .attempt(attempt)
            .expect("a started attempt is current")
            .spec
            .demand;
        self.placements.push((task, number, node));
        // A task failure drawn as in the simulator: the container exits with status 1 then.
        let fails_after = self.task_failures.failure_after(run_for);
        let (seconds, exit_code) = match (fails_after, run_for) {
            (Some(f), _) => (f, 1),
            (None, Some(r)) => (r, 0),
            // A service runs until it is stopped.
            (None, None) => (SimDuration::from_secs(365 * 86_400), 0),
        };
        let node_name = &self.node_names[node.index()];
        let image = self.spec.image.as_deref().unwrap_or(self.image);
        let mut spec = ContainerSpec::for_attempt(self.run_id, node_name, task, number, image);
        spec.name = format!(
            "simctl-{}-t{task}-a{number}-s{}g{}",
            self.run_id, attempt.handle, attempt.generation
        );
        spec.cpus = (demand.cpu_cores()).max(0.01);
        spec.memory_bytes = demand.memory.max(6 << 20);
        if self.spec.image.is_some() {
            spec.args = self.spec.command.clone();
        } else {
            spec.args = vec![
                "burn".into(),
                "--cpu".into(),
                format!("{}", demand.cpu_cores()),
                "--seconds".into(),
                format!("{:.3}", seconds.as_secs_f64() * self.scale),
                "--memory".into(),
                (demand.memory / 2).to_string(),
                "--exit-code".into(),
                exit_code.to_string(),
            ];
            if self.spec.health.is_some() {
                spec.network = Network::Bridge;
                spec.publish = vec![HEALTH_PORT];
                spec.args.push("--serve-health".into());
                spec.args.push(format!("0.0.0.0:{HEALTH_PORT}"));
                let sick = self
                    .spec
                    .unhealthy
                    .as_ref()
                    .filter(|(tasks, _)| number == 1 && tasks.contains(&task));
                if let Some((_, after)) = sick {
                    spec.args.push("--unhealthy-after".into());
                    spec.args
                        .push(format!("{:.3}", after.as_secs_f64() * self.scale));
                }
            }
        }
        self.by_name.insert(spec.name.clone(), attempt);
        self.containers.insert(
            attempt,
            Container {
                name: spec.name.clone(),
                node,
                launched: Instant::now(),
                work: (exit_code == 0 && run_for.is_some())
                    .then(|| seconds.as_secs_f64() * self.scale),
                started: None,
                health: None,
                failed_probes: 0,
                next_probe: None,
            },
        );
        let docker = self.docker.clone();
        let tx = self.launched_tx.clone();
        self.launching += 1;
        let wants_port = !spec.publish.is_empty();
        std::thread::spawn(move || {
            let result = docker
                .start(&spec)
                .and_then(|id| {
                    if wants_port {
                        docker.host_port(&id, HEALTH_PORT).map(Some)
                    } else {
                        Ok(None)
                    }
                })
                .map_err(|e| e.to_string());
            let _ = tx.send(Launched { attempt, result });
        });
    }

    /// Takes the start threads' reports: a container that could not start is a failed attempt.
    fn collect_launches(&mut self) {
        while let Ok(l) = self.launched_rx.try_recv() {
            self.launching -= 1;
            match l.result {
                Ok(addr) => {
                    if let Some(c) = self.containers.get_mut(&l.attempt) {
                        c.health = addr;
                    }
                }
                Err(e) => {
                    eprintln!("warning: a container did not start: {e}");
                    self.containers.remove(&l.attempt);
                    self.cp.attempt_exited(l.attempt, Exit::Failed);
                    self.carry_out();
                }
            }
        }
    }

    /// Waits (at most a minute) for every start thread to report, so that no container appears
    /// after the run's cleanup.
    fn await_launches(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.launching > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.launched_rx.recv_timeout(left) {
                Ok(_) => self.launching -= 1,
                Err(_) => break,
            }
        }
    }

    /// Kills an attempt's container (on a thread: the control plane has already moved on).
    fn kill(&mut self, attempt: AttemptRef) {
        if let Some(c) = self.containers.remove(&attempt) {
            let docker = self.docker.clone();
            std::thread::spawn(move || {
                let _ = docker.kill(&c.name);
            });
        }
    }

    /// A node crashes: every container on it is killed at once.
    fn crash(&mut self, node: NodeId) {
        let on_node: Vec<AttemptRef> = self
            .containers
            .iter()
            .filter(|(_, c)| c.node == node)
            .map(|(a, _)| *a)
            .collect();
        let handles: Vec<_> = on_node
            .into_iter()
            .filter_map(|a| self.containers.remove(&a))
            .map(|c| {
                let docker = self.docker.clone();
                std::thread::spawn(move || {
                    let _ = docker.kill(&c.name);
                })
            })
            .collect();
        for h in handles {
            let _ = h.join();
        }
    }

    fn on_container_event(&mut self, name: String, kind: EventKind) {
        let Some(&attempt) = self.by_name.get(&name) else {
            return;
        };
        match kind {
            EventKind::Started => {
                let interval = self.spec.health.as_ref().map(|h| self.real(h.interval));
                if let Some(c) = self.containers.get_mut(&attempt) {
                    let now = Instant::now();
                    c.started = Some(now);
                    self.start_latencies
                        .push(now.duration_since(c.launched).as_secs_f64());
                    self.started_at
                        .push(now.duration_since(self.t0).as_secs_f64());
                    c.next_probe = interval.map(|i| now + i);
                    let at = self.now();
                    self.cp.advance(at);
                    self.cp.attempt_began(attempt, at);
                }
            }
            EventKind::Died { exit_code, .. } => {
                self.by_name.remove(&name);
                if let Some(c) = self.containers.remove(&attempt) {
                    if let (0, Some(work)) = (exit_code, c.work) {
                        self.overheads
                            .push(c.launched.elapsed().as_secs_f64() - work);
                    }
                    let exit = if exit_code == 0 {
                        Exit::Completed
                    } else {
                        Exit::Failed
                    };
                    self.cp.advance(self.now());
                    self.cp.attempt_exited(attempt, exit);
                    self.carry_out();
                }
            }
            _ => {}
        }
    }

    /// A scenario duration in real time.
    fn real(&self, d: SimDuration) -> Duration {
        Duration::from_secs_f64(d.as_secs_f64() * self.scale)
    }

    /// Probes the containers whose probe is due; one that fails `failures` times in a row is
    /// failed over through the control plane (which kills it).
    fn probe_health(&mut self) {
        let Some(h) = self.spec.health.clone() else {
            return;
        };
        let now = Instant::now();
        let due: Vec<(AttemptRef, SocketAddr)> = self
            .containers
            .iter()
            .filter(|(_, c)| c.next_probe.is_some_and(|t| t <= now))
            .filter_map(|(a, c)| c.health.map(|addr| (*a, addr)))
            .collect();
        for (attempt, addr) in due {
            let ok = probe_health(addr, self.real(h.timeout)).is_ok_and(|s| s == 200);
            let interval = self.real(h.interval);
            let Some(c) = self.containers.get_mut(&attempt) else {
                continue;
            };
            c.next_probe = Some(Instant::now() + interval);
            c.failed_probes = if ok { 0 } else { c.failed_probes + 1 };
            if c.failed_probes >= h.failures {
                self.health_failures += 1;
                self.cp.advance(self.now());
                self.cp.health_failed(attempt);
                self.carry_out();
            }
        }
    }
}

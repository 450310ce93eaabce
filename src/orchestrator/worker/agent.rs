//! The agent (`simctl worker`): starts its fence, finds its containers, registers, then serves
//! the worker API while three loops run: heartbeats (this thread), reports (the outbox's
//! sender) and container events (exits).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::config::WorkerConfig;
use super::fence::{self, FenceArgs};
use super::launch::launch_of_name;
use super::lease::{now_ms, write_lease, write_pid_file, ProcStamp};
use super::manager::{CallError, ManagerLink};
use super::metrics::MetricsSampler;
use super::outbox::Outbox;
use super::scan::{scan, Found};
use super::table::Table;
use crate::orchestrator::wire::{Heartbeat, LaunchReport, LaunchState, Register};
use crate::runner::docker::DockerCli;
use crate::runner::events::EventKind;
use crate::runner::runtime::ContainerRuntime;
use crate::runner::{image, static_bin};

/// The longest wait between two registration attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How long a graceful shutdown tries to deliver the reports still queued.
const FLUSH: Duration = Duration::from_secs(2);

/// Everything the agent's threads share.
pub struct Agent {
    /// The checked configuration.
    pub cfg: WorkerConfig,
    /// The local engine.
    pub docker: DockerCli,
    /// The burn image's tag (launches without an image run it).
    pub burn_image: String,
    /// The launches.
    pub table: Table,
    /// Reports not yet acknowledged.
    pub outbox: Outbox,
    /// Set on SIGTERM/SIGINT: the loops end.
    pub stopping: AtomicBool,
    manager: ManagerLink,
    /// Set when the manager answered 404 for this worker: register again.
    reregister: AtomicBool,
}

/// Logs a manager failure once per kind (and its recovery once).
#[derive(Default)]
struct OnceLog {
    last: Option<String>,
}

impl OnceLog {
    fn failed(&mut self, name: &str, what: &str, e: &CallError) {
        if self.last.as_deref() != Some(&e.kind()) {
            eprintln!("worker {name}: {what}: {e} (retrying)");
            self.last = Some(e.kind());
        }
    }

    fn ok(&mut self, name: &str, what: &str) {
        if self.last.take().is_some() {
            eprintln!("worker {name}: {what}: the manager answers again");
        }
    }
}

impl Agent {
    /// Queues a report for the manager (and remembers it as the launch's last state);
    /// `remove` is a container to remove once the manager acknowledged the report.
    pub fn report(&self, launch: u64, state: LaunchState, remove: Option<String>) {
        let r = LaunchReport {
            launch,
            state,
            at_ms: now_ms(),
        };
        self.table.record(&r);
        self.outbox.push(r, remove);
    }

    fn registration(&self, launches: Vec<LaunchReport>) -> Register {
        Register {
            name: self.cfg.name.clone(),
            addr: self.cfg.listen.to_string(),
            capacity: self.cfg.capacity,
            launches,
        }
    }

    /// Registers until the manager answers (`None` after a shutdown); stops what it lists;
    /// returns the heartbeat interval to use and records the lease. A refusal that retrying
    /// cannot cure (a wrong token, a registration the manager finds invalid) is an error.
    fn register(&self, launches: Vec<LaunchReport>) -> Result<Option<Duration>, String> {
        let reg = self.registration(launches);
        let mut log = OnceLog::default();
        let mut backoff = Duration::from_millis(100);
        while !self.stopping.load(Ordering::SeqCst) {
            let sent = now_ms();
            match self.manager.register(&reg) {
                Ok(answer) => {
                    log.ok(&self.cfg.name, "registration");
                    self.lease(sent);
                    for id in answer.stop {
                        self.stop_launch(id);
                    }
                    let theirs = Duration::from_millis(answer.heartbeat_ms.max(50));
                    return Ok(Some(self.cfg.heartbeat.min(theirs)));
                }
                Err(CallError::Refused(status @ (400 | 401 | 403 | 409 | 422), body)) => {
                    return Err(format!(
                        "the manager at {} refused the registration ({status}): {body}",
                        self.cfg.manager
                    ));
                }
                Err(e) => log.failed(&self.cfg.name, "registration", &e),
            }
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
        Ok(None)
    }

    fn lease(&self, sent_ms: u64) {
        if let Err(e) = write_lease(&self.cfg.state_dir, sent_ms) {
            eprintln!("worker {}: cannot write the lease file: {e}", self.cfg.name);
        }
    }

    /// The running launches as `Running` reports, for a registration after the manager forgot
    /// this worker.
    fn running_reports(&self) -> Vec<LaunchReport> {
        let at_ms = now_ms();
        self.table
            .running()
            .into_iter()
            .map(|launch| LaunchReport {
                launch,
                state: LaunchState::Running,
                at_ms,
            })
            .collect()
    }

    /// Heartbeats until a shutdown.
    fn heartbeat_loop(&self, mut every: Duration) {
        let mut sampler = MetricsSampler::new(&self.cfg.state_dir);
        let mut log = OnceLog::default();
        while !self.stopping.load(Ordering::SeqCst) {
            let t0 = Instant::now();
            if self.reregister.swap(false, Ordering::SeqCst) {
                match self.register(self.running_reports()) {
                    Ok(Some(d)) => every = d,
                    Ok(None) => return,
                    Err(e) => {
                        eprintln!("worker {}: {e}; stopping", self.cfg.name);
                        self.stopping.store(true, Ordering::SeqCst);
                        return;
                    }
                }
            }
            let running = self.table.running();
            let hb = Heartbeat {
                metrics: sampler.sample(running.len() as u32),
                running,
            };
            let sent = now_ms();
            match self.manager.heartbeat(&hb) {
                Ok(reply) => {
                    log.ok(&self.cfg.name, "heartbeat");
                    self.lease(sent);
                    for id in reply.stop {
                        self.stop_launch(id);
                    }
                }
                Err(CallError::UnknownWorker) => self.reregister.store(true, Ordering::SeqCst),
                Err(e) => log.failed(&self.cfg.name, "heartbeat", &e),
            }
            sleep_until(t0 + every, &self.stopping);
        }
    }

    /// Sends the outbox's reports until a shutdown; acknowledged exits' containers are removed.
    fn outbox_loop(&self) {
        let mut log = OnceLog::default();
        while !self.stopping.load(Ordering::SeqCst) {
            if !self.flush_once(&mut log) {
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }

    /// One attempt at sending what waits; false when it failed.
    fn flush_once(&self, log: &mut OnceLog) -> bool {
        let pending = self.outbox.peek_all(Duration::from_millis(200));
        if pending.is_empty() {
            return true;
        }
        let reports: Vec<LaunchReport> = pending.iter().map(|p| p.report.clone()).collect();
        match self.manager.reports(&reports) {
            Ok(()) => {
                log.ok(&self.cfg.name, "reports");
                self.outbox.acknowledge(pending.len());
                for id in pending.iter().filter_map(|p| p.remove.as_deref()) {
                    self.remove_quietly(id);
                }
                true
            }
            Err(e) => {
                if e == CallError::UnknownWorker {
                    self.reregister.store(true, Ordering::SeqCst);
                }
                log.failed(&self.cfg.name, "reports", &e);
                false
            }
        }
    }

    /// Reads container events until a shutdown, restarting the watcher (and catching up with a
    /// scan) when it ends.
    fn events_loop(&self, mut events: crate::runner::runtime::EventStream) {
        while !self.stopping.load(Ordering::SeqCst) {
            match events.next_timeout(Duration::from_millis(300)) {
                Ok(Some(e)) => {
                    if let EventKind::Died { exit_code, .. } = e.kind {
                        if let Some(launch) = launch_of_name(&self.cfg.name, &e.name) {
                            self.on_death(launch, exit_code as i64);
                        }
                    }
                }
                Ok(None) => {}
                Err(err) => {
                    eprintln!(
                        "worker {}: container events: {err}; watching again",
                        self.cfg.name
                    );
                    std::thread::sleep(Duration::from_millis(500));
                    match self.docker.events(&self.cfg.name) {
                        Ok(s) => events = s,
                        Err(e) => eprintln!("worker {}: {e}", self.cfg.name),
                    }
                    self.catch_up();
                }
            }
        }
    }

    /// Reports the exits that happened while no watcher ran.
    fn catch_up(&self) {
        let Ok(found) = scan(&self.docker, &self.cfg.name) else {
            return;
        };
        for f in found {
            if let LaunchState::Exited { code } = f.state {
                self.on_death(f.launch, code);
            }
        }
    }
}

fn sleep_until(deadline: Instant, stopping: &AtomicBool) {
    while !stopping.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(100)));
    }
}

/// Runs `simctl worker` until SIGTERM/SIGINT (`stop` set).
pub fn run(cfg: WorkerConfig, stop: &'static AtomicBool) -> anyhow::Result<()> {
    std::fs::create_dir_all(&cfg.state_dir)
        .map_err(|e| anyhow::anyhow!("--state-dir {}: {e}", cfg.state_dir.display()))?;
    let docker = DockerCli::connect()?;
    let burn_image = image::ensure_image(&docker, &static_bin::find_or_build()?)?.tag;
    let me = ProcStamp::of(std::process::id())
        .ok_or_else(|| anyhow::anyhow!("cannot read this process's /proc entry"))?;
    write_pid_file(&cfg.state_dir, me)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", cfg.state_dir.display()))?;
    start_fence(&cfg, me)?;
    let manager = ManagerLink::new(&cfg.manager, cfg.token.clone(), &cfg.name)
        .map_err(|e| anyhow::anyhow!("--manager: {e}"))?;
    // Watching starts before the scan, so no exit falls between them.
    let events = docker.events(&cfg.name)?;
    let found = scan(&docker, &cfg.name).map_err(|e| anyhow::anyhow!(e))?;
    let agent = Arc::new(Agent {
        cfg,
        docker,
        burn_image,
        table: Table::default(),
        outbox: Outbox::default(),
        stopping: AtomicBool::new(false),
        manager,
        reregister: AtomicBool::new(false),
    });
    adopt(&agent, &found);
    let server = super::api::serve(&agent)?;
    eprintln!(
        "worker {}: API on http://{}, {} container(s) found",
        agent.cfg.name,
        server.addr(),
        found.len()
    );
    spawn_stop_watch(&agent, stop);
    let every = match agent
        .register(found.iter().map(found_report).collect())
        .map_err(|e| anyhow::anyhow!(e))?
    {
        Some(d) => d,
        None => return Ok(()),
    };
    remove_exited(&agent, &found);
    eprintln!(
        "worker {}: registered with {}",
        agent.cfg.name, agent.cfg.manager
    );
    let a = Arc::clone(&agent);
    std::thread::spawn(move || a.outbox_loop());
    let a = Arc::clone(&agent);
    std::thread::spawn(move || a.events_loop(events));
    agent.heartbeat_loop(every);
    shutdown(&agent);
    drop(server);
    Ok(())
}

fn start_fence(cfg: &WorkerConfig, me: ProcStamp) -> anyhow::Result<()> {
    let args = FenceArgs {
        agent: me,
        name: cfg.name.clone(),
        state_dir: cfg.state_dir.clone(),
        lease: cfg.lease,
    };
    let mut child =
        fence::spawn(&args).map_err(|e| anyhow::anyhow!("cannot start the fence: {e}"))?;
    // Reaped when it exits (after this agent, normally).
    std::thread::spawn(move || child.wait());
    Ok(())
}

fn found_report(f: &Found) -> LaunchReport {
    LaunchReport {
        launch: f.launch,
        state: f.state.clone(),
        at_ms: now_ms(),
    }
}

/// Takes over the running containers of an earlier agent.
fn adopt(agent: &Agent, found: &[Found]) {
    for f in found.iter().filter(|f| f.state == LaunchState::Running) {
        agent.table.adopt(f.launch, &f.id);
    }
}

/// Removes the exited containers, whose status the registration delivered.
fn remove_exited(agent: &Agent, found: &[Found]) {
    for f in found.iter().filter(|f| f.state != LaunchState::Running) {
        agent.remove_quietly(&f.id);
    }
}

fn spawn_stop_watch(agent: &Arc<Agent>, stop: &'static AtomicBool) {
    let a = Arc::clone(agent);
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(100));
        }
        a.stopping.store(true, Ordering::SeqCst);
    });
}

/// A graceful stop: the queued reports get a last chance; containers keep running under the
/// fence, which removes them at the lease's end unless a new agent takes over.
fn shutdown(agent: &Agent) {
    let t0 = Instant::now();
    let mut log = OnceLog::default();
    while !agent.outbox.is_empty() && t0.elapsed() < FLUSH {
        if !agent.flush_once(&mut log) {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    eprintln!(
        "worker {}: stopped; {} report(s) undelivered; the fence removes the containers {:?} \
         after the last heartbeat unless a new agent takes over",
        agent.cfg.name,
        agent.outbox.len(),
        agent.cfg.lease
    );
}

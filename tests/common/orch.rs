//! Helpers for the orchestrator tests: a real `simctl serve` process and a client of it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use simctl::http::Client;

/// A running `simctl serve`.
pub struct ManagerProc {
    /// The process.
    pub child: Child,
    /// Its base URL.
    pub url: String,
    /// Everything it wrote to stderr so far.
    pub log: Arc<Mutex<String>>,
}

impl ManagerProc {
    /// Starts `simctl serve` on `listen` (port 0 picks one) with the store `db`, the configuration
    /// text `config` (written beside the store) and a token file if given.
    pub fn start(dir: &Path, listen: &str, config: &str, token_file: Option<&Path>) -> ManagerProc {
        let cfg = dir.join("manager.toml");
        std::fs::write(&cfg, config).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_simctl"));
        cmd.args(["serve", "--listen", listen, "--config"])
            .arg(&cfg)
            .arg("--db")
            .arg(dir.join("manager.db"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(t) = token_file {
            cmd.arg("--token-file").arg(t);
        }
        let mut child = cmd.spawn().expect("simctl serve starts");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let l = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
                }
                let mut g = l.lock().unwrap();
                g.push_str(&line);
                g.push('\n');
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(u) => u,
            Err(_) => {
                let _ = child.kill();
                panic!("simctl serve did not start:\n{}", log.lock().unwrap());
            }
        };
        ManagerProc { child, url, log }
    }

    /// A client with `token`.
    pub fn client(&self, token: Option<&str>) -> Client {
        Client::new(
            &self.url,
            token.map(str::to_string),
            Duration::from_secs(30),
        )
        .unwrap()
    }

    /// Kills the process with SIGKILL and waits for it.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The log so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for ManagerProc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Polls `f` every 50 ms until it returns `Some`, for at most `within`; panics with `what`.
pub fn wait_for<T>(within: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + within;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > end {
            panic!("timed out after {within:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Pids of the live processes with `label=simctl.run=RUN` (`LABEL_RUN`) among their arguments: the container-event
/// watchers (`docker events`) of run `RUN` (for a worker, its name).
pub fn event_watchers_of(run: &str) -> Vec<u32> {
    let wanted = format!("label={}={run}", simctl::runner::spec::LABEL_RUN);
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.split(|&b| b == 0).any(|arg| arg == wanted.as_bytes()))
        })
        .collect()
}

/// GET `path` as JSON.
pub fn get_json(c: &Client, path: &str) -> serde_json::Value {
    c.call("GET", path, None)
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// The state of task `id`.
pub fn task_state(c: &Client, id: &str) -> String {
    get_json(c, &format!("/tasks/{id}"))["state"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A scratch directory kept on failure (its path is printed).
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("simctl-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The simulator's placements of tasks of `cpus` cores (64 MiB each) on nodes of `caps` cores and
/// `mem_mib` MiB (10 GiB disk), with the scheduler and failover of manager configuration `config`:
/// same order, one decision per arrival, nothing ending. What the manager must do too.
pub fn simulated_placements(config: &str, caps: &[u64], mem_mib: u64, cpus: &[f64]) -> Vec<u32> {
    use simctl::cluster::{Cluster, NodeGroup};
    use simctl::control::{Command, ControlConfig, ControlPlane};
    use simctl::resources::Resources;
    let groups: Vec<NodeGroup> = caps
        .iter()
        .enumerate()
        .map(|(i, &c)| NodeGroup {
            name: format!("w{i}"),
            count: 1,
            capacity: Resources::new(c as f64, mem_mib << 20, 10 << 30),
            speed: 1.0,
            domain: format!("w{i}"),
            start_delay: None,
            power: None,
            gpu_model: None,
        })
        .collect();
    let cfg = simctl::orchestrator::manager::config::ManagerConfig::parse(config).unwrap();
    let control = ControlConfig {
        warmup: simctl::time::SimTime::ZERO,
        mode: cfg.dispatch,
        check_invariants: true,
        failover: std::sync::Arc::new(cfg.failover.policy.clone()),
        pin_services: false,
        detection: simctl::time::SimDuration::ZERO,
        health_check: simctl::time::SimDuration::ZERO,
        preempt: cfg.scheduler.preempt,
        bounded_slowdown_tau: simctl::time::SimDuration::from_secs(10),
        record_rows: false,
    };
    let sched = simctl::sched::build_scheduler(&cfg.scheduler, simctl::rng::stream(1, "scheduler"));
    let mut cp = ControlPlane::new(control, Cluster::new(&groups), sched, false);
    let mut out = Vec::new();
    for (i, &cpu) in cpus.iter().enumerate() {
        let spec = simctl::workload::TaskSpec {
            id: simctl::ids::TaskId(i as u64 + 1),
            job: simctl::ids::JobId(i as u64 + 1),
            arrival: simctl::time::SimTime::ZERO,
            duration: simctl::time::SimDuration::from_secs(3600),
            requested_duration: None,
            demand: Resources::new(cpu, 64 << 20, 0),
            priority: 0,
            kind: simctl::workload::TaskKind::Batch,
            user: 0,
            deadline: None,
            depends_on: vec![],
            observed: None,
            class: 0,
            not_before: None,
        };
        cp.submit(spec);
        cp.decide();
        for c in cp.take_commands() {
            if let Command::Start { node, .. } = c {
                out.push(node.0);
            }
        }
    }
    out
}

//! The orchestrator for real: a `simctl serve` manager, three `simctl worker` agents (processes on
//! 127.0.0.2-4, each with its own capacity budget) and the real Docker engine. Tasks submitted
//! over the API run as containers on the worker the scheduler chose (the simulator's choice from
//! the same state); a failing health check restarts a task; a worker killed with SIGKILL has its
//! tasks finished elsewhere, never two containers of a task at once; a manager killed with
//! SIGKILL and restarted loses no accepted task; stopping a task stops its container.
//!
//! Prints a notice and returns early where `docker info` fails (`.ci/run` runs it where it
//! succeeds). Only containers labelled with this test's worker names are touched.

mod common;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::orch::{
    event_watchers_of, get_json, simulated_placements, task_state, wait_for, ManagerProc,
};
use simctl::http::Client;

const CONFIG: &str = "[manager]\nheartbeat = \"200ms\"\ndetection = \"3s\"\n\
[[scheduler]]\nname = \"spread\"\nplacement = \"least-allocated\"\n\
[failover]\npolicy = \"resubmit\"\nmax_attempts = 6\n";

fn docker_ok() -> bool {
    Command::new("docker")
        .arg("info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("docker runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A free port on `ip`.
fn free_port(ip: &str) -> u16 {
    TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `simctl worker`.
struct WorkerProc {
    name: String,
    child: Child,
    args: Vec<String>,
}

impl WorkerProc {
    fn start(manager: &str, ip: &str, name: &str, dir: &Path) -> WorkerProc {
        let port = free_port(ip);
        let args: Vec<String> = [
            "worker",
            "--manager",
            manager,
            "--listen",
            &format!("{ip}:{port}"),
            "--cpu",
            "2",
            "--memory",
            "1GiB",
            "--disk",
            "10GiB",
            "--name",
            name,
            "--heartbeat",
            "200ms",
            "--lease",
            "1500ms",
            "--state-dir",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([dir.join(name).display().to_string()])
        .collect();
        let child = spawn(&args, dir, name);
        WorkerProc {
            name: name.to_string(),
            child,
            args,
        }
    }

    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn restart(&mut self, dir: &Path) {
        self.kill9();
        self.child = spawn(&self.args, dir, &self.name);
    }
}

fn spawn(args: &[String], dir: &Path, name: &str) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{name}.log")))
        .unwrap();
    Command::new(env!("CARGO_BIN_EXE_simctl"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("simctl worker starts")
}

impl Drop for WorkerProc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Removes every container of this test's workers, even when the test fails.
struct Cleanup(Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for name in &self.0 {
            let ids = docker(&[
                "ps",
                "-aq",
                "--filter",
                &format!("label=simctl.worker={name}"),
            ]);
            let ids: Vec<&str> = ids.split_whitespace().collect();
            if !ids.is_empty() {
                let mut a = vec!["rm", "-f"];
                a.extend(ids);
                docker(&a);
            }
        }
    }
}

/// Containers (running or not) of task `id`, with their launch label.
fn containers_of(task: &str, worker_prefix: &str) -> Vec<(String, String)> {
    docker(&[
        "ps",
        "-a",
        "--filter",
        &format!("label=simctl.task={task}"),
        "--format",
        "{{.Label \"simctl.launch\"}} {{.Label \"simctl.worker\"}} {{.State}}",
    ])
    .lines()
    .filter(|l| l.contains(worker_prefix))
    .map(|l| {
        let mut p = l.split_whitespace();
        (
            p.next().unwrap_or("").to_string(),
            p.next().unwrap_or("").to_string(),
        )
    })
    .collect()
}

/// From the engine's own events: per container of task `task`, its (start, die) times in
/// seconds (die = infinity while it runs).
fn lifetimes(task: &str, since: u64) -> BTreeMap<String, (f64, f64)> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    let out = docker(&[
        "events",
        "--since",
        &since.to_string(),
        "--until",
        &now.to_string(),
        "--filter",
        "type=container",
        "--filter",
        &format!("label=simctl.task={task}"),
        "--format",
        "{{.Action}} {{.Actor.Attributes.name}} {{.TimeNano}}",
    ]);
    let mut m: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for line in out.lines() {
        let p: Vec<&str> = line.split_whitespace().collect();
        if p.len() != 3 {
            continue;
        }
        let t = p[2].parse::<f64>().unwrap_or(0.0) / 1e9;
        let e = m
            .entry(p[1].to_string())
            .or_insert((f64::NAN, f64::INFINITY));
        match p[0] {
            "start" => e.0 = t,
            "die" => e.1 = e.1.min(t),
            _ => {}
        }
    }
    m
}

/// No two containers of a task ran at the same time.
fn assert_never_twice(task: &str, since: u64) -> usize {
    let l: Vec<(String, (f64, f64))> = lifetimes(task, since)
        .into_iter()
        .filter(|(_, (s, _))| s.is_finite())
        .collect();
    for i in 0..l.len() {
        for j in i + 1..l.len() {
            let (a, b) = (&l[i].1, &l[j].1);
            assert!(
                a.1 <= b.0 || b.1 <= a.0,
                "task {task}: containers {} {:?} and {} {:?} overlap",
                l[i].0,
                a,
                l[j].0,
                b
            );
        }
    }
    l.len()
}

/// The workers' logs.
fn logs(dir: &Path, names: &[String]) -> String {
    names
        .iter()
        .map(|n| {
            format!(
                "--- {n}\n{}",
                std::fs::read_to_string(dir.join(format!("{n}.log"))).unwrap_or_default()
            )
        })
        .collect()
}

fn submit(c: &Client, body: serde_json::Value) -> String {
    let v: serde_json::Value = c.call("POST", "/tasks", Some(&body)).unwrap();
    v["id"].as_str().unwrap().to_string()
}

fn wait_state(c: &Client, id: &str, state: &str, secs: u64) {
    wait_for(
        Duration::from_secs(secs),
        &format!("{id} to be {state}"),
        || (task_state(c, id) == state).then_some(()),
    );
}

#[test]
fn real_manager_workers_and_containers() {
    if !docker_ok() {
        eprintln!("notice: `docker info` failed: orchestrator Docker test skipped");
        return;
    }
    // The burn image first (built once from the static binary), so the workers find it.
    let out = Command::new(env!("CARGO_BIN_EXE_simctl"))
        .args(["docker", "image"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let burn = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .saturating_sub(1);

    let dir = tempfile::tempdir().unwrap();
    let tag = format!("ot{}", std::process::id());
    let names: Vec<String> = (0..3).map(|i| format!("{tag}-w{i}")).collect();
    let _cleanup = Cleanup(names.clone());
    let mut m = ManagerProc::start(dir.path(), "127.0.0.1:0", CONFIG, None);
    let c = m.client(None);
    let mut workers: Vec<WorkerProc> = Vec::new();
    for (i, n) in names.iter().enumerate() {
        workers.push(WorkerProc::start(
            &m.url,
            &format!("127.0.0.{}", i + 2),
            n,
            dir.path(),
        ));
        // Registration order fixes node order, as in the simulation.
        wait_for(Duration::from_secs(120), "the worker to register", || {
            let nodes = get_json(&c, "/nodes");
            (nodes.as_array().unwrap().len() == i + 1).then_some(())
        });
    }

    // 1. Placement: the scheduler's choices, each task a container with hard limits and labels.
    let cpus = [0.5, 0.25, 0.5, 0.75, 0.25];
    let mut ids = Vec::new();
    for &cpu in &cpus {
        let id = submit(
            &c,
            serde_json::json!({"cpu": cpu, "memory": "64MiB", "duration": "40s"}),
        );
        wait_state(&c, &id, "running", 60);
        ids.push(id);
    }
    let placed: Vec<u32> = ids
        .iter()
        .map(|id| {
            let node = get_json(&c, &format!("/tasks/{id}"))["node"]
                .as_str()
                .unwrap()
                .to_string();
            names.iter().position(|n| *n == node).unwrap() as u32
        })
        .collect();
    assert_eq!(
        placed,
        simulated_placements(CONFIG, &[2, 2, 2], 1024, &cpus),
        "manager vs simulator"
    );
    for (id, &p) in ids.iter().zip(&placed) {
        let cs = containers_of(id, &tag);
        assert_eq!(cs.len(), 1, "{id}: {cs:?}");
        assert_eq!(
            cs[0].1, names[p as usize],
            "{id} runs on the worker the scheduler chose"
        );
        let inspect = docker(&[
            "inspect",
            "--format",
            "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}",
            &format!("simctl-{}-l{}", names[p as usize], cs[0].0),
        ]);
        let cpu = cpus[ids.iter().position(|x| x == id).unwrap()];
        assert_eq!(
            inspect.trim(),
            format!("{} {}", (cpu * 1e9) as u64, 64u64 << 20),
            "{id} limits"
        );
    }

    // 2. Stop: its container goes away.
    let stopped: serde_json::Value = c
        .call("DELETE", &format!("/tasks/{}", ids[0]), None)
        .unwrap();
    assert_eq!(stopped["state"], "stopped");
    wait_for(
        Duration::from_secs(30),
        "the stopped task's container to go",
        || containers_of(&ids[0], &tag).is_empty().then_some(()),
    );

    // 3. A failing health check restarts the task (on a new container).
    let sick = submit(
        &c,
        serde_json::json!({
            "image": burn, "command": ["burn", "--seconds", "60", "--cpu", "0.1", "--serve-health", "0.0.0.0:8080", "--unhealthy-after", "1"],
            "cpu": 0.25, "memory": "32MiB", "duration": "60s",
            "health": {"path": "/health", "port": 8080, "interval": "300ms", "timeout": "300ms", "threshold": 2, "grace": "300ms"}
        }),
    );
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        let t = get_json(&c, &format!("/tasks/{sick}"));
        if t["attempts"].as_u64().unwrap_or(0) >= 2 && t["state"] == "running" {
            break;
        }
        if Instant::now() > end {
            panic!(
                "the unhealthy task was not restarted: {t}\n{}\n{}",
                m.log(),
                logs(dir.path(), &names)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let t = get_json(&c, &format!("/tasks/{sick}"));
    assert!(
        t["last_health"]
            .as_str()
            .unwrap_or("")
            .starts_with("unhealthy"),
        "{t}"
    );
    assert!(t.to_string().contains("health check failed"), "{t}");
    let _: serde_json::Value = c.call("DELETE", &format!("/tasks/{sick}"), None).unwrap();

    // 4. A worker killed with SIGKILL: its tasks finish elsewhere, never twice at once.
    let short = submit(
        &c,
        serde_json::json!({"cpu": 0.5, "memory": "64MiB", "duration": "8s"}),
    );
    wait_state(&c, &short, "running", 60);
    let node = get_json(&c, &format!("/tasks/{short}"))["node"]
        .as_str()
        .unwrap()
        .to_string();
    let victim = names.iter().position(|n| *n == node).unwrap();
    let on_victim: Vec<String> = ids
        .iter()
        .zip(&placed)
        .skip(1)
        .filter(|(_, &p)| p as usize == victim)
        .map(|(id, _)| id.clone())
        .chain([short.clone()])
        .collect();
    let killed_at = Instant::now();
    assert!(
        !event_watchers_of(&names[victim]).is_empty(),
        "the worker watches its containers' events"
    );
    workers[victim].kill9();
    // No destructor ran, yet its `docker events` watcher must not outlive it.
    wait_for(
        Duration::from_secs(10),
        "the killed worker's event watcher to end",
        || event_watchers_of(&names[victim]).is_empty().then_some(()),
    );
    wait_state(&c, &short, "completed", 90);
    let t = get_json(&c, &format!("/tasks/{short}"));
    assert_eq!(t["attempts"], 2, "{t}");
    assert_ne!(t["node"], node.as_str(), "{t}");
    assert!(
        killed_at.elapsed() >= Duration::from_secs(3),
        "not before the detection delay"
    );
    for id in &on_victim {
        wait_for(
            Duration::from_secs(60),
            "the victim's tasks to move",
            || {
                let t = get_json(&c, &format!("/tasks/{id}"));
                (t["state"] == "completed"
                    || (t["state"] == "running" && t["node"] != node.as_str()))
                .then_some(())
            },
        );
    }
    // The fence removed the dead worker's containers.
    assert!(docker(&[
        "ps",
        "-q",
        "--filter",
        &format!("label=simctl.worker={node}")
    ])
    .trim()
    .is_empty());
    let nodes = get_json(&c, "/nodes");
    assert!(nodes.to_string().contains("\"down\""), "{nodes}");
    // A restarted worker (same name) comes back up and gets work again.
    workers[victim].restart(dir.path());
    wait_for(Duration::from_secs(60), "the worker to be back", || {
        let nodes = get_json(&c, "/nodes");
        nodes
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["state"] == "up")
            .then_some(())
    });

    // 5. The manager killed with SIGKILL and restarted on the same store: nothing accepted is
    // lost; running containers are adopted, not started again.
    let more: Vec<String> = (0..4)
        .map(|_| {
            submit(
                &c,
                serde_json::json!({"cpu": 0.25, "memory": "32MiB", "duration": "6s"}),
            )
        })
        .collect();
    let before = get_json(&c, "/tasks").as_array().unwrap().len();
    let port = m.url.rsplit(':').next().unwrap().to_string();
    m.kill9();
    let m2 = ManagerProc::start(dir.path(), &format!("127.0.0.1:{port}"), CONFIG, None);
    let c2 = m2.client(None);
    assert_eq!(
        get_json(&c2, "/tasks").as_array().unwrap().len(),
        before,
        "no accepted task lost"
    );
    for id in &more {
        wait_state(&c2, id, "completed", 90);
    }
    // Every task of this test: never two containers at once.
    let mut all = ids.clone();
    all.extend([sick, short]);
    all.extend(more.iter().cloned());
    let mut containers = 0;
    for id in &all {
        containers += assert_never_twice(id, since);
    }
    assert!(
        containers >= all.len(),
        "{containers} containers for {} tasks",
        all.len()
    );
    let metrics = String::from_utf8(c2.get("/metrics").unwrap().1).unwrap();
    assert!(metrics.contains("simctl_nodes_up 3"), "{metrics}");
    // Stop the survivors' long tasks so the cleanup has less to do.
    for id in ids.iter().skip(1) {
        let _ = c2.delete(&format!("/tasks/{id}"));
    }
}

//! The manager (`simctl serve`, a real process) against fake workers written here: in-process
//! HTTP servers that speak the worker protocol and "run" a launch by waiting out its burn time.
//! No Docker: this checks the manager's decisions, store, failover, recovery and API; the real
//! workers and containers are in tests/orchestrator_docker.rs.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::orch::{get_json, simulated_placements, task_state, wait_for, ManagerProc};
use simctl::http::{Client, HttpServer, Limits, Request, Response};
use simctl::orchestrator::wire::{
    Capacity, Heartbeat, HeartbeatReply, Launch, LaunchReport, LaunchState, NodeMetrics, Register,
    Registered,
};

const CONFIG: &str = "[manager]\nheartbeat = \"100ms\"\ndetection = \"1s\"\n\
[[scheduler]]\nname = \"spread\"\nplacement = \"least-allocated\"\n\
[failover]\npolicy = \"resubmit\"\nmax_attempts = 5\n";

#[derive(Default)]
struct FakeState {
    /// Every launch received, in order.
    received: Vec<Launch>,
    /// Launches "running": when they end.
    running: BTreeMap<u64, Instant>,
    /// Reports not yet sent.
    outbox: Vec<LaunchReport>,
    /// Stops asked for.
    stopped: Vec<u64>,
}

/// A fake worker.
struct FakeWorker {
    name: String,
    state: Arc<Mutex<FakeState>>,
    alive: Arc<AtomicBool>,
    _server: HttpServer,
}

fn ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

impl FakeWorker {
    /// Registers with the manager at `url` with `cpu` cores and `mem_mib` MiB, then heartbeats
    /// every 100 ms (sending its reports first) until killed.
    fn start(url: &str, name: &str, cpu: u64, mem_mib: u64) -> FakeWorker {
        let state = Arc::new(Mutex::new(FakeState::default()));
        let s = state.clone();
        let server = HttpServer::start(
            "127.0.0.1:0",
            Limits::default(),
            Arc::new(move |r: Request| {
                let mut st = s.lock().unwrap();
                match (r.method.as_str(), r.path.as_str()) {
                    ("POST", "/v1/launches") => {
                        let l: Launch = match r.json() {
                            Ok(l) => l,
                            Err(e) => return e,
                        };
                        let end = Instant::now()
                            + Duration::from_secs_f64(l.burn_seconds.unwrap_or(3600.0));
                        st.running.insert(l.launch, end);
                        st.outbox.push(LaunchReport {
                            launch: l.launch,
                            state: LaunchState::Running,
                            at_ms: ms(),
                        });
                        st.received.push(l.clone());
                        Response::json(202, &serde_json::json!({"launch": l.launch}))
                    }
                    ("DELETE", p) => {
                        let id: u64 = p.rsplit('/').next().unwrap().parse().unwrap();
                        st.running.remove(&id);
                        st.stopped.push(id);
                        Response::json(202, &serde_json::json!({}))
                    }
                    _ => Response::error(404, "no", None),
                }
            }),
        )
        .unwrap();
        let addr = server.addr().to_string();
        let alive = Arc::new(AtomicBool::new(true));
        let client = Client::new(url, None, Duration::from_secs(10)).unwrap();
        let capacity = Capacity {
            cpu_millis: cpu * 1000,
            memory_bytes: mem_mib << 20,
            disk_bytes: 10 << 30,
        };
        let (client2, name2) = (client.clone(), name.to_string());
        let register = move |st: &FakeState| -> Registered {
            let (client, name) = (&client2, &name2);
            let reg = Register {
                name: name.clone(),
                addr: addr.clone(),
                capacity,
                launches: st
                    .running
                    .keys()
                    .map(|&l| LaunchReport {
                        launch: l,
                        state: LaunchState::Running,
                        at_ms: ms(),
                    })
                    .collect(),
            };
            client
                .call(
                    "POST",
                    "/v1/workers",
                    Some(&serde_json::to_value(&reg).unwrap()),
                )
                .unwrap()
        };
        let first = register(&state.lock().unwrap());
        assert_eq!(first.heartbeat_ms, 100);
        let (st, al, n) = (state.clone(), alive.clone(), name.to_string());
        std::thread::spawn(move || {
            while al.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(100));
                if !al.load(Ordering::SeqCst) {
                    return;
                }
                let (reports, running) = {
                    let mut g = st.lock().unwrap();
                    let now = Instant::now();
                    let done: Vec<u64> = g
                        .running
                        .iter()
                        .filter(|(_, e)| **e <= now)
                        .map(|(l, _)| *l)
                        .collect();
                    for l in done {
                        g.running.remove(&l);
                        g.outbox.push(LaunchReport {
                            launch: l,
                            state: LaunchState::Exited { code: 0 },
                            at_ms: ms(),
                        });
                    }
                    (
                        g.outbox.clone(),
                        g.running.keys().copied().collect::<Vec<_>>(),
                    )
                };
                if !reports.is_empty() {
                    let path = format!("/v1/workers/{n}/reports");
                    // Kept until acknowledged; a 404 is followed by the heartbeat's
                    // re-registration, and the reports are sent again after it.
                    if let Ok((200, _)) = client.post_json(&path, &reports) {
                        st.lock()
                            .unwrap()
                            .outbox
                            .drain(..reports.len())
                            .for_each(drop);
                    }
                }
                let hb = Heartbeat {
                    metrics: NodeMetrics::default(),
                    running,
                };
                match client.post_json(&format!("/v1/workers/{n}/heartbeat"), &hb) {
                    Ok((200, body)) => {
                        let r: HeartbeatReply = serde_json::from_slice(&body).unwrap();
                        let mut g = st.lock().unwrap();
                        for l in r.stop {
                            g.running.remove(&l);
                            g.stopped.push(l);
                        }
                    }
                    Ok((404, _)) => {
                        let reg = register(&st.lock().unwrap());
                        let mut g = st.lock().unwrap();
                        for l in reg.stop {
                            g.running.remove(&l);
                            g.stopped.push(l);
                        }
                    }
                    _ => {}
                }
            }
        });
        FakeWorker {
            name: name.to_string(),
            state,
            alive,
            _server: server,
        }
    }

    fn received(&self) -> Vec<Launch> {
        self.state.lock().unwrap().received.clone()
    }

    /// Stops heartbeating and answering (a crash).
    fn crash(&self) {
        self.alive.store(false, Ordering::SeqCst);
    }
}

impl Drop for FakeWorker {
    fn drop(&mut self) {
        self.crash();
    }
}

fn submit(c: &Client, body: serde_json::Value) -> String {
    let v: serde_json::Value = c.call("POST", "/tasks", Some(&body)).unwrap();
    assert_eq!(v["state"], "pending", "{v}");
    v["id"].as_str().unwrap().to_string()
}

#[test]
fn placements_failover_stop_and_restart_with_fake_workers() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = ManagerProc::start(dir.path(), "127.0.0.1:0", CONFIG, None);
    let c = m.client(None);
    // A task submitted before any worker exists waits for one.
    let early = submit(
        &c,
        serde_json::json!({"cpu": 0.5, "memory": "64MiB", "duration": "1h"}),
    );
    let caps = [4u64, 3, 4];
    let workers: Vec<FakeWorker> = caps
        .iter()
        .enumerate()
        .map(|(i, &cpu)| FakeWorker::start(&m.url, &format!("w{i}"), cpu, 4096))
        .collect();
    // Placement: the same decisions as the simulator's control plane from the same state.
    let cpus = [0.5, 1.0, 0.5, 1.5, 0.25, 1.0, 0.5];
    let mut ids = vec![early.clone()];
    wait_for(Duration::from_secs(10), "the early task to start", || {
        (task_state(&c, &early) == "running").then_some(())
    });
    for &cpu in &cpus[1..] {
        ids.push(submit(
            &c,
            serde_json::json!({"cpu": cpu, "memory": "64MiB", "duration": "1h"}),
        ));
        // One decision per arrival, as in the simulation.
        let id = ids.last().unwrap().clone();
        wait_for(Duration::from_secs(10), "the task to start", || {
            (task_state(&c, &id) == "running").then_some(())
        });
    }
    let placed: Vec<u32> = ids
        .iter()
        .map(|id| {
            let node = get_json(&c, &format!("/tasks/{id}"))["node"]
                .as_str()
                .unwrap()
                .to_string();
            node.trim_start_matches('w').parse().unwrap()
        })
        .collect();
    assert_eq!(
        placed,
        simulated_placements(CONFIG, &caps, 4096, &cpus),
        "manager vs simulator"
    );
    // The launch carries the task's demands and the burn time.
    let l = &workers[placed[1] as usize]
        .received()
        .into_iter()
        .find(|l| l.task == ids[1])
        .unwrap();
    assert_eq!(
        (l.cpu_millis, l.memory_bytes, l.image.clone()),
        (1000, 64 << 20, None)
    );
    assert_eq!(l.burn_seconds, Some(3600.0));

    // Stop: the worker is told to stop the launch; the task is stopped, not restarted.
    let stopped: serde_json::Value = c
        .call("DELETE", &format!("/tasks/{}", ids[2]), None)
        .unwrap();
    assert_eq!(stopped["state"], "stopped");
    let w = &workers[placed[2] as usize];
    let launch = w
        .received()
        .iter()
        .find(|l| l.task == ids[2])
        .unwrap()
        .launch;
    wait_for(
        Duration::from_secs(10),
        "the stop to reach the worker",
        || {
            w.state
                .lock()
                .unwrap()
                .stopped
                .contains(&launch)
                .then_some(())
        },
    );
    let again = c
        .call::<serde_json::Value>("DELETE", &format!("/tasks/{}", ids[2]), None)
        .unwrap_err();
    assert!(again.starts_with("409"), "{again}");

    // A worker that stops heartbeating is declared down; its tasks run elsewhere.
    let victim = placed[0] as usize;
    let on_victim: Vec<String> = ids
        .iter()
        .zip(&placed)
        .filter(|(id, &p)| p as usize == victim && **id != ids[2])
        .map(|(id, _)| id.clone())
        .collect();
    assert!(!on_victim.is_empty());
    workers[victim].crash();
    for id in &on_victim {
        wait_for(Duration::from_secs(15), "the task to move", || {
            let t = get_json(&c, &format!("/tasks/{id}"));
            (t["state"] == "running" && t["node"] != workers[victim].name.as_str()).then_some(())
        });
        let t = get_json(&c, &format!("/tasks/{id}"));
        assert_eq!(t["attempts"], 2, "{t}");
        let states: Vec<&str> = t["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["state"].as_str().unwrap())
            .collect();
        assert!(
            states.contains(&"pending") && states.iter().filter(|s| **s == "running").count() == 2,
            "{states:?}"
        );
    }
    let nodes = get_json(&c, "/nodes");
    let down: Vec<&str> = nodes
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["state"] == "down")
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(down, [workers[victim].name.as_str()]);

    // The manager killed with SIGKILL and restarted on the same store: no accepted task is lost,
    // running launches are adopted (not launched again), and short tasks still complete.
    let short = submit(
        &c,
        serde_json::json!({"cpu": 0.25, "memory": "64MiB", "duration": "3s"}),
    );
    wait_for(Duration::from_secs(10), "the short task to run", || {
        (task_state(&c, &short) == "running").then_some(())
    });
    let before: HashMap<String, String> = get_json(&c, "/tasks")
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_string(),
                t["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let launches_before: usize = workers.iter().map(|w| w.received().len()).sum();
    m.kill9();
    // The short task ends while the manager is down: its worker keeps the exit report until the
    // restarted manager takes it, so the task completes without running again.
    std::thread::sleep(Duration::from_secs(4));
    let url = m.url.clone();
    let port = url.rsplit(':').next().unwrap().to_string();
    let m2 = ManagerProc::start(dir.path(), &format!("127.0.0.1:{port}"), CONFIG, None);
    let c2 = m2.client(None);
    let after = get_json(&c2, "/tasks");
    assert_eq!(after.as_array().unwrap().len(), before.len(), "{after}");
    wait_for(
        Duration::from_secs(15),
        "the short task to complete after the restart",
        || (task_state(&c2, &short) == "completed").then_some(()),
    );
    for (id, state) in &before {
        let now = task_state(&c2, id);
        if state == "running" && id != &short {
            assert_eq!(&now, "running", "{id} after the restart");
        }
    }
    let launches_after: usize = workers.iter().map(|w| w.received().len()).sum();
    assert_eq!(
        launches_after, launches_before,
        "a restart must not launch running tasks again"
    );
    let short_detail = get_json(&c2, &format!("/tasks/{short}"));
    assert_eq!(short_detail["attempts"], 1, "{short_detail}");
    assert!(m2.log().contains("resumed"), "{}", m2.log());
}

#[test]
fn tokens_malformed_and_oversized_requests_get_4xx_and_the_manager_lives_on() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "0123456789abcdef-secret\n").unwrap();
    let m = ManagerProc::start(dir.path(), "127.0.0.1:0", CONFIG, Some(&token));
    let anon = m.client(None);
    let wrong = m.client(Some("0123456789abcdef-wrong!"));
    let ok = m.client(Some("0123456789abcdef-secret"));
    for c in [&anon, &wrong] {
        let (s, _) = c.get("/tasks").unwrap();
        assert_eq!(s, 401);
        let (s, _) = c.post_json("/v1/workers", &serde_json::json!({})).unwrap();
        assert_eq!(s, 401, "worker registration needs the token too");
    }
    let cases: Vec<(&[u8], u16)> = vec![
        (b"{not json", 400),
        (br#"{"cpu": 0.5, "gpu": 1, "duration": 1}"#, 400),
        (br#"{"cpu": -1, "duration": 1}"#, 422),
        (br#"{"image": "Bad Image", "duration": 1}"#, 422),
        (br#"{"duration": 1, "privileged": true}"#, 422),
        (br#"{"duration": 1, "mounts": ["/etc:/etc"]}"#, 422),
        (
            br#"{"image": "busybox", "command": "sh -c 'rm -rf /'"}"#,
            400,
        ),
        (br#"[1, 2, 3]"#, 400),
    ];
    for (body, status) in cases {
        let (s, out) = ok.send("POST", "/tasks", Some(body)).unwrap();
        let text = String::from_utf8_lossy(&out);
        assert_eq!(s, status, "{}: {text}", String::from_utf8_lossy(body));
        assert!(text.contains("\"error\""), "{text}");
    }
    let (s, out) = ok
        .send("POST", "/tasks", Some(br#"{"cpu": 5000, "duration": 1}"#))
        .unwrap();
    assert_eq!(s, 422);
    assert!(String::from_utf8_lossy(&out).contains("\"field\":\"cpu\""));
    let huge = vec![b' '; 300 * 1024];
    assert_eq!(ok.send("POST", "/tasks", Some(&huge)).unwrap().0, 413);
    assert_eq!(ok.get("/tasks?state=bogus").unwrap().0, 400);
    assert_eq!(ok.get("/tasks/t999").unwrap().0, 404);
    assert_eq!(ok.get("/nope").unwrap().0, 404);
    assert_eq!(ok.send("PUT", "/tasks", None).unwrap().0, 405);
    // Raw garbage on the socket.
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(ok.addr()).unwrap();
    s.write_all(b"\x00\x01garbage\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    // Still alive and answering.
    let h = get_json(&ok, "/health");
    assert_eq!(h["status"], "ok");
    // A non-loopback address without a token is refused before anything starts.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_simctl"))
        .args(["serve", "--listen", "0.0.0.0:0", "--db"])
        .arg(dir.path().join("x.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--token-file"));
}

#[test]
fn a_thousand_submissions_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let m = ManagerProc::start(dir.path(), "127.0.0.1:0", CONFIG, None);
    let _w: Vec<FakeWorker> = (0..3)
        .map(|i| FakeWorker::start(&m.url, &format!("w{i}"), 64, 65536))
        .collect();
    let n = 1000;
    let threads = 4;
    let lat = Arc::new(Mutex::new(Vec::new()));
    let ids = Arc::new(Mutex::new(Vec::new()));
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (lat, ids, c) = (lat.clone(), ids.clone(), m.client(None));
            s.spawn(move || {
                for _ in 0..n / threads {
                    let t = Instant::now();
                    let v: serde_json::Value = c
                        .call("POST", "/tasks", Some(&serde_json::json!({"cpu": 0.1, "memory": "16MiB", "duration": "200ms"})))
                        .unwrap();
                    lat.lock().unwrap().push(t.elapsed().as_secs_f64());
                    ids.lock().unwrap().push(v["id"].as_str().unwrap().to_string());
                }
            });
        }
    });
    let wall = t0.elapsed().as_secs_f64();
    let c = m.client(None);
    let ids = ids.lock().unwrap().clone();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), n, "every submission got its own id");
    wait_for(Duration::from_secs(120), "all tasks to complete", || {
        let done = get_json(&c, "/tasks?state=completed&limit=10000")
            .as_array()
            .unwrap()
            .len();
        (done == n).then_some(())
    });
    let all = get_json(&c, "/tasks?limit=10000");
    assert_eq!(all.as_array().unwrap().len(), n);
    let mut l = lat.lock().unwrap().clone();
    l.sort_by(f64::total_cmp);
    let q = |p: f64| l[((l.len() as f64 * p) as usize).min(l.len() - 1)] * 1000.0;
    let metrics = String::from_utf8(m.client(None).get("/metrics").unwrap().1).unwrap();
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find(|x| x.starts_with(name) && x[name.len()..].starts_with(' '))
            .and_then(|x| x.rsplit(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from /metrics:\n{metrics}"))
    };
    let (decisions, decide_s) = (
        value("simctl_scheduler_decisions_total"),
        value("simctl_manager_decide_seconds_total"),
    );
    let (tx, commit_s) = (
        value("simctl_manager_transactions_total"),
        value("simctl_manager_commit_seconds_total"),
    );
    assert!(decisions >= 1.0 && decide_s > 0.0);
    println!(
        "LOAD: {n} submissions from {threads} threads in {wall:.2} s ({:.0}/s); API latency p50 {:.1} ms, p99 {:.1} ms; \
         {decisions} scheduler decisions in {decide_s:.3} s of deciding ({:.0} decisions/s); \
         {tx} transactions, {:.2} ms per commit",
        n as f64 / wall,
        q(0.5),
        q(0.99),
        decisions / decide_s,
        1000.0 * commit_s / tx
    );
}

/// `simctl submit`, `simctl tasks` and `simctl stop` against a manager with one fake worker.
#[test]
fn the_thin_client_submits_lists_shows_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let m = ManagerProc::start(dir.path(), "127.0.0.1:0", CONFIG, None);
    let _w = FakeWorker::start(&m.url, "w0", 4, 4096);
    let file = dir.path().join("tasks.toml");
    std::fs::write(
        &file,
        "[[task]]\nname = \"short\"\ncpu = 0.5\nmemory = \"64MiB\"\nduration = \"200ms\"\n\n\
         [[task]]\nname = \"long\"\ncpu = 1\nmemory = \"128MiB\"\nduration = \"1h\"\npriority = 2\n",
    )
    .unwrap();
    let simctl = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_simctl"))
            .args(args)
            .args(["--manager", &m.url])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = simctl(&["submit", file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let ids: Vec<&str> = out
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        out.lines()
            .map(|l| l.split_whitespace().nth(1).unwrap())
            .collect::<Vec<_>>(),
        ["pending", "pending"]
    );
    let c = m.client(None);
    wait_for(
        Duration::from_secs(10),
        "the short task to complete",
        || (task_state(&c, ids[0]) == "completed").then_some(()),
    );
    let (code, out, _) = simctl(&["tasks"]);
    assert_eq!(code, Some(0));
    assert!(
        out.lines()
            .any(|l| l.starts_with(ids[0]) && l.contains("completed") && l.contains("short")),
        "{out}"
    );
    let (_, out, _) = simctl(&["tasks", "--state", "completed"]);
    assert_eq!(out.lines().count(), 2, "header and one task: {out}");
    let (code, out, _) = simctl(&["tasks", ids[0]]);
    assert_eq!(code, Some(0));
    for state in ["pending", "starting", "running", "completed"] {
        assert!(out.contains(state), "{out}");
    }
    let (code, out, _) = simctl(&["stop", ids[1]]);
    assert_eq!(
        (code, out.trim()),
        (Some(0), format!("{} stopped", ids[1]).as_str())
    );
    // Errors: exit 1 with the manager's message; a bad file is refused before anything is sent.
    let (code, _, err) = simctl(&["stop", ids[1]]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("409") && err.contains("already ended"),
        "{err}"
    );
    std::fs::write(&file, "cpu = 0.5\nmemory = \"lots\"\nduration = 1\n").unwrap();
    let (code, _, err) = simctl(&["submit", file.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(err.contains("memory"), "{err}");
    assert_eq!(
        get_json(&c, "/tasks").as_array().unwrap().len(),
        2,
        "nothing was submitted"
    );
}

//! The worker agent (`simctl worker`, the real binary) against a FAKE manager written here (the
//! crate's own HTTP server, recording what it receives) and the REAL Docker engine: registration
//! carries the capacity; launches run with their limits and labels and their exits are reported
//! (an exit seen while the manager refuses reports is delivered later, and its container kept
//! until then); health failures are reported; DELETE stops a container; the worker API refuses
//! malformed, oversized and unauthenticated requests; a worker killed with SIGKILL has its
//! containers removed by its fence once the lease ends, unless a restarted worker took them over.
//!
//! Every test prints a notice and returns where `docker info` fails. The first run builds the
//! static `simctl` (the burn image) with cargo, which takes minutes; the worker does it at
//! startup, so the first registration may take that long. Containers are removed by a drop guard
//! (by the `simctl.worker` label of the test's own worker names, all starting with `wkt-`).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use simctl::http::{Client, HttpServer, Limits, Request, Response};
use simctl::orchestrator::wire::{
    HealthCheck, Heartbeat, HeartbeatReply, Launch, LaunchReport, LaunchState, Register, Registered,
};

const BIN: &str = env!("CARGO_BIN_EXE_simctl");
/// The first start builds the static binary and the image: minutes.
const FIRST_REGISTRATION: Duration = Duration::from_secs(900);
/// A hang guard for reports, not a timing assertion.
const REPORT_WAIT: Duration = Duration::from_secs(60);

static LOCK: Mutex<()> = Mutex::new(());

fn docker_or_skip() -> Option<MutexGuard<'static, ()>> {
    let lock = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let ok = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("notice: worker tests skipped: `docker info` fails (no Docker engine)");
        return None;
    }
    Some(lock)
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Removes every container of worker `name` when dropped (even after a failed assertion).
struct Containers(String);

impl Drop for Containers {
    fn drop(&mut self) {
        let ids = docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=simctl.worker={}", self.0),
        ]);
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if !ids.is_empty() {
            let mut a = vec!["rm", "-f"];
            a.extend(&ids);
            docker(&a);
        }
    }
}

fn container_exists(name: &str) -> bool {
    !docker(&["ps", "-aq", "--filter", &format!("name=^{name}$")])
        .trim()
        .is_empty()
}

fn container_running(name: &str) -> bool {
    !docker(&["ps", "-q", "--filter", &format!("name=^{name}$")])
        .trim()
        .is_empty()
}

/// What the fake manager received.
#[derive(Default)]
struct Seen {
    registrations: Vec<Register>,
    heartbeats: Vec<Heartbeat>,
    reports: Vec<LaunchReport>,
}

/// How the fake manager behaves.
#[derive(Default)]
struct Ctl {
    refuse_reports: bool,
    forget_once: bool,
}

struct FakeManager {
    server: HttpServer,
    seen: Arc<Mutex<Seen>>,
    ctl: Arc<Mutex<Ctl>>,
}

impl FakeManager {
    fn start(token: Option<&str>) -> FakeManager {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let ctl = Arc::new(Mutex::new(Ctl::default()));
        let (s, c) = (Arc::clone(&seen), Arc::clone(&ctl));
        let token = token.map(String::from);
        let server = HttpServer::start(
            "127.0.0.1:0",
            Limits::default(),
            Arc::new(move |req: Request| handle(&s, &c, token.as_deref(), &req)),
        )
        .unwrap();
        FakeManager { server, seen, ctl }
    }

    fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    fn seen(&self) -> MutexGuard<'_, Seen> {
        self.seen.lock().unwrap()
    }

    /// Waits until `pred` holds of what was received.
    fn wait(&self, within: Duration, what: &str, pred: impl Fn(&Seen) -> bool) {
        let t0 = Instant::now();
        while t0.elapsed() < within {
            if pred(&self.seen()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("waited {within:?} for {what}");
    }

    fn report_of(&self, launch: u64, pred: impl Fn(&LaunchState) -> bool) -> Option<LaunchState> {
        self.seen()
            .reports
            .iter()
            .find(|r| r.launch == launch && pred(&r.state))
            .map(|r| r.state.clone())
    }

    fn wait_report(
        &self,
        launch: u64,
        what: &str,
        pred: impl Fn(&LaunchState) -> bool,
    ) -> LaunchState {
        self.wait(REPORT_WAIT, what, |s| {
            s.reports
                .iter()
                .any(|r| r.launch == launch && pred(&r.state))
        });
        self.report_of(launch, pred).unwrap()
    }
}

fn handle(seen: &Mutex<Seen>, ctl: &Mutex<Ctl>, token: Option<&str>, req: &Request) -> Response {
    if !simctl::http::token_matches(req, token) {
        return Response::error(401, "token", None);
    }
    let path = req.path.as_str();
    if path == "/v1/workers" {
        let reg: Register = match req.json() {
            Ok(r) => r,
            Err(e) => return e,
        };
        seen.lock().unwrap().registrations.push(reg);
        return Response::json(
            200,
            &Registered {
                heartbeat_ms: 200,
                stop: vec![],
            },
        );
    }
    if path.ends_with("/heartbeat") {
        let mut c = ctl.lock().unwrap();
        if c.forget_once {
            c.forget_once = false;
            return Response::error(404, "unknown worker", None);
        }
        let hb: Heartbeat = match req.json() {
            Ok(h) => h,
            Err(e) => return e,
        };
        seen.lock().unwrap().heartbeats.push(hb);
        return Response::json(200, &HeartbeatReply { stop: vec![] });
    }
    if path.ends_with("/reports") {
        if ctl.lock().unwrap().refuse_reports {
            return Response::error(503, "down for the test", None);
        }
        let rs: Vec<LaunchReport> = match req.json() {
            Ok(r) => r,
            Err(e) => return e,
        };
        seen.lock().unwrap().reports.extend(rs);
        return Response::json(200, &serde_json::json!({}));
    }
    Response::error(404, "no route", None)
}

/// A `simctl worker` process; SIGKILLed when dropped.
struct Worker {
    child: Child,
    log: PathBuf,
}

impl Worker {
    fn start(manager: &str, name: &str, listen: SocketAddr, dir: &Path, extra: &[&str]) -> Worker {
        static STARTS: AtomicUsize = AtomicUsize::new(0);
        let log = dir.join(format!(
            "agent-{}.log",
            STARTS.fetch_add(1, Ordering::SeqCst)
        ));
        let f = std::fs::File::create(&log).unwrap();
        let child = Command::new(BIN)
            .args(["worker", "--manager", manager])
            .args(["--listen", &listen.to_string()])
            .args(["--cpu", "2", "--memory", "2GiB", "--disk", "10GiB"])
            .args(["--name", name])
            .arg("--state-dir")
            .arg(dir)
            .args(["--heartbeat", "200ms"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(f.try_clone().unwrap())
            .stderr(f)
            .spawn()
            .unwrap();
        Worker { child, log }
    }

    fn sigkill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.sigkill();
        if std::thread::panicking() {
            eprintln!("--- worker log ---\n{}", self.log());
        }
    }
}

fn free_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

fn burn_launch(id: u64, seconds: f64) -> Launch {
    Launch {
        launch: id,
        task: format!("task-{id}"),
        attempt: 1,
        image: None,
        args: vec![],
        env: BTreeMap::new(),
        cpu_millis: 500,
        memory_bytes: 64 << 20,
        burn_seconds: Some(seconds),
        ports: vec![],
        health: None,
    }
}

fn image_launch(id: u64, image: &str, args: &[&str]) -> Launch {
    Launch {
        image: Some(image.to_string()),
        args: args.iter().map(|s| s.to_string()).collect(),
        burn_seconds: None,
        cpu_millis: 200,
        memory_bytes: 32 << 20,
        ..burn_launch(id, 0.0)
    }
}

/// One raw request to `addr`; the answer's status code.
fn raw_status(addr: SocketAddr, bytes: &[u8]) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(bytes);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    simctl::runner::probe::parse_status_line(&out).unwrap_or(0)
}

#[test]
fn launches_run_with_limits_and_their_fates_are_reported() {
    let Some(_lock) = docker_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "wkt-secret\n").unwrap();
    let manager = FakeManager::start(Some("wkt-secret"));
    let name = format!("wkt-a{}", std::process::id());
    let _containers = Containers(name.clone());
    let listen = free_addr();
    let worker = Worker::start(
        &manager.url(),
        &name,
        listen,
        dir.path(),
        &["--token-file", token_file.to_str().unwrap()],
    );
    manager.wait(FIRST_REGISTRATION, "the registration", |s| {
        !s.registrations.is_empty()
    });
    {
        let seen = manager.seen();
        let reg = &seen.registrations[0];
        assert_eq!(reg.name, name);
        assert_eq!(reg.addr, listen.to_string());
        assert_eq!(reg.capacity.cpu_millis, 2000);
        assert_eq!(reg.capacity.memory_bytes, 2 << 30);
        assert_eq!(reg.capacity.disk_bytes, 10 << 30);
        assert!(reg.launches.is_empty());
    }
    let base = format!("http://{listen}");
    let api = Client::new(&base, Some("wkt-secret".into()), Duration::from_secs(10)).unwrap();
    let anon = Client::new(&base, None, Duration::from_secs(10)).unwrap();

    // Refusals: no token, wrong token, malformed, oversized, bad field, unknown route.
    assert_eq!(
        anon.get("/health").unwrap().0,
        200,
        "/health needs no token"
    );
    assert_eq!(anon.get("/v1/launches").unwrap().0, 401);
    assert_eq!(
        anon.post_json("/v1/launches", &burn_launch(99, 1.0))
            .unwrap()
            .0,
        401
    );
    let wrong = Client::new(&base, Some("nope".into()), Duration::from_secs(10)).unwrap();
    assert_eq!(wrong.delete("/v1/launches/1").unwrap().0, 401);
    let auth = "Authorization: Bearer wkt-secret\r\n";
    let garbage = raw_status(listen, b"NOT HTTP AT ALL\r\n\r\n");
    assert!((400..500).contains(&garbage), "garbage got {garbage}");
    let bad_json = format!(
        "POST /v1/launches HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: 5\r\n\r\n{{bad"
    );
    assert_eq!(raw_status(listen, bad_json.as_bytes()), 400);
    let huge =
        format!("POST /v1/launches HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 50000000\r\n\r\n");
    let s = raw_status(listen, huge.as_bytes());
    assert_eq!(s, 413, "an oversized body");
    let mut l = burn_launch(98, 1.0);
    l.cpu_millis = 5000;
    let (status, body) = api.post_json("/v1/launches", &l).unwrap();
    assert_eq!(status, 400);
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["field"], "cpu_millis", "{body}");
    assert_eq!(api.get("/v1/nothing").unwrap().0, 404);
    assert_eq!(api.delete("/v1/launches/12345").unwrap().0, 404);
    assert_eq!(api.delete("/v1/launches/abc").unwrap().0, 400);

    // A burn launch: the burn image with the launch's hard limits and labels.
    let (status, _) = api.post_json("/v1/launches", &burn_launch(1, 3.0)).unwrap();
    assert_eq!(status, 202);
    assert_eq!(
        api.post_json("/v1/launches", &burn_launch(1, 3.0))
            .unwrap()
            .0,
        200,
        "duplicate"
    );
    manager.wait_report(1, "launch 1 running", |s| *s == LaunchState::Running);
    let cname = format!("simctl-{name}-l1");
    let inspect = docker(&[
        "inspect",
        "--format",
        "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.Privileged}} {{.Config.Image}}",
        &cname,
    ]);
    let f: Vec<&str> = inspect.split_whitespace().collect();
    assert_eq!(
        f[..4],
        ["500000000", "67108864", "67108864", "false"],
        "{inspect}"
    );
    let burn_image = f[4].to_string();
    assert!(burn_image.starts_with("simctl-burn:"), "{burn_image}");
    let labels: BTreeMap<String, String> = serde_json::from_str(&docker(&[
        "inspect",
        "--format",
        "{{json .Config.Labels}}",
        &cname,
    ]))
    .unwrap();
    for (k, v) in [
        ("simctl.run", name.as_str()),
        ("simctl.node", name.as_str()),
        ("simctl.worker", name.as_str()),
        ("simctl.task", "task-1"),
        ("simctl.attempt", "1"),
        ("simctl.launch", "1"),
    ] {
        assert_eq!(labels.get(k).map(String::as_str), Some(v), "label {k}");
    }
    let exit = manager.wait_report(1, "launch 1's exit", |s| {
        matches!(s, LaunchState::Exited { .. })
    });
    assert_eq!(exit, LaunchState::Exited { code: 0 });
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        !container_exists(&cname),
        "an acknowledged exit's container is removed"
    );

    // An exit seen while the manager refuses reports is kept (and its container too) until it
    // is delivered.
    manager.ctl.lock().unwrap().refuse_reports = true;
    let l2 = image_launch(
        2,
        &burn_image,
        &["burn", "--seconds", "0.5", "--exit-code", "3"],
    );
    assert_eq!(api.post_json("/v1/launches", &l2).unwrap().0, 202);
    std::thread::sleep(Duration::from_secs(4));
    assert!(manager.report_of(2, |_| true).is_none());
    assert!(
        container_exists(&format!("simctl-{name}-l2")),
        "kept until reported"
    );
    let listed: Vec<LaunchReport> = api.call("GET", "/v1/launches", None).unwrap();
    assert!(
        listed
            .iter()
            .any(|r| r.launch == 2 && r.state == LaunchState::Exited { code: 3 }),
        "{listed:?}"
    );
    manager.ctl.lock().unwrap().refuse_reports = false;
    let exit = manager.wait_report(2, "launch 2's exit", |s| {
        matches!(s, LaunchState::Exited { .. })
    });
    assert_eq!(exit, LaunchState::Exited { code: 3 });

    // A health-checked launch whose /health turns to 500 after a second is reported unhealthy
    // (once), then stopped by DELETE.
    let mut l3 = image_launch(
        3,
        &burn_image,
        &[
            "burn",
            "--seconds",
            "120",
            "--serve-health",
            "0.0.0.0:8080",
            "--unhealthy-after",
            "1",
        ],
    );
    l3.health = Some(HealthCheck {
        http_path: Some("/health".into()),
        port: 8080,
        interval_ms: 200,
        timeout_ms: 200,
        threshold: 3,
        grace_ms: 300,
    });
    let t0 = Instant::now();
    assert_eq!(api.post_json("/v1/launches", &l3).unwrap().0, 202);
    let sick = manager.wait_report(3, "launch 3 unhealthy", |s| {
        matches!(s, LaunchState::Unhealthy { .. })
    });
    // Healthy for 1 s, then three failed probes 200 ms apart: not before 1.4 s.
    assert!(
        t0.elapsed() >= Duration::from_millis(1400),
        "{:?}",
        t0.elapsed()
    );
    assert!(format!("{sick:?}").contains("500"), "{sick:?}");

    // The manager forgets the worker: the next heartbeat's 404 makes it register again,
    // reporting what still runs.
    manager.ctl.lock().unwrap().forget_once = true;
    manager.wait(REPORT_WAIT, "a second registration", |s| {
        s.registrations.len() >= 2
    });
    {
        let seen = manager.seen();
        let again = &seen.registrations[1];
        assert_eq!(
            again
                .launches
                .iter()
                .map(|r| (r.launch, r.state.clone()))
                .collect::<Vec<_>>(),
            vec![(3, LaunchState::Running)]
        );
        let hb = seen.heartbeats.last().unwrap();
        assert_eq!(hb.running, vec![3]);
        assert_eq!(hb.metrics.containers, 1);
        assert!(hb.metrics.memory_total_bytes >= hb.metrics.memory_available_bytes);
        assert!(hb.metrics.memory_total_bytes > 0 && hb.metrics.disk_total_bytes > 0);
        assert!(hb
            .metrics
            .cpu_busy
            .is_some_and(|b| (0.0..=1.0).contains(&b)));
    }
    let c3 = format!("simctl-{name}-l3");
    assert!(container_running(&c3));
    assert_eq!(api.delete("/v1/launches/3").unwrap().0, 200);
    assert!(!container_exists(&c3), "DELETE removes the container");
    manager.wait_report(3, "launch 3 stopped", |s| *s == LaunchState::Stopped);
    std::thread::sleep(Duration::from_millis(600));
    assert!(
        manager
            .report_of(3, |s| matches!(s, LaunchState::Exited { .. }))
            .is_none(),
        "a stopped launch's death is not an exit"
    );
    assert!(manager.seen().heartbeats.last().unwrap().running.is_empty());
    assert!(worker.log().contains("registered"), "{}", worker.log());
}

#[test]
fn a_killed_workers_fence_removes_its_containers_after_the_lease_unless_it_restarts() {
    let Some(_lock) = docker_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let manager = FakeManager::start(None);
    let name = format!("wkt-f{}", std::process::id());
    let _containers = Containers(name.clone());
    let listen = free_addr();
    let lease = Duration::from_secs(2);
    let extra = ["--lease", "2s"];
    let mut w1 = Worker::start(&manager.url(), &name, listen, dir.path(), &extra);
    manager.wait(FIRST_REGISTRATION, "the registration", |s| {
        !s.registrations.is_empty()
    });
    let api = Client::new(&format!("http://{listen}"), None, Duration::from_secs(10)).unwrap();
    assert_eq!(
        api.post_json("/v1/launches", &burn_launch(7, 300.0))
            .unwrap()
            .0,
        202
    );
    manager.wait_report(7, "launch 7 running", |s| *s == LaunchState::Running);
    let cname = format!("simctl-{name}-l7");

    // Killed and restarted at once: the new agent takes the container over, the old fence
    // leaves it alone.
    w1.sigkill();
    let w2 = Worker::start(&manager.url(), &name, listen, dir.path(), &extra);
    manager.wait(REPORT_WAIT, "the second registration", |s| {
        s.registrations.len() >= 2
    });
    assert_eq!(
        manager.seen().registrations[1].launches,
        vec![LaunchReport {
            launch: 7,
            state: LaunchState::Running,
            at_ms: manager.seen().registrations[1].launches[0].at_ms
        }]
    );
    std::thread::sleep(lease + Duration::from_secs(1));
    assert!(container_running(&cname), "the restarted agent owns it now");
    let fence_log = std::fs::read_to_string(dir.path().join("fence.log")).unwrap();
    assert!(fence_log.contains("took over"), "{fence_log}");

    // Killed for good: the container is removed once the lease after the last acknowledged
    // heartbeat ends. Heartbeats come every 200 ms, so that is between lease - 200 ms and
    // lease after the kill, plus the time `docker rm -f` takes.
    let mut w2 = w2;
    w2.sigkill();
    let killed = Instant::now();
    let mut gone = None;
    while killed.elapsed() < lease + Duration::from_secs(10) {
        if !container_exists(&cname) {
            gone = Some(killed.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let gone = gone.unwrap_or_else(|| panic!("the fence did not remove {cname}"));
    eprintln!("container removed {gone:?} after the SIGKILL (lease {lease:?})");
    assert!(
        gone >= lease - Duration::from_millis(400),
        "too early: {gone:?}"
    );
    assert!(gone <= lease + Duration::from_secs(3), "too late: {gone:?}");
    let fence_log = std::fs::read_to_string(dir.path().join("fence.log")).unwrap();
    assert!(fence_log.contains("removed 1 container"), "{fence_log}");
}

#[test]
fn bad_command_lines_exit_1_naming_the_flag() {
    let cases: [(&str, &str, &str); 4] = [
        ("--manager", "127.0.0.1:7878", "--manager"),
        ("--memory", "lots", "--memory"),
        ("--listen", "0.0.0.0:7879", "--token-file"),
        ("--lease", "0s", "--lease"),
    ];
    for (key, value, flag) in cases {
        let mut flags = BTreeMap::from([
            ("--manager", "http://127.0.0.1:7878"),
            ("--listen", "127.0.0.1:7879"),
            ("--cpu", "1"),
            ("--memory", "1GiB"),
            ("--disk", "1GiB"),
        ]);
        flags.insert(key, value);
        let args = flags.iter().flat_map(|(k, v)| [*k, *v]);
        let out = Command::new(BIN).arg("worker").args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{key} {value}: {err}");
        assert!(err.contains(flag), "{key} {value}: {err}");
    }
}

//! `simctl docker run` against the REAL Docker engine: the bundled `docker-small` scenario runs
//! on real containers with every task accounted for, a node crash failed over, an unhealthy task
//! restarted, results close to the simulator's, and no container left behind; a run killed with
//! SIGKILL leaves labelled containers that the next run removes (and a foreign container is never
//! touched); and with deterministic durations the runner places every task where the simulator
//! does.
//!
//! Each test prints a notice and returns early where `docker info` fails. The tests run one at a
//! time (a lock): each runs real containers for tens of seconds.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

mod common;

static LOCK: Mutex<()> = Mutex::new(());

fn engine() -> Option<MutexGuard<'static, ()>> {
    let lock = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let ok = Command::new("docker")
        .arg("info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Some(lock)
    } else {
        eprintln!("notice: `docker info` failed: docker run tests skipped");
        None
    }
}

fn simctl(args: &[&str]) -> (i32, String, String) {
    let out = common::simctl().args(args).output().expect("simctl runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().expect("docker");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Names of the containers labelled simctl.run.
fn simctl_containers() -> Vec<String> {
    docker(&[
        "ps",
        "-a",
        "--filter",
        "label=simctl.run",
        "--format",
        "{{.Names}}",
    ])
    .lines()
    .map(str::to_string)
    .collect()
}

/// A container with no simctl label, made from any local image (it is never started).
struct Foreign(String);

impl Foreign {
    fn create() -> Foreign {
        let image = docker(&[
            "images",
            "--filter",
            "label=simctl.image=true",
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ]);
        let image = image
            .lines()
            .next()
            .expect("the burn image exists")
            .to_string();
        let name = format!("foreign-{}", std::process::id());
        docker(&["create", "--name", &name, &image, "burn", "--seconds", "1"]);
        Foreign(name)
    }

    fn exists(&self) -> bool {
        docker(&["ps", "-a", "--filter", &format!("name=^{}$", self.0), "-q"])
            .trim()
            .len()
            > 1
    }
}

impl Drop for Foreign {
    fn drop(&mut self) {
        docker(&["rm", "-f", &self.0]);
    }
}

/// Starts `simctl docker run FILE --quiet --out OUT` in the background and waits (bounded: a hang
/// guard, not a timing assertion) until at least two containers of it run.
fn start_in_background(file: &Path, out: &Path, stderr: Stdio) -> std::process::Child {
    let child = common::simctl()
        .args(["docker", "run", file.to_str().unwrap(), "--quiet", "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while simctl_containers().len() < 2 {
        assert!(Instant::now() < deadline, "the run started no container");
        std::thread::sleep(Duration::from_millis(200));
    }
    child
}

fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            headers
                .iter()
                .zip(rec.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn num(row: &BTreeMap<String, String>, key: &str) -> f64 {
    row[key]
        .parse()
        .unwrap_or_else(|_| panic!("{key}: {}", row[key]))
}

#[test]
fn docker_small_runs_on_real_containers_like_the_simulator() {
    let Some(_lock) = engine() else { return };
    // The image is built on the first run; make sure it exists before the foreign container.
    let (code, _, err) = simctl(&["docker", "image"]);
    assert_eq!(code, 0, "{err}");
    let foreign = Foreign::create();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/docker-small.toml");
    let (code, stdout, err) = simctl(&["docker", "run", scenario, "--out", out, "--quiet"]);
    assert_eq!(code, 0, "{stdout}{err}");
    let real_dir = dir.path().join("docker-small-docker");
    let real = &read_csv(&real_dir.join("summary.csv"))[0];
    assert_eq!(real["mode"], "docker");
    // Every task accounted for: all 24 completed, each exactly once.
    assert_eq!(num(real, "tasks_submitted"), 24.0);
    assert_eq!(num(real, "tasks_completed"), 24.0);
    let rows = read_csv(&real_dir.join("tasks.csv"));
    let mut completed: Vec<u64> = rows
        .iter()
        .filter(|r| r["outcome"] == "completed")
        .map(|r| r["task_id"].parse().unwrap())
        .collect();
    completed.sort();
    assert_eq!(completed, (0..24).collect::<Vec<u64>>());
    // The crash of node 1 at 16 s interrupted a task, which then completed on another node.
    let crashed: Vec<_> = rows
        .iter()
        .filter(|r| r["outcome"] == "interrupted" && r["node"] == "1")
        .collect();
    assert!(!crashed.is_empty(), "the crash hit nothing");
    for c in crashed {
        let done = rows
            .iter()
            .find(|r| r["task_id"] == c["task_id"] && r["outcome"] == "completed")
            .unwrap();
        assert_ne!(
            done["node"], "1",
            "task {} finished on the dead node",
            c["task_id"]
        );
        assert!(
            num(done, "start_s") >= 16.0 + 2.0,
            "restarted before detection"
        );
    }
    // Task 5's first attempt turned unhealthy and was restarted; the second one completed.
    let t5: Vec<_> = rows.iter().filter(|r| r["task_id"] == "5").collect();
    assert_eq!(t5[0]["outcome"], "interrupted", "{t5:?}");
    assert_eq!(t5.last().unwrap()["outcome"], "completed");
    assert!(t5.len() >= 2);
    // No container of the run is left, and the foreign one is untouched.
    assert_eq!(simctl_containers(), Vec::<String>::new());
    assert!(foreign.exists(), "the foreign container was removed");
    // Against the simulator of the same scenario (same tasks, same crash, same health fault,
    // start_delay as calibrated): mean response within 10%; waits are near zero in both, so their
    // difference is bounded absolutely (a fifth of a second).
    let (code, _, err) = simctl(&["run", scenario, "--out", out, "--quiet"]);
    assert_eq!(code, 0, "{err}");
    let sim = &read_csv(&dir.path().join("docker-small/summary.csv"))[0];
    assert_eq!(sim["mode"], "sim");
    let (rs, rr) = (num(sim, "mean_response_s"), num(real, "mean_response_s"));
    assert!(
        (rr - rs).abs() <= 0.10 * rs,
        "mean response: simulated {rs:.3} s, real {rr:.3} s"
    );
    let (ws, wr) = (num(sim, "mean_wait_s"), num(real, "mean_wait_s"));
    assert!(
        (wr - ws).abs() <= 0.2,
        "mean wait: simulated {ws:.3} s, real {wr:.3} s"
    );
    // The simulator models the health fault too: the same restarts (the crash's and task 5's).
    assert_eq!(
        num(sim, "task_restarts"),
        num(real, "task_restarts"),
        "restarts: simulated against real"
    );
    // `docker run` wrote the same comparison itself, per run and as a MAPE row.
    let versus = read_csv(&real_dir.join("sim-vs-real.csv"));
    let mape = versus
        .iter()
        .find(|r| r["metric"] == "mean_response_s" && r["run"] == "mape")
        .expect("a MAPE row for the mean response");
    assert!(num(mape, "relative_error") <= 0.10, "{mape:?}");
}

const PLACEMENT: &str = r#"
[scenario]
name = "placement"
seed = 11
[[cluster.nodes]]
name = "small"
count = 2
cpu = 1
memory = "1GiB"
[[cluster.nodes]]
name = "big"
count = 2
cpu = 2
memory = "2GiB"
[workload]
arrival = { process = "constant", rate = 1.0 }
duration = "2.2s"
cpu = { dist = "choice", values = [0.5, 1] }
memory = "64MiB"
max_tasks = 14
[[scheduler]]
name = "best-fit"
placement = "best-fit"
[output]
tasks_csv = true
plots = false
"#;

#[test]
fn the_runner_places_every_task_where_the_simulator_does() {
    let Some(_lock) = engine() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("placement.toml");
    std::fs::write(&file, PLACEMENT).unwrap();
    let out = dir.path().to_str().unwrap();
    let (code, _, err) = simctl(&["run", file.to_str().unwrap(), "--out", out, "--quiet"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = simctl(&[
        "docker",
        "run",
        file.to_str().unwrap(),
        "--out",
        out,
        "--quiet",
    ]);
    assert_eq!(code, 0, "{err}");
    let placements = |d: &str| -> Vec<(String, String, String)> {
        read_csv(&dir.path().join(d).join("tasks.csv"))
            .into_iter()
            .map(|r| {
                (
                    r["task_id"].clone(),
                    r["attempt"].clone(),
                    r["node"].clone(),
                )
            })
            .collect()
    };
    let (sim, real) = (placements("placement"), placements("placement-docker"));
    assert_eq!(sim.len(), 14);
    // Arrivals 1 s apart and runs of 2.2 s: a completion comes 0.2 s plus the container's start
    // latency after one arrival and 0.8 s before the next, so on a machine that starts a
    // container in less than 0.8 s the cluster looks the same to both at every decision (with
    // 2.5 s runs the margin was 0.5 s, which a loaded machine's container starts overran).
    assert_eq!(sim, real, "placements differ");
    // Best-fit used more than one node (the comparison is not trivially equal).
    let nodes: std::collections::BTreeSet<_> = sim.iter().map(|p| &p.2).collect();
    assert!(nodes.len() > 1);
}

const LONG: &str = r#"
[scenario]
name = "killed"
seed = 5
[[cluster.nodes]]
count = 2
cpu = 1
memory = "1GiB"
[workload]
arrival = { process = "constant", rate = 2.0 }
duration = "60s"
cpu = 0.1
memory = "16MiB"
max_tasks = 4
[[scheduler]]
name = "ff"
placement = "first-fit"
[output]
plots = false
"#;

#[test]
fn a_run_killed_with_sigkill_is_cleaned_by_the_next_and_foreign_containers_survive() {
    let Some(_lock) = engine() else { return };
    let (code, _, err) = simctl(&["docker", "image"]);
    assert_eq!(code, 0, "{err}");
    let foreign = Foreign::create();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("killed.toml");
    std::fs::write(&file, LONG).unwrap();
    let out = dir.path().join("out");
    let mut child = start_in_background(&file, &out, Stdio::null());
    child.kill().unwrap(); // SIGKILL: no guard, no handler runs
    child.wait().unwrap();
    let left = simctl_containers();
    assert!(left.len() >= 2, "{left:?}");
    // The next run removes what the killed one left (its process is gone), and runs normally.
    let quick = LONG
        .replace("duration = \"60s\"", "duration = \"1s\"")
        .replace("max_tasks = 4", "max_tasks = 2");
    std::fs::write(&file, quick).unwrap();
    let (code, _, err) = simctl(&[
        "docker",
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("left by an earlier run"), "{err}");
    assert_eq!(simctl_containers(), Vec::<String>::new());
    assert!(foreign.exists(), "the foreign container was removed");
}

#[test]
fn a_missing_image_is_a_clear_error() {
    let Some(_lock) = engine() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("img.toml");
    std::fs::write(
        &file,
        format!("{LONG}\n[docker]\nimage = \"no-such-image:never\"\ncommand = [\"x\"]\n"),
    )
    .unwrap();
    let (code, _, err) = simctl(&["docker", "run", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no-such-image:never") && err.contains("never pulled"),
        "{err}"
    );
}

#[test]
fn ctrl_c_removes_the_runs_containers() {
    let Some(_lock) = engine() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("interrupted.toml");
    std::fs::write(&file, LONG).unwrap();
    let child = start_in_background(&file, dir.path(), Stdio::piped());
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert_eq!(simctl_containers(), Vec::<String>::new());
}

#[test]
fn an_engine_that_cannot_be_reached_is_a_clear_error() {
    // No `docker` on the PATH at all: refused before any work, naming the engine.
    let empty = tempfile::tempdir().unwrap();
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/docker-small.toml");
    let out = common::simctl()
        .args(["docker", "run", scenario, "--out"])
        .arg(empty.path())
        .env("PATH", empty.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("docker"), "{err}");
    assert_eq!(
        std::fs::read_dir(empty.path()).unwrap().count(),
        0,
        "nothing was written"
    );
}

#[test]
fn an_architecture_with_decision_time_drives_real_containers_as_it_drives_the_simulator() {
    // The placement scenario under Omega's shared-state architecture with 0.75 s decisions: the
    // runner carries out the same decision timers on the wall clock. Task k arrives at k s; its
    // decision snapshots the cell at k and commits at k + 0.75. The task started 3 arrivals earlier
    // ends at k + 0.25 simulated, about k + 0.76 for real (start latency and exit lag ~0.5 s): after
    // the snapshot in both, so every snapshot looks the same to both and the placements agree (with
    // 0.5 s decisions that task would end exactly at the snapshot in the simulator but not for
    // real). Every real wait is at least the decision time; one decision per task.
    let Some(_lock) = engine() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("placement.toml");
    std::fs::write(&file, PLACEMENT).unwrap();
    let out = dir.path().to_str().unwrap();
    // This timing argument needs the 2.5 s runs it was written for (the plain placement test
    // now uses 2.2 s ones).
    let sets = [
        "--set",
        "architecture.kind=shared-state",
        "--set",
        "architecture.t_job=0.75s",
        "--set",
        "workload.duration=2.5s",
    ];
    let mut args = vec!["run", file.to_str().unwrap(), "--out", out, "--quiet"];
    args.extend(sets);
    let (code, _, err) = simctl(&args);
    assert_eq!(code, 0, "{err}");
    let mut args = vec![
        "docker",
        "run",
        file.to_str().unwrap(),
        "--out",
        out,
        "--quiet",
    ];
    args.extend(sets);
    let (code, _, err) = simctl(&args);
    assert_eq!(code, 0, "{err}");
    let rows = |d: &str| read_csv(&dir.path().join(d).join("tasks.csv"));
    let placement = |rows: &[BTreeMap<String, String>]| -> Vec<(String, String)> {
        rows.iter()
            .map(|r| (r["task_id"].clone(), r["node"].clone()))
            .collect()
    };
    let (sim, real) = (rows("placement"), rows("placement-docker"));
    assert_eq!(real.len(), 14);
    assert_eq!(placement(&sim), placement(&real), "placements differ");
    for r in &real {
        assert!(
            num(r, "wait_s") >= 0.75,
            "task {} waited {}",
            r["task_id"],
            r["wait_s"]
        );
    }
    let actors = read_csv(&dir.path().join("placement-docker").join("schedulers.csv"));
    assert_eq!(actors.len(), 1);
    assert_eq!(actors[0]["architecture"], "shared-state");
    assert_eq!(num(&actors[0], "decisions"), 14.0);
    assert!(simctl_containers().is_empty(), "containers left behind");
}

/// GET `path` from `addr`; `None` while nothing listens there.
fn http_get(addr: &str, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// The samples of a Prometheus text exposition, checked line by line against the format: every
/// family has `# HELP` and `# TYPE` before its samples, counters end in `_total`, every sample is
/// `name{labels} value` with a number. Returns (name with labels, value).
fn parse_exposition(body: &str) -> Vec<(String, f64)> {
    let mut typed: BTreeMap<String, String> = BTreeMap::new();
    let mut samples = Vec::new();
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(kind == "gauge" || kind == "counter", "{line}");
            assert_eq!(kind == "counter", name.ends_with("_total"), "{line}");
            typed.insert(name.to_string(), kind.to_string());
        } else if line.starts_with("# HELP ") {
        } else {
            let (series, value) = line.rsplit_once(' ').expect("sample: series value");
            let name = series.split('{').next().unwrap();
            assert!(typed.contains_key(name), "{name} has no # TYPE before it");
            assert!(
                name.starts_with("simctl_")
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{line}"
            );
            let v: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
            samples.push((series.to_string(), v));
        }
    }
    samples
}

#[test]
fn live_metrics_follow_a_real_run() {
    // docker-small with --metrics on a loopback port: while it runs, /metrics parses as the
    // Prometheus text format, shows its 3 nodes, and its completed-task counter never goes back;
    // the live page answers too. The last scrape cannot count more completed tasks than
    // summary.csv has at the end.
    let Some(_lock) = engine() else { return };
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = common::simctl()
        .args([
            "docker",
            "run",
            "scenarios/docker-small.toml",
            "--quiet",
            "--metrics",
            &addr,
        ])
        .arg("--out")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    let (mut scrapes, mut last_completed, mut page_seen) = (0, 0.0, false);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the run did not end");
        if let Some(body) = http_get(&addr, "/metrics") {
            let body = body.split_once("\r\n\r\n").map_or("", |(_, b)| b);
            let samples = parse_exposition(body);
            let get = |name: &str| samples.iter().find(|(s, _)| s == name).map(|(_, v)| *v);
            if let (Some(up), Some(done)) =
                (get("simctl_nodes_up"), get("simctl_tasks_completed_total"))
            {
                assert!(up <= 3.0, "{up} nodes up of 3");
                assert!(
                    done >= last_completed,
                    "completed went back: {done} < {last_completed}"
                );
                last_completed = done;
                scrapes += 1;
            }
            if !page_seen {
                page_seen = http_get(&addr, "/").is_some_and(|p| p.contains("simctl_nodes_up"));
            }
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(child.wait().unwrap().success());
    assert!(scrapes >= 5, "only {scrapes} scrapes");
    assert!(page_seen, "the live page never answered");
    let summary = read_csv(&dir.path().join("docker-small-docker").join("summary.csv"));
    let completed = num(&summary[0], "tasks_completed");
    assert!(
        last_completed > 0.0 && last_completed <= completed,
        "{last_completed} vs {completed}"
    );
}

/// A free loopback port (bound, then released: a small race, fine for tests).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills a child process when dropped, whatever happened.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_real_prometheus_scrapes_a_live_run_and_agrees_with_its_results() {
    // Debian's Prometheus, started here with the bundled scrape configuration (its target moved to
    // this test's port), scrapes `simctl docker run --metrics` of docker-small; the run keeps
    // serving its final state for 4 s (`--metrics-linger`), more than the 1 s scrape interval.
    // Prometheus's HTTP API then gives the final completed-task count of summary.csv, 3 nodes,
    // and a positive decision count; one body of /metrics taken mid-run parses with Python's
    // prometheus_client.
    let Some(_lock) = engine() else { return };
    if Command::new("prometheus")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("notice: no prometheus binary (Debian's prometheus package): test skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mport, pport) = (free_port(), free_port());
    let maddr = format!("127.0.0.1:{mport}");
    let config = std::fs::read_to_string("deploy/monitoring/prometheus.yml")
        .unwrap()
        .replace("127.0.0.1:9184", &maddr);
    assert!(
        config.contains(&maddr),
        "the bundled config names its target"
    );
    let config_path = dir.path().join("prometheus.yml");
    std::fs::write(&config_path, config).unwrap();
    let _prometheus = KillOnDrop(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{pport}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let out = dir.path().join("out");
    let mut run = KillOnDrop(
        common::simctl()
            .args(["docker", "run", "scenarios/docker-small.toml", "--quiet"])
            .args(["--metrics", &maddr, "--metrics-linger", "4s", "--out"])
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut body_mid_run = None;
    let status = loop {
        if let Some(s) = run.0.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the run did not end");
        if body_mid_run.is_none() {
            body_mid_run = http_get(&maddr, "/metrics")
                .and_then(|b| b.split_once("\r\n\r\n").map(|(_, b)| b.to_string()))
                .filter(|b| b.contains("simctl_tasks_completed_total"));
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    // Once the endpoint is gone Prometheus marks its series stale: ask for their values 1.5 s
    // before the run ended, inside its 4 s linger (after the final state was published and
    // scraped at least once).
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        - 1.5;
    assert!(status.success());
    let summary = read_csv(&out.join("docker-small-docker").join("summary.csv"));
    let completed = num(&summary[0], "tasks_completed");
    let query = |q: &str| -> Option<f64> {
        let path = format!("/api/v1/query?query={q}&time={at:.3}");
        let answer = http_get(&format!("127.0.0.1:{pport}"), &path)?;
        let json = answer.split_once("\r\n\r\n")?.1;
        let v: serde_json::Value = serde_json::from_str(json).ok()?;
        v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
    };
    assert_eq!(query("simctl_tasks_completed_total"), Some(completed));
    assert_eq!(query("simctl_nodes_up"), Some(3.0));
    assert!(query("simctl_scheduler_decisions_total").is_some_and(|d| d > 0.0));
    // The exposition parses with the reference client's parser.
    let python = Path::new(".venv-monitor/bin/python");
    if !python.exists() {
        eprintln!("notice: no .venv-monitor (made by .ci/run): prometheus_client check skipped");
        return;
    }
    let body = body_mid_run.expect("a /metrics body was read during the run");
    let script = "import sys\nfrom prometheus_client.parser import text_string_to_metric_families as parse\n\
                  fams = list(parse(sys.stdin.read()))\nprint(len(fams), sum(len(f.samples) for f in fams))";
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let counts = String::from_utf8_lossy(&o.stdout);
    let families: usize = counts.split_whitespace().next().unwrap().parse().unwrap();
    assert!(families >= 15, "{counts}");
}

//! The runner's groundwork against the REAL Docker engine: the burn image builds from the static
//! binary and runs; containers get their limits and labels; start, die and kill events arrive
//! through the event stream; /health answers 200 then 500; `docker clean` removes simctl's
//! containers and never a foreign one.
//!
//! Every test prints a notice and returns early where `docker info` fails (no engine). The first
//! run builds the static `simctl` with cargo into target/static/ (minutes on a fresh machine;
//! `.ci/run` does it before the tests), later runs reuse it and the image. The tests take one
//! lock, because the `clean` test removes every simctl container, and each run's containers are
//! removed by a drop guard even when an assertion fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use simctl::runner::clean::{clean_containers, RunGuard, Scope};
use simctl::runner::docker::DockerCli;
use simctl::runner::error::RuntimeError;
use simctl::runner::events::{ContainerEvent, EventKind};
use simctl::runner::image::ensure_image;
use simctl::runner::probe::probe_health;
use simctl::runner::runtime::{ContainerRuntime, EventStream};
use simctl::runner::spec::{ContainerSpec, Network, LABEL_RUN};
use simctl::runner::static_bin::{build_static, is_static_elf};
use simctl::runner::{calibrate, stats};

/// Generous bound on waiting for one event: a hang guard, not a timing assertion.
const EVENT_WAIT: Duration = Duration::from_secs(60);

static LOCK: Mutex<()> = Mutex::new(());
static BINARY: OnceLock<PathBuf> = OnceLock::new();

/// The engine and the test lock, or `None` (after a notice) where there is no engine.
fn engine() -> Option<(DockerCli, MutexGuard<'static, ()>)> {
    let lock = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    match DockerCli::connect() {
        Ok(d) => Some((d, lock)),
        Err(e) => {
            eprintln!("notice: Docker tests skipped: {e}");
            None
        }
    }
}

/// The burn image: the static build of this tree (cargo runs once per test binary), baked into
/// an image by `ensure_image` (built once, then reused by tag; the clean test removes it, and
/// the next caller builds it again).
fn image(docker: &DockerCli) -> String {
    let bin = BINARY.get_or_init(|| {
        let bin = build_static(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        let bytes = std::fs::read(&bin).unwrap();
        assert_eq!(
            is_static_elf(&bytes),
            Some(true),
            "{} is not static",
            bin.display()
        );
        bin
    });
    let img = ensure_image(docker, bin).unwrap();
    if img.built {
        eprintln!(
            "burn image {}: {} bytes, built in {:.2}s",
            img.tag, img.size_bytes, img.build_secs
        );
    }
    // A FROM-scratch image is the binary alone (a few MB), not a distribution.
    assert!(img.size_bytes > 1 << 20 && img.size_bytes < 64 << 20);
    assert!(docker.image_exists(&img.tag));
    img.tag
}

/// A run id unique to this process and test.
fn run_id(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("t{}-{test}-{nanos}", std::process::id())
}

fn burn_spec(run: &str, task: u64, image: &str, args: &[&str]) -> ContainerSpec {
    let mut s = ContainerSpec::for_attempt(run, "node-0", task, 1, image);
    s.cpus = 0.5;
    s.memory_bytes = 64 << 20;
    s.args = std::iter::once("burn")
        .chain(args.iter().copied())
        .map(String::from)
        .collect();
    s
}

/// The next event of container `id` that satisfies `pred` (other events are skipped).
fn wait(events: &EventStream, id: &str, pred: impl Fn(&EventKind) -> bool) -> ContainerEvent {
    events
        .wait_for(EVENT_WAIT, |e| e.id == id && pred(&e.kind), drop)
        .unwrap_or_else(|e| panic!("waiting for an event of {id}: {e}"))
}

#[test]
fn burn_container_gets_limits_and_labels_and_its_start_and_exit_arrive_as_events() {
    let Some((docker, _lock)) = engine() else {
        return;
    };
    let image = image(&docker);
    let run = run_id("life");
    let _guard = RunGuard::new(&docker, &run);
    let events = docker.events(&run).unwrap();
    let spec = burn_spec(
        &run,
        7,
        &image,
        &["--cpu", "0.2", "--seconds", "0.5", "--exit-code", "3"],
    );
    let id = docker.start(&spec).unwrap();

    let started = wait(&events, &id, |k| *k == EventKind::Started);
    assert_eq!(started.run.as_deref(), Some(run.as_str()));
    assert_eq!(
        (started.node.as_deref(), started.task, started.attempt),
        (Some("node-0"), Some(7), Some(1))
    );
    let died = wait(&events, &id, |k| matches!(k, EventKind::Died { .. }));
    assert_eq!(
        died.kind,
        EventKind::Died {
            exit_code: 3,
            oom: false
        }
    );
    assert!(died.time_nanos >= started.time_nanos);

    let doc = docker.inspect(&id).unwrap();
    let host = &doc["HostConfig"];
    assert_eq!(host["NanoCpus"], 500_000_000, "--cpus 0.5");
    assert_eq!(host["Memory"], 64 << 20);
    assert_eq!(
        host["MemorySwap"],
        64 << 20,
        "no swap beyond the memory limit"
    );
    assert_eq!(host["Privileged"], false);
    assert_eq!(host["NetworkMode"], "none");
    assert!(host["Binds"].is_null(), "no host mounts: {}", host["Binds"]);
    assert_eq!(doc["Mounts"].as_array().map(Vec::len), Some(0));
    let labels = &doc["Config"]["Labels"];
    assert_eq!(labels["simctl.run"], run.as_str());
    assert_eq!(labels["simctl.node"], "node-0");
    assert_eq!(labels["simctl.task"], "7");
    assert_eq!(labels["simctl.attempt"], "1");
    assert_eq!(doc["Config"]["Entrypoint"][0], "/simctl");
    assert_eq!(doc["State"]["ExitCode"], 3);
}

#[test]
fn unhealthy_burn_answers_200_then_500_and_is_killed() {
    let Some((docker, _lock)) = engine() else {
        return;
    };
    let image = image(&docker);
    let run = run_id("health");
    let _guard = RunGuard::new(&docker, &run);
    let events = docker.events(&run).unwrap();
    let mut spec = burn_spec(
        &run,
        1,
        &image,
        &[
            "--cpu",
            "0.1",
            "--seconds",
            "120",
            "--serve-health",
            "0.0.0.0:8080",
            "--unhealthy-after",
            "3",
        ],
    );
    spec.network = Network::Bridge;
    spec.publish = vec![8080];
    let id = docker.start(&spec).unwrap();
    let addr = docker.host_port(&id, 8080).unwrap();
    assert!(addr.ip().is_loopback(), "published on {addr}");

    // Probe every 100 ms: the answers must be some 200s, then only 500s.
    let mut answers = Vec::new();
    let deadline = Instant::now() + EVENT_WAIT;
    while answers.last() != Some(&500) && Instant::now() < deadline {
        if let Ok(code) = probe_health(addr, Duration::from_secs(2)) {
            answers.push(code);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let first_500 = answers
        .iter()
        .position(|&c| c == 500)
        .expect("turned unhealthy");
    assert!(first_500 > 0, "healthy first: {answers:?}");
    assert!(
        answers[..first_500].iter().all(|&c| c == 200),
        "{answers:?}"
    );
    assert_eq!(
        probe_health(addr, Duration::from_secs(2)).unwrap(),
        500,
        "stays unhealthy"
    );

    docker.kill(&id).unwrap();
    assert_eq!(
        wait(&events, &id, |k| matches!(k, EventKind::Killed { .. })).kind,
        EventKind::Killed { signal: 9 }
    );
    let died = wait(&events, &id, |k| matches!(k, EventKind::Died { .. }));
    assert_eq!(
        died.kind,
        EventKind::Died {
            exit_code: 137,
            oom: false
        }
    );
}

#[test]
fn burn_keeps_its_memory_resident_and_busy_cpu_shows_in_docker_stats() {
    let Some((docker, _lock)) = engine() else {
        return;
    };
    let image = image(&docker);
    let run = run_id("stats");
    let _guard = RunGuard::new(&docker, &run);
    let spec = burn_spec(
        &run,
        1,
        &image,
        &["--cpu", "0.5", "--seconds", "60", "--memory", "32MiB"],
    );
    let id = docker.start(&spec).unwrap();
    // Poll until the touched memory shows (a hang guard, not a timing assertion).
    let deadline = Instant::now() + EVENT_WAIT;
    let usage = loop {
        let u = stats::container_usage(&docker, std::slice::from_ref(&id)).unwrap();
        assert_eq!(u.len(), 1);
        if (u[0].memory_bytes >= 32 << 20 && u[0].cpu_percent > 0.0) || Instant::now() > deadline {
            break u[0].clone();
        }
    };
    assert!(
        usage.memory_bytes >= 32 << 20,
        "32MiB resident, got {usage:?}"
    );
    assert!(
        usage.memory_bytes <= 64 << 20,
        "within the limit: {usage:?}"
    );
    assert!(usage.cpu_percent > 0.0, "{usage:?}");
}

#[test]
fn calibrate_measures_one_latency_per_start() {
    let Some((docker, _lock)) = engine() else {
        return;
    };
    let image = image(&docker);
    let run = run_id("cal");
    let c = calibrate::calibrate(&docker, &image, &run, 3).unwrap();
    assert_eq!(c.latencies.len(), 3);
    // The start event comes after the start was issued, on the same host clock.
    assert!(c.latencies.iter().all(|&l| l > 0.0), "{:?}", c.latencies);
    assert!(c.starts_per_sec > 0.0);
    let report = calibrate::report(&c);
    assert!(
        report.contains("start_delay = { dist = \"lognormal\""),
        "{report}"
    );
    assert!(
        docker.list(LABEL_RUN, Some(&run)).unwrap().is_empty(),
        "calibrate cleans up"
    );
}

#[test]
fn a_missing_image_is_a_clear_error() {
    let Some((docker, _lock)) = engine() else {
        return;
    };
    let run = run_id("noimage");
    let _guard = RunGuard::new(&docker, &run);
    let spec = burn_spec(&run, 1, "simctl-test-absent:0", &["--seconds", "1"]);
    match docker.start(&spec) {
        Err(RuntimeError::ImageMissing(image)) => assert_eq!(image, "simctl-test-absent:0"),
        other => panic!("expected ImageMissing, got {other:?}"),
    }
}

/// A container simctl did not create: `docker create` (never started) from an empty local
/// image, removed by its owner, the test, at the end.
struct Foreign<'a> {
    docker: &'a DockerCli,
    name: String,
}

const EMPTY_IMAGE: &str = "simctl-test-empty:1";

impl<'a> Foreign<'a> {
    fn create(docker: &'a DockerCli) -> Self {
        if !docker.image_exists(EMPTY_IMAGE) {
            // An empty tar archive is two zero blocks.
            let mut child = Command::new("docker")
                .args(["import", "-", EMPTY_IMAGE])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(&[0u8; 1024]).unwrap();
            assert!(
                child.wait().unwrap().success(),
                "docker import of an empty image"
            );
        }
        let name = format!("simctl-test-foreign-{}", std::process::id());
        // Labelled like a user's own container, deliberately with a simctl-looking key that is
        // not simctl.run.
        docker
            .run(&[
                "create",
                "--name",
                &name,
                "--label",
                "simctl.node=mine",
                "--network",
                "none",
                EMPTY_IMAGE,
                "/nonexistent",
            ])
            .unwrap();
        Foreign { docker, name }
    }

    fn exists(&self) -> bool {
        self.docker.inspect(&self.name).is_ok()
    }
}

impl Drop for Foreign<'_> {
    fn drop(&mut self) {
        let _ = self.docker.run(&["rm", "--force", &self.name]);
        let _ = self.docker.run(&["rmi", EMPTY_IMAGE]);
    }
}

#[test]
fn docker_clean_removes_simctl_containers_and_leaves_a_foreign_one() {
    let Some((docker, _lock)) = engine() else {
        return;
    };
    let image = image(&docker);
    let foreign = Foreign::create(&docker);
    let (a, b) = (run_id("cleanA"), run_id("cleanB"));
    let _guards = (RunGuard::new(&docker, &a), RunGuard::new(&docker, &b));
    let long = ["--cpu", "0.05", "--seconds", "120"];
    docker.start(&burn_spec(&a, 1, &image, &long)).unwrap();
    docker.start(&burn_spec(&a, 2, &image, &long)).unwrap();
    docker.start(&burn_spec(&b, 1, &image, &long)).unwrap();

    // The run-scoped clean removes run A's containers only.
    let removed = clean_containers(&docker, &Scope::Run(a.clone())).unwrap();
    assert_eq!(removed.len(), 2, "{removed:?}");
    assert!(docker.list(LABEL_RUN, Some(&a)).unwrap().is_empty());
    assert_eq!(docker.list(LABEL_RUN, Some(&b)).unwrap().len(), 1);

    // `simctl docker clean` (the command) removes every simctl container, and nothing else.
    let out = Command::new(env!("CARGO_BIN_EXE_simctl"))
        .args(["docker", "clean"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "removed 1 container(s)"
    );
    assert!(
        docker.list(LABEL_RUN, None).unwrap().is_empty(),
        "nothing labelled simctl.run left"
    );
    assert!(foreign.exists(), "the foreign container is untouched");

    // `--images` removes the images simctl built (labelled simctl.image=true) and no other.
    let out = Command::new(env!("CARGO_BIN_EXE_simctl"))
        .args(["docker", "clean", "--images"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!docker.image_exists(&image), "the burn image is removed");
    assert!(
        docker.image_exists(EMPTY_IMAGE),
        "an unlabelled image is untouched"
    );
    assert!(foreign.exists());

    // ensure_image builds it again, once, then reuses it by tag.
    let bin = BINARY.get().expect("image() ran");
    let again = ensure_image(&docker, bin).unwrap();
    assert_eq!((again.tag.as_str(), again.built), (image.as_str(), true));
    let reused = ensure_image(&docker, bin).unwrap();
    assert_eq!((reused.tag.as_str(), reused.built), (image.as_str(), false));
}

#[test]
fn an_unreachable_engine_is_a_clear_error_with_exit_status_1() {
    // No engine needed: the CLI is pointed at a socket that does not exist.
    let out = Command::new(env!("CARGO_BIN_EXE_simctl"))
        .args(["docker", "clean"])
        .env("DOCKER_HOST", "unix:///nonexistent/simctl-test.sock")
        .env_remove("DOCKER_CONTEXT")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the Docker engine is unreachable (`docker info` failed)"),
        "{stderr}"
    );
}

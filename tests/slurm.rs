//! A sweep on a real Slurm cluster, as users run it: the test starts munged, slurmctld and two
//! slurmd (nodes n1 and n2 on this host) from tests/fixtures/slurm/slurm.conf in a temporary
//! directory, submits the sweep with deploy/slurm/submit.sh (an `sbatch --array` of
//! deploy/slurm/sweep.sbatch and the merge job with `--dependency=afterok:<array>`), cancels one
//! array task mid-run with `scancel`, requeues it with `scontrol requeue`, points the merge at the
//! array's tasks again, and checks that the merged results equal one uninterrupted `simctl run`
//! byte for byte (apart from wall_s and timing.csv). Every daemon and job process it started is
//! killed at the end, whatever happened. docs/distributed.md lists the same commands.
//!
//! Skips, saying so, where Slurm's and munge's programs are not installed (`.ci/run` installs
//! Debian's slurm-wlm and munge) or when not running as root (slurmd must be root to start jobs).

mod common;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::simctl;

/// 2 schedulers x 6 replications = 12 runs of about a million tasks (under a second each here).
const SCENARIO: &str = r#"
[scenario]
name = "slurm-sweep"
seed = 7
horizon = "80h"
warmup = "10m"
replications = 6
[[cluster.nodes]]
count = 32
cpu = 4
memory = "16GiB"
[workload]
arrival = { process = "poisson", rate = 3 }
duration = { dist = "lognormal", mean = "20s", std = "40s" }
cpu = { dist = "choice", values = [1, 2] }
memory = "2GiB"
[[scheduler]]
name = "ff"
placement = "first-fit"
[[scheduler]]
name = "p2"
placement = "power-of-d"
[output]
tasks_csv = false
timeseries = "2h"
plots = true
"#;

/// Shards (array tasks).
const SHARDS: usize = 2;
/// The longest the whole Slurm part may take before the test gives up.
const DEADLINE: Duration = Duration::from_secs(240);

const PROGRAMS: [&str; 8] = [
    "/usr/sbin/munged",
    "/usr/sbin/slurmctld",
    "/usr/sbin/slurmd",
    "/usr/bin/sbatch",
    "/usr/bin/squeue",
    "/usr/bin/scontrol",
    "/usr/bin/scancel",
    "/usr/bin/sinfo",
];

/// The environment variable (and value) every process of this cluster carries, daemons and jobs,
/// so that teardown can find exactly those processes.
const MARK: &str = "SIMCTL_SLURM_TEST";

/// A single-machine Slurm cluster in a temporary directory. Dropping it cancels its jobs and kills
/// every process it started (by pid: its own children, then any process whose environment holds
/// this cluster's mark, such as slurmstepd and the jobs' shells).
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
    daemons: Vec<(String, Child)>,
    jobs: Vec<String>,
}

impl Cluster {
    fn start(dir: &Path) -> Cluster {
        let mut c = Cluster {
            dir: dir.to_path_buf(),
            conf: dir.join("slurm.conf"),
            daemons: Vec::new(),
            jobs: Vec::new(),
        };
        for sub in ["munge", "state", "spool/n1", "spool/n2", "log"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        set_mode(&dir.join("munge"), 0o700);
        // munge's key: 1 KiB of random bytes, readable by its owner only.
        let key = dir.join("munge/munge.key");
        let mut bytes = vec![0u8; 1024];
        std::io::Read::read_exact(
            &mut std::fs::File::open("/dev/urandom").unwrap(),
            &mut bytes,
        )
        .unwrap();
        std::fs::write(&key, bytes).unwrap();
        set_mode(&key, 0o600);
        let socket = dir.join("munge/munge.socket");
        let mut munged = c.command("/usr/sbin/munged");
        munged
            .args(["--foreground", "--force"])
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--key-file={}", key.display()))
            .arg(format!(
                "--pid-file={}",
                dir.join("munge/munged.pid").display()
            ))
            .arg(format!(
                "--seed-file={}",
                dir.join("munge/munged.seed").display()
            ))
            .arg(format!(
                "--log-file={}",
                dir.join("log/munged.log").display()
            ));
        c.spawn("munged", munged);
        c.wait_for("munged's socket", |_| socket.exists());

        let ports = free_ports(3);
        let template = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/slurm/slurm.conf"),
        )
        .unwrap();
        let conf = template
            .replace("@DIR@", &dir.display().to_string())
            .replace("@CTLD_PORT@", &ports[0].to_string())
            .replace("@N1_PORT@", &ports[1].to_string())
            .replace("@N2_PORT@", &ports[2].to_string());
        std::fs::write(&c.conf, conf).unwrap();

        let mut ctld = c.command("/usr/sbin/slurmctld");
        // -D: foreground (a child of this test); -i: ignore state files (there are none).
        ctld.args(["-D", "-i", "-f"]).arg(&c.conf);
        c.spawn("slurmctld", ctld);
        for node in ["n1", "n2"] {
            let mut slurmd = c.command("/usr/sbin/slurmd");
            slurmd.args(["-D", "-N", node, "-f"]).arg(&c.conf);
            c.spawn(&format!("slurmd-{node}"), slurmd);
        }
        c.wait_for("both nodes idle", |c| {
            let o = c.run("/usr/bin/sinfo", &["-h", "-N", "-o", "%N %T"]);
            let text = String::from_utf8_lossy(&o.stdout).to_string();
            o.status.success() && text.lines().filter(|l| l.ends_with(" idle")).count() == 2
        });
        c
    }

    /// A command with this cluster's configuration and mark in its environment.
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("SLURM_CONF", &self.conf)
            .env(MARK, &self.dir)
            .stdin(Stdio::null());
        cmd
    }

    fn spawn(&mut self, name: &str, mut cmd: Command) {
        let log = |suffix: &str| {
            std::fs::File::create(self.dir.join(format!("log/{name}.{suffix}"))).unwrap()
        };
        cmd.stdout(log("out")).stderr(log("err"));
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        self.daemons.push((name.to_string(), child));
    }

    /// Runs a client command against this cluster.
    fn run(&self, program: &str, args: &[&str]) -> Output {
        self.command(program).args(args).output().unwrap()
    }

    /// Runs a client command that must succeed; its stdout.
    fn ok(&self, program: &str, args: &[&str]) -> String {
        let o = self.run(program, args);
        assert!(
            o.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&o.stderr),
            self.diagnostics()
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Polls `ready` every 100 ms; fails (with the daemons' logs) after 60 s, or as soon as one
    /// of the daemons has exited.
    fn wait_for(&mut self, what: &str, mut ready: impl FnMut(&Cluster) -> bool) {
        let start = Instant::now();
        loop {
            if ready(self) {
                return;
            }
            let exited = self
                .daemons
                .iter_mut()
                .find_map(|(name, child)| Some((name.clone(), child.try_wait().ok()??)));
            if let Some((name, status)) = exited {
                panic!(
                    "waiting for {what}: {name} exited ({status}){}",
                    self.diagnostics()
                );
            }
            if start.elapsed() > Duration::from_secs(60) {
                panic!("waiting for {what}: not after 60 s{}", self.diagnostics());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `JobState` and `Restarts` of a job or array task, from `scontrol show job -o`.
    fn job(&self, id: &str) -> (String, u32) {
        let line = self.ok("/usr/bin/scontrol", &["show", "job", "-o", id]);
        let field = |key: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .unwrap_or_else(|| panic!("no {key} in scontrol's line: {line}"))
                .to_string()
        };
        (field("JobState="), field("Restarts=").parse().unwrap())
    }

    /// Waits until job `id` is in one of `states`, failing on any state in `fatal`.
    fn wait_state(&self, id: &str, states: &[&str], fatal: &[&str], start: Instant) -> u32 {
        loop {
            let (state, restarts) = self.job(id);
            if states.contains(&state.as_str()) {
                return restarts;
            }
            assert!(
                !fatal.contains(&state.as_str()),
                "job {id} is {state}{}",
                self.diagnostics()
            );
            assert!(
                start.elapsed() < DEADLINE,
                "job {id} still {state} after {DEADLINE:?}{}",
                self.diagnostics()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The queue, the daemons' logs and the jobs' output, for failure messages.
    fn diagnostics(&self) -> String {
        let mut out = String::from("\n--- squeue:\n");
        if let Ok(o) = self.command("/usr/bin/squeue").output() {
            out += &String::from_utf8_lossy(&o.stdout);
        }
        let mut files: Vec<PathBuf> = Vec::new();
        for sub in ["log", "results"] {
            if let Ok(entries) = std::fs::read_dir(self.dir.join(sub)) {
                files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
            }
        }
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            out += &format!("--- {} (last lines):\n", f.display());
            for l in tail.iter().rev() {
                out += &format!("{l}\n");
            }
        }
        out
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // The jobs first, while the controller still runs (best effort: it may be what failed).
        if !self.jobs.is_empty() {
            let _ = self
                .command("/usr/bin/scancel")
                .args(&self.jobs)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            std::thread::sleep(Duration::from_millis(500));
        }
        // The daemons this test started, by pid: SIGTERM, then SIGKILL after 5 s.
        for (_, child) in &mut self.daemons {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
        }
        let start = Instant::now();
        for (_, child) in &mut self.daemons {
            while matches!(child.try_wait(), Ok(None)) && start.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        // What they left behind (slurmstepd, a job's shell or simctl): every process whose
        // environment carries this cluster's mark.
        for pid in marked_processes(&format!("{MARK}={}", self.dir.display())) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

/// Pids of the processes whose environment holds `entry` (`NAME=value`).
fn marked_processes(entry: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return pids;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        if let Ok(env) = std::fs::read(e.path().join("environ")) {
            if env.split(|b| *b == 0).any(|v| v == entry.as_bytes()) {
                pids.push(pid);
            }
        }
    }
    pids
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `n` distinct TCP ports free on the loopback interface right now.
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The run records of a shard's scenario directory, with their modification times.
fn records(shard_dir: &Path) -> BTreeMap<String, SystemTime> {
    let runs = shard_dir.join("slurm-sweep/.runs");
    let mut out = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(runs) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("run-") && name.ends_with(".json") {
                out.insert(name, e.metadata().unwrap().modified().unwrap());
            }
        }
    }
    out
}

/// Every file under `dir`, relative path -> bytes, with timing.csv left out and the wall_s column
/// (summary.csv) and rows (compare.csv, which is tidy) removed.
fn comparable(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let path = e.path();
            let rel = path.strip_prefix(base).unwrap().display().to_string();
            if path.is_dir() {
                walk(base, &path, out);
            } else if rel != "timing.csv" {
                let bytes = std::fs::read(&path).unwrap();
                let bytes = match rel.as_str() {
                    "summary.csv" => drop_column(&bytes, "wall_s"),
                    "compare.csv" => drop_rows(&bytes, ",wall_s,"),
                    _ => bytes,
                };
                out.insert(rel, bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn drop_column(bytes: &[u8], name: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let i = text
        .lines()
        .next()
        .and_then(|h| h.split(',').position(|c| c == name))
        .unwrap_or_else(|| panic!("no {name} column"));
    text.lines()
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            [&cells[..i], &cells[i + 1..]].concat().join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes()
}

fn drop_rows(bytes: &[u8], containing: &str) -> Vec<u8> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| !l.contains(containing))
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes()
}

#[test]
fn a_sweep_on_a_real_slurm_cluster_survives_a_cancelled_task_and_merges_to_the_single_machine_results(
) {
    let missing: Vec<&str> = PROGRAMS
        .iter()
        .copied()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "note: skipping the Slurm test: {} not installed (Debian packages slurm-wlm and munge; .ci/run installs them)",
            missing.join(", ")
        );
        return;
    }
    if !is_root() {
        eprintln!(
            "note: skipping the Slurm test: it must run as root (slurmd starts jobs as their user)"
        );
        return;
    }
    let began = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("slurm-sweep.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();

    // The reference: one uninterrupted run on this machine.
    let whole = tmp.path().join("whole");
    let o = simctl()
        .args(["run", "--quiet", "--out"])
        .arg(&whole)
        .arg(&scenario)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let mut cluster = Cluster::start(tmp.path());
    let started = Instant::now();
    let results = tmp.path().join("results");

    // Submitted as the guide says, from the repository (submit.sh names deploy/slurm/*.sbatch).
    let o = cluster
        .command("bash")
        .arg("deploy/slurm/submit.sh")
        .arg(&scenario)
        .arg(SHARDS.to_string())
        .arg(&results)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("SIMCTL", env!("CARGO_BIN_EXE_simctl"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "submit.sh: {out}{}{}",
        String::from_utf8_lossy(&o.stderr),
        cluster.diagnostics()
    );
    let id_after = |label: &str| -> String {
        out.split(label)
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .map(|id| {
                id.trim_end_matches(|c: char| !c.is_ascii_digit())
                    .to_string()
            })
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| panic!("no \"{label}\" in submit.sh's output: {out}"))
    };
    let (array, merge) = (id_after("array job "), id_after("merge job "));
    cluster.jobs = vec![array.clone(), merge.clone()];
    let task = |k: usize| format!("{array}_{k}");

    // Cancel shard 2 mid-run: once it has recorded a run, before it has recorded all of its own.
    let shard2 = results.join("shard-2");
    let mut before = BTreeMap::new();
    cluster.wait_for("shard 2's first run record", |_| {
        before = records(&shard2);
        !before.is_empty()
    });
    cluster.ok("/usr/bin/scancel", &[&task(2)]);
    cluster.wait_state(&task(2), &["CANCELLED"], &["COMPLETED", "FAILED"], started);
    let at_cancel = records(&shard2);
    let shard2_runs = 12 / SHARDS; // the planner splits 12 equal-cost runs 6 and 6
    assert!(
        !at_cancel.is_empty() && at_cancel.len() < shard2_runs,
        "shard 2 had {} of its {shard2_runs} runs recorded when cancelled: not mid-run",
        at_cancel.len()
    );

    // Requeue it. Slurm 22.05 keeps the array's cancelled task against `afterok:<array>` even
    // after the requeued task succeeds, so the merge is pointed at the tasks one by one.
    cluster.ok("/usr/bin/scontrol", &["requeue", &task(2)]);
    let tasks: Vec<String> = (1..=SHARDS).map(task).collect();
    cluster.ok(
        "/usr/bin/scontrol",
        &[
            "update",
            &format!("JobId={merge}"),
            &format!("Dependency=afterok:{}", tasks.join(":")),
        ],
    );
    cluster.wait_state(
        &merge,
        &["COMPLETED"],
        &["FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY"],
        started,
    );
    for (k, t) in tasks.iter().enumerate() {
        let (state, restarts) = cluster.job(t);
        assert_eq!(state, "COMPLETED", "array task {t}");
        assert_eq!(
            restarts,
            u32::from(k + 1 == 2),
            "restarts of array task {t}"
        );
    }
    let slurm_time = started.elapsed();

    // The requeued task resumed: the runs recorded before the cancel were kept, not run again.
    let after = records(&shard2);
    assert_eq!(after.len(), shard2_runs);
    for (name, mtime) in &at_cancel {
        assert_eq!(
            after.get(name),
            Some(mtime),
            "{name} was rewritten after the requeue"
        );
    }

    let (a, b) = (
        comparable(&whole.join("slurm-sweep")),
        comparable(&results.join("merged/slurm-sweep")),
    );
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the merged directory holds other files than the single-machine run's"
    );
    assert!(a.contains_key("summary.csv") && a.keys().any(|k| k.ends_with(".png")));
    for (name, bytes) in &a {
        assert!(
            bytes == &b[name],
            "{name} differs between the single-machine run and the Slurm merge"
        );
    }
    eprintln!(
        "slurm test: cluster up to merge done in {:.1} s, {:.1} s in all",
        slurm_time.as_secs_f64(),
        began.elapsed().as_secs_f64()
    );
}

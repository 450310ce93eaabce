//! `simctl run --metrics`: a long simulation is scraped while it runs (issue 14). No Docker.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One run of a 50-hour horizon at 20 tasks/s (3.6 M tasks): a few seconds of wall time, long
/// enough for several scrapes, and deterministic (the same seed every time).
const LONG: &str = r#"
[scenario]
name = "long"
horizon = "50h"
seed = 7

[[cluster.nodes]]
count = 16
cpu = 8
memory = "32GiB"

[workload]
arrival = { process = "poisson", rate = 20 }
duration = { dist = "exponential", mean = "5s" }
cpu = 1
memory = "1GiB"

[[scheduler]]
name = "first-fit"
placement = "first-fit"

[output]
plots = false
"#;

/// Kills the child when the test ends, however it ends (a lingering endpoint, a failed assert).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// GET `path` from `addr`: the body of a 200 answer, `None` otherwise.
fn get(addr: &str, path: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let (head, body) = out.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_string())
}

/// The samples of an exposition: `name{labels}` -> value.
fn samples(body: &str) -> BTreeMap<String, f64> {
    body.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').expect("name value");
            (k.to_string(), v.parse().expect("a number"))
        })
        .collect()
}

/// The value of column `name` in the first data row of a CSV file.
fn csv_value(path: &std::path::Path, name: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let i = header.iter().position(|h| *h == name).expect("column");
    row[i].to_string()
}

const RUN: &str = "{run=\"0\",scheduler=\"first-fit\",point=\"0\",replication=\"0\"}";

#[test]
fn a_long_simulation_is_scraped_while_it_runs_and_ends_as_its_summary() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long.toml");
    std::fs::write(&file, LONG).unwrap();
    let mut child = common::simctl()
        .args(["run", file.to_str().unwrap(), "--jobs", "1", "--out"])
        .arg(dir.path().join("watched"))
        .args(["--metrics", "127.0.0.1:0", "--metrics-linger", "60s"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("simctl starts");
    let stderr = child.stderr.take().unwrap();
    let child = Killed(child);
    // The address is said on stderr: "metrics: http://127.0.0.1:PORT/metrics (...)".
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("metrics: http://") {
                let _ = tx.send(rest.split('/').next().unwrap().to_string());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("simctl said where it serves");
    let deadline = Instant::now() + Duration::from_secs(180);
    let time_key = format!("simctl_simulated_time_seconds{RUN}");
    let mut in_flight: Vec<f64> = Vec::new();
    let last = loop {
        assert!(
            Instant::now() < deadline,
            "the run did not end in 3 minutes"
        );
        let Some(body) = get(&addr, "/metrics") else {
            std::thread::sleep(Duration::from_millis(100));
            continue;
        };
        let s = samples(&body);
        if s.get("simctl_runs{state=\"done\"}") == Some(&1.0) {
            break s;
        }
        if let Some(t) = s.get(&time_key) {
            in_flight.push(*t);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // Simulated time moved on between scrapes while the run was in flight, and never back.
    assert!(
        in_flight.windows(2).all(|w| w[0] <= w[1]),
        "simulated time went back: {in_flight:?}"
    );
    in_flight.dedup();
    assert!(
        in_flight.len() >= 2,
        "simulated time did not increase between scrapes: {in_flight:?}"
    );
    assert!(in_flight[0] > 0.0 && *in_flight.last().unwrap() < 50.0 * 3600.0);
    // The last look: the horizon reached, every series of the run at its final value.
    assert_eq!(last[&time_key], 50.0 * 3600.0);
    assert_eq!(last[&format!("simctl_run_progress_ratio{RUN}")], 1.0);
    assert_eq!(last["simctl_runs{state=\"pending\"}"], 0.0);
    assert!(get(&addr, "/")
        .unwrap()
        .contains("simctl_simulated_time_seconds"));
    // The summary is written while the endpoint lingers; its completed count is the last scrape's.
    let summary = dir.path().join("watched/long/summary.csv");
    while !summary.exists() {
        assert!(Instant::now() < deadline, "no summary.csv");
        std::thread::sleep(Duration::from_millis(100));
    }
    let completed: f64 = csv_value(&summary, "tasks_completed").parse().unwrap();
    assert_eq!(
        last[&format!("simctl_tasks_completed_total{RUN}")],
        completed
    );
    assert_eq!(
        last[&format!("simctl_tasks_submitted_total{RUN}")],
        csv_value(&summary, "tasks_submitted")
            .parse::<f64>()
            .unwrap()
    );
    drop(child);
    // Watching changed nothing: an unwatched run writes the same result files.
    let out = common::simctl()
        .args(["run", file.to_str().unwrap(), "--quiet", "--out"])
        .arg(dir.path().join("plain"))
        .output()
        .unwrap();
    assert!(out.status.success());
    // (summary.csv but its wall-clock column.)
    let no_wall = |path: std::path::PathBuf| -> Vec<String> {
        let text = std::fs::read_to_string(path).unwrap();
        let wall = text
            .lines()
            .next()
            .unwrap()
            .split(',')
            .position(|c| c == "wall_s")
            .unwrap();
        text.lines()
            .map(|l| {
                let mut f: Vec<&str> = l.split(',').collect();
                f.remove(wall);
                f.join(",")
            })
            .collect()
    };
    assert_eq!(
        no_wall(dir.path().join("watched/long/summary.csv")),
        no_wall(dir.path().join("plain/long/summary.csv"))
    );
    for name in ["quantiles.csv", "runs.json"] {
        let a = std::fs::read(dir.path().join("watched/long").join(name)).unwrap();
        let b = std::fs::read(dir.path().join("plain/long").join(name)).unwrap();
        assert!(a == b, "{name} differs with --metrics");
    }
}

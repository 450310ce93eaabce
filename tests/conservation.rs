//! Conservation laws over whole runs: every submitted task ends exactly once (completed, failed,
//! unschedulable) or is still running or waiting at the horizon; allocations never exceed capacity
//! (the engine checks that after every decision when invariants are on, as here).

mod common;

use std::collections::BTreeMap;

use common::simctl;

const MIXED: &str = r#"
[scenario]
name = "conservation"
seed = 99
horizon = "40m"
warmup = "5m"
replications = 2

[[cluster.nodes]]
count = 5
cpu = 4
memory = "16GiB"
disk = "100GiB"
[[cluster.nodes]]
count = 3
cpu = 16
memory = "64GiB"
disk = "500GiB"
speed = 2.0

[workload]
dispatch = "DISPATCH"
arrival = { process = "bursty", rate_on = 3.0, rate_off = 0.3, mean_on = "2m", mean_off = "5m" }
duration = { dist = "pareto", alpha = 1.3, min = "5s", max = "30m" }
cpu = { dist = "choice", values = [0.25, 1, 4, 12] }
memory = { dist = "exponential", mean = "3GiB" }
disk = { dist = "uniform", low = "0", high = "50GiB" }
priority = { dist = "choice", values = [0, 5] }

[[scheduler]]
name = "ff"
placement = "first-fit"
[[scheduler]]
name = "la"
placement = "least-allocated"
[[scheduler]]
name = "ma"
queue = "priority"
placement = "most-allocated"
[[scheduler]]
name = "p2"
placement = "power-of-d"
[[scheduler]]
name = "rr"
placement = "round-robin"
[[scheduler]]
name = "rand"
placement = "random"
[[scheduler]]
name = "jsq"
placement = "jsq"

[output]
tasks_csv = true
"#;

fn check_conservation(dispatch: &str) {
    let dir = tempfile::tempdir().unwrap();
    let scen = dir.path().join("s.toml");
    std::fs::write(&scen, MIXED.replace("DISPATCH", dispatch)).unwrap();
    let out = simctl()
        .args(["run", "--quiet", "--check-invariants", "--out"])
        .arg(dir.path())
        .arg(&scen)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let res = dir.path().join("conservation");
    let mut summary = csv::Reader::from_path(res.join("summary.csv")).unwrap();
    let headers = summary.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    // (scheduler, replication) -> submitted, and the end states the summary claims.
    let mut submitted = BTreeMap::new();
    for row in summary.records() {
        let row = row.unwrap();
        let get = |n: &str| row[col(n)].parse::<u64>().unwrap();
        let key = (
            row[col("scheduler")].to_string(),
            row[col("replication")].to_string(),
        );
        let ended = get("tasks_completed") + get("tasks_failed") + get("tasks_unschedulable");
        let open = get("tasks_running_at_end") + get("tasks_pending_at_end");
        assert_eq!(
            get("tasks_submitted"),
            ended + open,
            "{key:?}: summary counts do not add up"
        );
        assert!(
            get("tasks_running_at_end") + get("tasks_pending_at_end") > 0,
            "{key:?}: horizon should cut some tasks"
        );
        submitted.insert(key, get("tasks_submitted"));
    }
    // Independent check from tasks.csv: each task id has exactly one final row.
    let mut finals: BTreeMap<(String, String), BTreeMap<u64, u32>> = BTreeMap::new();
    let mut tasks = csv::Reader::from_path(res.join("tasks.csv")).unwrap();
    for row in tasks.records() {
        let row = row.unwrap();
        let outcome = &row[10];
        assert!(
            [
                "completed",
                "failed",
                "unschedulable",
                "running",
                "pending",
                "preempted"
            ]
            .contains(&outcome),
            "unknown outcome {outcome}"
        );
        if outcome == "preempted" {
            continue;
        }
        let key = (row[0].to_string(), row[2].to_string());
        *finals
            .entry(key)
            .or_default()
            .entry(row[3].parse().unwrap())
            .or_insert(0) += 1;
        if outcome == "completed" {
            let start: f64 = row[8].parse().unwrap();
            let end: f64 = row[9].parse().unwrap();
            let arrival: f64 = row[7].parse().unwrap();
            assert!(
                arrival <= start && start <= end,
                "time went backwards in row {row:?}"
            );
        }
    }
    assert_eq!(finals.len(), submitted.len());
    for (key, ids) in &finals {
        assert_eq!(
            ids.len() as u64,
            submitted[key],
            "{key:?}: tasks with a final row != submitted"
        );
        assert!(
            ids.values().all(|&n| n == 1),
            "{key:?}: some task ended more than once"
        );
        // Task ids are 0..n with none missing.
        assert_eq!(*ids.keys().last().unwrap() + 1, ids.len() as u64);
    }
}

#[test]
fn every_task_ends_exactly_once_central() {
    check_conservation("central");
}

#[test]
fn every_task_ends_exactly_once_immediate() {
    check_conservation("immediate");
}

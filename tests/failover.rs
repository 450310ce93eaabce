//! Faults and failover policies against ground truth: conservation under crashes, renewal-theory
//! availability, independent replicas, and checkpointing's waste bound and Young's interval.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{mean_over, run_all, scenario, simctl, std_over};

/// One service on `nodes` single-slot nodes with exponential MTBF 10 h and MTTR 1 h, four
/// replications of 1000 days.
fn service_scenario(nodes: u32, replicas: u32, failover: &str) -> String {
    sized_service_scenario(nodes, replicas, failover, 4, 1000)
}

/// [`service_scenario`] with `replications` runs of `days` simulated days each.
fn sized_service_scenario(
    nodes: u32,
    replicas: u32,
    failover: &str,
    replications: u32,
    days: u32,
) -> String {
    format!(
        r#"
        [scenario]
        name = "availability"
        seed = 17
        horizon = "{days}d"
        replications = {replications}
        [[cluster.nodes]]
        count = {nodes}
        cpu = 1
        memory = "1GiB"
        [workload]
        services = {{ count = 1, replicas = {replicas}, cpu = 1 }}
        [faults]
        node_mtbf = "10h"
        node_mttr = "1h"
        detection = "0s"
        [failover]
        {failover}
        [[scheduler]]
        name = "ff"
        placement = "first-fit"
        "#
    )
}

const A: f64 = 10.0 / 11.0; // MTBF / (MTBF + MTTR)

#[test]
fn single_service_availability_matches_renewal_theory() {
    // One node, no spare: the service restarts on the same node after each repair. Alternating
    // renewal process: availability = MTBF / (MTBF + MTTR) = 10/11 = 0.90909. 4 x 1000 days is
    // ~8,700 failure cycles, so the estimate's standard error is ~0.15%, well inside 1%.
    let results = run_all(&scenario(&service_scenario(1, 1, "policy = \"resubmit\"")));
    let got = mean_over(&results, 0, |r| r.summary.availability);
    assert!(
        (got - A).abs() / A < 0.01,
        "availability {got:.5} vs MTBF/(MTBF+MTTR) {A:.5}"
    );
    assert!(results.iter().all(|r| r.summary.node_failures > 2000));
}

#[test]
fn spare_nodes_with_instant_detection_keep_the_service_up() {
    // Five nodes: a crash moves the service to another live node at once; it is down only when all
    // five nodes are down together, P = (1/11)^5 ~ 6e-6.
    let results = run_all(&scenario(&service_scenario(5, 1, "policy = \"resubmit\"")));
    let got = mean_over(&results, 0, |r| r.summary.availability);
    assert!(got > 0.9999, "availability with spare nodes {got}");
    assert!(
        results.iter().map(|r| r.summary.task_restarts).sum::<u64>() > 1000,
        "the service should have moved often"
    );
}

#[test]
fn independent_replicas_match_one_minus_unavailability_to_the_k() {
    // k = 3 replicas pinned to 3 nodes (each node holds one), no restart elsewhere: the service is
    // down only when all three nodes are down: 1 - (1 - A)^3 = 1 - (1/11)^3 = 0.999249.
    //
    // Sizing: an all-down episode ends when the first of three repairs (MTTR 1 h each) does, so it
    // lasts 20 min on average, exponentially distributed; episodes cover (1/11)^3 of the time, so
    // they start 7.5e-4 / (1/3 h) = 2.25e-3 times an hour, ~270 per 5000-day run and ~10,800 over
    // 40 runs. The unavailability is a sum of exponential episode lengths over a Poisson count, so
    // its relative standard error is sqrt(2 / 10,800) ~ 1.4%: the 8% tolerance is over 5 standard
    // errors. The test measures the standard error across replications and asserts it is at most
    // a quarter of the tolerance, so a lucky pass on too little data cannot happen.
    let results = run_all(&scenario(&sized_service_scenario(
        3,
        3,
        "policy = \"resubmit\"\npin_services = true",
        40,
        5000,
    )));
    let expected_down = (1.0 - A).powi(3);
    let got_down = 1.0 - mean_over(&results, 0, |r| r.summary.availability);
    let stderr = std_over(&results, 0, |r| r.summary.availability) / (results.len() as f64).sqrt();
    let tolerance = 0.08;
    eprintln!(
        "k = 3 replicas: unavailability {got_down:.4e} vs (1-A)^3 = {expected_down:.4e}, \
         std error {:.2}%",
        100.0 * stderr / expected_down
    );
    assert!(
        stderr / expected_down <= tolerance / 4.0,
        "statistical error {:.3} too large to judge an {tolerance} tolerance",
        stderr / expected_down
    );
    assert!(
        (got_down - expected_down).abs() / expected_down < tolerance,
        "unavailability {got_down:.3e} vs (1-A)^3 = {expected_down:.3e}"
    );
    // And the single-replica, single-node case is far worse: replication is what buys the nines.
    assert!(got_down < (1.0 - A) / 50.0);
}

/// A cluster of 4 nodes, node 2 crashes at 10 min for 5 min; no random faults; detection instant.
const LISTED: &str = r#"
[scenario]
name = "listed"
seed = 8
horizon = "1h"
replications = 2
[[cluster.nodes]]
count = 4
cpu = 4
memory = "16GiB"
[workload]
arrival = { process = "poisson", rate = 0.2 }
duration = { dist = "exponential", mean = "3m" }
cpu = { dist = "choice", values = [1, 2] }
memory = "1GiB"
[faults]
detection = "0s"
crashes = [{ at = "10m", node = 2, repair = "5m" }, { at = "40m", node = 0 }]
[failover]
POLICY
[[scheduler]]
name = "ff"
placement = "first-fit"
[[scheduler]]
name = "spread"
placement = "least-allocated"
[output]
tasks_csv = true
"#;

struct Row {
    task: u64,
    node: Option<u32>,
    start: Option<f64>,
    end: Option<f64>,
    outcome: String,
    key: (String, String),
}

fn run_listed(policy: &str) -> (Vec<Row>, Vec<BTreeMap<String, String>>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, LISTED.replace("POLICY", policy)).unwrap();
    let out = simctl()
        .args(["run", "--quiet", "--check-invariants", "--out"])
        .arg(dir.path())
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rows = Vec::new();
    for r in csv::Reader::from_path(dir.path().join("listed/tasks.csv"))
        .unwrap()
        .records()
    {
        let r = r.unwrap();
        let opt = |i: usize| (!r[i].is_empty()).then(|| r[i].parse::<f64>().unwrap());
        rows.push(Row {
            task: r[3].parse().unwrap(),
            node: (!r[6].is_empty()).then(|| r[6].parse().unwrap()),
            start: opt(8),
            end: opt(9),
            outcome: r[10].to_string(),
            key: (r[0].to_string(), r[2].to_string()),
        });
    }
    let mut summary = Vec::new();
    let mut rdr = csv::Reader::from_path(dir.path().join("listed/summary.csv")).unwrap();
    let headers = rdr.headers().unwrap().clone();
    for r in rdr.records() {
        let r = r.unwrap();
        summary.push(
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect(),
        );
    }
    (rows, summary)
}

/// The listed crashes as (node, crash time, repair time) in seconds.
const CRASHES: [(u32, f64, f64); 2] = [(2, 600.0, 900.0), (0, 2400.0, f64::INFINITY)];

/// Rows on a crashed node never span the crash; only crashes interrupt work here, and detection is
/// instant, so an interrupted attempt ran on a crashed node and ended exactly at its crash. Returns
/// how many interrupted attempts there were, so callers can check the crashes caught something.
fn check_crash_semantics(rows: &[Row]) -> usize {
    let mut interrupted = 0;
    for r in rows.iter().filter(|r| r.start.is_some()) {
        let (s, e) = (r.start.unwrap(), r.end.unwrap_or(f64::INFINITY));
        let crash = CRASHES.iter().find(|c| Some(c.0) == r.node);
        if r.outcome == "interrupted" {
            interrupted += 1;
            let Some(&(node, at, _)) = crash else {
                panic!(
                    "task {} interrupted on node {:?}, which never crashed",
                    r.task, r.node
                )
            };
            assert_eq!(
                e, at,
                "task {} interrupted on node {node} at {e}, not at its crash",
                r.task
            );
        } else if let Some(&(node, at, repair)) = crash {
            assert!(
                e <= at || s >= repair,
                "task {} ran on node {node} across its crash: {s}..{e}",
                r.task
            );
        }
    }
    interrupted
}

#[test]
fn with_resubmit_and_unbounded_attempts_no_task_is_lost() {
    let (rows, summary) = run_listed("policy = \"resubmit\"");
    assert!(
        check_crash_semantics(&rows) > 0,
        "the crashes caught no task"
    );
    for s in &summary {
        assert_eq!(s["tasks_lost"], "0");
        assert_eq!(s["node_failures"], "2");
        assert!(
            s["task_restarts"].parse::<u64>().unwrap() > 0,
            "the crashes should have caught some tasks"
        );
    }
    // Every task has exactly one final row.
    let mut finals: BTreeMap<((String, String), u64), u32> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| !["interrupted", "preempted", "cancelled"].contains(&r.outcome.as_str()))
    {
        *finals.entry((r.key.clone(), r.task)).or_default() += 1;
    }
    assert!(finals.values().all(|&n| n == 1));
    let submitted: u64 = summary
        .iter()
        .map(|s| s["tasks_submitted"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(finals.len() as u64, submitted);
}

#[test]
fn with_none_exactly_the_tasks_caught_on_failed_nodes_are_lost() {
    let (rows, summary) = run_listed("policy = \"none\"");
    assert!(
        check_crash_semantics(&rows) > 0,
        "the crashes caught no task"
    );
    let set = |outcome: &str| -> BTreeSet<((String, String), u64)> {
        rows.iter()
            .filter(|r| r.outcome == outcome)
            .map(|r| (r.key.clone(), r.task))
            .collect()
    };
    let (caught, failed) = (set("interrupted"), set("failed"));
    assert!(!caught.is_empty());
    assert_eq!(
        caught, failed,
        "lost tasks must be exactly those interrupted by the crashes"
    );
    // Every interrupted attempt was on a crashed node, ended at its crash.
    for r in rows.iter().filter(|r| r.outcome == "interrupted") {
        assert!(
            matches!(
                (r.node, r.end),
                (Some(2), Some(600.0)) | (Some(0), Some(2400.0))
            ),
            "node {:?} end {:?}",
            r.node,
            r.end
        );
    }
    let lost: u64 = summary
        .iter()
        .map(|s| s["tasks_lost"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(lost, failed.len() as u64);
}

fn checkpoint_scenario(interval: &str) -> String {
    // 20 single-slot nodes, crash every 2 h on average (repair 1 min); 5 h tasks that arrive slowly
    // enough never to queue; checkpoints cost 1 min. Young: sqrt(2 x 60 s x 7200 s) = 929 s.
    format!(
        r#"
        [scenario]
        name = "ckpt"
        seed = 21
        horizon = "400d"
        replications = 2
        [[cluster.nodes]]
        count = 20
        cpu = 1
        memory = "1GiB"
        [workload]
        arrival = {{ process = "poisson", rate = 0.0004 }}
        duration = {{ dist = "constant", value = "5h" }}
        cpu = 1
        max_tasks = 4000
        [faults]
        node_mtbf = "2h"
        node_mttr = "1m"
        detection = "0s"
        [failover]
        policy = "checkpoint"
        checkpoint_interval = {interval}
        checkpoint_cost = "1m"
        [[scheduler]]
        name = "ff"
        placement = "first-fit"
        "#
    )
}

#[test]
fn checkpoint_waste_per_failure_is_bounded_by_interval_plus_cost() {
    let results = run_all(&scenario(&checkpoint_scenario("\"10m\"")));
    for r in &results {
        let s = &r.summary;
        assert!(s.task_restarts > 100);
        // Each restart threw away at most interval + cost = 11 min of one core.
        let bound = s.task_restarts as f64 * 660.0;
        assert!(
            s.wasted_cpu_s > 0.0 && s.wasted_cpu_s <= bound,
            "wasted {} > bound {bound}",
            s.wasted_cpu_s
        );
    }
}

#[test]
fn young_interval_is_near_the_best_of_a_sweep() {
    let mut text = checkpoint_scenario("\"auto\"");
    text.push_str("[sweep]\n\"failover.checkpoint_interval\" = [\"auto\", \"2m\", \"5m\", \"30m\", \"1h\", \"2h\"]\n");
    let file = scenario(&text);
    let results = run_all(&file);
    // Mean response (= time to finish a 5 h task, since nothing queues) per interval.
    let per_point: Vec<f64> = (0..file.points.len())
        .map(|p| {
            let xs: Vec<f64> = results
                .iter()
                .filter(|r| r.spec.point == p)
                .map(|r| r.summary.mean_response_s)
                .collect();
            xs.iter().sum::<f64>() / xs.len() as f64
        })
        .collect();
    let best = per_point.iter().cloned().fold(f64::INFINITY, f64::min);
    assert!(
        per_point[0] <= best * 1.02,
        "auto (Young) {:.0} s vs best {best:.0} s of {per_point:?}",
        per_point[0]
    );
    // And the sweep is not flat: a bad interval costs visibly more.
    assert!(
        per_point.iter().cloned().fold(0.0, f64::max) > best * 1.05,
        "{per_point:?}"
    );
}

#[test]
fn a_run_without_horizon_ends_when_every_node_is_lost() {
    // No horizon (max_tasks bounds the workload) and periodic samples: once both nodes are lost for
    // good, nothing can ever finish; the run must still end, reporting the rest as pending.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stuck.toml");
    std::fs::write(
        &path,
        r#"
        [scenario]
        name = "stuck"
        [[cluster.nodes]]
        count = 2
        cpu = 1
        memory = "1GiB"
        [workload]
        arrival = { process = "poisson", rate = 1.0 }
        duration = { dist = "exponential", mean = "10s" }
        cpu = 1
        max_tasks = 200
        [faults]
        crashes = [{ at = "30s", node = 0 }, { at = "30s", node = 1 }]
        [[scheduler]]
        name = "ff"
        placement = "first-fit"
        [output]
        timeseries = "1m"
        "#,
    )
    .unwrap();
    let mut child = simctl()
        .args(["run", "--quiet", "--out"])
        .arg(dir.path())
        .arg(&path)
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the run did not end");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(status.success());
    let summary = std::fs::read_to_string(dir.path().join("stuck/summary.csv")).unwrap();
    let (h, r) = (
        summary.lines().next().unwrap(),
        summary.lines().nth(1).unwrap(),
    );
    let col = |name: &str| {
        r.split(',')
            .nth(h.split(',').position(|c| c == name).unwrap())
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert_eq!(col("tasks_submitted"), 200);
    assert!(col("tasks_pending_at_end") > 100);
    assert_eq!(col("node_failures"), 2);
}

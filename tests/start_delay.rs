//! Container start latency (`[[cluster.nodes]] start_delay`): the scenario key, and what it does to
//! a run. An attempt started at `t` makes progress from `t + d`: its response grows by `d`, its
//! wait (which ends at the start decision) does not.

mod common;

use std::path::Path;

use common::scenario;
use simctl::config::ScenarioFile;
use simctl::metrics::{Outcome, TaskRow};
use simctl::runner::calibrate::{scenario_key, summarize};
use simctl::sweep::{self, RunResult};
use simctl::workload::dist::DistSpec;

/// An uncontended cluster: tasks of exactly 2 s, one a second, on `nodes` one-core nodes (with a
/// start delay `delay` of a few seconds at most, at most a handful run at once).
fn text(nodes: u32, delay: Option<&str>, max_tasks: u64) -> String {
    let delay = delay.map_or(String::new(), |d| format!("start_delay = {d}"));
    format!(
        r#"
[scenario]
name = "start-delay"
seed = 7

[[cluster.nodes]]
count = {nodes}
cpu = 1
memory = "1GiB"
{delay}

[workload]
arrival = {{ process = "constant", rate = 1.0 }}
duration = "2s"
cpu = 1
max_tasks = {max_tasks}

[[scheduler]]
name = "ff"
placement = "first-fit"
"#
    )
}

/// The one run of `file`, with its per-attempt rows.
fn run_with_rows(file: &ScenarioFile) -> (RunResult, Vec<TaskRow>) {
    let runs = sweep::plan(file, None);
    assert_eq!(runs.len(), 1, "test bug: one run expected");
    let mut rows = Vec::new();
    let mut sink = |r: &TaskRow| rows.push(r.clone());
    let result = sweep::run_one(file, &runs[0], true, Some(&mut sink)).expect("run succeeds");
    (result, rows)
}

fn secs(a: simctl::time::SimTime, b: simctl::time::SimTime) -> f64 {
    a.since(b).as_secs_f64()
}

#[test]
fn a_constant_delay_adds_exactly_to_response_and_not_to_wait() {
    const S: f64 = 2.0;
    const D: f64 = 0.25;
    let plain = scenario(&text(4, None, 200));
    let delayed = scenario(&text(4, Some("\"250ms\""), 200));
    let runs = sweep::plan(&plain, None);
    let a = &sweep::run_in_memory(&plain, &runs, 1, true).unwrap()[0].summary;
    let runs = sweep::plan(&delayed, None);
    let b = &sweep::run_in_memory(&delayed, &runs, 1, true).unwrap()[0].summary;
    assert_eq!((a.tasks_completed, b.tasks_completed), (200, 200));
    // Ground truth: without queueing, response = duration (+ delay), wait = 0.
    assert!(
        (a.mean_response_s - S).abs() < 1e-9,
        "{}",
        a.mean_response_s
    );
    assert!(
        (b.mean_response_s - (S + D)).abs() < 1e-9,
        "mean response with a 250 ms delay: {} (expected {})",
        b.mean_response_s,
        S + D
    );
    assert_eq!(a.mean_wait_s, 0.0);
    assert_eq!(
        b.mean_wait_s, a.mean_wait_s,
        "the delay must not count as wait"
    );
    // The resources are held during the delay: the busy time grows by D per task.
    assert!(
        b.util_cpu > a.util_cpu,
        "util {} vs {}",
        b.util_cpu,
        a.util_cpu
    );

    // Per attempt: the start is the start decision (at arrival here), the end is D + S later.
    let (_, rows) = run_with_rows(&delayed);
    assert_eq!(rows.len(), 200);
    for r in &rows {
        let start = r.start.expect("started");
        assert_eq!(start, r.arrival, "task {} waited", r.task_id);
        assert!((secs(r.end.unwrap(), start) - (S + D)).abs() < 1e-9);
    }
}

#[test]
fn each_group_has_its_own_delay() {
    // Group 0 (nodes 0..2) with a 1 s delay, group 1 (nodes 2..4) without: first fit alternates
    // between them as tasks of 2 (+1) s arrive every second.
    let t = text(2, Some("\"1s\""), 100).replace(
        "[workload]",
        "[[cluster.nodes]]\ncount = 2\ncpu = 1\nmemory = \"1GiB\"\n\n[workload]",
    );
    let (result, rows) = run_with_rows(&scenario(&t));
    assert_eq!(result.summary.tasks_completed, 100);
    let (mut delayed, mut prompt) = (0, 0);
    for r in &rows {
        let node = r.node.expect("ran on a node").0;
        let run = secs(r.end.unwrap(), r.start.unwrap());
        let expected = if node < 2 { 3.0 } else { 2.0 };
        assert!(
            (run - expected).abs() < 1e-9,
            "task {} on node {node}: {run} s",
            r.task_id
        );
        if node < 2 {
            delayed += 1;
        } else {
            prompt += 1;
        }
    }
    assert!(delayed > 0 && prompt > 0, "{delayed} / {prompt}");
}

#[test]
fn an_exponential_delay_has_its_mean() {
    // 10,000 tasks of 2 s on 50 nodes: nothing ever waits, so response - 2 s is the delay itself.
    const M: f64 = 0.5;
    let file = scenario(&text(
        50,
        Some("{ dist = \"exponential\", mean = \"500ms\" }"),
        10_000,
    ));
    let (result, rows) = run_with_rows(&file);
    assert_eq!(result.summary.tasks_completed, 10_000);
    assert_eq!(result.summary.mean_wait_s, 0.0, "the cluster was contended");
    let delays: Vec<f64> = rows
        .iter()
        .filter(|r| r.outcome == Outcome::Completed)
        .map(|r| secs(r.end.unwrap(), r.arrival) - 2.0)
        .collect();
    assert_eq!(delays.len(), 10_000);
    let n = delays.len() as f64;
    let mean = delays.iter().sum::<f64>() / n;
    let var = delays.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let se = (var / n).sqrt();
    assert!(se < 0.05 * M, "standard error {se} too large to judge");
    assert!(
        (mean - M).abs() < 4.0 * se,
        "mean delay {mean} vs {M} (se {se})"
    );
    // An exponential's standard deviation is its mean: a constant or a wrongly scaled delay fails.
    assert!((var.sqrt() - M).abs() < 0.05 * M, "std {}", var.sqrt());
    assert!(
        (result.summary.mean_response_s - 2.0 - mean).abs() < 1e-6,
        "summary {} vs rows {}",
        result.summary.mean_response_s,
        2.0 + mean
    );
}

/// The parse error for `delay` as the group's start_delay.
fn error(delay: &str) -> String {
    simctl::config::parse(&text(4, Some(delay), 10), Path::new("bad.toml"))
        .map(|_| ())
        .expect_err("should be refused")
        .to_string()
}

#[test]
fn bad_delays_are_refused_naming_the_key() {
    let e = error("\"-1s\"");
    assert!(
        e.contains("cluster.nodes[0].start_delay") && e.contains("negative"),
        "{e}"
    );
    let e = error("-1");
    assert!(e.contains("cluster.nodes[0].start_delay"), "{e}");
    let e = error("{ dist = \"gamma\", mean = \"1s\" }");
    assert!(
        e.contains("cluster.nodes[0].start_delay.dist") && e.contains("gamma"),
        "{e}"
    );
    let e = error("{ dist = \"lognormal\", mean = \"1s\", std = \"-1s\" }");
    assert!(e.contains("cluster.nodes[0].start_delay"), "{e}");
    let e = error("{ dist = \"exponential\", mean = \"1s\", std = \"1s\" }");
    assert!(
        e.contains("cluster.nodes[0].start_delay") && e.contains("std"),
        "{e}"
    );
    let e = error("true");
    assert!(e.contains("cluster.nodes[0].start_delay"), "{e}");
}

#[test]
fn the_calibrate_key_parses_in_a_node_group() {
    for samples in [&[0.17, 0.21, 0.25][..], &[0.3][..]] {
        let stats = summarize(samples);
        let key = scenario_key(&stats);
        let t = text(4, None, 10).replace(
            "memory = \"1GiB\"\n",
            &format!("memory = \"1GiB\"\n{key}\n"),
        );
        assert!(t.contains(&key), "test bug");
        let file = scenario(&t);
        match file.points[0].scenario.node_groups[0].start_delay {
            Some(DistSpec::Lognormal { mean, std }) => {
                assert!((mean - stats.mean).abs() < 5e-4, "{mean} vs {}", stats.mean);
                assert!((std - stats.std).abs() < 5e-4, "{std} vs {}", stats.std);
            }
            ref other => panic!("{key} parsed as {other:?}"),
        }
    }
}

#[test]
fn without_the_key_there_is_no_delay() {
    let file = scenario(&text(4, None, 10));
    assert!(file.points[0].scenario.node_groups[0].start_delay.is_none());
}

/// Work counts from when an attempt began making progress, not from its start decision: a task
/// started at 20 s with a start latency of 4 s, whose node crashes at 27 s, threw away 3 s of
/// compute (not 7 s), and finishes elsewhere. (A second task at 40 s keeps the measurement window
/// open past the crash.)
#[test]
fn work_lost_in_a_crash_counts_from_the_end_of_the_start_latency() {
    let crash = |delay: &str| {
        format!(
            r#"
[scenario]
name = "delay-crash"
seed = 1
[[cluster.nodes]]
count = 2
cpu = 1
memory = "1GiB"
start_delay = "{delay}"
[workload]
arrival = {{ process = "constant", rate = 0.05 }}
duration = "10s"
cpu = 1
max_tasks = 2
[faults]
crashes = [{{ at = "27s", node = 0 }}]
detection = "0s"
[failover]
policy = "resubmit"
[[scheduler]]
name = "ff"
placement = "first-fit"
"#
        )
    };
    let file = scenario(&crash("4s"));
    let (result, rows) = run_with_rows(&file);
    let s = &result.summary;
    assert_eq!(s.tasks_completed, 2);
    assert_eq!(s.task_restarts, 1);
    assert!(
        (s.wasted_cpu_s - 3.0).abs() < 1e-9,
        "wasted {} cpu-s",
        s.wasted_cpu_s
    );
    // Restarted on node 1 at 27 s: done at 27 + 4 + 10 s.
    let done = rows
        .iter()
        .find(|r| r.task_id == 0 && r.outcome == Outcome::Completed)
        .unwrap();
    assert!((done.end.unwrap().as_secs_f64() - 41.0).abs() < 1e-9);
    // Without the latency the same crash throws away 7 s.
    let (result, _) = run_with_rows(&scenario(&crash("0s")));
    assert!((result.summary.wasted_cpu_s - 7.0).abs() < 1e-9);
}

//! Regression tests for the engine fixes of the trust issue: preempted tasks are reconsidered at
//! once, preemption under replication never starts a stale queue entry, every statistic respects
//! the same measurement window, and slowdown, wait and lost tasks have one definition each. Every
//! expected value is derived by hand in the comment above its assertion.

mod common;

use std::path::Path;

use simctl::config;
use simctl::metrics::{Summary, TaskRow};
use simctl::sweep::{self, RunResult};

/// A scenario replaying the given rows of simctl's own trace format (written beside it in `dir`).
fn trace_scenario(dir: &Path, rows: &[&str], rest: &str) -> config::ScenarioFile {
    let mut csv = String::from("arrival_s,duration_s,cpu,memory,disk,priority\n");
    for r in rows {
        csv.push_str(r);
        csv.push('\n');
    }
    std::fs::write(dir.join("tasks.csv"), csv).unwrap();
    let text = format!(
        "[workload]\nsource = \"trace\"\nformat = \"csv\"\npath = \"tasks.csv\"\nstrict = true\n{rest}"
    );
    let path = dir.join("s.toml");
    std::fs::write(&path, &text).unwrap();
    config::load(&path).unwrap_or_else(|e| panic!("test scenario invalid: {e}"))
}

/// Runs the first run of `file`, collecting its task rows.
fn run_with_rows(file: &config::ScenarioFile) -> (Summary, Vec<TaskRow>) {
    let spec = sweep::plan(file, None)[0];
    let mut rows = Vec::new();
    let mut sink = |r: &TaskRow| rows.push(r.clone());
    let result = sweep::run_one(file, &spec, true, Some(&mut sink)).expect("run succeeds");
    (result.summary, rows)
}

fn secs(t: Option<simctl::time::SimTime>) -> f64 {
    t.expect("a time").as_secs_f64()
}

const TWO_NODES_PREEMPTIVE: &str = r#"
[scenario]
name = "preempt"
horizon = "1h"
[[cluster.nodes]]
count = 1
cpu = 4
memory = "8GiB"
[[cluster.nodes]]
count = 1
cpu = 2
memory = "8GiB"
[[scheduler]]
name = "preemptive"
queue = "priority"
preempt = true
placement = "first-fit"
"#;

#[test]
fn preempted_victim_starts_at_once_where_another_node_has_room() {
    // Node 0 has 4 cores, node 1 has 2. At t = 0 two 2-core tasks of priority 0 fill node 0
    // (first-fit). At t = 1 a 4-core task of priority 5 arrives: only node 0 can ever hold it, so
    // both low tasks are preempted. Node 1 has 2 free cores, so one victim must restart at t = 1,
    // in the same instant, not when the urgent task ends at t = 11; the other waits for it.
    let dir = tempfile::tempdir().unwrap();
    let file = trace_scenario(
        dir.path(),
        &["0,1000,2,1GiB,0,0", "0,1000,2,1GiB,0,0", "1,10,4,1GiB,0,5"],
        TWO_NODES_PREEMPTIVE,
    );
    let (summary, rows) = run_with_rows(&file);
    let second_attempts: Vec<&TaskRow> = rows.iter().filter(|r| r.attempt == 2).collect();
    assert_eq!(
        second_attempts.len(),
        2,
        "both victims run a second attempt"
    );
    let mut restarts: Vec<f64> = second_attempts.iter().map(|r| secs(r.start)).collect();
    restarts.sort_by(f64::total_cmp);
    assert_eq!(restarts, vec![1.0, 11.0]);
    assert_eq!(second_attempts[0].node.map(|n| n.0), Some(1));
    assert_eq!(summary.task_restarts, 2);
}

#[test]
fn resumed_preemption_keeps_the_work_and_slowdown_uses_the_ideal_run_time() {
    // One 2-core node. L (priority 0, 100 s) starts at 0; H (priority 5, 10 s) arrives at 40 and
    // preempts it. Under "resume" L keeps its 40 s of work: it restarts at 50 with 60 s left and
    // completes at 110. Response 110 over the 100 s it needs without interruption: slowdown 1.1
    // (the old definition divided by the last attempt's 60 s: 1.83). Its wait is the 0 s before its
    // first start, on every row. Nothing is wasted. Under "restart" L runs 100 s again from 50:
    // completes at 150, slowdown 1.5, and 2 cores x 40 s = 80 core-seconds are wasted.
    for (mode, end, wasted) in [("resume", 110.0, 0.0), ("restart", 150.0, 80.0)] {
        let dir = tempfile::tempdir().unwrap();
        let rest = format!(
            "[scenario]\nname = \"r\"\nhorizon = \"1h\"\n[[cluster.nodes]]\ncount = 1\ncpu = 2\nmemory = \"8GiB\"\n\
             [[scheduler]]\nname = \"p\"\nqueue = \"priority\"\npreempt = \"{mode}\"\nplacement = \"first-fit\"\n"
        );
        let file = trace_scenario(dir.path(), &["0,100,2,1GiB,0,0", "40,10,2,1GiB,0,5"], &rest);
        let (summary, rows) = run_with_rows(&file);
        let low: Vec<&TaskRow> = rows.iter().filter(|r| r.priority == 0).collect();
        assert_eq!(low.len(), 2, "{mode}: a preempted and a completed attempt");
        assert_eq!(secs(low[1].start), 50.0, "{mode}");
        assert_eq!(secs(low[1].end), end, "{mode}");
        assert!(
            low.iter()
                .all(|r| r.first_start.map(|t| t.as_secs_f64()) == Some(0.0)),
            "{mode}: the wait ends at the first start on every row"
        );
        // Slowdowns of both tasks: L as above; H waits 0 and runs 10 s, slowdown 1.
        let l_slowdown = end / 100.0;
        assert!(
            (summary.mean_slowdown - (l_slowdown + 1.0) / 2.0).abs() < 1e-9,
            "{mode}: mean slowdown {}",
            summary.mean_slowdown
        );
        assert!((summary.wasted_cpu_s - wasted).abs() < 1e-9, "{mode}");
    }
}

#[test]
fn goodput_and_failure_statistics_respect_the_warmup() {
    // One 1-core node, warm-up 60 s, crash detection instant, policy resubmit.
    //   A arrives at 0 (90 s). The node crashes at 50 (repaired at 70): A loses 50 s before the
    //     warm-up, restarts at 70 (20 s after it died) and runs to 160.
    //   B arrives at 200 (100 s). The node crashes at 250 (repaired at 260): B loses 50 s inside
    //     the window, restarts at 260 (10 s after) and runs to 360.
    //   D arrives at 400 (10 s) and runs to 410. E arrives at 1000, the horizon, and never runs.
    // Window [60, 1000]. CPU allocated in it: A 70-160 (90) + B 200-250 (50) + B 260-360 (100) +
    // D (10) = 250 core-s; thrown away in it: B's 50. Goodput 1 - 50/250 = 0.8 (counting A's loss
    // before the warm-up too, as the old code did, gave 1 - 100/250 = 0.6).
    // Per task (arrived in the window, completed): B 2 attempts, D 1: mean 1.5 (not 5/3).
    // Per event (in the window): 1 node failure, 1 restart, time to restart 10 s (not 15).
    let dir = tempfile::tempdir().unwrap();
    let rest = r#"
[scenario]
name = "g"
horizon = "1000s"
warmup = "60s"
[[cluster.nodes]]
count = 1
cpu = 1
memory = "8GiB"
[faults]
detection = "0s"
crashes = [{ at = "50s", node = 0, repair = "20s" }, { at = "250s", node = 0, repair = "10s" }]
[failover]
policy = "resubmit"
[[scheduler]]
name = "ff"
placement = "first-fit"
"#;
    let file = trace_scenario(
        dir.path(),
        &[
            "0,90,1,1GiB,0,0",
            "200,100,1,1GiB,0,0",
            "400,10,1,1GiB,0,0",
            "1000,10,1,1GiB,0,0",
        ],
        rest,
    );
    let (s, _) = run_with_rows(&file);
    assert_eq!((s.window_start_s, s.window_end_s), (60.0, 1000.0));
    assert!((s.wasted_cpu_s - 50.0).abs() < 1e-9, "{}", s.wasted_cpu_s);
    assert!((s.goodput - 0.8).abs() < 1e-9, "goodput {}", s.goodput);
    assert!((s.util_cpu - 250.0 / 940.0).abs() < 1e-9, "{}", s.util_cpu);
    assert!((s.mean_attempts - 1.5).abs() < 1e-9, "{}", s.mean_attempts);
    assert_eq!((s.node_failures, s.task_restarts), (1, 1));
    assert!((s.mean_time_to_restart_s - 10.0).abs() < 1e-9);
    // The counts cover the whole run and add up.
    assert_eq!(
        (s.tasks_submitted, s.tasks_completed, s.tasks_running_at_end),
        (4, 3, 1)
    );
}

#[test]
fn schedulers_of_a_draining_workload_share_one_window_ending_at_the_last_arrival() {
    // One 1-core node, tasks of 5 s arriving every 10 s from 0 to 90, horizon 1 h. The workload
    // runs out at the last arrival (90 s): the window is [0, 90] for every scheduler, whatever its
    // straggler tail. Tasks 0..80 complete inside it (9 x 5 s); the last starts at 90 and adds
    // nothing: utilisation 45/90 = 0.5 (averaging to each run's own last event gave 50/95, and a
    // one-hour window would have read as 1.4% busy).
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<String> = (0..10)
        .map(|i| format!("{},5,1,1GiB,0,0", i * 10))
        .collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let rest = r#"
[scenario]
name = "w"
horizon = "1h"
[[cluster.nodes]]
count = 1
cpu = 1
memory = "8GiB"
[[scheduler]]
name = "ff"
placement = "first-fit"
[[scheduler]]
name = "la"
placement = "least-allocated"
"#;
    let file = trace_scenario(dir.path(), &rows, rest);
    let results: Vec<RunResult> = common::run_all(&file);
    for r in &results {
        assert_eq!(
            (r.summary.window_start_s, r.summary.window_end_s),
            (0.0, 90.0)
        );
        assert!(
            (r.summary.util_cpu - 0.5).abs() < 1e-9,
            "{}",
            r.summary.util_cpu
        );
    }
}

#[test]
fn bounded_slowdown_floors_short_tasks_at_tau() {
    // One 1-core node. A (10 s) starts at 0; B (1 s) arrives at 0 too and waits 10 s: response 11,
    // slowdown 11, bounded slowdown max(1, 11 / max(1, 10)) = 1.1. A: slowdown 1, bounded
    // max(1, 10/10) = 1. Means: 6 and 1.05.
    let dir = tempfile::tempdir().unwrap();
    let rest = "[scenario]\nname = \"b\"\nhorizon = \"1h\"\n[[cluster.nodes]]\ncount = 1\ncpu = 1\nmemory = \"8GiB\"\n[[scheduler]]\nname = \"ff\"\nplacement = \"first-fit\"\n";
    let file = trace_scenario(dir.path(), &["0,10,1,1GiB,0,0", "0,1,1,1GiB,0,0"], rest);
    let (s, _) = run_with_rows(&file);
    assert!((s.mean_slowdown - 6.0).abs() < 1e-9, "{}", s.mean_slowdown);
    assert!(
        (s.mean_bounded_slowdown - 1.05).abs() < 1e-9,
        "{}",
        s.mean_bounded_slowdown
    );
    // With tau = 1 s, B's bounded slowdown is 11 / max(1, 1) = 11 and the mean is (1 + 11) / 2.
    let rest = rest.replace(
        "horizon = \"1h\"",
        "horizon = \"1h\"\nbounded_slowdown_tau = \"1s\"",
    );
    let file = trace_scenario(dir.path(), &["0,10,1,1GiB,0,0", "0,1,1,1GiB,0,0"], &rest);
    let (s, _) = run_with_rows(&file);
    assert!(
        (s.mean_bounded_slowdown - 6.0).abs() < 1e-9,
        "{}",
        s.mean_bounded_slowdown
    );
}

#[test]
fn tasks_lost_counts_policy_give_ups_and_tasks_failed_adds_their_dependents() {
    // One 1-core node, policy none. Task 0 (100 s) runs from 0; the node crashes at 10 (detected at
    // once): the policy gives task 0 up (lost). Task 1 depends on it and fails with it without
    // running. tasks_lost = 1, tasks_failed = 2.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tasks.csv"),
        "arrival_s,duration_s,cpu,memory,disk,deps\n0,100,1,1GiB,0,\n0,5,1,1GiB,0,0\n",
    )
    .unwrap();
    let text = r#"
[scenario]
name = "l"
horizon = "1h"
[[cluster.nodes]]
count = 1
cpu = 1
memory = "8GiB"
[workload]
source = "trace"
format = "csv"
path = "tasks.csv"
[faults]
detection = "0s"
crashes = [{ at = "10s", node = 0, repair = "5s" }]
[failover]
policy = "none"
[[scheduler]]
name = "ff"
placement = "first-fit"
"#;
    let path = dir.path().join("l.toml");
    std::fs::write(&path, text).unwrap();
    let file = config::load(&path).unwrap();
    let (s, _) = run_with_rows(&file);
    assert_eq!((s.tasks_lost, s.tasks_failed), (1, 2));
}

//! Bad input gets exit status 1 and one clear message naming the file and the key; never a panic.

mod common;

use common::simctl;

const GOOD: &str = r#"
[scenario]
name = "bad"
horizon = "1m"

[[cluster.nodes]]
count = 2
cpu = 4
memory = "8GiB"

[workload]
arrival = { process = "poisson", rate = 1.0 }
duration = { dist = "exponential", mean = "10s" }
cpu = 1
memory = "1GiB"

[[scheduler]]
name = "ff"
placement = "first-fit"
"#;

/// Validates `text` (written to a temp file) and returns (exit code, stderr).
fn validate(text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    let out = simctl().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (out.status.code().unwrap(), stderr)
}

/// Asserts that replacing `from` by `to` in the good scenario is rejected with a message naming
/// the file and containing every `needles`.
fn rejects(from: &str, to: &str, needles: &[&str]) {
    assert!(
        GOOD.contains(from),
        "test bug: {from:?} not in the scenario"
    );
    let (code, stderr) = validate(&GOOD.replacen(from, to, 1));
    assert_eq!(code, 1, "expected exit 1, stderr: {stderr}");
    assert!(
        stderr.contains("scenario.toml"),
        "message does not name the file: {stderr}"
    );
    for n in needles {
        assert!(stderr.contains(n), "message lacks {n:?}: {stderr}");
    }
    assert_eq!(
        stderr.lines().count(),
        2,
        "expected one error line plus the summary: {stderr}"
    );
}

#[test]
fn the_good_scenario_is_accepted() {
    let (code, stderr) = validate(GOOD);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn unknown_key() {
    rejects(
        "cpu = 4",
        "cpu = 4\ncpus = 8",
        &["cluster.nodes[0].cpus", "unknown key"],
    );
}

#[test]
fn wrong_type() {
    rejects(
        "count = 2",
        "count = \"two\"",
        &["cluster.nodes[0].count", "expected a whole number"],
    );
}

#[test]
fn negative_rate() {
    rejects(
        "rate = 1.0",
        "rate = -1.0",
        &["workload.arrival", "rate must be a positive number"],
    );
}

#[test]
fn negative_size() {
    rejects(
        "memory = \"8GiB\"",
        "memory = -5",
        &["cluster.nodes[0].memory", "must not be negative"],
    );
}

#[test]
fn unknown_distribution() {
    rejects(
        "dist = \"exponential\"",
        "dist = \"gaussian\"",
        &[
            "workload.duration.dist",
            "unknown distribution \"gaussian\"",
        ],
    );
}

#[test]
fn unknown_scheduler() {
    rejects(
        "placement = \"first-fit\"",
        "placement = \"best-guess\"",
        &["scheduler[0].placement", "unknown placement"],
    );
}

#[test]
fn zero_nodes() {
    rejects("count = 2", "count = 0", &["cluster.nodes", "zero nodes"]);
}

#[test]
fn task_that_fits_on_no_node() {
    rejects(
        "cpu = 1\n",
        "cpu = 6\n",
        &["workload.cpu", "no task would ever be schedulable"],
    );
}

#[test]
fn task_that_may_not_fit() {
    rejects(
        "cpu = 1\n",
        "cpu = { dist = \"uniform\", low = 1, high = 8 }\n",
        &["workload.cpu", "unschedulable"],
    );
}

#[test]
fn syntax_error_names_the_line() {
    rejects(
        "count = 2",
        "count = = 2",
        &["line 7, column 9", "invalid TOML"],
    );
}

#[test]
fn unreadable_file() {
    let out = simctl()
        .args(["validate", "/nonexistent/nowhere.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/nowhere.toml") && stderr.contains("cannot read"),
        "{stderr}"
    );
}

#[test]
fn run_rejects_bad_scenarios_before_running_anything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, GOOD.replace("count = 2", "count = 0")).unwrap();
    let out = simctl()
        .args(["run", "--quiet", "--out"])
        .arg(dir.path())
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !dir.path().join("bad").exists(),
        "results written for an invalid scenario"
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = simctl().args(["run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = simctl().args(["frobnicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn runtime_unschedulable_tasks_are_reported_not_waited_for() {
    // An unbounded memory distribution can draw more than any node has: such tasks are rejected at
    // arrival, counted, and warned about; the run still ends.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    std::fs::write(
        &path,
        GOOD.replace(
            "memory = \"1GiB\"",
            "memory = { dist = \"exponential\", mean = \"4GiB\" }",
        ),
    )
    .unwrap();
    let out = simctl()
        .args(["run", "--quiet", "--out"])
        .arg(dir.path())
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unschedulable"), "{stderr}");
    let summary = std::fs::read_to_string(dir.path().join("bad/summary.csv")).unwrap();
    let header: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = summary.lines().nth(1).unwrap().split(',').collect();
    let i = header
        .iter()
        .position(|h| *h == "tasks_unschedulable")
        .unwrap();
    assert!(row[i].parse::<u64>().unwrap() > 0);
}

/// Validates `text` and asserts exit 1 with one error line naming the file and every `needles`.
fn rejects_doc(text: &str, needles: &[&str]) {
    let (code, stderr) = validate(text);
    assert_eq!(code, 1, "expected exit 1, stderr: {stderr}");
    assert!(stderr.contains("scenario.toml"), "no file name: {stderr}");
    for n in needles {
        assert!(stderr.contains(n), "message lacks {n:?}: {stderr}");
    }
    assert_eq!(
        stderr.lines().count(),
        2,
        "one error line expected: {stderr}"
    );
}

/// The good scenario with `extra` appended (new tables).
fn good_with(extra: &str) -> String {
    format!("{GOOD}\n{extra}")
}

// Trust issue, item 1: the work and memory a scenario implies are bounded up front.

#[test]
fn an_arrival_rate_of_1e308_is_refused_with_the_task_estimate() {
    rejects(
        "rate = 1.0",
        "rate = 1e308",
        &[
            "workload.arrival",
            "a run would simulate about",
            "limit of 1.000e9",
        ],
    );
}

#[test]
fn a_microsecond_timeseries_over_a_long_horizon_is_refused_with_the_memory_estimate() {
    // 30 days / 1 us = 2.6e12 samples x 128 B: far beyond 4 GiB.
    let text = good_with("[output]\ntimeseries = \"1us\"\n").replace("\"1m\"", "\"30d\"");
    rejects_doc(
        &text,
        &[
            "output.timeseries",
            "would need about",
            "2.592e12 time-series samples",
            "limit of 4.0 GiB",
        ],
    );
}

#[test]
fn three_groups_of_ten_million_nodes_exceed_the_total_node_limit() {
    let group = "[[cluster.nodes]]\ncount = 10000000\ncpu = 4\nmemory = \"8GiB\"\n";
    let text = GOOD.replacen(
        "[[cluster.nodes]]\ncount = 2\ncpu = 4\nmemory = \"8GiB\"\n",
        &group.repeat(3),
        1,
    );
    rejects_doc(
        &text,
        &["cluster.nodes", "30000000 nodes", "at most 10000000"],
    );
}

#[test]
fn run_refuses_an_over_budget_scenario_before_writing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, GOOD.replace("rate = 1.0", "rate = 1e308")).unwrap();
    let out = simctl()
        .args(["run", "--quiet", "--out"])
        .arg(dir.path())
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("workload.arrival"));
    assert!(!dir.path().join("bad").exists(), "results written");
}

// Item 2.

#[test]
fn power_of_d_with_d_larger_than_the_cluster_is_refused() {
    rejects(
        "placement = \"first-fit\"",
        "placement = \"power-of-d\"\nd = 1000",
        &["scheduler[0].d", "between 1 and the number of nodes (2)"],
    );
    // Beyond any cluster: refused by the parameter's own range before the cluster is known.
    rejects(
        "placement = \"first-fit\"",
        "placement = \"power-of-d\"\nd = 100000000000",
        &["scheduler[0].d", "got 100000000000"],
    );
}

#[test]
fn power_of_d_with_d_equal_to_the_cluster_size_is_accepted() {
    let (code, stderr) = validate(&GOOD.replace(
        "placement = \"first-fit\"",
        "placement = \"power-of-d\"\nd = 2",
    ));
    assert_eq!(code, 0, "{stderr}");
}

// Item 3: no silent clamping or rounding to zero.

#[test]
fn a_horizon_beyond_the_clock_is_refused_not_clamped() {
    rejects(
        "horizon = \"1m\"",
        "horizon = \"99999999999999999d\"",
        &["scenario.horizon", "longer than the longest simulated time"],
    );
}

#[test]
fn a_capacity_of_2_pow_64_bytes_or_more_is_refused_not_saturated() {
    rejects(
        "memory = \"8GiB\"",
        "memory = \"20000000TiB\"",
        &["cluster.nodes[0].memory", "not below 2^64 bytes"],
    );
}

#[test]
fn a_cluster_whose_total_memory_overflows_is_refused() {
    rejects(
        "memory = \"8GiB\"",
        "memory = 1.8e19",
        &[
            "cluster.nodes",
            "total memory capacity does not fit in 64 bits",
        ],
    );
}

#[test]
fn an_absurd_core_count_is_refused_not_saturated() {
    rejects(
        "cpu = 4",
        "cpu = 1e300",
        &["cluster.nodes[0].cpu", "more than simctl supports"],
    );
}

#[test]
fn a_timeseries_interval_that_rounds_to_zero_is_refused() {
    rejects_doc(
        &good_with("[output]\ntimeseries = \"0.1us\"\n"),
        &["output.timeseries", "would round to zero"],
    );
}

#[test]
fn a_task_duration_that_rounds_to_zero_is_refused() {
    rejects(
        "duration = { dist = \"exponential\", mean = \"10s\" }",
        "duration = \"0.0000001\"",
        &["workload.duration", "would round to zero"],
    );
}

#[test]
fn a_warmup_not_shorter_than_the_horizon_is_refused() {
    rejects(
        "horizon = \"1m\"",
        "horizon = \"1m\"\nwarmup = \"60s\"",
        &["scenario.warmup", "not shorter than the horizon"],
    );
}

// Item 4.

#[test]
fn sweeping_the_output_dir_is_refused() {
    rejects_doc(
        &good_with("[sweep]\n\"output.dir\" = [\"a\", \"b\"]\n"),
        &["sweep.\"output.dir\"", "cannot be swept"],
    );
}

#[test]
fn sweeping_the_scenario_name_is_refused() {
    rejects_doc(
        &good_with("[sweep]\n\"scenario.name\" = [\"a\", \"b\"]\n"),
        &["sweep.\"scenario.name\"", "cannot be swept"],
    );
}

// Item 5.

#[test]
fn preemption_with_immediate_dispatch_is_refused() {
    let text = GOOD
        .replace("cpu = 1\n", "cpu = 1\ndispatch = \"immediate\"\n")
        .replace(
            "placement = \"first-fit\"",
            "placement = \"jsq\"\nqueue = \"priority\"\npreempt = true",
        );
    rejects_doc(&text, &["scheduler[0].preempt", "central queue"]);
}

#[test]
fn a_failover_key_of_another_policy_is_refused() {
    rejects_doc(
        &good_with("[failover]\npolicy = \"resubmit\"\nbackoff = \"30s\"\n"),
        &["failover.backoff", "applies only to policy \"retry\""],
    );
}

#[test]
fn a_policy_sweep_accepts_the_keys_of_every_swept_policy() {
    let text = good_with(
        "[failover]\npolicy = \"resubmit\"\nbackoff = \"30s\"\nreplicas = 2\n\n[sweep]\n\"failover.policy\" = [\"resubmit\", \"retry\", \"replicate\"]\n",
    );
    let (code, stderr) = validate(&text);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_policy_sweep_refuses_a_key_no_swept_policy_uses() {
    rejects_doc(
        &good_with(
            "[failover]\npolicy = \"resubmit\"\nreplicas = 2\n\n[sweep]\n\"failover.policy\" = [\"resubmit\", \"retry\"]\n",
        ),
        &["failover.replicas", "applies only to policy \"replicate\"", "\"resubmit\", \"retry\""],
    );
}

#[test]
fn the_bundled_failover_scenario_still_validates() {
    let out = simctl()
        .args(["validate", "scenarios/failover.toml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A scenario replaying a 4-processor SWF log (its header defines the cluster), written beside it.
fn swf_scenario(dir: &std::path::Path, cluster: &str) -> std::path::PathBuf {
    std::fs::write(
        dir.join("log.swf"),
        "; MaxProcs: 4\n1 0 0 10 1 -1 -1 1 10 -1 1 1 1 1 1 -1 -1 -1\n",
    )
    .unwrap();
    let path = dir.join("scenario.toml");
    std::fs::write(
        &path,
        format!(
            "[scenario]\nname = \"swf\"\nhorizon = \"1h\"\n{cluster}\n[workload]\nsource = \"trace\"\nformat = \"swf\"\npath = \"log.swf\"\n\n[[scheduler]]\nname = \"ff\"\nplacement = \"first-fit\"\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn cluster_nodes_beside_a_trace_that_defines_the_cluster_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = swf_scenario(
        dir.path(),
        "[[cluster.nodes]]\ncount = 1\ncpu = 8\nmemory = \"8GiB\"\n",
    );
    let out = simctl().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("scenario.toml:4: cluster.nodes") && stderr.contains("defines the cluster"),
        "{stderr}"
    );
    let path = swf_scenario(dir.path(), "");
    let out = simctl().arg("validate").arg(&path).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn jobs_zero_is_a_usage_error() {
    let out = simctl()
        .args(["run", "--jobs", "0", "scenarios/quickstart.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--jobs") && stderr.contains("at least 1"),
        "{stderr}"
    );
}

// Item 6: error texts.

#[test]
fn exponent_notation_durations_are_numbers() {
    let (code, stderr) = validate(&GOOD.replace("horizon = \"1m\"", "horizon = \"6e1s\""));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn an_unreadable_file_says_why_once() {
    let out = simctl()
        .args(["validate", "/nonexistent/nowhere.toml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "{stderr}"
    );
    let out = simctl()
        .args(["run", "/nonexistent/nowhere.toml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "{stderr}"
    );
}

#[test]
fn a_non_utf8_scenario_names_the_line_and_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    // "[scenario]\n" and "name = \"x\"\n" are 11 bytes each, "# caf" 5: the bad byte is at 27.
    std::fs::write(&path, b"[scenario]\nname = \"x\"\n# caf\xe9\n").unwrap();
    let out = simctl().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("scenario.toml:3: not UTF-8")
            && stderr.contains("byte offset 27, line 3, column 6"),
        "{stderr}"
    );
}

#[test]
fn a_bad_trace_format_is_a_usage_error() {
    let out = simctl()
        .args(["trace", "info", "--format", "nope", "Cargo.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown trace format \"nope\""), "{stderr}");
}

#[test]
fn type_errors_use_the_right_article() {
    rejects(
        "count = 2",
        "count = [2]",
        &[
            "cluster.nodes[0].count",
            "expected a whole number, got an array",
        ],
    );
}

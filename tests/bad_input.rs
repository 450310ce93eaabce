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

//! `simctl bench`: each row reports its own run's figures (the event count `simctl run` writes to
//! summary.csv for the same scenario and override), and bad input exits 1 naming what is wrong.
//! No timing is asserted.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

fn simctl(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_simctl"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("simctl starts")
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `simctl run FILE --set workload.max_tasks=N`: the `events` column of summary.csv by scheduler.
fn run_events(file: &str, tasks: u64) -> BTreeMap<String, u64> {
    let out = tempfile::tempdir().unwrap();
    let o = simctl(
        &[
            "run",
            file,
            "--set",
            &format!("workload.max_tasks={tasks}"),
            "--out",
            out.path().to_str().unwrap(),
            "-q",
            "-j1",
        ],
        repo(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let scenario_dir = std::fs::read_dir(out.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut csv = csv::Reader::from_path(scenario_dir.join("summary.csv")).unwrap();
    let header = csv.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (sched, events) = (col("scheduler"), col("events"));
    csv.records()
        .map(|r| {
            let r = r.unwrap();
            (r[sched].to_string(), r[events].parse().unwrap())
        })
        .collect()
}

/// The data rows of `simctl bench`'s table: (scheduler, tasks, events).
fn table_rows(stdout: &str) -> Vec<(String, u64, u64)> {
    stdout
        .lines()
        .skip(2)
        .map(|l| {
            let c: Vec<&str> = l.split_whitespace().collect();
            (
                c[1].to_string(),
                c[2].parse().unwrap(),
                c[3].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn bench_rows_carry_the_event_count_of_the_same_run() {
    let o = simctl(&["bench", "benches/mmc100.toml", "--tasks", "2000"], repo());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = table_rows(&String::from_utf8_lossy(&o.stdout));
    let expected = run_events("benches/mmc100.toml", 2000);
    // One scheduler, one replication: one row, of 2000 tasks.
    assert_eq!(rows.len(), 1);
    let (sched, tasks, events) = &rows[0];
    assert_eq!((sched.as_str(), *tasks), ("first-fit", 2000));
    assert_eq!(*events, expected["first-fit"]);
    // Every task of an M/M/c run without faults arrives once and finishes once.
    assert_eq!(*events, 2 * 2000);
}

#[test]
fn each_selected_scheduler_runs_in_its_own_process_with_its_own_events() {
    let o = simctl(
        &[
            "bench",
            "benches/google-scale.toml",
            "--tasks",
            "1500",
            "--scheduler",
            "best-fit",
            "--scheduler",
            "first-fit",
            "--json",
        ],
        repo(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let expected = run_events("benches/google-scale.toml", 1500);
    // The file's order (first-fit is its 2nd scheduler, best-fit its 3rd), not the flags'.
    let got: Vec<(&str, u64, u64)> = lines
        .iter()
        .map(|l| {
            (
                l["scheduler"].as_str().unwrap(),
                l["run"].as_u64().unwrap(),
                l["events"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("first-fit", 1, expected["first-fit"]),
            ("best-fit", 2, expected["best-fit"]),
        ]
    );
    for l in &lines {
        assert_eq!(l["tasks"], 1500);
        assert!(l["peak_rss_mib"].as_f64().unwrap() > 0.0);
        assert!(l["mean_pending_events"].as_f64().unwrap() >= 1.0);
    }
}

#[test]
fn an_unknown_scheduler_exits_1_naming_it() {
    let o = simctl(
        &["bench", "benches/mmc100.toml", "--scheduler", "nope"],
        repo(),
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--scheduler nope"), "{err}");
    assert!(err.contains("first-fit"), "{err}");
}

#[test]
fn a_missing_file_exits_1_naming_it() {
    let o = simctl(&["bench", "benches/no-such.toml"], repo());
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("benches/no-such.toml"), "{err}");
}

#[test]
fn the_default_suite_outside_the_repository_says_where_to_run() {
    let elsewhere = tempfile::tempdir().unwrap();
    let o = simctl(&["bench"], elsewhere.path());
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("benches/mmc100.toml"), "{err}");
    assert!(
        err.contains("run from the repository root or name the files"),
        "{err}"
    );
}

/// Every bundled benchmark scenario loads and plans (they are not run by the digest test, which
/// covers `scenarios/`), and the overload benchmark sweeps the three offered loads.
#[test]
fn every_benchmark_scenario_validates() {
    let mut files: Vec<_> = std::fs::read_dir(repo().join("benches"))
        .expect("benches/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "benchmark scenarios: {files:?}");
    for f in &files {
        let o = simctl(&["validate", f.to_str().expect("utf-8 path")], repo());
        assert!(
            o.status.success(),
            "{}: {}",
            f.display(),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = simctl(&["validate", "benches/overload.toml"], repo());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("3 runs"), "{out}");
}

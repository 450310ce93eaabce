//! Tests of the comparison against small hand-made summaries.

use std::path::{Path, PathBuf};

use super::*;

const HEADER: &str = "scenario,scheduler,sweep_point,replication,seed,workload.arrival.rate,\
tasks_submitted,mean_response_s,p99_response_s,util_cpu";

fn write_dir(body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("summary.csv"), format!("{HEADER}\n{body}")).unwrap();
    dir
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/results-example")
}

/// Two schedulers, one sweep point, three replications each:
/// fast: mean_response 10, 11, 12 -> mean 11, s = 1, CI 11 ± 4.303/sqrt(3) = 11 ± 2.484;
/// slow: mean_response 20, 20, 23 -> mean 21; util_cpu fast 0.5 vs slow 0.7 (higher is better).
const TWO: &str = "s,fast,0,0,1,2,100,10,50,0.5\n\
s,fast,0,1,2,2,100,11,55,0.5\n\
s,fast,0,2,3,2,100,12,60,0.5\n\
s,slow,0,0,1,2,100,20,90,0.7\n\
s,slow,0,1,2,2,100,20,95,0.7\n\
s,slow,0,2,3,2,100,23,99,0.7\n";

#[test]
fn means_intervals_ranks_and_ratios() {
    let dir = write_dir(TWO);
    let cmp = compare_dir(dir.path(), Some("fast")).unwrap();
    assert_eq!(cmp.schedulers, vec!["fast", "slow"]);
    assert_eq!(cmp.sweep_keys, vec!["workload.arrival.rate"]);
    assert_eq!(
        cmp.metrics,
        vec!["mean_response_s", "p99_response_s", "util_cpu"]
    );
    let fast = cmp.cell("fast", 0, "mean_response_s").unwrap();
    assert_eq!(
        (fast.estimate.n, fast.estimate.mean, fast.rank, fast.best),
        (3, Some(11.0), Some(1), true)
    );
    let (lo, hi) = fast.estimate.ci95().unwrap();
    assert!(
        (lo - 8.516).abs() < 1e-3 && (hi - 13.484).abs() < 1e-3,
        "{lo} {hi}"
    );
    let slow = cmp.cell("slow", 0, "mean_response_s").unwrap();
    assert_eq!((slow.rank, slow.best), (Some(2), false));
    assert!((slow.ratio_to_baseline.unwrap() - 21.0 / 11.0).abs() < 1e-12);
    // Utilisation: higher is better, so the slow scheduler wins there.
    let util = cmp.cell("slow", 0, "util_cpu").unwrap();
    assert_eq!((util.direction, util.rank), (Direction::Higher, Some(1)));
}

#[test]
fn csv_is_tidy_and_deterministic() {
    let dir = write_dir(TWO);
    let cmp = compare_dir(dir.path(), None).unwrap();
    let path = cmp.write_csv(dir.path()).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "scheduler,sweep_point,workload.arrival.rate,group,metric,direction,n,mean,std_dev,\
ci95_low,ci95_high,rank,best,p_value,verdict,ratio_to_baseline"
    );
    assert_eq!(text.lines().count(), 1 + 2 * 3);
    assert!(
        text.contains("\nfast,0,2,0,mean_response_s,lower,3,11,1,"),
        "{text}"
    );
    assert_eq!(cmp.csv_bytes().unwrap(), std::fs::read(&path).unwrap());
    // No temporary file left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn table_marks_best_and_shows_intervals() {
    let cmp = compare_dir(&fixture(), Some("round-robin")).unwrap();
    let table = cmp.render_table();
    assert!(
        table.contains("workload.arrival.rate=2  (sweep point 0)"),
        "{table}"
    );
    assert!(
        table.contains("workload.arrival.rate=3  (sweep point 1)"),
        "{table}"
    );
    assert!(
        table.contains("*") && table.contains(" ± ") && table.contains(" x1.00"),
        "{table}"
    );
    // least-allocated has the lowest imbalance at both rates, significantly (Welch p < 0.05), but
    // its lead in mean response over power-of-2 is within noise.
    let first = table
        .lines()
        .find(|l| l.contains("least-allocated"))
        .unwrap();
    assert!(first.contains("*0.07484"), "{table}");
    let cell = cmp.cell("least-allocated", 0, "imbalance_cv").unwrap();
    assert!(cell.best && cell.p_value.unwrap() < 0.05, "{cell:?}");
    let cell = cmp.cell("least-allocated", 0, "mean_response_s").unwrap();
    assert_eq!((cell.rank, cell.best), (Some(1), false));
    assert!(matches!(cell.verdict, Verdict::NoDifference { .. }));
}

#[test]
fn unknown_baseline_is_an_error_listing_the_schedulers() {
    let err = compare_dir(&fixture(), Some("nope"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`nope`") && err.contains("least-allocated, power-of-2, round-robin"),
        "{err}"
    );
}

#[test]
fn malformed_number_names_file_line_and_column() {
    let dir = write_dir("s,fast,0,0,1,2,100,10,50,0.5\ns,fast,0,1,2,2,100,ten,55,0.5\n");
    let err = compare_dir(dir.path(), None).unwrap_err().to_string();
    assert!(
        err.contains("summary.csv:3:")
            && err.contains("mean_response_s")
            && err.contains("\"ten\""),
        "{err}"
    );
}

#[test]
fn ragged_row_and_missing_column_are_errors() {
    let dir = write_dir("s,fast,0,0,1,2,100,10,50,0.5\ns,fast,0,1\n");
    let err = compare_dir(dir.path(), None).unwrap_err().to_string();
    assert!(
        err.contains("summary.csv:3:") && err.contains("expected 10 fields"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("summary.csv"),
        "scheduler,replication\nx,0\n",
    )
    .unwrap();
    let err = compare_dir(dir.path(), None).unwrap_err().to_string();
    assert!(err.contains("missing column `scenario`"), "{err}");
    let err = compare_dir(&dir.path().join("absent"), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("summary.csv"), "{err}");
}

#[test]
fn empty_values_count_as_missing() {
    // A run that completed nothing has no response time: it must not drag the mean to zero.
    let dir =
        write_dir("s,a,0,0,1,2,100,,50,0.5\ns,a,0,1,2,2,100,12,55,0.5\ns,b,0,0,1,2,100,NaN,,0.5\n");
    let cmp = compare_dir(dir.path(), None).unwrap();
    let a = cmp.cell("a", 0, "mean_response_s").unwrap();
    assert_eq!(
        (a.estimate.n, a.estimate.mean, a.rank),
        (1, Some(12.0), Some(1))
    );
    let b = cmp.cell("b", 0, "mean_response_s").unwrap();
    assert_eq!((b.estimate.n, b.rank, b.best), (0, None, false));
    assert!(cmp.render_table().contains("n/a"));
}

#[test]
fn a_lone_scheduler_is_ranked_but_not_best_and_no_sweep_has_no_heading() {
    let dir = tempfile::tempdir().unwrap();
    let header = HEADER.replace(",workload.arrival.rate", "");
    let body = "s,only,0,0,1,100,10,50,0.5\ns,only,0,1,2,100,12,52,0.6\n";
    std::fs::write(dir.path().join("summary.csv"), format!("{header}\n{body}")).unwrap();
    let cmp = compare_dir(dir.path(), None).unwrap();
    let cell = cmp.cell("only", 0, "mean_response_s").unwrap();
    assert_eq!((cell.rank, cell.best), (Some(1), false));
    let table = cmp.render_table();
    let row = table
        .lines()
        .find(|l| l.contains("only"))
        .unwrap();
    assert!(
        !row.contains('*') && !table.contains("sweep point"),
        "{table}"
    );
    assert!(table.starts_with("  rank  scheduler"), "{table}");
    assert_eq!(cell.verdict, Verdict::Uncontested);
    assert!(
        !table.lines().any(|l| l.trim_start().starts_with("verdict")),
        "nothing to judge: {table}"
    );
}

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
    let row = table.lines().find(|l| l.contains("only")).unwrap();
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

fn failover_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/results-failover")
}

/// The scheduler column of the table's rows under the header, in printed order.
fn row_schedulers(table: &str, names: &[&str]) -> Vec<String> {
    table
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let (_rank, name) = (words.next()?, words.next()?);
            names.contains(&name).then(|| name.to_string())
        })
        .collect()
}

#[test]
fn table_rows_are_ranked_not_in_scenario_order() {
    // Scenario order slow, fast, mid; by mean response fast (11) < mid (15) < slow (21).
    let dir = write_dir(
        "s,slow,0,0,1,2,100,20,90,0.7\ns,slow,0,1,2,2,100,22,95,0.7\n\
s,fast,0,0,1,2,100,10,50,0.5\ns,fast,0,1,2,2,100,12,55,0.5\n\
s,mid,0,0,1,2,100,14,70,0.6\ns,mid,0,1,2,2,100,16,75,0.6\n",
    );
    let cmp = compare_dir(dir.path(), None).unwrap();
    assert_eq!(cmp.schedulers, vec!["slow", "fast", "mid"]);
    let table = cmp.render_table();
    assert_eq!(
        row_schedulers(&table, &["slow", "fast", "mid"]),
        vec!["fast", "mid", "slow"],
        "{table}"
    );
    let ranks: Vec<&str> = table
        .lines()
        .filter(|l| l.contains("fast") || l.contains("mid") || l.contains("slow"))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ranks, vec!["1", "2", "3"], "{table}");
}

#[test]
fn best_is_marked_only_when_welch_finds_the_lead_significant() {
    // mean_response: a 9, 10, 11 (mean 10, s 1) vs b 10, 11, 12 (mean 11, s 1): Welch t = -1.22,
    // df = 4, p = 0.288: no difference. p99_response: a 50, 51, 52 vs b 54, 55, 56: t = -4.90,
    // df = 4, p = 0.0080: a is best. util_cpu is identical everywhere: p = 1, no difference.
    let dir = write_dir(
        "s,a,0,0,1,2,100,9,50,0.5\ns,a,0,1,2,2,100,10,51,0.5\ns,a,0,2,3,2,100,11,52,0.5\n\
s,b,0,0,1,2,100,10,54,0.5\ns,b,0,1,2,2,100,11,55,0.5\ns,b,0,2,3,2,100,12,56,0.5\n",
    );
    let cmp = compare_dir(dir.path(), None).unwrap();
    let resp = cmp.cell("a", 0, "mean_response_s").unwrap();
    assert_eq!((resp.rank, resp.best), (Some(1), false));
    match resp.verdict {
        Verdict::NoDifference { p } => assert!((p - 0.2879).abs() < 5e-4, "{p}"),
        v => panic!("{v:?}"),
    }
    let p99 = cmp.cell("a", 0, "p99_response_s").unwrap();
    assert!(p99.best, "{p99:?}");
    assert!((p99.p_value.unwrap() - 0.0080).abs() < 2e-4, "{p99:?}");
    let loser = cmp.cell("b", 0, "p99_response_s").unwrap();
    assert_eq!((loser.rank, loser.best), (Some(2), false));
    assert_eq!(
        loser.p_value, p99.p_value,
        "each row's p is against the leader"
    );
    let util = cmp.cell("a", 0, "util_cpu").unwrap();
    assert_eq!(
        (util.best, util.verdict),
        (false, Verdict::NoDifference { p: 1.0 })
    );
    let table = cmp.render_table();
    let verdicts = table
        .lines()
        .find(|l| l.trim_start().starts_with("verdict"))
        .unwrap();
    assert!(
        verdicts.contains("no difference") && verdicts.contains("best: p=0.008"),
        "{table}"
    );
    assert_eq!(
        table.matches('*').count(),
        2,
        "one star and the footer's: {table}"
    );
    let csv = String::from_utf8(cmp.csv_bytes().unwrap()).unwrap();
    assert!(
        csv.contains(",no difference,") && csv.contains(",true,0.008"),
        "{csv}"
    );
}

#[test]
fn single_replications_mark_nothing_and_say_the_ci_is_undefined() {
    let dir = write_dir("s,a,0,0,1,2,100,10,50,0.5\ns,b,0,0,1,2,100,20,90,0.7\n");
    let cmp = compare_dir(dir.path(), None).unwrap();
    for c in &cmp.cells {
        assert_eq!(
            (c.best, c.verdict, c.p_value),
            (false, Verdict::Undetermined, None),
            "{c:?}"
        );
    }
    // Still ranked: a has the lower response time.
    assert_eq!(cmp.cell("a", 0, "mean_response_s").unwrap().rank, Some(1));
    let table = cmp.render_table();
    assert!(
        !table
            .lines()
            .any(|l| l.contains('*') && !l.starts_with('*')),
        "{table}"
    );
    assert!(
        table.contains("n<2: no CI")
            && table.contains("a single replication has no confidence interval"),
        "{table}"
    );
}

#[test]
fn swept_failover_policies_are_ranked_against_each_other() {
    // 2 schedulers x failover.policy (resubmit, checkpoint): one group of four contenders, not two
    // tables of two schedulers with the policy as a heading.
    let cmp = compare_dir(&failover_fixture(), None).unwrap();
    assert_eq!(cmp.groups.len(), 1);
    assert_eq!(cmp.groups[0].sweep_points, vec![0, 1]);
    assert!(cmp.groups[0].label().is_empty());
    let goodput: Vec<&Cell> = cmp.cells.iter().filter(|c| c.metric == "goodput").collect();
    assert_eq!(goodput.len(), 4);
    let mut ranks: Vec<usize> = goodput.iter().map(|c| c.rank.unwrap()).collect();
    ranks.sort_unstable();
    assert_eq!(ranks, vec![1, 2, 3, 4]);
    // Checkpointing keeps more goodput (0.96 vs 0.91 in make_fixtures.py) under both schedulers:
    // the two checkpoint contenders rank 1 and 2, ahead of every resubmit one.
    for c in &goodput {
        let checkpoint = c.sweep_values[0] == "checkpoint";
        assert_eq!(checkpoint, c.rank.unwrap() <= 2, "{c:?}");
    }
    let table = cmp.render_table();
    assert!(
        table.contains("failover.policy") && !table.contains("sweep point"),
        "{table}"
    );
    assert_eq!(table.matches("  rank  ").count(), 1, "one table: {table}");
}

#[test]
fn one_scheduler_with_swept_policies_gets_a_best_policy() {
    // One scheduler, two policies: without grouping by strategy this was two one-row tables with
    // nothing compared. retry: response 10, 11, 12; checkpoint: 20, 21, 22 -> retry's lead is
    // significant (t = -12.2, df = 4, p = 0.0003).
    let dir = tempfile::tempdir().unwrap();
    let header = HEADER.replace("workload.arrival.rate", "failover.policy");
    let body = "s,only,0,0,1,retry,100,10,50,0.5\ns,only,0,1,2,retry,100,11,55,0.5\n\
s,only,0,2,3,retry,100,12,60,0.5\ns,only,1,0,1,checkpoint,100,20,90,0.5\n\
s,only,1,1,2,checkpoint,100,21,95,0.5\ns,only,1,2,3,checkpoint,100,22,99,0.5\n";
    std::fs::write(dir.path().join("summary.csv"), format!("{header}\n{body}")).unwrap();
    let cmp = compare_dir(dir.path(), None).unwrap();
    let retry = cmp.cell("only", 0, "mean_response_s").unwrap();
    let checkpoint = cmp.cell("only", 1, "mean_response_s").unwrap();
    assert_eq!((retry.rank, retry.best), (Some(1), true));
    assert_eq!((checkpoint.rank, checkpoint.best), (Some(2), false));
}

#[test]
fn conditions_such_as_the_arrival_rate_are_not_compared_across() {
    let cmp = compare_dir(&fixture(), None).unwrap();
    assert_eq!(cmp.groups.len(), 2);
    for (g, point) in cmp.groups.iter().zip(0u64..) {
        assert_eq!(g.sweep_points, vec![point]);
        let mut ranks: Vec<usize> = cmp
            .cells
            .iter()
            .filter(|c| c.group == g.id && c.metric == "mean_response_s")
            .map(|c| c.rank.unwrap())
            .collect();
        ranks.sort_unstable();
        assert_eq!(ranks, vec![1, 2, 3], "three schedulers per rate");
    }
}

#[test]
fn failover_columns_are_hidden_when_nothing_failed() {
    let header = "scenario,scheduler,sweep_point,replication,seed,tasks_submitted,mean_response_s,\
node_failures,tasks_lost,goodput,availability";
    let write = |failures: u32| {
        let dir = tempfile::tempdir().unwrap();
        let body = format!(
            "s,a,0,0,1,100,10,0,0,1,1\ns,a,0,1,2,100,11,{failures},0,1,1\n\
s,b,0,0,1,100,12,0,0,1,1\ns,b,0,1,2,100,13,0,0,1,1\n"
        );
        std::fs::write(dir.path().join("summary.csv"), format!("{header}\n{body}")).unwrap();
        dir
    };
    let quiet = write(0);
    let cmp = compare_dir(quiet.path(), None).unwrap();
    assert!(!cmp.failures);
    let table = cmp.render_table();
    assert!(
        !table.contains("goodput") && !table.contains("availability ↑"),
        "{table}"
    );
    assert!(
        table.contains("failover columns hidden: no run saw a failure"),
        "{table}"
    );
    // compare.csv keeps every metric.
    let csv = String::from_utf8(cmp.csv_bytes().unwrap()).unwrap();
    assert!(csv.contains(",goodput,"));
    let failed = write(2);
    let table = compare_dir(failed.path(), None).unwrap().render_table();
    assert!(
        table.contains("goodput ↑") && table.contains("availability ↑"),
        "{table}"
    );
    assert!(!table.contains("hidden"), "{table}");
}

//! Tests of `plot_dir` against the fixture results dirs.

use std::path::{Path, PathBuf};

use super::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Copies a fixture into a temp dir so the test writes its plots there.
fn copy_fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture(name)).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Width and height from a PNG's IHDR chunk, after checking the 8-byte signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "first chunk is IHDR");
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (be(16), be(20))
}

fn names(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn example_dir_gives_every_plot_as_valid_png_and_svg() {
    let dir = copy_fixture("results-example");
    let files = plot_dir(dir.path()).unwrap();
    let stems = [
        "cdf_response",
        "summary_bars",
        "sweep_workload_arrival_rate",
        "timeseries",
    ];
    let want: Vec<String> = stems
        .iter()
        .flat_map(|s| [format!("{s}.png"), format!("{s}.svg")])
        .collect();
    assert_eq!(names(&files), want);
    for f in &files {
        assert!(f.starts_with(dir.path().join(PLOTS_DIR)));
        let bytes = std::fs::read(f).unwrap();
        if f.extension().unwrap() == "png" {
            let (w, h) = png_size(&bytes);
            assert!(
                (800..=3000).contains(&w) && (600..=3000).contains(&h),
                "{f:?}: {w}x{h}"
            );
        } else {
            let text = String::from_utf8(bytes).unwrap();
            assert!(
                text.starts_with("<svg") || text.starts_with("<?xml"),
                "{f:?}"
            );
            assert!(
                text.trim_end().ends_with("</svg>") && text.contains("<text"),
                "{f:?}"
            );
        }
    }
    // Nothing but the plots in the plots dir (no temporary files left behind).
    assert_eq!(
        std::fs::read_dir(dir.path().join(PLOTS_DIR))
            .unwrap()
            .count(),
        want.len()
    );
}

#[test]
fn plots_are_byte_identical_run_to_run() {
    let a = copy_fixture("results-example");
    let b = copy_fixture("results-example");
    let (fa, fb) = (plot_dir(a.path()).unwrap(), plot_dir(b.path()).unwrap());
    let again = plot_dir(a.path()).unwrap();
    for ((x, y), z) in fa.iter().zip(&fb).zip(&again) {
        let bytes = std::fs::read(x).unwrap();
        assert_eq!(
            bytes,
            std::fs::read(y).unwrap(),
            "{x:?} differs between dirs"
        );
        assert_eq!(
            bytes,
            std::fs::read(z).unwrap(),
            "{x:?} differs when redrawn"
        );
    }
}

#[test]
fn failover_columns_add_the_failover_plot_and_missing_timeseries_is_skipped() {
    let dir = copy_fixture("results-failover");
    assert!(!dir.path().join("timeseries.csv").exists());
    let files = names(&plot_dir(dir.path()).unwrap());
    assert!(
        files.contains(&"failover.png".to_string()) && files.contains(&"failover.svg".to_string())
    );
    assert!(files.contains(&"sweep_failover_policy.png".to_string()));
    assert!(
        !files.iter().any(|f| f.starts_with("timeseries")),
        "{files:?}"
    );
}

#[test]
fn summary_alone_is_enough() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("results-example/summary.csv"),
        dir.path().join("summary.csv"),
    )
    .unwrap();
    let files = names(&plot_dir(dir.path()).unwrap());
    assert_eq!(files[0], "summary_bars.png");
    assert!(
        !files
            .iter()
            .any(|f| f.starts_with("cdf") || f.starts_with("timeseries")),
        "{files:?}"
    );
}

#[test]
fn malformed_optional_file_is_an_error_naming_file_and_line() {
    let dir = copy_fixture("results-example");
    let path = dir.path().join("quantiles.csv");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("least-allocated,0,0,response_s,0.5,fast\n");
    std::fs::write(&path, &text).unwrap();
    let line = text.lines().count();
    let err = plot_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains(&format!("quantiles.csv:{line}:")) && err.contains("`value`"),
        "{err}"
    );

    let dir = copy_fixture("results-example");
    let path = dir.path().join("timeseries.csv");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("\n", "\nx,0,0\n", 1);
    std::fs::write(&path, text).unwrap();
    let err = plot_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("timeseries.csv:2:") && err.contains("expected 10 fields"),
        "{err}"
    );
}

#[test]
fn missing_summary_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = plot_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("summary.csv"), "{err}");
}

/// Eight schedulers with long names, one without any completed task (empty response columns), and
/// no sweep: the legend wraps, nothing panics, every plot is still drawn.
#[test]
fn many_schedulers_and_empty_metrics_still_plot() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("results-example/summary.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().replace(",workload.arrival.rate", "");
    let mut out = format!("{header}\n");
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    for s in 0..8 {
        for rep in 0..2 {
            let mut r: Vec<String> = row.iter().map(|f| f.to_string()).collect();
            r[1] = format!("a-rather-long-scheduler-name-{s}");
            r[3] = rep.to_string();
            r.remove(5);
            if s == 7 {
                r[11..20].iter_mut().for_each(String::clear);
            }
            out.push_str(&format!("{}\n", r.join(",")));
        }
    }
    std::fs::write(dir.path().join("summary.csv"), out).unwrap();
    let files = names(&plot_dir(dir.path()).unwrap());
    assert_eq!(files, vec!["summary_bars.png", "summary_bars.svg"]);
    let keep = Path::new("/tmp/plots-out");
    if keep.is_dir() {
        std::fs::copy(
            dir.path().join("plots/summary_bars.png"),
            keep.join("many_bars.png"),
        )
        .unwrap();
    }
}

// ---- Data preparation: what the figures draw, tested without looking at pixels. ----

use crate::compare::metrics;
use crate::compare::Estimate;

/// Writes a `summary.csv` with the given swept keys and points, `reps` replications per scheduler and
/// point; `util(s, p, r)` gives `util_cpu` (the other metrics are fixed functions of it).
fn write_summary(
    dir: &Path,
    keys: &[&str],
    points: &[Vec<&str>],
    schedulers: &[String],
    reps: usize,
    util: impl Fn(usize, usize, usize) -> f64,
) {
    let mut out = String::from("scenario,scheduler,sweep_point,replication,seed");
    for k in keys {
        out.push_str(&format!(",{k}"));
    }
    out.push_str(",tasks_submitted,mean_response_s,p99_response_s,util_cpu,imbalance_cv\n");
    for (s, name) in schedulers.iter().enumerate() {
        for (p, values) in points.iter().enumerate() {
            for r in 0..reps {
                let u = util(s, p, r);
                let mut row = format!("t,{name},{p},{r},{}", 1000 + r);
                for v in values {
                    row.push_str(&format!(",{v}"));
                }
                let (mean, p99) = (10.0 + s as f64 + r as f64, 50.0 + 2.0 * s as f64);
                row.push_str(&format!(",100,{mean},{p99},{u},0.{}\n", s + 1));
                out.push_str(&row);
            }
        }
    }
    std::fs::write(dir.join("summary.csv"), out).unwrap();
}

fn comparison(dir: &Path) -> (Summary, Comparison) {
    let summary = Summary::load(dir).unwrap();
    let cmp = Comparison::from_summary(&summary, None).unwrap();
    (summary, cmp)
}

fn scheduler_names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("scheduler-number-{i}")).collect()
}

#[test]
fn one_replication_draws_no_ci_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    write_summary(
        dir.path(),
        &[],
        &[vec![]],
        &scheduler_names(3),
        1,
        |s, _, _| 0.5 + 0.1 * s as f64,
    );
    let (_, cmp) = comparison(dir.path());
    assert_eq!(data::ci_subtitle(&cmp), "1 replication, no CI");
    let bars = bars::MetricBars::main(&cmp);
    assert!(!bars.subtitle().contains("95%"), "{}", bars.subtitle());
    let util = metrics::info("util_cpu").unwrap();
    for cell in cmp.cells.iter().filter(|c| c.metric == "util_cpu") {
        let shown = data::shown(&cell.estimate, util, 100.0).unwrap();
        assert_eq!(shown.ci, None, "{cell:?}");
    }

    let dir = tempfile::tempdir().unwrap();
    write_summary(
        dir.path(),
        &[],
        &[vec![]],
        &scheduler_names(3),
        3,
        |s, _, r| 0.5 + 0.01 * (s + r) as f64,
    );
    let (_, cmp) = comparison(dir.path());
    assert_eq!(
        data::ci_subtitle(&cmp),
        "mean and 95% CI over 3 replications"
    );
    let cell = cmp.cells.iter().find(|c| c.metric == "util_cpu").unwrap();
    assert!(data::shown(&cell.estimate, util, 100.0)
        .unwrap()
        .ci
        .is_some());
}

#[test]
fn fraction_whiskers_are_clipped_to_the_unit_interval_and_the_clip_is_noted() {
    let util = metrics::info("util_cpu").unwrap();
    // Three replications near 1: the Student-t interval reaches past 1.
    let est = Estimate::of(&[0.9, 0.99, 1.0]);
    let (lo, hi) = est.ci95().unwrap();
    assert!(hi > 1.0 && lo > 0.0, "{lo} {hi}");
    let shown = data::shown(&est, util, 100.0).unwrap();
    assert_eq!(shown.ci, Some((lo * 100.0, 100.0)));
    assert!(shown.clipped);
    assert!((shown.mean - est.mean.unwrap() * 100.0).abs() < 1e-9);
    // Near 0 the lower end is clipped instead.
    let low = data::shown(&Estimate::of(&[0.0, 0.0, 0.05]), util, 100.0).unwrap();
    assert_eq!(low.ci.unwrap().0, 0.0);
    assert!(low.clipped);
    // Not a fraction: the interval is left alone.
    let resp = metrics::info("mean_response_s").unwrap();
    let est = Estimate::of(&[0.1, 5.0, 9.0]);
    let shown = data::shown(&est, resp, 1.0).unwrap();
    assert_eq!(shown.ci, est.ci95());
    assert!(!shown.clipped && shown.ci.unwrap().0 < 0.0);

    // The figure says it clipped.
    let dir = tempfile::tempdir().unwrap();
    let util_of = |_: usize, _: usize, r: usize| [0.9, 0.99, 1.0][r];
    write_summary(dir.path(), &[], &[vec![]], &scheduler_names(2), 3, util_of);
    let (_, cmp) = comparison(dir.path());
    let bars = bars::MetricBars::main(&cmp);
    assert!(
        bars.subtitle().contains(data::CLIP_NOTE),
        "{}",
        bars.subtitle()
    );
}

#[test]
fn many_schedulers_get_a_ranked_layout_with_every_label() {
    let dir = tempfile::tempdir().unwrap();
    let all = scheduler_names(25);
    write_summary(
        dir.path(),
        &["workload.arrival.rate"],
        &[vec!["1"], vec!["2"]],
        &all,
        2,
        |s, p, r| 0.2 + 0.02 * s as f64 + 0.1 * p as f64 + 0.001 * r as f64,
    );
    let (summary, cmp) = comparison(dir.path());
    assert!(!data::overlay_fits(25) && data::overlay_fits(data::MAX_OVERLAID));
    let bars = bars::MetricBars::main(&cmp);
    assert!(bars.is_ranked());
    let rows = bars.ranked_rows();
    assert_eq!(rows.len(), 4, "one ranked panel per metric");
    for panel in &rows {
        let mut sorted = panel.clone();
        sorted.sort();
        let mut want = all.clone();
        want.sort();
        assert_eq!(sorted, want, "every scheduler labelled exactly once");
    }
    // util_cpu is higher-better: the highest mean (the last scheduler) is ranked first.
    assert_eq!(rows[2][0], "scheduler-number-24");
    assert_eq!(rows[2][24], "scheduler-number-0");

    // The figure renders, and the same holds for the sweep and CDF figures' layout choice.
    let files = plot_dir(dir.path()).unwrap();
    assert!(files.iter().any(|f| f.ends_with("summary_bars.png")));
    let sweep = sweep::SweepFigure::new(&summary, &cmp, 0).unwrap();
    assert_eq!(sweep.captions().len(), 1);

    // Few schedulers with short names: bars, each named under it.
    let dir = tempfile::tempdir().unwrap();
    let few: Vec<String> = ["fifo", "random", "jsq"].map(String::from).to_vec();
    write_summary(dir.path(), &[], &[vec![]], &few, 2, |s, _, r| {
        0.3 + 0.1 * (s + r) as f64
    });
    let (_, cmp) = comparison(dir.path());
    assert!(!bars::MetricBars::main(&cmp).is_ranked());
}

#[test]
fn rank_order_puts_the_best_first_and_missing_values_last() {
    let v = [Some(3.0), None, Some(1.0), Some(2.0), Some(1.0)];
    assert_eq!(data::rank_order(&v, false), vec![2, 4, 3, 0, 1]);
    assert_eq!(data::rank_order(&v, true), vec![0, 3, 2, 4, 1]);
}

#[test]
fn two_key_sweep_gives_one_facet_per_value_of_the_other_key() {
    let keys = [
        "workload.arrival.rate".to_string(),
        "failover.policy".to_string(),
    ];
    let mut points = Vec::new();
    for (i, (rate, policy)) in [
        ("1", "none"),
        ("1", "retry"),
        ("2", "none"),
        ("2", "retry"),
        ("3", "none"),
        ("3", "retry"),
    ]
    .iter()
    .enumerate()
    {
        points.push(crate::compare::SweepPoint {
            id: i as u64,
            values: vec![rate.to_string(), policy.to_string()],
        });
    }
    let by_rate = data::facets(&keys, &points, 0);
    let labels: Vec<&str> = by_rate.iter().map(|f| f.label.as_str()).collect();
    assert_eq!(labels, ["failover.policy=none", "failover.policy=retry"]);
    let ids: Vec<Vec<u64>> = by_rate
        .iter()
        .map(|f| f.points.iter().map(|p| p.id).collect())
        .collect();
    assert_eq!(ids, vec![vec![0, 2, 4], vec![1, 3, 5]]);
    let by_policy = data::facets(&keys, &points, 1);
    assert_eq!(by_policy.len(), 3);
    assert_eq!(by_policy[2].label, "workload.arrival.rate=3");
    assert!(by_policy.iter().all(|f| f.points.len() == 2));
    // One key: a single facet with every point and no label.
    let one = data::facets(
        &keys[..1],
        &points
            .iter()
            .map(|p| crate::compare::SweepPoint {
                id: p.id,
                values: vec![p.values[0].clone()],
            })
            .collect::<Vec<_>>(),
        0,
    );
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].points.len(), 6);
    assert_eq!(one[0].label, "");

    // The figure: a row of panels per facet, none dropped.
    let dir = tempfile::tempdir().unwrap();
    let grid: Vec<Vec<&str>> = points
        .iter()
        .map(|p| p.values.iter().map(|v| v.as_str()).collect())
        .collect();
    write_summary(
        dir.path(),
        &["workload.arrival.rate", "failover.policy"],
        &grid,
        &scheduler_names(2),
        2,
        |s, p, r| 0.3 + 0.05 * (s + p + r) as f64,
    );
    let (summary, cmp) = comparison(dir.path());
    let fig = sweep::SweepFigure::new(&summary, &cmp, 0).unwrap();
    let captions = fig.captions();
    assert_eq!(captions.len(), 2);
    assert!(
        captions[0]
            .iter()
            .all(|c| c.ends_with("at failover.policy=none")),
        "{captions:?}"
    );
    assert!(
        captions[1]
            .iter()
            .all(|c| c.ends_with("at failover.policy=retry")),
        "{captions:?}"
    );
    assert_eq!(fig.subtitle(), "mean and 95% CI over 2 replications");
    let fig = sweep::SweepFigure::new(&summary, &cmp, 1).unwrap();
    assert_eq!(fig.captions().len(), 3);
    let files = names(&plot_dir(dir.path()).unwrap());
    assert!(
        files.contains(&"sweep_failover_policy.png".to_string()),
        "{files:?}"
    );
}

#[test]
fn cdf_runs_never_join_points_across_an_empty_range() {
    // The 0-quantile 3.4 decades below the 1st percentile, then a smooth curve, then a far maximum.
    let mut pts = vec![(1e-5, 0.0)];
    for i in 1..=99 {
        let q = i as f64 / 100.0;
        pts.push((0.025 * (1.0 + 40.0 * q * q), q));
    }
    pts.push((1e3, 1.0));
    let span = (1e-5, 1e3);
    let runs = data::cdf_runs(&pts, true, span);
    let width = span.1.log10() - span.0.log10();
    for run in &runs {
        for w in run.windows(2) {
            let gap = (w[1].0.log10() - w[0].0.log10()).abs();
            assert!(
                gap <= data::CDF_MAX_GAP * width,
                "joined across {gap} decades: {w:?}"
            );
        }
    }
    assert_eq!(runs.len(), 3, "minimum and maximum stand alone");
    assert_eq!(runs[0], vec![(1e-5, 0.0)]);
    assert_eq!(runs[1].len(), 99);
    assert_eq!(runs[2], vec![(1e3, 1.0)]);
    // Every point is kept, in order.
    assert_eq!(runs.concat(), pts);
    // Linear axis: a jump of more than the allowed share of the axis splits too.
    let runs = data::cdf_runs(&[(0.0, 0.0), (1.0, 0.5), (10.0, 1.0)], false, (0.0, 10.0));
    assert_eq!(runs.len(), 2);
}

#[test]
fn log_scale_cdf_starts_at_the_first_percentile() {
    let dir = copy_fixture("results-example");
    let text = std::fs::read_to_string(dir.path().join("quantiles.csv")).unwrap();
    // A lone, very fast task: every 0-quantile of response time decades below the rest.
    let text: String = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            if f.len() == 6 && f[3] == "response_s" && f[4].parse() == Ok(0.0) {
                format!("{},0.00001\n", f[..5].join(","))
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert!(text.contains(",response_s,0.00,0.00001\n"));
    std::fs::write(dir.path().join("quantiles.csv"), &text).unwrap();
    let summary = Summary::load(dir.path()).unwrap();
    let fig = cdf::CdfFigure::load(dir.path(), &summary).unwrap().unwrap();
    let (lo, _) = fig.x_range();
    assert!(
        lo > 1e-3,
        "axis starts at the data's p1, not at the lone minimum: {lo}"
    );
}

#[test]
fn decimation_keeps_every_extreme_and_bounds_the_point_count() {
    // A minute-sampled month: far more points than pixels, with one spike.
    let mut pts: Vec<(f64, f64)> = (0..50_000)
        .map(|i| (i as f64 * 60.0, (i % 7) as f64))
        .collect();
    pts[31_337].1 = 99.0;
    let t1 = pts.last().unwrap().0;
    let bins = data::decimate(&pts, 600, (0.0, t1));
    assert!(bins.len() <= 600 && bins.len() >= 590, "{}", bins.len());
    assert_eq!(bins.iter().map(|b| b.max).fold(0.0, f64::max), 99.0);
    assert_eq!(
        bins.iter().map(|b| b.min).fold(f64::INFINITY, f64::min),
        0.0
    );
    for w in bins.windows(2) {
        assert!(w[0].t < w[1].t);
    }
    for b in &bins {
        assert!(b.min <= b.mean && b.mean <= b.max, "{b:?}");
    }
    // The mean is preserved bin by bin: the overall mean of equal-count bins equals the data mean.
    let few = data::decimate(
        &[(0.0, 1.0), (1.0, 3.0), (2.0, 5.0), (3.0, 7.0)],
        2,
        (0.0, 4.0),
    );
    assert_eq!(few.len(), 2);
    assert_eq!((few[0].min, few[0].mean, few[0].max), (1.0, 2.0, 3.0));
    assert_eq!((few[1].min, few[1].mean, few[1].max), (5.0, 6.0, 7.0));
}

#[test]
fn identical_and_all_zero_time_series_are_recognised() {
    let series = |i: usize, pts: &[(f64, f64)]| data::Series {
        index: i,
        label: format!("s{i}"),
        points: pts.to_vec(),
    };
    let a = [(0.0, 1.0), (1.0, 2.0)];
    let b = [(0.0, 1.0), (1.0, 3.0)];
    let zero = [(0.0, 0.0), (1.0, 0.0)];
    let runs = data::RunSeries {
        util: vec![series(0, &a), series(1, &b), series(2, &a)],
        queue: vec![series(0, &zero), series(1, &zero), series(2, &zero)],
        used: vec![],
        nodes_on: vec![],
    };
    assert_eq!(data::same_as_earlier(&runs), vec![None, None, Some(0)]);
    assert!(data::all_zero(&runs.queue));
    assert!(!data::all_zero(&runs.util));
}

#[test]
fn twenty_five_schedulers_plot_as_small_multiples_and_ranked_panels() {
    let dir = tempfile::tempdir().unwrap();
    let all = scheduler_names(25);
    write_summary(dir.path(), &[], &[vec![]], &all, 2, |s, _, r| {
        0.2 + 0.02 * (s + r) as f64
    });
    let mut ts = String::from("scheduler,sweep_point,replication,time_s,util_cpu,util_memory,util_disk,queue_length,running,nodes_up\n");
    let mut q = String::from("scheduler,sweep_point,replication,metric,quantile,value\n");
    for name in &all {
        for t in 0..5 {
            ts.push_str(&format!("{name},0,0,{},0.5,0.1,0,0,1,4\n", 60 * (t + 1)));
        }
        for i in 0..=100 {
            q.push_str(&format!(
                "{name},0,0,response_s,{},{}\n",
                i as f64 / 100.0,
                1.0 + i as f64
            ));
        }
    }
    std::fs::write(dir.path().join("timeseries.csv"), ts).unwrap();
    std::fs::write(dir.path().join("quantiles.csv"), q).unwrap();
    let summary = Summary::load(dir.path()).unwrap();
    let fig = timeseries::TimeseriesFigure::load(dir.path(), &summary)
        .unwrap()
        .unwrap();
    assert!(fig.is_small_multiples());
    let fig = cdf::CdfFigure::load(dir.path(), &summary).unwrap().unwrap();
    assert!(fig.is_ranked());
    let files = names(&plot_dir(dir.path()).unwrap());
    assert!(
        files.contains(&"timeseries.png".to_string())
            && files.contains(&"cdf_response.png".to_string())
    );
}

#[test]
fn a_real_runs_measured_cpu_is_drawn_beside_the_allocation() {
    let dir = tempfile::tempdir().unwrap();
    let all = scheduler_names(1);
    write_summary(dir.path(), &[], &[vec![]], &all, 1, |_, _, _| 0.5);
    let header = "scheduler,sweep_point,replication,time_s,util_cpu,util_memory,util_disk,queue_length,running,nodes_up,host_cpu_busy,host_memory_used_bytes,host_load1,containers_cpu_cores,containers_memory_bytes,containers_cpu_util\n";
    let mut ts = String::from(header);
    for t in 1..6 {
        ts.push_str(&format!(
            "{},0,0,{t},0.5,0.1,0,0,1,3,0.4,1000,0.5,1.2,5000,0.4\n",
            all[0]
        ));
    }
    std::fs::write(dir.path().join("timeseries.csv"), &ts).unwrap();
    let summary = Summary::load(dir.path()).unwrap();
    let fig = timeseries::TimeseriesFigure::load(dir.path(), &summary)
        .unwrap()
        .unwrap();
    assert_eq!(
        fig.legend_names(),
        [
            format!("{}: allocated", all[0]),
            format!("{}: used (measured)", all[0])
        ]
    );
    // A simulated run's file has the columns but no values: nothing measured is drawn.
    let empty: String = ts
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                let f: Vec<&str> = l.split(',').collect();
                format!("{},,,,,,\n", f[..10].join(","))
            }
        })
        .collect();
    std::fs::write(dir.path().join("timeseries.csv"), empty).unwrap();
    let fig = timeseries::TimeseriesFigure::load(dir.path(), &summary)
        .unwrap()
        .unwrap();
    assert_eq!(fig.legend_names(), [all[0].clone()]);
    assert!(names(&plot_dir(dir.path()).unwrap()).contains(&"timeseries.png".to_string()));
}

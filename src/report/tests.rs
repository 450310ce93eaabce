use std::path::{Path, PathBuf};

use super::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A copy of a fixture results dir, so that nothing is written into the repository.
fn copy_of(name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(fixture(name)).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, tmp.path().join(p.file_name().unwrap())).unwrap();
    }
    tmp
}

#[test]
fn the_report_holds_every_scheduler_of_the_comparison_and_its_footer() {
    let dir = copy_of("results-example");
    let page = render(dir.path()).unwrap();
    let cmp = crate::compare::compare_dir(dir.path(), None).unwrap();
    for s in &cmp.schedulers {
        assert!(
            page.contains(&format!("<td>{}</td>", html::escape(s))),
            "{s}"
        );
    }
    // The legend is the terminal table's, line for line.
    for line in cmp.table_footer().lines() {
        let line = line.replace("* best", "★ best");
        assert!(page.contains(&html::escape(&line)), "{line}");
    }
    // No results file but summary.csv and the plots' CSVs: the sections say so.
    assert!(page.contains("No timing.csv"));
    assert!(page.contains("No plots."));
    assert!(page.contains("scenario.toml is stored"));
    assert!(
        !page.contains("id=\"failures\""),
        "nothing failed in this fixture"
    );
}

#[test]
fn failures_get_their_section_only_when_something_failed() {
    let dir = copy_of("results-failover");
    let page = render(dir.path()).unwrap();
    assert!(page.contains("<section id=\"failures\">"));
    assert!(page.contains("availability ↑"));
}

#[test]
fn the_cost_section_is_cut_out_whole() {
    let page = format!("a\n{COST_BEGIN}\nwall 3 s\n{COST_END}\nb\n");
    assert_eq!(without_cost(&page), "a\n\nb\n");
    assert_eq!(without_cost("no section"), "no section");
}

#[test]
fn a_stored_scenario_text_is_shown_escaped() {
    let dir = copy_of("results-example");
    let src = dir.path().join("in.toml");
    std::fs::write(&src, "[scenario]\nname = \"a<b>&c\"\n").unwrap();
    save_scenario_text(dir.path(), &src).unwrap();
    let page = render(dir.path()).unwrap();
    assert!(
        page.contains("name = &quot;a&lt;b&gt;&amp;c&quot;"),
        "{page}"
    );
}

#[test]
fn a_missing_summary_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let err = render(dir.path()).unwrap_err().to_string();
    assert!(err.contains("summary.csv"), "{err}");
}

#[test]
fn sim_vs_real_shows_each_metrics_mape_from_the_docker_file() {
    let dir = copy_of("results-example");
    // Relative errors +10% and -10%: a MAPE of 10.0 %, worked out by hand.
    let rows = [crate::runner::versus::MetricComparison {
        metric: "mean_response_s",
        pairs: vec![(4.0, 4.4), (5.0, 4.5)],
    }];
    std::fs::write(
        dir.path().join("sim-vs-real.csv"),
        crate::runner::versus::to_csv(&rows),
    )
    .unwrap();
    let page = render(dir.path()).unwrap();
    assert!(page.contains("<section id=\"sim-vs-real\">"));
    assert!(
        page.contains("<td>mean_response_s</td><td>10.0</td>"),
        "{page}"
    );
    // Without the file there is no such section.
    let plain = render(copy_of("results-example").path()).unwrap();
    assert!(!plain.contains("id=\"sim-vs-real\""));
}

#[test]
fn trace_replays_show_their_settings_and_skip_reports() {
    let dir = copy_of("results-example");
    let run = |i: u64, report: Option<&str>| {
        let mut v = serde_json::json!({
            "run": i, "scenario": "t", "sweep_point": 0, "overrides": {},
            "config": {"workload": {"source": "trace", "format": "csv", "path": "x<y>.csv"}},
        });
        if let Some(r) = report {
            v["trace_report"] = serde_json::json!(r);
        }
        v
    };
    let runs = serde_json::json!([
        run(0, Some("x.csv: skipped 2 malformed lines")),
        run(1, Some("x.csv: skipped 2 malformed lines")),
        run(2, None)
    ]);
    std::fs::write(dir.path().join("runs.json"), runs.to_string()).unwrap();
    let page = render(dir.path()).unwrap();
    assert!(page.contains("<section id=\"trace\">"));
    assert!(page.contains("path = &quot;x&lt;y&gt;.csv&quot;"), "{page}");
    assert!(page.contains("In 2 of 3 run(s):"), "{page}");
    assert_eq!(page.matches("skipped 2 malformed lines").count(), 1);
}

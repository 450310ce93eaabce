//! The report's provenance (issue 14): the SHA-256 of each replayed trace file, recorded when the
//! runs ran, and plots older than the results they draw marked stale.

mod common;

use std::path::Path;
use std::time::{Duration, SystemTime};

use common::simctl;

/// `traces/sha256` (written by `sha256sum`): the digest recorded for `rel`.
fn recorded(rel: &str) -> String {
    let text = std::fs::read_to_string("traces/sha256").unwrap();
    text.lines()
        .find_map(|l| {
            let (sum, path) = l.split_once("  ")?;
            (path.trim_start_matches("./") == rel).then(|| sum.to_string())
        })
        .unwrap_or_else(|| panic!("{rel} not in traces/sha256"))
}

/// What the `sha256sum` program prints for `path`, when it is installed.
fn sha256sum(path: &str) -> Option<String> {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    Some(text.split_whitespace().next()?.to_string())
}

fn run_report(dir: &Path) -> (String, String) {
    let out = simctl()
        .args(["report"])
        .arg(dir)
        .output()
        .expect("simctl report runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        std::fs::read_to_string(dir.join("report.html")).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn replayed_files_have_their_checksums_and_older_plots_are_marked_stale() {
    let tmp = tempfile::tempdir().unwrap();
    let out = simctl()
        .args([
            "run",
            "scenarios/trace-gpu2023.toml",
            "--quiet",
            "--report",
            "--out",
        ])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = tmp.path().join("trace-gpu2023");
    let trace = "alibaba/gpu-v2023/openb_pod_list_default.csv.gz";
    let nodes = "alibaba/gpu-v2023/openb_node_list_all_node.csv";
    let (trace_sum, nodes_sum) = (recorded(trace), recorded(nodes));
    // The bundled list and the sha256sum program agree (when it is installed).
    if let Some(s) = sha256sum(&format!("traces/{trace}")) {
        assert_eq!(s, trace_sum);
    }
    // runs.json: every run records both files' digests, by role.
    let runs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("runs.json")).unwrap()).unwrap();
    let runs = runs.as_array().unwrap();
    for r in runs {
        assert_eq!(r["trace_sha256"]["trace"], trace_sum.as_str(), "{r}");
        assert_eq!(r["trace_sha256"]["nodes"], nodes_sum.as_str(), "{r}");
    }
    // The report's provenance shows them with the number of runs that read them.
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let n = runs.len();
    for (role, sum) in [("trace", &trace_sum), ("nodes", &nodes_sum)] {
        let row = format!("<tr><td>{role}</td><td>{sum}</td><td>{n}</td></tr>");
        assert!(page.contains(&row), "no checksum row {row}");
    }
    // Fresh plots carry no mark.
    let figures = page.matches("<figure").count();
    assert!(figures >= 2, "{figures} plots");
    assert!(!page.contains("class=\"stale\""));
    // summary.csv rewritten after the plots (here: its time moved a minute on): every plot is
    // older than it, and the report says so next to each, and on stderr.
    let summary = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("summary.csv"))
        .unwrap();
    summary
        .set_modified(SystemTime::now() + Duration::from_secs(60))
        .unwrap();
    let (page, stderr) = run_report(&dir);
    assert_eq!(
        page.matches("<p class=\"stale\">Stale: this plot is older than summary.csv")
            .count(),
        figures,
        "every plot marked"
    );
    assert!(stderr.contains("marked stale"), "{stderr}");
    // Once the plots are newer than the results again, the marks are gone.
    let summary = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("summary.csv"))
        .unwrap();
    summary
        .set_modified(SystemTime::now() - Duration::from_secs(60))
        .unwrap();
    let (page, _) = run_report(&dir);
    assert!(!page.contains("class=\"stale\""));
}

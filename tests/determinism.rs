//! Same scenario and seed => byte-identical outputs, across repeated runs and thread counts.

mod common;

use std::path::Path;

use common::simctl;

fn run(scenario: &Path, out: &Path, jobs: &str) {
    let o = simctl()
        .args(["run", "--quiet", "--jobs", jobs, "--out"])
        .arg(out)
        .arg(scenario)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// summary.csv without its wall_s column (the one column that measures the machine).
fn summary_without_wall(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let wall = header
        .iter()
        .position(|h| *h == "wall_s")
        .expect("summary.csv has wall_s");
    text.lines()
        .map(|l| {
            l.split(',')
                .enumerate()
                .filter(|(i, _)| *i != wall)
                .map(|(_, c)| c)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

#[test]
fn outputs_are_identical_across_runs_and_thread_counts() {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    run(&scenario, &a, "1");
    run(&scenario, &b, "2");
    run(&scenario, &c, "2");
    let (a, b, c) = (
        a.join("quickstart"),
        b.join("quickstart"),
        c.join("quickstart"),
    );
    for other in [&b, &c] {
        assert_eq!(summary_without_wall(&a), summary_without_wall(other));
        for f in ["tasks.csv", "timeseries.csv", "quantiles.csv", "runs.json"] {
            let x = std::fs::read(a.join(f)).unwrap();
            let y = std::fs::read(other.join(f)).unwrap();
            assert!(x == y, "{f} differs between runs");
            assert!(x.len() > 100, "{f} is suspiciously small");
        }
    }
}

#[test]
fn a_different_seed_gives_different_results() {
    // Guards against the determinism test passing because the seed is ignored.
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
    let dir = tempfile::tempdir().unwrap();
    let o = simctl()
        .args(["run", "--quiet", "--seed", "12345", "--out"])
        .arg(dir.path().join("x"))
        .arg(&scenario)
        .output()
        .unwrap();
    assert!(o.status.success());
    run(&scenario, &dir.path().join("y"), "2");
    let x = summary_without_wall(&dir.path().join("x/quickstart"));
    let y = summary_without_wall(&dir.path().join("y/quickstart"));
    assert_ne!(x[1..], y[1..]);
}

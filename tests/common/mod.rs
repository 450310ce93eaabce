//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use simctl::config::{self, ScenarioFile};
use simctl::sweep::{self, RunResult};

/// Parses scenario text (panics with the loader's message on error: the test's own input is wrong).
pub fn scenario(text: &str) -> ScenarioFile {
    config::parse(text, Path::new("test.toml"))
        .unwrap_or_else(|e| panic!("test scenario invalid: {e}"))
}

/// Runs every run of a scenario on two threads, with invariant checks on.
pub fn run_all(file: &ScenarioFile) -> Vec<RunResult> {
    let runs = sweep::plan(file, None);
    sweep::run_in_memory(file, &runs, 2, true).expect("runs succeed")
}

/// Mean of a metric over the runs of one scheduler.
pub fn mean_over(results: &[RunResult], scheduler: usize, f: impl Fn(&RunResult) -> f64) -> f64 {
    let xs: Vec<f64> = results
        .iter()
        .filter(|r| r.spec.scheduler == scheduler)
        .map(f)
        .collect();
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample standard deviation of a metric over the runs of one scheduler.
pub fn std_over(results: &[RunResult], scheduler: usize, f: impl Fn(&RunResult) -> f64) -> f64 {
    let xs: Vec<f64> = results
        .iter()
        .filter(|r| r.spec.scheduler == scheduler)
        .map(f)
        .collect();
    let m = xs.iter().sum::<f64>() / xs.len() as f64;
    (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0)).sqrt()
}

/// The simctl binary built for these tests.
pub fn simctl() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_simctl"))
}

/// Overrides that keep each bundled scenario to a few seconds while still exercising its
/// warm-up, faults and sweeps (the digest and report tests). Scenarios not listed run as written.
pub fn shortening(name: &str) -> &'static [&'static str] {
    match name {
        "algorithms" => &["scenario.horizon=40m"],
        "mmc" => &["scenario.horizon=3h"],
        "supermarket" => &["scenario.warmup=2m", "scenario.horizon=10m"],
        "trace-alibaba2018" => &["scenario.horizon=2h"],
        "trace-google2011" => &["scenario.horizon=1h"],
        "omega" => &[
            "scenario.horizon=40m",
            "scenario.warmup=10m",
            "scenario.replications=1",
        ],
        "sparrow" => &[
            "scenario.horizon=30m",
            "scenario.warmup=5m",
            "scenario.replications=1",
        ],
        _ => &[],
    }
}

/// `scenarios/*.toml` and the paper reproductions in `scenarios/papers/*.toml`, sorted.
pub fn bundled_scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["scenarios", "scenarios/papers"]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).expect("scenarios/ exists"))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}
pub mod orch;

/// Runs `simctl run --quiet --out DIR FILE` and panics with its stderr if it fails.
pub fn run_quietly_into(dir: &Path, file: &Path) {
    let out = simctl()
        .args(["run", "--quiet", "--out"])
        .arg(dir)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The first line (the CSV header) of `file` in the results directory `dir/name`.
pub fn csv_header(dir: &Path, name: &str, file: &str) -> String {
    let text = std::fs::read_to_string(dir.join(name).join(file)).unwrap();
    text.lines().next().unwrap_or_default().to_string()
}

//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;

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
    sweep::execute(file, &runs, 2, true, None, &|_| {}).expect("runs succeed")
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

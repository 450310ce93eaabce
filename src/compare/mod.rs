//! `simctl compare DIR`: per scheduler and sweep point, the mean of each key metric over the
//! replications with a 95% Student-t confidence interval, ranked, the best marked, and optionally a
//! ratio to a baseline scheduler.
//!
//! Input is the results dir's `summary.csv` (see DESIGN.md, output contract). Output is a tidy
//! `compare.csv` ([`Comparison::write_csv`]) and a compact terminal table
//! ([`Comparison::render_table`]). Replications of one configuration differ only in their seed, so
//! the interval says how much of a difference between schedulers could be seed noise.

pub mod csvfile;
pub mod metrics;
mod output;
pub mod stats;
pub mod summary;

use std::path::{Path, PathBuf};

pub use stats::{Direction, Estimate};
pub use summary::{Summary, SweepPoint};

/// Errors reading a results dir.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A CSV file is not what the output contract says.
    #[error("{}:{line}: {message}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line (the header is line 1); 0 if unknown.
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// A required column is missing.
    #[error("{}: missing column `{column}`", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column's name.
        column: String,
    },
    /// The file has a header but no runs.
    #[error("{}: no data rows", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The baseline scheduler is not in the results.
    #[error("baseline scheduler `{name}` not found; schedulers in the results: {known}")]
    UnknownBaseline {
        /// The name asked for.
        name: String,
        /// The schedulers present, comma-separated.
        known: String,
    },
}

/// One (scheduler, sweep point, metric) cell of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Scheduler label.
    pub scheduler: String,
    /// Index of the sweep point.
    pub sweep_point: u64,
    /// Values of the swept keys at this point (parallel to [`Comparison::sweep_keys`]).
    pub sweep_values: Vec<String>,
    /// Metric column name.
    pub metric: String,
    /// Which way is better for this metric.
    pub direction: Direction,
    /// Mean and 95% CI over the replications.
    pub estimate: Estimate,
    /// Rank among the schedulers at this sweep point (1 = best; ties share); `None` without data.
    pub rank: Option<usize>,
    /// Ranked first, with at least one other scheduler to beat.
    pub best: bool,
    /// This mean divided by the baseline scheduler's mean at the same sweep point.
    pub ratio_to_baseline: Option<f64>,
}

/// The comparison of every scheduler on every key metric, at every sweep point.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Swept keys (dotted), empty without a sweep.
    pub sweep_keys: Vec<String>,
    /// Sweep points in index order.
    pub sweep_points: Vec<SweepPoint>,
    /// Schedulers in scenario order.
    pub schedulers: Vec<String>,
    /// Metrics compared, in [`metrics::KEY_METRICS`] order.
    pub metrics: Vec<String>,
    /// Baseline scheduler, if one was given.
    pub baseline: Option<String>,
    /// Cells ordered by sweep point, then metric, then scheduler.
    pub cells: Vec<Cell>,
}

/// Compares the schedulers of the results dir `dir` (reads `dir/summary.csv`).
///
/// `baseline` names a scheduler whose means the others are divided by (`ratio_to_baseline`).
pub fn compare_dir(dir: &Path, baseline: Option<&str>) -> Result<Comparison, CompareError> {
    Comparison::from_summary(&Summary::load(dir)?, baseline)
}

impl Comparison {
    /// Builds the comparison from an already loaded summary.
    pub fn from_summary(summary: &Summary, baseline: Option<&str>) -> Result<Self, CompareError> {
        let schedulers = summary.schedulers();
        if let Some(name) = baseline.filter(|b| !schedulers.iter().any(|s| s == b)) {
            return Err(CompareError::UnknownBaseline {
                name: name.to_string(),
                known: schedulers.join(", "),
            });
        }
        let sweep_points = summary.sweep_points();
        let infos: Vec<_> = metrics::KEY_METRICS
            .iter()
            .filter_map(|m| Some((m, summary.metric(m.name)?)))
            .collect();
        let mut cells = Vec::new();
        for point in &sweep_points {
            for (info, col) in &infos {
                let estimates: Vec<Estimate> = schedulers
                    .iter()
                    .map(|s| Estimate::of(&summary.samples(s, point.id, *col)))
                    .collect();
                let means: Vec<Option<f64>> = estimates.iter().map(|e| e.mean).collect();
                let ranks = stats::rank(&means, info.direction);
                // A lone scheduler is not "best" at anything.
                let contested = means.iter().flatten().count() > 1;
                let base = baseline
                    .and_then(|b| schedulers.iter().position(|s| s == b))
                    .and_then(|i| means[i]);
                for ((scheduler, estimate), rank) in schedulers.iter().zip(estimates).zip(ranks) {
                    cells.push(Cell {
                        scheduler: scheduler.clone(),
                        sweep_point: point.id,
                        sweep_values: point.values.clone(),
                        metric: info.name.to_string(),
                        direction: info.direction,
                        ratio_to_baseline: ratio(estimate.mean, base),
                        estimate,
                        rank,
                        best: contested && rank == Some(1),
                    });
                }
            }
        }
        Ok(Comparison {
            sweep_keys: summary.sweep_keys.clone(),
            sweep_points,
            schedulers,
            metrics: infos.iter().map(|(m, _)| m.name.to_string()).collect(),
            baseline: baseline.map(str::to_string),
            cells,
        })
    }

    /// The cell for (`scheduler`, `sweep_point`, `metric`), if that metric was compared.
    pub fn cell(&self, scheduler: &str, sweep_point: u64, metric: &str) -> Option<&Cell> {
        self.cells.iter().find(|c| {
            c.scheduler == scheduler && c.sweep_point == sweep_point && c.metric == metric
        })
    }
}

fn ratio(mean: Option<f64>, base: Option<f64>) -> Option<f64> {
    let (m, b) = (mean?, base?);
    (b != 0.0).then(|| m / b)
}

#[cfg(test)]
mod tests;

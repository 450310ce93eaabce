//! `simctl compare DIR`: per scheduler and sweep point, the mean of each key metric over the
//! replications with a 95% Student-t confidence interval, ranked within its group of comparable
//! configurations ([`groups`]: equal workload and cluster, every scheduler and failover variant),
//! the leader marked "best" only when Welch's t-test finds it better than the runner-up at 5%
//! ([`significance`]), and optionally a ratio to a baseline scheduler.
//!
//! Input is the results dir's `summary.csv` (see DESIGN.md, output contract). Output is a tidy
//! `compare.csv` ([`Comparison::write_csv`]) and a compact terminal table
//! ([`Comparison::render_table`]). Replications of one configuration differ only in their seed, so
//! the interval says how much of a difference between schedulers could be seed noise.

pub mod csvfile;
pub mod groups;
pub mod metrics;
mod output;
pub mod significance;
pub mod stats;
pub mod summary;
mod table;

use std::path::{Path, PathBuf};

pub use groups::Group;
pub use significance::Verdict;
pub use stats::{Direction, Estimate};
pub use summary::{Summary, SweepPoint};
pub use table::TableBlock;

/// Errors reading a results dir.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// A file could not be read or written.
    #[error("i/o error on {}", path.display())]
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
    /// The comparison group (see [`groups`]) this configuration is ranked in.
    pub group: usize,
    /// Metric column name.
    pub metric: String,
    /// Which way is better for this metric.
    pub direction: Direction,
    /// Mean and 95% CI over the replications.
    pub estimate: Estimate,
    /// Rank among the contenders of its group (1 = best; ties share); `None` without data.
    pub rank: Option<usize>,
    /// Ranked first, and better than the runner-up by Welch's t-test at 5%
    /// ([`Verdict::Significant`]).
    pub best: bool,
    /// Two-sided Welch p-value of this configuration against its group's leader (for the leader:
    /// against the runner-up); `None` when either has fewer than two replications.
    pub p_value: Option<f64>,
    /// The group's verdict on this metric (the same for every cell of the group and metric).
    pub verdict: Verdict,
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
    /// Groups of configurations compared against each other (equal condition values).
    pub groups: Vec<Group>,
    /// Schedulers in scenario order.
    pub schedulers: Vec<String>,
    /// Metrics compared, in [`metrics::KEY_METRICS`] order.
    pub metrics: Vec<String>,
    /// Baseline scheduler, if one was given.
    pub baseline: Option<String>,
    /// Whether any run saw a failure (a node failure, a failed or lost task, a restart after a
    /// failure); without one, the failover metrics say nothing and the table hides them.
    pub failures: bool,
    /// Cells ordered by group, then metric, then scheduler, then sweep point.
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
        let groups = groups::groups(&summary.sweep_keys, &sweep_points);
        let infos: Vec<_> = metrics::KEY_METRICS
            .iter()
            .filter_map(|m| Some((m, summary.metric(m.name)?)))
            .collect();
        let mut cells = Vec::new();
        for group in &groups {
            let contenders: Vec<(&String, &SweepPoint)> = schedulers
                .iter()
                .flat_map(|s| {
                    group
                        .sweep_points
                        .iter()
                        .filter_map(|id| sweep_points.iter().find(|p| p.id == *id))
                        .map(move |p| (s, p))
                })
                .collect();
            for (info, col) in &infos {
                let estimates: Vec<Estimate> = contenders
                    .iter()
                    .map(|(s, p)| Estimate::of(&summary.samples(s, p.id, *col)))
                    .collect();
                let ranked = Ranked::new(&estimates, info.direction);
                for (i, ((scheduler, point), estimate)) in
                    contenders.iter().zip(&estimates).enumerate()
                {
                    let base = baseline
                        .and_then(|b| {
                            contenders
                                .iter()
                                .zip(&estimates)
                                .find(|((s, p), _)| *s == b && p.id == point.id)
                        })
                        .and_then(|(_, e)| e.mean);
                    cells.push(Cell {
                        scheduler: (*scheduler).clone(),
                        sweep_point: point.id,
                        sweep_values: point.values.clone(),
                        group: group.id,
                        metric: info.name.to_string(),
                        direction: info.direction,
                        ratio_to_baseline: ratio(estimate.mean, base),
                        estimate: *estimate,
                        rank: ranked.ranks[i],
                        best: ranked.is_best(i),
                        p_value: ranked.p_value(&estimates, i),
                        verdict: ranked.verdict,
                    });
                }
            }
        }
        Ok(Comparison {
            sweep_keys: summary.sweep_keys.clone(),
            sweep_points,
            groups,
            schedulers,
            metrics: infos.iter().map(|(m, _)| m.name.to_string()).collect(),
            baseline: baseline.map(str::to_string),
            failures: had_failures(summary),
            cells,
        })
    }

    /// The cell for (`scheduler`, `sweep_point`, `metric`), if that metric was compared.
    pub fn cell(&self, scheduler: &str, sweep_point: u64, metric: &str) -> Option<&Cell> {
        self.cells.iter().find(|c| {
            c.scheduler == scheduler && c.sweep_point == sweep_point && c.metric == metric
        })
    }

    /// Indices of the swept keys that are strategies (compared within a group, see [`groups`]).
    pub fn strategy_keys(&self) -> Vec<usize> {
        (0..self.sweep_keys.len())
            .filter(|&k| groups::is_strategy_key(&self.sweep_keys[k]))
            .collect()
    }
}

/// Ranks, leader and runner-up of one metric within one group.
struct Ranked {
    ranks: Vec<Option<usize>>,
    leader: Option<usize>,
    runner_up: Option<usize>,
    verdict: Verdict,
}

impl Ranked {
    fn new(estimates: &[Estimate], direction: Direction) -> Ranked {
        let means: Vec<Option<f64>> = estimates.iter().map(|e| e.mean).collect();
        let ranks = stats::rank(&means, direction);
        // By rank, ties in contender order; unranked (no data) contenders never lead.
        let mut order: Vec<usize> = (0..estimates.len())
            .filter(|&i| ranks[i].is_some())
            .collect();
        order.sort_by_key(|&i| (ranks[i], i));
        let (leader, runner_up) = (order.first().copied(), order.get(1).copied());
        let verdict = match leader {
            None => Verdict::Uncontested,
            Some(l) => significance::verdict(&estimates[l], runner_up.map(|r| &estimates[r])),
        };
        Ranked {
            ranks,
            leader,
            runner_up,
            verdict,
        }
    }

    fn is_best(&self, i: usize) -> bool {
        self.leader == Some(i) && matches!(self.verdict, Verdict::Significant { .. })
    }

    fn p_value(&self, estimates: &[Estimate], i: usize) -> Option<f64> {
        let leader = self.leader?;
        let other = if i == leader { self.runner_up? } else { leader };
        significance::welch(&estimates[i], &estimates[other]).map(|w| w.p)
    }
}

/// Whether any run saw a failure. Summaries without any of the failure columns (older or
/// hand-made ones) count as having failures, so nothing is hidden from them.
fn had_failures(summary: &Summary) -> bool {
    let columns: Vec<usize> = [
        "node_failures",
        "tasks_failed",
        "tasks_lost",
        "mean_time_to_restart_s",
    ]
    .iter()
    .filter_map(|m| summary.metric(m))
    .collect();
    columns.is_empty()
        || summary
            .runs
            .iter()
            .any(|r| columns.iter().any(|&c| r.values[c] > 0.0))
}

fn ratio(mean: Option<f64>, base: Option<f64>) -> Option<f64> {
    let (m, b) = (mean?, base?);
    (b != 0.0).then(|| m / b)
}

#[cfg(test)]
mod tests;

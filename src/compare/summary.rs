//! `summary.csv`: one row per run, read into typed rows.

use std::path::Path;

use super::csvfile::CsvTable;
use super::CompareError;

/// The columns before the swept keys, in contract order.
const LEADING: [&str; 5] = [
    "scenario",
    "scheduler",
    "sweep_point",
    "replication",
    "seed",
];
/// The first metric column; swept-key columns sit between `seed` and this one.
const FIRST_METRIC: &str = "tasks_submitted";

/// One run (scheduler x sweep point x replication) of `summary.csv`.
#[derive(Debug, Clone)]
pub struct Run {
    /// Scheduler label.
    pub scheduler: String,
    /// Index of the sweep point.
    pub sweep_point: u64,
    /// Replication index (0-based).
    pub replication: u64,
    /// Value of each swept key, as written (parallel to [`Summary::sweep_keys`]).
    pub sweep_values: Vec<String>,
    /// Value of each metric column (parallel to [`Summary::metrics`]); NaN when empty or unknown.
    pub values: Vec<f64>,
}

/// A sweep point: its index and the values of the swept keys there.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPoint {
    /// Index of the sweep point, as in the `sweep_point` column.
    pub id: u64,
    /// Value of each swept key (parallel to [`Summary::sweep_keys`]).
    pub values: Vec<String>,
}

/// The whole of `summary.csv`.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Swept keys (dotted), in column order; empty without a sweep.
    pub sweep_keys: Vec<String>,
    /// Metric column names, from `tasks_submitted` to the last column.
    pub metrics: Vec<String>,
    /// Every run, in file order.
    pub runs: Vec<Run>,
}

impl Summary {
    /// Reads `DIR/summary.csv`.
    pub fn load(dir: &Path) -> Result<Summary, CompareError> {
        let table = CsvTable::read(&dir.join("summary.csv"))?;
        let lead: Vec<usize> = LEADING
            .iter()
            .map(|c| table.column(c))
            .collect::<Result<_, _>>()?;
        let first_metric = table.column(FIRST_METRIC)?;
        let sweep_cols: Vec<usize> = (lead[4] + 1..first_metric).collect();
        let metric_cols: Vec<usize> = (first_metric..table.headers.len()).collect();
        let mut runs = Vec::with_capacity(table.rows.len());
        for row in &table.rows {
            let values = metric_cols
                .iter()
                .map(|&c| table.number(row, c))
                .collect::<Result<_, _>>()?;
            runs.push(Run {
                scheduler: row.fields[lead[1]].clone(),
                sweep_point: table.integer(row, lead[2])?,
                replication: table.integer(row, lead[3])?,
                sweep_values: sweep_cols.iter().map(|&c| row.fields[c].clone()).collect(),
                values,
            });
        }
        if runs.is_empty() {
            return Err(CompareError::Empty { path: table.path });
        }
        Ok(Summary {
            sweep_keys: sweep_cols
                .iter()
                .map(|&c| table.headers[c].clone())
                .collect(),
            metrics: metric_cols
                .iter()
                .map(|&c| table.headers[c].clone())
                .collect(),
            runs,
        })
    }

    /// Reads `DIR/schedulers.csv` (runs with a scheduler architecture) as a summary whose
    /// "schedulers" are `<scheduler entry>/<actor>` and whose metrics are the actors' columns;
    /// `None` when the directory has no such file.
    pub fn load_schedulers(dir: &Path) -> Result<Option<Summary>, CompareError> {
        let path = dir.join("schedulers.csv");
        if !path.exists() {
            return Ok(None);
        }
        let table = CsvTable::read(&path)?;
        let [scheduler, point, replication, architecture, actor, first] = [
            "scheduler",
            "sweep_point",
            "replication",
            "architecture",
            "actor",
            "decisions",
        ]
        .map(|c| table.column(c));
        let (scheduler, point, replication, architecture, actor, first) = (
            scheduler?,
            point?,
            replication?,
            architecture?,
            actor?,
            first?,
        );
        let sweep_cols: Vec<usize> = (replication + 1..architecture).collect();
        let metric_cols: Vec<usize> = (first..table.headers.len()).collect();
        let mut runs = Vec::with_capacity(table.rows.len());
        for row in &table.rows {
            runs.push(Run {
                scheduler: format!("{}/{}", row.fields[scheduler], row.fields[actor]),
                sweep_point: table.integer(row, point)?,
                replication: table.integer(row, replication)?,
                sweep_values: sweep_cols.iter().map(|&c| row.fields[c].clone()).collect(),
                values: metric_cols
                    .iter()
                    .map(|&c| table.number(row, c))
                    .collect::<Result<_, _>>()?,
            });
        }
        if runs.is_empty() {
            return Ok(None);
        }
        let names = |cols: &[usize]| cols.iter().map(|&c| table.headers[c].clone()).collect();
        Ok(Some(Summary {
            sweep_keys: names(&sweep_cols),
            metrics: names(&metric_cols),
            runs,
        }))
    }

    /// Scheduler labels in order of first appearance (the scenario's order).
    pub fn schedulers(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for run in &self.runs {
            if !out.contains(&run.scheduler) {
                out.push(run.scheduler.clone());
            }
        }
        out
    }

    /// Sweep points in ascending index order.
    pub fn sweep_points(&self) -> Vec<SweepPoint> {
        let mut out: Vec<SweepPoint> = Vec::new();
        for run in &self.runs {
            if !out.iter().any(|p| p.id == run.sweep_point) {
                out.push(SweepPoint {
                    id: run.sweep_point,
                    values: run.sweep_values.clone(),
                });
            }
        }
        out.sort_by_key(|p| p.id);
        out
    }

    /// Index of metric column `name`, if present.
    pub fn metric(&self, name: &str) -> Option<usize> {
        self.metrics.iter().position(|m| m == name)
    }

    /// Values of metric `metric` over the replications of (`scheduler`, `sweep_point`).
    pub fn samples(&self, scheduler: &str, sweep_point: u64, metric: usize) -> Vec<f64> {
        self.runs
            .iter()
            .filter(|r| r.scheduler == scheduler && r.sweep_point == sweep_point)
            .map(|r| r.values[metric])
            .collect()
    }
}

impl SweepPoint {
    /// `key=value, key=value` for titles and tables; empty without a sweep.
    pub fn label(&self, keys: &[String]) -> String {
        keys.iter()
            .zip(&self.values)
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

//! Writing a [`Comparison`] as a tidy `compare.csv`.

use std::path::{Path, PathBuf};

use super::csvfile::write_atomic;
use super::{Cell, CompareError, Comparison};

/// File name of the comparison inside a results dir.
pub const COMPARE_CSV: &str = "compare.csv";

impl Comparison {
    /// Writes `dir/compare.csv` atomically and returns its path.
    ///
    /// Columns: `scheduler, sweep_point`, one per swept key, `group`, then `metric, direction, n,
    /// mean, std_dev, ci95_low, ci95_high, rank, best, p_value, verdict, ratio_to_baseline`.
    /// Unknown values are empty. `rank`, `best`, `p_value` and `verdict` are within the group.
    pub fn write_csv(&self, dir: &Path) -> Result<PathBuf, CompareError> {
        let path = dir.join(COMPARE_CSV);
        write_atomic(&path, &self.csv_bytes()?)?;
        Ok(path)
    }

    /// The bytes of `compare.csv`.
    pub fn csv_bytes(&self) -> Result<Vec<u8>, CompareError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec!["scheduler".to_string(), "sweep_point".to_string()];
        header.extend(self.sweep_keys.iter().cloned());
        header.extend(
            [
                "group",
                "metric",
                "direction",
                "n",
                "mean",
                "std_dev",
                "ci95_low",
                "ci95_high",
                "rank",
                "best",
                "p_value",
                "verdict",
            ]
            .map(str::to_string),
        );
        header.push("ratio_to_baseline".to_string());
        let io = |e: csv::Error| CompareError::Io {
            path: PathBuf::from(COMPARE_CSV),
            source: std::io::Error::other(e.to_string()),
        };
        w.write_record(&header).map_err(io)?;
        for c in &self.cells {
            w.write_record(csv_row(c)).map_err(io)?;
        }
        w.into_inner().map_err(|e| io(e.into_error().into()))
    }
}

fn csv_row(c: &Cell) -> Vec<String> {
    let num = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    let (lo, hi) = c.estimate.ci95().unzip();
    let mut row = vec![c.scheduler.clone(), c.sweep_point.to_string()];
    row.extend(c.sweep_values.iter().cloned());
    row.extend([
        c.group.to_string(),
        c.metric.clone(),
        c.direction.as_str().to_string(),
        c.estimate.n.to_string(),
        num(c.estimate.mean),
        num(c.estimate.std_dev),
        num(lo),
        num(hi),
        c.rank.map_or(String::new(), |r| r.to_string()),
        c.best.to_string(),
        num(c.p_value),
        c.verdict.as_str().to_string(),
        num(c.ratio_to_baseline),
    ]);
    row
}

//! Writing a [`Comparison`]: tidy `compare.csv` and the compact terminal table.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::csvfile::write_atomic;
use super::metrics::{self, TABLE_METRICS};
use super::stats::Direction;
use super::{Cell, CompareError, Comparison};

/// File name of the comparison inside a results dir.
pub const COMPARE_CSV: &str = "compare.csv";

impl Comparison {
    /// Writes `dir/compare.csv` atomically and returns its path.
    ///
    /// Columns: `scheduler, sweep_point`, one per swept key, then `metric, direction, n, mean,
    /// std_dev, ci95_low, ci95_high, rank, best, ratio_to_baseline`. Unknown values are empty.
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
                "metric",
                "direction",
                "n",
                "mean",
                "std_dev",
                "ci95_low",
                "ci95_high",
                "rank",
                "best",
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

    /// A compact table per sweep point: mean ± 95% CI half-width, `*` marking the best scheduler
    /// and `x1.23` the ratio to the baseline.
    pub fn render_table(&self) -> String {
        let cols: Vec<&str> = TABLE_METRICS
            .iter()
            .copied()
            .filter(|m| self.metrics.iter().any(|x| x == m))
            .collect();
        let mut out = String::new();
        for point in &self.sweep_points {
            let label = point.label(&self.sweep_keys);
            if !label.is_empty() {
                let _ = writeln!(out, "{label}  (sweep point {})", point.id);
            }
            let mut grid = vec![header_row(&cols)];
            for s in &self.schedulers {
                let mut row = vec![s.clone()];
                row.extend(cols.iter().map(|m| {
                    self.cell(s, point.id, m)
                        .map_or(String::new(), |c| self.cell_text(c))
                }));
                grid.push(row);
            }
            out.push_str(&layout(&grid));
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "mean ± 95% CI half-width over replications (Student t); * best; ↓ lower is better, ↑ higher{}",
            self.baseline.as_ref().map_or(String::new(), |b| format!("; xR = ratio to {b}"))
        );
        out
    }

    fn cell_text(&self, c: &Cell) -> String {
        let Some(mean) = c.estimate.mean else {
            return "n/a".to_string();
        };
        let decimals = decimals(mean);
        let mut s = format!("{}{mean:.decimals$}", if c.best { "*" } else { " " });
        if let Some(h) = c.estimate.half_width {
            let _ = write!(s, " ± {h:.decimals$}");
        }
        if let (Some(r), Some(_)) = (c.ratio_to_baseline, &self.baseline) {
            let _ = write!(s, " x{r:.2}");
        }
        s
    }
}

fn csv_row(c: &Cell) -> Vec<String> {
    let num = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    let (lo, hi) = c.estimate.ci95().unzip();
    let mut row = vec![c.scheduler.clone(), c.sweep_point.to_string()];
    row.extend(c.sweep_values.iter().cloned());
    row.extend([
        c.metric.clone(),
        c.direction.as_str().to_string(),
        c.estimate.n.to_string(),
        num(c.estimate.mean),
        num(c.estimate.std_dev),
        num(lo),
        num(hi),
        c.rank.map_or(String::new(), |r| r.to_string()),
        c.best.to_string(),
        num(c.ratio_to_baseline),
    ]);
    row
}

fn header_row(cols: &[&str]) -> Vec<String> {
    let mut row = vec!["scheduler".to_string()];
    for m in cols {
        let arrow = match metrics::info(m).map(|i| i.direction) {
            Some(Direction::Higher) => "↑",
            _ => "↓",
        };
        row.push(format!("{m} {arrow}"));
    }
    row
}

/// Left-aligned first column, the rest padded to their widths, two spaces apart.
fn layout(grid: &[Vec<String>]) -> String {
    let ncol = grid.iter().map(Vec::len).max().unwrap_or(0);
    let width = |j: usize| {
        grid.iter()
            .filter_map(|r| r.get(j))
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..ncol).map(width).collect();
    let mut out = String::new();
    for row in grid {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(s, w)| format!("{s:<w$}"))
            .collect();
        let _ = writeln!(out, "  {}", cells.join("  ").trim_end());
    }
    out
}

/// Decimals that show about four significant digits of `v`.
fn decimals(v: f64) -> usize {
    if v == 0.0 || !v.is_finite() {
        return 2;
    }
    (3 - v.abs().log10().floor() as i64).clamp(0, 6) as usize
}

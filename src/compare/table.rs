//! The compact terminal table of a [`Comparison`]: one block per group of comparable
//! configurations, rows ranked, the significantly best value of each column starred, and a verdict
//! row saying where there is no difference or no way to tell.

use std::fmt::Write as _;

use super::metrics::{self, FAILOVER_METRICS, TABLE_METRICS};
use super::significance::{Verdict, ALPHA};
use super::stats::Direction;
use super::{Cell, Comparison, Group};

impl Comparison {
    /// A compact table per group: rank (by the first column), scheduler and swept strategy values,
    /// then per metric the mean ± 95% CI half-width, `*` marking a significantly best value and
    /// `x1.23` the ratio to the baseline; a last row gives each column's verdict. Failover columns
    /// are left out when no run saw a failure.
    pub fn render_table(&self) -> String {
        let cols = self.table_columns();
        let strategy = self.strategy_keys();
        let mut out = String::new();
        let mut undetermined = false;
        for group in &self.groups {
            let label = group.label();
            if !label.is_empty() {
                let point = match group.sweep_points.as_slice() {
                    [one] => format!("  (sweep point {one})"),
                    _ => String::new(),
                };
                let _ = writeln!(out, "{label}{point}");
            }
            let mut grid = vec![self.header_row(&strategy, &cols)];
            grid.extend(self.group_rows(group, &strategy, &cols));
            let verdicts: Vec<String> = cols
                .iter()
                .map(|m| {
                    self.group_verdict(group, m)
                        .map_or(String::new(), verdict_text)
                })
                .collect();
            undetermined |= cols
                .iter()
                .any(|m| self.group_verdict(group, m) == Some(Verdict::Undetermined));
            if verdicts.iter().any(|v| !v.is_empty()) {
                let mut row = vec![String::new(), "verdict".to_string()];
                row.extend(strategy.iter().map(|_| String::new()));
                row.extend(verdicts);
                grid.push(row);
            }
            out.push_str(&layout(&grid));
            out.push('\n');
        }
        out.push_str(&self.footer(&cols, undetermined));
        out
    }

    /// The table's metric columns: those present, without the failover ones if nothing failed.
    fn table_columns(&self) -> Vec<&'static str> {
        TABLE_METRICS
            .iter()
            .copied()
            .filter(|m| self.metrics.iter().any(|x| x == m))
            .filter(|m| self.failures || !FAILOVER_METRICS.contains(m))
            .collect()
    }

    fn header_row(&self, strategy: &[usize], cols: &[&str]) -> Vec<String> {
        let mut row = vec!["rank".to_string(), "scheduler".to_string()];
        row.extend(strategy.iter().map(|&k| self.sweep_keys[k].clone()));
        for m in cols {
            let arrow = match metrics::info(m).map(|i| i.direction) {
                Some(Direction::Higher) => "↑",
                _ => "↓",
            };
            row.push(format!("{m} {arrow}"));
        }
        row
    }

    /// One row per (scheduler, sweep point) of the group, ordered by rank on the first column
    /// (ties and unranked rows in scenario order).
    fn group_rows(&self, group: &Group, strategy: &[usize], cols: &[&str]) -> Vec<Vec<String>> {
        let mut rows: Vec<(Option<usize>, Vec<String>)> = Vec::new();
        for s in &self.schedulers {
            for &id in &group.sweep_points {
                let cells: Vec<Option<&Cell>> = cols.iter().map(|m| self.cell(s, id, m)).collect();
                let Some(any) = cells.iter().flatten().next() else {
                    continue;
                };
                let rank = cells.first().copied().flatten().and_then(|c| c.rank);
                let mut row = vec![rank.map_or("-".to_string(), |r| r.to_string()), s.clone()];
                row.extend(strategy.iter().map(|&k| any.sweep_values[k].clone()));
                row.extend(
                    cells
                        .iter()
                        .map(|c| c.map_or(String::new(), |c| self.cell_text(c))),
                );
                rows.push((rank, row));
            }
        }
        // Stable: equal ranks keep scenario order; unranked rows go last.
        rows.sort_by_key(|(rank, _)| rank.unwrap_or(usize::MAX));
        rows.into_iter().map(|(_, row)| row).collect()
    }

    /// The verdict of `metric` in `group` (every cell of the group carries it).
    fn group_verdict(&self, group: &Group, metric: &str) -> Option<Verdict> {
        self.cells
            .iter()
            .find(|c| c.group == group.id && c.metric == metric)
            .map(|c| c.verdict)
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

    fn footer(&self, cols: &[&str], undetermined: bool) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "rows ranked by {}; mean ± 95% CI half-width over replications (Student t); ↓ lower is better, ↑ higher{}",
            cols.first().copied().unwrap_or("-"),
            self.baseline
                .as_ref()
                .map_or(String::new(), |b| format!("; xR = ratio to {b}"))
        );
        let _ = writeln!(
            out,
            "* best: better than the runner-up by Welch's t-test (two-sided, {:.0}%; p shown in the verdict row); \"no difference\" otherwise",
            ALPHA * 100.0
        );
        if undetermined {
            let _ = writeln!(
                out,
                "n<2: a single replication has no confidence interval, so nothing is marked best (set scenario.replications >= 2)"
            );
        }
        let hidden = FAILOVER_METRICS.iter().any(|m| {
            TABLE_METRICS.contains(m) && !cols.contains(m) && self.metrics.iter().any(|x| x == m)
        });
        if hidden {
            let _ = writeln!(out, "failover columns hidden: no run saw a failure");
        }
        out
    }
}

fn verdict_text(v: Verdict) -> String {
    match v {
        Verdict::Significant { p } if p < 0.001 => "best: p<0.001".to_string(),
        Verdict::Significant { p } => format!("best: p={p:.3}"),
        Verdict::NoDifference { .. } => "no difference".to_string(),
        Verdict::Undetermined => "n<2: no CI".to_string(),
        Verdict::Uncontested => String::new(),
    }
}

/// Left-aligned columns padded to their widths, two spaces apart.
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

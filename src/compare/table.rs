//! The compact terminal table of a [`Comparison`]: one block per group of comparable
//! configurations, rows ranked, the significantly best value of each column starred, and a verdict
//! row saying where there is no difference or no way to tell.

use std::fmt::Write as _;

use super::metrics::{self, FAILOVER_METRICS, TABLE_METRICS};
use super::significance::{Verdict, ALPHA};
use super::stats::Direction;
use super::{Cell, Comparison, Group};

/// One block of the comparison table: the configurations of one group of comparable
/// configurations, ranked, as text cells (a significantly best value starts with `*`, the others
/// with a space).
#[derive(Debug, Clone, PartialEq)]
pub struct TableBlock {
    /// The group's conditions (`key=value ...`, and the sweep point when the group has one);
    /// empty without a sweep.
    pub label: String,
    /// Column names: rank, scheduler, swept strategy keys, then each metric with its better-way arrow.
    pub header: Vec<String>,
    /// One row per (scheduler, sweep point), in rank order.
    pub rows: Vec<Vec<String>>,
    /// The verdict row (same width as `header`), when any column has a verdict.
    pub verdicts: Option<Vec<String>>,
}

impl Comparison {
    /// A compact table per group: rank (by the first column), scheduler and swept strategy values,
    /// then per metric the mean ± 95% CI half-width, `*` marking a significantly best value and
    /// `x1.23` the ratio to the baseline; a last row gives each column's verdict. Failover columns
    /// are left out when no run saw a failure.
    pub fn render_table(&self) -> String {
        let mut out = String::new();
        for block in self.table_blocks() {
            if !block.label.is_empty() {
                let _ = writeln!(out, "{}", block.label);
            }
            let mut grid = vec![block.header];
            grid.extend(block.rows);
            grid.extend(block.verdicts);
            out.push_str(&layout(&grid));
            out.push('\n');
        }
        out.push_str(&self.table_footer());
        out
    }

    /// The blocks of [`Comparison::render_table`], one per group, as cells.
    pub fn table_blocks(&self) -> Vec<TableBlock> {
        let cols = self.table_columns();
        let strategy = self.strategy_keys();
        let mut blocks = Vec::new();
        for group in &self.groups {
            let mut label = group.label();
            if !label.is_empty() {
                if let [one] = group.sweep_points.as_slice() {
                    let _ = write!(label, "  (sweep point {one})");
                }
            }
            let verdicts: Vec<String> = cols
                .iter()
                .map(|m| {
                    self.group_verdict(group, m)
                        .map_or(String::new(), verdict_text)
                })
                .collect();
            let verdicts = verdicts.iter().any(|v| !v.is_empty()).then(|| {
                let mut row = vec![String::new(), "verdict".to_string()];
                row.extend(strategy.iter().map(|_| String::new()));
                row.extend(verdicts);
                row
            });
            blocks.push(TableBlock {
                label,
                header: self.header_row(&strategy, &cols),
                rows: self.group_rows(group, &strategy, &cols),
                verdicts,
            });
        }
        blocks
    }

    /// The legend lines under the table: ranking column, what the numbers and marks mean, and
    /// which columns are hidden.
    pub fn table_footer(&self) -> String {
        let cols = self.table_columns();
        let undetermined = self.groups.iter().any(|g| {
            cols.iter()
                .any(|m| self.group_verdict(g, m) == Some(Verdict::Undetermined))
        });
        self.footer(&cols, undetermined)
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

    /// A cell as the table shows it: `*` (significantly best) or a space, the mean, `± half-width`
    /// of the 95% CI when there is one, and `xR` the ratio to the baseline when one was given.
    pub fn cell_text(&self, c: &Cell) -> String {
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

//! The sections of the report but the run cost: each returns HTML (every embedded text escaped).

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use super::html::{escape, pre, table};
use super::{inputs, staleness};
use super::{ReportError, SCENARIO_TOML};
use crate::compare::metrics::{self, FAILOVER_METRICS};
use crate::compare::{Comparison, Direction, Summary};
use crate::plot::PLOTS_DIR;

/// The scenario file text, the `--set` overrides, the sweep points and each point's resolved
/// configuration (from `runs.json`).
pub fn scenario(dir: &Path, runs: &[Value], summary: &Summary) -> Result<String, ReportError> {
    let mut out = String::new();
    out.push_str("<h3>Scenario file</h3>\n");
    match inputs::read_optional(&dir.join(SCENARIO_TOML))? {
        Some(text) => {
            out.push_str(&pre(&text));
        }
        None => out.push_str(
            "<p class=\"note\">The scenario file's text is not in this results directory (scenario.toml is stored by simctl run from this version on); the resolved configuration below is what ran.</p>\n",
        ),
    }
    if let Some(overrides) = runs.first().and_then(|r| r["overrides"].as_object()) {
        if !overrides.is_empty() {
            out.push_str("<h3>Overrides (<code>--set</code>)</h3>\n");
            let rows: Vec<Vec<String>> = overrides
                .iter()
                .map(|(k, v)| vec![k.clone(), value_text(v)])
                .collect();
            out.push_str(&table(
                "plain",
                &["key".into(), "value".into()],
                &rows,
                None,
            ));
        }
    }
    let points = summary.sweep_points();
    if !summary.sweep_keys.is_empty() {
        out.push_str("<h3>Sweep points</h3>\n");
        let mut header = vec!["sweep point".to_string()];
        header.extend(summary.sweep_keys.iter().cloned());
        let rows: Vec<Vec<String>> = points
            .iter()
            .map(|p| {
                let mut row = vec![p.id.to_string()];
                row.extend(p.values.iter().cloned());
                row
            })
            .collect();
        out.push_str(&table("plain sortable", &header, &rows, None));
    }
    out.push_str("<h3>Resolved configuration</h3>\n<p class=\"note\">The scenario as run, after overrides and the sweep point's values, with every default filled in (from runs.json).</p>\n");
    let mut seen: Vec<u64> = Vec::new();
    for run in runs {
        let Some(point) = run["sweep_point"].as_u64() else {
            continue;
        };
        if seen.contains(&point) {
            continue;
        }
        seen.push(point);
        let label = points
            .iter()
            .find(|p| p.id == point)
            .map(|p| p.label(&summary.sweep_keys))
            .filter(|l| !l.is_empty())
            .map_or(String::new(), |l| format!(": {l}"));
        let _ = write!(
            out,
            "<details><summary>sweep point {point}{}</summary>\n{}</details>\n",
            escape(&label),
            pre(&config_text(&run["config"]))
        );
    }
    Ok(out)
}

/// A JSON value as TOML when it can be written so (it can unless it holds a null), else as JSON.
fn config_text(v: &Value) -> String {
    toml::to_string(v).unwrap_or_else(|_| serde_json::to_string_pretty(v).unwrap_or_default())
}

/// A JSON scalar as plain text (strings without quotes).
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The comparison table, a block per group of comparable configurations, as `simctl compare`
/// prints it, with its legend.
pub fn comparison(cmp: &Comparison) -> String {
    let mut out = String::from("<p class=\"note\">Click a column header to sort. ★ marks a value significantly better than the runner-up's; the last row of each table is the verdict.</p>\n");
    for block in cmp.table_blocks() {
        if !block.label.is_empty() {
            let _ = writeln!(out, "<h3>{}</h3>", escape(&block.label));
        }
        out.push_str(&table(
            "cmp sortable",
            &block.header,
            &block.rows,
            block.verdicts.as_deref(),
        ));
    }
    for line in cmp.table_footer().lines() {
        // The terminal's `*` mark is a ★ here.
        let line = match line.strip_prefix("* ") {
            Some(rest) => format!("★ {rest}"),
            None => line.to_string(),
        };
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(&line));
    }
    out
}

/// Failover metrics of every configuration (mean ± 95% CI, best marked), when a run saw a failure.
pub fn failures(cmp: &Comparison) -> Option<String> {
    if !cmp.failures {
        return None;
    }
    let cols: Vec<&str> = FAILOVER_METRICS
        .iter()
        .chain(["mean_attempts"].iter())
        .copied()
        .filter(|m| cmp.metrics.iter().any(|x| x == m))
        .collect();
    if cols.is_empty() {
        return None;
    }
    let strategy = cmp.strategy_keys();
    let mut header = vec!["group".to_string(), "scheduler".to_string()];
    header.extend(strategy.iter().map(|&k| cmp.sweep_keys[k].clone()));
    for m in &cols {
        let arrow = match metrics::info(m).map(|i| i.direction) {
            Some(Direction::Higher) => "↑",
            _ => "↓",
        };
        header.push(format!("{m} {arrow}"));
    }
    let mut rows = Vec::new();
    for group in &cmp.groups {
        for s in &cmp.schedulers {
            for &id in &group.sweep_points {
                let cells: Vec<_> = cols.iter().map(|m| cmp.cell(s, id, m)).collect();
                let Some(any) = cells.iter().flatten().next() else {
                    continue;
                };
                let mut row = vec![group.label(), s.clone()];
                row.extend(strategy.iter().map(|&k| any.sweep_values[k].clone()));
                row.extend(
                    cells
                        .iter()
                        .map(|c| c.map_or(String::new(), |c| cmp.cell_text(c))),
                );
                rows.push(row);
            }
        }
    }
    let mut out = String::from("<p class=\"note\">At least one run saw a failure (a node crash, a failed or lost task). Mean ± 95% CI half-width over replications; ★ significantly best within its group.</p>\n");
    out.push_str(&table("cmp sortable", &header, &rows, None));
    Some(out)
}

/// `sim-vs-real.csv` of `simctl docker run`: the mean absolute percentage error per metric, then
/// every run's pair; `None` when the directory has no such file.
pub fn sim_vs_real(dir: &Path, summary: &Summary) -> Result<Option<String>, ReportError> {
    let Some((header, rows)) = inputs::csv_table(&dir.join("sim-vs-real.csv"))? else {
        return Ok(None);
    };
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(metric), Some(run), Some(rel), Some(diff)) = (
        col("metric"),
        col("run"),
        col("relative_error"),
        col("abs_difference"),
    ) else {
        return Err(ReportError::Malformed {
            path: dir.join("sim-vs-real.csv"),
            message: "expected the columns metric, run, relative_error, abs_difference".into(),
        });
    };
    let mape: Vec<Vec<String>> = rows
        .iter()
        .filter(|r| r.get(run).is_some_and(|v| v == "mape"))
        .map(|r| {
            let pct = r[rel]
                .parse::<f64>()
                .map_or("n/a".to_string(), |x| format!("{:.1}", x * 100.0));
            vec![r[metric].clone(), pct, r[diff].clone()]
        })
        .collect();
    let per_run: Vec<Vec<String>> = rows
        .iter()
        .filter(|r| r.get(run).is_some_and(|v| v != "mape"))
        .cloned()
        .collect();
    let mut out = format!(
        "<p class=\"note\">The {} real run(s) of this directory (simctl docker run) against the simulator's runs of the same scenario and seeds: same tasks, same crashes.</p>\n",
        summary.runs.len()
    );
    out.push_str(&table(
        "plain sortable",
        &["metric".into(), "MAPE %".into(), "mean |real - sim|".into()],
        &mape,
        None,
    ));
    out.push_str("<details><summary>every run</summary>\n");
    out.push_str(&table("plain sortable", &header, &per_run, None));
    out.push_str("</details>\n");
    Ok(Some(out))
}

/// The trace settings of the replays (file, format, window) and what the reader skipped or
/// dropped, from `runs.json`; `None` when no run replays a trace.
pub fn trace(runs: &[Value]) -> Option<String> {
    let replays: Vec<&Value> = runs
        .iter()
        .filter(|r| r["config"]["workload"]["source"].as_str() == Some("trace"))
        .collect();
    if replays.is_empty() {
        return None;
    }
    let mut out = String::from("<h3>Provenance</h3>\n<p class=\"note\">The trace settings as run (the path is relative to the scenario file).</p>\n");
    let mut settings: Vec<String> = Vec::new();
    for r in &replays {
        let text = config_text(&r["config"]["workload"]);
        if !settings.contains(&text) {
            settings.push(text);
        }
    }
    for s in &settings {
        out.push_str(&pre(s));
    }
    out.push_str(&checksums(&replays));
    out.push_str("<h3>Skipped and dropped lines</h3>\n");
    let mut reports: Vec<(String, usize)> = Vec::new();
    for r in &replays {
        if let Some(text) = r["trace_report"].as_str() {
            match reports.iter_mut().find(|(t, _)| t == text) {
                Some((_, n)) => *n += 1,
                None => reports.push((text.to_string(), 1)),
            }
        }
    }
    if reports.is_empty() {
        let _ = writeln!(
            out,
            "<p>None: the reader skipped no malformed line and the replay dropped no record in any of the {} run(s).</p>",
            replays.len()
        );
    }
    for (text, n) in &reports {
        let _ = writeln!(
            out,
            "<p class=\"note\">In {n} of {} run(s):</p>",
            replays.len()
        );
        out.push_str(&pre(text));
    }
    Some(out)
}

/// The SHA-256 of each file the replays read, as recorded in `runs.json` when they ran: one row
/// per (file, checksum) with the number of runs that read it, a warning when the runs did not
/// all read the same bytes, a note for runs that recorded none (made by an older simctl).
fn checksums(replays: &[&Value]) -> String {
    let mut rows: Vec<(String, String, usize)> = Vec::new();
    let mut unrecorded = 0;
    for r in replays {
        let Some(sums) = r["trace_sha256"].as_object() else {
            unrecorded += 1;
            continue;
        };
        for (role, sum) in sums {
            let sum = sum.as_str().unwrap_or_default().to_string();
            match rows.iter_mut().find(|(r, s, _)| r == role && *s == sum) {
                Some((_, _, n)) => *n += 1,
                None => rows.push((role.clone(), sum, 1)),
            }
        }
    }
    rows.sort();
    let mut out = String::from("<h3>Checksums</h3>\n<p class=\"note\">SHA-256 of the files replayed, computed when the runs ran (compare with <code>sha256sum</code>).</p>\n");
    if !rows.is_empty() {
        let header = ["file", "SHA-256", "runs"].map(String::from);
        let body: Vec<Vec<String>> = rows
            .iter()
            .map(|(role, sum, n)| vec![role.clone(), sum.clone(), n.to_string()])
            .collect();
        out.push_str(&table("plain", &header, &body, None));
    }
    if rows.windows(2).any(|w| w[0].0 == w[1].0) {
        out.push_str("<p class=\"stale\">The runs did not all replay the same bytes: a file changed between runs (or differs between the machines of a sharded sweep).</p>\n");
    }
    if unrecorded > 0 {
        let _ = writeln!(
            out,
            "<p class=\"note\">Not recorded for {unrecorded} of {} run(s) (made by a simctl that did not record checksums).</p>",
            replays.len()
        );
    }
    out
}

/// Every plot of `DIR/plots/`, inlined as SVG, with a caption; a plot older than the results it
/// draws is marked stale (see [`super::staleness`]).
pub fn plots(dir: &Path) -> Result<String, ReportError> {
    let files = inputs::plot_svgs(&dir.join(PLOTS_DIR))?;
    if files.is_empty() {
        return Ok("<p>No plots.</p>\n".to_string());
    }
    let newest = staleness::newest_input(dir)?;
    let mut out = String::new();
    for f in &files {
        let stem = inputs::stem(f);
        let mark = match newest {
            Some((name, t)) if staleness::is_stale(f, t)? => format!(
                "<p class=\"stale\">Stale: this plot is older than {name}, so it may not show these results; redraw the plots with <code>simctl plot</code> on this directory, then the report.</p>\n"
            ),
            _ => String::new(),
        };
        let _ = write!(
            out,
            "<figure id=\"plot-{}\">\n{mark}{}\n<figcaption>{} <span class=\"note\">(plots/{}.svg)</span></figcaption>\n</figure>\n",
            escape(&stem),
            inputs::inline_svg(f)?,
            escape(&inputs::caption(&stem)),
            escape(&stem)
        );
    }
    Ok(out)
}

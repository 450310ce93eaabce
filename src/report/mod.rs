//! `simctl report DIR`: one self-contained HTML file, `DIR/report.html`, holding everything a
//! results dir says: the scenario (its file text and each sweep point's resolved configuration),
//! the comparison table (from [`crate::compare`], the same numbers as `compare.csv`), every plot
//! inlined as SVG with a caption, failure and availability results when something failed, the
//! simulated-vs-real comparison of `simctl docker run`, trace provenance and skip counts, and the
//! run cost.
//!
//! The page needs no network and no framework: inline style, inline SVG, a few lines of plain
//! script to sort tables. Every part but the run cost is a pure function of the deterministic
//! result files, so a merged sharded sweep or a resumed one gives the same bytes as one
//! uninterrupted run outside the run-cost section, which is delimited by [`COST_BEGIN`] and
//! [`COST_END`].

mod cost;
mod html;
mod inputs;
mod sections;
pub mod staleness;

use std::path::{Path, PathBuf};

use crate::compare::{CompareError, Comparison, Summary};
use crate::plot::{PlotError, PLOTS_DIR};

/// File name of the report inside a results dir.
pub const REPORT_HTML: &str = "report.html";

/// File name of the scenario text stored in a results dir by `simctl run` (and copied by `merge`).
pub const SCENARIO_TOML: &str = "scenario.toml";

/// Comment opening the run-cost section, the one part of the report that depends on the machine.
pub const COST_BEGIN: &str = "<!-- run-cost:begin (machine-dependent) -->";

/// Comment closing the run-cost section.
pub const COST_END: &str = "<!-- run-cost:end -->";

/// Errors writing a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// `summary.csv` is missing or malformed.
    #[error(transparent)]
    Compare(#[from] CompareError),
    /// The plots could not be drawn.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// A file could not be read or written.
    #[error("i/o error on {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A results file is not what simctl writes.
    #[error("{}: {message}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
}

/// Stores the text of the scenario file `source` as `dir/scenario.toml` (atomically), for the
/// report's scenario section.
pub fn save_scenario_text(dir: &Path, source: &Path) -> std::io::Result<()> {
    let text = std::fs::read(source)?;
    std::fs::create_dir_all(dir)?;
    crate::output::atomic::write_atomic(&dir.join(SCENARIO_TOML), |w| w.write_all(&text))
}

/// Writes `dir/report.html` (atomically) and returns its path. The plots are drawn first when
/// `dir/plots/` holds no SVG file (a run with `output.plots = false`).
pub fn write_report(dir: &Path) -> Result<PathBuf, ReportError> {
    if inputs::plot_svgs(&dir.join(PLOTS_DIR))?.is_empty() {
        crate::plot::plot_dir(dir)?;
    }
    let page = render(dir)?;
    let path = dir.join(REPORT_HTML);
    crate::output::atomic::write_atomic(&path, |w| w.write_all(page.as_bytes())).map_err(
        |source| ReportError::Io {
            path: path.clone(),
            source,
        },
    )?;
    Ok(path)
}

/// The report of results dir `dir` as an HTML document (plots are inlined as they are found).
pub fn render(dir: &Path) -> Result<String, ReportError> {
    let summary = Summary::load(dir)?;
    let cmp = Comparison::from_summary(&summary, None)?;
    let runs = inputs::runs_json(dir)?;
    let name = runs
        .first()
        .and_then(|r| r["scenario"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| {
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
    let mut body: Vec<(&str, &str, String)> = Vec::new();
    body.push(("comparison", "Comparison", sections::comparison(&cmp)));
    if let Some(s) = sections::failures(&cmp) {
        body.push(("failures", "Failures and availability", s));
    }
    if let Some(s) = sections::sim_vs_real(dir, &summary)? {
        body.push(("sim-vs-real", "Simulated against real", s));
    }
    if let Some(s) = sections::trace(&runs) {
        body.push(("trace", "Trace replay", s));
    }
    body.push(("plots", "Plots", sections::plots(dir)?));
    body.push((
        "scenario",
        "Scenario",
        sections::scenario(dir, &runs, &summary)?,
    ));
    body.push(("run-cost", "Run cost", cost::section(dir)?));
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<title>simctl report: {}</title>\n<style>\n{}</style>\n</head>\n<body>\n",
        html::escape(&name),
        html::STYLE
    ));
    out.push_str(&format!(
        "<h1>simctl report: {}</h1>\n<p class=\"note\">{} run(s), {} scheduler(s), {} sweep point(s). Made by <code>simctl report</code> from the result files alone.</p>\n",
        html::escape(&name),
        summary.runs.len(),
        cmp.schedulers.len(),
        cmp.sweep_points.len()
    ));
    out.push_str("<nav><ul>\n");
    for (id, title, _) in &body {
        out.push_str(&format!("<li><a href=\"#{id}\">{title}</a></li>\n"));
    }
    out.push_str("</ul></nav>\n");
    for (id, title, content) in &body {
        let section = format!("<section id=\"{id}\">\n<h2>{title}</h2>\n{content}</section>\n");
        if *id == "run-cost" {
            out.push_str(COST_BEGIN);
            out.push('\n');
            out.push_str(&section);
            out.push_str(COST_END);
            out.push('\n');
        } else {
            out.push_str(&section);
        }
    }
    out.push_str(&format!(
        "<script>\n{}</script>\n</body>\n</html>\n",
        html::SCRIPT
    ));
    Ok(out)
}

/// `page` without its run-cost section (from [`COST_BEGIN`] to [`COST_END`]): the part that is
/// the same however the runs were split, resumed or timed.
pub fn without_cost(page: &str) -> String {
    match (page.find(COST_BEGIN), page.find(COST_END)) {
        (Some(a), Some(b)) if b > a => format!("{}{}", &page[..a], &page[b + COST_END.len()..]),
        _ => page.to_string(),
    }
}

#[cfg(test)]
mod tests;

//! Plots older than the results they draw. `simctl plot` draws from the CSV files alone; when a
//! results file is rewritten afterwards (a rerun with `output.plots = false`, a `merge` into an
//! old directory, a hand edit) the plots left in `DIR/plots/` may show other numbers than the
//! tables. The report marks such a plot rather than redrawing it: `simctl report` reads a results
//! directory and writes one file, and a plot the user kept (or drew with other settings) is not
//! its to replace; the mark says how to redraw.
//!
//! Modification times are compared strictly, so a plot written in the same clock tick as its
//! results (coarse file system timestamps) is not stale. A plain copy of a directory (`cp -r`
//! without `-p`) gives new times in copy order and may mark plots stale.

use std::path::Path;
use std::time::SystemTime;

use super::ReportError;

/// The results files the plots are drawn from.
pub const PLOT_INPUTS: &[&str] = &[
    "summary.csv",
    "quantiles.csv",
    "timeseries.csv",
    "schedulers.csv",
];

/// The newest results file the plots are drawn from, and when it was written; `None` when none
/// is there.
pub fn newest_input(dir: &Path) -> Result<Option<(&'static str, SystemTime)>, ReportError> {
    let mut newest: Option<(&'static str, SystemTime)> = None;
    for name in PLOT_INPUTS {
        if let Some(t) = modified(&dir.join(name))? {
            if newest.is_none_or(|(_, n)| t > n) {
                newest = Some((name, t));
            }
        }
    }
    Ok(newest)
}

/// Whether `plot` was written before `results` (a time from [`newest_input`]).
pub fn is_stale(plot: &Path, results: SystemTime) -> Result<bool, ReportError> {
    Ok(modified(plot)?.is_some_and(|t| t < results))
}

/// A file's modification time; `None` when it is absent.
fn modified(path: &Path) -> Result<Option<SystemTime>, ReportError> {
    match std::fs::metadata(path).and_then(|m| m.modified()) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ReportError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The plots (SVG files of `DIR/plots/`) older than the newest results file they are drawn from,
/// with that file's name.
pub fn stale_plots(dir: &Path) -> Result<Vec<(std::path::PathBuf, &'static str)>, ReportError> {
    let Some((name, t)) = newest_input(dir)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for f in super::inputs::plot_svgs(&dir.join(crate::plot::PLOTS_DIR))? {
        if is_stale(&f, t)? {
            out.push((f, name));
        }
    }
    Ok(out)
}

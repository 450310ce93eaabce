//! `simctl plot DIR`: draws the plots of a results dir from its CSV files into `DIR/plots/`, each as
//! PNG and SVG.
//!
//! | file stem | from | shows |
//! |---|---|---|
//! | `cdf_response` | `quantiles.csv` | response-time CDF per scheduler, a panel per sweep point |
//! | `summary_bars` | `summary.csv` | mean response, p99 response, CPU utilisation, imbalance: mean and 95% CI |
//! | `sweep_<key>` | `summary.csv` | per swept key: p99 response and CPU utilisation against the key |
//! | `energy_<key>` | `summary.csv` | per swept key, with a power model: energy (and carbon) and mean wait against the key |
//! | `timeseries` | `timeseries.csv` | CPU utilisation and queue length over time, replication 0, first sweep point |
//! | `failover` | `summary.csv` | goodput, availability, tasks lost, time to restart, when those columns exist |
//! | `gpu_bars` | `summary.csv` | GPU utilisation, unallocated and fragmented GPUs at the end, GPU tasks never placed (clusters with GPUs) |
//! | `gpu_fragmentation` | `timeseries.csv` | unallocated and fragmented GPUs against the arrived GPU demand, per scheduler (clusters with GPUs) |
//!
//! Every figure says in a subtitle what its whiskers mean ("mean and 95% CI over N replications", or
//! "1 replication, no CI"). More than 8 schedulers (`data::MAX_OVERLAID`) are not overlaid: bars, sweeps
//! and CDFs become ranked dot plots (module `ranked`), the time series a grid of small multiples. The data
//! behind each choice is prepared in module `data`, apart from drawing, and tested there.
//!
//! `summary.csv` is required; a missing `quantiles.csv` or `timeseries.csv` only skips its plot.
//! Output is deterministic: the same CSV files give byte-identical PNG and SVG files (the font is
//! shipped in the repo, nothing depends on the system or the clock).

mod bars;
mod cdf;
mod data;
mod gpu;
mod ranked;
pub mod style;
mod sweep;
mod timeseries;

use std::path::{Path, PathBuf};

use crate::compare::metrics::FAILOVER_METRICS;
use crate::compare::{CompareError, Comparison, Summary};

/// Name of the plots dir inside a results dir.
pub const PLOTS_DIR: &str = "plots";

/// Errors drawing the plots of a results dir.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// A results file is missing (`summary.csv`) or malformed.
    #[error(transparent)]
    Read(#[from] CompareError),
    /// The shipped font could not be loaded.
    #[error("the embedded font assets/fonts/DejaVuSans.ttf could not be loaded")]
    Font,
    /// Drawing a plot failed.
    #[error("{}: drawing failed: {message}", path.display())]
    Draw {
        /// The plot file being drawn.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A plot file or the plots dir could not be written.
    #[error("i/o error on {}", path.display())]
    Io {
        /// The file or dir.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Draws every plot the results dir `dir` has data for into `dir/plots/` and returns the files
/// written (PNG and SVG of each plot), in a fixed order.
pub fn plot_dir(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    style::register_font()?;
    let summary = Summary::load(dir)?;
    let cmp = Comparison::from_summary(&summary, None)?;
    let out = dir.join(PLOTS_DIR);
    std::fs::create_dir_all(&out).map_err(|source| PlotError::Io {
        path: out.clone(),
        source,
    })?;
    let mut files = Vec::new();
    if let Some(fig) = cdf::CdfFigure::load(dir, &summary)? {
        files.extend(style::save(&fig, &out, "cdf_response")?);
    }
    let main = bars::MetricBars::main(&cmp);
    files.extend(style::save(&main, &out, "summary_bars")?);
    for key in 0..summary.sweep_keys.len() {
        if let Some(fig) = sweep::SweepFigure::new(&summary, &cmp, key) {
            let stem = format!("sweep_{}", style::file_stem(&summary.sweep_keys[key]));
            files.extend(style::save(&fig, &out, &stem)?);
        }
    }
    if summary.metric("energy_kwh").is_some() {
        let wanted = crate::compare::metrics::ENERGY_METRICS;
        for key in 0..summary.sweep_keys.len() {
            let title = format!("Energy and wait against {}", summary.sweep_keys[key]);
            if let Some(fig) = sweep::SweepFigure::with_metrics(&summary, &cmp, key, wanted, title)
            {
                let stem = format!("energy_{}", style::file_stem(&summary.sweep_keys[key]));
                files.extend(style::save(&fig, &out, &stem)?);
            }
        }
    }
    if let Some(actors) = Summary::load_schedulers(dir)? {
        let cmp = Comparison::from_summary(&actors, None)?;
        let wanted = crate::compare::metrics::ARCHITECTURE_METRICS;
        for key in 0..actors.sweep_keys.len() {
            let title = format!(
                "Schedulers of each architecture against {}",
                actors.sweep_keys[key]
            );
            if let Some(fig) = sweep::SweepFigure::with_metrics(&actors, &cmp, key, wanted, title) {
                let stem = format!("architecture_{}", style::file_stem(&actors.sweep_keys[key]));
                files.extend(style::save(&fig, &out, &stem)?);
            }
        }
    }
    if let Some(fig) = timeseries::TimeseriesFigure::load(dir, &summary)? {
        files.extend(style::save(&fig, &out, "timeseries")?);
    }
    if summary.metric("util_gpu").is_some() {
        files.extend(style::save(&bars::MetricBars::gpu(&cmp), &out, "gpu_bars")?);
    }
    if let Some(fig) = gpu::GpuFigure::load(dir, &summary)? {
        files.extend(style::save(&fig, &out, "gpu_fragmentation")?);
    }
    if FAILOVER_METRICS.iter().any(|m| summary.metric(m).is_some()) && had_failures(&summary) {
        let fig = bars::MetricBars::failover(&cmp);
        files.extend(style::save(&fig, &out, "failover")?);
    }
    Ok(files)
}

/// Whether any run saw a failure: a node crash, a lost task or a failed attempt restarted (not a
/// preemption); otherwise a failover plot would show nothing but ones.
fn had_failures(summary: &Summary) -> bool {
    ["node_failures", "tasks_lost", "mean_time_to_restart_s"]
        .iter()
        .any(|name| match summary.metric(name) {
            Some(i) => summary.runs.iter().any(|r| r.values[i] > 0.0),
            // Older or hand-made summaries without these columns: draw it when the failover columns exist.
            None => true,
        })
}

#[cfg(test)]
mod tests;

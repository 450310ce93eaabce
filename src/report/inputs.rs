//! What the report reads from a results dir besides the comparison: `runs.json`, `timing.csv`,
//! `sim-vs-real.csv`, the stored scenario text and the plots' SVG files.

use std::path::{Path, PathBuf};

use super::ReportError;

/// Reads a file that may be absent (`None`), any other failure being an error naming it.
pub fn read_optional(path: &Path) -> Result<Option<String>, ReportError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ReportError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The runs of `runs.json` (its array's elements); empty when the file is absent.
pub fn runs_json(dir: &Path) -> Result<Vec<serde_json::Value>, ReportError> {
    let path = dir.join("runs.json");
    let Some(text) = read_optional(&path)? else {
        return Ok(Vec::new());
    };
    serde_json::from_str(&text).map_err(|e| ReportError::Malformed {
        path,
        message: format!("expected a JSON array of runs: {e}"),
    })
}

/// A CSV file's header and rows, as text.
pub type CsvTable = (Vec<String>, Vec<Vec<String>>);

/// A CSV file as header and rows of text; `None` when it is absent.
pub fn csv_table(path: &Path) -> Result<Option<CsvTable>, ReportError> {
    let Some(text) = read_optional(path)? else {
        return Ok(None);
    };
    let malformed = |e: csv::Error| ReportError::Malformed {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = r
        .headers()
        .map_err(malformed)?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        rows.push(rec.map_err(malformed)?.iter().map(str::to_string).collect());
    }
    Ok(Some((header, rows)))
}

/// The SVG files in `plots`, in the order `simctl plot` draws them (response CDF, summary bars,
/// sweeps, architectures, time series, failover), others after them by name.
pub fn plot_svgs(plots: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let entries = match std::fs::read_dir(plots) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ReportError::Io {
                path: plots.to_path_buf(),
                source,
            })
        }
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| ReportError::Io {
                path: plots.to_path_buf(),
                source,
            })?
            .path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".svg") && !name.starts_with('.') {
            files.push(path);
        }
    }
    files.sort_by_key(|p| {
        let stem = stem(p);
        let order = [
            "cdf_response",
            "summary_bars",
            "sweep_",
            "energy_",
            "gpu_bars",
            "gpu_fragmentation",
            "architecture_",
            "timeseries",
            "failover",
        ]
        .iter()
        .position(|s| stem == *s || (s.ends_with('_') && stem.starts_with(s)))
        .unwrap_or(usize::MAX);
        (order, stem)
    });
    Ok(files)
}

/// The file stem of a plot.
pub fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// One line saying what the plot with file stem `stem` shows.
pub fn caption(stem: &str) -> String {
    if let Some(key) = stem.strip_prefix("sweep_") {
        return format!("p99 response time and CPU utilisation of every scheduler against the swept key {key} (mean and 95% CI over replications).");
    }
    if let Some(key) = stem.strip_prefix("energy_") {
        return format!("Energy (and carbon, with a carbon series) and mean wait of every scheduler against the swept key {key} (mean and 95% CI over replications).");
    }
    if let Some(key) = stem.strip_prefix("architecture_") {
        return format!("Each architecture's schedulers (busy fraction, wait for the scheduler, conflicts, abandoned jobs) against the swept key {key}.");
    }
    match stem {
        "cdf_response" => "Response-time CDF per scheduler (a panel per sweep point): how often a task finishes within a given time.".into(),
        "summary_bars" => "Mean response, p99 response, CPU utilisation and load imbalance per scheduler: mean and 95% CI over replications.".into(),
        "timeseries" => "CPU utilisation and queue length over simulated time (replication 0, first sweep point).".into(),
        "gpu_bars" => "GPU utilisation, GPUs unallocated and fragmented at the end of the run, and GPU tasks never placed, per scheduler (mean and 95% CI over replications).".into(),
        "gpu_fragmentation" => "GPU capacity left unallocated (left) and fragmented, unusable by the arrived workload's typical task (right), against the GPU demand arrived, per scheduler (mean over replications).".into(),
        "failover" => "Goodput, availability, tasks lost and time to restart per scheduler: how each coped with the failures.".into(),
        other => format!("Plot {other}."),
    }
}

/// An SVG file's markup, ready to inline in HTML: an XML declaration, if any, left out.
pub fn inline_svg(path: &Path) -> Result<String, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let start = text.find("<svg").ok_or_else(|| ReportError::Malformed {
        path: path.to_path_buf(),
        message: "no <svg> element".into(),
    })?;
    Ok(text[start..].trim_end().to_string())
}

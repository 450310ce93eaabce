//! `tasks.csv`: one row per task attempt. Each run streams its rows to a part file while it runs (so
//! memory does not grow with the number of tasks); the parts are then concatenated in run order.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::config::ScenarioFile;
use crate::engine::Watcher;
use crate::metrics::TaskRow;
use crate::sweep::{run_one_watched, RunResult, RunSpec};
use crate::workload::WorkloadError;

/// Header of `tasks.csv`.
pub const HEADER: &str = "scheduler,sweep_point,replication,task_id,job_id,attempt,node,arrival_s,start_s,end_s,outcome,wait_s,response_s,slowdown,bounded_slowdown,cpu,memory_bytes,disk_bytes,duration_s,priority,observed_wait_s,observed_runtime_s";

/// Runs one simulation, streaming its task rows to the part file `path`; `watcher` (live
/// monitoring) looks at it meanwhile when given.
pub fn run_with_task_rows(
    file: &ScenarioFile,
    spec: &RunSpec,
    check: bool,
    path: &Path,
    watcher: Option<&mut dyn Watcher>,
) -> Result<RunResult, WorkloadError> {
    let io_err = |source| WorkloadError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut out = BufWriter::new(File::create(path).map_err(io_err)?);
    let scheduler = csv_field(&file.points[spec.point].scenario.schedulers[spec.scheduler].name);
    let prefix = format!("{scheduler},{},{}", spec.point, spec.replication);
    let tau = file.points[spec.point].scenario.bounded_slowdown_tau;
    let mut failure = None;
    let mut sink = |row: &TaskRow| {
        if failure.is_none() {
            if let Err(e) = writeln!(out, "{prefix},{}", format_row(row, tau)) {
                failure = Some(e);
            }
        }
    };
    // The watcher outlives the sink: shorten its borrow to the sink's.
    let watcher = watcher.map(|w| w as &mut dyn Watcher);
    let result = run_one_watched(file, spec, check, Some(&mut sink), watcher)?;
    if let Some(e) = failure {
        return Err(io_err(e));
    }
    out.flush().map_err(io_err)?;
    Ok(result)
}

/// Writes the rows of a run that already ended (a real run's) to the part file `path`, as
/// [`run_with_task_rows`] streams a simulated run's.
pub fn write_rows(
    file: &ScenarioFile,
    spec: &RunSpec,
    rows: &[TaskRow],
    path: &Path,
) -> std::io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    let scheduler = csv_field(&file.points[spec.point].scenario.schedulers[spec.scheduler].name);
    let tau = file.points[spec.point].scenario.bounded_slowdown_tau;
    for row in rows {
        writeln!(
            out,
            "{scheduler},{},{},{}",
            spec.point,
            spec.replication,
            format_row(row, tau)
        )?;
    }
    out.flush()
}

fn secs(t: Option<crate::time::SimTime>) -> String {
    t.map(|t| format!("{}", t.as_secs_f64()))
        .unwrap_or_default()
}

fn format_row(r: &TaskRow, tau: crate::time::SimDuration) -> String {
    // One definition each, shared with summary.csv: the wait ends at the task's first start; the
    // response and slowdowns are the task's, on the row of the attempt that completed it.
    let wait = r
        .first_start
        .map(|s| format!("{}", s.since(r.arrival).as_secs_f64()))
        .unwrap_or_default();
    let (response, slowdown, bounded) = match (r.end, r.ideal_run) {
        (Some(e), Some(ideal)) => {
            let resp = e.since(r.arrival);
            (
                format!("{}", resp.as_secs_f64()),
                format!("{}", crate::metrics::slowdown(resp, ideal)),
                format!("{}", crate::metrics::bounded_slowdown(resp, ideal, tau)),
            )
        }
        _ => (String::new(), String::new(), String::new()),
    };
    let outcome = serde_json::to_value(r.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let observed = |d: Option<crate::time::SimDuration>| {
        d.map(|d| d.as_secs_f64().to_string()).unwrap_or_default()
    };
    format!(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
        r.task_id,
        r.job_id,
        r.attempt,
        r.node.map(|n| n.0.to_string()).unwrap_or_default(),
        r.arrival.as_secs_f64(),
        secs(r.start),
        secs(r.end),
        outcome,
        wait,
        response,
        slowdown,
        bounded,
        r.demand.cpu_cores(),
        r.demand.memory,
        r.demand.disk,
        r.duration.as_secs_f64(),
        r.priority,
        observed(r.observed_wait),
        observed(r.observed_runtime)
    )
}

/// Quotes a CSV field when it needs it.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

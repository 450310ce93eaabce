//! Result files of a scenario: `summary.csv`, `quantiles.csv`, `timeseries.csv`, `tasks.csv`,
//! `runs.json` and `timing.csv`, each written atomically. Everything but `timing.csv` and the `wall_s`
//! column is a pure function of the scenario and seed.

pub mod atomic;
pub mod table;
pub mod tasks;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::config::sweep::value_text;
use crate::config::ScenarioFile;
use crate::sweep::RunResult;
use atomic::write_atomic;
use tasks::csv_field;

/// Identifying columns of a run: scheduler, sweep_point, replication.
fn run_id(file: &ScenarioFile, r: &RunResult) -> String {
    let name = &file.points[r.spec.point].scenario.schedulers[r.spec.scheduler].name;
    format!(
        "{},{},{}",
        csv_field(name),
        r.spec.point,
        r.spec.replication
    )
}

/// Writes every result file into `dir` (created if needed); returns the paths written.
pub fn write_results(
    dir: &Path,
    file: &ScenarioFile,
    results: &[RunResult],
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut put = |name: &str, f: &dyn Fn(&mut dyn Write) -> std::io::Result<()>| {
        let path = dir.join(name);
        write_atomic(&path, |w| f(w))?;
        written.push(path);
        Ok::<(), std::io::Error>(())
    };
    put("summary.csv", &|w| write_summary(w, file, results))?;
    put("quantiles.csv", &|w| {
        writeln!(w, "scheduler,sweep_point,replication,metric,quantile,value")?;
        for r in results {
            let id = run_id(file, r);
            for (metric, q, v) in &r.quantiles {
                writeln!(
                    w,
                    "{id},{metric},{q},{}",
                    if v.is_nan() {
                        String::new()
                    } else {
                        v.to_string()
                    }
                )?;
            }
        }
        Ok(())
    })?;
    if results.iter().any(|r| !r.samples.is_empty()) {
        put("timeseries.csv", &|w| {
            writeln!(w, "scheduler,sweep_point,replication,time_s,util_cpu,util_memory,util_disk,queue_length,running,nodes_up")?;
            for r in results {
                let id = run_id(file, r);
                for s in &r.samples {
                    writeln!(
                        w,
                        "{id},{},{},{},{},{},{},{}",
                        s.time_s,
                        s.util_cpu,
                        s.util_memory,
                        s.util_disk,
                        s.queue_length,
                        s.running,
                        s.nodes_up
                    )?;
                }
            }
            Ok(())
        })?;
    }
    put("runs.json", &|w| {
        let runs: Vec<serde_json::Value> = results
            .iter()
            .map(|r| {
                let point = &file.points[r.spec.point];
                let sweep: serde_json::Map<String, serde_json::Value> = point
                    .values
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(value_text(v))))
                    .collect();
                json!({
                    "run": r.spec.index,
                    "scenario": point.scenario.name,
                    "scheduler": point.scenario.schedulers[r.spec.scheduler].name,
                    "sweep_point": r.spec.point,
                    "replication": r.spec.replication,
                    "seed": r.spec.seed,
                    "sweep": sweep,
                    "config": point.document,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *w, &runs)?;
        writeln!(w)
    })?;
    put("timing.csv", &|w| {
        writeln!(
            w,
            "scheduler,sweep_point,replication,events,wall_s,events_per_s"
        )?;
        for r in results {
            let s = &r.summary;
            let rate = if s.wall_s > 0.0 {
                s.events as f64 / s.wall_s
            } else {
                0.0
            };
            writeln!(
                w,
                "{},{},{},{:.0}",
                run_id(file, r),
                s.events,
                s.wall_s,
                rate
            )?;
        }
        Ok(())
    })?;
    Ok(written)
}

fn write_summary(
    w: &mut dyn Write,
    file: &ScenarioFile,
    results: &[RunResult],
) -> std::io::Result<()> {
    let mut header = vec![
        "scenario".to_string(),
        "scheduler".into(),
        "sweep_point".into(),
        "replication".into(),
        "seed".into(),
    ];
    header.extend(file.axes.iter().map(|a| csv_field(&a.key)));
    let metric_names: Vec<&str> = results
        .first()
        .map(|r| r.summary.columns().iter().map(|(n, _)| *n).collect())
        .unwrap_or_default();
    header.extend(metric_names.iter().map(|n| n.to_string()));
    writeln!(w, "{}", header.join(","))?;
    for r in results {
        let point = &file.points[r.spec.point];
        let mut row = vec![
            csv_field(&point.scenario.name),
            run_id(file, r),
            r.spec.seed.to_string(),
        ];
        row.extend(point.values.iter().map(|(_, v)| csv_field(&value_text(v))));
        row.extend(r.summary.columns().iter().map(|(_, m)| m.to_csv()));
        writeln!(w, "{}", row.join(","))?;
    }
    Ok(())
}

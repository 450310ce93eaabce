//! The comparison table printed at the end of `simctl run`: one line per scheduler and sweep point,
//! means over replications.

use crate::config::sweep::value_text;
use crate::config::ScenarioFile;
use crate::sweep::RunResult;

/// Renders the comparison table.
pub fn render(file: &ScenarioFile, results: &[RunResult]) -> String {
    let mut out = String::new();
    let header = [
        "scheduler",
        "sweep point",
        "done",
        "mean wait s",
        "p99 resp s",
        "slowdown",
        "util cpu",
        "imbalance",
        "Mev/s",
    ];
    let mut rows: Vec<[String; 9]> = Vec::new();
    for (p, point) in file.points.iter().enumerate() {
        let label = if point.values.is_empty() {
            "-".to_string()
        } else {
            point
                .values
                .iter()
                .map(|(k, v)| format!("{}={}", short_key(k), value_text(v)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        for (s, sched) in point.scenario.schedulers.iter().enumerate() {
            let runs: Vec<&RunResult> = results
                .iter()
                .filter(|r| r.spec.point == p && r.spec.scheduler == s)
                .collect();
            if runs.is_empty() {
                continue;
            }
            let mean = |f: &dyn Fn(&RunResult) -> f64| {
                let xs: Vec<f64> = runs.iter().map(|r| f(r)).filter(|x| !x.is_nan()).collect();
                if xs.is_empty() {
                    f64::NAN
                } else {
                    xs.iter().sum::<f64>() / xs.len() as f64
                }
            };
            let done =
                runs.iter().map(|r| r.summary.tasks_completed).sum::<u64>() / runs.len() as u64;
            let evs = runs.iter().map(|r| r.summary.events as f64).sum::<f64>();
            let wall = runs.iter().map(|r| r.summary.wall_s).sum::<f64>();
            rows.push([
                sched.name.clone(),
                label.clone(),
                done.to_string(),
                fmt(mean(&|r| r.summary.mean_wait_s)),
                fmt(mean(&|r| r.summary.p99_response_s)),
                fmt(mean(&|r| r.summary.mean_slowdown)),
                format!("{:.3}", mean(&|r| r.summary.util_cpu)),
                format!("{:.3}", mean(&|r| r.summary.imbalance_cv)),
                if wall > 0.0 {
                    format!("{:.2}", evs / wall / 1e6)
                } else {
                    "-".into()
                },
            ]);
        }
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i < 2 {
                    format!("{c:<w$}", w = widths[i])
                } else {
                    format!("{c:>w$}", w = widths[i])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    out.push_str(&line(&header.map(String::from)));
    out.push('\n');
    out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
    out.push('\n');
    for r in &rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}

fn short_key(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

fn fmt(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else if x.abs() >= 1000.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}

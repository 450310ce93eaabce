//! The comparison table printed at the end of `simctl run`: one line per scheduler and sweep point,
//! means over replications, and the engine's speed.

use crate::config::sweep::value_text;
use crate::config::ScenarioFile;
use crate::output::record::SummaryLite;
use crate::sweep::RunSpec;

/// Renders the comparison table from the runs' summaries.
pub fn render(file: &ScenarioFile, runs: &[(RunSpec, SummaryLite)]) -> String {
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
            let sel: Vec<&SummaryLite> = runs
                .iter()
                .filter(|(r, _)| r.point == p && r.scheduler == s)
                .map(|(_, x)| x)
                .collect();
            if sel.is_empty() {
                continue;
            }
            let mean = |f: &dyn Fn(&SummaryLite) -> Option<f64>| {
                let xs: Vec<f64> = sel.iter().filter_map(|r| f(r)).collect();
                (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
            };
            let done = sel.iter().map(|r| r.tasks_completed).sum::<u64>() / sel.len() as u64;
            let events = sel.iter().map(|r| r.events as f64).sum::<f64>();
            let wall = sel.iter().map(|r| r.wall_s).sum::<f64>();
            rows.push([
                sched.name.clone(),
                label.clone(),
                done.to_string(),
                fmt(mean(&|r| r.mean_wait_s)),
                fmt(mean(&|r| r.p99_response_s)),
                fmt(mean(&|r| r.mean_slowdown)),
                format!("{:.3}", mean(&|r| Some(r.util_cpu)).unwrap_or(0.0)),
                format!("{:.3}", mean(&|r| Some(r.imbalance_cv)).unwrap_or(0.0)),
                if wall > 0.0 {
                    format!("{:.2}", events / wall / 1e6)
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
    let mut out = line(&header.map(String::from));
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

fn fmt(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(x) if x.abs() >= 1000.0 => format!("{x:.0}"),
        Some(x) if x.abs() >= 10.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.3}"),
    }
}

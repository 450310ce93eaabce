//! The run-cost section, from `timing.csv`: wall time, events per second and peak memory. It is
//! the one section that depends on the machine and the session (see [`super::COST_BEGIN`]).

use std::fmt::Write as _;
use std::path::Path;

use super::html::table;
use super::inputs;
use super::ReportError;

/// Totals over the runs and one row per scheduler; a note when `timing.csv` is absent.
pub fn section(dir: &Path) -> Result<String, ReportError> {
    let path = dir.join("timing.csv");
    let Some((header, rows)) = inputs::csv_table(&path)? else {
        return Ok("<p>No timing.csv in this directory.</p>\n".to_string());
    };
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(sched), Some(events), Some(wall)) = (col("scheduler"), col("events"), col("wall_s"))
    else {
        return Err(ReportError::Malformed {
            path,
            message: "expected the columns scheduler, events, wall_s".into(),
        });
    };
    let rss = col("peak_rss_bytes");
    let num = |r: &[String], j: usize| r.get(j).and_then(|v| v.parse::<f64>().ok());
    // (scheduler, runs, events, wall seconds, peak RSS) in first-seen order.
    let mut per: Vec<(String, usize, f64, f64, Option<f64>)> = Vec::new();
    for r in &rows {
        let name = r.get(sched).cloned().unwrap_or_default();
        let i = match per.iter().position(|p| p.0 == name) {
            Some(i) => i,
            None => {
                per.push((name, 0, 0.0, 0.0, None));
                per.len() - 1
            }
        };
        let p = &mut per[i];
        p.1 += 1;
        p.2 += num(r, events).unwrap_or(0.0);
        p.3 += num(r, wall).unwrap_or(0.0);
        if let Some(b) = rss.and_then(|j| num(r, j)) {
            p.4 = Some(p.4.map_or(b, |m: f64| m.max(b)));
        }
    }
    let total_events: f64 = per.iter().map(|p| p.2).sum();
    let total_wall: f64 = per.iter().map(|p| p.3).sum();
    let peak = per
        .iter()
        .filter_map(|p| p.4)
        .fold(None, |m: Option<f64>, b| Some(m.map_or(b, |m| m.max(b))));
    let rate = |e: f64, w: f64| {
        if w > 0.0 {
            format!("{:.0}", e / w)
        } else {
            "n/a".into()
        }
    };
    let mib = |b: Option<f64>| b.map_or("n/a".to_string(), |b| format!("{:.1}", b / 1048576.0));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<p>{} run(s): {:.2} s of run wall time in all (summed over runs, which run in parallel), {:.0} events, {} events/s per run on average; peak resident memory of simctl {} MiB.</p>",
        rows.len(),
        total_wall,
        total_events,
        rate(total_events, total_wall),
        mib(peak)
    );
    let table_rows: Vec<Vec<String>> = per
        .iter()
        .map(|p| {
            vec![
                p.0.clone(),
                p.1.to_string(),
                format!("{:.3}", p.3),
                format!("{:.0}", p.2),
                rate(p.2, p.3),
                mib(p.4),
            ]
        })
        .collect();
    out.push_str(&table(
        "plain sortable",
        &[
            "scheduler".into(),
            "runs".into(),
            "wall s".into(),
            "events".into(),
            "events/s".into(),
            "peak RSS MiB".into(),
        ],
        &table_rows,
        None,
    ));
    out.push_str("<p class=\"note\">From timing.csv: the only numbers of this report that depend on the machine, the load and how the runs were split; peak RSS is the simctl process's high-water mark when each run ended (processes run many runs at once, so it is not one run's own).</p>\n");
    Ok(out)
}

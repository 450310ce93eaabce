//! Reading `quantiles.csv` and `timeseries.csv` into the series the plots draw.

use std::collections::BTreeMap;
use std::path::Path;

use crate::compare::csvfile::CsvTable;
use crate::compare::{CompareError, Summary};

/// A line to draw: the series index (colour, marker) and its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Index into the palette (the scheduler's position in the scenario).
    pub index: usize,
    /// Legend label.
    pub label: String,
    /// Points, in x order.
    pub points: Vec<(f64, f64)>,
}

/// Response-time quantile curves of each (sweep point, scheduler), averaged over replications
/// (the mean of the replications' q-quantiles at each q), as (value, q) points.
pub fn response_quantiles(
    dir: &Path,
    summary: &Summary,
) -> Result<Option<BTreeMap<u64, Vec<Series>>>, CompareError> {
    let Some(table) =
        CsvTable::read_optional(&dir.join("quantiles.csv"), &[("metric", &["response_s"])])?
    else {
        return Ok(None);
    };
    let cols: Vec<usize> = ["scheduler", "sweep_point", "metric", "quantile", "value"]
        .iter()
        .map(|c| table.column(c))
        .collect::<Result<_, _>>()?;
    let mut schedulers = summary.schedulers();
    // (sweep point, scheduler index, quantile in 1e-6 units) -> (sum, count)
    let mut acc: BTreeMap<(u64, usize, i64), (f64, u32)> = BTreeMap::new();
    for row in &table.rows {
        if row.fields[cols[2]] != "response_s" {
            continue;
        }
        let point = table.integer(row, cols[1])?;
        let q = table.number(row, cols[3])?;
        let v = table.number(row, cols[4])?;
        if !(0.0..=1.0).contains(&q) {
            return Err(table.malformed(row, cols[3], "a quantile between 0 and 1"));
        }
        if !v.is_finite() {
            continue;
        }
        let s = index_of(&mut schedulers, &row.fields[cols[0]]);
        let e = acc
            .entry((point, s, (q * 1e6).round() as i64))
            .or_insert((0.0, 0));
        *e = (e.0 + v, e.1 + 1);
    }
    let mut out: BTreeMap<u64, Vec<Series>> = BTreeMap::new();
    for ((point, s, q), (sum, n)) in acc {
        let list = out.entry(point).or_default();
        if list.last().is_none_or(|l| l.index != s) {
            list.push(Series {
                index: s,
                label: schedulers[s].clone(),
                points: Vec::new(),
            });
        }
        if let Some(series) = list.last_mut() {
            series.points.push((sum / n as f64, q as f64 / 1e6));
        }
    }
    Ok((!out.is_empty()).then_some(out))
}

/// One run's time series: CPU utilisation (%) and queue length against time (s).
#[derive(Debug, Clone, Default)]
pub struct RunSeries {
    /// CPU utilisation in percent.
    pub util: Vec<Series>,
    /// Tasks waiting in queues.
    pub queue: Vec<Series>,
}

/// The time series of replication 0 at the first sweep point, one per scheduler.
pub fn representative_timeseries(
    dir: &Path,
    summary: &Summary,
    sweep_point: u64,
) -> Result<Option<RunSeries>, CompareError> {
    // Only one run per scheduler is drawn: keep just its rows (the file can hold millions).
    let point = sweep_point.to_string();
    let keep: [(&str, &[&str]); 2] = [("sweep_point", &[&point]), ("replication", &["0"])];
    let Some(table) = CsvTable::read_optional(&dir.join("timeseries.csv"), &keep)? else {
        return Ok(None);
    };
    let cols: Vec<usize> = [
        "scheduler",
        "sweep_point",
        "replication",
        "time_s",
        "util_cpu",
        "queue_length",
    ]
    .iter()
    .map(|c| table.column(c))
    .collect::<Result<_, _>>()?;
    let mut schedulers = summary.schedulers();
    let mut rows: BTreeMap<usize, Vec<(f64, f64, f64)>> = BTreeMap::new();
    for row in &table.rows {
        if table.integer(row, cols[1])? != sweep_point || table.integer(row, cols[2])? != 0 {
            continue;
        }
        let t = table.number(row, cols[3])?;
        let (u, q) = (table.number(row, cols[4])?, table.number(row, cols[5])?);
        let s = index_of(&mut schedulers, &row.fields[cols[0]]);
        rows.entry(s).or_default().push((t, u * 100.0, q));
    }
    if rows.is_empty() {
        return Ok(None);
    }
    let mut out = RunSeries::default();
    for (s, mut pts) in rows {
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let label = schedulers[s].clone();
        let pick = |f: fn(&(f64, f64, f64)) -> f64| {
            pts.iter()
                .filter(|p| p.0.is_finite() && f(p).is_finite())
                .map(|p| (p.0, f(p)))
                .collect()
        };
        out.util.push(Series {
            index: s,
            label: label.clone(),
            points: pick(|p| p.1),
        });
        out.queue.push(Series {
            index: s,
            label,
            points: pick(|p| p.2),
        });
    }
    Ok(Some(out))
}

/// Position of `name` in `list`, appending it if new (a scheduler missing from the summary).
fn index_of(list: &mut Vec<String>, name: &str) -> usize {
    list.iter().position(|s| s == name).unwrap_or_else(|| {
        list.push(name.to_string());
        list.len() - 1
    })
}

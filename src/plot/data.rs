//! The data the plots draw, prepared apart from the drawing so it can be tested: the series read from
//! `quantiles.csv` and `timeseries.csv`, CI labelling and clipping, ranking, sweep facets, CDF runs
//! and time-series decimation.

use std::collections::BTreeMap;
use std::path::Path;

use crate::compare::csvfile::CsvTable;
use crate::compare::metrics::MetricInfo;
use crate::compare::stats::Estimate;
use crate::compare::summary::SweepPoint;
use crate::compare::{CompareError, Comparison, Summary};

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
    /// CPU the containers really used, in percent of the cluster's capacity (real runs only;
    /// empty for simulated ones).
    pub used: Vec<Series>,
    /// Nodes switched on (or booting) and up (runs with a `[power]` table only; else empty).
    pub nodes_on: Vec<Series>,
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
    let used_col = table.find("containers_cpu_util");
    let on_col = table.find("nodes_on");
    let mut schedulers = summary.schedulers();
    let mut rows: BTreeMap<usize, Vec<[f64; 5]>> = BTreeMap::new();
    for row in &table.rows {
        if table.integer(row, cols[1])? != sweep_point || table.integer(row, cols[2])? != 0 {
            continue;
        }
        let t = table.number(row, cols[3])?;
        let (u, q) = (table.number(row, cols[4])?, table.number(row, cols[5])?);
        let used = match used_col {
            Some(c) => table.number(row, c)? * 100.0,
            None => f64::NAN,
        };
        let on = match on_col {
            Some(c) => table.number(row, c)?,
            None => f64::NAN,
        };
        let s = index_of(&mut schedulers, &row.fields[cols[0]]);
        rows.entry(s).or_default().push([t, u * 100.0, q, used, on]);
    }
    if rows.is_empty() {
        return Ok(None);
    }
    let mut out = RunSeries::default();
    for (s, mut pts) in rows {
        pts.sort_by(|a, b| a[0].total_cmp(&b[0]));
        let label = schedulers[s].clone();
        let pick = |k: usize| -> Vec<(f64, f64)> {
            pts.iter()
                .filter(|p| p[0].is_finite() && p[k].is_finite())
                .map(|p| (p[0], p[k]))
                .collect()
        };
        out.util.push(Series {
            index: s,
            label: label.clone(),
            points: pick(1),
        });
        out.queue.push(Series {
            index: s,
            label: label.clone(),
            points: pick(2),
        });
        let used = pick(3);
        if !used.is_empty() {
            out.used.push(Series {
                index: s,
                label: label.clone(),
                points: used,
            });
        }
        let on = pick(4);
        if !on.is_empty() {
            out.nodes_on.push(Series {
                index: s,
                label,
                points: on,
            });
        }
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

/// More series than this are not overlaid on one axis (the palette has 8 colours and lines become
/// indistinguishable): figures switch to a ranked dot plot with a labelled row per series, or to small
/// multiples.
pub const MAX_OVERLAID: usize = 8;

/// Whether `n` series can share one axis, told apart by colour and marker.
pub fn overlay_fits(n: usize) -> bool {
    n <= MAX_OVERLAID
}

/// What the error bars of a figure mean, for its title: `"mean and 95% CI over 3 replications"`, or
/// `"1 replication, no CI"` when some cell has fewer than two replications (then no interval is drawn
/// for it: [`Estimate::ci95`](crate::compare::stats::Estimate::ci95) is `None` below two).
pub fn ci_subtitle(cmp: &Comparison) -> String {
    let ns = cmp
        .cells
        .iter()
        .filter(|c| c.estimate.mean.is_some())
        .map(|c| c.estimate.n);
    let (lo, hi) = ns.fold((usize::MAX, 0), |(a, b), n| (a.min(n), b.max(n)));
    match (lo, hi) {
        (usize::MAX, _) => "no data".to_string(),
        (_, 0..=1) => "1 replication, no CI".to_string(),
        (0..=1, _) => format!("mean and 95% CI over 1-{hi} replications (no CI where 1)"),
        (lo, hi) if lo == hi => format!("mean and 95% CI over {hi} replications"),
        (lo, hi) => format!("mean and 95% CI over {lo}-{hi} replications"),
    }
}

/// Whether a metric is a fraction of something (utilisation, goodput, availability): its values and
/// their confidence intervals lie in [0, 1], and plots show it in percent on a 0-100% axis.
pub fn is_fraction(info: &MetricInfo) -> bool {
    info.unit.starts_with("fraction")
}

/// A mean with its 95% CI, scaled for display.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shown {
    /// The mean.
    pub mean: f64,
    /// The 95% CI; `None` with fewer than two replications.
    pub ci: Option<(f64, f64)>,
    /// Whether the CI was clipped to the metric's range (a fraction's Student-t interval can cross 0 or
    /// 1 when the replications sit near a bound; the true mean cannot).
    pub clipped: bool,
}

/// The mean and CI of `est` as drawn: multiplied by `scale`, and for a fraction
/// ([`is_fraction`]) the CI clipped to [0, 1] before scaling. `None` without a mean.
pub fn shown(est: &Estimate, info: &MetricInfo, scale: f64) -> Option<Shown> {
    let mean = est.mean?;
    let mut clipped = false;
    let ci = est.ci95().map(|(lo, hi)| {
        let (l, h) = if is_fraction(info) {
            (lo.max(0.0), hi.min(1.0))
        } else {
            (lo, hi)
        };
        clipped = l != lo || h != hi;
        (l * scale, h * scale)
    });
    Some(Shown {
        mean: mean * scale,
        ci,
        clipped,
    })
}

/// The note a figure adds when it clipped some interval (see [`Shown::clipped`]).
pub const CLIP_NOTE: &str = "CIs of fractions clipped to [0, 100%]";

/// Row order of a ranked dot plot: indices into `values`, best first (`higher_better` says which way),
/// rows without a value last; ties keep their original order.
pub fn rank_order(values: &[Option<f64>], higher_better: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| match (values[a], values[b]) {
        (Some(x), Some(y)) if higher_better => y.total_cmp(&x),
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    order
}

/// One facet of a sweep figure: the sweep points where every other swept key has one combination of
/// values, in sweep-point order.
#[derive(Debug, Clone, PartialEq)]
pub struct Facet {
    /// `other.key=value, ...`; empty with a single swept key.
    pub label: String,
    /// The facet's sweep points.
    pub points: Vec<SweepPoint>,
}

/// Splits the sweep points by the values of every swept key but `key`: one facet per combination, in
/// order of first appearance. A one-key sweep gives a single facet holding every point.
pub fn facets(keys: &[String], points: &[SweepPoint], key: usize) -> Vec<Facet> {
    let mut out: Vec<(Vec<&String>, Facet)> = Vec::new();
    for p in points {
        let others: Vec<&String> = (0..p.values.len())
            .filter(|&k| k != key)
            .map(|k| &p.values[k])
            .collect();
        match out.iter_mut().find(|(o, _)| *o == others) {
            Some((_, f)) => f.points.push(p.clone()),
            None => {
                let label = (0..p.values.len())
                    .filter(|&k| k != key)
                    .map(|k| format!("{}={}", keys[k], p.values[k]))
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push((
                    others,
                    Facet {
                        label,
                        points: vec![p.clone()],
                    },
                ));
            }
        }
    }
    out.into_iter().map(|(_, f)| f).collect()
}

/// Largest gap between neighbouring quantile points that a CDF line may bridge, as a fraction of the
/// x axis (in log10 units on a log axis). A wider gap means no quantile fell inside it: interpolating
/// would draw a straight line through a range where the data says nothing.
pub const CDF_MAX_GAP: f64 = 0.2;

/// Splits a CDF's (value, q) points, in q order, into the runs a line may join: a run ends where the
/// next point is more than [`CDF_MAX_GAP`] of the axis span away along x. `log_x` measures distances in
/// log10 (non-positive values must already be removed). A run of one point is drawn as a dot.
pub fn cdf_runs(points: &[(f64, f64)], log_x: bool, span: (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let t = |x: f64| if log_x { x.log10() } else { x };
    let width = (t(span.1) - t(span.0)).abs().max(f64::MIN_POSITIVE);
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    for &p in points {
        match runs.last_mut() {
            Some(run) if (t(p.0) - t(run[run.len() - 1].0)).abs() <= CDF_MAX_GAP * width => {
                run.push(p)
            }
            _ => runs.push(vec![p]),
        }
    }
    runs
}

/// Quantiles below this are not drawn on a log-scale CDF: the 0-quantile is the single fastest task,
/// often decades below the first percentile, and at y = 0 it only stretches the axis.
pub const CDF_LOG_FIRST_Q: f64 = 0.01;

/// One bin of a decimated time series: the time at its centre and the min, mean and max of its samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    /// Bin centre.
    pub t: f64,
    /// Smallest sample.
    pub min: f64,
    /// Mean of the samples.
    pub mean: f64,
    /// Largest sample.
    pub max: f64,
}

/// Reduces `points` (in time order) to at most `bins` equal-width time bins over `[t0, t1]`, keeping each
/// bin's min, mean and max so spikes stay visible; empty bins are skipped. A long run sampled every
/// minute has far more points than the plot has pixels, and drawing them all as one thick line makes
/// the rasteriser's line joins shoot spikes across the figure.
pub fn decimate(points: &[(f64, f64)], bins: usize, (t0, t1): (f64, f64)) -> Vec<Bin> {
    let bins = bins.max(1);
    let width = (t1 - t0) / bins as f64;
    let mut out: Vec<(usize, f64, f64, f64, usize)> = Vec::new();
    for &(t, v) in points {
        let b = if width > 0.0 {
            (((t - t0) / width).floor().max(0.0) as usize).min(bins - 1)
        } else {
            0
        };
        match out.last_mut() {
            Some(last) if last.0 == b => {
                *last = (b, last.1.min(v), last.2 + v, last.3.max(v), last.4 + 1)
            }
            _ => out.push((b, v, v, v, 1)),
        }
    }
    out.into_iter()
        .map(|(b, min, sum, max, n)| Bin {
            t: t0 + width * (b as f64 + 0.5),
            min,
            mean: sum / n as f64,
            max,
        })
        .collect()
}

/// For each run, the index of the first earlier run whose utilisation and queue series are identical
/// (drawn once, named in the subtitle: otherwise the later line hides the earlier one exactly and a
/// scheduler seems to be missing); `None` for the first of its kind.
pub fn same_as_earlier(runs: &RunSeries) -> Vec<Option<usize>> {
    (0..runs.util.len())
        .map(|i| {
            (0..i).find(|&j| {
                runs.util[j].points == runs.util[i].points
                    && runs.queue.get(j).map(|s| &s.points) == runs.queue.get(i).map(|s| &s.points)
                    && runs.nodes_on.get(j).map(|s| &s.points)
                        == runs.nodes_on.get(i).map(|s| &s.points)
            })
        })
        .collect()
}

/// Whether every sample of every series is zero (or there are none): such a panel carries no
/// information beyond a note.
pub fn all_zero(series: &[Series]) -> bool {
    series.iter().flat_map(|s| &s.points).all(|p| p.1 == 0.0)
}

//! Simulated against real: for each metric, the simulated and the real value of every run (same
//! scenario, scheduler and seed, so the same tasks and crashes), their relative error, and the mean
//! absolute percentage error (MAPE) over replications.

use crate::metrics::Summary;

/// Reads one metric from a summary.
pub type Getter = fn(&Summary) -> f64;

/// The metrics compared, with how to read them from a summary.
pub const METRICS: &[(&str, Getter)] = &[
    ("mean_wait_s", |s| s.mean_wait_s),
    ("p95_wait_s", |s| s.p95_wait_s),
    ("mean_response_s", |s| s.mean_response_s),
    ("p95_response_s", |s| s.p95_response_s),
    ("util_cpu", |s| s.util_cpu),
    ("task_restarts", |s| s.task_restarts as f64),
];

/// Below this, a simulated value is "zero": a relative error would mean nothing (waits on an
/// uncontended cluster), and the absolute difference is reported instead.
pub const NEAR_ZERO: f64 = 1e-3;

/// One metric over all compared runs.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricComparison {
    /// The summary column.
    pub metric: &'static str,
    /// (simulated, real) per run.
    pub pairs: Vec<(f64, f64)>,
}

impl MetricComparison {
    /// (real - sim) / sim per run; `None` where the simulated value is near zero.
    pub fn relative_errors(&self) -> Vec<Option<f64>> {
        self.pairs
            .iter()
            .map(|&(s, r)| (s.abs() >= NEAR_ZERO).then(|| (r - s) / s))
            .collect()
    }

    /// Mean absolute percentage error over the runs with a relative error (`None` if none has).
    pub fn mape(&self) -> Option<f64> {
        let errs: Vec<f64> = self.relative_errors().into_iter().flatten().collect();
        (!errs.is_empty())
            .then(|| 100.0 * errs.iter().map(|e| e.abs()).sum::<f64>() / errs.len() as f64)
    }

    /// Mean absolute difference real - sim.
    pub fn mean_abs_difference(&self) -> f64 {
        self.pairs.iter().map(|(s, r)| (r - s).abs()).sum::<f64>() / self.pairs.len().max(1) as f64
    }
}

/// Compares simulated and real summaries, run by run (parallel slices).
pub fn compare(sim: &[Summary], real: &[Summary]) -> Vec<MetricComparison> {
    assert_eq!(sim.len(), real.len(), "one simulated run per real run");
    METRICS
        .iter()
        .map(|(name, get)| MetricComparison {
            metric: name,
            pairs: sim
                .iter()
                .zip(real)
                .map(|(s, r)| (get(s), get(r)))
                .collect(),
        })
        .collect()
}

/// The comparison as CSV: one row per metric and run, then one MAPE row per metric.
pub fn to_csv(rows: &[MetricComparison]) -> String {
    let mut out = String::from("metric,run,sim,real,relative_error,abs_difference\n");
    for m in rows {
        for (i, ((s, r), e)) in m.pairs.iter().zip(m.relative_errors()).enumerate() {
            let e = e.map(|e| e.to_string()).unwrap_or_default();
            out.push_str(&format!("{},{i},{s},{r},{e},{}\n", m.metric, (r - s).abs()));
        }
        let mape = m
            .mape()
            .map(|x| (x / 100.0).to_string())
            .unwrap_or_default();
        out.push_str(&format!(
            "{},mape,,,{mape},{}\n",
            m.metric,
            m.mean_abs_difference()
        ));
    }
    out
}

/// The comparison as a terminal table (means over runs, MAPE).
pub fn render(rows: &[MetricComparison]) -> String {
    let mut out = format!(
        "{:<16} {:>10} {:>10} {:>8} {:>12}\n",
        "metric", "sim", "real", "MAPE %", "mean |diff|"
    );
    out.push_str(&"-".repeat(60));
    out.push('\n');
    for m in rows {
        let n = m.pairs.len().max(1) as f64;
        let (s, r) = m
            .pairs
            .iter()
            .fold((0.0, 0.0), |(a, b), (s, r)| (a + s / n, b + r / n));
        let mape = m.mape().map_or("n/a".to_string(), |x| format!("{x:.1}"));
        out.push_str(&format!(
            "{:<16} {s:>10.3} {r:>10.3} {mape:>8} {:>12.3}\n",
            m.metric,
            m.mean_abs_difference()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_errors_mape_and_near_zero_values() {
        let m = MetricComparison {
            metric: "mean_response_s",
            pairs: vec![(4.0, 4.4), (5.0, 4.5), (0.0, 0.01)],
        };
        let e = m.relative_errors();
        assert!((e[0].unwrap() - 0.1).abs() < 1e-12);
        assert!((e[1].unwrap() + 0.1).abs() < 1e-12);
        assert_eq!(e[2], None);
        assert!((m.mape().unwrap() - 10.0).abs() < 1e-9);
        assert!((m.mean_abs_difference() - (0.4 + 0.5 + 0.01) / 3.0).abs() < 1e-12);
        let csv = to_csv(&[m]);
        assert!(csv.contains("mean_response_s,2,0,0.01,,0.01\n"), "{csv}");
        assert!(csv.contains("mean_response_s,mape,,,0.1"), "{csv}");
    }
}

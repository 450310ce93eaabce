//! Carbon intensity of the electricity a cluster draws: a step function of time read from a CSV
//! file (`[power] carbon = "path.csv"`), and its exact integral, so that the carbon of a constant
//! power `P` over `[a, b]` is `P * (C(b) - C(a))` with `C(t) = ∫₀ᵗ c(s) ds` piecewise linear.

use std::path::Path;

use crate::time::SimTime;
use crate::units::parse_duration_secs;

/// A carbon-intensity step function: `c(t)` = the value of the last row whose time is at or
/// before `t`. The first row is at time 0, so `c` is defined everywhere from the scenario's start.
#[derive(Debug, Clone, PartialEq)]
pub struct CarbonSeries {
    /// (start time, grams of CO2 per kWh), times strictly increasing from 0.
    steps: Vec<(SimTime, f64)>,
    /// `C(steps[i].0)` in (g/kWh) x seconds.
    cumulative: Vec<f64>,
}

impl CarbonSeries {
    /// A series from (start, g/kWh) steps; the first must start at 0, starts must strictly increase
    /// and intensities be finite and non-negative (checked by [`CarbonSeries::read`]; panics here).
    pub fn new(steps: Vec<(SimTime, f64)>) -> CarbonSeries {
        assert!(
            steps.first().is_some_and(|s| s.0 == SimTime::ZERO),
            "a carbon series starts at time 0"
        );
        let mut cumulative = Vec::with_capacity(steps.len());
        let mut acc = 0.0;
        for (i, &(t, _)) in steps.iter().enumerate() {
            if i > 0 {
                let (t0, c0) = steps[i - 1];
                assert!(t > t0, "carbon steps strictly increase in time");
                acc += c0 * t.since(t0).as_secs_f64();
            }
            cumulative.push(acc);
        }
        CarbonSeries { steps, cumulative }
    }

    /// Reads `time,g_co2_per_kwh` rows (a header line first; time as a simctl duration such as
    /// `"30m"` or a plain number of seconds from the scenario's start). Errors name the file and
    /// the line.
    pub fn read(path: &Path) -> Result<CarbonSeries, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read the carbon file: {e}", path.display()))?;
        let at = |line: usize, msg: String| format!("{}: line {line}: {msg}", path.display());
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        match lines.next() {
            Some((_, h)) if normalise(h) == ["time", "g_co2_per_kwh"] => {}
            Some((i, h)) => {
                return Err(at(
                    i + 1,
                    format!(
                        "expected the header `time,g_co2_per_kwh`, got `{}`",
                        h.trim()
                    ),
                ))
            }
            None => return Err(format!("{}: the carbon file is empty", path.display())),
        }
        let mut steps: Vec<(SimTime, f64)> = Vec::new();
        for (i, line) in lines {
            let fields = normalise(line);
            if fields.len() != 2 {
                return Err(at(
                    i + 1,
                    format!(
                        "expected 2 fields (time, g_co2_per_kwh), got {}",
                        fields.len()
                    ),
                ));
            }
            let secs =
                parse_duration_secs(&fields[0]).map_err(|m| at(i + 1, format!("time: {m}")))?;
            if secs < 0.0 {
                return Err(at(
                    i + 1,
                    format!("time must not be negative, got {secs} s"),
                ));
            }
            let t = SimTime::ZERO + crate::time::SimDuration::from_secs_f64(secs);
            let c: f64 = fields[1].parse().map_err(|_| {
                at(
                    i + 1,
                    format!("expected a number of g CO2 per kWh, got `{}`", fields[1]),
                )
            })?;
            if !c.is_finite() || c < 0.0 {
                return Err(at(
                    i + 1,
                    format!("the intensity must be a non-negative number, got {c}"),
                ));
            }
            match steps.last() {
                None if t != SimTime::ZERO => {
                    return Err(at(
                        i + 1,
                        format!(
                            "the first row must be at time 0 (the scenario's start), got {secs} s"
                        ),
                    ))
                }
                Some(&(prev, _)) if t <= prev => {
                    return Err(at(
                        i + 1,
                        format!(
                            "times must strictly increase ({secs} s follows {} s)",
                            prev.as_secs_f64()
                        ),
                    ))
                }
                _ => {}
            }
            steps.push((t, c));
        }
        if steps.is_empty() {
            return Err(format!(
                "{}: the carbon file has a header but no rows",
                path.display()
            ));
        }
        Ok(CarbonSeries::new(steps))
    }

    /// `C(t) = ∫₀ᵗ c(s) ds`, in (g/kWh) x seconds.
    pub fn integral(&self, t: SimTime) -> f64 {
        let i = self.steps.partition_point(|s| s.0 <= t) - 1;
        let (t0, c0) = self.steps[i];
        self.cumulative[i] + c0 * t.since(t0).as_secs_f64()
    }

    /// Grams of CO2 of drawing `watts` from `from` to `to`.
    pub fn grams(&self, watts: f64, from: SimTime, to: SimTime) -> f64 {
        if to <= from || watts == 0.0 {
            return 0.0;
        }
        // W x (g/kWh) x s = g x 3.6e6.
        watts * (self.integral(to) - self.integral(from)) / 3.6e6
    }
}

/// A CSV line's fields, trimmed, surrounding quotes removed.
fn normalise(line: &str) -> Vec<String> {
    line.split(',')
        .map(|f| f.trim().trim_matches('"').to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64) -> SimTime {
        SimTime(s * 1_000_000)
    }

    #[test]
    fn the_integral_of_a_step_function_is_piecewise_linear() {
        // 100 g/kWh on [0, 10), 300 from 10 on.
        let c = CarbonSeries::new(vec![(at(0), 100.0), (at(10), 300.0)]);
        assert_eq!(c.integral(at(5)), 500.0);
        assert_eq!(c.integral(at(10)), 1000.0);
        assert_eq!(c.integral(at(12)), 1600.0);
        // 3.6 kW for [5, 12]: 3600 W x (1600 - 500) / 3.6e6 = 1.1 g.
        assert!((c.grams(3600.0, at(5), at(12)) - 1.1).abs() < 1e-12);
    }

    #[test]
    fn bad_files_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("time,g\n0,1\n", "line 1"),
            ("time,g_co2_per_kwh\n10s,1\n", "line 2"),
            ("time,g_co2_per_kwh\n0,1\n5m,2\n1m,3\n", "line 4"),
            ("time,g_co2_per_kwh\n0,1\n5x,2\n", "line 3"),
            ("time,g_co2_per_kwh\n0,-1\n", "line 2"),
            ("time,g_co2_per_kwh\n0,1,2\n", "line 2"),
            ("time,g_co2_per_kwh\n", "no rows"),
        ];
        for (text, want) in cases {
            let p = dir.path().join("c.csv");
            std::fs::write(&p, text).unwrap();
            let e = CarbonSeries::read(&p).unwrap_err();
            assert!(e.contains(want) && e.contains("c.csv"), "{text:?}: {e}");
        }
        let p = dir.path().join("ok.csv");
        std::fs::write(&p, "time,g_co2_per_kwh\n0,100\n30m,200.5\n").unwrap();
        let c = CarbonSeries::read(&p).unwrap();
        assert_eq!(c.integral(at(1800)), 180_000.0);
    }
}

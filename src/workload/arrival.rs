//! Arrival processes: when the next task is submitted. Times are kept in f64 seconds internally and
//! converted to integer microseconds once per arrival.

use serde::Serialize;

use crate::rng::{unit_f64, SimRng};

/// A validated arrival process.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "process", rename_all = "lowercase")]
pub enum ArrivalSpec {
    /// Poisson arrivals at `rate` tasks per second.
    Poisson {
        /// Tasks per second.
        rate: f64,
    },
    /// Evenly spaced arrivals, `rate` per second (gap 1/rate, first at 1/rate).
    Constant {
        /// Tasks per second.
        rate: f64,
    },
    /// Two-state Markov-modulated Poisson process: `rate_on` during ON periods, `rate_off` during OFF
    /// periods, with exponentially distributed period lengths of the given means (seconds).
    Bursty {
        /// Rate while ON.
        rate_on: f64,
        /// Rate while OFF (may be 0).
        rate_off: f64,
        /// Mean ON period length, seconds.
        mean_on: f64,
        /// Mean OFF period length, seconds.
        mean_off: f64,
    },
    /// Non-homogeneous Poisson with rate `mean_rate * (1 + amplitude * sin(2 pi t / period))`.
    Diurnal {
        /// Average rate.
        mean_rate: f64,
        /// Relative amplitude in [0, 1].
        amplitude: f64,
        /// Period, seconds.
        period: f64,
    },
}

impl ArrivalSpec {
    /// Checks parameters.
    pub fn validate(&self) -> Result<(), String> {
        let pos = |n: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("{n} must be a positive number, got {v}"))
            }
        };
        match self {
            ArrivalSpec::Poisson { rate } | ArrivalSpec::Constant { rate } => pos("rate", *rate),
            ArrivalSpec::Bursty {
                rate_on,
                rate_off,
                mean_on,
                mean_off,
            } => {
                pos("rate_on", *rate_on)?;
                if !(rate_off.is_finite() && *rate_off >= 0.0) {
                    return Err(format!(
                        "rate_off must be a non-negative number, got {rate_off}"
                    ));
                }
                pos("mean_on", *mean_on)?;
                pos("mean_off", *mean_off)
            }
            ArrivalSpec::Diurnal {
                mean_rate,
                amplitude,
                period,
            } => {
                pos("mean_rate", *mean_rate)?;
                pos("period", *period)?;
                if !(0.0..=1.0).contains(amplitude) {
                    return Err(format!("amplitude must be within [0, 1], got {amplitude}"));
                }
                Ok(())
            }
        }
    }

    /// Long-run average arrival rate, tasks per second.
    pub fn mean_rate(&self) -> f64 {
        match self {
            ArrivalSpec::Poisson { rate } | ArrivalSpec::Constant { rate } => *rate,
            ArrivalSpec::Bursty {
                rate_on,
                rate_off,
                mean_on,
                mean_off,
            } => (rate_on * mean_on + rate_off * mean_off) / (mean_on + mean_off),
            ArrivalSpec::Diurnal { mean_rate, .. } => *mean_rate,
        }
    }
}

/// The running state of an arrival process.
#[derive(Debug, Clone)]
pub struct ArrivalProcess {
    spec: ArrivalSpec,
    now: f64,
    /// Bursty: whether ON, and when the current period ends.
    on: bool,
    period_end: f64,
}

fn exp_sample(rng: &mut SimRng, rate: f64) -> f64 {
    // Inverse transform on (0, 1]: never ln(0).
    -(1.0 - unit_f64(rng)).ln() / rate
}

impl ArrivalProcess {
    /// Starts the process at time zero (bursty processes start ON).
    pub fn new(spec: ArrivalSpec, rng: &mut SimRng) -> ArrivalProcess {
        let period_end = match &spec {
            ArrivalSpec::Bursty { mean_on, .. } => exp_sample(rng, 1.0 / mean_on),
            _ => f64::INFINITY,
        };
        ArrivalProcess {
            spec,
            now: 0.0,
            on: true,
            period_end,
        }
    }

    /// The time (seconds) of the next arrival.
    pub fn next_arrival(&mut self, rng: &mut SimRng) -> f64 {
        self.now = match self.spec.clone() {
            ArrivalSpec::Poisson { rate } => self.now + exp_sample(rng, rate),
            ArrivalSpec::Constant { rate } => self.now + 1.0 / rate,
            ArrivalSpec::Bursty {
                rate_on,
                rate_off,
                mean_on,
                mean_off,
            } => self.next_bursty(rng, rate_on, rate_off, mean_on, mean_off),
            ArrivalSpec::Diurnal {
                mean_rate,
                amplitude,
                period,
            } => {
                // Thinning (Lewis and Shedler): candidates at the peak rate, accepted with rate(t)/peak.
                let peak = mean_rate * (1.0 + amplitude);
                let mut t = self.now;
                loop {
                    t += exp_sample(rng, peak);
                    let rate = mean_rate
                        * (1.0 + amplitude * (2.0 * std::f64::consts::PI * t / period).sin());
                    if unit_f64(rng) * peak <= rate {
                        break t;
                    }
                }
            }
        };
        self.now
    }

    fn next_bursty(
        &mut self,
        rng: &mut SimRng,
        rate_on: f64,
        rate_off: f64,
        mean_on: f64,
        mean_off: f64,
    ) -> f64 {
        let mut t = self.now;
        loop {
            let rate = if self.on { rate_on } else { rate_off };
            let candidate = if rate > 0.0 {
                t + exp_sample(rng, rate)
            } else {
                f64::INFINITY
            };
            if candidate <= self.period_end {
                return candidate;
            }
            // Memorylessness: restart the clock at the switch.
            t = self.period_end;
            self.on = !self.on;
            let mean = if self.on { mean_on } else { mean_off };
            self.period_end = t + exp_sample(rng, 1.0 / mean);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;

    fn observed_rate(spec: ArrivalSpec, n: usize) -> f64 {
        let mut rng = stream(5, "arrivals");
        let mut p = ArrivalProcess::new(spec, &mut rng);
        let mut last = 0.0;
        for _ in 0..n {
            let t = p.next_arrival(&mut rng);
            assert!(t >= last, "arrivals went backwards");
            last = t;
        }
        n as f64 / last
    }

    #[test]
    fn long_run_rates_match_specs() {
        let specs = [
            ArrivalSpec::Poisson { rate: 2.5 },
            ArrivalSpec::Constant { rate: 4.0 },
            ArrivalSpec::Bursty {
                rate_on: 10.0,
                rate_off: 1.0,
                mean_on: 5.0,
                mean_off: 20.0,
            },
            ArrivalSpec::Diurnal {
                mean_rate: 3.0,
                amplitude: 0.8,
                period: 100.0,
            },
        ];
        for spec in specs {
            let expected = spec.mean_rate();
            let got = observed_rate(spec.clone(), 300_000);
            assert!(
                (got - expected).abs() / expected < 0.02,
                "{spec:?}: rate {got} vs {expected}"
            );
        }
    }

    #[test]
    fn diurnal_rate_follows_the_sine() {
        // Count arrivals in the rising (sin > 0) and falling half-periods: the ratio of mean rates is
        // (1 + 2a/pi) / (1 - 2a/pi) for amplitude a.
        let a = 0.5;
        let mut rng = stream(6, "arrivals");
        let mut p = ArrivalProcess::new(
            ArrivalSpec::Diurnal {
                mean_rate: 5.0,
                amplitude: a,
                period: 10.0,
            },
            &mut rng,
        );
        let (mut high, mut low) = (0u32, 0u32);
        for _ in 0..200_000 {
            let t = p.next_arrival(&mut rng);
            if (t % 10.0) < 5.0 {
                high += 1
            } else {
                low += 1
            }
        }
        let k = 2.0 * a / std::f64::consts::PI;
        let expected = (1.0 + k) / (1.0 - k);
        let got = high as f64 / low as f64;
        assert!(
            (got - expected).abs() / expected < 0.02,
            "ratio {got} vs {expected}"
        );
    }
}

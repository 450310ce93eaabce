//! Probability distributions for durations and resource demands, in a quantity's base unit (seconds,
//! bytes, cores). Built from validated parameters; sampling never fails.

use rand_distr::{Distribution, Exp, LogNormal, Weibull};
use serde::Serialize;

use crate::rng::{unit_f64, SimRng};
use crate::special::gamma;

/// A validated distribution over non-negative reals.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "dist", rename_all = "lowercase")]
pub enum DistSpec {
    /// Always `value`.
    Constant {
        /// The value.
        value: f64,
    },
    /// Exponential with the given mean.
    Exponential {
        /// Mean.
        mean: f64,
    },
    /// Uniform on [low, high].
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Lognormal with the given mean and standard deviation (of the distribution, not of its log).
    Lognormal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// Pareto with shape `alpha`, truncated to [min, max] (bounded Pareto).
    Pareto {
        /// Tail index.
        alpha: f64,
        /// Lower bound (scale).
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Weibull with `shape` k and `scale` lambda.
    Weibull {
        /// Shape k.
        shape: f64,
        /// Scale lambda.
        scale: f64,
    },
    /// One of `values`, with probabilities proportional to `weights`.
    Choice {
        /// The values.
        values: Vec<f64>,
        /// Relative weights (same length as values).
        weights: Vec<f64>,
    },
}

impl DistSpec {
    /// Checks the parameters; the message says which one is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let pos = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("{name} must be a positive number, got {v}"))
            }
        };
        let nonneg = |name: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(format!("{name} must be a non-negative number, got {v}"))
            }
        };
        match self {
            DistSpec::Constant { value } => nonneg("value", *value),
            DistSpec::Exponential { mean } => pos("mean", *mean),
            DistSpec::Uniform { low, high } => {
                nonneg("low", *low)?;
                nonneg("high", *high)?;
                if low > high {
                    return Err(format!("low ({low}) must not exceed high ({high})"));
                }
                Ok(())
            }
            DistSpec::Lognormal { mean, std } => {
                pos("mean", *mean)?;
                nonneg("std", *std)
            }
            DistSpec::Pareto { alpha, min, max } => {
                pos("alpha", *alpha)?;
                pos("min", *min)?;
                pos("max", *max)?;
                if min >= max {
                    return Err(format!("min ({min}) must be below max ({max})"));
                }
                Ok(())
            }
            DistSpec::Weibull { shape, scale } => {
                pos("shape", *shape)?;
                pos("scale", *scale)
            }
            DistSpec::Choice { values, weights } => {
                if values.is_empty() {
                    return Err("values must not be empty".into());
                }
                if weights.len() != values.len() {
                    return Err(format!(
                        "weights has {} entries but values has {}",
                        weights.len(),
                        values.len()
                    ));
                }
                for v in values {
                    nonneg("each value", *v)?;
                }
                for w in weights {
                    nonneg("each weight", *w)?;
                }
                if weights.iter().sum::<f64>() <= 0.0 {
                    return Err("weights must not all be zero".into());
                }
                Ok(())
            }
        }
    }

    /// The smallest value the distribution can produce.
    pub fn min_value(&self) -> f64 {
        match self {
            DistSpec::Constant { value } => *value,
            DistSpec::Uniform { low, .. } => *low,
            DistSpec::Pareto { min, .. } => *min,
            DistSpec::Choice { values, weights } => values
                .iter()
                .zip(weights)
                .filter(|(_, w)| **w > 0.0)
                .map(|(v, _)| *v)
                .fold(f64::INFINITY, f64::min),
            _ => 0.0,
        }
    }

    /// The largest value the distribution can produce, or `None` if it is unbounded.
    pub fn max_value(&self) -> Option<f64> {
        match self {
            DistSpec::Constant { value } => Some(*value),
            DistSpec::Uniform { high, .. } => Some(*high),
            DistSpec::Pareto { max, .. } => Some(*max),
            DistSpec::Choice { values, weights } => Some(
                values
                    .iter()
                    .zip(weights)
                    .filter(|(_, w)| **w > 0.0)
                    .map(|(v, _)| *v)
                    .fold(0.0, f64::max),
            ),
            _ => None,
        }
    }

    /// The mean of the distribution.
    pub fn mean(&self) -> f64 {
        match self {
            DistSpec::Constant { value } => *value,
            DistSpec::Exponential { mean } | DistSpec::Lognormal { mean, .. } => *mean,
            DistSpec::Uniform { low, high } => (low + high) / 2.0,
            DistSpec::Pareto { alpha, min, max } => bounded_pareto_mean(*alpha, *min, *max),
            DistSpec::Weibull { shape, scale } => scale * gamma(1.0 + 1.0 / shape),
            DistSpec::Choice { values, weights } => {
                let total: f64 = weights.iter().sum();
                values.iter().zip(weights).map(|(v, w)| v * w).sum::<f64>() / total
            }
        }
    }

    /// A sampler for this (validated) distribution.
    pub fn sampler(&self) -> Sampler {
        match self {
            DistSpec::Constant { value } => Sampler::Constant(*value),
            DistSpec::Exponential { mean } => {
                Sampler::Exponential(Exp::new(1.0 / mean).expect("validated mean"))
            }
            DistSpec::Uniform { low, high } => Sampler::Uniform {
                low: *low,
                span: high - low,
            },
            DistSpec::Lognormal { mean, std } => {
                // For X = exp(N(mu, sigma^2)): E[X] = exp(mu + sigma^2/2), Var[X] = (exp(sigma^2)-1) E[X]^2.
                let sigma2 = (1.0 + (std / mean).powi(2)).ln();
                let mu = mean.ln() - sigma2 / 2.0;
                Sampler::Lognormal(LogNormal::new(mu, sigma2.sqrt()).expect("validated lognormal"))
            }
            DistSpec::Pareto { alpha, min, max } => Sampler::Pareto {
                alpha: *alpha,
                min: *min,
                max: *max,
            },
            DistSpec::Weibull { shape, scale } => {
                Sampler::Weibull(Weibull::new(*scale, *shape).expect("validated weibull"))
            }
            DistSpec::Choice { values, weights } => {
                let total: f64 = weights.iter().sum();
                let mut acc = 0.0;
                let cumulative = weights
                    .iter()
                    .map(|w| {
                        acc += w / total;
                        acc
                    })
                    .collect();
                Sampler::Choice {
                    values: values.clone(),
                    cumulative,
                }
            }
        }
    }
}

/// Draws samples from a validated distribution.
#[derive(Debug, Clone)]
pub enum Sampler {
    /// A fixed value.
    Constant(f64),
    /// Exponential.
    Exponential(Exp<f64>),
    /// Uniform on [low, low + span].
    Uniform {
        /// Lower bound.
        low: f64,
        /// Width.
        span: f64,
    },
    /// Lognormal.
    Lognormal(LogNormal<f64>),
    /// Bounded Pareto, by inverse transform.
    Pareto {
        /// Tail index.
        alpha: f64,
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Weibull.
    Weibull(Weibull<f64>),
    /// Discrete choice by cumulative probability.
    Choice {
        /// Values.
        values: Vec<f64>,
        /// Cumulative probabilities, last = 1.
        cumulative: Vec<f64>,
    },
}

impl Sampler {
    /// One sample.
    pub fn sample(&self, rng: &mut SimRng) -> f64 {
        match self {
            Sampler::Constant(v) => *v,
            Sampler::Exponential(d) => d.sample(rng),
            Sampler::Uniform { low, span } => low + span * unit_f64(rng),
            Sampler::Lognormal(d) => d.sample(rng),
            Sampler::Pareto { alpha, min, max } => {
                // Inverse CDF of the Pareto truncated to [min, max].
                let u = unit_f64(rng);
                let ratio = (min / max).powf(*alpha);
                min / (1.0 - u * (1.0 - ratio)).powf(1.0 / alpha)
            }
            Sampler::Weibull(d) => d.sample(rng),
            Sampler::Choice { values, cumulative } => {
                let u = unit_f64(rng);
                let i = cumulative
                    .partition_point(|c| *c <= u)
                    .min(values.len() - 1);
                values[i]
            }
        }
    }
}

fn bounded_pareto_mean(a: f64, l: f64, h: f64) -> f64 {
    if (a - 1.0).abs() < 1e-12 {
        (h * l / (h - l)) * (h / l).ln()
    } else {
        let la = l.powf(a);
        la / (1.0 - (l / h).powf(a))
            * (a / (a - 1.0))
            * (1.0 / l.powf(a - 1.0) - 1.0 / h.powf(a - 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;

    /// Sample moments of `n` draws: mean, variance, and the standard errors of both (the variance's
    /// from the sample's fourth central moment, `sqrt((m4 - s^4) / n)`), plus the smallest and largest.
    struct Moments {
        mean: f64,
        var: f64,
        se_mean: f64,
        se_var: f64,
        min: f64,
        max: f64,
    }

    fn moments(spec: &DistSpec, n: usize) -> Moments {
        let s = spec.sampler();
        let mut rng = stream(9, "dist-test");
        let xs: Vec<f64> = (0..n).map(|_| s.sample(&mut rng)).collect();
        let nf = n as f64;
        let mean = xs.iter().sum::<f64>() / nf;
        let central = |k: i32| xs.iter().map(|x| (x - mean).powi(k)).sum::<f64>() / nf;
        let (var, m4) = (central(2), central(4));
        Moments {
            mean,
            var,
            se_mean: (var / nf).sqrt(),
            se_var: ((m4 - var * var).max(0.0) / nf).sqrt(),
            min: xs.iter().cloned().fold(f64::INFINITY, f64::min),
            max: xs.iter().cloned().fold(0.0, f64::max),
        }
    }

    /// `E[X^k]` of the Pareto with tail index `a` truncated to `[l, h]`, for `k != a`: the density is
    /// `a l^a x^(-a-1) / (1 - (l/h)^a)`, whose k-th moment integrates to
    /// `a l^a / (1 - (l/h)^a) * (h^(k-a) - l^(k-a)) / (k - a)`.
    fn bounded_pareto_moment(a: f64, l: f64, h: f64, k: f64) -> f64 {
        a * l.powf(a) / (1.0 - (l / h).powf(a)) * (h.powf(k - a) - l.powf(k - a)) / (k - a)
    }

    /// Every distribution with its mean and variance in closed form, written here from the parameters
    /// rather than taken from the module (which only knows the mean).
    fn closed_forms() -> Vec<(DistSpec, f64, f64)> {
        let pi = std::f64::consts::PI;
        let (pa, pl, ph) = (1.5, 1.0, 100.0);
        let p1 = bounded_pareto_moment(pa, pl, ph, 1.0);
        let p2 = bounded_pareto_moment(pa, pl, ph, 2.0);
        // Weibull(k, lambda): E[X] = lambda G(1 + 1/k), Var = lambda^2 (G(1 + 2/k) - G(1 + 1/k)^2).
        // k = 2: G(1.5) = sqrt(pi)/2, G(2) = 1. k = 0.5: G(3) = 2, G(5) = 24.
        let g15 = pi.sqrt() / 2.0;
        // k = 1.5 through the crate's gamma (checked against factorials and sqrt(pi) in `special`).
        let (g1, g2) = (gamma(1.0 + 1.0 / 1.5), gamma(1.0 + 2.0 / 1.5));
        let (cv, cw) = ([1.0, 2.0, 4.0], [0.5, 0.25, 0.25]);
        let c1: f64 = cv.iter().zip(cw).map(|(v, w)| v * w).sum();
        let c2: f64 = cv.iter().zip(cw).map(|(v, w)| v * v * w).sum();
        vec![
            (DistSpec::Exponential { mean: 30.0 }, 30.0, 900.0),
            (
                DistSpec::Uniform {
                    low: 2.0,
                    high: 6.0,
                },
                4.0,
                16.0 / 12.0,
            ),
            // {mean, std} describe the distribution itself: variance std^2 = 25, not a log-scale one.
            (
                DistSpec::Lognormal {
                    mean: 10.0,
                    std: 5.0,
                },
                10.0,
                25.0,
            ),
            (
                DistSpec::Lognormal {
                    mean: 2.0,
                    std: 3.0,
                },
                2.0,
                9.0,
            ),
            (
                DistSpec::Pareto {
                    alpha: pa,
                    min: pl,
                    max: ph,
                },
                p1,
                p2 - p1 * p1,
            ),
            (
                DistSpec::Weibull {
                    shape: 2.0,
                    scale: 3.0,
                },
                3.0 * g15,
                9.0 * (1.0 - g15 * g15),
            ),
            (
                DistSpec::Weibull {
                    shape: 0.5,
                    scale: 3.0,
                },
                3.0 * 2.0,
                9.0 * (24.0 - 4.0),
            ),
            (
                DistSpec::Weibull {
                    shape: 1.5,
                    scale: 3.0,
                },
                3.0 * g1,
                9.0 * (g2 - g1 * g1),
            ),
            (
                DistSpec::Choice {
                    values: cv.to_vec(),
                    weights: cw.to_vec(),
                },
                c1,
                c2 - c1 * c1,
            ),
        ]
    }

    #[test]
    fn sample_mean_and_variance_match_closed_forms() {
        // One million draws each; a closed form must lie within 4 standard errors of the sample's
        // estimate, and the standard errors themselves must be small enough that 4 of them is a tight
        // test (a lognormal parameterised by its log's mean and std, say, is off by far more).
        for (spec, mean, var) in closed_forms() {
            let m = moments(&spec, 1_000_000);
            assert!(
                m.se_mean / mean < 0.003 && m.se_var / var < 0.03,
                "{spec:?}: standard errors too large to judge (mean {:.2e}, var {:.2e} relative)",
                m.se_mean / mean,
                m.se_var / var
            );
            assert!(
                (m.mean - mean).abs() < 4.0 * m.se_mean,
                "{spec:?}: sample mean {} vs closed form {mean} (se {})",
                m.mean,
                m.se_mean
            );
            assert!(
                (m.var - var).abs() < 4.0 * m.se_var,
                "{spec:?}: sample variance {} vs closed form {var} (se {})",
                m.var,
                m.se_var
            );
            assert!(
                m.min >= spec.min_value(),
                "{spec:?}: sample {} below min",
                m.min
            );
            if let Some(max) = spec.max_value() {
                assert!(m.max <= max, "{spec:?}: sample {} above max", m.max);
            }
        }
    }

    #[test]
    fn analytic_mean_matches_closed_forms() {
        // The module's own mean() (Young's checkpoint interval reads it) against the same closed forms.
        for (spec, mean, _) in closed_forms() {
            assert!(
                (spec.mean() - mean).abs() <= 1e-9 * mean,
                "{spec:?}: mean() {} vs closed form {mean}",
                spec.mean()
            );
        }
        assert_eq!(DistSpec::Constant { value: 7.5 }.mean(), 7.5);
    }

    #[test]
    fn constant_has_no_spread() {
        let m = moments(&DistSpec::Constant { value: 7.5 }, 1000);
        assert_eq!((m.mean, m.var, m.min, m.max), (7.5, 0.0, 7.5, 7.5));
    }

    #[test]
    fn invalid_parameters_are_named() {
        assert!(DistSpec::Exponential { mean: -1.0 }
            .validate()
            .unwrap_err()
            .contains("mean"));
        assert!(DistSpec::Uniform {
            low: 3.0,
            high: 1.0
        }
        .validate()
        .unwrap_err()
        .contains("low"));
        let bad_choice = DistSpec::Choice {
            values: vec![1.0],
            weights: vec![1.0, 2.0],
        };
        assert!(bad_choice.validate().unwrap_err().contains("weights"));
    }
}

//! Small-sample statistics for comparing replications: mean, sample standard deviation, Student-t
//! confidence intervals and ranking.
//!
//! The t quantile is computed from the regularized incomplete beta function (continued fraction, as in
//! Numerical Recipes §6.4) and inverted by bisection, so it is exact to ~1e-12 for every degree of
//! freedom, including the small ones (2-10 replications) where normal approximations are badly off.

use crate::special::ln_gamma;
/// Which way a metric improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Smaller values are better (times, slowdowns, failures).
    Lower,
    /// Larger values are better (utilisation, goodput, availability).
    Higher,
}

impl Direction {
    /// `"lower"` or `"higher"`, as written in `compare.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Lower => "lower",
            Direction::Higher => "higher",
        }
    }
}

/// Mean of a sample with its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Number of (finite) observations.
    pub n: usize,
    /// Sample mean; `None` when `n == 0`.
    pub mean: Option<f64>,
    /// Sample standard deviation (n - 1 denominator); `None` when `n < 2`.
    pub std_dev: Option<f64>,
    /// Half-width of the 95% Student-t interval, `t_{0.975,n-1} * s / sqrt(n)`; `None` when `n < 2`.
    pub half_width: Option<f64>,
}

impl Estimate {
    /// Estimates the mean of `values` (non-finite values are ignored) with a 95% Student-t interval.
    pub fn of(values: &[f64]) -> Estimate {
        let xs: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let n = xs.len();
        if n == 0 {
            return Estimate {
                n,
                mean: None,
                std_dev: None,
                half_width: None,
            };
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Estimate {
                n,
                mean: Some(mean),
                std_dev: None,
                half_width: None,
            };
        }
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let sd = var.sqrt();
        let half = t_quantile(0.975, (n - 1) as f64) * sd / (n as f64).sqrt();
        Estimate {
            n,
            mean: Some(mean),
            std_dev: Some(sd),
            half_width: Some(half),
        }
    }

    /// The interval `(mean - half_width, mean + half_width)`, when both are known.
    pub fn ci95(&self) -> Option<(f64, f64)> {
        Some((self.mean? - self.half_width?, self.mean? + self.half_width?))
    }
}

/// Quantile `p` of Student's t distribution with `df` degrees of freedom (`t_{p,df}`).
///
/// Returns NaN unless `0 < p < 1` and `df > 0`. `t_quantile(0.975, 2.0)` is 4.303.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0 && df > 0.0) {
        return f64::NAN;
    }
    if p < 0.5 {
        return -t_quantile(1.0 - p, df);
    }
    if p == 0.5 {
        return 0.0;
    }
    let mut hi = 1.0;
    while t_cdf(hi, df) < p && hi < 1e12 {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    // 200 halvings: far below f64 resolution, and a fixed count keeps the result deterministic.
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Cumulative distribution function of Student's t with `df` degrees of freedom.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * incomplete_beta(0.5 * df, 0.5, x);
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// Competition ranks ("1, 2, 2, 4") of `means` in `direction`; `None` means stay unranked.
pub fn rank(means: &[Option<f64>], direction: Direction) -> Vec<Option<usize>> {
    let better = |a: f64, b: f64| match direction {
        Direction::Lower => a < b,
        Direction::Higher => a > b,
    };
    means
        .iter()
        .map(|m| {
            let m = (*m)?;
            Some(1 + means.iter().flatten().filter(|&&o| better(o, m)).count())
        })
        .collect()
}

/// Regularized incomplete beta function I_x(a, b).
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

/// Continued fraction for the incomplete beta function (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    d = 1.0 / if d.abs() < TINY { TINY } else { d };
    let mut h = d;
    for m in 1..500 {
        let m = m as f64;
        let m2 = 2.0 * m;
        for aa in [
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ] {
            d = 1.0 + aa * d;
            d = 1.0 / if d.abs() < TINY { TINY } else { d };
            c = 1.0 + aa / c;
            c = if c.abs() < TINY { TINY } else { c };
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_published_table() {
        // Student-t table, two-sided 95% column.
        for (df, want) in [
            (1.0, 12.706),
            (2.0, 4.303),
            (4.0, 2.776),
            (9.0, 2.262),
            (29.0, 2.045),
        ] {
            let got = t_quantile(0.975, df);
            assert!(
                (got - want).abs() < 5e-4,
                "t(0.975,{df}) = {got}, table says {want}"
            );
        }
        // Closed forms: df=1 is Cauchy, df=2 has t = (2p-1)/sqrt(2p(1-p)).
        assert!((t_quantile(0.9, 1.0) - (std::f64::consts::PI * 0.4).tan()).abs() < 1e-9);
        let p: f64 = 0.99;
        let want = (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt();
        assert!((t_quantile(p, 2.0) - want).abs() < 1e-9);
        // Large df tends to the normal quantile 1.959964.
        assert!((t_quantile(0.975, 1e7) - 1.959964).abs() < 1e-5);
        assert!((t_quantile(0.025, 4.0) + 2.776).abs() < 5e-4);
        assert!(t_quantile(1.0, 3.0).is_nan() && t_quantile(0.9, 0.0).is_nan());
    }

    #[test]
    fn t_cdf_matches_published_table() {
        // Student-t table (one-sided upper quantiles): t_{0.95,10} = 1.812, t_{0.975,10} = 2.228,
        // t_{0.995,10} = 3.169, t_{0.975,4} = 2.776, t_{0.99,30} = 2.457; the table rounds to 3
        // decimals, which moves the CDF by less than 1e-4 there.
        for (t, df, p) in [
            (1.812, 10.0, 0.95),
            (2.228, 10.0, 0.975),
            (3.169, 10.0, 0.995),
            (2.776, 4.0, 0.975),
            (2.457, 30.0, 0.99),
        ] {
            let got = t_cdf(t, df);
            assert!(
                (got - p).abs() < 1e-4,
                "F({t}; {df}) = {got}, table says {p}"
            );
            assert!((t_cdf(-t, df) - (1.0 - p)).abs() < 1e-4, "symmetry at {t}");
        }
        assert_eq!(t_cdf(0.0, 7.0), 0.5);
        // df = 1 is Cauchy: F(t) = 1/2 + atan(t)/pi; non-integer df (Welch) is fine too: with
        // df = 2 the closed form is F(t) = 1/2 + t / (2 sqrt(2 + t^2)).
        assert!((t_cdf(3.0, 1.0) - (0.5 + 3f64.atan() / std::f64::consts::PI)).abs() < 1e-12);
        assert!((t_cdf(1.5, 2.0) - (0.5 + 1.5 / (2.0 * (2.0f64 + 2.25).sqrt()))).abs() < 1e-12);
        // Inverse of t_quantile at a fractional df.
        assert!((t_cdf(t_quantile(0.975, 5.5846), 5.5846) - 0.975).abs() < 1e-12);
    }

    #[test]
    fn estimate_of_three_replications() {
        // mean 2, s = 1, half-width = 4.303 * 1 / sqrt(3) = 2.4843.
        let e = Estimate::of(&[1.0, 2.0, 3.0]);
        assert_eq!((e.n, e.mean, e.std_dev), (3, Some(2.0), Some(1.0)));
        let (lo, hi) = e.ci95().unwrap();
        assert!((lo - (2.0 - 2.4843)).abs() < 1e-3 && (hi - (2.0 + 2.4843)).abs() < 1e-3);
    }

    #[test]
    fn estimate_ignores_nan_and_handles_tiny_samples() {
        let one = Estimate::of(&[f64::NAN, 5.0]);
        assert_eq!((one.n, one.mean, one.half_width), (1, Some(5.0), None));
        assert_eq!(one.ci95(), None);
        let none = Estimate::of(&[]);
        assert_eq!((none.n, none.mean), (0, None));
        let constant = Estimate::of(&[4.0, 4.0, 4.0]);
        assert_eq!(constant.ci95(), Some((4.0, 4.0)));
    }

    #[test]
    fn ranking_shares_ties_and_skips_missing() {
        let means = [Some(3.0), Some(1.0), None, Some(3.0), Some(0.5)];
        assert_eq!(
            rank(&means, Direction::Lower),
            vec![Some(3), Some(2), None, Some(3), Some(1)]
        );
        assert_eq!(
            rank(&means, Direction::Higher),
            vec![Some(1), Some(3), None, Some(1), Some(4)]
        );
    }
}

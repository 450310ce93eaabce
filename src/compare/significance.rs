//! Whether the leader of a comparison is really better: Welch's unequal-variance t-test of the
//! leader against the runner-up, two-sided, at the 5% level.
//!
//! Welch rather than Student because schedulers differ in variance as much as in mean; rather than
//! "non-overlapping confidence intervals" because that criterion is far too strict (two 95%
//! intervals can overlap while the difference is significant at 1%). Replications of different
//! configurations share seeds (common random numbers), which makes them positively correlated: a
//! paired test would be sharper, and Welch's test, which ignores the pairing, errs on the side of
//! "no difference".

use super::stats::{t_cdf, Estimate};

/// Significance level of [`verdict`]: a leader is "best" when `p < ALPHA`.
pub const ALPHA: f64 = 0.05;

/// The outcome of Welch's t-test of two samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Welch {
    /// `(mean_a - mean_b) / sqrt(s_a^2/n_a + s_b^2/n_b)`.
    pub t: f64,
    /// Welch-Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p-value, `2 (1 - F_t(|t|; df))`.
    pub p: f64,
}

/// Welch's t-test of `a` against `b`; `None` unless both have a mean and a standard deviation
/// (at least two finite observations each).
///
/// When both standard deviations are zero the test degenerates: equal means give `p = 1`,
/// different means `p = 0` (every replication showed the same difference), with `t` infinite.
pub fn welch(a: &Estimate, b: &Estimate) -> Option<Welch> {
    let (ma, mb, sa, sb) = (a.mean?, b.mean?, a.std_dev?, b.std_dev?);
    let (va, vb) = (sa * sa / a.n as f64, sb * sb / b.n as f64);
    let se2 = va + vb;
    if se2 == 0.0 {
        let df = (a.n + b.n - 2) as f64;
        return Some(if ma == mb {
            Welch { t: 0.0, df, p: 1.0 }
        } else {
            Welch {
                t: (ma - mb).signum() * f64::INFINITY,
                df,
                p: 0.0,
            }
        });
    }
    let t = (ma - mb) / se2.sqrt();
    let df = se2 * se2 / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    let p = (2.0 * (1.0 - t_cdf(t.abs(), df))).clamp(0.0, 1.0);
    Some(Welch { t, df, p })
}

/// What a comparison concluded about one metric within one group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// The leader beats the runner-up with `p < ALPHA`.
    Significant {
        /// Welch's p-value, leader against runner-up.
        p: f64,
    },
    /// The leader and the runner-up cannot be told apart at the 5% level (or share the top mean).
    NoDifference {
        /// Welch's p-value, leader against runner-up.
        p: f64,
    },
    /// The leader or the runner-up has fewer than two replications: no interval, no test.
    Undetermined,
    /// Fewer than two contenders have data: nothing to compare.
    Uncontested,
}

impl Verdict {
    /// The text written in `compare.csv`'s `verdict` column.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Significant { .. } => "significant",
            Verdict::NoDifference { .. } => "no difference",
            Verdict::Undetermined => "undetermined",
            Verdict::Uncontested => "uncontested",
        }
    }
}

/// The verdict on `leader` (ranked first) against `runner_up` (ranked next); `None` for the
/// runner-up when there is only one contender with data.
pub fn verdict(leader: &Estimate, runner_up: Option<&Estimate>) -> Verdict {
    let Some(runner_up) = runner_up else {
        return Verdict::Uncontested;
    };
    match welch(leader, runner_up) {
        None => Verdict::Undetermined,
        Some(w) if w.p < ALPHA && leader.mean != runner_up.mean => Verdict::Significant { p: w.p },
        Some(w) => Verdict::NoDifference { p: w.p },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welch_matches_r_t_test() {
        // R: t.test(c(2, 1, 3, 4), c(6, 5, 7, 9)) (Welch by default) prints
        // t = -3.9703, df = 5.5846, p-value = 0.008513. By hand: means 2.5 and 6.75, variances 5/3
        // and 35/12, se^2 = (5/3 + 35/12) / 4 = 1.14583, t = -4.25 / 1.07044 = -3.97034,
        // df = 1.14583^2 / ((5/12)^2 / 3 + (35/48)^2 / 3) = 5.58462.
        let a = Estimate::of(&[2.0, 1.0, 3.0, 4.0]);
        let b = Estimate::of(&[6.0, 5.0, 7.0, 9.0]);
        let w = welch(&a, &b).unwrap();
        assert!((w.t + 3.970_344_615_223_767).abs() < 1e-9, "{w:?}");
        assert!((w.df - 5.584_615_384_615_385).abs() < 1e-9, "{w:?}");
        assert!((w.p - 0.008_512_863_131_378_17).abs() < 1e-7, "{w:?}");
        // Symmetric in the order of the samples, up to the sign of t.
        let back = welch(&b, &a).unwrap();
        assert_eq!((back.t, back.df, back.p), (-w.t, w.df, w.p));
        // A sample against itself: t = 0, p = 1, df = 2 (n - 1) when the variances are equal.
        let same = welch(&a, &a).unwrap();
        assert_eq!((same.t, same.p), (0.0, 1.0));
        assert!((same.df - 6.0).abs() < 1e-12);
    }

    #[test]
    fn welch_needs_two_replications_and_handles_zero_variance() {
        let one = Estimate::of(&[3.0]);
        let two = Estimate::of(&[1.0, 2.0]);
        assert_eq!(welch(&one, &two), None);
        assert_eq!(verdict(&one, Some(&two)), Verdict::Undetermined);
        let fours = Estimate::of(&[4.0, 4.0, 4.0]);
        let fives = Estimate::of(&[5.0, 5.0]);
        assert_eq!(welch(&fours, &fours).unwrap().p, 1.0);
        assert_eq!(welch(&fours, &fives).unwrap().p, 0.0);
        assert_eq!(
            verdict(&fours, Some(&fours)),
            Verdict::NoDifference { p: 1.0 }
        );
        assert_eq!(
            verdict(&fours, Some(&fives)),
            Verdict::Significant { p: 0.0 }
        );
        assert_eq!(verdict(&fours, None), Verdict::Uncontested);
    }

    #[test]
    fn verdict_is_significant_only_below_five_percent() {
        // Means 10 and 11 with s = 1, n = 3 each: t = -1.2247, df = 4, two-sided p = 0.288.
        let a = Estimate::of(&[9.0, 10.0, 11.0]);
        let b = Estimate::of(&[10.0, 11.0, 12.0]);
        match verdict(&a, Some(&b)) {
            Verdict::NoDifference { p } => assert!((p - 0.2879).abs() < 5e-4, "{p}"),
            v => panic!("{v:?}"),
        }
        // Means 10 and 14, same spread: t = -4.899, df = 4, p = 0.0080.
        let c = Estimate::of(&[13.0, 14.0, 15.0]);
        match verdict(&a, Some(&c)) {
            Verdict::Significant { p } => assert!((p - 0.0080).abs() < 2e-4, "{p}"),
            v => panic!("{v:?}"),
        }
    }
}

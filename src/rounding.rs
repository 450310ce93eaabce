//! Rounding to the nearest integer without a library call.
//!
//! On the x86-64 baseline `f64::round` is a call into the runtime's software `round` (the
//! instruction that does it, SSE4.1's `roundsd`, is not in the baseline), about 40 instructions.
//! The engine rounds several sampled values per task (duration, arrival, CPU, memory, disk), which
//! made those calls about 3% of the instructions of an M/M/100 run. [`round_to_u64`] gives exactly
//! what `x.round() as u64` gives, for every `f64`, with one truncating conversion and a compare.

/// Exactly `x.round() as u64` (halves away from zero; negative values and NaN give 0; values of
/// 2^64 and above, and infinity, give `u64::MAX`).
#[inline]
pub fn round_to_u64(x: f64) -> u64 {
    // 2^52: from here on every f64 is an integer, so rounding changes nothing.
    const INTEGRAL_FROM: f64 = 4_503_599_627_370_496.0;
    if x.is_nan() || x < 0.0 {
        // `round` keeps the sign (or the NaN), and the cast gives 0.
        return 0;
    }
    if x >= INTEGRAL_FROM {
        return x as u64;
    }
    // Signed conversions: on x86-64 each is one instruction, the unsigned ones are not.
    let whole = x as i64;
    // Exact: both are below 2^52, so their difference is representable.
    let fraction = x - whole as f64;
    (whole + i64::from(fraction >= 0.5)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(x: f64) {
        assert_eq!(
            round_to_u64(x),
            x.round() as u64,
            "x = {x:e} ({:#x})",
            x.to_bits()
        );
    }

    #[test]
    fn agrees_with_std_round_at_the_edges() {
        let below_half = 0.5f64.next_down();
        for x in [
            0.0,
            -0.0,
            0.5,
            below_half,
            1.5,
            2.5,
            -0.5,
            -0.4,
            -1e300,
            f64::MIN_POSITIVE,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9_007_199_254_740_993.0,
            18_446_744_073_709_549_568.0,
            18_446_744_073_709_551_616.0,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ] {
            check(x);
            check(x.next_up());
            check(x.next_down());
        }
    }

    /// Random bit patterns (every exponent) and random values near halves, each side of them.
    #[test]
    fn agrees_with_std_round_on_random_values() {
        let mut rng = crate::rng::stream(11, "rounding-test");
        for _ in 0..200_000 {
            let bits = crate::rng::below(&mut rng, u64::MAX);
            check(f64::from_bits(bits));
            let n = crate::rng::below(&mut rng, 1 << 40) as f64;
            let half = n + 0.5;
            check(half);
            check(half.next_up());
            check(half.next_down());
        }
    }
}

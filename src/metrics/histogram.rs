//! A log-linear histogram for percentiles in bounded memory.
//!
//! Positive values fall into buckets keyed by the IEEE-754 exponent and the top [`SUB_BITS`] mantissa
//! bits, so every bucket spans a relative width of 2^-SUB_BITS (0.4%) whatever the magnitude, and the
//! number of buckets is bounded by the dynamic range (a few thousand at most), not by the sample count.
//! Histograms merge exactly by adding counts. Means are kept exactly beside it.
//!
//! The counts are kept in blocks of 2^SUB_BITS buckets, one block per binary exponent and allocated
//! when a value with that exponent first comes, so recording a value is two array indexings (no
//! search) and memory stays bounded by the dynamic range.

/// Mantissa bits kept per bucket.
pub const SUB_BITS: u32 = 8;

/// Buckets per block (one block per binary exponent).
const BLOCK: usize = 1 << SUB_BITS;

/// Streaming histogram of non-negative values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// `blocks[e][m]`: the count of bucket `e << SUB_BITS | m` (`e`: the biased exponent).
    blocks: Vec<Option<Box<[u64; BLOCK]>>>,
    zeros: u64,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
}

fn bucket_of(v: f64) -> u64 {
    v.to_bits() >> (52 - SUB_BITS)
}

fn bucket_bounds(b: u64) -> (f64, f64) {
    let lo = f64::from_bits(b << (52 - SUB_BITS));
    let hi = f64::from_bits((b + 1) << (52 - SUB_BITS));
    (lo, hi)
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Histogram {
        Histogram::default()
    }

    /// Adds one value (negative or NaN values are recorded as 0).
    #[inline]
    pub fn record(&mut self, v: f64) {
        let v = if v.is_nan() || v < 0.0 { 0.0 } else { v };
        if self.count == 0 {
            self.min = v;
            self.max = v;
        } else {
            self.min = self.min.min(v);
            self.max = self.max.max(v);
        }
        self.count += 1;
        self.sum += v;
        if v == 0.0 {
            self.zeros += 1;
        } else {
            *self.slot(bucket_of(v)) += 1;
        }
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            self.min = other.min;
            self.max = other.max;
        } else {
            self.min = self.min.min(other.min);
            self.max = self.max.max(other.max);
        }
        self.count += other.count;
        self.sum += other.sum;
        self.zeros += other.zeros;
        for (b, c) in other.buckets() {
            *self.slot(b) += c;
        }
    }

    /// The count of bucket `b`, its block allocated if need be.
    fn slot(&mut self, b: u64) -> &mut u64 {
        let (e, m) = ((b >> SUB_BITS) as usize, (b as usize) & (BLOCK - 1));
        if self.blocks.len() <= e {
            self.blocks.resize(e + 1, None);
        }
        &mut self.blocks[e].get_or_insert_with(|| Box::new([0; BLOCK]))[m]
    }

    /// The non-empty buckets in increasing order, with their counts.
    fn buckets(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.blocks.iter().enumerate().flat_map(|(e, block)| {
            block.iter().flat_map(move |counts| {
                counts
                    .iter()
                    .enumerate()
                    .filter(|&(_, &c)| c > 0)
                    .map(move |(m, &c)| (((e as u64) << SUB_BITS) | m as u64, c))
            })
        })
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Exact mean (NaN when empty).
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else {
            self.sum / self.count as f64
        }
    }

    /// The `q`-quantile (0 <= q <= 1), within 0.2% relative error; exact at q = 0 and q = 1. NaN when
    /// empty. Uses the nearest-rank definition.
    pub fn quantile(&self, q: f64) -> f64 {
        let rank = match self.quantile_target(q) {
            Target::Value(v) => return v,
            Target::Rank(rank) => rank,
        };
        let mut seen = self.zeros;
        for (b, c) in self.buckets() {
            seen += c;
            if seen >= rank {
                return self.bucket_value(b);
            }
        }
        self.max
    }

    /// [`Histogram::quantile`] of each of `qs`, in one walk over the buckets instead of one walk
    /// per quantile (a run's result files ask for a hundred of them per histogram).
    pub fn quantiles(&self, qs: &[f64]) -> Vec<f64> {
        let mut out = vec![f64::NAN; qs.len()];
        // The ranks the walk must reach, ascending; the others are answered without a walk.
        let mut ranked: Vec<(u64, usize)> = Vec::with_capacity(qs.len());
        for (i, &q) in qs.iter().enumerate() {
            match self.quantile_target(q) {
                Target::Value(v) => out[i] = v,
                Target::Rank(rank) => ranked.push((rank, i)),
            }
        }
        ranked.sort_unstable();
        let mut buckets = self.buckets();
        // The first bucket whose cumulative count reached the last rank asked, and that count.
        let mut current: Option<u64> = None;
        let mut seen = self.zeros;
        for (rank, i) in ranked {
            while current.is_none() || seen < rank {
                let Some((b, c)) = buckets.next() else {
                    current = None;
                    break;
                };
                seen += c;
                current = Some(b);
            }
            out[i] = current.map_or(self.max, |b| self.bucket_value(b));
        }
        out
    }

    /// What the `q`-quantile needs: a value known without looking at the buckets (empty, an end,
    /// or among the zeros), or the nearest rank to find in them.
    fn quantile_target(&self, q: f64) -> Target {
        if self.count == 0 {
            return Target::Value(f64::NAN);
        }
        if q <= 0.0 {
            return Target::Value(self.min);
        }
        if q >= 1.0 {
            return Target::Value(self.max);
        }
        let rank = ((q * self.count as f64).ceil() as u64).max(1);
        if rank <= self.zeros {
            Target::Value(0.0)
        } else {
            Target::Rank(rank)
        }
    }

    /// The value reported for bucket `b`: its midpoint, within the recorded range.
    fn bucket_value(&self, b: u64) -> f64 {
        let (lo, hi) = bucket_bounds(b);
        ((lo + hi) / 2.0).clamp(self.min, self.max)
    }
}

/// See [`Histogram::quantile_target`].
enum Target {
    Value(f64),
    Rank(u64),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream, unit_f64};

    /// The one-walk `quantiles` gives exactly what `quantile` gives, for every q in any order
    /// (ends, out of range and NaN included), on empty, all-zero and mixed histograms.
    #[test]
    fn quantiles_in_one_walk_equal_each_quantile() {
        let mut rng = stream(5, "hist-many");
        let mut qs: Vec<f64> = (0..=100).map(|i| i as f64 / 100.0).collect();
        qs.extend([0.999, -1.0, 2.0, 1e-9, 1.0 - 1e-12, 0.5, f64::NAN]);
        qs.reverse();
        let mut cases = vec![Histogram::new()];
        let mut zeros = Histogram::new();
        (0..7).for_each(|_| zeros.record(0.0));
        cases.push(zeros);
        for n in [1, 2, 3, 10, 1000, 20_000] {
            let mut h = Histogram::new();
            for k in 0..n {
                let x = -(1.0 - unit_f64(&mut rng)).ln() * 10f64.powi(k % 7 - 3);
                h.record(if k % 5 == 0 { 0.0 } else { x });
            }
            cases.push(h);
        }
        for h in &cases {
            let all = h.quantiles(&qs);
            for (&q, &got) in qs.iter().zip(&all) {
                let want = h.quantile(q);
                assert!(
                    got == want || (got.is_nan() && want.is_nan()),
                    "q={q}, count {}: {got} vs {want}",
                    h.count()
                );
            }
        }
    }

    #[test]
    fn quantiles_match_sorted_samples_within_bucket_width() {
        let mut rng = stream(11, "hist");
        let mut xs: Vec<f64> = (0..100_000)
            .map(|_| -(1.0 - unit_f64(&mut rng)).ln() * 30.0)
            .collect();
        let mut h = Histogram::new();
        xs.iter().for_each(|x| h.record(*x));
        xs.sort_by(f64::total_cmp);
        for q in [0.01, 0.5, 0.9, 0.95, 0.99, 0.999] {
            let exact = xs[((q * xs.len() as f64).ceil() as usize) - 1];
            let got = h.quantile(q);
            assert!(
                (got - exact).abs() / exact < 0.003,
                "q={q}: {got} vs {exact}"
            );
        }
        assert_eq!(h.quantile(0.0), xs[0]);
        assert_eq!(h.quantile(1.0), *xs.last().unwrap());
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((h.mean() - mean).abs() < 1e-9 * mean);
    }

    #[test]
    fn merging_equals_recording_everything_in_one() {
        let (mut a, mut b, mut all) = (Histogram::new(), Histogram::new(), Histogram::new());
        for i in 0..1000 {
            let v = (i as f64) * 0.37;
            if i % 3 == 0 {
                a.record(v)
            } else {
                b.record(v)
            }
            all.record(v);
        }
        a.merge(&b);
        assert_eq!(a.count(), all.count());
        for q in [0.0, 0.1, 0.5, 0.99, 1.0] {
            assert_eq!(a.quantile(q), all.quantile(q));
        }
    }

    #[test]
    fn zeros_are_counted() {
        let mut h = Histogram::new();
        for _ in 0..90 {
            h.record(0.0);
        }
        for _ in 0..10 {
            h.record(5.0);
        }
        assert_eq!(h.quantile(0.5), 0.0);
        assert!((h.quantile(0.95) - 5.0).abs() < 0.02);
    }
}

//! Seeds and random streams.
//!
//! Every run uses `rand_pcg::Pcg64Mcg`: its output is specified by its algorithm (a 128-bit MCG with an
//! XSL-RR output function), portable across platforms, and pinned by a golden test below, unlike
//! `StdRng`/`SmallRng`, whose algorithm may change between rand releases.
//!
//! Seeds derive from the master seed and a run's *coordinates* (sweep point, replication), never from
//! execution order, so results are identical on any thread count. Each consumer (arrivals, durations,
//! each demand, the scheduler, faults) gets its own stream keyed by a label: changing the scheduler or a
//! duration distribution leaves the arrival times untouched (common random numbers across schedulers).

use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;

/// The generator every run uses.
pub type SimRng = Pcg64Mcg;

/// SplitMix64 finaliser: a bijective 64-bit mixer with good avalanche.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Derives a seed from a parent seed and a list of coordinates.
pub fn derive_seed(parent: u64, coords: &[u64]) -> u64 {
    coords
        .iter()
        .fold(mix64(parent), |acc, &c| mix64(acc ^ mix64(c)))
}

/// A stable 64-bit hash of a label (FNV-1a), used to key named streams.
pub fn label_hash(label: &str) -> u64 {
    label.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// The random stream named `label` of a run seeded with `seed`.
pub fn stream(seed: u64, label: &str) -> SimRng {
    SimRng::seed_from_u64(derive_seed(seed, &[label_hash(label)]))
}

/// A uniform sample in [0, 1) with 53 bits of precision, defined here so it cannot change under us.
pub fn unit_f64(rng: &mut SimRng) -> f64 {
    use rand::Rng;
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A uniform integer in [0, n) (n > 0), by Lemire's multiply-shift with rejection (unbiased).
pub fn below(rng: &mut SimRng, n: u64) -> u64 {
    use rand::Rng;
    assert!(n > 0, "below(0) has no valid result");
    let threshold = n.wrapping_neg() % n;
    loop {
        let m = (rng.next_u64() as u128) * (n as u128);
        if (m as u64) >= threshold {
            return (m >> 64) as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// Golden values: if a dependency upgrade changes the generator, published results would change
    /// silently; this test makes it loud.
    #[test]
    fn pcg64mcg_stream_is_pinned() {
        let mut rng = stream(42, "arrival");
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(
            first, GOLDEN,
            "the random stream changed: results are no longer reproducible"
        );
    }
    const GOLDEN: [u64; 3] = [
        16457334354178439684,
        18019115373683725367,
        13443351633744111518,
    ];

    #[test]
    fn derived_seeds_differ_by_coordinate() {
        assert_ne!(derive_seed(1, &[0, 0]), derive_seed(1, &[0, 1]));
        assert_ne!(derive_seed(1, &[0, 1]), derive_seed(1, &[1, 0]));
    }

    /// A run's seed is a published coordinate of its results (runs.json): pin the derivation itself,
    /// as the stream is pinned above, so a change to the mixer cannot silently move every result.
    #[test]
    fn derive_seed_is_pinned() {
        assert_eq!(derive_seed(7, &[3]), 12359040808785015427);
        assert_eq!(derive_seed(42, &[0, 1]), 15947587746492502818);
        assert_eq!(derive_seed(7, &[]), mix64(7));
    }

    #[test]
    fn derived_seeds_do_not_collide_over_a_grid_of_coordinates() {
        let mut seeds: Vec<u64> = (0..200)
            .flat_map(|point| (0..200).map(move |rep| derive_seed(1, &[point, rep])))
            .collect();
        seeds.sort_unstable();
        seeds.dedup();
        assert_eq!(seeds.len(), 200 * 200);
    }

    #[test]
    fn below_is_in_range_and_roughly_uniform() {
        let mut rng = stream(1, "t");
        let mut counts = [0u32; 5];
        for _ in 0..50_000 {
            counts[below(&mut rng, 5) as usize] += 1;
        }
        for c in counts {
            assert!((9_500..10_500).contains(&c), "counts {counts:?}");
        }
    }
}

//! A branch-and-bound tree for packing: per node group, a segment tree over the group's nodes (in id
//! order, so positions never move) holding, per subtree, the maximum free amount of each resource and
//! the minimum free fraction. "The feasible node with the least free fraction" descends only into
//! subtrees that could hold the demand and could beat the best node found so far, so nodes that are
//! nearly full on average but short of one resource are skipped by whole subtrees instead of one by one.

use crate::resources::{Resources, DIMS};

/// One node group's packing tree.
#[derive(Debug, Clone)]
pub struct PackTree {
    leaves: usize,
    max_free: Vec<[u64; DIMS]>,
    min_key: Vec<f64>,
}

impl PackTree {
    /// A tree over `size` positions, all absent.
    pub fn new(size: usize) -> PackTree {
        let leaves = size.next_power_of_two().max(1);
        PackTree {
            leaves,
            max_free: vec![[0; DIMS]; 2 * leaves],
            min_key: vec![f64::INFINITY; 2 * leaves],
        }
    }

    /// Sets position `i`: `Some((free, key))` for a schedulable node, `None` to take it out.
    pub fn set(&mut self, i: usize, entry: Option<(Resources, f64)>) {
        let mut p = self.leaves + i;
        (self.max_free[p], self.min_key[p]) = match entry {
            Some((free, key)) => (free.dims(), key),
            None => ([0; DIMS], f64::INFINITY),
        };
        while p > 1 {
            p /= 2;
            let (l, r) = (2 * p, 2 * p + 1);
            self.max_free[p] =
                std::array::from_fn(|d| self.max_free[l][d].max(self.max_free[r][d]));
            self.min_key[p] = self.min_key[l].min(self.min_key[r]);
        }
    }

    /// The position with the smallest key (lowest position among equal keys) whose free vector
    /// holds `demand` and that passes `accept`; `accept` sees only positions that hold the demand.
    pub fn min_key_fit(
        &self,
        demand: &Resources,
        mut accept: impl FnMut(usize) -> bool,
    ) -> Option<usize> {
        let mut best: Option<(f64, usize)> = None;
        self.search(1, 0, self.leaves, &demand.dims(), &mut accept, &mut best);
        best.map(|(_, i)| i)
    }

    fn search(
        &self,
        p: usize,
        lo: usize,
        hi: usize,
        d: &[u64; DIMS],
        accept: &mut impl FnMut(usize) -> bool,
        best: &mut Option<(f64, usize)>,
    ) {
        let k = self.min_key[p];
        let holds = self.max_free[p].iter().zip(d).all(|(f, x)| f >= x);
        // Prune what cannot hold the demand, is absent, or cannot beat the best (key, position).
        if !holds || k == f64::INFINITY || best.is_some_and(|(b, i)| k > b || (k == b && lo > i)) {
            return;
        }
        if hi - lo == 1 {
            if accept(lo) {
                *best = Some((k, lo));
            }
            return;
        }
        let mid = (lo + hi) / 2;
        let (l, r) = (2 * p, 2 * p + 1);
        // Smaller minimum first: it most likely holds the answer and tightens the bound early.
        if self.min_key[r] < self.min_key[l] {
            self.search(r, mid, hi, d, accept, best);
            self.search(l, lo, mid, d, accept, best);
        } else {
            self.search(l, lo, mid, d, accept, best);
            self.search(r, mid, hi, d, accept, best);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{below, stream};

    #[test]
    fn finds_what_a_scan_finds() {
        let mut rng = stream(5, "pack");
        for _ in 0..300 {
            let n = 1 + below(&mut rng, 30) as usize;
            let mut tree = PackTree::new(n);
            let mut entries = vec![None; n];
            for _ in 0..3 * n {
                let i = below(&mut rng, n as u64) as usize;
                let e = (below(&mut rng, 5) != 0).then(|| {
                    let free = Resources {
                        cpu_milli: below(&mut rng, 6),
                        memory: below(&mut rng, 6),
                        disk: 0,
                    };
                    (free, below(&mut rng, 4) as f64 / 4.0)
                });
                entries[i] = e;
                tree.set(i, e);
            }
            let d = Resources {
                cpu_milli: below(&mut rng, 5),
                memory: below(&mut rng, 5),
                disk: 0,
            };
            let banned = below(&mut rng, n as u64) as usize;
            let scan = (0..n)
                .filter(|&i| i != banned)
                .filter_map(|i| {
                    entries[i]
                        .filter(|(f, _)| d.fits_in(f))
                        .map(|(_, k)| (k, i))
                })
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
                .map(|(_, i)| i);
            assert_eq!(
                tree.min_key_fit(&d, |i| i != banned),
                scan,
                "{entries:?} {d:?}"
            );
        }
    }
}

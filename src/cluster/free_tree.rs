//! A segment tree over nodes holding, per subtree, the maximum free amount of each resource. A
//! subtree whose maxima cannot hold a demand is skipped whole, so first-fit touches O(log n) subtrees
//! in the common case instead of scanning every node. (A subtree can pass the per-dimension test while
//! no single node in it fits, so the search backtracks; it is still exact.) The GPU dimension holds
//! each node's [`crate::cluster::GpuSlots::placeable`] and the union of GPU models, whose maxima are
//! upper bounds too.
//!
//! The tree remembers its last answer until the next update: a list scheduler asks whether a
//! demand fits anywhere and first-fit then asks for the same node, so the second search is free.

use std::cell::Cell;

use crate::resources::Resources;

/// A search and its answer: (demand, start, first fitting index).
type Answer = (Resources, usize, Option<usize>);

/// Per-subtree maxima of free capacity.
#[derive(Debug, Clone)]
pub struct FreeTree {
    size: usize,
    leaves: usize,
    max: Vec<Resources>,
    /// The last search's answer, valid until the next update.
    last: Cell<Option<Answer>>,
}

impl FreeTree {
    /// A tree over the given free vectors, in node order.
    pub fn new(free: impl Iterator<Item = Resources>) -> FreeTree {
        let free: Vec<Resources> = free.collect();
        let leaves = free.len().next_power_of_two().max(1);
        let mut max = vec![Resources::ZERO; 2 * leaves];
        for (i, f) in free.iter().enumerate() {
            max[leaves + i] = *f;
        }
        for i in (1..leaves).rev() {
            max[i] = combine(&max[2 * i], &max[2 * i + 1]);
        }
        FreeTree {
            size: free.len(),
            leaves,
            max,
            last: Cell::new(None),
        }
    }

    /// Sets node `i`'s free vector.
    pub fn update(&mut self, i: usize, free: Resources) {
        self.last.set(None);
        let mut p = self.leaves + i;
        self.max[p] = free;
        // The climb carries the value just stored, so each level reads only the sibling.
        let mut m = free;
        while p > 1 {
            m = combine(&m, &self.max[p ^ 1]);
            p /= 2;
            if self.max[p] == m {
                break;
            }
            self.max[p] = m;
        }
    }

    /// Node `i`'s free vector as last set (zero for an unschedulable node).
    pub fn leaf(&self, i: usize) -> &Resources {
        &self.max[self.leaves + i]
    }

    /// Component-wise maximum free capacity over all nodes.
    pub fn max_free(&self) -> Resources {
        self.max[1]
    }

    /// The lowest index `>= start` whose free vector holds `demand`.
    pub fn first_fit(&self, demand: &Resources, start: usize) -> Option<usize> {
        if start >= self.size {
            return None;
        }
        if let Some((d, s, found)) = self.last.get() {
            if s == start && d == *demand {
                return found;
            }
        }
        let found = self.search(demand, start);
        self.last.set(Some((*demand, start, found)));
        found
    }

    /// The leftmost fitting leaf at or after `start`, by an iterative walk: go down into the left
    /// child while a subtree's maxima hold `d`; when a subtree cannot (or lies wholly before
    /// `start`, or is a padding leaf), go on to the next subtree to its right, climbing while the
    /// subtree is a right child. Node `p` covers leaves `lo .. lo + width`.
    fn search(&self, d: &Resources, start: usize) -> Option<usize> {
        let (mut p, mut lo, mut width) = (1, 0, self.leaves);
        loop {
            if lo + width > start && d.fits_in(&self.max[p]) {
                if width > 1 {
                    (p, width) = (2 * p, width / 2);
                    continue;
                }
                if lo < self.size {
                    return Some(lo);
                }
            }
            while p & 1 == 1 {
                if p == 1 {
                    return None;
                }
                lo -= width;
                (p, width) = (p / 2, width * 2);
            }
            (p, lo) = (p + 1, lo + width);
        }
    }
}

fn combine(a: &Resources, b: &Resources) -> Resources {
    a.max(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{below, stream};

    fn r(cpu: u64, mem: u64) -> Resources {
        Resources {
            cpu_milli: cpu,
            memory: mem,
            disk: 0,
            ..Resources::ZERO
        }
    }

    #[test]
    fn first_fit_matches_a_linear_scan_on_random_states() {
        let mut rng = stream(3, "tree");
        for _ in 0..200 {
            let n = 1 + below(&mut rng, 40) as usize;
            let mut free: Vec<Resources> = (0..n)
                .map(|_| r(below(&mut rng, 8), below(&mut rng, 8)))
                .collect();
            let mut tree = FreeTree::new(free.iter().copied());
            for _ in 0..20 {
                let i = below(&mut rng, n as u64) as usize;
                free[i] = r(below(&mut rng, 8), below(&mut rng, 8));
                tree.update(i, free[i]);
                let d = r(below(&mut rng, 8), below(&mut rng, 8));
                let start = below(&mut rng, n as u64 + 1) as usize;
                let expected = (start..n).find(|&j| d.fits_in(&free[j]));
                assert_eq!(
                    tree.first_fit(&d, start),
                    expected,
                    "free {free:?} demand {d:?} start {start}"
                );
            }
        }
    }

    #[test]
    fn every_inner_node_is_the_maximum_of_its_children_after_any_update() {
        let mut rng = stream(5, "tree-invariant");
        for _ in 0..100 {
            let n = 1 + below(&mut rng, 40) as usize;
            let mut tree = FreeTree::new((0..n).map(|_| r(below(&mut rng, 8), below(&mut rng, 8))));
            for _ in 0..50 {
                let i = below(&mut rng, n as u64) as usize;
                let old = *tree.leaf(i);
                // Raise, lower or mix the leaf, so the climb both stops early and runs to the root.
                let free = match below(&mut rng, 3) {
                    0 => r(
                        old.cpu_milli + below(&mut rng, 3),
                        old.memory + below(&mut rng, 3),
                    ),
                    1 => r(
                        old.cpu_milli.saturating_sub(below(&mut rng, 3)),
                        old.memory.saturating_sub(below(&mut rng, 3)),
                    ),
                    _ => r(below(&mut rng, 8), below(&mut rng, 8)),
                };
                tree.update(i, free);
                for p in 1..tree.leaves {
                    assert_eq!(
                        tree.max[p],
                        combine(&tree.max[2 * p], &tree.max[2 * p + 1]),
                        "inner node {p} after setting leaf {i} to {free:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn needs_a_single_node_to_hold_every_dimension() {
        // Node 0 has cpu, node 1 has memory: the root's maxima pass but no node fits.
        let tree = FreeTree::new([r(4, 0), r(0, 4)].into_iter());
        assert_eq!(tree.first_fit(&r(1, 1), 0), None);
    }
}

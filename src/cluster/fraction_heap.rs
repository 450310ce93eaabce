//! Per node group, an indexed binary max-heap of schedulable nodes by free fraction: the index
//! least-allocated searches.
//!
//! An ordered set answers the same question, but every change of a node's key costs it a removal
//! and an insertion, each a descent with rebalancing. A node's key moves a little per allocation
//! and release, so in a heap it usually moves a level or two, within flat arrays; and the best node
//! of a group is the heap's root. A search that needs more than the root (the root's node cannot
//! hold the demand) goes on below it, pruning every subtree whose root is already worse than the
//! best feasible node found, and every subtree whose maximum free vector cannot hold the demand
//! (late in a busy run most nodes of high free fraction lack one resource, and without this the
//! search looked at about 90 of them per decision).
//!
//! Entries are ordered by key, then by lower node id, so the root of a group is its lowest-id node
//! of the highest key: among nodes of equal key, the one a full scan picks on a tie.

use crate::resources::Resources;

/// A position no node of the heap is at.
const ABSENT: u32 = u32::MAX;

/// A heap entry: the key's bits above the complement of the node id. Keys are never negative, and
/// the bits of non-negative floats order as the floats do, so a larger entry has a larger key or an
/// equal key and a lower id.
fn entry(key: f64, id: u32) -> u128 {
    assert!(
        key.is_sign_positive() && !key.is_nan(),
        "a free fraction is never negative or NaN, got {key}"
    );
    (u128::from(key.to_bits()) << 32) | u128::from(u32::MAX - id)
}

fn key_of(entry: u128) -> f64 {
    f64::from_bits((entry >> 32) as u64)
}

fn id_of(entry: u128) -> u32 {
    u32::MAX - entry as u32
}

/// One group's heap, in three parallel arrays by heap position.
#[derive(Debug, Clone, Default)]
struct Heap {
    entries: Vec<u128>,
    /// The free vector of the node at each position.
    free: Vec<Resources>,
    /// The component-wise maximum free vector over the subtree at each position: a subtree whose
    /// maximum cannot hold a demand holds no node that can.
    subtree: Vec<Resources>,
}

impl Heap {
    fn len(&self) -> usize {
        self.entries.len()
    }

    /// Copies the entry at `from` to `to` (a sift's step; `from` is overwritten later).
    fn move_entry(&mut self, to: usize, from: usize, pos: &mut [u32]) {
        self.entries[to] = self.entries[from];
        self.free[to] = self.free[from];
        pos[id_of(self.entries[to]) as usize] = to as u32;
    }

    /// Puts an entry and its free vector at `at`.
    fn place(&mut self, at: usize, e: u128, free: Resources, pos: &mut [u32]) {
        self.entries[at] = e;
        self.free[at] = free;
        pos[id_of(e) as usize] = at as u32;
    }

    /// Moves the entry at `i` up to its place and returns where it went.
    fn sift_up(&mut self, mut i: usize, pos: &mut [u32]) -> usize {
        let (e, free) = (self.entries[i], self.free[i]);
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.entries[parent] > e {
                break;
            }
            self.move_entry(i, parent, pos);
            i = parent;
        }
        self.place(i, e, free, pos);
        i
    }

    /// Moves the entry at `i` down to its place and returns where it went.
    fn sift_down(&mut self, mut i: usize, pos: &mut [u32]) -> usize {
        let (e, free) = (self.entries[i], self.free[i]);
        let n = self.len();
        loop {
            let left = 2 * i + 1;
            if left >= n {
                break;
            }
            let right = left + 1;
            let c = if right < n && self.entries[right] > self.entries[left] {
                right
            } else {
                left
            };
            if self.entries[c] < e {
                break;
            }
            self.move_entry(i, c, pos);
            i = c;
        }
        self.place(i, e, free, pos);
        i
    }

    /// Moves the entry at `i` to its place after its entry changed, then brings the subtree
    /// maxima up to date: the positions between where it was and where it went changed, and above
    /// them only its free vector did.
    fn settle(&mut self, i: usize, pos: &mut [u32]) {
        let up = self.sift_up(i, pos);
        if up < i {
            self.refresh(i, up);
        } else {
            let down = self.sift_down(i, pos);
            self.refresh(down, i);
        }
    }

    /// Recomputes the subtree maxima from position `from` up to the root. Positions from `from`
    /// up to `top` (an ancestor of it, or itself) are recomputed whatever happens; above `top` the
    /// climb stops at the first maximum that did not change.
    fn refresh(&mut self, from: usize, top: usize) {
        let n = self.len();
        let mut p = from;
        loop {
            let mut m = self.free[p];
            for c in [2 * p + 1, 2 * p + 2] {
                if c < n {
                    m = m.max(&self.subtree[c]);
                }
            }
            if p < top && self.subtree[p] == m {
                return;
            }
            self.subtree[p] = m;
            if p == 0 {
                return;
            }
            p = (p - 1) / 2;
        }
    }
}

/// One max-heap of (free fraction, node) per node group, with each node's position and, per
/// subtree, the maximum free vector.
#[derive(Debug, Clone, Default)]
pub struct FractionHeaps {
    heaps: Vec<Heap>,
    /// Each node's position in its group's heap ([`ABSENT`] while unschedulable).
    pos: Vec<u32>,
}

impl FractionHeaps {
    /// Empty heaps for `groups` node groups of `nodes` nodes in all.
    pub fn new(groups: usize, nodes: usize) -> FractionHeaps {
        FractionHeaps {
            heaps: vec![Heap::default(); groups],
            pos: vec![ABSENT; nodes],
        }
    }

    /// How many groups there are.
    pub fn groups(&self) -> usize {
        self.heaps.len()
    }

    /// Sets node `id` of group `group` to free fraction `key` and free vector `free`, or takes it
    /// out (`None`).
    pub fn set(&mut self, group: usize, id: u32, now: Option<(f64, Resources)>) {
        let heap = &mut self.heaps[group];
        let at = self.pos[id as usize];
        match (at, now) {
            (ABSENT, None) => {}
            (ABSENT, Some((key, free))) => {
                heap.entries.push(entry(key, id));
                heap.free.push(free);
                heap.subtree.push(free);
                let last = heap.len() - 1;
                self.pos[id as usize] = last as u32;
                heap.settle(last, &mut self.pos);
            }
            (at, Some((key, free))) => {
                let (at, e) = (at as usize, entry(key, id));
                if heap.entries[at] == e && heap.free[at] == free {
                    return;
                }
                heap.entries[at] = e;
                heap.free[at] = free;
                heap.settle(at, &mut self.pos);
            }
            (at, None) => {
                let at = at as usize;
                self.pos[id as usize] = ABSENT;
                let (last_e, last_free) = (
                    heap.entries
                        .pop()
                        .expect("a node with a position is in the heap"),
                    heap.free.pop().expect("free vectors follow entries"),
                );
                heap.subtree.pop();
                let n = heap.len();
                if at < n {
                    heap.place(at, last_e, last_free, &mut self.pos);
                    heap.settle(at, &mut self.pos);
                }
                // The last position's parent lost a child.
                if n > 0 {
                    let parent = (n - 1) / 2;
                    heap.refresh(parent, parent);
                }
            }
        }
    }

    /// The highest key of group `group` and its lowest-id node, or `None` for an empty group.
    pub fn top(&self, group: usize) -> Option<(f64, u32)> {
        self.heaps[group]
            .entries
            .first()
            .map(|&e| (key_of(e), id_of(e)))
    }

    /// Group `group`'s nodes as (key, node id, free vector), in no particular order.
    pub fn entries(&self, group: usize) -> impl Iterator<Item = (f64, u32, Resources)> + '_ {
        let heap = &self.heaps[group];
        heap.entries
            .iter()
            .zip(&heap.free)
            .map(|(&e, &free)| (key_of(e), id_of(e), free))
    }

    /// The best (score, node) of group `group`: the highest `score_of(key)` over the feasible
    /// nodes, the lowest id among equal scores; `None` if no node is feasible. `score_of` must be
    /// non-decreasing in the key. A node is feasible when `demand` fits its free vector, or, with
    /// `demand` `None`, when `feasible(id)` holds.
    ///
    /// A depth-first branch and bound finds the feasible node of the highest entry (key, then
    /// lower id): a subtree whose root is below the best feasible entry found holds nothing
    /// better, a feasible node's subtree holds nothing better than it, and (with a demand) a
    /// subtree whose maximum free vector cannot hold the demand holds no feasible node. If a lower
    /// key can round to the same score, a second pass looks through the nodes of that score for a
    /// lower feasible id.
    pub fn best(
        &self,
        group: usize,
        stack: &mut SearchStack,
        score_of: impl Fn(f64) -> f64,
        demand: Option<&Resources>,
        feasible: impl Fn(u32) -> bool,
    ) -> Option<(f64, u32)> {
        let heap = &self.heaps[group];
        let fits_below = |at: usize| demand.is_none_or(|d| d.fits_in(&heap.subtree[at]));
        let feasible_at = |at: usize, id: u32| match demand {
            Some(d) => d.fits_in(&heap.free[at]),
            None => feasible(id),
        };
        let mut found: Option<u128> = None;
        search(heap, stack, |at, e| {
            if found.is_some_and(|f| e < f) || !fits_below(at) {
                return false;
            }
            if feasible_at(at, id_of(e)) {
                found = Some(e);
                return false;
            }
            true
        });
        let (key, mut best) = found.map(|f| (key_of(f), id_of(f)))?;
        let score = score_of(key);
        if key > 0.0 && score_of(key.next_down()) >= score {
            search(heap, stack, |at, e| {
                if score_of(key_of(e)) < score || !fits_below(at) {
                    return false;
                }
                let id = id_of(e);
                if id < best && feasible_at(at, id) {
                    best = id;
                }
                true
            });
        }
        Some((score, best))
    }
}

/// The scratch stack of [`FractionHeaps::best`], kept by the caller across searches so that a
/// search allocates nothing.
pub type SearchStack = Vec<u32>;

/// Visits `heap` depth first from the root, the larger child first, going below a position only
/// when `visit(position, entry)` returns true for it.
fn search(heap: &Heap, stack: &mut SearchStack, mut visit: impl FnMut(usize, u128) -> bool) {
    let entries = &heap.entries;
    stack.clear();
    if !entries.is_empty() {
        stack.push(0);
    }
    while let Some(at) = stack.pop() {
        let at = at as usize;
        if !visit(at, entries[at]) {
            continue;
        }
        let left = 2 * at + 1;
        match (entries.get(left), entries.get(left + 1)) {
            (Some(l), Some(r)) => {
                let (first, second) = if l > r {
                    (left, left + 1)
                } else {
                    (left + 1, left)
                };
                stack.push(second as u32);
                stack.push(first as u32);
            }
            (Some(_), None) => stack.push(left as u32),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{below, stream};

    fn r(cpu: u64, memory: u64) -> Resources {
        Resources {
            cpu_milli: cpu,
            memory,
            ..Resources::ZERO
        }
    }

    /// What a scan of `nodes` (None: not in the heap) picks: the highest score over feasible
    /// nodes, the lowest id on equal scores.
    fn scan(
        nodes: &[Option<(f64, Resources)>],
        score_of: impl Fn(f64) -> f64,
        feasible: impl Fn(u32, &Resources) -> bool,
    ) -> Option<(f64, u32)> {
        let mut best: Option<(f64, u32)> = None;
        for (id, node) in nodes.iter().enumerate() {
            let Some((k, free)) = node else {
                continue;
            };
            if !feasible(id as u32, free) {
                continue;
            }
            let s = score_of(*k);
            if best.is_none_or(|(b, _)| s > b) {
                best = Some((s, id as u32));
            }
        }
        best
    }

    /// Every position's subtree maximum is its free vector joined with its children's maxima.
    fn assert_subtree_maxima(heap: &Heap) {
        for p in 0..heap.len() {
            let mut m = heap.free[p];
            for c in [2 * p + 1, 2 * p + 2] {
                if c < heap.len() {
                    m = m.max(&heap.subtree[c]);
                }
            }
            assert_eq!(heap.subtree[p], m, "subtree maximum at position {p}");
        }
    }

    #[test]
    fn best_matches_a_scan_after_random_changes() {
        let mut rng = stream(11, "fraction-heap");
        let mut stack = SearchStack::new();
        let mut none_fit = 0;
        for round in 0..200 {
            let n = 1 + below(&mut rng, 60) as usize;
            let mut heaps = FractionHeaps::new(1, n);
            let mut nodes: Vec<Option<(f64, Resources)>> = vec![None; n];
            // Few distinct keys, so equal keys are common, and a score that rounds keys one
            // apart together, so the search must go past the first feasible key.
            let palette = [0.0, 0.25, 0.5, 0.5f64.next_down(), 0.75, 1.0];
            for _ in 0..80 {
                let id = below(&mut rng, n as u64) as usize;
                let node = match below(&mut rng, 4) {
                    0 => None,
                    _ => Some((
                        palette[below(&mut rng, palette.len() as u64) as usize],
                        r(below(&mut rng, 4), below(&mut rng, 4)),
                    )),
                };
                nodes[id] = node;
                heaps.set(0, id as u32, node);
                assert_subtree_maxima(&heaps.heaps[0]);
                let mut listed: Vec<(f64, u32, Resources)> = heaps.entries(0).collect();
                listed.sort_by_key(|&(_, id, _)| id);
                let expected: Vec<(f64, u32, Resources)> = nodes
                    .iter()
                    .enumerate()
                    .filter_map(|(id, k)| k.map(|(k, free)| (k, id as u32, free)))
                    .collect();
                assert_eq!(listed, expected, "round {round}");
                let blocked = below(&mut rng, 4) as u32;
                let by_id = |id: u32| id % 4 != blocked;
                let demand = r(below(&mut rng, 4), below(&mut rng, 4));
                let rounded = |k: f64| (k * 4.0).round();
                for score_of in [&(|k: f64| k) as &dyn Fn(f64) -> f64, &rounded] {
                    let fits = heaps.best(0, &mut stack, score_of, Some(&demand), |_| {
                        unreachable!("a demand decides feasibility")
                    });
                    let expected = scan(&nodes, score_of, |_, free| demand.fits_in(free));
                    assert_eq!(
                        fits, expected,
                        "round {round}: {nodes:?}, demand {demand:?}"
                    );
                    none_fit +=
                        usize::from(expected.is_none() && nodes.iter().any(|n| n.is_some()));
                    assert_eq!(
                        heaps.best(0, &mut stack, score_of, None, by_id),
                        scan(&nodes, score_of, |id, _| by_id(id)),
                        "round {round}: {nodes:?}, nodes = {blocked} mod 4 infeasible"
                    );
                }
                let top = nodes
                    .iter()
                    .enumerate()
                    .filter_map(|(id, k)| k.map(|(k, _)| (k, id as u32)))
                    .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
                assert_eq!(heaps.top(0), top);
            }
        }
        assert!(
            none_fit > 100,
            "too few searches where nothing fits: {none_fit}"
        );
    }

    #[test]
    fn a_negative_key_is_refused() {
        let result = std::panic::catch_unwind(|| {
            FractionHeaps::new(1, 1).set(0, 0, Some((-0.5, Resources::ZERO)))
        });
        assert!(result.is_err());
    }
}

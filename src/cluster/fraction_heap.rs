//! Per node group, an indexed binary max-heap of schedulable nodes by free fraction: the index
//! least-allocated searches best-first.
//!
//! An ordered set answers the same question, but every change of a node's key costs it a removal
//! and an insertion, each a descent with rebalancing. A node's key moves a little per allocation
//! and release, so in a heap it usually moves a level or two, within flat arrays; and the best node
//! of a group is the heap's root. A search that needs more than the root (the root's node cannot
//! hold the demand) goes on below it, pruning every subtree whose root is already worse than the
//! best feasible node found.
//!
//! Entries are ordered by key, then by lower node id, so the root of a group is its lowest-id node
//! of the highest key: among nodes of equal key, the one a full scan picks on a tie.

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

/// One max-heap of (free fraction, node) per node group, with each node's position.
#[derive(Debug, Clone, Default)]
pub struct FractionHeaps {
    heaps: Vec<Vec<u128>>,
    /// Each node's position in its group's heap ([`ABSENT`] while unschedulable).
    pos: Vec<u32>,
}

impl FractionHeaps {
    /// Empty heaps for `groups` node groups of `nodes` nodes in all.
    pub fn new(groups: usize, nodes: usize) -> FractionHeaps {
        FractionHeaps {
            heaps: vec![Vec::new(); groups],
            pos: vec![ABSENT; nodes],
        }
    }

    /// How many groups there are.
    pub fn groups(&self) -> usize {
        self.heaps.len()
    }

    /// Sets node `id` of group `group` to key `key`, or takes it out (`None`).
    pub fn set(&mut self, group: usize, id: u32, key: Option<f64>) {
        let heap = &mut self.heaps[group];
        let at = self.pos[id as usize];
        match (at, key) {
            (ABSENT, None) => {}
            (ABSENT, Some(key)) => {
                heap.push(entry(key, id));
                let last = heap.len() - 1;
                sift_up(heap, &mut self.pos, last);
            }
            (at, Some(key)) => {
                let (old, new) = (heap[at as usize], entry(key, id));
                heap[at as usize] = new;
                if new > old {
                    sift_up(heap, &mut self.pos, at as usize);
                } else {
                    sift_down(heap, &mut self.pos, at as usize);
                }
            }
            (at, None) => {
                self.pos[id as usize] = ABSENT;
                let last = heap.pop().expect("a node with a position is in the heap");
                if (at as usize) < heap.len() {
                    let removed = std::mem::replace(&mut heap[at as usize], last);
                    if last > removed {
                        sift_up(heap, &mut self.pos, at as usize);
                    } else {
                        sift_down(heap, &mut self.pos, at as usize);
                    }
                }
            }
        }
    }

    /// The highest key of group `group` and its lowest-id node, or `None` for an empty group.
    pub fn top(&self, group: usize) -> Option<(f64, u32)> {
        self.heaps[group].first().map(|&e| (key_of(e), id_of(e)))
    }

    /// Group `group`'s nodes as (key, node id), in no particular order.
    pub fn entries(&self, group: usize) -> impl Iterator<Item = (f64, u32)> + '_ {
        self.heaps[group].iter().map(|&e| (key_of(e), id_of(e)))
    }

    /// The best (score, node) of group `group`: the highest `score_of(key)` over the nodes for
    /// which `feasible(id)` holds, the lowest id among equal scores; `None` if no node is feasible.
    /// `score_of` must be non-decreasing in the key.
    ///
    /// A depth-first branch and bound finds the feasible node of the highest entry (key, then
    /// lower id): a subtree whose root is below the best feasible entry found holds nothing
    /// better, and a feasible node's subtree holds nothing better than it. It visits only the
    /// infeasible nodes above the answer and their children, as a best-first search would, without
    /// keeping an order. If a lower key can round to the same score, a second pass looks through
    /// the nodes of that score for a lower feasible id.
    pub fn best(
        &self,
        group: usize,
        stack: &mut SearchStack,
        score_of: impl Fn(f64) -> f64,
        feasible: impl Fn(u32) -> bool,
    ) -> Option<(f64, u32)> {
        let heap = &self.heaps[group];
        let mut found: Option<u128> = None;
        search(heap, stack, |e| {
            if found.is_some_and(|f| e < f) {
                return false;
            }
            if feasible(id_of(e)) {
                found = Some(e);
                return false;
            }
            true
        });
        let (key, mut best) = found.map(|f| (key_of(f), id_of(f)))?;
        let score = score_of(key);
        if key > 0.0 && score_of(key.next_down()) >= score {
            search(heap, stack, |e| {
                if score_of(key_of(e)) < score {
                    return false;
                }
                let id = id_of(e);
                if id < best && feasible(id) {
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

/// Visits `heap` depth first from the root, the larger child first, going below an entry only
/// when `visit` returns true for it.
fn search(heap: &[u128], stack: &mut SearchStack, mut visit: impl FnMut(u128) -> bool) {
    stack.clear();
    if !heap.is_empty() {
        stack.push(0);
    }
    while let Some(at) = stack.pop() {
        if !visit(heap[at as usize]) {
            continue;
        }
        let left = 2 * at as usize + 1;
        match (heap.get(left), heap.get(left + 1)) {
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

/// Moves the entry at `i` up to its place, keeping positions current.
fn sift_up(heap: &mut [u128], pos: &mut [u32], mut i: usize) {
    let e = heap[i];
    while i > 0 {
        let parent = (i - 1) / 2;
        if heap[parent] > e {
            break;
        }
        heap[i] = heap[parent];
        pos[id_of(heap[i]) as usize] = i as u32;
        i = parent;
    }
    heap[i] = e;
    pos[id_of(e) as usize] = i as u32;
}

/// Moves the entry at `i` down to its place, keeping positions current.
fn sift_down(heap: &mut [u128], pos: &mut [u32], mut i: usize) {
    let e = heap[i];
    loop {
        let left = 2 * i + 1;
        if left >= heap.len() {
            break;
        }
        let right = left + 1;
        let c = if right < heap.len() && heap[right] > heap[left] {
            right
        } else {
            left
        };
        if heap[c] < e {
            break;
        }
        heap[i] = heap[c];
        pos[id_of(heap[i]) as usize] = i as u32;
        i = c;
    }
    heap[i] = e;
    pos[id_of(e) as usize] = i as u32;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{below, stream};

    /// What a scan of `keys` (None: not in the heap) picks: the highest score over feasible
    /// nodes, the lowest id on equal scores.
    fn scan(
        keys: &[Option<f64>],
        score_of: impl Fn(f64) -> f64,
        feasible: impl Fn(u32) -> bool,
    ) -> Option<(f64, u32)> {
        let mut best: Option<(f64, u32)> = None;
        for (id, k) in keys.iter().enumerate() {
            let (Some(k), true) = (k, feasible(id as u32)) else {
                continue;
            };
            let s = score_of(*k);
            if best.is_none_or(|(b, _)| s > b) {
                best = Some((s, id as u32));
            }
        }
        best
    }

    #[test]
    fn best_matches_a_scan_after_random_changes() {
        let mut rng = stream(11, "fraction-heap");
        let mut stack = SearchStack::new();
        for round in 0..200 {
            let n = 1 + below(&mut rng, 60) as usize;
            let mut heaps = FractionHeaps::new(1, n);
            let mut keys: Vec<Option<f64>> = vec![None; n];
            // Few distinct keys, so equal keys are common, and a score that rounds keys one
            // apart together, so the search must go past the first feasible key.
            let palette = [0.0, 0.25, 0.5, 0.5f64.next_down(), 0.75, 1.0];
            for _ in 0..80 {
                let id = below(&mut rng, n as u64) as usize;
                let key = match below(&mut rng, 4) {
                    0 => None,
                    _ => Some(palette[below(&mut rng, palette.len() as u64) as usize]),
                };
                keys[id] = key;
                heaps.set(0, id as u32, key);
                let mut listed: Vec<(f64, u32)> = heaps.entries(0).collect();
                listed.sort_by_key(|&(_, id)| id);
                let expected: Vec<(f64, u32)> = keys
                    .iter()
                    .enumerate()
                    .filter_map(|(id, k)| k.map(|k| (k, id as u32)))
                    .collect();
                assert_eq!(listed, expected, "round {round}");
                let blocked = below(&mut rng, 4) as u32;
                let feasible = |id: u32| id % 4 != blocked;
                let rounded = |k: f64| (k * 4.0).round();
                for score_of in [&(|k: f64| k) as &dyn Fn(f64) -> f64, &rounded] {
                    assert_eq!(
                        heaps.best(0, &mut stack, score_of, feasible),
                        scan(&keys, score_of, feasible),
                        "round {round}: keys {keys:?}, nodes = {blocked} mod 4 infeasible"
                    );
                }
                let top = keys
                    .iter()
                    .enumerate()
                    .filter_map(|(id, k)| k.map(|k| (k, id as u32)))
                    .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
                assert_eq!(heaps.top(0), top);
            }
        }
    }

    #[test]
    fn a_negative_key_is_refused() {
        let result = std::panic::catch_unwind(|| FractionHeaps::new(1, 1).set(0, 0, Some(-0.5)));
        assert!(result.is_err());
    }
}

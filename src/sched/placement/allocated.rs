//! Least- and most-allocated (Kubernetes' `LeastAllocated` and `MostAllocated` scoring strategies)
//! over the cluster's per-group free-fraction indexes.
//!
//! Within a node group every node has the same capacity, so the demand's share of it is the same
//! and the score is a monotone function of the node's free fraction (the index key).
//! Least-allocated searches the group's heap ([`FractionHeaps::best`]); most-allocated walks the
//! group's ordered set best-first from the smallest key that can hold the demand. Either way the group's answer is its
//! best score over feasible nodes, and the lowest id among nodes of that score (rounding can give
//! equal scores to different keys). The best over groups wins, lowest id on ties: exactly what a
//! full scan with [`ScoreFn::LeastAllocated`](crate::sched::scoring::ScoreFn::LeastAllocated) or
//! [`ScoreFn::MostAllocated`](crate::sched::scoring::ScoreFn::MostAllocated) picks, at
//! O(groups * log n) typical cost. Groups are searched in order of the score of their best key (a
//! bound no node of the group beats), and a group whose bound is below the best score found is not
//! searched at all.

use std::collections::BTreeSet;
use std::ops::Bound::{Excluded, Unbounded};

use crate::cluster::{FractionHeaps, OrdF64, SearchStack};
use crate::ids::NodeId;
use crate::sched::placement::Placement;
use crate::sched::scoring::demand_fraction_of;
use crate::sched::{DispatchMode, PendingTask, View};

/// How many more nodes of the first feasible node's key the walk looks at before it looks the
/// key up instead.
const SAME_KEY_WALK: usize = 8;

/// Indexed least- or most-allocated placement.
#[derive(Debug, Clone)]
pub struct AllocatedPlacement {
    /// Least-allocated (spread) rather than most-allocated (pack).
    least: bool,
    /// Scratch: (best conceivable score, group, the demand's fraction of a node of the group) per
    /// non-empty group, kept across decisions.
    bounds: Vec<(f64, usize, f64)>,
    /// Scratch: the stack of least-allocated's heap search, kept across decisions.
    stack: SearchStack,
}

impl AllocatedPlacement {
    /// Spread: most free capacity after placement.
    pub fn least() -> AllocatedPlacement {
        AllocatedPlacement {
            least: true,
            bounds: Vec::new(),
            stack: SearchStack::new(),
        }
    }

    /// Pack: least free capacity after placement.
    pub fn most() -> AllocatedPlacement {
        AllocatedPlacement {
            least: false,
            ..AllocatedPlacement::least()
        }
    }

    /// The best (score, node) of group `group`, where the demand's fraction of a node's capacity
    /// is `fraction`, or `None` if no node there is feasible.
    fn group_best(
        &mut self,
        group: usize,
        fraction: f64,
        task: &PendingTask,
        view: &View<'_>,
    ) -> Option<(f64, NodeId)> {
        let nodes = view.cluster.nodes();
        let central = view.mode == DispatchMode::Central;
        // Indexed nodes are schedulable, so under central dispatch a node is feasible exactly when
        // the demand fits its free vector in the cluster's compact free-capacity array.
        let feasible = |id: u32| {
            if central {
                task.demand.fits_in(view.cluster.free_now(NodeId(id)))
            } else {
                view.feasible(&nodes[id as usize], &task.demand)
            }
        };
        let least = self.least;
        let index = view.cluster.index();
        if least {
            let score_of = |key: f64| score_of(true, key, fraction);
            let heaps: &FractionHeaps = index.fraction_heaps();
            return heaps
                .best(
                    group,
                    &mut self.stack,
                    score_of,
                    central.then_some(&task.demand),
                    feasible,
                )
                .map(|(score, id)| (score, NodeId(id)));
        }
        let set = &index.by_free_fraction()[group];
        // A node whose mean free fraction is below the demand's cannot hold it in every
        // dimension; the margin covers rounding in the two means.
        let floor = if central {
            fraction - 1e-9
        } else {
            f64::NEG_INFINITY
        };
        // Best-first: ascending from the floor, to pack.
        best_in(
            set.range((OrdF64(floor), 0)..),
            |key| set.range((Excluded((key, u32::MAX)), Unbounded)),
            set,
            feasible,
            |key: OrdF64| score_of(false, key.0, fraction),
        )
    }
}

/// The score of a node of free fraction `key` in a group where the demand's fraction is
/// `fraction`: exactly `least_allocated` (`least`) or `most_allocated` of the node, without
/// reading it. Monotone in the key (increasing to spread, decreasing to pack).
fn score_of(least: bool, key: f64, fraction: f64) -> f64 {
    if least {
        key - fraction
    } else {
        (1.0 - key) + fraction
    }
}

/// The best (score, node) along `walk`, a group's index in best-first order: find the first
/// feasible node, then the lowest feasible id at its key (a walk may meet equal keys in either
/// id order), then go on through nodes of other keys while their score (after
/// rounding) equals the best, stopping at the first strictly worse one. The walk itself finishes a
/// key of a few nodes; a key shared by many (idle nodes all have key 1) is looked up in id order
/// instead, and the walk resumes after it with `after(key)`. Generic, so that no iterator is boxed.
fn best_in<'s, W, R>(
    mut walk: W,
    after: impl Fn(OrdF64) -> R,
    set: &'s BTreeSet<(OrdF64, u32)>,
    feasible: impl Fn(u32) -> bool,
    score_of: impl Fn(OrdF64) -> f64,
) -> Option<(f64, NodeId)>
where
    W: Iterator<Item = &'s (OrdF64, u32)>,
    R: Iterator<Item = &'s (OrdF64, u32)>,
{
    let &(key, first_id) = walk.by_ref().find(|&&(_, id)| feasible(id))?;
    let mut best = first_id;
    let mut next: Option<&(OrdF64, u32)> = None;
    let mut crowded = false;
    for (seen, entry) in walk.by_ref().enumerate() {
        let &(k, id) = entry;
        if k != key {
            next = Some(entry);
            break;
        }
        if feasible(id) {
            best = best.min(id);
        }
        if seen == SAME_KEY_WALK {
            crowded = true;
            break;
        }
    }
    let score = score_of(key);
    let equal_scores = |rest: &mut dyn Iterator<Item = &'s (OrdF64, u32)>, best: &mut u32| {
        for &(k, id) in rest {
            if score_of(k) < score {
                break;
            }
            if feasible(id) {
                *best = (*best).min(id);
            }
        }
    };
    if crowded {
        best = set
            .range((key, 0)..=(key, u32::MAX))
            .map(|&(_, id)| id)
            .find(|&id| feasible(id))
            .expect("a node at this key is feasible");
        equal_scores(&mut after(key), &mut best);
    } else {
        equal_scores(&mut next.into_iter().chain(walk), &mut best);
    }
    Some((score, NodeId(best)))
}

impl Placement for AllocatedPlacement {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        let index = view.cluster.index();
        let groups = view.cluster.groups();
        let least = self.least;
        // A group's best conceivable score is that of its best key (the largest to spread, the
        // smallest to pack): scores are monotone in the key, so no node of the group, feasible or
        // not, scores more. Every node of a group has the group's capacity, so the demand's
        // fraction is the group's. Groups are walked best bound first; once a bound is below the
        // best score found, no later group can win or tie, and the rest are skipped.
        let mut bounds = std::mem::take(&mut self.bounds);
        bounds.clear();
        let mut bound = |group: usize, key: f64| {
            let fraction = demand_fraction_of(&groups[group].capacity, &task.demand);
            bounds.push((score_of(least, key, fraction), group, fraction));
        };
        if least {
            let heaps = index.fraction_heaps();
            for group in 0..heaps.groups() {
                if let Some((key, _)) = heaps.top(group) {
                    bound(group, key);
                }
            }
        } else {
            for (group, set) in index.by_free_fraction().iter().enumerate() {
                if let Some(&(key, _)) = set.first() {
                    bound(group, key.0);
                }
            }
        }
        let mut best: Option<(f64, NodeId)> = None;
        // Selection rather than a sort: usually the first group or two decide.
        while let Some(next) =
            (0..bounds.len()).max_by(|&i, &j| bounds[i].0.total_cmp(&bounds[j].0))
        {
            let (bound, group, fraction) = bounds.swap_remove(next);
            if best.is_some_and(|(b, _)| bound < b) {
                break;
            }
            if let Some((s, id)) = self.group_best(group, fraction, task, view) {
                if best.is_none_or(|(b, bid)| s > b || (s == b && id < bid)) {
                    best = Some((s, id));
                }
            }
        }
        self.bounds = bounds;
        best.map(|(_, id)| id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::placement::test_support::{central, cluster, task};

    #[test]
    fn least_spreads_and_most_packs_across_groups() {
        // Group 0: two 4-core nodes, group 1: one 8-core node. Node 0 has 3 cores used.
        let mut c = cluster(&[(2, 4.0), (1, 8.0)]);
        c.allocate(NodeId(0), &task(3.0).demand).unwrap();
        let view = central(&c);
        // A 1-core task: node 2 (8 cores) keeps 7/8 of its cpu free, node 1 only 3/4.
        assert_eq!(
            AllocatedPlacement::least().choose(&task(1.0), &view),
            Some(NodeId(2))
        );
        // Packing: node 0 ends at 4/4 cpu.
        assert_eq!(
            AllocatedPlacement::most().choose(&task(1.0), &view),
            Some(NodeId(0))
        );
        // 2 cores no longer fit node 0: node 1 ends at 2/4, node 2 at 2/8 -> node 1.
        assert_eq!(
            AllocatedPlacement::most().choose(&task(2.0), &view),
            Some(NodeId(1))
        );
    }
}

//! Least- and most-allocated (Kubernetes' `LeastAllocated` and `MostAllocated` scoring strategies)
//! over the cluster's per-group free-fraction index.
//!
//! Within a node group every node has the same capacity, so the demand's share of it is the same
//! and the score is a monotone function of the node's free fraction (the index key). Each group's
//! index is walked best-first: the first feasible node has the group's best score; the lowest
//! feasible id at exactly its key is looked up directly, and the walk goes on past that key only
//! through nodes of the same score (rounding can give equal scores to different keys), stopping at
//! the first strictly worse one. The best over groups wins, lowest id on ties: exactly what a full scan with
//! [`ScoreFn::LeastAllocated`] or [`ScoreFn::MostAllocated`] picks, at O(groups * log n) typical cost.

use std::collections::BTreeSet;
use std::ops::Bound::{Excluded, Unbounded};

use crate::cluster::OrdF64;
use crate::ids::NodeId;
use crate::sched::placement::Placement;
use crate::sched::scoring::{demand_fraction, ScoreFn};
use crate::sched::{DispatchMode, PendingTask, View};

/// How many more nodes of the first feasible node's key the walk looks at before it looks the
/// key up instead.
const SAME_KEY_WALK: usize = 8;

/// Indexed least- or most-allocated placement.
#[derive(Debug, Clone, Copy)]
pub struct AllocatedPlacement {
    score: ScoreFn,
}

impl AllocatedPlacement {
    /// Spread: most free capacity after placement.
    pub fn least() -> AllocatedPlacement {
        AllocatedPlacement {
            score: ScoreFn::LeastAllocated,
        }
    }

    /// Pack: least free capacity after placement.
    pub fn most() -> AllocatedPlacement {
        AllocatedPlacement {
            score: ScoreFn::MostAllocated,
        }
    }
}

impl AllocatedPlacement {
    /// The best (score, node) of one group's index `set`, or `None` if no node there is feasible.
    fn group_best(
        &self,
        set: &BTreeSet<(OrdF64, u32)>,
        task: &PendingTask,
        view: &View<'_>,
    ) -> Option<(f64, NodeId)> {
        let nodes = view.cluster.nodes();
        let feasible = |id: u32| view.feasible(&nodes[id as usize], &task.demand);
        let least = self.score == ScoreFn::LeastAllocated;
        let &(_, first) = set.first()?;
        let floor = match view.mode {
            // A node whose mean free fraction is below the demand's cannot hold it in every
            // dimension; the margin covers rounding in the two means.
            DispatchMode::Central => demand_fraction(&nodes[first as usize], &task.demand) - 1e-9,
            DispatchMode::Immediate => f64::NEG_INFINITY,
        };
        // Best-first: descending free fraction to spread, ascending from the floor to pack. Find
        // the first feasible node, then the lowest feasible id at its key (equal keys come in
        // descending ids to spread, ascending to pack), then go on through nodes of other keys
        // while their score (after rounding) equals the best, stopping at the first strictly worse
        // one. The walk itself finishes a key of a few nodes; a key shared by many (idle nodes all
        // have key 1) is looked up in id order instead.
        let mut walk: Box<dyn Iterator<Item = &(OrdF64, u32)>> = if least {
            Box::new(set.iter().rev())
        } else {
            Box::new(set.range((OrdF64(floor), 0)..))
        };
        let &(key, first_id) = walk.by_ref().find(|&&(_, id)| feasible(id))?;
        let mut best = first_id;
        let mut next = None;
        let mut crowded = false;
        for (seen, &(k, id)) in walk.by_ref().enumerate() {
            if k != key {
                next = Some(id);
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
        let rest: Box<dyn Iterator<Item = u32>> = if crowded {
            best = set
                .range((key, 0)..=(key, u32::MAX))
                .map(|&(_, id)| id)
                .find(|&id| feasible(id))
                .expect("a node at this key is feasible");
            if least {
                Box::new(set.range(..(key, 0)).rev().map(|&(_, id)| id))
            } else {
                Box::new(
                    set.range((Excluded((key, u32::MAX)), Unbounded))
                        .map(|&(_, id)| id),
                )
            }
        } else {
            Box::new(next.into_iter().chain(walk.map(|&(_, id)| id)))
        };
        let score = self.score.score(&nodes[best as usize], &task.demand);
        for id in rest {
            if self.score.score(&nodes[id as usize], &task.demand) < score {
                break;
            }
            if feasible(id) {
                best = best.min(id);
            }
        }
        Some((score, NodeId(best)))
    }
}

impl Placement for AllocatedPlacement {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        let mut best: Option<(f64, NodeId)> = None;
        for set in view.cluster.index().by_free_fraction() {
            if let Some((s, id)) = self.group_best(set, task, view) {
                if best.is_none_or(|(b, bid)| s > b || (s == b && id < bid)) {
                    best = Some((s, id));
                }
            }
        }
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

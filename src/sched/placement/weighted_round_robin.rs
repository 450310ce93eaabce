//! Weighted round-robin, weights proportional to CPU capacity, in the "smooth" form nginx uses: every
//! pick adds each feasible node's weight to its running credit, takes the node with the most credit
//! (lowest id on ties) and charges it the total weight. Over any window the picks are proportional to
//! the weights and interleaved rather than bursty. A scan of the nodes per decision.

use crate::ids::NodeId;
use crate::sched::placement::Placement;
use crate::sched::{PendingTask, View};

/// Smooth weighted round-robin placement.
#[derive(Debug, Default)]
pub struct WeightedRoundRobin {
    credit: Vec<i64>,
}

impl Placement for WeightedRoundRobin {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        let nodes = view.cluster.nodes();
        self.credit.resize(nodes.len(), 0);
        let mut total = 0i64;
        let mut best: Option<NodeId> = None;
        for node in nodes.iter().filter(|n| view.feasible(n, &task.demand)) {
            let weight = node.capacity.cpu_milli.max(1) as i64;
            total += weight;
            self.credit[node.id.index()] += weight;
            if best.is_none_or(|b| self.credit[node.id.index()] > self.credit[b.index()]) {
                best = Some(node.id);
            }
        }
        let chosen = best?;
        self.credit[chosen.index()] -= total;
        Some(chosen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::placement::test_support::{cluster, immediate, task};

    #[test]
    fn picks_are_proportional_to_capacity_and_interleaved() {
        // Capacities 1, 2 and 3 cores: every 6 picks give 1, 2 and 3 tasks.
        let c = cluster(&[(1, 1.0), (1, 2.0), (1, 3.0)]);
        let view = immediate(&c);
        let mut wrr = WeightedRoundRobin::default();
        let picks: Vec<u32> = (0..12)
            .map(|_| wrr.choose(&task(0.5), &view).unwrap().0)
            .collect();
        // Credits (c0, c1, c2) after adding weights 1000, 2000, 3000 and charging 6000 to the pick:
        // (1,2,3)->2, (2,4,0)->1, (3,0,3)->0 (lowest id of the tie), (-2,2,6)->2, (-1,4,3)->1,
        // (0,0,6)->2, then the cycle repeats from zero credit.
        assert_eq!(picks, vec![2, 1, 0, 2, 1, 2, 2, 1, 0, 2, 1, 2]);
        let mut counts = [0; 3];
        for p in picks {
            counts[p as usize] += 1;
        }
        assert_eq!(counts, [2, 4, 6]);
    }
}

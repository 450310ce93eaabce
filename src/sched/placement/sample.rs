//! Candidate sampling shared by every placement that takes `sample = k` (score-based, GPU,
//! completion-time and batch): instead of every node, a decision looks at a fixed number of nodes,
//! so its cost stays flat as the cluster grows (as Sparrow's power of d choices, or Kubernetes'
//! `percentageOfNodesToScore` with a fixed count instead of a share).
//!
//! A sample is `k` uniform draws from the seeded generator (with replacement; repeats are dropped)
//! plus one *anchor*: the first feasible node after a uniformly random position (wrapping around),
//! found in O(log n) through the free-capacity tree under central dispatch. The anchor makes sure a
//! decision finds a node whenever one exists even when every draw is full; it favours nodes after
//! long runs of infeasible ones, a small bias on one candidate out of k + 1. Each placement then
//! discards the candidates it cannot use (not feasible, or for completion-time placements never able
//! to hold the task). Candidates come in ascending id order, so ties still go to the lowest id. When
//! `k` is at least the number of nodes the sample is every node, and the placement is exact.

use crate::cluster::Node;
use crate::rng::{below, SimRng};
use crate::sched::{PendingTask, View};

/// A fixed-size node sampler with its own generator.
#[derive(Debug, Clone)]
pub struct Sampler {
    k: u32,
    rng: SimRng,
}

impl Sampler {
    /// Draws `k` (at least 1) nodes per decision from `rng`.
    pub fn new(k: u32, rng: SimRng) -> Sampler {
        Sampler { k: k.max(1), rng }
    }

    /// The ids of this decision's candidate nodes for `task`, ascending and distinct (see the
    /// module docs).
    pub fn draw(&mut self, task: &PendingTask, view: &View<'_>) -> Vec<u32> {
        let n = view.cluster.len();
        if self.k as usize >= n {
            return (0..n as u32).collect();
        }
        let mut picks: Vec<u32> = (0..self.k)
            .map(|_| below(&mut self.rng, n as u64) as u32)
            .collect();
        let start = below(&mut self.rng, n as u64) as usize;
        let anchor = view
            .first_feasible_from(&task.demand, start)
            .or_else(|| view.first_feasible_from(&task.demand, 0));
        picks.extend(anchor.map(|id| id.0));
        picks.sort_unstable();
        picks.dedup();
        picks
    }
}

/// The nodes one decision looks at: every node (no sampler: exact) or a sample, in id order.
pub fn candidates<'v>(
    sampler: Option<&mut Sampler>,
    task: &PendingTask,
    view: &View<'v>,
) -> Candidates<'v> {
    let nodes = view.cluster.nodes();
    match sampler {
        None => Candidates::All(nodes.iter()),
        Some(s) => Candidates::Sample(nodes, s.draw(task, view).into_iter()),
    }
}

/// Iterator over a decision's candidate nodes (see [`candidates`]).
pub enum Candidates<'v> {
    /// Every node.
    All(std::slice::Iter<'v, Node>),
    /// The sampled ids of these nodes.
    Sample(&'v [Node], std::vec::IntoIter<u32>),
}

impl<'v> Iterator for Candidates<'v> {
    type Item = &'v Node;

    fn next(&mut self) -> Option<&'v Node> {
        match self {
            Candidates::All(it) => it.next(),
            Candidates::Sample(nodes, ids) => ids.next().map(|i| &nodes[i as usize]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::NodeId;
    use crate::rng::stream;
    use crate::sched::placement::test_support::{central, cluster, task};

    #[test]
    fn a_sample_is_distinct_sorted_and_finds_the_only_feasible_node() {
        // 1,000 one-core nodes, all full but node 777: 8 draws almost surely miss it, the anchor
        // never does.
        let mut c = cluster(&[(1000, 1.0)]);
        for i in (0..1000).filter(|&i| i != 777) {
            c.allocate(NodeId(i), &task(1.0).demand).unwrap();
        }
        let view = central(&c);
        let mut s = Sampler::new(8, stream(4, "sample"));
        for _ in 0..500 {
            let ids = s.draw(&task(1.0), &view);
            assert!(ids.len() <= 9 && ids.windows(2).all(|w| w[0] < w[1]));
            assert!(ids.contains(&777), "{ids:?}");
        }
    }

    #[test]
    fn a_sample_as_large_as_the_cluster_is_every_node() {
        let c = cluster(&[(5, 1.0)]);
        let mut s = Sampler::new(5, stream(4, "sample"));
        assert_eq!(s.draw(&task(1.0), &central(&c)), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn the_same_seed_draws_the_same_samples() {
        let c = cluster(&[(500, 2.0)]);
        let draws = |seed: u64| {
            let mut s = Sampler::new(16, stream(seed, "sample"));
            (0..50)
                .map(|_| s.draw(&task(1.0), &central(&c)))
                .collect::<Vec<_>>()
        };
        assert_eq!(draws(1), draws(1));
        assert_ne!(draws(1), draws(2));
    }
}

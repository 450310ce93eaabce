//! Random: a node drawn uniformly among the feasible ones.

use crate::ids::NodeId;
use crate::rng::{below, SimRng};
use crate::sched::placement::Placement;
use crate::sched::{PendingTask, View};

/// Uniform random placement over feasible nodes.
pub struct RandomPlacement {
    rng: SimRng,
}

impl RandomPlacement {
    /// A placement drawing from `rng`.
    pub fn new(rng: SimRng) -> RandomPlacement {
        RandomPlacement { rng }
    }
}

/// Draws a uniformly random feasible node: a few rejection-sampling tries (uniform over the feasible
/// set, and O(1) when most nodes are feasible), then an exact draw from the full feasible list.
pub fn uniform_feasible(rng: &mut SimRng, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
    let nodes = view.cluster.nodes();
    if nodes.is_empty() {
        return None;
    }
    for _ in 0..8 {
        let n = &nodes[below(rng, nodes.len() as u64) as usize];
        if view.feasible(n, &task.demand) {
            return Some(n.id);
        }
    }
    let feasible: Vec<NodeId> = nodes
        .iter()
        .filter(|n| view.feasible(n, &task.demand))
        .map(|n| n.id)
        .collect();
    if feasible.is_empty() {
        None
    } else {
        Some(feasible[below(rng, feasible.len() as u64) as usize])
    }
}

impl Placement for RandomPlacement {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        uniform_feasible(&mut self.rng, task, view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;
    use crate::sched::placement::test_support::{cluster, task};
    use crate::sched::DispatchMode;
    use crate::time::SimTime;

    #[test]
    fn draws_only_feasible_nodes_and_all_of_them() {
        let mut c = cluster(&[(4, 2.0)]);
        c.allocate(NodeId(1), &task(2.0).demand).unwrap();
        let view = View {
            cluster: &c,
            mode: DispatchMode::Central,
            now: SimTime::ZERO,
            running: Default::default(),
        };
        let mut p = RandomPlacement::new(stream(1, "scheduler"));
        let mut counts = [0u32; 4];
        for _ in 0..3000 {
            counts[p.choose(&task(1.0), &view).unwrap().index()] += 1;
        }
        assert_eq!(counts[1], 0, "placed on a full node");
        for i in [0, 2, 3] {
            assert!((900..1100).contains(&counts[i]), "not uniform: {counts:?}");
        }
    }
}

//! Power-of-d choices (Mitzenmacher 2001; Azar et al. 1994): sample d nodes uniformly at random
//! (with replacement, as in the supermarket model) and take the least loaded.
//!
//! "Load" is the number of tasks on the node (running plus locally queued) under immediate dispatch,
//! and the node's dominant utilisation after placement under central dispatch. Infeasible samples are
//! discarded; if none of the d samples is feasible, the first feasible node after a uniformly random
//! position is taken (wrapping around): O(log n) through the free-capacity tree under central
//! dispatch, where a busy cluster often rejects every sample, instead of listing every feasible node.
//! That fallback favours nodes after long runs of full ones; it only serves when all d samples failed.

use crate::ids::NodeId;
use crate::rng::{below, SimRng};
use crate::sched::placement::Placement;
use crate::sched::scoring::dominant_utilisation_after;
use crate::sched::{DispatchMode, PendingTask, View};

/// Power-of-d placement.
pub struct PowerOfD {
    d: u32,
    rng: SimRng,
}

impl PowerOfD {
    /// Samples `d` nodes per decision (d >= 1).
    pub fn new(d: u32, rng: SimRng) -> PowerOfD {
        PowerOfD { d: d.max(1), rng }
    }
}

impl Placement for PowerOfD {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        let nodes = view.cluster.nodes();
        if nodes.is_empty() {
            return None;
        }
        let mut best: Option<(f64, NodeId)> = None;
        for _ in 0..self.d {
            let node = &nodes[below(&mut self.rng, nodes.len() as u64) as usize];
            if !view.feasible(node, &task.demand) {
                continue;
            }
            let load = match view.mode {
                DispatchMode::Immediate => node.load() as f64,
                DispatchMode::Central => dominant_utilisation_after(node, &task.demand),
            };
            // Strict comparison: among equal loads the first sampled wins (a uniformly random one).
            if best.is_none_or(|(b, _)| load < b) {
                best = Some((load, node.id));
            }
        }
        best.map(|(_, id)| id).or_else(|| {
            let start = below(&mut self.rng, nodes.len() as u64) as usize;
            view.first_feasible_from(&task.demand, start)
                .or_else(|| view.first_feasible_from(&task.demand, 0))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;
    use crate::sched::placement::test_support::{cluster, immediate, task};

    #[test]
    fn more_choices_find_the_short_queue_more_often() {
        // Eight nodes, only node 5 idle, the others with 3 tasks queued. One sample finds node 5 one
        // time in 8; two samples 1 - (7/8)^2 = 23% of the time; eight 1 - (7/8)^8 = 66%.
        let mut c = cluster(&[(8, 1.0)]);
        for i in (0..8).filter(|&i| i != 5) {
            c.set_queued(NodeId(i), 3);
        }
        let view = immediate(&c);
        let share = |d: u32| {
            let mut p = PowerOfD::new(d, stream(5, "pod"));
            (0..4000)
                .filter(|_| p.choose(&task(1.0), &view) == Some(NodeId(5)))
                .count() as f64
                / 4000.0
        };
        let (one, two, eight) = (share(1), share(2), share(8));
        assert!((one - 0.125).abs() < 0.02, "d=1: {one}");
        assert!((two - 0.234).abs() < 0.025, "d=2: {two}");
        assert!((eight - 0.656).abs() < 0.025, "d=8: {eight}");
    }

    #[test]
    fn falls_back_to_a_feasible_node_when_every_sample_is_full() {
        // Central dispatch, seven of eight nodes full: one sample misses 7 times in 8, yet a node is
        // always found, and it is the only one with room.
        let mut c = cluster(&[(8, 1.0)]);
        for i in (0..8).filter(|&i| i != 5) {
            c.allocate(NodeId(i), &task(1.0).demand).unwrap();
        }
        let view = View {
            cluster: &c,
            mode: DispatchMode::Central,
            now: crate::time::SimTime::ZERO,
            running: Default::default(),
        };
        let mut p = PowerOfD::new(1, stream(9, "pod"));
        for _ in 0..200 {
            assert_eq!(p.choose(&task(1.0), &view), Some(NodeId(5)));
        }
        // Nothing fits a 2-core task: no node, rather than a wrong one.
        assert_eq!(p.choose(&task(2.0), &view), None);
    }
}

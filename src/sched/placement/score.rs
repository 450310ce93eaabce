//! Score-based placement: filter feasible nodes, score each with a weighted sum of scoring functions,
//! take the best (ties: lowest node id). A full scan of the nodes per task.

use crate::ids::NodeId;
use crate::sched::placement::Placement;
use crate::sched::scoring::ScoreFn;
use crate::sched::{PendingTask, View};

/// Weighted-sum score placement.
#[derive(Debug, Clone)]
pub struct ScorePlacement {
    scores: Vec<(ScoreFn, f64)>,
}

impl ScorePlacement {
    /// A placement maximising `sum(weight * fn(node, demand))`.
    pub fn new(scores: Vec<(ScoreFn, f64)>) -> ScorePlacement {
        ScorePlacement { scores }
    }
}

impl Placement for ScorePlacement {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        super::argmin_feasible(task, view, |node| {
            -self
                .scores
                .iter()
                .map(|(f, w)| w * f.score(node, &task.demand))
                .sum::<f64>()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::placement::test_support::{cluster, task};
    use crate::sched::DispatchMode;
    use crate::time::SimTime;

    #[test]
    fn least_allocated_spreads_and_most_allocated_packs() {
        let mut c = cluster(&[(3, 4.0)]);
        c.allocate(NodeId(0), &task(3.0).demand).unwrap();
        c.allocate(NodeId(1), &task(1.0).demand).unwrap();
        let view = View {
            cluster: &c,
            mode: DispatchMode::Central,
            now: SimTime::ZERO,
        };
        let mut spread = ScorePlacement::new(vec![(ScoreFn::LeastAllocated, 1.0)]);
        let mut pack = ScorePlacement::new(vec![(ScoreFn::MostAllocated, 1.0)]);
        assert_eq!(spread.choose(&task(1.0), &view), Some(NodeId(2)));
        assert_eq!(pack.choose(&task(1.0), &view), Some(NodeId(0)));
        // A 2-core task no longer fits node 0: packing takes the fullest node that fits.
        assert_eq!(pack.choose(&task(2.0), &view), Some(NodeId(1)));
    }
}

//! Join the shortest queue: the feasible node with the fewest tasks (running plus queued); ties go to
//! the lowest node id. Walks the cluster's load index from the least-loaded node, so a decision costs
//! O(log n) plus the infeasible nodes skipped, not a scan.

use crate::ids::NodeId;
use crate::sched::placement::Placement;
use crate::sched::{PendingTask, View};

/// JSQ placement.
#[derive(Debug, Default)]
pub struct JoinShortestQueue;

impl Placement for JoinShortestQueue {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        let nodes = view.cluster.nodes();
        view.cluster
            .index()
            .by_load()
            .iter()
            .map(|&(_, id)| &nodes[id as usize])
            .find(|n| view.feasible(n, &task.demand))
            .map(|n| n.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::placement::test_support::{cluster, task};
    use crate::sched::DispatchMode;
    use crate::time::SimTime;

    #[test]
    fn picks_the_node_with_fewest_tasks() {
        let mut c = cluster(&[(3, 1.0)]);
        c.set_queued(NodeId(0), 2);
        c.set_queued(NodeId(1), 1);
        c.set_queued(NodeId(2), 1);
        let view = View {
            cluster: &c,
            mode: DispatchMode::Immediate,
            now: SimTime::ZERO,
            running: Default::default(),
        };
        assert_eq!(JoinShortestQueue.choose(&task(1.0), &view), Some(NodeId(1)));
    }
}

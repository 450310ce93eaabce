//! Weighted least connections (the LVS `wlc` scheduler): the feasible node with the fewest tasks
//! (running plus queued) per core of capacity, so a node twice as large is given twice the tasks;
//! ties go to the lowest node id. Compared exactly in integers. A scan of the nodes per decision.

use crate::ids::NodeId;
use crate::sched::placement::Placement;
use crate::sched::{PendingTask, View};

/// Weighted least-connections placement.
#[derive(Debug, Default)]
pub struct LeastConnections;

impl Placement for LeastConnections {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        let mut best: Option<(u64, u64, NodeId)> = None;
        for node in view
            .cluster
            .nodes()
            .iter()
            .filter(|n| view.feasible(n, &task.demand))
        {
            let (load, weight) = (u64::from(node.load()), node.capacity.cpu_milli.max(1));
            // load / weight < best_load / best_weight, cross-multiplied (no rounding).
            if best.is_none_or(|(bl, bw, _)| load * bw < bl * weight) {
                best = Some((load, weight, node.id));
            }
        }
        best.map(|(_, _, id)| id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::placement::test_support::{cluster, immediate, task};

    #[test]
    fn divides_connections_by_capacity() {
        // Node 0: 2 cores with 1 task (0.5 per core); node 1: 8 cores with 3 tasks (0.375 per core).
        let mut c = cluster(&[(1, 2.0), (1, 8.0), (1, 2.0)]);
        c.set_queued(NodeId(0), 1);
        c.set_queued(NodeId(1), 3);
        c.set_queued(NodeId(2), 1);
        assert_eq!(
            LeastConnections.choose(&task(1.0), &immediate(&c)),
            Some(NodeId(1))
        );
        // At 4 tasks node 1 has 0.5 per core, tied with nodes 0 and 2: lowest id.
        c.set_queued(NodeId(1), 4);
        assert_eq!(
            LeastConnections.choose(&task(1.0), &immediate(&c)),
            Some(NodeId(0))
        );
    }
}

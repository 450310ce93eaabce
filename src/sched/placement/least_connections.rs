//! Weighted least connections (the LVS `wlc` scheduler): the feasible node with the fewest tasks
//! (running plus queued) per core of capacity, so a node twice as large is given twice the tasks;
//! ties go to the lowest node id. Compared exactly in integers.
//!
//! Every node of a group has the same capacity, so within a group the rule is "fewest tasks, then
//! lowest id": the first feasible node of the group's `(tasks, id)` index. The best of those over
//! groups wins, exactly what a scan of every node picks, at O(groups × log n) when the least-loaded
//! nodes of each group are feasible (the walk goes on past infeasible ones).

use crate::ids::NodeId;
use crate::sched::placement::Placement;
use crate::sched::{PendingTask, View};

/// Weighted least-connections placement.
#[derive(Debug, Default)]
pub struct LeastConnections;

impl Placement for LeastConnections {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        let nodes = view.cluster.nodes();
        let mut best: Option<(u64, u64, NodeId)> = None;
        for set in view.cluster.index().by_group_load() {
            let Some(&(load, id)) = set
                .iter()
                .find(|&&(_, id)| view.feasible(&nodes[id as usize], &task.demand))
            else {
                continue;
            };
            let (load, weight) = (
                u64::from(load),
                nodes[id as usize].capacity.cpu_milli.max(1),
            );
            let id = NodeId(id);
            // load / weight against best_load / best_weight, cross-multiplied (no rounding); ties
            // to the lower id.
            if best.is_none_or(|(bl, bw, bid)| (load * bw, id) < (bl * weight, bid)) {
                best = Some((load, weight, id));
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

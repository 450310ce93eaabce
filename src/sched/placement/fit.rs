//! Best fit and worst fit by CPU left over (the bin-packing classics, as DSLab's `BestFit` ranks hosts
//! by CPU): best fit takes the feasible node with the fewest cores free, worst fit the one with the
//! most; ties go to the lowest node id. Both walk the cluster's free-CPU index instead of scanning:
//! best fit starts at the first node with enough free CPU, worst fit at the node with the most (then
//! looks up the lowest id at that amount, so many tied empty nodes cost O(log n), not a walk).

use crate::ids::NodeId;
use crate::sched::placement::Placement;
use crate::sched::{DispatchMode, PendingTask, View};

/// Best-fit placement (tightest node by free CPU).
#[derive(Debug, Default)]
pub struct BestFit;

/// Worst-fit placement (loosest node by free CPU).
#[derive(Debug, Default)]
pub struct WorstFit;

impl Placement for BestFit {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        let nodes = view.cluster.nodes();
        // Under immediate dispatch a node with too little free CPU now may still queue the task.
        let least = match view.mode {
            DispatchMode::Central => task.demand.cpu_milli,
            DispatchMode::Immediate => 0,
        };
        view.cluster
            .index()
            .by_free_cpu()
            .range((least, 0)..)
            .map(|&(_, id)| &nodes[id as usize])
            .find(|n| view.feasible(n, &task.demand))
            .map(|n| n.id)
    }
}

impl Placement for WorstFit {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        let nodes = view.cluster.nodes();
        let index = view.cluster.index().by_free_cpu();
        // The most free CPU among feasible nodes, walking down from the top ...
        let &(most, _) = index
            .iter()
            .rev()
            .find(|&&(_, id)| view.feasible(&nodes[id as usize], &task.demand))?;
        // ... then the lowest id at that amount (equal keys are in id order going up).
        index
            .range((most, 0)..=(most, u32::MAX))
            .map(|&(_, id)| NodeId(id))
            .find(|&id| view.feasible(view.cluster.node(id), &task.demand))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::placement::test_support::{central, cluster, task};

    #[test]
    fn best_fit_takes_the_tightest_node_that_fits() {
        // Free cores after setup: node 0: 4, node 1: 1, node 2: 2, node 3: 2.
        let mut c = cluster(&[(4, 4.0)]);
        c.allocate(NodeId(1), &task(3.0).demand).unwrap();
        c.allocate(NodeId(2), &task(2.0).demand).unwrap();
        c.allocate(NodeId(3), &task(2.0).demand).unwrap();
        let view = central(&c);
        assert_eq!(BestFit.choose(&task(1.0), &view), Some(NodeId(1)));
        // Node 1 is too small for 1.5 cores; nodes 2 and 3 tie at 2 free: lowest id.
        assert_eq!(BestFit.choose(&task(1.5), &view), Some(NodeId(2)));
        assert_eq!(BestFit.choose(&task(3.0), &view), Some(NodeId(0)));
        assert_eq!(BestFit.choose(&task(5.0), &view), None);
    }

    #[test]
    fn worst_fit_takes_the_loosest_node_lowest_id_on_ties() {
        let mut c = cluster(&[(4, 4.0)]);
        c.allocate(NodeId(0), &task(3.0).demand).unwrap();
        c.allocate(NodeId(1), &task(1.0).demand).unwrap();
        let view = central(&c);
        // Nodes 2 and 3 both have 4 cores free.
        assert_eq!(WorstFit.choose(&task(1.0), &view), Some(NodeId(2)));
        c.allocate(NodeId(2), &task(1.0).demand).unwrap();
        assert_eq!(WorstFit.choose(&task(1.0), &central(&c)), Some(NodeId(3)));
        c.set_schedulable(NodeId(3), false);
        assert_eq!(WorstFit.choose(&task(1.0), &central(&c)), Some(NodeId(1)));
    }
}

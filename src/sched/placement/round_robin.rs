//! Round-robin: the next feasible node after the one chosen last, cycling through node ids.

use crate::ids::NodeId;
use crate::sched::placement::Placement;
use crate::sched::{PendingTask, View};

/// Round-robin placement.
#[derive(Debug, Default)]
pub struct RoundRobin {
    next: usize,
}

impl Placement for RoundRobin {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        let chosen = view
            .first_feasible_from(&task.demand, self.next)
            .or_else(|| view.first_feasible_from(&task.demand, 0))?;
        self.next = chosen.index() + 1;
        Some(chosen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::placement::test_support::{cluster, task};
    use crate::sched::DispatchMode;
    use crate::time::SimTime;

    #[test]
    fn cycles_through_nodes_skipping_full_ones() {
        let mut c = cluster(&[(3, 4.0)]);
        c.allocate(NodeId(1), &task(4.0).demand).unwrap();
        let view = View {
            cluster: &c,
            mode: DispatchMode::Central,
            now: SimTime::ZERO,
            running: Default::default(),
        };
        let mut rr = RoundRobin::default();
        let picks: Vec<u32> = (0..5)
            .map(|_| rr.choose(&task(1.0), &view).unwrap().0)
            .collect();
        assert_eq!(picks, vec![0, 2, 0, 2, 0]);
    }
}

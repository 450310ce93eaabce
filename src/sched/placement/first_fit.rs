//! First-fit: the lowest-numbered node with room. Uses the cluster's free-capacity tree in central mode.

use crate::ids::NodeId;
use crate::sched::placement::Placement;
use crate::sched::{PendingTask, View};

/// First-fit placement.
#[derive(Debug, Default)]
pub struct FirstFit;

impl Placement for FirstFit {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        view.first_feasible_from(&task.demand, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::placement::test_support::{cluster, task};
    use crate::sched::DispatchMode;
    use crate::time::SimTime;

    #[test]
    fn takes_the_lowest_numbered_node_with_room() {
        let mut c = cluster(&[(1, 1.0), (2, 4.0)]);
        let view = View {
            cluster: &c,
            mode: DispatchMode::Central,
            now: SimTime::ZERO,
            running: Default::default(),
        };
        assert_eq!(FirstFit.choose(&task(2.0), &view), Some(NodeId(1)));
        c.allocate(NodeId(1), &task(3.0).demand).unwrap();
        let view = View {
            cluster: &c,
            mode: DispatchMode::Central,
            now: SimTime::ZERO,
            running: Default::default(),
        };
        assert_eq!(FirstFit.choose(&task(2.0), &view), Some(NodeId(2)));
        assert_eq!(FirstFit.choose(&task(0.5), &view), Some(NodeId(0)));
        assert_eq!(FirstFit.choose(&task(5.0), &view), None);
    }
}

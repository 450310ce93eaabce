//! Placement algorithms: pick one node for one task. A placement returns `None` only when no feasible
//! node exists (schedulers rely on this to skip tasks that failed before when no capacity was freed).

mod first_fit;
mod jsq;
mod power_of_d;
mod random;
mod round_robin;
mod score;

pub use first_fit::FirstFit;
pub use jsq::JoinShortestQueue;
pub use power_of_d::PowerOfD;
pub use random::RandomPlacement;
pub use round_robin::RoundRobin;
pub use score::ScorePlacement;

use crate::ids::NodeId;
use crate::sched::{PendingTask, View};

/// Chooses a node for a task.
pub trait Placement: Send {
    /// A feasible node for `task`, or `None` if there is none.
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId>;
}

/// Among feasible nodes, the one with the lowest `key` (ties: lowest node id). A full scan.
pub fn argmin_feasible<K: PartialOrd>(
    task: &PendingTask,
    view: &View<'_>,
    mut key: impl FnMut(&crate::cluster::Node) -> K,
) -> Option<NodeId> {
    let mut best: Option<(K, NodeId)> = None;
    for node in view
        .cluster
        .nodes()
        .iter()
        .filter(|n| view.feasible(n, &task.demand))
    {
        let k = key(node);
        if best.as_ref().is_none_or(|(b, _)| k < *b) {
            best = Some((k, node.id));
        }
    }
    best.map(|(_, id)| id)
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::cluster::{Cluster, NodeGroup};
    use crate::ids::TaskId;
    use crate::resources::Resources;
    use crate::sched::PendingTask;
    use crate::time::{SimDuration, SimTime};

    /// A cluster of groups given as (count, cores).
    pub fn cluster(groups: &[(u32, f64)]) -> Cluster {
        let groups: Vec<NodeGroup> = groups
            .iter()
            .enumerate()
            .map(|(i, &(count, cpu))| NodeGroup {
                name: format!("g{i}"),
                count,
                capacity: Resources::new(cpu, 1 << 30, 1 << 30),
                speed: 1.0,
                domain: format!("g{i}"),
            })
            .collect();
        Cluster::new(&groups)
    }

    /// A task needing `cpu` cores.
    pub fn task(cpu: f64) -> PendingTask {
        PendingTask {
            handle: 0,
            id: TaskId(0),
            arrival: SimTime::ZERO,
            demand: Resources::new(cpu, 0, 0),
            estimate: SimDuration::from_secs(1),
            priority: 0,
            user: 0,
            deadline: None,
            attempt: 0,
        }
    }
}

//! Placement algorithms: pick one node for one task. A placement returns `None` when no feasible
//! node exists, or (completion-time placements only) when the task is better off waiting for a busy
//! node; either way the answer cannot change until capacity is freed, which is what lets schedulers
//! skip tasks that failed before when no capacity was freed.

mod allocated;
mod completion;
mod first_fit;
mod fit;
mod gpu;
mod jsq;
mod least_connections;
mod power_of_d;
mod random;
mod round_robin;
mod sample;
mod score;
mod stride;
mod weighted_round_robin;

#[cfg(test)]
mod equivalence;

pub use allocated::AllocatedPlacement;
pub use completion::CompletionTime;
pub use first_fit::FirstFit;
pub use fit::{BestFit, WorstFit};
pub use gpu::{Fgd, GpuBestFit, GpuDotProduct, GpuWorstFit};
pub use jsq::JoinShortestQueue;
pub use least_connections::LeastConnections;
pub use power_of_d::PowerOfD;
pub use random::RandomPlacement;
pub use round_robin::RoundRobin;
pub use sample::{candidates, Candidates, Sampler};
pub use score::{Filter, ScorePlacement, MIN_SAMPLED_NODES};
pub use stride::Stride;
pub use weighted_round_robin::WeightedRoundRobin;

use crate::ids::NodeId;
use crate::sched::{PendingTask, Session, View};

/// Chooses a node for a task.
pub trait Placement: Send {
    /// Called once at the start of every decision point, before any [`Placement::choose`], so a
    /// placement can reset what it keeps per decision point (completion-time placements open their
    /// profiles here) or read the whole session.
    fn begin(&mut self, _session: &Session<'_>) {}

    /// A node for `task` (see the module docs for when it may be `None`). Every scheduler assigns the
    /// node returned, so a placement may record the choice as made.
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId>;

    /// Whether it reads the running tasks by node ([`crate::sched::RunningView::releases_on`]);
    /// the driver keeps that index only when the scheduler does.
    fn reads_running_by_node(&self) -> bool {
        false
    }
}

/// Among feasible nodes, the one with the lowest `key` (ties: lowest node id). A full scan.
pub fn argmin_feasible<K: PartialOrd>(
    task: &PendingTask,
    view: &View<'_>,
    key: impl FnMut(&crate::cluster::Node) -> K,
) -> Option<NodeId> {
    argmin_among(view.cluster.nodes().iter(), task, view, key)
}

/// Among the feasible nodes of `nodes` (in ascending id order), the one with the lowest `key` (ties:
/// lowest node id).
pub fn argmin_among<'v, K: PartialOrd>(
    nodes: impl Iterator<Item = &'v crate::cluster::Node>,
    task: &PendingTask,
    view: &View<'_>,
    mut key: impl FnMut(&crate::cluster::Node) -> K,
) -> Option<NodeId> {
    let mut best: Option<(K, NodeId)> = None;
    for node in nodes.filter(|n| view.feasible(n, &task.demand)) {
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
    use crate::ids::{NodeId, TaskId};
    use crate::resources::Resources;
    use crate::sched::{DispatchMode, PendingTask, RunningTask, Session, View};
    use crate::time::{SimDuration, SimTime};

    /// A cluster of groups given as (count, cores).
    pub fn cluster(groups: &[(u32, f64)]) -> Cluster {
        let groups: Vec<(u32, f64, f64)> = groups.iter().map(|&(n, c)| (n, c, 1.0)).collect();
        cluster_with_speeds(&groups)
    }

    /// A cluster of groups given as (count, cores, speed).
    pub fn cluster_with_speeds(groups: &[(u32, f64, f64)]) -> Cluster {
        let groups: Vec<NodeGroup> = groups
            .iter()
            .enumerate()
            .map(|(i, &(count, cpu, speed))| NodeGroup {
                name: format!("g{i}"),
                count,
                capacity: Resources::new(cpu, 1 << 30, 1 << 30),
                speed,
                domain: format!("g{i}"),
                start_delay: None,
                power: None,
                gpu_model: None,
            })
            .collect();
        Cluster::new(&groups)
    }

    /// A central-dispatch decision point at time zero that looks at the whole queue.
    pub fn central_session<'a>(
        c: &'a mut Cluster,
        pending: &'a [PendingTask],
        running: &'a [RunningTask],
    ) -> Session<'a> {
        Session::new(
            SimTime::ZERO,
            DispatchMode::Central,
            c,
            pending,
            running,
            0,
            true,
        )
    }

    /// A central-dispatch view at time zero.
    pub fn central(c: &Cluster) -> View<'_> {
        View {
            cluster: c,
            mode: DispatchMode::Central,
            now: SimTime::ZERO,
            running: Default::default(),
        }
    }

    /// An immediate-dispatch view at time zero.
    pub fn immediate(c: &Cluster) -> View<'_> {
        View {
            cluster: c,
            mode: DispatchMode::Immediate,
            now: SimTime::ZERO,
            running: Default::default(),
        }
    }

    /// A task needing `cpu` cores for `secs` seconds at speed 1, with handle and id `n`.
    pub fn job(n: u32, cpu: f64, secs: u64) -> PendingTask {
        PendingTask {
            handle: n,
            id: TaskId(u64::from(n)),
            estimate: SimDuration::from_secs(secs),
            ..task(cpu)
        }
    }

    /// Allocates `demand` on `node` of `c` and describes it as a running task ending at `end_secs`.
    pub fn run_on(c: &mut Cluster, node: u32, cpu: f64, end_secs: u64) -> RunningTask {
        let demand = Resources::new(cpu, 0, 0);
        c.allocate(NodeId(node), &demand).unwrap();
        RunningTask {
            handle: 1000 + node,
            id: TaskId(1000 + u64::from(node)),
            node: NodeId(node),
            demand,
            gpus: crate::cluster::GpuSet::NONE,
            start: SimTime::ZERO,
            expected_end: SimTime::ZERO + SimDuration::from_secs(end_secs),
            priority: 0,
            user: 0,
        }
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

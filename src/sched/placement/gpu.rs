//! GPU-aware placements, for clusters whose tasks ask for GPUs (shares of one GPU or whole GPUs):
//! best fit and worst fit by the CPU and GPU a node has left, Tetris' dot product with the GPU as a
//! dimension, and FGD, fragmentation gradient descent (Weng et al., "Beware of Fragmentation:
//! Scheduling GPU-Sharing Workloads with Fragmentation Gradient Descent", USENIX ATC 2023). Every one
//! scans the feasible nodes; ties go to the lowest node id. Within the chosen node a share goes on
//! the GPU [`crate::cluster::Cluster::gpu_choice`] picks: the tightest one, or for FGD the one that
//! fragments least.

use crate::cluster::{Cluster, Node};
use crate::ids::NodeId;
use crate::resources::Resources;
use crate::sched::placement::{argmin_feasible, Placement};
use crate::sched::{PendingTask, View};

/// What a node would have left of its CPU and of its GPUs once `demand` is placed, each as a
/// fraction of the node's capacity (a node without GPUs counts only its CPU).
fn left_after(node: &Node, demand: &Resources) -> f64 {
    let fraction = |free: u64, used: u64, cap: u64| {
        if cap == 0 {
            0.0
        } else {
            free.saturating_sub(used) as f64 / cap as f64
        }
    };
    let free = node.free();
    fraction(free.cpu_milli, demand.cpu_milli, node.capacity.cpu_milli)
        + fraction(
            node.gpus.total_free(),
            demand.gpu_milli,
            node.capacity.gpu_milli,
        )
}

/// GPU best fit: the feasible node with the least CPU and GPU left after placement (the sum of the
/// two fractions left), packing GPU tasks onto the GPUs already in use.
#[derive(Debug, Default)]
pub struct GpuBestFit;

impl Placement for GpuBestFit {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        argmin_feasible(task, view, |n| OrdF64(left_after(n, &task.demand)))
    }
}

/// GPU worst fit: the feasible node with the most CPU and GPU left after placement.
#[derive(Debug, Default)]
pub struct GpuWorstFit;

impl Placement for GpuWorstFit {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        argmin_feasible(task, view, |n| OrdF64(-left_after(n, &task.demand)))
    }
}

/// Tetris' alignment with the GPU as a fourth dimension: the feasible node maximising
/// `sum_r (demand_r / cap_r) (free_r / cap_r)` over CPU, memory and GPU (free GPU: the sum of the
/// GPUs' free shares); dimensions a node lacks count 0.
#[derive(Debug, Default)]
pub struct GpuDotProduct;

fn alignment(node: &Node, demand: &Resources) -> f64 {
    let free = node.free();
    let term = |d: u64, f: u64, cap: u64| {
        if cap == 0 {
            0.0
        } else {
            (d as f64 / cap as f64) * (f as f64 / cap as f64)
        }
    };
    term(demand.cpu_milli, free.cpu_milli, node.capacity.cpu_milli)
        + term(demand.memory, free.memory, node.capacity.memory)
        + term(
            demand.gpu_milli,
            node.gpus.total_free(),
            node.capacity.gpu_milli,
        )
}

impl Placement for GpuDotProduct {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        argmin_feasible(task, view, |n| OrdF64(-alignment(n, &task.demand)))
    }
}

/// FGD: the feasible node whose expected fragmentation grows least when the task is placed on it
/// (on the GPU that fragments least), `F_n'(M) - F_n(M)` with `F` as
/// [`crate::cluster::TaskMix::fragmentation`] and `M` the demands arrived so far. A CPU-only task
/// goes where it strands the fewest GPUs (a node without GPUs costs nothing). Each node's current
/// fragmentation is cached until the node or the mix changes.
#[derive(Debug, Default)]
pub struct Fgd {
    /// Per node: (its change count, the mix's arrival count, its fragmentation then).
    cache: Vec<(u64, u64, f64)>,
}

impl Fgd {
    fn current(&mut self, cluster: &Cluster, node: &Node, arrivals: u64) -> f64 {
        let i = node.id.index();
        if self.cache.len() < cluster.len() {
            self.cache.resize(cluster.len(), (u64::MAX, u64::MAX, 0.0));
        }
        let (changes, seen, f) = self.cache[i];
        if changes == node.changes && seen == arrivals {
            return f;
        }
        let f = cluster.node_fragmentation(node.id);
        self.cache[i] = (node.changes, arrivals, f);
        f
    }
}

impl Placement for Fgd {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        let cluster = view.cluster;
        let arrivals = cluster.mix().map_or(0, |m| m.total());
        let mut best: Option<(f64, NodeId)> = None;
        for node in cluster
            .nodes()
            .iter()
            .filter(|n| view.feasible(n, &task.demand))
        {
            let Some(gpus) = cluster.gpu_choice(node.id, &task.demand) else {
                continue;
            };
            let before = self.current(cluster, node, arrivals);
            let delta = cluster.fragmentation_after(node.id, &task.demand, gpus) - before;
            if best.is_none_or(|(b, _)| delta < b) {
                best = Some((delta, node.id));
            }
        }
        best.map(|(_, id)| id)
    }
}

/// A float ordered by `partial_cmp` (the keys here are finite).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
struct OrdF64(f64);

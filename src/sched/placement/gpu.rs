//! GPU-aware placements, for clusters whose tasks ask for GPUs (shares of one GPU or whole GPUs):
//! best fit and worst fit by the CPU and GPU a node has left, Tetris' dot product with the GPU as a
//! dimension, and FGD, fragmentation gradient descent (Weng et al., "Beware of Fragmentation:
//! Scheduling GPU-Sharing Workloads with Fragmentation Gradient Descent", USENIX ATC 2023). Every one
//! scans the feasible nodes, or with a [`Sampler`] (`sample = k`) a fixed-size sample of them; ties
//! go to the lowest node id. Within the chosen node a share goes on
//! the GPU [`crate::cluster::Cluster::gpu_choice`] picks: the tightest one, or for FGD the one that
//! fragments least.

use crate::cluster::{Cluster, Node};
use crate::ids::NodeId;
use crate::resources::Resources;
use crate::sched::placement::{argmin_among, candidates, Placement, Sampler};
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
pub struct GpuBestFit {
    /// Candidate sampling (`None`: every node).
    pub sample: Option<Sampler>,
}

impl Placement for GpuBestFit {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        let nodes = candidates(self.sample.as_mut(), task, view);
        argmin_among(nodes, task, view, |n| OrdF64(left_after(n, &task.demand)))
    }
}

/// GPU worst fit: the feasible node with the most CPU and GPU left after placement.
#[derive(Debug, Default)]
pub struct GpuWorstFit {
    /// Candidate sampling (`None`: every node).
    pub sample: Option<Sampler>,
}

impl Placement for GpuWorstFit {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        let nodes = candidates(self.sample.as_mut(), task, view);
        argmin_among(nodes, task, view, |n| OrdF64(-left_after(n, &task.demand)))
    }
}

/// Tetris' alignment with the GPU as a fourth dimension: the feasible node maximising
/// `sum_r (demand_r / cap_r) (free_r / cap_r)` over CPU, memory and GPU (free GPU: the sum of the
/// GPUs' free shares); dimensions a node lacks count 0.
#[derive(Debug, Default)]
pub struct GpuDotProduct {
    /// Candidate sampling (`None`: every node).
    pub sample: Option<Sampler>,
}

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
        let nodes = candidates(self.sample.as_mut(), task, view);
        argmin_among(nodes, task, view, |n| OrdF64(-alignment(n, &task.demand)))
    }
}

/// FGD: the feasible node whose expected fragmentation grows least when the task is placed on it
/// (on the GPU that fragments least), `F_n'(M) - F_n(M)` with `F` as
/// [`crate::cluster::TaskMix::fragmentation`] and `M` the demands arrived so far. A CPU-only task
/// goes where it strands the fewest GPUs (a node without GPUs costs nothing). Ties, common when
/// no GPU changes (a CPU-only task on any roomy node), go to the node best fit would take (least
/// CPU and GPU left after placement, so CPU-only tasks fill the nodes without GPUs first), then to
/// the lowest id; Kubernetes, where FGD was built, breaks ties at random instead. Each node's
/// current fragmentation is cached until the node or the mix changes.
#[derive(Debug, Default)]
pub struct Fgd {
    /// Per node: (its change count, the mix's arrival count, its fragmentation then).
    cache: Vec<(u64, u64, f64)>,
    sample: Option<Sampler>,
}

impl Fgd {
    /// Looks only at the nodes `sampler` draws per decision (see [`Sampler`]); `None`: every node.
    pub fn with_sample(mut self, sampler: Option<Sampler>) -> Fgd {
        self.sample = sampler;
        self
    }

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
        // (fragmentation growth, CPU and GPU left after, node); the growth is compared to within
        // TIE thousandths of a GPU, so float noise does not decide.
        let mut best: Option<(f64, f64, NodeId)> = None;
        for node in
            candidates(self.sample.as_mut(), task, view).filter(|n| view.feasible(n, &task.demand))
        {
            let Some((_, after)) = cluster.gpu_choice_and_fragmentation(node.id, &task.demand)
            else {
                continue;
            };
            let delta = after - self.current(cluster, node, arrivals);
            let left = left_after(node, &task.demand);
            let better = match best {
                None => true,
                Some((b, _, _)) if delta < b - TIE => true,
                Some((b, l, _)) => delta <= b + TIE && left < l,
            };
            if better {
                best = Some((delta, left, node.id));
            }
        }
        best.map(|(_, _, id)| id)
    }
}

/// Fragmentation growths closer than this (thousandths of a GPU) are a tie.
const TIE: f64 = 1e-6;

/// A float ordered by `partial_cmp` (the keys here are finite).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
struct OrdF64(f64);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Cluster, GpuSet, NodeGroup};
    use crate::resources::GpuModels;
    use crate::sched::placement::test_support::{central, task};

    /// `nodes` nodes of 8 cores and `gpus` GPUs each.
    fn gpu_cluster(nodes: u32, gpus: u64) -> Cluster {
        Cluster::new(&[NodeGroup {
            name: "g".into(),
            count: nodes,
            capacity: Resources::new(8.0, 1 << 30, 0).with_gpu(gpus * 1000, GpuModels::only(0)),
            speed: 1.0,
            domain: "g".into(),
            start_delay: None,
            power: None,
            gpu_model: Some("gpu".into()),
        }])
    }

    fn gpu_task(cpu: f64, gpu_milli: u64) -> PendingTask {
        PendingTask {
            demand: Resources::new(cpu, 0, 0).with_gpu(gpu_milli, GpuModels::ANY),
            ..task(cpu)
        }
    }

    /// Two 1-GPU nodes; node 0's GPU has 0.5 allocated. The mix is all 0.5-GPU tasks. A new
    /// 0.5 share on node 0 fills its GPU: F goes from 0 (the 0.5 free still fits a 0.5 task) to 0,
    /// and node 1 stays whole: delta 0. On node 1 it leaves 0.5 free, which a 0.5 task can still
    /// use: delta 0 as well, so the tie goes to node 0. Now make the mix 0.6-GPU tasks: node 0's
    /// free 0.5 is already a fragment (F = 500); placing there takes it (F = 0, delta -500), while
    /// node 1 would go from 0 to 500 (delta +500). FGD takes node 0; a spreading placement node 1.
    #[test]
    fn fgd_fills_the_gpu_whose_remainder_no_task_could_use() {
        let mut c = gpu_cluster(2, 1);
        c.set_gpu_pick(crate::cluster::GpuPick::LeastFragmentation);
        c.allocate_on(NodeId(0), &gpu_task(1.0, 500).demand, GpuSet(1))
            .unwrap();
        for _ in 0..10 {
            c.note_arrival(&gpu_task(1.0, 600).demand);
        }
        assert_eq!(c.node_fragmentation(NodeId(0)), 500.0);
        assert_eq!(c.node_fragmentation(NodeId(1)), 0.0);
        let t = gpu_task(1.0, 500);
        assert_eq!(
            c.fragmentation_after(NodeId(1), &t.demand, GpuSet(1)),
            500.0
        );
        assert_eq!(c.fragmentation_after(NodeId(0), &t.demand, GpuSet(1)), 0.0);
        assert_eq!(Fgd::default().choose(&t, &central(&c)), Some(NodeId(0)));
        assert_eq!(
            GpuWorstFit::default().choose(&t, &central(&c)),
            Some(NodeId(1))
        );
        assert_eq!(
            GpuBestFit::default().choose(&t, &central(&c)),
            Some(NodeId(0))
        );
    }

    /// A CPU-only task strands GPUs when it takes the CPUs a GPU task needs: with a mix of
    /// (4 cores, 1 GPU) tasks, putting a 6-core task on the GPU node leaves 2 cores, so its idle GPU
    /// can no longer be used (F from 0 to 1000); on the CPU-only node F stays 0. FGD sends it to the
    /// CPU-only node even though that node is listed second.
    #[test]
    fn fgd_keeps_cpu_tasks_off_the_cpus_gpu_tasks_need() {
        let mut groups = vec![NodeGroup {
            name: "gpu".into(),
            count: 1,
            capacity: Resources::new(8.0, 1 << 30, 0).with_gpu(1000, GpuModels::only(0)),
            speed: 1.0,
            domain: "g".into(),
            start_delay: None,
            power: None,
            gpu_model: Some("gpu".into()),
        }];
        groups.push(NodeGroup {
            name: "cpu".into(),
            capacity: Resources::new(8.0, 1 << 30, 0),
            gpu_model: None,
            ..groups[0].clone()
        });
        let mut c = Cluster::new(&groups);
        c.note_arrival(&gpu_task(4.0, 1000).demand);
        let t = task(6.0);
        assert_eq!(
            c.fragmentation_after(NodeId(0), &t.demand, GpuSet::NONE),
            1000.0
        );
        assert_eq!(Fgd::default().choose(&t, &central(&c)), Some(NodeId(1)));
        assert_eq!(
            crate::sched::placement::FirstFit.choose(&t, &central(&c)),
            Some(NodeId(0))
        );
    }
}

//! The workload's mix of demands, as the fragmentation measure of Weng et al. (USENIX ATC 2023,
//! "Beware of Fragmentation: Scheduling GPU-Sharing Workloads with Fragmentation Gradient Descent")
//! needs it: each distinct (CPU, GPU, GPU models) demand with the share of arrived tasks that asked
//! for it. As in the paper, a task's demand here is its CPU and GPUs: memory and disk are left out
//! (the trace's memory demands would multiply the kinds, and the cost, without changing which GPUs
//! are stranded). simctl learns it online, from the tasks that have arrived so far (no look-ahead):
//! with a stationary workload it converges to the workload's distribution.

use std::collections::HashMap;

use crate::cluster::GpuSlots;
use crate::resources::{Resources, GPU_MILLI};

/// Arrived demands by kind, with counts.
#[derive(Debug, Clone, Default)]
pub struct TaskMix {
    /// Each kind's demand (CPU, GPU and models; memory and disk are zero) and count, in a fixed
    /// order (first arrival) so that sums are the same on every run.
    kinds: Vec<(Resources, u64)>,
    /// Where each kind is in `kinds`.
    index: HashMap<(u64, u64, u64), usize>,
    total: u64,
}

impl TaskMix {
    /// Counts one arrival.
    pub fn add(&mut self, demand: &Resources) {
        let key = (demand.cpu_milli, demand.gpu_milli, demand.gpu_models.0);
        let next = self.kinds.len();
        let i = *self.index.entry(key).or_insert(next);
        if i == next {
            let kind = Resources { disk: 0, ..*demand };
            self.kinds.push((kind, 0));
        }
        self.kinds[i].1 += 1;
        self.total += 1;
    }

    /// Number of arrivals counted.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Number of distinct kinds.
    pub fn kinds(&self) -> usize {
        self.kinds.len()
    }

    /// The expected fragmentation of a node, in thousandths of a GPU: `F_n(M) = sum_m p_m F_n(m)`
    /// over the kinds `m` of the mix (popularity `p_m`: its share of the arrivals), where `F_n(m)`,
    /// the node's free GPU share task `m` could not use, is (Weng et al. section 3.2):
    /// - every free share, when `m` asks for no GPU or does not fit on the node (CPU, memory,
    ///   GPUs or model);
    /// - otherwise the free shares of the GPUs that cannot hold `m`'s per-GPU demand (a GPU with
    ///   less free than a share; a GPU not idle, for whole-GPU tasks).
    ///
    /// `free` is the node's free vector ([`crate::cluster::Node::free`]), `gpus` its GPUs. Memory
    /// and disk are not looked at. 0 before any arrival.
    pub fn fragmentation(&self, free: &Resources, gpus: &GpuSlots) -> f64 {
        let all = gpus.total_free() as f64;
        if all == 0.0 || self.total == 0 {
            return 0.0;
        }
        let free = Resources { disk: 0, ..*free };
        let sum: f64 = self
            .kinds
            .iter()
            .map(|(d, n)| *n as f64 * task_fragmentation(d, &free, gpus, all))
            .sum();
        sum / self.total as f64
    }
}

/// `F_n(m)` for one kind (see [`TaskMix::fragmentation`]); `all` is the node's total free share.
fn task_fragmentation(d: &Resources, free: &Resources, gpus: &GpuSlots, all: f64) -> f64 {
    if d.gpu_milli == 0 || !d.fits_in(free) {
        return all;
    }
    let need = d.gpu_milli.min(GPU_MILLI);
    gpus.free()
        .iter()
        .filter(|&&f| u64::from(f) < need)
        .map(|&f| f64::from(f))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::GpuSet;

    /// The paper's figure 5 style example, by hand: a node with 4 idle CPUs and two GPUs, one
    /// half-allocated; the mix is half (1 CPU, 0.6 GPU) and half (1 CPU, 1 whole GPU) tasks.
    #[test]
    fn fragmentation_matches_a_hand_count() {
        let mut gpus = GpuSlots::new(2);
        gpus.take(GpuSet(0b01), 500);
        let free = Resources::new(4.0, 0, 0).with_gpu(gpus.placeable(), Default::default());
        let mut mix = TaskMix::default();
        mix.add(&Resources::new(1.0, 0, 0).with_gpu(600, Default::default()));
        mix.add(&Resources::new(1.0, 0, 0).with_gpu(1000, Default::default()));
        // 0.6-share task: GPU 0 (500 free) cannot hold it -> 500. Whole-GPU task: GPU 0 is not
        // idle -> 500. Expected: 0.5 * 500 + 0.5 * 500.
        assert_eq!(mix.fragmentation(&free, &gpus), 500.0);
        // A CPU-only kind sees every free share (1500) as a fragment; a kind that needs 8 CPUs
        // does not fit at all, so it does too.
        mix.add(&Resources::new(1.0, 0, 0));
        mix.add(&Resources::new(8.0, 0, 0).with_gpu(100, Default::default()));
        assert_eq!(
            mix.fragmentation(&free, &gpus),
            (500.0 + 500.0 + 1500.0 + 1500.0) / 4.0
        );
    }
}

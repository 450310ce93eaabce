//! GPU figures of a run, for clusters with GPUs: how much of the GPU capacity is allocated, how much
//! of what is not allocated the workload could not use (fragmentation, in the sense of Weng et al.,
//! USENIX ATC 2023: see [`crate::cluster::TaskMix::fragmentation`]), how much GPU demand has
//! arrived, and how many GPU tasks never got GPUs.

use serde::Serialize;

use crate::cluster::Cluster;

/// Running GPU counts of a run.
#[derive(Debug, Clone, Default)]
pub struct GpuCounts {
    /// Tasks submitted that ask for GPUs.
    pub tasks: u64,
    /// Of those, tasks that started at least once.
    pub started: u64,
    /// GPU demand submitted so far, thousandths of a GPU.
    pub arrived_milli: u64,
    /// Allocated GPU share × seconds inside the measurement window, thousandths of a GPU.
    pub integral: f64,
}

/// The GPU columns of one `timeseries.csv` row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GpuSample {
    /// Allocated GPU share over the GPU capacity.
    pub util_gpu: f64,
    /// Fragmented GPU share (unallocated and unusable by the workload's typical task) over the
    /// GPU capacity.
    pub gpu_frag: f64,
    /// GPU demand arrived so far over the GPU capacity (exceeds 1 once more was asked than the
    /// cluster has).
    pub arrived_gpu: f64,
}

impl GpuSample {
    /// The names of the columns, in order.
    pub const COLUMNS: [&'static str; 3] = ["util_gpu", "gpu_frag", "arrived_gpu"];

    /// The cluster now, with `arrived_milli` of GPU demand arrived so far.
    pub fn of(cluster: &Cluster, arrived_milli: u64) -> GpuSample {
        let capacity = cluster.total_capacity().gpu_milli as f64;
        let allocated: u64 = cluster.nodes().iter().map(|n| n.allocated.gpu_milli).sum();
        GpuSample {
            util_gpu: allocated as f64 / capacity,
            gpu_frag: cluster.gpu_fragmentation() / capacity,
            arrived_gpu: arrived_milli as f64 / capacity,
        }
    }
}

/// The GPU columns of `summary.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GpuSummary {
    /// Time-average allocated GPU share over the GPU capacity, in the measurement window.
    pub util_gpu: f64,
    /// Fragmented GPU share over the GPU capacity at the end of the run.
    pub gpu_frag_end: f64,
    /// Unallocated GPU share over the GPU capacity at the end of the run.
    pub gpu_unallocated_end: f64,
    /// Tasks that asked for GPUs.
    pub gpu_tasks: u64,
    /// Of those, tasks that never started (never placed, or larger than every node).
    pub gpu_tasks_unplaced: u64,
}

impl GpuSummary {
    /// The names of the columns, in order.
    pub const COLUMNS: [&'static str; 5] = [
        "util_gpu",
        "gpu_frag_end",
        "gpu_unallocated_end",
        "gpu_tasks",
        "gpu_tasks_unplaced",
    ];

    /// From a run's counts and its cluster at the end; `window_s` is the measurement window.
    pub fn new(counts: &GpuCounts, cluster: &Cluster, window_s: f64) -> GpuSummary {
        let capacity = cluster.total_capacity().gpu_milli as f64;
        let end = GpuSample::of(cluster, counts.arrived_milli);
        GpuSummary {
            util_gpu: if window_s > 0.0 {
                counts.integral / (capacity * window_s)
            } else {
                f64::NAN
            },
            gpu_frag_end: end.gpu_frag,
            gpu_unallocated_end: 1.0 - end.util_gpu,
            gpu_tasks: counts.tasks,
            gpu_tasks_unplaced: counts.tasks - counts.started,
        }
    }
}

//! The metrics that comparisons and plots know about: direction, label and unit.

use super::stats::Direction;

/// What we know about one `summary.csv` metric column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricInfo {
    /// Column name in `summary.csv`.
    pub name: &'static str,
    /// Which way is better.
    pub direction: Direction,
    /// Human label for tables and axes.
    pub label: &'static str,
    /// Unit for axes ("s", "fraction", "tasks", ...).
    pub unit: &'static str,
}

const fn m(
    name: &'static str,
    direction: Direction,
    label: &'static str,
    unit: &'static str,
) -> MetricInfo {
    MetricInfo {
        name,
        direction,
        label,
        unit,
    }
}

use Direction::{Higher, Lower};

/// Metrics compared by `simctl compare`, in output order; those absent from a summary are skipped.
pub const KEY_METRICS: &[MetricInfo] = &[
    m("mean_response_s", Lower, "Mean response time", "s"),
    m("p50_response_s", Lower, "Median response time", "s"),
    m("p95_response_s", Lower, "p95 response time", "s"),
    m("p99_response_s", Lower, "p99 response time", "s"),
    m("mean_wait_s", Lower, "Mean wait", "s"),
    m("p99_wait_s", Lower, "p99 wait", "s"),
    m("mean_slowdown", Lower, "Mean slowdown", "ratio"),
    m("p99_slowdown", Lower, "p99 slowdown", "ratio"),
    m(
        "mean_bounded_slowdown",
        Lower,
        "Mean bounded slowdown",
        "ratio",
    ),
    m("makespan_s", Lower, "Makespan", "s"),
    m("tasks_completed", Higher, "Tasks completed", "count"),
    m("tasks_failed", Lower, "Tasks failed", "count"),
    m("util_cpu", Higher, "CPU utilisation", "fraction"),
    m("util_memory", Higher, "Memory utilisation", "fraction"),
    m("imbalance_cv", Lower, "Load imbalance", "CV of node load"),
    m("task_restarts", Lower, "Task restarts", "count"),
    m("wasted_cpu_s", Lower, "Wasted CPU time", "core-s"),
    m("tasks_lost", Lower, "Tasks lost", "count"),
    m("goodput", Higher, "Goodput", "fraction of work"),
    m("availability", Higher, "Availability", "fraction"),
    m("mean_time_to_restart_s", Lower, "Mean time to restart", "s"),
    m(
        "mean_attempts",
        Lower,
        "Attempts per completed task",
        "attempts",
    ),
    // Only with a power model ([[cluster.nodes]] power).
    m("energy_kwh", Lower, "Energy", "kWh"),
    m("energy_per_task_wh", Lower, "Energy per task", "Wh"),
    m("mean_power_w", Lower, "Mean power", "W"),
    // Only with a [power] table (carbon_g: with [power] carbon).
    m("power_offs", Lower, "Nodes switched off", "count"),
    m("boots", Lower, "Nodes booted", "count"),
    m("carbon_g", Lower, "Carbon", "g CO2"),
    // Only when the cluster has GPUs.
    m("util_gpu", Higher, "GPU utilisation", "fraction"),
    m(
        "gpu_unallocated_end",
        Lower,
        "GPUs unallocated at the end",
        "fraction",
    ),
    m(
        "gpu_frag_end",
        Lower,
        "GPUs fragmented at the end",
        "fraction",
    ),
    m(
        "gpu_tasks_unplaced",
        Lower,
        "GPU tasks never placed",
        "count",
    ),
    // schedulers.csv (one row per scheduler of an architecture).
    m("busy_fraction", Lower, "Scheduler busy", "fraction"),
    m(
        "queue_wait_mean_s",
        Lower,
        "Mean wait for the scheduler",
        "s",
    ),
    m(
        "sched_wait_mean_s",
        Lower,
        "Mean time in the scheduler",
        "s",
    ),
    m("conflict_fraction", Lower, "Conflict fraction", "fraction"),
    m("abandoned_jobs", Lower, "Abandoned jobs", "count"),
];

/// The schedulers.csv metrics plotted against a swept key, when they have values.
pub const ARCHITECTURE_METRICS: &[&str] = &[
    "busy_fraction",
    "queue_wait_mean_s",
    "conflict_fraction",
    "abandoned_jobs",
];

/// The columns shown in the compact terminal table, when present.
pub const TABLE_METRICS: &[&str] = &[
    "mean_response_s",
    "p99_response_s",
    "mean_wait_s",
    "util_cpu",
    "imbalance_cv",
    "goodput",
    "availability",
];

/// Failover metrics, plotted only when the summary has them.
pub const FAILOVER_METRICS: &[&str] = &[
    "goodput",
    "availability",
    "tasks_lost",
    "mean_time_to_restart_s",
];

/// The GPU metrics drawn as bars, when the summary has them (clusters with GPUs).
pub const GPU_METRICS: &[&str] = &[
    "util_gpu",
    "gpu_unallocated_end",
    "gpu_frag_end",
    "gpu_tasks_unplaced",
];

/// The energy metrics plotted against a swept key (with the mean wait they cost), when the
/// summary has them.
pub const ENERGY_METRICS: &[&str] = &["energy_kwh", "mean_wait_s", "carbon_g"];

/// Looks a metric up by column name.
pub fn info(name: &str) -> Option<&'static MetricInfo> {
    KEY_METRICS.iter().find(|m| m.name == name)
}

/// `label (unit)` for an axis.
pub fn axis_label(info: &MetricInfo) -> String {
    format!("{} ({})", info.label, info.unit)
}

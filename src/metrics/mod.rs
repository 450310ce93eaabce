//! Per-run statistics: counters, streaming percentiles, utilisation integrals and time series.
//!
//! Memory does not grow with the number of tasks: percentiles come from [`Histogram`]s, and
//! utilisation is integrated per task when it stops holding resources (demand x time inside the
//! measurement window), so no per-node bookkeeping happens on the hot path.
//!
//! **The measurement window** is `[warmup, end]`, where end is the horizon, or the last arrival when
//! the workload runs out before the horizon (or there is none) and no long-running service keeps
//! the cluster busy until the horizon. Both ends depend on the workload only, never on the
//! scheduler, so every scheduler of a scenario is measured over the same window, and a run that
//! drains its queue after the last arrival is not averaged over its own straggler tail. Every
//! statistic respects the window by one of three rules:
//! - statistics of tasks (wait, response, slowdown, attempts) count the tasks that arrive in it;
//! - statistics of events (node failures, restarts, time to restart) count the events in it (a
//!   restart delay counts when the attempt died in it);
//! - time integrals (utilisation, imbalance, wasted CPU, goodput, availability) count the part of
//!   each interval that lies in it.
//!
//! The `tasks_*` counts cover the whole run, so that they add up: submitted = completed + failed +
//! unschedulable + running at the end + pending at the end.

pub mod carbon;
pub mod energy;
pub mod gpu;
pub mod histogram;
pub mod power;

use serde::Serialize;

pub use histogram::Histogram;

use crate::cluster::Cluster;
use crate::ids::NodeId;
use crate::resources::{Resources, DIMS};
use crate::time::{SimDuration, SimTime};
pub use gpu::{GpuCounts, GpuSample, GpuSummary};

/// How a task attempt ended (or had not ended at the horizon).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Ran to completion.
    Completed,
    /// Failed for good.
    Failed,
    /// Larger than every node: can never run.
    Unschedulable,
    /// Stopped by the scheduler to make room; requeued (or, for a replica copy whose task still
    /// runs elsewhere, dropped).
    Preempted,
    /// The attempt died (node crash or task failure); the task goes on per the failover policy.
    Interrupted,
    /// A replica copy made redundant when another copy finished (or cut at the horizon).
    Cancelled,
    /// Still running at the horizon.
    Running,
    /// Still waiting at the horizon.
    Pending,
}

/// One row of `tasks.csv`: one task attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    /// Task id.
    pub task_id: u64,
    /// Job id.
    pub job_id: u64,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// Node it ran on, if it started.
    pub node: Option<NodeId>,
    /// Submission time.
    pub arrival: SimTime,
    /// Start of this attempt.
    pub start: Option<SimTime>,
    /// Start of the task's first attempt (the end of its wait).
    pub first_start: Option<SimTime>,
    /// End of this attempt.
    pub end: Option<SimTime>,
    /// How it ended.
    pub outcome: Outcome,
    /// For a completed attempt: the run time the task needs on this node without failures or
    /// checkpoints (its duration / the node's speed), the denominator of its slowdown.
    pub ideal_run: Option<SimDuration>,
    /// Demand.
    pub demand: Resources,
    /// Duration at speed 1.0.
    pub duration: SimDuration,
    /// Priority.
    pub priority: i32,
    /// The trace's real wait for this task, when it has one.
    pub observed_wait: Option<SimDuration>,
    /// The trace's real run time for this task, when it has one.
    pub observed_runtime: Option<SimDuration>,
}

/// One row of `timeseries.csv` (without the run's identifying columns).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    /// Sample time, seconds.
    pub time_s: f64,
    /// Allocated CPU over total CPU capacity.
    pub util_cpu: f64,
    /// Allocated memory over total memory capacity.
    pub util_memory: f64,
    /// Allocated disk over total disk capacity.
    pub util_disk: f64,
    /// Tasks waiting (central queue plus local queues).
    pub queue_length: u64,
    /// Tasks running.
    pub running: u64,
    /// Nodes up.
    pub nodes_up: u64,
    /// What the kernel and the container engine measured at that time (real runs only).
    pub measured: Option<Measured>,
    /// Power the cluster draws at that time, watts (only when some node group has a power model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_w: Option<f64>,
    /// Nodes switched on (or booting) and up at that time (only with a `[power]` policy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes_on: Option<u64>,
    /// GPU allocation, fragmentation and arrived demand (only when the cluster has GPUs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuSample>,
}

/// Real usage beside the allocations, sampled by `simctl docker run`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Measured {
    /// The host's CPU busy fraction (all cores) since the previous reading, from `/proc/stat`.
    pub host_cpu_busy: f64,
    /// The host's memory in use (MemTotal - MemAvailable), from `/proc/meminfo`.
    pub host_memory_used_bytes: u64,
    /// The host's 1-minute load average, from `/proc/loadavg`.
    pub host_load1: f64,
    /// CPU the run's containers used, in cores (the engine's stats).
    pub containers_cpu_cores: f64,
    /// Memory the run's containers used (the engine's stats).
    pub containers_memory_bytes: u64,
    /// CPU the run's containers used over the cluster's CPU capacity: comparable to `util_cpu`,
    /// the allocated share.
    pub containers_cpu_util: f64,
}

/// The default `tau` of the bounded slowdown, max(1, response / max(run, tau)): the HPC convention
/// of Feitelson et al., so that very short tasks do not dominate the mean (`[scenario]
/// bounded_slowdown_tau` sets another).
pub const BOUNDED_SLOWDOWN_TAU: SimDuration = SimDuration(10_000_000);

/// Slowdown of a completed task: response over the run time it needs without failures (1 for a
/// task of zero duration).
pub fn slowdown(response: SimDuration, ideal_run: SimDuration) -> f64 {
    if ideal_run.0 == 0 {
        1.0
    } else {
        response.as_secs_f64() / ideal_run.as_secs_f64()
    }
}

/// The part of [`from`, `to`] inside [`start`, `end`], in seconds (0 when they do not overlap).
pub fn overlap_secs(from: SimTime, to: SimTime, start: SimTime, end: SimTime) -> f64 {
    let (from, to) = (from.max(start), to.min(end));
    if to <= from {
        0.0
    } else {
        to.since(from).as_secs_f64()
    }
}

/// Bounded slowdown: max(1, response / max(ideal run, tau)).
pub fn bounded_slowdown(response: SimDuration, ideal_run: SimDuration, tau: SimDuration) -> f64 {
    (response.as_secs_f64() / ideal_run.max(tau).as_secs_f64()).max(1.0)
}

/// Collects a run's statistics as the engine reports what happens.
#[derive(Debug, Clone)]
pub struct Collector {
    warmup: SimTime,
    /// The bounded slowdown's `tau`.
    tau: SimDuration,
    /// End of the measurement window once known (the last arrival of a workload that ran out),
    /// else `SimTime::MAX` until the run's end closes it.
    window_end: SimTime,
    /// Tasks submitted (all, including during warm-up).
    pub submitted: u64,
    /// Tasks completed.
    pub completed: u64,
    /// Tasks failed for good (given up by the failover policy, or lost with a dependency).
    pub failed: u64,
    /// Tasks given up by the failover policy after an attempt died.
    pub lost: u64,
    /// Tasks rejected as larger than every node.
    pub unschedulable: u64,
    /// Attempts restarted in the window (after a preemption or a failure).
    pub restarts: u64,
    /// CPU-seconds of work thrown away in the window.
    pub wasted_cpu_s: f64,
    /// Wait times of post-warm-up tasks that started, seconds.
    pub wait: Histogram,
    /// Response times of post-warm-up tasks that completed, seconds.
    pub response: Histogram,
    /// Slowdown of post-warm-up completed tasks (see [`slowdown`]).
    pub slowdown: Histogram,
    /// Bounded slowdown of the same tasks (see [`bounded_slowdown`]).
    pub bounded_slowdown: Histogram,
    /// Time from an attempt's death in the window to the start of the next attempt, seconds.
    pub restart_delay: Histogram,
    /// Attempts per completed post-warm-up task.
    pub attempts: Histogram,
    /// Real waits recorded in a trace, of post-warm-up tasks that have one.
    pub observed_wait: Histogram,
    /// Up-to-down transitions of nodes in the window.
    pub node_failures: u64,
    /// Tasks that completed inside the window (the denominator of the energy per task).
    completed_in_window: u64,
    first_arrival: Option<SimTime>,
    last_completion: Option<SimTime>,
    node_cpu_integral: Vec<f64>,
    dim_integral: [f64; DIMS],
    /// GPU counts (only read when the cluster has GPUs).
    pub gpu: GpuCounts,
    /// Time series samples.
    pub samples: Vec<Sample>,
}

impl Collector {
    /// A collector for a cluster of `nodes` nodes whose window starts at `warmup`, with the bounded
    /// slowdown's `tau`.
    pub fn new(nodes: usize, warmup: SimTime, tau: SimDuration) -> Collector {
        Collector {
            warmup,
            tau,
            window_end: SimTime::MAX,
            submitted: 0,
            completed: 0,
            failed: 0,
            lost: 0,
            unschedulable: 0,
            restarts: 0,
            wasted_cpu_s: 0.0,
            wait: Histogram::new(),
            response: Histogram::new(),
            slowdown: Histogram::new(),
            bounded_slowdown: Histogram::new(),
            restart_delay: Histogram::new(),
            attempts: Histogram::new(),
            observed_wait: Histogram::new(),
            node_failures: 0,
            completed_in_window: 0,
            first_arrival: None,
            last_completion: None,
            node_cpu_integral: vec![0.0; nodes],
            dim_integral: [0.0; DIMS],
            gpu: GpuCounts::default(),
            samples: Vec::new(),
        }
    }

    /// One more node (a worker joined a live cluster).
    pub fn add_node(&mut self) {
        self.node_cpu_integral.push(0.0);
    }

    /// Whether statistics count a task that arrived at `arrival`.
    pub fn counts(&self, arrival: SimTime) -> bool {
        arrival >= self.warmup
    }

    /// A task was submitted; `observed_wait` is what a trace says it really waited.
    pub fn on_submit(&mut self, arrival: SimTime, observed_wait: Option<SimDuration>) {
        self.submitted += 1;
        if let Some(w) = observed_wait.filter(|_| self.counts(arrival)) {
            self.observed_wait.record(w.as_secs_f64());
        }
        self.first_arrival.get_or_insert(arrival);
    }

    /// A task started after waiting since `arrival`.
    pub fn on_start(&mut self, arrival: SimTime, now: SimTime) {
        if self.counts(arrival) {
            self.wait.record(now.since(arrival).as_secs_f64());
        }
    }

    /// A task completed after `attempts` attempts; `ideal_run` is the run time it needs on the node
    /// it completed on, without failures or checkpoints.
    pub fn on_complete(
        &mut self,
        arrival: SimTime,
        ideal_run: SimDuration,
        attempts: u32,
        now: SimTime,
    ) {
        self.completed += 1;
        self.last_completion = Some(now);
        if self.in_window(now) {
            self.completed_in_window += 1;
        }
        if self.counts(arrival) {
            let response = now.since(arrival);
            self.response.record(response.as_secs_f64());
            self.slowdown.record(slowdown(response, ideal_run));
            self.bounded_slowdown
                .record(bounded_slowdown(response, ideal_run, self.tau));
            self.attempts.record(attempts as f64);
        }
    }

    /// The workload ran out with its last arrival at `last_arrival`, and nothing keeps the cluster
    /// busy until the horizon: the measurement window ends there.
    pub fn close_window(&mut self, last_arrival: SimTime) {
        self.window_end = last_arrival.max(self.warmup);
    }

    /// Whether an event at `t` falls in the measurement window.
    pub fn in_window(&self, t: SimTime) -> bool {
        t >= self.warmup && t <= self.window_end
    }

    /// The part of [`from`, `to`] inside the window, in seconds.
    fn seconds_in_window(&self, from: SimTime, to: SimTime) -> f64 {
        overlap_secs(from, to, self.warmup, self.window_end)
    }

    /// `cpu` cores of compute done from `from` to `to` were thrown away.
    pub fn on_waste(&mut self, cpu: f64, from: SimTime, to: SimTime) {
        self.wasted_cpu_s += cpu * self.seconds_in_window(from, to);
    }

    /// An attempt was restarted (requeued, or a pinned service restarted) at `now`.
    pub fn on_restart(&mut self, now: SimTime) {
        if self.in_window(now) {
            self.restarts += 1;
        }
    }

    /// The next attempt of a task whose attempt died at `died` started at `now`.
    pub fn on_restart_delay(&mut self, died: SimTime, now: SimTime) {
        if self.in_window(died) {
            self.restart_delay.record(now.since(died).as_secs_f64());
        }
    }

    /// A node went down at `now`.
    pub fn on_node_failure(&mut self, now: SimTime) {
        if self.in_window(now) {
            self.node_failures += 1;
        }
    }

    /// A task held `demand` on `node` from `start` to `end`: adds its share of the utilisation inside
    /// the measurement window.
    pub fn on_release(&mut self, node: NodeId, demand: &Resources, start: SimTime, end: SimTime) {
        let secs = self.seconds_in_window(start, end);
        if secs <= 0.0 {
            return;
        }
        self.node_cpu_integral[node.index()] += demand.cpu_milli as f64 * secs;
        for (acc, d) in self.dim_integral.iter_mut().zip(demand.dims()) {
            *acc += d as f64 * secs;
        }
        self.gpu.integral += demand.gpu_milli as f64 * secs;
    }

    /// Records a time-series sample of the cluster.
    pub fn sample(&mut self, now: SimTime, cluster: &Cluster, queue_length: u64, running: u64) {
        let allocated = cluster
            .nodes()
            .iter()
            .fold(Resources::ZERO, |acc, n| acc + n.allocated);
        let [util_cpu, util_memory, util_disk] = allocated.fractions_of(&cluster.total_capacity());
        self.samples.push(Sample {
            time_s: now.as_secs_f64(),
            util_cpu,
            util_memory,
            util_disk,
            queue_length,
            running,
            nodes_up: cluster.nodes().iter().filter(|n| n.schedulable).count() as u64,
            measured: None,
            power_w: cluster.meter().map(|m| m.power_now()),
            nodes_on: None,
            gpu: (cluster.total_capacity().gpu_milli > 0)
                .then(|| GpuSample::of(cluster, self.gpu.arrived_milli)),
        });
    }

    /// The measurement window of a run that ended at `end`: (start, end).
    pub fn window(&self, end: SimTime) -> (SimTime, SimTime) {
        (self.warmup, self.window_end.min(end).max(self.warmup))
    }

    /// Final statistics for a run that ended at `end`.
    pub fn finish(&self, cluster: &Cluster, end: SimTime, counts: EndCounts) -> Summary {
        let (window_start, window_end) = self.window(end);
        let window = window_end.since(window_start).as_secs_f64();
        let caps = cluster.total_capacity().dims();
        let util = |i: usize| {
            if window <= 0.0 || caps[i] == 0 {
                0.0
            } else {
                self.dim_integral[i] / (caps[i] as f64 * window)
            }
        };
        let per_node: Vec<f64> = cluster
            .nodes()
            .iter()
            .map(|n| {
                let cap = n.capacity.cpu_milli as f64 * window;
                if cap > 0.0 {
                    self.node_cpu_integral[n.id.index()] / cap
                } else {
                    0.0
                }
            })
            .collect();
        Summary {
            tasks_submitted: self.submitted,
            tasks_completed: self.completed,
            tasks_failed: self.failed,
            tasks_running_at_end: counts.running,
            tasks_pending_at_end: counts.pending,
            tasks_unschedulable: self.unschedulable,
            mean_wait_s: self.wait.mean(),
            p50_wait_s: self.wait.quantile(0.5),
            p95_wait_s: self.wait.quantile(0.95),
            p99_wait_s: self.wait.quantile(0.99),
            mean_response_s: self.response.mean(),
            p50_response_s: self.response.quantile(0.5),
            p95_response_s: self.response.quantile(0.95),
            p99_response_s: self.response.quantile(0.99),
            mean_slowdown: self.slowdown.mean(),
            p99_slowdown: self.slowdown.quantile(0.99),
            mean_bounded_slowdown: self.bounded_slowdown.mean(),
            p99_bounded_slowdown: self.bounded_slowdown.quantile(0.99),
            makespan_s: match (self.first_arrival, self.last_completion) {
                (Some(a), Some(c)) => c.since(a).as_secs_f64(),
                _ => 0.0,
            },
            window_start_s: window_start.as_secs_f64(),
            window_end_s: window_end.as_secs_f64(),
            util_cpu: util(0),
            util_memory: util(1),
            util_disk: util(2),
            imbalance_cv: coefficient_of_variation(&per_node),
            node_failures: self.node_failures,
            task_restarts: self.restarts,
            wasted_cpu_s: self.wasted_cpu_s,
            tasks_lost: self.lost,
            mean_attempts: self.attempts.mean(),
            goodput: if self.dim_integral[0] > 0.0 {
                (1.0 - self.wasted_cpu_s * 1000.0 / self.dim_integral[0]).clamp(0.0, 1.0)
            } else {
                f64::NAN
            },
            mean_time_to_restart_s: self.restart_delay.mean(),
            p95_time_to_restart_s: self.restart_delay.quantile(0.95),
            availability: f64::NAN,
            observed_mean_wait_s: self.observed_wait.mean(),
            observed_p95_wait_s: self.observed_wait.quantile(0.95),
            events: counts.events,
            wall_s: 0.0,
            energy: cluster.meter().map(|m| {
                let joules: f64 = m.joules_at(window_end).iter().sum();
                Energy::new(joules, window, self.completed_in_window)
            }),
            energy_groups: cluster
                .meter()
                .map(|m| energy_per_group(cluster, &m.joules_at(window_end)))
                .unwrap_or_default(),
            power: None,
            carbon_g: cluster
                .meter()
                .and_then(|m| m.grams_at(window_end))
                .map(|g| g.iter().sum()),
            gpu: (cluster.total_capacity().gpu_milli > 0)
                .then(|| GpuSummary::new(&self.gpu, cluster, window)),
        }
    }

    /// The quantile table written to `quantiles.csv`: (metric, quantile, value).
    pub fn quantile_rows(&self) -> Vec<(&'static str, f64, f64)> {
        let mut qs: Vec<f64> = (0..=100).map(|i| i as f64 / 100.0).collect();
        qs.push(0.999);
        let mut rows = Vec::new();
        for (name, h) in [
            ("wait_s", &self.wait),
            ("response_s", &self.response),
            ("slowdown", &self.slowdown),
            ("bounded_slowdown", &self.bounded_slowdown),
        ] {
            for (&q, value) in qs.iter().zip(h.quantiles(&qs)) {
                rows.push((name, q, value));
            }
        }
        rows
    }
}

/// Task counts at the end of a run, from the engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct EndCounts {
    /// Tasks running at the end.
    pub running: u64,
    /// Tasks still waiting at the end.
    pub pending: u64,
    /// Events processed.
    pub events: u64,
}

/// Population coefficient of variation (0 for an empty or all-zero set).
pub fn coefficient_of_variation(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if mean <= 0.0 {
        return 0.0;
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    var.sqrt() / mean
}

impl Summary {
    /// The metric columns of `summary.csv`, in order, as (name, value) pairs.
    pub fn columns(&self) -> Vec<(&'static str, Metric)> {
        use Metric::{Count as C, Real as R};
        vec![
            ("tasks_submitted", C(self.tasks_submitted)),
            ("tasks_completed", C(self.tasks_completed)),
            ("tasks_failed", C(self.tasks_failed)),
            ("tasks_running_at_end", C(self.tasks_running_at_end)),
            ("tasks_pending_at_end", C(self.tasks_pending_at_end)),
            ("tasks_unschedulable", C(self.tasks_unschedulable)),
            ("mean_wait_s", R(self.mean_wait_s)),
            ("p50_wait_s", R(self.p50_wait_s)),
            ("p95_wait_s", R(self.p95_wait_s)),
            ("p99_wait_s", R(self.p99_wait_s)),
            ("mean_response_s", R(self.mean_response_s)),
            ("p50_response_s", R(self.p50_response_s)),
            ("p95_response_s", R(self.p95_response_s)),
            ("p99_response_s", R(self.p99_response_s)),
            ("mean_slowdown", R(self.mean_slowdown)),
            ("p99_slowdown", R(self.p99_slowdown)),
            ("mean_bounded_slowdown", R(self.mean_bounded_slowdown)),
            ("p99_bounded_slowdown", R(self.p99_bounded_slowdown)),
            ("makespan_s", R(self.makespan_s)),
            ("window_start_s", R(self.window_start_s)),
            ("window_end_s", R(self.window_end_s)),
            ("util_cpu", R(self.util_cpu)),
            ("util_memory", R(self.util_memory)),
            ("util_disk", R(self.util_disk)),
            ("imbalance_cv", R(self.imbalance_cv)),
            ("node_failures", C(self.node_failures)),
            ("task_restarts", C(self.task_restarts)),
            ("wasted_cpu_s", R(self.wasted_cpu_s)),
            ("tasks_lost", C(self.tasks_lost)),
            ("mean_attempts", R(self.mean_attempts)),
            ("goodput", R(self.goodput)),
            ("mean_time_to_restart_s", R(self.mean_time_to_restart_s)),
            ("p95_time_to_restart_s", R(self.p95_time_to_restart_s)),
            ("availability", R(self.availability)),
            ("observed_mean_wait_s", R(self.observed_mean_wait_s)),
            ("observed_p95_wait_s", R(self.observed_p95_wait_s)),
            ("events", C(self.events)),
            ("wall_s", R(self.wall_s)),
        ]
    }
}

impl Summary {
    /// The names of the energy columns of `summary.csv`, written (after [`Summary::columns`]) only
    /// when some node group of the scenario has a power model, so that other scenarios' outputs do
    /// not change.
    pub const ENERGY_COLUMNS: [&'static str; 3] =
        ["energy_kwh", "energy_per_task_wh", "mean_power_w"];

    /// The energy columns' values, in the order of [`Summary::ENERGY_COLUMNS`] (NaN, written empty,
    /// for a run without a power model in a sweep where other points have one).
    pub fn energy_columns(&self) -> [Metric; 3] {
        let e = self.energy.unwrap_or(Energy {
            energy_kwh: f64::NAN,
            energy_per_task_wh: f64::NAN,
            mean_power_w: f64::NAN,
        });
        [e.energy_kwh, e.energy_per_task_wh, e.mean_power_w].map(Metric::Real)
    }

    /// The GPU columns' values, in the order of [`GpuSummary::COLUMNS`] (empty for a run without
    /// GPUs in a sweep where other points have some).
    pub fn gpu_columns(&self) -> [Metric; 5] {
        match self.gpu {
            Some(g) => [
                Metric::Real(g.util_gpu),
                Metric::Real(g.gpu_frag_end),
                Metric::Real(g.gpu_unallocated_end),
                Metric::Count(g.gpu_tasks),
                Metric::Count(g.gpu_tasks_unplaced),
            ],
            None => [Metric::Real(f64::NAN); 5],
        }
    }
}

/// A metric value: an exact count or a real number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// A count.
    Count(u64),
    /// A real number (NaN when undefined, e.g. the mean wait of no tasks).
    Real(f64),
}

impl Metric {
    /// As a float.
    pub fn as_f64(self) -> f64 {
        match self {
            Metric::Count(c) => c as f64,
            Metric::Real(r) => r,
        }
    }

    /// As CSV text: counts as integers, reals in shortest round-trip form, NaN as an empty field.
    pub fn to_csv(self) -> String {
        match self {
            Metric::Count(c) => c.to_string(),
            Metric::Real(r) if r.is_nan() => String::new(),
            Metric::Real(r) => format!("{r}"),
        }
    }
}

/// One run's key results: the metric columns of `summary.csv`, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Tasks submitted in the run (warm-up included).
    pub tasks_submitted: u64,
    /// Tasks completed.
    pub tasks_completed: u64,
    /// Tasks failed for good.
    pub tasks_failed: u64,
    /// Tasks still running at the end.
    pub tasks_running_at_end: u64,
    /// Tasks still waiting at the end.
    pub tasks_pending_at_end: u64,
    /// Tasks larger than every node.
    pub tasks_unschedulable: u64,
    /// Mean wait, seconds (tasks arriving after warm-up that started).
    pub mean_wait_s: f64,
    /// Median wait.
    pub p50_wait_s: f64,
    /// 95th percentile wait.
    pub p95_wait_s: f64,
    /// 99th percentile wait.
    pub p99_wait_s: f64,
    /// Mean response (arrival to completion), seconds.
    pub mean_response_s: f64,
    /// Median response.
    pub p50_response_s: f64,
    /// 95th percentile response.
    pub p95_response_s: f64,
    /// 99th percentile response.
    pub p99_response_s: f64,
    /// Mean slowdown: response over the run time the task needs without failures.
    pub mean_slowdown: f64,
    /// 99th percentile slowdown.
    pub p99_slowdown: f64,
    /// Mean bounded slowdown, max(1, response / max(run, 10 s)).
    pub mean_bounded_slowdown: f64,
    /// 99th percentile bounded slowdown.
    pub p99_bounded_slowdown: f64,
    /// Last completion minus first arrival, seconds.
    pub makespan_s: f64,
    /// Start of the measurement window (the warm-up), seconds.
    pub window_start_s: f64,
    /// End of the measurement window (the horizon, or the last arrival of a workload that ran
    /// out), seconds.
    pub window_end_s: f64,
    /// Time-averaged allocated CPU over total capacity in the window.
    pub util_cpu: f64,
    /// Same for memory.
    pub util_memory: f64,
    /// Same for disk.
    pub util_disk: f64,
    /// Coefficient of variation of per-node time-averaged CPU utilisation.
    pub imbalance_cv: f64,
    /// Node failures in the window.
    pub node_failures: u64,
    /// Task attempts restarted in the window.
    pub task_restarts: u64,
    /// CPU-seconds of work thrown away in the window.
    pub wasted_cpu_s: f64,
    /// Tasks given up by the failover policy after an attempt died (a subset of `tasks_failed`,
    /// which also counts tasks lost with a dependency).
    pub tasks_lost: u64,
    /// Mean attempts per completed task (tasks arriving in the window).
    pub mean_attempts: f64,
    /// Fraction of the CPU time allocated in the window that was not thrown away (1 = nothing lost).
    pub goodput: f64,
    /// Mean time from an attempt's death (in the window) to the next attempt's start, seconds.
    pub mean_time_to_restart_s: f64,
    /// 95th percentile of that time.
    pub p95_time_to_restart_s: f64,
    /// Mean over services of the fraction of time with at least one healthy replica (empty: none).
    pub availability: f64,
    /// Mean real wait the trace recorded for the same tasks (empty without a trace that has it).
    pub observed_mean_wait_s: f64,
    /// 95th percentile of those real waits.
    pub observed_p95_wait_s: f64,
    /// Events processed.
    pub events: u64,
    /// Wall-clock seconds of the run (not deterministic).
    pub wall_s: f64,
    /// Energy drawn in the window, when some node group has a power model (see
    /// [`Summary::energy_columns`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub energy: Option<Energy>,
    /// Energy drawn in the window per node group that has a power model, (group name, kWh), in
    /// group order (empty without a model). The groups' values sum to `energy.energy_kwh`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub energy_groups: Vec<(String, f64)>,
    /// The power policy's switching counts, with a `[power]` table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power: Option<power::PowerCounts>,
    /// Grams of CO2 of the energy drawn in the window, with `[power] carbon`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carbon_g: Option<f64>,
    /// GPU figures, when the cluster has GPUs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuSummary>,
}

/// Kilowatt-hours per node group that has a power model, from per-node joules.
fn energy_per_group(cluster: &Cluster, joules: &[f64]) -> Vec<(String, f64)> {
    let groups = cluster.groups();
    let mut sums = vec![0.0; groups.len()];
    for (n, j) in cluster.nodes().iter().zip(joules) {
        sums[n.group as usize] += j;
    }
    groups
        .iter()
        .zip(sums)
        .filter(|(g, _)| g.power.is_some())
        .map(|(g, j)| (g.name.clone(), j / 3.6e6))
        .collect()
}

/// Energy drawn by the cluster inside the measurement window (a node draws its power model's
/// watts at its CPU (and, with a GPU term, GPU) utilisation while up, nothing while down; see
/// [`energy::EnergyMeter`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Energy {
    /// Energy in the window, kWh.
    pub energy_kwh: f64,
    /// Energy in the window over the tasks that completed in it, Wh (NaN when none did).
    pub energy_per_task_wh: f64,
    /// Energy over the window's length, watts (NaN for an empty window).
    pub mean_power_w: f64,
}

impl Energy {
    /// From `joules` drawn over a window of `window_s` seconds in which `completed` tasks completed.
    pub fn new(joules: f64, window_s: f64, completed: u64) -> Energy {
        let wh = joules / 3600.0;
        Energy {
            energy_kwh: wh / 1000.0,
            energy_per_task_wh: if completed > 0 {
                wh / completed as f64
            } else {
                f64::NAN
            },
            mean_power_w: if window_s > 0.0 {
                joules / window_s
            } else {
                f64::NAN
            },
        }
    }
}

//! The relative work of one run, estimated before anything runs, for balancing the shards of a
//! sweep (`run --shard K/N`) by cost instead of by count.
//!
//! cost = tasks x (1 + nodes x per-node factor), with tasks, nodes and the offered load ρ of the
//! busiest resource from [`Estimate`] (the same up-front estimate `simctl validate` prints and the
//! limits use). The 1 stands for the per-task work of every run (arrival, start and end events,
//! statistics); the per-node factor for a decision that looks at nodes, in units of that work. It
//! depends on the scheduler's [`DecisionClass`] and, for classes whose decisions also walk the queue
//! or the running tasks, on the queue the load builds up, through q = ρ / (1 - ρ) (the mean number
//! waiting in an M/M/1 queue; ρ capped at 0.95, and taken as 0.5 for trace replays, whose load is not
//! known beforehand):
//!
//! | class | per-node factor |
//! |---|---|
//! | indexed (first-fit, best-fit, JSQ, power-of-d, least-allocated, least-connections, stride, ...) or sampled (`sample = k`) | 0 |
//! | scan (balanced-allocation, dot-product, E-PVM, score lists, weighted round-robin) | 0.05 |
//! | completion time (MCT, Kumar-Sharma) | 0.15 q |
//! | batch (Max-Min, Sufferage) | 0.06 q² |
//! | batch, shortest first (Min-Min) | 0.45 q² |
//! | plus, for EASY backfilling, preemptive priority and DRF | 0.035 q |
//!
//! The constants are fitted to the wall time per task of the bundled `scenarios/algorithms.toml`
//! (16 nodes, ρ = 0.48 and 0.86, `-j 1`; docs/distributed.md gives the figures): orders of
//! magnitude, not a performance model. Min-Min has a class of its own because it was measured about
//! 7 times slower per task than Max-Min and Sufferage at the higher load: mapping the shortest tasks
//! first leaves the long ones queued, so each decision point has a longer queue to scan.
//! `simctl validate --shards N` prints the planned imbalance, timing.csv gives the measured one.

use crate::config::budget::Estimate;
use crate::config::Scenario;
use crate::sched::{PlacementSpec, QueuePolicy, SchedulerSpec};

/// How a scheduler's per-decision work grows with the number of nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionClass {
    /// Index lookups or sampling: about constant per decision (first-fit, JSQ, power-of-d, ...).
    Indexed,
    /// One pass over every node with a cheap score (balanced-allocation, dot-product, E-PVM, score
    /// lists, weighted round-robin).
    Scan,
    /// A pass over every node after rebuilding per-node ready times from the running tasks (MCT,
    /// Kumar-Sharma).
    Completion,
    /// Batch heuristics: every queued task (up to 256) against every node per decision point
    /// (Max-Min, Sufferage).
    Batch,
    /// Min-Min: a batch heuristic that maps the shortest tasks first, so the long ones stay queued
    /// and every decision point scans a longer queue.
    BatchShortestFirst,
    /// FGD: a pass over every node evaluating its expected fragmentation against every kind of
    /// demand seen (about a hundred kinds on the GPU 2023 trace).
    Fragmentation,
}

impl DecisionClass {
    /// The class of a placement.
    pub fn of(placement: &PlacementSpec) -> DecisionClass {
        use PlacementSpec as P;
        match placement {
            P::FirstFit
            | P::BestFit
            | P::WorstFit
            | P::Random
            | P::RoundRobin
            | P::Stride
            | P::LeastAllocated
            | P::MostAllocated
            | P::PowerOfD { .. }
            | P::Jsq
            | P::LeastConnections => DecisionClass::Indexed,
            P::WeightedRoundRobin
            | P::BalancedAllocation
            | P::DotProduct
            | P::EPvm { .. }
            | P::GpuBestFit
            | P::GpuWorstFit
            | P::GpuDotProduct
            | P::Score { .. } => DecisionClass::Scan,
            P::Fgd => DecisionClass::Fragmentation,
            P::Mct | P::KumarSharma { .. } => DecisionClass::Completion,
            P::MaxMin | P::Sufferage => DecisionClass::Batch,
            P::MinMin => DecisionClass::BatchShortestFirst,
            // A fixed-size sample: flat per decision (completion-time and batch placements build
            // the profiles of the sampled nodes only).
            P::Sampled { .. } => DecisionClass::Indexed,
        }
    }

    /// Work per decision per node, in units of the per-task work of a run, given the queue
    /// measure `q` = ρ / (1 - ρ) (see the module documentation).
    pub fn per_node(self, q: f64) -> f64 {
        match self {
            DecisionClass::Indexed => 0.0,
            DecisionClass::Scan => 0.05,
            DecisionClass::Completion => 0.15 * q,
            DecisionClass::Batch => 0.06 * q * q,
            DecisionClass::BatchShortestFirst => 0.45 * q * q,
            DecisionClass::Fragmentation => 2.0,
        }
    }
}

/// Extra work per decision per node of a queue discipline that looks through the queue or the
/// running tasks, in the units of [`DecisionClass::per_node`], given `q` = ρ / (1 - ρ).
pub fn queue_per_node(queue: QueuePolicy, q: f64) -> f64 {
    match queue {
        QueuePolicy::EasyBackfill | QueuePolicy::PreemptivePriority | QueuePolicy::Drf => 0.035 * q,
        QueuePolicy::Fifo | QueuePolicy::Priority | QueuePolicy::Sjf | QueuePolicy::Edf => 0.0,
    }
}

/// Highest offered load used for the queue measure (the queue of a batch heuristic is capped at
/// 256 tasks per decision point, so it does not grow without bound above 1).
pub const MAX_LOAD: f64 = 0.95;
/// Offered load assumed where it is unknown (trace replays).
pub const UNKNOWN_LOAD: f64 = 0.5;

/// The queue measure q = ρ / (1 - ρ) of an estimate, ρ being its busiest resource's offered load.
pub fn queue_measure(est: &Estimate) -> f64 {
    let rho = est
        .load
        .map_or(UNKNOWN_LOAD, |l| l.max().1)
        .clamp(0.0, MAX_LOAD);
    rho / (1.0 - rho)
}

/// Estimated relative cost of one run of `scheduler` in scenario `s` (at least 1). A trace replay
/// without `max_tasks` has no task estimate: each of its runs counts as one task, so all its runs
/// of one class cost the same.
pub fn run_cost(s: &Scenario, scheduler: &SchedulerSpec) -> u64 {
    let est = Estimate::of(s);
    let tasks = est.tasks.unwrap_or(1.0);
    let q = queue_measure(&est);
    let per_node =
        DecisionClass::of(&scheduler.placement).per_node(q) + queue_per_node(scheduler.queue, q);
    let cost = tasks * (1.0 + per_node * est.nodes as f64);
    // Within the limits of `budget` (1e9 tasks, 1e7 nodes, q <= 19) this is below 2^63; `as`
    // saturates anything larger and maps NaN to 0, and max(1) keeps every run's cost positive.
    (cost.round() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scenario(placement: &str, queue: &str, rate: f64) -> (Scenario, SchedulerSpec) {
        let text = format!(
            "[scenario]\nname = \"c\"\nhorizon = \"1000s\"\n[[cluster.nodes]]\ncount = 10\ncpu = 1\nmemory = \"1GiB\"\n\
             [workload]\narrival = {{ process = \"poisson\", rate = {rate} }}\nduration = \"1s\"\n\
             [[scheduler]]\nname = \"s\"\nqueue = \"{queue}\"\nplacement = \"{placement}\"\n"
        );
        let s = crate::config::parse(&text, Path::new("t.toml"))
            .unwrap()
            .base()
            .clone();
        let sched = s.schedulers[0].clone();
        (s, sched)
    }

    #[test]
    fn cost_is_tasks_times_one_plus_class_factor_times_nodes() {
        // 2 tasks/s x 1000 s = 2000 tasks of 1 core-second on 10 one-core nodes: ρ = 0.2, so
        // q = 0.2 / 0.8 = 0.25.
        let q: f64 = 0.25;
        let cases = [
            ("first-fit", "fifo", 2000.0),
            ("balanced-allocation", "fifo", 2000.0 * (1.0 + 0.05 * 10.0)),
            ("mct", "fifo", 2000.0 * (1.0 + 0.15 * q * 10.0)),
            ("e-pvm", "fifo", 2000.0 * (1.0 + 0.05 * 10.0)),
            ("max-min", "fifo", 2000.0 * (1.0 + 0.06 * q * q * 10.0)),
            ("min-min", "fifo", 2000.0 * (1.0 + 0.45 * q * q * 10.0)),
            (
                "best-fit",
                "easy-backfill",
                2000.0 * (1.0 + 0.035 * q * 10.0),
            ),
        ];
        for (placement, queue, want) in cases {
            let (s, sched) = scenario(placement, queue, 2.0);
            assert_eq!(
                run_cost(&s, &sched),
                want.round() as u64,
                "{placement}/{queue}"
            );
        }
    }

    #[test]
    fn queue_dependent_classes_grow_with_load_and_stop_at_the_cap() {
        // ρ = 0.5 (q = 1) and ρ = 0.9 (q = 9), 10 nodes; 5000 and 9000 tasks.
        let cost = |p: &str, rate: f64| {
            let (s, sched) = scenario(p, "fifo", rate);
            run_cost(&s, &sched)
        };
        assert_eq!(cost("first-fit", 5.0), 5000);
        assert_eq!(cost("first-fit", 9.0), 9000);
        assert_eq!(cost("min-min", 5.0), 5000 * 11 / 2); // 1 + 0.45 x 1 x 10
        assert_eq!(cost("min-min", 9.0), 9000 * 3655 / 10); // 1 + 0.45 x 81 x 10
        assert_eq!(cost("sufferage", 9.0), 9000 * 496 / 10); // 1 + 0.06 x 81 x 10

        // Overloaded (ρ = 2): capped at ρ = 0.95, q = 19.
        assert_eq!(
            cost("mct", 20.0),
            (20000.0 * (1.0 + 0.15 * 19.0 * 10.0_f64)).round() as u64
        );
    }
}

//! From a validated scheduler description to a runnable [`Scheduler`].

use serde::Serialize;

use crate::rng::SimRng;
use crate::sched::placement::{
    FirstFit, JoinShortestQueue, Placement, PowerOfD, RandomPlacement, RoundRobin, ScorePlacement,
};
use crate::sched::scoring::ScoreFn;
use crate::sched::{ListScheduler, QueuePolicy, Scheduler};

/// A placement algorithm and its parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "algorithm", rename_all = "kebab-case")]
pub enum PlacementSpec {
    /// Lowest-numbered node with room.
    FirstFit,
    /// Uniformly random feasible node.
    Random,
    /// Cycle through nodes.
    RoundRobin,
    /// Spread: most free capacity after placement.
    LeastAllocated,
    /// Pack: least free capacity after placement.
    MostAllocated,
    /// Sample d nodes, take the least loaded.
    PowerOfD {
        /// Number of samples.
        d: u32,
    },
    /// Fewest tasks on the node.
    Jsq,
    /// Weighted sum of scoring functions.
    Score {
        /// (function, weight) pairs.
        scores: Vec<(ScoreFn, f64)>,
    },
}

impl PlacementSpec {
    /// Names accepted by `placement = "..."`.
    pub const NAMES: &'static [&'static str] = &[
        "first-fit",
        "random",
        "round-robin",
        "least-allocated",
        "most-allocated",
        "power-of-d",
        "jsq",
    ];

    /// Parses a placement name; `d` is the power-of-d parameter (default 2).
    pub fn parse(name: &str, d: Option<u32>) -> Result<PlacementSpec, String> {
        Ok(match name {
            "first-fit" => PlacementSpec::FirstFit,
            "random" => PlacementSpec::Random,
            "round-robin" => PlacementSpec::RoundRobin,
            "least-allocated" => PlacementSpec::LeastAllocated,
            "most-allocated" => PlacementSpec::MostAllocated,
            "power-of-d" => PlacementSpec::PowerOfD { d: d.unwrap_or(2) },
            "jsq" => PlacementSpec::Jsq,
            other => {
                return Err(format!(
                    "unknown placement \"{other}\" (expected one of: {})",
                    PlacementSpec::NAMES.join(", ")
                ))
            }
        })
    }

    fn build(&self, rng: SimRng) -> Box<dyn Placement> {
        match self {
            PlacementSpec::FirstFit => Box::new(FirstFit),
            PlacementSpec::Random => Box::new(RandomPlacement::new(rng)),
            PlacementSpec::RoundRobin => Box::new(RoundRobin::default()),
            PlacementSpec::LeastAllocated => {
                Box::new(ScorePlacement::new(vec![(ScoreFn::LeastAllocated, 1.0)]))
            }
            PlacementSpec::MostAllocated => {
                Box::new(ScorePlacement::new(vec![(ScoreFn::MostAllocated, 1.0)]))
            }
            PlacementSpec::PowerOfD { d } => Box::new(PowerOfD::new(*d, rng)),
            PlacementSpec::Jsq => Box::new(JoinShortestQueue),
            PlacementSpec::Score { scores } => Box::new(ScorePlacement::new(scores.clone())),
        }
    }
}

/// A named scheduler: queue policy plus placement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchedulerSpec {
    /// Label used in outputs.
    pub name: String,
    /// Queue order.
    pub queue: QueuePolicy,
    /// Placement algorithm.
    pub placement: PlacementSpec,
}

/// Builds the scheduler described by `spec`, drawing any randomness from `rng`.
pub fn build_scheduler(spec: &SchedulerSpec, rng: SimRng) -> Box<dyn Scheduler> {
    Box::new(ListScheduler::new(spec.queue, spec.placement.build(rng)))
}

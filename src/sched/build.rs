//! From a validated scheduler description to a runnable [`Scheduler`]. Parsing of `[[scheduler]]`
//! tables lives in the private `table` module ([`SchedulerSpec::from_table`]).

mod table;

use serde::Serialize;

pub use table::SCHEDULER_KEYS;

use crate::cluster::IndexNeeds;
use crate::rng::SimRng;
use crate::sched::backfill::EasyBackfill;
use crate::sched::batch::{BatchRule, BatchScheduler};
use crate::sched::drf::Drf;
use crate::sched::placement::{
    AllocatedPlacement, BestFit, CompletionTime, Filter, FirstFit, JoinShortestQueue,
    LeastConnections, Placement, PowerOfD, RandomPlacement, RoundRobin, ScorePlacement,
    WeightedRoundRobin, WorstFit,
};
use crate::sched::preempt::PreemptivePriority;
use crate::sched::scoring::{ScoreFn, DEFAULT_EPVM_BASE};
use crate::sched::{ListScheduler, QueuePolicy, Scheduler};

/// Kumar-Sharma's default overload threshold over the mean load (20%).
pub const DEFAULT_KS_THRESHOLD: f64 = 0.2;

/// A placement algorithm and its parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "algorithm", rename_all = "kebab-case")]
pub enum PlacementSpec {
    /// Lowest-numbered node with room.
    FirstFit,
    /// Fewest free cores left after placement.
    BestFit,
    /// Most free cores left after placement.
    WorstFit,
    /// Uniformly random feasible node.
    Random,
    /// Cycle through nodes.
    RoundRobin,
    /// Cycle through nodes in proportion to their CPU capacity.
    WeightedRoundRobin,
    /// Spread: most free capacity after placement.
    LeastAllocated,
    /// Pack: least free capacity after placement.
    MostAllocated,
    /// Kubernetes' balanced resource allocation score.
    BalancedAllocation,
    /// Tetris alignment of demand and free capacity.
    DotProduct,
    /// Sample d nodes, take the least loaded.
    PowerOfD {
        /// Number of samples.
        d: u32,
    },
    /// Fewest tasks on the node.
    Jsq,
    /// Fewest tasks per core of capacity.
    LeastConnections,
    /// Minimum completion time.
    Mct,
    /// E-PVM opportunity cost.
    EPvm {
        /// Base of the exponential cost.
        base: u32,
    },
    /// MCT over nodes not loaded above the mean by more than `threshold`.
    KumarSharma {
        /// Overload threshold as a fraction over the mean load.
        threshold: f64,
    },
    /// Batch Min-Min over the queue.
    MinMin,
    /// Batch Max-Min over the queue.
    MaxMin,
    /// Batch Sufferage over the queue.
    Sufferage,
    /// Weighted sum of scoring functions.
    Score {
        /// (function, weight) pairs.
        scores: Vec<(ScoreFn, f64)>,
        /// Filters a node must pass before it is scored.
        filters: Vec<Filter>,
        /// Percentage of nodes to score per decision (`None`: all).
        sample_percent: Option<u32>,
    },
}

/// Optional parameters of named placements (`None`: the default).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PlacementParams {
    /// Power-of-d samples (default 2).
    pub d: Option<u32>,
    /// Kumar-Sharma threshold (default [`DEFAULT_KS_THRESHOLD`]).
    pub threshold: Option<f64>,
    /// E-PVM base (default [`DEFAULT_EPVM_BASE`]).
    pub base: Option<u32>,
}

impl PlacementSpec {
    /// Names accepted by `placement = "..."`.
    pub const NAMES: &'static [&'static str] = &[
        "first-fit",
        "best-fit",
        "worst-fit",
        "random",
        "round-robin",
        "weighted-round-robin",
        "least-allocated",
        "most-allocated",
        "balanced-allocation",
        "dot-product",
        "power-of-d",
        "jsq",
        "least-connections",
        "mct",
        "e-pvm",
        "kumar-sharma",
        "min-min",
        "max-min",
        "sufferage",
    ];

    /// Parses a placement name; `d` is the power-of-d parameter (default 2).
    pub fn parse(name: &str, d: Option<u32>) -> Result<PlacementSpec, String> {
        PlacementSpec::parse_with(
            name,
            &PlacementParams {
                d,
                ..PlacementParams::default()
            },
        )
    }

    /// Parses a placement name with its parameters.
    pub fn parse_with(name: &str, p: &PlacementParams) -> Result<PlacementSpec, String> {
        Ok(match name {
            "first-fit" => PlacementSpec::FirstFit,
            "best-fit" => PlacementSpec::BestFit,
            "worst-fit" => PlacementSpec::WorstFit,
            "random" => PlacementSpec::Random,
            "round-robin" => PlacementSpec::RoundRobin,
            "weighted-round-robin" => PlacementSpec::WeightedRoundRobin,
            "least-allocated" => PlacementSpec::LeastAllocated,
            "most-allocated" => PlacementSpec::MostAllocated,
            "balanced-allocation" => PlacementSpec::BalancedAllocation,
            "dot-product" => PlacementSpec::DotProduct,
            "power-of-d" => PlacementSpec::PowerOfD {
                d: p.d.unwrap_or(2),
            },
            "jsq" => PlacementSpec::Jsq,
            "least-connections" => PlacementSpec::LeastConnections,
            "mct" => PlacementSpec::Mct,
            "e-pvm" => PlacementSpec::EPvm {
                base: p.base.unwrap_or(DEFAULT_EPVM_BASE),
            },
            "kumar-sharma" => PlacementSpec::KumarSharma {
                threshold: p.threshold.unwrap_or(DEFAULT_KS_THRESHOLD),
            },
            "min-min" => PlacementSpec::MinMin,
            "max-min" => PlacementSpec::MaxMin,
            "sufferage" => PlacementSpec::Sufferage,
            other => {
                return Err(format!(
                    "unknown placement \"{other}\" (expected one of: {})",
                    PlacementSpec::NAMES.join(", ")
                ))
            }
        })
    }

    /// The scoring functions a score-based placement ranks nodes by (`None` for the others).
    pub fn score_preset(&self) -> Option<Vec<(ScoreFn, f64)>> {
        let f = match self {
            PlacementSpec::LeastAllocated => ScoreFn::LeastAllocated,
            PlacementSpec::MostAllocated => ScoreFn::MostAllocated,
            PlacementSpec::BalancedAllocation => ScoreFn::BalancedAllocation,
            PlacementSpec::DotProduct => ScoreFn::DotProduct,
            PlacementSpec::EPvm { base } => ScoreFn::EPvm { base: *base },
            PlacementSpec::Score { scores, .. } => return Some(scores.clone()),
            _ => return None,
        };
        Some(vec![(f, 1.0)])
    }

    /// The batch heuristic this names, if it is one (they schedule the whole queue themselves).
    pub fn batch_rule(&self) -> Option<BatchRule> {
        match self {
            PlacementSpec::MinMin => Some(BatchRule::MinMin),
            PlacementSpec::MaxMin => Some(BatchRule::MaxMin),
            PlacementSpec::Sufferage => Some(BatchRule::Sufferage),
            _ => None,
        }
    }

    /// The per-task placement this describes, drawing any randomness from `rng` (`None` for batch
    /// heuristics, which are whole schedulers: see [`build_scheduler`]).
    pub fn placement(&self, rng: SimRng) -> Option<Box<dyn Placement>> {
        Some(match self {
            PlacementSpec::FirstFit => Box::new(FirstFit),
            PlacementSpec::BestFit => Box::new(BestFit),
            PlacementSpec::WorstFit => Box::new(WorstFit),
            PlacementSpec::Random => Box::new(RandomPlacement::new(rng)),
            PlacementSpec::RoundRobin => Box::new(RoundRobin::default()),
            PlacementSpec::WeightedRoundRobin => Box::new(WeightedRoundRobin::default()),
            PlacementSpec::LeastAllocated => Box::new(AllocatedPlacement::least()),
            PlacementSpec::MostAllocated => Box::new(AllocatedPlacement::most()),
            PlacementSpec::PowerOfD { d } => Box::new(PowerOfD::new(*d, rng)),
            PlacementSpec::Jsq => Box::new(JoinShortestQueue),
            PlacementSpec::LeastConnections => Box::new(LeastConnections),
            PlacementSpec::Mct => Box::new(CompletionTime::mct()),
            PlacementSpec::KumarSharma { threshold } => {
                Box::new(CompletionTime::kumar_sharma(*threshold))
            }
            PlacementSpec::Score {
                scores,
                filters,
                sample_percent,
            } => Box::new(
                ScorePlacement::new(scores.clone())
                    .with_filters(filters.clone())
                    .with_sampling(*sample_percent),
            ),
            PlacementSpec::BalancedAllocation
            | PlacementSpec::DotProduct
            | PlacementSpec::EPvm { .. } => Box::new(ScorePlacement::new(self.score_preset()?)),
            PlacementSpec::MinMin | PlacementSpec::MaxMin | PlacementSpec::Sufferage => {
                return None
            }
        })
    }
}

impl PlacementSpec {
    /// The cluster indexes this placement reads.
    pub fn index_needs(&self) -> IndexNeeds {
        let mut needs = IndexNeeds::NONE;
        match self {
            PlacementSpec::BestFit | PlacementSpec::WorstFit => needs.free_cpu = true,
            PlacementSpec::LeastAllocated | PlacementSpec::MostAllocated => needs.fraction = true,
            PlacementSpec::Jsq => needs.load = true,
            _ => {}
        }
        needs
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
    /// What a preempted attempt keeps of its work (preemptive priority only).
    pub preempt: crate::sched::preempt::PreemptMode,
}

impl SchedulerSpec {
    /// The cluster indexes this scheduler reads (a run maintains only these).
    pub fn index_needs(&self) -> IndexNeeds {
        self.placement.index_needs()
    }
}

/// Builds the scheduler described by `spec`, drawing any randomness from `rng`: a batch heuristic,
/// or the queue discipline's scheduler around the per-task placement.
pub fn build_scheduler(spec: &SchedulerSpec, rng: SimRng) -> Box<dyn Scheduler> {
    let Some(placement) = spec.placement.placement(rng) else {
        let rule = spec
            .placement
            .batch_rule()
            .expect("only batch heuristics lack a placement");
        return Box::new(BatchScheduler::new(rule));
    };
    match spec.queue {
        QueuePolicy::PreemptivePriority => Box::new(PreemptivePriority::new(placement)),
        QueuePolicy::EasyBackfill => Box::new(EasyBackfill::new(placement)),
        QueuePolicy::Drf => Box::new(Drf::new(placement)),
        queue => Box::new(ListScheduler::new(queue, placement)),
    }
}

//! From a validated scheduler description to a runnable [`Scheduler`]. The named placements are
//! listed once, in [`registry`]; parsing of `[[scheduler]]` tables lives in the private `table`
//! module ([`SchedulerSpec::from_table`]).

pub mod registry;
mod table;

use serde::Serialize;

pub use table::scheduler_keys;

use crate::cluster::IndexNeeds;
use crate::rng::SimRng;
use crate::sched::backfill::EasyBackfill;
use crate::sched::batch::{BatchRule, BatchScheduler};
use crate::sched::drf::Drf;
use crate::sched::placement::{
    AllocatedPlacement, BestFit, CompletionTime, Fgd, Filter, FirstFit, GpuBestFit, GpuDotProduct,
    GpuWorstFit, JoinShortestQueue, LeastConnections, Placement, PowerOfD, RandomPlacement,
    RoundRobin, Sampler, ScorePlacement, Stride, WeightedRoundRobin, WorstFit,
};
use crate::sched::preempt::PreemptivePriority;
use crate::sched::scoring::ScoreFn;
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
    /// Weighted round-robin by stride scheduling, in O(log n) per decision.
    Stride,
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
    /// GPU best fit: least CPU and GPU left after placement.
    GpuBestFit,
    /// GPU worst fit: most CPU and GPU left after placement.
    GpuWorstFit,
    /// Tetris alignment over CPU, memory and GPU.
    GpuDotProduct,
    /// Fragmentation gradient descent (GPU fragmentation).
    Fgd,
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
    /// A placement that looks at a fixed-size sample of nodes per decision (`sample = k`) instead of
    /// every node: see [`crate::sched::placement::Sampler`].
    Sampled {
        /// Nodes drawn per decision.
        sample: u32,
        /// The placement applied to the sample (a score-based, GPU, completion-time or batch one).
        of: Box<PlacementSpec>,
    },
}

/// The message for a placement name that is not in the registry.
pub fn unknown_placement(name: &str) -> String {
    format!(
        "unknown placement \"{name}\" (expected one of: {})",
        PlacementSpec::names().collect::<Vec<_>>().join(", ")
    )
}

impl PlacementSpec {
    /// Names accepted by `placement = "..."`, in catalogue order.
    pub fn names() -> impl Iterator<Item = &'static str> {
        registry::PLACEMENTS.iter().map(|e| e.name)
    }

    /// The named placement `name` with every parameter at its default.
    pub fn parse(name: &str) -> Result<PlacementSpec, String> {
        let entry = registry::lookup(name).ok_or_else(|| unknown_placement(name))?;
        (entry.spec)(&registry::Args::none()).map_err(|e| e.to_string())
    }

    /// This placement's registry entry (`None` for a weighted score list, which has no name).
    /// Exhaustive on purpose: a new variant does not compile until it has an entry.
    pub fn entry(&self) -> Option<&'static registry::Entry> {
        use registry as r;
        Some(match self {
            PlacementSpec::FirstFit => &r::FIRST_FIT,
            PlacementSpec::BestFit => &r::BEST_FIT,
            PlacementSpec::WorstFit => &r::WORST_FIT,
            PlacementSpec::Random => &r::RANDOM,
            PlacementSpec::RoundRobin => &r::ROUND_ROBIN,
            PlacementSpec::WeightedRoundRobin => &r::WEIGHTED_ROUND_ROBIN,
            PlacementSpec::Stride => &r::STRIDE,
            PlacementSpec::LeastAllocated => &r::LEAST_ALLOCATED,
            PlacementSpec::MostAllocated => &r::MOST_ALLOCATED,
            PlacementSpec::BalancedAllocation => &r::BALANCED_ALLOCATION,
            PlacementSpec::DotProduct => &r::DOT_PRODUCT,
            PlacementSpec::PowerOfD { .. } => &r::POWER_OF_D,
            PlacementSpec::Jsq => &r::JSQ,
            PlacementSpec::LeastConnections => &r::LEAST_CONNECTIONS,
            PlacementSpec::Mct => &r::MCT,
            PlacementSpec::EPvm { .. } => &r::E_PVM,
            PlacementSpec::KumarSharma { .. } => &r::KUMAR_SHARMA,
            PlacementSpec::GpuBestFit => &r::GPU_BEST_FIT,
            PlacementSpec::GpuWorstFit => &r::GPU_WORST_FIT,
            PlacementSpec::GpuDotProduct => &r::GPU_DOT_PRODUCT,
            PlacementSpec::Fgd => &r::FGD,
            PlacementSpec::MinMin => &r::MIN_MIN,
            PlacementSpec::MaxMin => &r::MAX_MIN,
            PlacementSpec::Sufferage => &r::SUFFERAGE,
            PlacementSpec::Score { .. } => return None,
            PlacementSpec::Sampled { of, .. } => return of.entry(),
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
            PlacementSpec::Sampled { of, .. } => of.batch_rule(),
            PlacementSpec::MinMin => Some(BatchRule::MinMin),
            PlacementSpec::MaxMin => Some(BatchRule::MaxMin),
            PlacementSpec::Sufferage => Some(BatchRule::Sufferage),
            _ => None,
        }
    }

    /// The per-task placement this describes, drawing any randomness from `rng` (`None` for batch
    /// heuristics, which are whole schedulers: see [`build_scheduler`]).
    pub fn placement(&self, rng: SimRng) -> Option<Box<dyn Placement>> {
        if let PlacementSpec::Sampled { sample, of } = self {
            return of.sampled_placement(Sampler::new(*sample, rng));
        }
        Some(match self {
            PlacementSpec::FirstFit => Box::new(FirstFit),
            PlacementSpec::BestFit => Box::new(BestFit),
            PlacementSpec::WorstFit => Box::new(WorstFit),
            PlacementSpec::Random => Box::new(RandomPlacement::new(rng)),
            PlacementSpec::RoundRobin => Box::new(RoundRobin::default()),
            PlacementSpec::WeightedRoundRobin => Box::new(WeightedRoundRobin::default()),
            PlacementSpec::Stride => Box::new(Stride::default()),
            PlacementSpec::LeastAllocated => Box::new(AllocatedPlacement::least()),
            PlacementSpec::MostAllocated => Box::new(AllocatedPlacement::most()),
            PlacementSpec::PowerOfD { d } => Box::new(PowerOfD::new(*d, rng)),
            PlacementSpec::Jsq => Box::new(JoinShortestQueue),
            PlacementSpec::GpuBestFit => Box::new(GpuBestFit::default()),
            PlacementSpec::GpuWorstFit => Box::new(GpuWorstFit::default()),
            PlacementSpec::GpuDotProduct => Box::new(GpuDotProduct::default()),
            PlacementSpec::Fgd => Box::new(Fgd::default()),
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
            PlacementSpec::Sampled { .. } => unreachable!("handled above"),
        })
    }

    /// This placement looking only at the nodes `sampler` draws (`None` for batch heuristics, and
    /// for placements that take no `sample`, which the parser never wraps).
    fn sampled_placement(&self, sampler: Sampler) -> Option<Box<dyn Placement>> {
        let s = Some(sampler);
        Some(match self {
            PlacementSpec::GpuBestFit => Box::new(GpuBestFit { sample: s }),
            PlacementSpec::GpuWorstFit => Box::new(GpuWorstFit { sample: s }),
            PlacementSpec::GpuDotProduct => Box::new(GpuDotProduct { sample: s }),
            PlacementSpec::Fgd => Box::new(Fgd::default().with_sample(s)),
            PlacementSpec::Mct => Box::new(CompletionTime::mct().with_sample(s)),
            PlacementSpec::KumarSharma { threshold } => {
                Box::new(CompletionTime::kumar_sharma(*threshold).with_sample(s))
            }
            PlacementSpec::Score {
                scores, filters, ..
            } => Box::new(
                ScorePlacement::new(scores.clone())
                    .with_filters(filters.clone())
                    .with_sample(s),
            ),
            _ => Box::new(ScorePlacement::new(self.score_preset()?).with_sample(s)),
        })
    }
}

impl PlacementSpec {
    /// How the cluster picks a share's GPU within a node for this placement: FGD's least
    /// fragmentation, best fit for the others.
    pub fn gpu_pick(&self) -> crate::cluster::GpuPick {
        match self {
            PlacementSpec::Fgd => crate::cluster::GpuPick::LeastFragmentation,
            PlacementSpec::Sampled { of, .. } => of.gpu_pick(),
            _ => crate::cluster::GpuPick::BestFit,
        }
    }

    /// The cluster indexes this placement reads (from its registry entry; a score list reads none).
    pub fn index_needs(&self) -> IndexNeeds {
        self.entry().map_or(IndexNeeds::NONE, |e| e.needs)
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
    let sample = match &spec.placement {
        PlacementSpec::Sampled { sample, .. } => Some(*sample),
        _ => None,
    };
    let Some(placement) = spec.placement.placement(rng.clone()) else {
        let rule = spec
            .placement
            .batch_rule()
            .expect("only batch heuristics lack a placement");
        let sampler = sample.map(|k| Sampler::new(k, rng));
        return Box::new(BatchScheduler::new(rule).with_sample(sampler));
    };
    match spec.queue {
        QueuePolicy::PreemptivePriority => Box::new(PreemptivePriority::new(placement)),
        QueuePolicy::EasyBackfill => Box::new(EasyBackfill::new(placement)),
        QueuePolicy::Drf => Box::new(Drf::new(placement)),
        queue => Box::new(ListScheduler::new(queue, placement)),
    }
}

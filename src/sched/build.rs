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

use crate::config::field::{
    as_f64, as_str, as_table, as_u64, check_keys, join, opt, req, FieldError,
};

/// Keys a `[[scheduler]]` table may have.
pub const SCHEDULER_KEYS: &[&str] = &["name", "queue", "placement", "d"];

impl SchedulerSpec {
    /// Parses one `[[scheduler]]` table; `prefix` is its dotted path (e.g. `scheduler[1]`).
    pub fn from_table(table: &toml::Table, prefix: &str) -> Result<SchedulerSpec, FieldError> {
        check_keys(table, SCHEDULER_KEYS, prefix)?;
        let name = req(table, "name", prefix, |v, k| {
            as_str(v, k).map(str::to_string)
        })?;
        let queue = match table.get("queue") {
            Some(v) => QueuePolicy::parse(as_str(v, &join(prefix, "queue"))?)
                .map_err(|m| FieldError::new(join(prefix, "queue"), m))?,
            None => QueuePolicy::Fifo,
        };
        let d = opt(table, "d", prefix, as_u64)?;
        if d == Some(0) {
            return Err(FieldError::new(join(prefix, "d"), "must be at least 1"));
        }
        let placement_key = join(prefix, "placement");
        let placement = match table.get("placement") {
            None => return Err(FieldError::new(placement_key, "is required but missing")),
            Some(toml::Value::String(s)) => PlacementSpec::parse(s, d.map(|d| d as u32))
                .map_err(|m| FieldError::new(&placement_key, m))?,
            Some(v) => parse_score_table(as_table(v, &placement_key)?, &placement_key)?,
        };
        Ok(SchedulerSpec {
            name,
            queue,
            placement,
        })
    }
}

/// Parses `{ score = [{ fn = "...", weight = w }, ...] }`.
fn parse_score_table(table: &toml::Table, prefix: &str) -> Result<PlacementSpec, FieldError> {
    check_keys(table, &["score"], prefix)?;
    let list_key = join(prefix, "score");
    let list = match table.get("score") {
        Some(toml::Value::Array(a)) => a,
        Some(_) => {
            return Err(FieldError::new(
                &list_key,
                "expected a list of { fn, weight } tables",
            ))
        }
        None => return Err(FieldError::new(&list_key, "is required but missing")),
    };
    if list.is_empty() {
        return Err(FieldError::new(
            list_key,
            "must name at least one scoring function",
        ));
    }
    let mut scores = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let key = format!("{list_key}[{i}]");
        let t = as_table(item, &key)?;
        check_keys(t, &["fn", "weight"], &key)?;
        let f = req(t, "fn", &key, |v, k| {
            ScoreFn::parse(as_str(v, k)?).map_err(|m| FieldError::new(k, m))
        })?;
        let w = opt(t, "weight", &key, as_f64)?.unwrap_or(1.0);
        if !(w.is_finite() && w >= 0.0) {
            return Err(FieldError::new(
                join(&key, "weight"),
                format!("must be a non-negative number, got {w}"),
            ));
        }
        scores.push((f, w));
    }
    Ok(PlacementSpec::Score { scores })
}

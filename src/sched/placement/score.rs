//! Score-based placement: filter feasible nodes, score each with a weighted sum of scoring functions,
//! take the best (ties: lowest node id). A full scan of the nodes per task, unless candidate sampling
//! is on: then, as Kubernetes' `percentageOfNodesToScore`, the scan starts where the previous one
//! stopped, wraps around, and ends once the requested share of nodes (at least 100, or all of them in
//! a smaller cluster) has been found feasible. With a [`Sampler`] (`sample = k`) it scores a fixed-size
//! sample of the nodes instead, so the cost no longer grows with the cluster.

use serde::Serialize;

use crate::cluster::Node;
use crate::ids::NodeId;
use crate::resources::Resources;
use crate::sched::placement::{candidates, Placement, Sampler};
use crate::sched::scoring::{dominant_utilisation_after, ScoreFn};
use crate::sched::{PendingTask, View};

/// A node filter applied before scoring.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Filter {
    /// Reject a node whose dominant utilisation after placement would exceed this fraction.
    MaxUtilisation(f64),
}

impl Filter {
    /// Parses `"max-utilisation:0.9"`.
    pub fn parse(text: &str) -> Result<Filter, String> {
        match text.split_once(':') {
            Some(("max-utilisation", x)) => match x.trim().parse::<f64>() {
                Ok(v) if v > 0.0 && v <= 1.0 => Ok(Filter::MaxUtilisation(v)),
                _ => Err(format!(
                    "max-utilisation takes a fraction in (0, 1], got \"{x}\""
                )),
            },
            _ => Err(format!(
                "unknown filter \"{text}\" (expected \"max-utilisation:<fraction>\")"
            )),
        }
    }

    /// Whether `node` passes the filter for `demand`.
    pub fn admits(&self, node: &Node, demand: &Resources) -> bool {
        match self {
            Filter::MaxUtilisation(max) => dominant_utilisation_after(node, demand) <= *max,
        }
    }
}

/// Fewest feasible nodes a sampled decision looks at (Kubernetes' `minFeasibleNodesToFind`).
pub const MIN_SAMPLED_NODES: usize = 100;

/// Weighted-sum score placement.
#[derive(Debug, Clone)]
pub struct ScorePlacement {
    scores: Vec<(ScoreFn, f64)>,
    filters: Vec<Filter>,
    sample_percent: Option<u32>,
    next_start: usize,
    sample: Option<Sampler>,
}

impl ScorePlacement {
    /// A placement maximising `sum(weight * fn(node, demand))` over every feasible node.
    pub fn new(scores: Vec<(ScoreFn, f64)>) -> ScorePlacement {
        ScorePlacement {
            scores,
            filters: Vec::new(),
            sample_percent: None,
            next_start: 0,
            sample: None,
        }
    }

    /// Adds filters every chosen node must pass.
    pub fn with_filters(mut self, filters: Vec<Filter>) -> ScorePlacement {
        self.filters = filters;
        self
    }

    /// Scores only `percent` (1..=100) of the nodes per decision (see the module docs).
    pub fn with_sampling(mut self, percent: Option<u32>) -> ScorePlacement {
        self.sample_percent = percent;
        self
    }

    /// Scores only the nodes `sampler` draws per decision (see [`Sampler`]); `None` scores all.
    pub fn with_sample(mut self, sampler: Option<Sampler>) -> ScorePlacement {
        self.sample = sampler;
        self
    }

    fn total(&self, node: &Node, demand: &Resources) -> f64 {
        self.scores
            .iter()
            .map(|(f, w)| w * f.score(node, demand))
            .sum()
    }

    /// Scores `node` into `best` if it is feasible and passes the filters; whether it did.
    fn consider(
        &self,
        node: &Node,
        task: &PendingTask,
        view: &View<'_>,
        best: &mut Option<(f64, NodeId)>,
    ) -> bool {
        if !view.feasible(node, &task.demand)
            || !self.filters.iter().all(|f| f.admits(node, &task.demand))
        {
            return false;
        }
        let s = self.total(node, &task.demand);
        if best.is_none_or(|(b, id)| s > b || (s == b && node.id < id)) {
            *best = Some((s, node.id));
        }
        true
    }
}

impl Placement for ScorePlacement {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        let mut best: Option<(f64, NodeId)> = None;
        if self.sample.is_some() {
            for node in candidates(self.sample.as_mut(), task, view) {
                self.consider(node, task, view, &mut best);
            }
            return best.map(|(_, id)| id);
        }
        let nodes = view.cluster.nodes();
        let n = nodes.len();
        let wanted = match self.sample_percent {
            None => n,
            Some(p) => (n * p as usize).div_ceil(100).max(MIN_SAMPLED_NODES).min(n),
        };
        let start = if wanted < n { self.next_start % n } else { 0 };
        let (mut found, mut visited) = (0, 0);
        while visited < n && found < wanted {
            let node = &nodes[(start + visited) % n];
            visited += 1;
            if self.consider(node, task, view, &mut best) {
                found += 1;
            }
        }
        self.next_start = (start + visited) % n.max(1);
        best.map(|(_, id)| id)
    }
}

#[cfg(test)]
mod tests;

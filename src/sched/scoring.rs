//! Scoring functions: pure functions of (node, task demand), higher is better. Score-based placements
//! rank feasible nodes by a weighted sum of these. This module has no state, no clock and no I/O, so a
//! future real-container driver could call exactly these functions.
//!
//! Every function is only meaningful on nodes where the demand fits; placements filter first.

use serde::Serialize;

use crate::cluster::{free_fraction, Node};
use crate::resources::{Resources, DIMS};

/// A named scoring function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScoreFn {
    /// Prefer nodes with the most free capacity left after placing (spreading; Kubernetes
    /// `LeastAllocated`): mean over resources of free/capacity after placement.
    LeastAllocated,
    /// Prefer nodes with the least free capacity left after placing (bin packing; Kubernetes
    /// `MostAllocated`): mean over resources of allocated/capacity after placement.
    MostAllocated,
    /// Prefer nodes whose resources end up equally utilised (Kubernetes `BalancedAllocation`):
    /// 1 minus the standard deviation of the per-resource utilisation after placement.
    BalancedAllocation,
    /// Tetris alignment (Grandl et al., SIGCOMM 2014): dot product of the demand and the node's free
    /// vector, both normalised by the node's capacity.
    DotProduct,
    /// Tightest node by CPU left over (classic best fit): `1 / (1 + cores left after placing)`.
    BestFit,
    /// Loosest node by CPU left over (worst fit): `1 - 1 / (1 + cores left after placing)`.
    WorstFit,
    /// E-PVM opportunity cost (Amir et al., IEEE TPDS 2000): the cost of a resource at utilisation u
    /// is `base^u`; the score is 1 minus the added cost of placing, normalised to [0, 1].
    EPvm {
        /// Base of the exponential cost (the paper takes the number of machines).
        base: u32,
    },
}

/// Names accepted by `fn = "..."` in a score list.
pub const SCORE_NAMES: &[&str] = &[
    "least-allocated",
    "most-allocated",
    "balanced-allocation",
    "dot-product",
    "best-fit",
    "worst-fit",
    "e-pvm",
];

/// Default E-PVM cost base when a scenario gives none.
pub const DEFAULT_EPVM_BASE: u32 = 100;

impl ScoreFn {
    /// Parses a scoring function's name (E-PVM with [`DEFAULT_EPVM_BASE`]).
    pub fn parse(name: &str) -> Result<ScoreFn, String> {
        Ok(match name {
            "least-allocated" => ScoreFn::LeastAllocated,
            "most-allocated" => ScoreFn::MostAllocated,
            "balanced-allocation" => ScoreFn::BalancedAllocation,
            "dot-product" => ScoreFn::DotProduct,
            "best-fit" => ScoreFn::BestFit,
            "worst-fit" => ScoreFn::WorstFit,
            "e-pvm" => ScoreFn::EPvm {
                base: DEFAULT_EPVM_BASE,
            },
            other => {
                return Err(format!(
                    "unknown scoring function \"{other}\" (expected one of: {})",
                    SCORE_NAMES.join(", ")
                ))
            }
        })
    }

    /// The score of placing `demand` on `node`.
    pub fn score(&self, node: &Node, demand: &Resources) -> f64 {
        match self {
            ScoreFn::LeastAllocated => least_allocated(node, demand),
            ScoreFn::MostAllocated => most_allocated(node, demand),
            ScoreFn::BalancedAllocation => balanced_allocation(node, demand),
            ScoreFn::DotProduct => dot_product(node, demand),
            ScoreFn::BestFit => 1.0 / (1.0 + cpu_left_cores(node, demand)),
            ScoreFn::WorstFit => 1.0 - 1.0 / (1.0 + cpu_left_cores(node, demand)),
            ScoreFn::EPvm { base } => epvm_score(node, demand, *base),
        }
    }
}

/// Utilisation of each resource of `node` if `demand` were added (0 for a dimension of zero capacity).
pub fn utilisation_after(node: &Node, demand: &Resources) -> [f64; DIMS] {
    (node.allocated + *demand).fractions_of(&node.capacity)
}

/// Mean over resources of `demand` as a fraction of the node's capacity: the same for every node of
/// a node group, which is what lets the cluster index least/most-allocated per group.
pub fn demand_fraction(node: &Node, demand: &Resources) -> f64 {
    demand_fraction_of(&node.capacity, demand)
}

/// Mean over resources of `demand` as a fraction of `capacity`: [`demand_fraction`] for a node of
/// that capacity (a node group's, read without touching any node).
pub fn demand_fraction_of(capacity: &Resources, demand: &Resources) -> f64 {
    demand.fractions_of(capacity).iter().sum::<f64>() / DIMS as f64
}

/// Mean over resources of the fraction left free after placing `demand`. Computed as the node's free
/// fraction (the cluster's index key) minus the demand's fraction, so it is monotone in the key.
pub fn least_allocated(node: &Node, demand: &Resources) -> f64 {
    free_fraction(&node.capacity, &node.allocated) - demand_fraction(node, demand)
}

/// Mean over resources of the fraction allocated after placing `demand` (monotone in the index key).
pub fn most_allocated(node: &Node, demand: &Resources) -> f64 {
    (1.0 - free_fraction(&node.capacity, &node.allocated)) + demand_fraction(node, demand)
}

/// 1 minus the (population) standard deviation of the utilisation fractions after placement.
pub fn balanced_allocation(node: &Node, demand: &Resources) -> f64 {
    let u = utilisation_after(node, demand);
    let mean = u.iter().sum::<f64>() / DIMS as f64;
    let var = u.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / DIMS as f64;
    1.0 - var.sqrt()
}

/// Tetris alignment score: `sum_r (demand_r / cap_r) * (free_r / cap_r) / DIMS`, in [0, 1].
pub fn dot_product(node: &Node, demand: &Resources) -> f64 {
    let d = demand.fractions_of(&node.capacity);
    let f = node.free().fractions_of(&node.capacity);
    d.iter().zip(f).map(|(a, b)| a * b).sum::<f64>() / DIMS as f64
}

/// Cores left free on the node after placing `demand` (0 if it does not fit).
pub fn cpu_left_cores(node: &Node, demand: &Resources) -> f64 {
    node.free().cpu_milli.saturating_sub(demand.cpu_milli) as f64 / 1000.0
}

/// E-PVM's added cost of placing `demand`: `sum_r base^u_after - base^u_before` over resources.
pub fn epvm_added_cost(node: &Node, demand: &Resources, base: u32) -> f64 {
    let b = f64::from(base.max(2));
    let before = node.allocated.fractions_of(&node.capacity);
    let after = utilisation_after(node, demand);
    before
        .iter()
        .zip(after)
        .map(|(u0, u1)| b.powf(u1.min(1.0)) - b.powf(u0.min(1.0)))
        .sum()
}

/// E-PVM as a score: 1 minus the added cost over its largest possible value (every resource going
/// from empty to full), so an idle node taking nothing scores 1.
pub fn epvm_score(node: &Node, demand: &Resources, base: u32) -> f64 {
    let b = f64::from(base.max(2));
    1.0 - epvm_added_cost(node, demand, base) / (DIMS as f64 * (b - 1.0))
}

/// The largest utilisation over resources after placing `demand` (a node's dominant load).
pub fn dominant_utilisation_after(node: &Node, demand: &Resources) -> f64 {
    utilisation_after(node, demand)
        .into_iter()
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests;

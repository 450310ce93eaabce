//! Scoring functions: pure functions of (node, task demand) returning a score in [0, 1], higher is
//! better. Score-based placements rank feasible nodes by a weighted sum of these. This module has no
//! state, no clock and no I/O: the Docker runner calls exactly these functions.

use serde::Serialize;

use crate::cluster::Node;
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
}

impl ScoreFn {
    /// Parses a scoring function's name.
    pub fn parse(name: &str) -> Result<ScoreFn, String> {
        match name {
            "least-allocated" => Ok(ScoreFn::LeastAllocated),
            "most-allocated" => Ok(ScoreFn::MostAllocated),
            other => Err(format!("unknown scoring function \"{other}\" (expected one of: least-allocated, most-allocated)")),
        }
    }

    /// The score of placing `demand` on `node`.
    pub fn score(&self, node: &Node, demand: &Resources) -> f64 {
        match self {
            ScoreFn::LeastAllocated => least_allocated(node, demand),
            ScoreFn::MostAllocated => most_allocated(node, demand),
        }
    }
}

/// Utilisation of each resource of `node` if `demand` were added (0 for a dimension of zero capacity).
pub fn utilisation_after(node: &Node, demand: &Resources) -> [f64; DIMS] {
    (node.allocated + *demand).fractions_of(&node.capacity)
}

/// Mean over resources of the fraction left free after placing `demand`.
pub fn least_allocated(node: &Node, demand: &Resources) -> f64 {
    let u = utilisation_after(node, demand);
    u.iter().map(|x| (1.0 - x).max(0.0)).sum::<f64>() / DIMS as f64
}

/// Mean over resources of the fraction allocated after placing `demand`.
pub fn most_allocated(node: &Node, demand: &Resources) -> f64 {
    let u = utilisation_after(node, demand);
    u.iter().map(|x| x.min(1.0)).sum::<f64>() / DIMS as f64
}

/// The largest utilisation over resources after placing `demand` (a node's dominant load).
pub fn dominant_utilisation_after(node: &Node, demand: &Resources) -> f64 {
    utilisation_after(node, demand)
        .into_iter()
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::NodeId;

    fn node(cpu: u64, mem: u64, alloc_cpu: u64, alloc_mem: u64) -> Node {
        Node {
            id: NodeId(0),
            group: 0,
            capacity: Resources {
                cpu_milli: cpu,
                memory: mem,
                disk: 100,
            },
            allocated: Resources {
                cpu_milli: alloc_cpu,
                memory: alloc_mem,
                disk: 0,
            },
            speed: 1.0,
            schedulable: true,
            running: 0,
            queued: 0,
        }
    }

    #[test]
    fn least_and_most_allocated_are_complements() {
        // 4 cores with 1 used, 8 GiB-units with 2 used, disk 100 free; place 1 core, 2 units, 50 disk.
        // After: cpu 2/4, mem 4/8, disk 50/100 -> utilisation 0.5 everywhere.
        let n = node(4000, 8, 1000, 2);
        let d = Resources {
            cpu_milli: 1000,
            memory: 2,
            disk: 50,
        };
        assert!((least_allocated(&n, &d) - 0.5).abs() < 1e-12);
        assert!((most_allocated(&n, &d) - 0.5).abs() < 1e-12);
        let emptier = node(4000, 8, 0, 0);
        assert!(least_allocated(&emptier, &d) > least_allocated(&n, &d));
        assert!(most_allocated(&emptier, &d) < most_allocated(&n, &d));
    }
}

//! Offered load: how much of the cluster a synthetic workload asks for, per resource, before any
//! simulation. At or above 1 no scheduler can keep up and the queue grows without bound.
//!
//! For resource r, with, for each workload class c (one class without `[[workload.class]]`), job
//! arrival rate λ_c (the process's long-run mean), mean tasks per job `E[K_c]`, mean duration
//! `E[D_c]` at speed 1.0 and mean demand `E[d_{c,r}]`, and node groups g of `count` nodes with
//! capacity `c_{g,r}` and speed `s_g`:
//!
//! ```text
//! load_r = Σ_c λ_c · E[K_c] · E[d_{c,r}] · E[D_c] / Σ_g count_g · c_{g,r} · s_g
//!          +  services_r / Σ_g count_g · c_{g,r}
//! ```
//!
//! The first term is the work arriving per second over the work the cluster can do per second
//! (task counts, durations and demands are drawn independently, so the mean of their product is
//! the product of the means; on a heterogeneous cluster it assumes the work spreads over the nodes
//! in proportion to their speed). The second is the share the long-running services hold for the
//! whole run. `max_tasks` is ignored: the load is that of the arrival processes while they run.

use crate::cluster::NodeGroup;
use crate::config::WorkloadSpec;
use crate::resources::{Resources, DIMS, DIM_NAMES};
use crate::workload::jobs::mean_tasks_per_job;
use crate::workload::synthetic::SyntheticSpec;

/// Offered load per resource (cpu, memory, disk), as fractions of the cluster's capacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OfferedLoad(pub [f64; DIMS]);

impl OfferedLoad {
    /// The load of a scenario's workload on its cluster; `None` for trace replays (their demand
    /// is only known by reading the trace).
    pub fn of(workload: &WorkloadSpec, groups: &[NodeGroup]) -> Option<OfferedLoad> {
        match workload {
            WorkloadSpec::Synthetic(s) => Some(synthetic(s, groups)),
            WorkloadSpec::Trace { .. } => None,
        }
    }

    /// The most loaded resource: (name, load).
    pub fn max(&self) -> (&'static str, f64) {
        (0..DIMS)
            .map(|i| (DIM_NAMES[i], self.0[i]))
            .fold(
                ("cpu", f64::NEG_INFINITY),
                |a, b| if b.1 > a.1 { b } else { a },
            )
    }

    /// `cpu 0.55, memory 0.12, disk 0`.
    pub fn render(&self) -> String {
        (0..DIMS)
            .map(|i| format!("{} {}", DIM_NAMES[i], round3(self.0[i])))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn round3(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1000.0).round() / 1000.0
    } else {
        x
    }
}

/// Resource dimensions in the units the scenario uses (cores, bytes).
fn units(r: &Resources) -> [f64; DIMS] {
    [r.cpu_cores(), r.memory as f64, r.disk as f64]
}

fn synthetic(s: &SyntheticSpec, groups: &[NodeGroup]) -> OfferedLoad {
    let mut capacity = [0.0; DIMS];
    let mut work_capacity = [0.0; DIMS];
    for g in groups {
        let c = units(&g.capacity);
        for i in 0..DIMS {
            capacity[i] += g.count as f64 * c[i];
            work_capacity[i] += g.count as f64 * c[i] * g.speed;
        }
    }
    let mut batch = [0.0; DIMS];
    for c in s.batch_classes() {
        let tasks_per_s = c.arrival.mean_rate() * mean_tasks_per_job(c.tasks_per_job.as_ref());
        let demand = [c.cpu.mean(), c.memory.mean(), c.disk.mean()];
        for i in 0..DIMS {
            batch[i] += tasks_per_s * demand[i] * c.duration.mean();
        }
    }
    let held = s.services.as_ref().map_or([0.0; DIMS], |svc| {
        let d = units(&svc.demand);
        let n = svc.count as f64 * svc.replicas as f64;
        std::array::from_fn(|i| n * d[i])
    });
    OfferedLoad(std::array::from_fn(|i| {
        ratio(batch[i], work_capacity[i]) + ratio(held[i], capacity[i])
    }))
}

/// `a / b`, with 0 / 0 = 0 (no demand on a resource the cluster does not have).
fn ratio(a: f64, b: f64) -> f64 {
    if a == 0.0 {
        0.0
    } else {
        a / b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::arrival::ArrivalSpec;
    use crate::workload::dist::DistSpec;

    fn group(count: u32, cores: f64, speed: f64) -> NodeGroup {
        NodeGroup {
            name: "g".into(),
            count,
            capacity: Resources::new(cores, 8 << 30, 0),
            speed,
            domain: "g".into(),
            start_delay: None,
            power: None,
            gpu_model: None,
        }
    }

    fn spec(rate: f64, mean_s: f64, cpu: DistSpec) -> SyntheticSpec {
        SyntheticSpec {
            arrival: Some(ArrivalSpec::Poisson { rate }),
            services: None,
            duration: DistSpec::Exponential { mean: mean_s },
            cpu,
            memory: DistSpec::Constant {
                value: 1.0 * (1 << 30) as f64,
            },
            disk: DistSpec::Constant { value: 0.0 },
            priority: DistSpec::Constant { value: 0.0 },
            users: 1,
            max_tasks: None,
            chain: None,
            tasks_per_job: None,
            delay: None,
            classes: Vec::new(),
            gpu: None,
        }
    }

    #[test]
    fn offered_load_is_rate_times_demand_times_duration_over_capacity() {
        // 2 tasks/s x uniform(1, 3) cores (mean 2) x 10 s = 40 cores busy on average;
        // 10 nodes x 4 cores x speed 1 + 5 nodes x 4 cores x speed 2 = 80 core-units: 0.5.
        // Memory: 2 x 1 GiB x 10 s = 20 GiB held over 15 x 8 GiB, speed-weighted 160 GiB: 0.125.
        let s = spec(
            2.0,
            10.0,
            DistSpec::Uniform {
                low: 1.0,
                high: 3.0,
            },
        );
        let load = synthetic(&s, &[group(10, 4.0, 1.0), group(5, 4.0, 2.0)]);
        assert!((load.0[0] - 0.5).abs() < 1e-12, "{load:?}");
        assert!((load.0[1] - 0.125).abs() < 1e-12, "{load:?}");
        assert_eq!(load.0[2], 0.0);
        assert_eq!(load.max(), ("cpu", load.0[0]));
        assert_eq!(load.render(), "cpu 0.5, memory 0.125, disk 0");
    }
}

//! Faults: node crashes and repairs (random per node, per failure domain, or listed explicitly),
//! permanent node loss, and task failures independent of nodes; plus how long it takes to notice.
//!
//! Node failures are a renewal process per node: up for a time drawn from the time-between-failures
//! distribution, down for a repair time, and so on; each node draws from its own random stream, so
//! adding a node does not change the others' failures, and every scheduler and failover policy in a
//! scenario sees the same crash sequence.

mod parse;

pub use parse::parse_faults;

use serde::Serialize;

use crate::rng::{stream, unit_f64, SimRng};
use crate::time::{SimDuration, SimTime};
use crate::workload::dist::{DistSpec, Sampler};

/// What fails and how it is noticed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FaultSpec {
    /// Per-node time between failures (None: nodes never fail at random).
    pub node_ttf: Option<DistSpec>,
    /// Per-node time to repair.
    pub node_ttr: Option<DistSpec>,
    /// Fraction of random node failures that are permanent.
    pub permanent_fraction: f64,
    /// Per-failure-domain time between failures (the whole domain goes down at once).
    pub domain_ttf: Option<DistSpec>,
    /// Per-failure-domain time to repair.
    pub domain_ttr: Option<DistSpec>,
    /// Heartbeat timeout: the scheduler learns of a dead node this long after it dies.
    pub detection: SimDuration,
    /// A failed task is noticed (and failed over) this long after it dies.
    pub health_check: SimDuration,
    /// Probability that an attempt fails (at a uniformly random point of its run).
    pub task_failure_prob: f64,
    /// Mean running time between task failures (exponential hazard while running).
    pub task_mtbf: Option<SimDuration>,
    /// Crashes listed in the scenario.
    pub crashes: Vec<Crash>,
}

/// What a listed crash takes down.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CrashTarget {
    /// One node, by index.
    Node(u32),
    /// Every node of a group, by name.
    Group(String),
    /// Every node of a failure domain, by label.
    Domain(String),
}

/// A crash listed in the scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Crash {
    /// When.
    pub at: SimTime,
    /// What.
    pub target: CrashTarget,
    /// Down for this long (None: permanent).
    pub repair: Option<SimDuration>,
}

/// Tasks whose first attempt turns unhealthy after a while, and when the health checks give up
/// on it, counted from the attempt's real start.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthFault {
    /// The task ids.
    pub tasks: Vec<u64>,
    /// Time from the start until the probes declare it unhealthy: the first probe at or after
    /// the turn (probes every `interval` from the start), then `failures - 1` more.
    pub noticed_after: SimDuration,
}

impl HealthFault {
    /// The fault of a task that turns unhealthy `after` its start, probed every `interval` and
    /// declared unhealthy after `failures` failed probes in a row.
    pub fn new(tasks: Vec<u64>, after: SimDuration, interval: SimDuration, failures: u32) -> Self {
        let first = after.0.div_ceil(interval.0.max(1)).max(1) * interval.0;
        HealthFault {
            tasks,
            noticed_after: SimDuration(first + u64::from(failures.saturating_sub(1)) * interval.0),
        }
    }
}

impl CrashTarget {
    /// The nodes of `cluster` this target names.
    pub fn nodes(&self, cluster: &crate::cluster::Cluster) -> Vec<crate::ids::NodeId> {
        let groups = cluster.groups();
        cluster
            .nodes()
            .iter()
            .filter(|n| match self {
                CrashTarget::Node(i) => n.id.0 == *i,
                CrashTarget::Group(g) => &groups[n.group as usize].name == g,
                CrashTarget::Domain(d) => &groups[n.group as usize].domain == d,
            })
            .map(|n| n.id)
            .collect()
    }
}

impl FaultSpec {
    /// Mean time between failures of one node, if nodes fail at random.
    pub fn node_mtbf(&self) -> Option<SimDuration> {
        self.node_ttf
            .as_ref()
            .map(|d| SimDuration::from_secs_f64(d.mean()))
    }
}

/// Draws failure and repair times for one failing unit (a node or a domain) from its own stream.
pub struct FailureProcess {
    ttf: Sampler,
    ttr: Sampler,
    permanent_fraction: f64,
    rng: SimRng,
}

impl FailureProcess {
    /// The process of unit `label` (e.g. "node-3") of a run seeded `seed`.
    pub fn new(
        ttf: &DistSpec,
        ttr: &DistSpec,
        permanent_fraction: f64,
        seed: u64,
        label: &str,
    ) -> FailureProcess {
        FailureProcess {
            ttf: ttf.sampler(),
            ttr: ttr.sampler(),
            permanent_fraction,
            rng: stream(seed, label),
        }
    }

    /// Time until the next failure, counted from a repair (or the start).
    pub fn time_to_failure(&mut self) -> SimDuration {
        SimDuration::from_secs_f64(self.ttf.sample(&mut self.rng))
    }

    /// Repair time of a failure, or None if this failure is permanent.
    pub fn time_to_repair(&mut self) -> Option<SimDuration> {
        let repair = SimDuration::from_secs_f64(self.ttr.sample(&mut self.rng));
        let permanent =
            self.permanent_fraction > 0.0 && unit_f64(&mut self.rng) < self.permanent_fraction;
        (!permanent).then_some(repair)
    }
}

/// Decides whether and when a task attempt fails on its own.
pub struct TaskFailures {
    prob: f64,
    mtbf: Option<SimDuration>,
    rng: SimRng,
}

impl TaskFailures {
    /// Task failures of a run seeded `seed`.
    pub fn new(spec: &FaultSpec, seed: u64) -> TaskFailures {
        TaskFailures {
            prob: spec.task_failure_prob,
            mtbf: spec.task_mtbf,
            rng: stream(seed, "task-failures"),
        }
    }

    /// For an attempt lasting `wall` (None: runs until stopped), when it fails, if it does.
    pub fn failure_after(&mut self, wall: Option<SimDuration>) -> Option<SimDuration> {
        let mut first: Option<SimDuration> = None;
        if self.prob > 0.0 {
            let (u, v) = (unit_f64(&mut self.rng), unit_f64(&mut self.rng));
            if let Some(w) = wall.filter(|_| u < self.prob) {
                first = Some(SimDuration((w.0 as f64 * v) as u64));
            }
        }
        if let Some(m) = self.mtbf {
            let t =
                SimDuration::from_secs_f64(-(1.0 - unit_f64(&mut self.rng)).ln() * m.as_secs_f64());
            if wall.is_none_or(|w| t < w) && first.is_none_or(|f| t < f) {
                first = Some(t);
            }
        }
        first
    }
}

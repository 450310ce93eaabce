//! What an architecture is made of, as validated settings (parsing lives in
//! `crate::config::architecture`; nothing here reads a file).

use serde::Serialize;

use crate::time::SimDuration;
use crate::workload::dist::DistSpec;

/// How the scheduling work of a cluster is organised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArchKind {
    /// One scheduler, one queue; per-class decision times give Omega's "multi-path" variant.
    Centralized,
    /// Two-level (Mesos): a master offers free resources to one framework per workload class.
    Offers,
    /// Omega: one scheduler per workload class over shared state, with optimistic commits.
    SharedState,
    /// Sparrow: many independent schedulers that probe nodes; workers queue reservations.
    Decentralized,
}

impl ArchKind {
    /// The scenario spelling.
    pub fn name(self) -> &'static str {
        match self {
            ArchKind::Centralized => "centralized",
            ArchKind::Offers => "offers",
            ArchKind::SharedState => "shared-state",
            ArchKind::Decentralized => "decentralized",
        }
    }

    /// Every kind, in documentation order.
    pub const ALL: [ArchKind; 4] = [
        ArchKind::Centralized,
        ArchKind::Offers,
        ArchKind::SharedState,
        ArchKind::Decentralized,
    ];
}

/// The time one decision takes: `job + k task + n node` for a decision over `k` tasks that
/// considers `n` nodes, where `job` and each of the `k` task terms are drawn from their
/// distributions and `node` is a constant per node.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionTime {
    /// The constant (or distributed) cost per decision, seconds.
    pub job: DistSpec,
    /// The cost per task decided, seconds (one draw per task).
    pub task: DistSpec,
    /// The cost per node considered, seconds.
    pub node: f64,
}

impl DecisionTime {
    /// Zero in every term.
    pub fn zero() -> DecisionTime {
        DecisionTime {
            job: DistSpec::Constant { value: 0.0 },
            task: DistSpec::Constant { value: 0.0 },
            node: 0.0,
        }
    }

    /// Whether every decision takes no time.
    pub fn is_zero(&self) -> bool {
        let zero = |d: &DistSpec| matches!(d, DistSpec::Constant { value } if *value == 0.0);
        zero(&self.job) && zero(&self.task) && self.node == 0.0
    }
}

/// When an Omega scheduler refreshes its copy of the cell state.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "mode")]
pub enum Snapshot {
    /// At the start of every decision.
    Stateless,
    /// Cached, refreshed when older than `every` at the start of a decision (its own commits are
    /// applied to the cache as they happen).
    Stateful {
        /// Refresh period.
        every: SimDuration,
    },
}

/// What makes an Omega transaction conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Conflicts {
    /// A placement conflicts when the task no longer fits the node's free resources.
    Fine,
    /// A placement conflicts when anything changed on the node since the snapshot.
    Coarse,
}

/// How a Sparrow scheduler chooses workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sampling {
    /// Each task goes to a uniformly random worker's queue.
    Random,
    /// Each task probes `d` workers and joins the shortest queue among them.
    PerTask,
    /// A job of `m` tasks probes `d m` workers and places its tasks on the `m` least loaded.
    Batch,
    /// Batch sampling with reservations: each probed worker queues a reservation and asks for a
    /// task when the reservation reaches the head of its queue; the first `m` askers get the tasks.
    LateBinding,
}

/// A validated `[architecture]`, resolved for one `[[scheduler]]` entry.
#[derive(Debug, Clone, Serialize)]
pub struct ArchitectureSpec {
    /// The architecture.
    pub kind: ArchKind,
    /// The workload's class names, in class-index order.
    pub class_names: Vec<String>,
    /// Decision time per class (same order as `class_names`).
    pub decision: Vec<DecisionTime>,
    /// Give up a job after this many decisions that could place none of its remaining tasks
    /// (`None`: never).
    pub max_attempts: Option<u32>,
    /// Shared state: snapshot refreshes.
    pub snapshot: Snapshot,
    /// Shared state: conflict detection.
    pub conflicts: Conflicts,
    /// Offers: how long an offer may stay out before the master rescinds it (`None`: never).
    pub offer_timeout: Option<SimDuration>,
    /// Decentralized: number of independent schedulers.
    pub schedulers: u32,
    /// Decentralized: how workers are chosen.
    pub sampling: Sampling,
    /// Decentralized: probes per task (`d`).
    pub probe_ratio: f64,
    /// Decentralized: one-way network delay of a probe or a task request.
    pub network_delay: SimDuration,
}

impl ArchitectureSpec {
    /// Today's behaviour: one central scheduler deciding in zero time (the architecture layer is
    /// not used at all, so outputs are those of a scenario without `[architecture]`).
    pub fn is_trivial(&self) -> bool {
        self.kind == ArchKind::Centralized && self.decision.iter().all(DecisionTime::is_zero)
    }

    /// A centralized architecture with zero decision times, for `class_names`.
    pub fn centralized(class_names: Vec<String>) -> ArchitectureSpec {
        let decision = vec![DecisionTime::zero(); class_names.len().max(1)];
        ArchitectureSpec {
            kind: ArchKind::Centralized,
            class_names,
            decision,
            max_attempts: None,
            snapshot: Snapshot::Stateless,
            conflicts: Conflicts::Fine,
            offer_timeout: None,
            schedulers: 1,
            sampling: Sampling::LateBinding,
            probe_ratio: 2.0,
            network_delay: SimDuration::ZERO,
        }
    }

    /// The scheduler actors of this architecture: their names and the classes each serves.
    pub fn actors(&self) -> Vec<(String, Vec<u16>)> {
        let all: Vec<u16> = (0..self.class_names.len().max(1) as u16).collect();
        match self.kind {
            ArchKind::Centralized => vec![("central".to_string(), all)],
            ArchKind::Offers | ArchKind::SharedState => self
                .class_names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.clone(), vec![i as u16]))
                .collect(),
            ArchKind::Decentralized => (0..self.schedulers)
                .map(|i| (format!("sparrow-{i}"), all.clone()))
                .collect(),
        }
    }
}

//! Failover policies: what happens to a task attempt that died (its node crashed, or the task itself
//! failed). A policy is pure decision logic, like a scheduler: it is told what failed and answers
//! with an [`Action`]; the control plane ([`crate::control`]) carries it out. [`FailoverPolicy`] is
//! that boundary: a new policy is written here and nowhere else.
//!
//! | policy | on failure | knobs |
//! |---|---|---|
//! | `none` | the task is lost | |
//! | `resubmit` | back into the queue from scratch, at the head or tail | `position`, `max_attempts` (default unbounded) |
//! | `retry` | back into the queue after an exponential backoff | `max_attempts` (default 3), `backoff`, `backoff_factor`, `max_backoff` |
//! | `checkpoint` | back into the queue, resuming from the last checkpoint | `checkpoint_interval` (or `"auto"`: Young's sqrt(2 C M)), `checkpoint_cost`, `max_attempts` |
//! | `replicate` | k copies run on distinct nodes or failure domains; the first to finish wins; if all copies die the task is resubmitted | `replicas`, `spread`, `max_attempts` |
//!
//! Long-running services follow the same policy; with `pin_services = true` a service replica waits
//! for its own node to be repaired and restarts there instead of going back to the queue.

mod checkpoint;
mod parse;

pub use checkpoint::CheckpointPlan;
pub use parse::{check_applicable, parse_failover};

use serde::Serialize;

use crate::time::SimDuration;
use crate::workload::TaskKind;

/// Where a resubmitted task re-enters the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    /// Before every waiting task (it has waited already).
    Head,
    /// After every waiting task.
    Tail,
}

/// How replicas are spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Spread {
    /// Each copy on a different node.
    Node,
    /// Each copy in a different failure domain.
    Domain,
}

/// A validated failover policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "policy", rename_all = "lowercase")]
pub enum FailoverSpec {
    /// Lost work stays lost.
    None,
    /// Requeue from scratch.
    Resubmit {
        /// Head or tail of the queue.
        position: Position,
        /// Give up after this many attempts (`None`: never).
        max_attempts: Option<u32>,
    },
    /// Requeue after exponential backoff.
    Retry {
        /// Give up after this many attempts.
        max_attempts: u32,
        /// Delay before the first retry.
        backoff: SimDuration,
        /// Multiplier per further retry.
        factor: f64,
        /// Cap on the delay.
        max_backoff: SimDuration,
    },
    /// Periodic checkpoints; restart from the last one.
    Checkpoint {
        /// Checkpoint every this much compute time, and what each costs.
        plan: CheckpointPlan,
        /// Give up after this many attempts (`None`: never).
        max_attempts: Option<u32>,
    },
    /// k copies on distinct nodes or domains.
    Replicate {
        /// Number of copies (>= 1).
        replicas: u32,
        /// Distinct nodes or distinct failure domains.
        spread: Spread,
        /// Give up after this many rounds of all copies failing (`None`: never).
        max_attempts: Option<u32>,
    },
}

/// Failover configuration: the policy plus service handling.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failover {
    /// The policy for failed attempts.
    pub policy: FailoverSpec,
    /// Service replicas wait for their own node instead of being requeued.
    pub pin_services: bool,
}

impl Default for Failover {
    fn default() -> Self {
        Failover {
            policy: FailoverSpec::Resubmit {
                position: Position::Tail,
                max_attempts: None,
            },
            pin_services: false,
        }
    }
}

/// The part of a stopped attempt that is not lost.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Secured {
    /// Wall time from the attempt's start that counts as done (computed and checkpointed).
    pub wall: SimDuration,
    /// Work (at speed 1.0) kept for the next attempt.
    pub work: SimDuration,
}

/// What to do with an attempt that died.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// Give up: the task is lost.
    Lose,
    /// Put the task back in the queue after `delay`, keeping `saved` work already done.
    Requeue {
        /// Delay before it re-enters the queue.
        delay: SimDuration,
        /// Head or tail.
        position: Position,
        /// Work (at speed 1.0) preserved by checkpoints.
        saved: SimDuration,
    },
}

/// How many copies of each task a policy runs, and how they are spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replication {
    /// Copies started per task (1: no replication).
    pub copies: u32,
    /// Distinct nodes or distinct failure domains.
    pub spread: Spread,
}

impl Replication {
    /// One copy per task: no replication.
    pub const NONE: Replication = Replication {
        copies: 1,
        spread: Spread::Node,
    };
}

/// The boundary between failover decisions and their mechanics. The control plane
/// ([`crate::control`]) carries out requeues, backoff timers, checkpoint accounting, replica
/// copies (first copy wins) and pinned services; a policy only answers these questions. A new
/// policy is a type implementing this trait in this module (and, to be named in scenario files, an
/// entry in [`parse_failover`]); nothing in the engine or the control plane changes.
pub trait FailoverPolicy: std::fmt::Debug + Send + Sync {
    /// The decision for a task whose attempt number `attempt` (from 1) died after running `elapsed`
    /// (wall time) on a node of speed `speed`, with `saved_before` work already checkpointed.
    fn on_failure(
        &self,
        attempt: u32,
        elapsed: SimDuration,
        speed: f64,
        saved_before: SimDuration,
    ) -> Action;

    /// Wall time an attempt needs to do `work` (at speed 1.0) on a node of speed `speed`, including
    /// any pauses the policy adds (checkpoint writes).
    fn attempt_wall_time(&self, work: SimDuration, speed: f64) -> SimDuration {
        work.scaled_by_speed(speed)
    }

    /// What of an attempt that ran `elapsed` (wall time) at `speed` survives its death.
    fn secured(&self, _kind: TaskKind, _elapsed: SimDuration, _speed: f64) -> Secured {
        Secured::default()
    }

    /// Work (at speed 1.0) an attempt did in `elapsed` wall time at `speed`, less any time the
    /// policy spent on its own overhead: what a suspended (`resume`) preemption keeps.
    fn work_done(&self, elapsed: SimDuration, speed: f64) -> SimDuration {
        SimDuration::from_secs_f64(elapsed.as_secs_f64() * speed)
    }

    /// How many copies of each batch task run at once, and where.
    fn replication(&self) -> Replication {
        Replication::NONE
    }
}

impl FailoverPolicy for FailoverSpec {
    fn on_failure(
        &self,
        attempt: u32,
        elapsed: SimDuration,
        speed: f64,
        saved_before: SimDuration,
    ) -> Action {
        let exhausted = |max: Option<u32>| max.is_some_and(|m| attempt >= m);
        let requeue = |position, delay, saved| Action::Requeue {
            delay,
            position,
            saved,
        };
        match self {
            FailoverSpec::None => Action::Lose,
            FailoverSpec::Resubmit { max_attempts, .. }
            | FailoverSpec::Replicate { max_attempts, .. }
                if exhausted(*max_attempts) =>
            {
                Action::Lose
            }
            FailoverSpec::Resubmit { position, .. } => {
                requeue(*position, SimDuration::ZERO, SimDuration::ZERO)
            }
            FailoverSpec::Replicate { .. } => {
                requeue(Position::Tail, SimDuration::ZERO, SimDuration::ZERO)
            }
            FailoverSpec::Retry { max_attempts, .. } if attempt >= *max_attempts => Action::Lose,
            FailoverSpec::Retry {
                backoff,
                factor,
                max_backoff,
                ..
            } => {
                let delay = backoff.as_secs_f64() * factor.powi(attempt.saturating_sub(1) as i32);
                let delay = SimDuration::from_secs_f64(delay).min(*max_backoff);
                requeue(Position::Tail, delay, SimDuration::ZERO)
            }
            FailoverSpec::Checkpoint { max_attempts, .. } if exhausted(*max_attempts) => {
                Action::Lose
            }
            FailoverSpec::Checkpoint { plan, .. } => {
                let saved = saved_before + plan.work_saved(elapsed, speed);
                requeue(Position::Tail, SimDuration::ZERO, saved)
            }
        }
    }

    fn attempt_wall_time(&self, work: SimDuration, speed: f64) -> SimDuration {
        match self {
            FailoverSpec::Checkpoint { plan, .. } => plan.wall_time(work, speed),
            _ => work.scaled_by_speed(speed),
        }
    }

    /// Under the checkpoint policy, a batch task's completed checkpoints; otherwise nothing.
    fn secured(&self, kind: TaskKind, elapsed: SimDuration, speed: f64) -> Secured {
        match self {
            FailoverSpec::Checkpoint { plan, .. } if kind == TaskKind::Batch => Secured {
                wall: plan.wall_secured(elapsed),
                work: plan.work_saved(elapsed, speed),
            },
            _ => Secured::default(),
        }
    }

    /// All of it, less the time spent writing checkpoints under the checkpoint policy.
    fn work_done(&self, elapsed: SimDuration, speed: f64) -> SimDuration {
        let compute = match self {
            FailoverSpec::Checkpoint { plan, .. } => plan.compute_within(elapsed),
            _ => elapsed,
        };
        SimDuration::from_secs_f64(compute.as_secs_f64() * speed)
    }

    fn replication(&self) -> Replication {
        match self {
            FailoverSpec::Replicate {
                replicas, spread, ..
            } => Replication {
                copies: (*replicas).max(1),
                spread: *spread,
            },
            _ => Replication::NONE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_backs_off_exponentially_up_to_a_cap_then_gives_up() {
        let p = FailoverSpec::Retry {
            max_attempts: 4,
            backoff: SimDuration::from_secs(1),
            factor: 2.0,
            max_backoff: SimDuration::from_secs(3),
        };
        let delay = |a| match p.on_failure(a, SimDuration::ZERO, 1.0, SimDuration::ZERO) {
            Action::Requeue { delay, .. } => Some(delay.as_secs_f64()),
            Action::Lose => None,
        };
        assert_eq!(
            [delay(1), delay(2), delay(3), delay(4)],
            [Some(1.0), Some(2.0), Some(3.0), None]
        );
    }

    #[test]
    fn resubmit_is_unbounded_unless_told() {
        let p = FailoverSpec::Resubmit {
            position: Position::Head,
            max_attempts: None,
        };
        assert!(matches!(
            p.on_failure(1000, SimDuration::ZERO, 1.0, SimDuration::ZERO),
            Action::Requeue {
                position: Position::Head,
                ..
            }
        ));
        let p = FailoverSpec::Resubmit {
            position: Position::Tail,
            max_attempts: Some(2),
        };
        assert_eq!(
            p.on_failure(2, SimDuration::ZERO, 1.0, SimDuration::ZERO),
            Action::Lose
        );
    }
}

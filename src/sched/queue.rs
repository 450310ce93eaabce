//! Queue policies: the order in which pending tasks are offered to the placement.

use serde::Serialize;

use crate::sched::PendingTask;

/// How the pending queue is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueuePolicy {
    /// Queue order (arrival order; resubmitted tasks may be put at the head).
    Fifo,
    /// Highest priority first; queue order among equals.
    Priority,
}

impl QueuePolicy {
    /// Parses a scenario's `queue` value.
    pub fn parse(name: &str) -> Result<QueuePolicy, String> {
        match name {
            "fifo" => Ok(QueuePolicy::Fifo),
            "priority" => Ok(QueuePolicy::Priority),
            other => Err(format!(
                "unknown queue policy \"{other}\" (expected one of: fifo, priority)"
            )),
        }
    }

    /// The indices of `candidates` in the order they should be tried.
    pub fn order(&self, pending: &[PendingTask], candidates: std::ops::Range<usize>) -> Vec<usize> {
        let mut order: Vec<usize> = candidates.collect();
        match self {
            QueuePolicy::Fifo => {}
            // Stable sort: equal priorities keep queue order.
            QueuePolicy::Priority => order.sort_by_key(|&i| std::cmp::Reverse(pending[i].priority)),
        }
        order
    }
}

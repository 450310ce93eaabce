//! Queue policies: the order in which pending tasks are offered to the placement, and for the
//! disciplines that need more than an order (preemption, backfilling, fair sharing) which scheduler
//! runs them (see [`crate::sched::build_scheduler`]).

use serde::Serialize;

use crate::sched::PendingTask;

/// How the pending queue is ordered and served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueuePolicy {
    /// Queue order (arrival order; resubmitted tasks may be put at the head).
    Fifo,
    /// Highest priority first; queue order among equals.
    Priority,
    /// Highest priority first, preempting lower-priority running tasks when nothing fits
    /// (`queue = "priority"` with `preempt = true`).
    PreemptivePriority,
    /// Shortest job first: smallest estimate first; queue order among equals.
    Sjf,
    /// Earliest deadline first; tasks without a deadline last; queue order among equals.
    Edf,
    /// EASY backfilling (Lifka 1995): FIFO with a reservation for the first task that does not fit.
    EasyBackfill,
    /// Dominant resource fairness across users (Ghodsi et al., NSDI 2011).
    Drf,
}

/// Names accepted by `queue = "..."`.
pub const QUEUE_NAMES: &[&str] = &["fifo", "priority", "sjf", "edf", "easy-backfill", "drf"];

impl QueuePolicy {
    /// Parses a scenario's `queue` value (preemption is a separate key).
    pub fn parse(name: &str) -> Result<QueuePolicy, String> {
        Ok(match name {
            "fifo" => QueuePolicy::Fifo,
            "priority" => QueuePolicy::Priority,
            "sjf" => QueuePolicy::Sjf,
            "edf" => QueuePolicy::Edf,
            "easy-backfill" => QueuePolicy::EasyBackfill,
            "drf" => QueuePolicy::Drf,
            other => {
                return Err(format!(
                    "unknown queue policy \"{other}\" (expected one of: {})",
                    QUEUE_NAMES.join(", ")
                ))
            }
        })
    }

    /// The indices of `candidates` in the order they should be tried. Backfilling and DRF start from
    /// queue order; their schedulers do the rest. All sorts are stable: ties keep queue order.
    pub fn order(&self, pending: &[PendingTask], candidates: std::ops::Range<usize>) -> Vec<usize> {
        let mut order: Vec<usize> = candidates.collect();
        match self {
            QueuePolicy::Fifo | QueuePolicy::EasyBackfill | QueuePolicy::Drf => {}
            QueuePolicy::Priority | QueuePolicy::PreemptivePriority => {
                order.sort_by_key(|&i| std::cmp::Reverse(pending[i].priority))
            }
            QueuePolicy::Sjf => order.sort_by_key(|&i| pending[i].estimate),
            // `None` sorts after every `Some` once wrapped in `(is_none, deadline)`.
            QueuePolicy::Edf => {
                order.sort_by_key(|&i| (pending[i].deadline.is_none(), pending[i].deadline))
            }
        }
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::placement::test_support::job;
    use crate::time::{SimDuration, SimTime};

    #[test]
    fn fifo_keeps_queue_order_and_skips_what_does_not_fit() {
        use crate::ids::NodeId;
        use crate::sched::placement::test_support::cluster;
        use crate::sched::placement::FirstFit;
        use crate::sched::{DispatchMode, ListScheduler, Scheduler, Session};
        let pending = [
            job(0, 1.0, 1),
            job(1, 8.0, 1),
            job(2, 2.0, 1),
            job(3, 2.0, 1),
        ];
        assert_eq!(QueuePolicy::Fifo.order(&pending, 1..4), vec![1, 2, 3]);
        // One 4-core node: task 1 (8 cores) never fits, and does not block tasks 2 and 3 behind it
        // (no head-of-line blocking); task 3 finds the node full.
        let mut c = cluster(&[(1, 4.0)]);
        let mut s = Session::new(
            SimTime::ZERO,
            DispatchMode::Central,
            &mut c,
            &pending,
            &[],
            0,
            true,
        );
        ListScheduler::new(QueuePolicy::Fifo, Box::new(FirstFit)).schedule(&mut s);
        assert_eq!(
            s.into_decisions().assigned,
            vec![(0, NodeId(0)), (2, NodeId(0))]
        );
    }

    #[test]
    fn sjf_orders_by_estimate_and_keeps_queue_order_on_ties() {
        let pending = [
            job(0, 1.0, 30),
            job(1, 1.0, 10),
            job(2, 1.0, 20),
            job(3, 1.0, 10),
        ];
        assert_eq!(QueuePolicy::Sjf.order(&pending, 0..4), vec![1, 3, 2, 0]);
        assert_eq!(QueuePolicy::Sjf.order(&pending, 2..4), vec![3, 2]);
    }

    #[test]
    fn edf_puts_tasks_without_deadline_last() {
        let at = |s| Some(SimTime::ZERO + SimDuration::from_secs(s));
        let mut pending = [
            job(0, 1.0, 1),
            job(1, 1.0, 1),
            job(2, 1.0, 1),
            job(3, 1.0, 1),
        ];
        pending[1].deadline = at(50);
        pending[2].deadline = at(20);
        pending[3].deadline = at(50);
        assert_eq!(QueuePolicy::Edf.order(&pending, 0..4), vec![2, 1, 3, 0]);
    }

    #[test]
    fn priority_serves_the_highest_first() {
        let mut pending = [job(0, 1.0, 1), job(1, 1.0, 1), job(2, 1.0, 1)];
        pending[1].priority = 5;
        pending[2].priority = -1;
        assert_eq!(QueuePolicy::Priority.order(&pending, 0..3), vec![1, 0, 2]);
        assert!(QueuePolicy::parse("lifo").unwrap_err().contains("lifo"));
    }
}

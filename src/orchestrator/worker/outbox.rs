//! Reports waiting to reach the manager. A report leaves the outbox only once the manager
//! acknowledged it, so an exit seen while the manager is down (or restarting) is sent when it
//! is back; a container whose exit is reported is removed only after that acknowledgement, so a
//! worker killed meanwhile finds it again and reports its status on registration.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::orchestrator::wire::LaunchReport;

/// A report and what to do once it is acknowledged.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// The report.
    pub report: LaunchReport,
    /// A container to remove after the acknowledgement.
    pub remove: Option<String>,
}

/// The queue of unacknowledged reports, in the order they were made.
#[derive(Debug, Default)]
pub struct Outbox {
    queue: Mutex<VecDeque<Pending>>,
    ready: Condvar,
}

impl Outbox {
    /// Queues a report.
    pub fn push(&self, report: LaunchReport, remove: Option<String>) {
        self.queue
            .lock()
            .unwrap()
            .push_back(Pending { report, remove });
        self.ready.notify_all();
    }

    /// Every queued report (left queued), waiting up to `wait` for one to come.
    pub fn peek_all(&self, wait: Duration) -> Vec<Pending> {
        let q = self.queue.lock().unwrap();
        let (q, _) = self
            .ready
            .wait_timeout_while(q, wait, |q| q.is_empty())
            .unwrap();
        q.iter().cloned().collect()
    }

    /// Drops the first `n` reports (the ones just acknowledged).
    pub fn acknowledge(&self, n: usize) {
        let mut q = self.queue.lock().unwrap();
        let n = n.min(q.len());
        q.drain(..n);
    }

    /// How many reports wait.
    pub fn len(&self) -> usize {
        self.queue.lock().unwrap().len()
    }

    /// Whether no report waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::wire::LaunchState;

    fn report(launch: u64) -> LaunchReport {
        LaunchReport {
            launch,
            state: LaunchState::Exited { code: 0 },
            at_ms: 1,
        }
    }

    #[test]
    fn reports_stay_until_acknowledged_in_order() {
        let o = Outbox::default();
        assert!(o.peek_all(Duration::from_millis(1)).is_empty());
        o.push(report(1), Some("c1".into()));
        o.push(report(2), None);
        let first = o.peek_all(Duration::ZERO);
        assert_eq!(first.len(), 2);
        // A failed send acknowledges nothing: the same reports come again.
        assert_eq!(o.peek_all(Duration::ZERO), first);
        o.push(report(3), None);
        o.acknowledge(2);
        let rest = o.peek_all(Duration::ZERO);
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].report.launch, 3);
        o.acknowledge(5);
        assert!(o.is_empty());
    }
}

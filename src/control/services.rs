//! Service availability: for each long-running service, the fraction of the measurement window in
//! which at least one replica was running on a live node.

use std::collections::BTreeMap;

use crate::time::{SimDuration, SimTime};

#[derive(Debug, Clone, Default)]
struct ServiceState {
    healthy: u32,
    down_since: Option<SimTime>,
    downtime: SimDuration,
}

/// Availability bookkeeping for every service of a run (keyed by job id).
#[derive(Debug, Clone, Default)]
pub struct Services {
    states: BTreeMap<u64, ServiceState>,
}

impl Services {
    /// A service replica was submitted (a service is down until its first replica runs).
    pub fn register(&mut self, job: u64) {
        self.states.entry(job).or_insert(ServiceState {
            healthy: 0,
            down_since: Some(SimTime::ZERO),
            downtime: SimDuration::ZERO,
        });
    }

    /// Number of services.
    pub fn count(&self) -> usize {
        self.states.len()
    }

    /// A replica of `job` started running on a live node.
    pub fn replica_up(&mut self, job: u64, now: SimTime, warmup: SimTime) {
        let s = self.states.entry(job).or_default();
        s.healthy += 1;
        if s.healthy == 1 {
            if let Some(since) = s.down_since.take() {
                s.downtime = s.downtime + now.since(since.max(warmup));
            }
        }
    }

    /// A running replica of `job` stopped or its node died.
    pub fn replica_down(&mut self, job: u64, now: SimTime) {
        let s = self.states.entry(job).or_default();
        s.healthy = s
            .healthy
            .checked_sub(1)
            .expect("service replica went down twice");
        if s.healthy == 0 {
            s.down_since = Some(now);
        }
    }

    /// Closes the window at `end`.
    pub fn close(&mut self, end: SimTime, warmup: SimTime) {
        for s in self.states.values_mut() {
            if let Some(since) = s.down_since.take() {
                s.downtime = s.downtime + end.since(since.max(warmup));
            }
        }
    }

    /// Mean availability over services in [warmup, end] (NaN without services).
    pub fn availability(&self, end: SimTime, warmup: SimTime) -> f64 {
        let window = end.since(warmup).as_secs_f64();
        if self.states.is_empty() || window <= 0.0 {
            return f64::NAN;
        }
        let total: f64 = self
            .states
            .values()
            .map(|s| 1.0 - (s.downtime.as_secs_f64() / window).min(1.0))
            .sum();
        total / self.states.len() as f64
    }
}

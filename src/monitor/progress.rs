//! How far a batch of simulated runs is, by simulated time rather than by runs done: what the
//! progress bar of `simctl run` shows when there are fewer runs than threads (a single long run
//! would otherwise sit at 0/1 until it ends), and the `simctl_run_progress_ratio` gauge.
//!
//! A run is bounded by its horizon (it stops there) or, without one, by its `max_tasks` (it stops
//! when they have all arrived and ended): its fraction done is simulated time over horizon, or
//! tasks arrived over `max_tasks`. The batch's fraction is the mean over all its runs, a finished
//! run counting 1 and one not started 0, so the bar moves at the pace of the work.

use crate::config::{Scenario, WorkloadSpec};

/// What ends a run, as far as progress goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// The horizon, in simulated seconds.
    Horizon(f64),
    /// No horizon: the number of tasks after which the workload ends.
    Tasks(u64),
    /// Neither: progress cannot be measured (a trace replay read to its end).
    Unknown,
}

impl Bound {
    /// The bound of a run of `scenario`: its horizon, else its workload's `max_tasks`.
    pub fn of(scenario: &Scenario) -> Bound {
        if let Some(h) = scenario.horizon {
            return Bound::Horizon(h.as_secs_f64());
        }
        let max_tasks = match &scenario.workload {
            WorkloadSpec::Synthetic(s) => s.max_tasks,
            WorkloadSpec::Trace { max_tasks, .. } => *max_tasks,
        };
        max_tasks.map_or(Bound::Unknown, Bound::Tasks)
    }
}

/// Where one run is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunProgress {
    /// What ends it.
    pub bound: Bound,
    /// Simulated seconds reached.
    pub sim_s: f64,
    /// Tasks arrived so far.
    pub arrived: u64,
    /// Whether it has ended.
    pub finished: bool,
}

impl RunProgress {
    /// Its fraction done in [0, 1]; `None` when its bound is unknown and it has not ended.
    pub fn fraction(&self) -> Option<f64> {
        if self.finished {
            return Some(1.0);
        }
        let f = match self.bound {
            Bound::Horizon(h) if h > 0.0 => self.sim_s / h,
            Bound::Horizon(_) => 1.0,
            Bound::Tasks(n) if n > 0 => self.arrived as f64 / n as f64,
            Bound::Tasks(_) => 1.0,
            Bound::Unknown => return None,
        };
        Some(f.clamp(0.0, 1.0))
    }
}

/// The fraction done of a batch of `total` runs of which `seen` have started (finished or in
/// flight; the others count 0). A run whose bound is unknown counts 0 until it ends.
pub fn batch_fraction(seen: &[RunProgress], total: usize) -> f64 {
    if total == 0 {
        return 1.0;
    }
    let sum: f64 = seen.iter().filter_map(RunProgress::fraction).sum();
    (sum / total as f64).clamp(0.0, 1.0)
}

/// Whether to show progress by simulated time instead of runs done: fewer runs than threads
/// (some threads idle, the bar would move in big steps or not at all).
pub fn by_simulated_time(runs: usize, threads: usize) -> bool {
    runs < threads.max(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(bound: Bound, sim_s: f64, arrived: u64, finished: bool) -> RunProgress {
        RunProgress {
            bound,
            sim_s,
            arrived,
            finished,
        }
    }

    #[test]
    fn a_run_is_as_far_as_its_bound_says() {
        // 30 min of a 2 h horizon: a quarter.
        assert_eq!(
            run(Bound::Horizon(7200.0), 1800.0, 999, false).fraction(),
            Some(0.25)
        );
        // No horizon: 300 of 1,200 tasks arrived, a quarter, whatever the clock says.
        assert_eq!(
            run(Bound::Tasks(1200), 1e9, 300, false).fraction(),
            Some(0.25)
        );
        // Past its bound (the last look comes at the horizon itself) never exceeds 1.
        assert_eq!(
            run(Bound::Horizon(10.0), 12.0, 0, false).fraction(),
            Some(1.0)
        );
        assert_eq!(run(Bound::Unknown, 50.0, 5, false).fraction(), None);
        // A finished run is done even if it ended before its horizon (the workload ran out).
        assert_eq!(
            run(Bound::Horizon(7200.0), 100.0, 5, true).fraction(),
            Some(1.0)
        );
        assert_eq!(run(Bound::Unknown, 50.0, 5, true).fraction(), Some(1.0));
    }

    #[test]
    fn a_batch_counts_runs_not_started_as_zero() {
        // Four runs: one done (1), one at half its horizon (0.5), one of unknown bound in
        // flight (0), one not started (0): (1 + 0.5) / 4 = 0.375.
        let seen = [
            run(Bound::Horizon(100.0), 100.0, 0, true),
            run(Bound::Horizon(100.0), 50.0, 0, false),
            run(Bound::Unknown, 3.0, 3, false),
        ];
        assert_eq!(batch_fraction(&seen, 4), 0.375);
        assert_eq!(batch_fraction(&[], 0), 1.0);
        assert_eq!(batch_fraction(&[], 3), 0.0);
    }

    #[test]
    fn simulated_time_progress_only_when_threads_would_idle() {
        assert!(by_simulated_time(1, 1), "a single run always");
        assert!(by_simulated_time(3, 4));
        assert!(!by_simulated_time(4, 4));
        assert!(!by_simulated_time(18, 2));
    }
}

//! The worker's launch table: every launch it knows, what its container is and what was
//! reported of it. Pure bookkeeping behind one mutex; the docker calls are made by the caller
//! outside the lock.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::orchestrator::wire::{Launch, LaunchReport, LaunchState};

/// Where a launch is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Its container is being started (on a thread).
    Starting,
    /// Its container runs (`id`).
    Running(String),
    /// Over: exited, stopped or failed to start.
    Done,
}

/// One launch in the table.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The launch as received; `None` for a container adopted from an earlier agent.
    pub launch: Option<Launch>,
    /// Its phase.
    pub phase: Phase,
    /// A stop was asked for while it was starting: remove the container once started.
    pub stop_requested: bool,
    /// Its container died (with this status) before its start was recorded.
    pub early_exit: Option<i64>,
    /// The last state reported of it, and when.
    pub last: Option<(LaunchState, u64)>,
}

/// What the starter of a launch must do once its container started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// Nothing more: it runs.
    Running,
    /// Remove it: a stop was asked for meanwhile.
    Remove,
    /// It already exited with this status: report it.
    Exited(i64),
    /// The launch is unknown.
    Unknown,
}

/// What [`Table::stop`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopOutcome {
    /// No such launch.
    Unknown,
    /// It was already over.
    AlreadyDone,
    /// Its container (this id) must be removed now.
    Remove(String),
    /// It is starting; its starter removes it once started.
    Deferred,
}

/// The launch table.
#[derive(Debug, Default)]
pub struct Table {
    entries: Mutex<BTreeMap<u64, Entry>>,
}

impl Table {
    /// Adds a new launch as starting; false (and nothing changes) when its id is known.
    pub fn insert(&self, launch: &Launch) -> bool {
        let mut t = self.entries.lock().unwrap();
        if t.contains_key(&launch.launch) {
            return false;
        }
        t.insert(
            launch.launch,
            Entry {
                launch: Some(launch.clone()),
                phase: Phase::Starting,
                stop_requested: false,
                early_exit: None,
                last: None,
            },
        );
        true
    }

    /// Adopts a running container of an earlier agent.
    pub fn adopt(&self, launch: u64, container: &str) {
        self.entries.lock().unwrap().insert(
            launch,
            Entry {
                launch: None,
                phase: Phase::Running(container.to_string()),
                stop_requested: false,
                early_exit: None,
                last: Some((LaunchState::Running, super::lease::now_ms())),
            },
        );
    }

    /// Records that `launch`'s container `container` started; see [`Started`] for what the
    /// caller does next.
    pub fn started(&self, launch: u64, container: &str) -> Started {
        let mut t = self.entries.lock().unwrap();
        let Some(e) = t.get_mut(&launch) else {
            return Started::Unknown;
        };
        if e.stop_requested {
            e.phase = Phase::Done;
            return Started::Remove;
        }
        if let Some(code) = e.early_exit {
            e.phase = Phase::Done;
            return Started::Exited(code);
        }
        e.phase = Phase::Running(container.to_string());
        Started::Running
    }

    /// Records a container death of `launch` with status `code`: returns the container to
    /// remove once the exit is reported, or `None` when there is nothing to report (unknown,
    /// already over or stopped, or still starting: then [`Table::started`] reports it).
    pub fn died(&self, launch: u64, code: i64) -> Option<String> {
        let mut t = self.entries.lock().unwrap();
        let e = t.get_mut(&launch)?;
        match std::mem::replace(&mut e.phase, Phase::Done) {
            Phase::Running(id) => Some(id),
            Phase::Starting => {
                e.phase = Phase::Starting;
                e.early_exit = Some(code);
                None
            }
            Phase::Done => None,
        }
    }

    /// Remembers a report as `launch`'s last state.
    pub fn record(&self, report: &LaunchReport) {
        if let Some(e) = self.entries.lock().unwrap().get_mut(&report.launch) {
            e.last = Some((report.state.clone(), report.at_ms));
        }
    }

    /// The last reported state of every launch, in id order.
    pub fn reports(&self) -> Vec<LaunchReport> {
        let t = self.entries.lock().unwrap();
        t.iter()
            .filter_map(|(&launch, e)| {
                let (state, at_ms) = e.last.clone()?;
                Some(LaunchReport {
                    launch,
                    state,
                    at_ms,
                })
            })
            .collect()
    }

    /// Records that `launch` is over (failed start, exit, stop); returns its container if it
    /// was running. `None` also when it was already over, so an exit is reported once.
    pub fn finish(&self, launch: u64) -> Option<Option<String>> {
        let mut t = self.entries.lock().unwrap();
        let e = t.get_mut(&launch)?;
        match std::mem::replace(&mut e.phase, Phase::Done) {
            Phase::Done => None,
            Phase::Starting => Some(None),
            Phase::Running(id) => Some(Some(id)),
        }
    }

    /// Stops `launch`: see [`StopOutcome`]. The launch is over afterwards (its container's
    /// death is then not reported as an exit).
    pub fn stop(&self, launch: u64) -> StopOutcome {
        let mut t = self.entries.lock().unwrap();
        let Some(e) = t.get_mut(&launch) else {
            return StopOutcome::Unknown;
        };
        match &e.phase {
            Phase::Done => StopOutcome::AlreadyDone,
            Phase::Starting => {
                e.stop_requested = true;
                StopOutcome::Deferred
            }
            Phase::Running(id) => {
                let id = id.clone();
                e.phase = Phase::Done;
                StopOutcome::Remove(id)
            }
        }
    }

    /// The launches that are starting or running, in id order.
    pub fn running(&self) -> Vec<u64> {
        let t = self.entries.lock().unwrap();
        t.iter()
            .filter(|(_, e)| e.phase != Phase::Done)
            .map(|(&id, _)| id)
            .collect()
    }

    /// Whether `launch` runs now.
    pub fn is_running(&self, launch: u64) -> bool {
        let t = self.entries.lock().unwrap();
        matches!(t.get(&launch).map(|e| &e.phase), Some(Phase::Running(_)))
    }

    /// A copy of `launch`'s entry.
    pub fn get(&self, launch: u64) -> Option<Entry> {
        self.entries.lock().unwrap().get(&launch).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn launch(id: u64) -> Launch {
        Launch {
            launch: id,
            task: "t".into(),
            attempt: 1,
            image: None,
            args: vec![],
            env: Default::default(),
            cpu_millis: 100,
            memory_bytes: 64 << 20,
            burn_seconds: Some(1.0),
            ports: vec![],
            health: None,
        }
    }

    #[test]
    fn a_launch_is_known_once_and_reports_its_exit_once() {
        let t = Table::default();
        assert!(t.insert(&launch(1)));
        assert!(!t.insert(&launch(1)), "a duplicate launch starts nothing");
        assert_eq!(t.running(), vec![1]);
        assert_eq!(t.started(1, "c1"), Started::Running);
        assert!(t.is_running(1));
        assert_eq!(t.died(1, 0), Some("c1".into()));
        assert_eq!(t.died(1, 0), None, "exit reported once");
        assert_eq!(t.finish(1), None);
        assert_eq!(t.running(), Vec::<u64>::new());
        assert_eq!(t.finish(9), None);
    }

    #[test]
    fn a_stop_while_starting_is_carried_out_by_the_starter() {
        let t = Table::default();
        t.insert(&launch(2));
        assert_eq!(t.stop(2), StopOutcome::Deferred);
        assert_eq!(
            t.started(2, "c2"),
            Started::Remove,
            "the starter removes it"
        );
        assert_eq!(t.stop(2), StopOutcome::AlreadyDone);
        assert_eq!(t.stop(3), StopOutcome::Unknown);
        t.adopt(4, "c4");
        assert_eq!(t.stop(4), StopOutcome::Remove("c4".into()));
        assert_eq!(
            t.died(4, 137),
            None,
            "a stopped container's death is no exit"
        );
    }

    #[test]
    fn an_exit_before_the_start_is_recorded_is_reported_by_the_starter() {
        let t = Table::default();
        t.insert(&launch(5));
        assert_eq!(t.died(5, 3), None);
        assert_eq!(t.running(), vec![5]);
        assert_eq!(t.started(5, "c5"), Started::Exited(3));
        assert_eq!(t.running(), Vec::<u64>::new());
        t.record(&LaunchReport {
            launch: 5,
            state: LaunchState::Exited { code: 3 },
            at_ms: 9,
        });
        assert_eq!(t.reports()[0].state, LaunchState::Exited { code: 3 });
    }
}

//! Completion-time placements on heterogeneous nodes.
//!
//! **MCT** (minimum completion time; Braun et al., JPDC 2001): for each schedulable node that can ever
//! hold the task, its ready time (from [`Profiles`]: running tasks' expected ends, reservations) plus
//! the task's run time there (estimate / node speed); the node with the earliest completion wins,
//! lowest id on ties. Under central dispatch, if that node has no room now the task *waits for it*:
//! the placement returns `None` and books the node from the ready time on, so tasks decided later in
//! the same decision point cannot take that slot. A fast busy node can therefore beat an idle slow one.
//!
//! **Kumar-Sharma** (Kumar and Sharma, Procedia Computer Science 115, 2017): MCT restricted to nodes
//! that are not overloaded. Our reading of the paper: there a VM runs its tasks one after another and
//! its load is the time it needs to finish what it was given, that is, when it could start the next
//! task. On multi-slot nodes the analogue is the node's ready time for *this* task (its earliest
//! start from the profile) minus now; a node is overloaded when that exceeds the mean over the nodes
//! that can ever hold the task by more than `threshold` (a fraction: 0.2 means 20% above the mean).
//! The least-loaded node is never excluded (its load is at most the mean). The paper's ordering of
//! tasks by length is left to the queue policy (`queue = "sjf"`).
//!
//! Both look at every node, or with a [`Sampler`] (`sample = k`) at a fixed-size sample of them (the
//! Kumar-Sharma mean is then over the sample). A node's profile is built only when a decision looks
//! at it (see [`crate::sched::profile::ProfileStore`]), so a sampled decision costs the same whatever
//! the cluster's size.

use crate::ids::NodeId;
use crate::sched::placement::{candidates, Placement, Sampler};
use crate::sched::profile::ProfileStore;
use crate::sched::{DispatchMode, PendingTask, Session, View};
use crate::time::SimTime;

/// MCT (no threshold) or Kumar-Sharma (with one).
#[derive(Debug, Clone)]
pub struct CompletionTime {
    threshold: Option<f64>,
    profiles: ProfileStore,
    sample: Option<Sampler>,
}

impl CompletionTime {
    /// Minimum completion time.
    pub fn mct() -> CompletionTime {
        CompletionTime {
            threshold: None,
            profiles: ProfileStore::new(),
            sample: None,
        }
    }

    /// Looks only at the nodes `sampler` draws per decision (see [`Sampler`]); `None`: every node.
    pub fn with_sample(mut self, sampler: Option<Sampler>) -> CompletionTime {
        self.sample = sampler;
        self
    }

    /// Kumar-Sharma with overload threshold `threshold` over the mean load.
    pub fn kumar_sharma(threshold: f64) -> CompletionTime {
        CompletionTime {
            threshold: Some(threshold),
            ..CompletionTime::mct()
        }
    }

    /// Opens a decision point at `view`'s instant unless one is open (a caller that only calls
    /// `choose`).
    fn open(&mut self, view: &View<'_>) {
        if self.profiles.now() != Some(view.now) {
            self.profiles.begin(view.now, view.mode, view.cluster.len());
        }
    }
}

/// Kumar-Sharma's cut-off: the latest start a node may offer without counting as overloaded, from
/// the candidates' (node, start, end).
fn cutoff(threshold: f64, now: SimTime, candidates: &[(NodeId, SimTime, SimTime)]) -> SimTime {
    let delays = candidates.iter().map(|c| (c.1 .0 - now.0) as f64);
    let mean = delays.sum::<f64>() / candidates.len().max(1) as f64;
    SimTime(now.0 + (mean * (1.0 + threshold)).floor() as u64)
}

impl Placement for CompletionTime {
    fn reads_running_by_node(&self) -> bool {
        true
    }

    fn begin(&mut self, session: &Session<'_>) {
        let n = session.cluster().len();
        self.profiles.begin(session.now(), session.mode(), n);
    }

    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        let threshold = self.threshold;
        self.open(view);
        let nodes = candidates(self.sample.as_mut(), task, view);
        let mut profiles = self.profiles.with(view.running);
        let candidates: Vec<(NodeId, SimTime, SimTime)> = nodes
            .filter_map(|node| {
                let run = task.estimate.scaled_by_speed(node.speed);
                let start = profiles.earliest_start(node, &task.demand, run)?;
                Some((node.id, start, start + run))
            })
            .collect();
        let latest = threshold.map(|t| cutoff(t, view.now, &candidates));
        let (id, start, end) = candidates
            .into_iter()
            .filter(|c| latest.is_none_or(|l| c.1 <= l))
            .min_by_key(|&(id, _, end)| (end, id))?;
        let now_fits = start == view.now && view.feasible(view.cluster.node(id), &task.demand);
        match view.mode {
            DispatchMode::Central if now_fits => {
                profiles.started(id, end, &task.demand);
                Some(id)
            }
            DispatchMode::Central => {
                profiles.book(id, start, end, &task.demand);
                None
            }
            DispatchMode::Immediate => {
                profiles.hold(id, start, end, &task.demand);
                Some(id)
            }
        }
    }
}

#[cfg(test)]
mod tests;

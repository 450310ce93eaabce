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
//! Kumar-Sharma mean is then over the sample). The profiles are still rebuilt from every running
//! task once per decision point.

use crate::ids::NodeId;
use crate::sched::placement::{candidates, Placement, Sampler};
use crate::sched::profile::{Booking, Profiles};
use crate::sched::{DispatchMode, PendingTask, Session, View};
use crate::time::SimTime;

/// MCT (no threshold) or Kumar-Sharma (with one).
#[derive(Debug, Clone)]
pub struct CompletionTime {
    threshold: Option<f64>,
    profiles: Option<Profiles>,
    bookings: Vec<Booking>,
    sample: Option<Sampler>,
}

impl CompletionTime {
    /// Minimum completion time.
    pub fn mct() -> CompletionTime {
        CompletionTime {
            threshold: None,
            profiles: None,
            bookings: Vec::new(),
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

    fn profiles(&mut self, view: &View<'_>) -> &mut Profiles {
        // Without a begin() for this instant (a caller that only calls choose), rebuild from the
        // view alone: no running tasks are known then, only this placement's own bookings.
        if self.profiles.as_ref().is_none_or(|p| p.now() != view.now) {
            self.prune(view.now);
            let n = view.cluster.len();
            self.profiles = Some(Profiles::new(view.now, view.mode, n, &[], &self.bookings));
        }
        self.profiles.as_mut().expect("profiles were just built")
    }

    fn prune(&mut self, now: SimTime) {
        self.bookings.retain(|b| b.2 > now);
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
    fn begin(&mut self, session: &Session<'_>) {
        self.prune(session.now());
        let n = session.cluster().len();
        let p = Profiles::new(
            session.now(),
            session.mode(),
            n,
            session.running(),
            &self.bookings,
        );
        self.profiles = Some(p);
    }

    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        let threshold = self.threshold;
        let nodes = candidates(self.sample.as_mut(), task, view);
        let profiles = self.profiles(view);
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
                profiles.book(id, start, end, &task.demand);
                self.bookings.push((id, start, end, task.demand));
                Some(id)
            }
        }
    }
}

#[cfg(test)]
mod tests;

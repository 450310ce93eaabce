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
//! that are not overloaded. Our reading of the paper: a node's load is the time until all work known
//! on it ends (its profile horizon minus now); a node is overloaded when its load exceeds the mean
//! load of the eligible nodes by more than `threshold` (a fraction: 0.2 means 20% above the mean).
//! The least-loaded node is never excluded (its load is at most the mean). The paper's ordering of
//! tasks by length is left to the queue policy (`queue = "sjf"`).

use crate::ids::NodeId;
use crate::sched::placement::Placement;
use crate::sched::profile::{Booking, Profiles};
use crate::sched::{DispatchMode, PendingTask, Session, View};
use crate::time::SimTime;

/// MCT (no threshold) or Kumar-Sharma (with one).
#[derive(Debug, Clone)]
pub struct CompletionTime {
    threshold: Option<f64>,
    profiles: Option<Profiles>,
    bookings: Vec<Booking>,
}

impl CompletionTime {
    /// Minimum completion time.
    pub fn mct() -> CompletionTime {
        CompletionTime {
            threshold: None,
            profiles: None,
            bookings: Vec::new(),
        }
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

/// Load cut-off for Kumar-Sharma: nodes whose horizon is later than this are overloaded.
fn cutoff(
    threshold: f64,
    profiles: &Profiles,
    view: &View<'_>,
    task: &PendingTask,
) -> Option<SimTime> {
    let now = view.now;
    let loads: Vec<u64> = view
        .cluster
        .nodes()
        .iter()
        .filter(|n| n.schedulable && n.fits_ever(&task.demand))
        .map(|n| profiles.horizon(n.id).0 - now.0)
        .collect();
    if loads.is_empty() {
        return None;
    }
    let mean = loads.iter().map(|&l| l as f64).sum::<f64>() / loads.len() as f64;
    Some(SimTime(now.0 + (mean * (1.0 + threshold)).floor() as u64))
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
        let profiles = self.profiles(view);
        let cutoff = threshold.and_then(|t| cutoff(t, profiles, view, task));
        let mut best: Option<(SimTime, SimTime, NodeId)> = None;
        for node in view.cluster.nodes() {
            if cutoff.is_some_and(|c| profiles.horizon(node.id) > c) {
                continue;
            }
            let run = task.estimate.scaled_by_speed(node.speed);
            let Some(start) = profiles.earliest_start(node, &task.demand, run) else {
                continue;
            };
            let end = start + run;
            if best.is_none_or(|(e, _, _)| end < e) {
                best = Some((end, start, node.id));
            }
        }
        let (end, start, id) = best?;
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

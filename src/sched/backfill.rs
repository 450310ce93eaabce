//! EASY backfilling (Lifka, "The ANL/IBM SP scheduling system", 1995; Mu'alem and Feitelson, IEEE
//! TPDS 2001), on requested run times (`PendingTask::estimate`).
//!
//! Tasks are served in queue order while they fit. The first one that does not fit (the *head*) gets
//! a reservation: the earliest instant any node can hold it for its whole run, computed from running
//! tasks' expected ends ([`Profiles`]), on the lowest-numbered node achieving it. Later tasks may start
//! now only if they do not delay that reservation: on any other node freely, on the reserved node only
//! if the head still fits there at its reserved time for its whole run (they end before it, or leave
//! enough room beside it). Only the head holds a reservation (EASY, not conservative, backfilling).
//! Unlike [`crate::sched::ListScheduler`] this has head-of-line semantics for the head.
//!
//! Under immediate dispatch there is no central queue to hold back, and this is plain FIFO.

use crate::ids::NodeId;
use crate::sched::placement::Placement;
use crate::sched::profile::{ProfileStore, Profiles};
use crate::sched::{DispatchMode, PendingTask, Scheduler, Session};
use crate::time::SimTime;

/// EASY backfilling scheduler.
pub struct EasyBackfill {
    placement: Box<dyn Placement>,
    profiles: ProfileStore,
}

impl EasyBackfill {
    /// A scheduler placing the tasks it starts with `placement`.
    pub fn new(placement: Box<dyn Placement>) -> EasyBackfill {
        EasyBackfill {
            placement,
            profiles: ProfileStore::new(),
        }
    }
}

/// The head's reservation: the earliest start over nodes, lowest id on ties.
pub fn reservation(
    profiles: &mut Profiles,
    session: &Session<'_>,
    task: &PendingTask,
) -> Option<(NodeId, SimTime)> {
    let mut best: Option<(SimTime, NodeId)> = None;
    for node in session.cluster().nodes() {
        let run = task.estimate.scaled_by_speed(node.speed);
        if let Some(start) = profiles.earliest_start(node, &task.demand, run) {
            if best.is_none_or(|(s, _)| start < s) {
                best = Some((start, node.id));
            }
        }
    }
    best.map(|(s, id)| (id, s))
}

/// A node for a backfill candidate that leaves the reservation on `reserved` intact: `placement`'s
/// pick if harmless, else the first feasible other node.
fn backfill_node(
    placement: &mut dyn Placement,
    session: &Session<'_>,
    profiles: &mut Profiles,
    task: &PendingTask,
    reserved: NodeId,
) -> Option<NodeId> {
    let view = session.view();
    let mut harmless = |id: NodeId| {
        let node = session.cluster().node(id);
        let run = task.estimate.scaled_by_speed(node.speed);
        id != reserved || profiles.earliest_start(node, &task.demand, run) == Some(session.now())
    };
    let chosen = placement.choose(task, &view)?;
    if harmless(chosen) {
        return Some(chosen);
    }
    // The placement's pick would delay the head: first fit over the other nodes instead.
    view.first_feasible_from(&task.demand, 0)
        .filter(|&id| id != reserved)
        .or_else(|| view.first_feasible_from(&task.demand, reserved.index() + 1))
}

impl Scheduler for EasyBackfill {
    fn reads_running_by_node(&self) -> bool {
        self.placement.reads_running_by_node()
    }

    fn schedule(&mut self, session: &mut Session<'_>) {
        self.placement.begin(session);
        let central = session.mode() == DispatchMode::Central;
        let n = session.cluster().len();
        self.profiles.begin(session.now(), session.mode(), n);
        let mut profiles = self.profiles.with(session.running_view());
        let mut head: Option<NodeId> = None;
        for index in 0..session.pending().len() {
            let task = session.pending()[index].clone();
            if central && !session.cluster().fits_somewhere_now(&task.demand) {
                if head.is_none() {
                    if let Some((node, start)) = reservation(&mut profiles, session, &task) {
                        let run = task
                            .estimate
                            .scaled_by_speed(session.cluster().node(node).speed);
                        profiles.book(node, start, start + run, &task.demand);
                        head = Some(node);
                    }
                }
                continue;
            }
            let node = match head {
                None => self.placement.choose(&task, &session.view()),
                Some(reserved) => backfill_node(
                    &mut *self.placement,
                    session,
                    &mut profiles,
                    &task,
                    reserved,
                ),
            };
            if let Some(node) = node {
                session
                    .assign(index, node)
                    .expect("backfilling chose a node that cannot take the task");
                let run = task
                    .estimate
                    .scaled_by_speed(session.cluster().node(node).speed);
                profiles.started(node, session.now() + run, &task.demand);
            }
        }
    }
}

#[cfg(test)]
mod tests;

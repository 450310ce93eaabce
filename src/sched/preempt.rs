//! Priority scheduling with preemption: tasks are served highest priority first; when one fits
//! nowhere, the scheduler looks for a node where stopping strictly lower-priority running tasks
//! would make room, takes the node needing the fewest such victims (lowest id on ties), preempts them
//! (lowest priority first, then the most recently started, whose lost work is smallest) and starts
//! the task there. The driver requeues the victims at the tail of the queue (behind the pending
//! tasks of their own priority) and decides again at once, so a victim that fits elsewhere starts at
//! the same instant; what a victim keeps of its work is the [`PreemptMode`]. Central dispatch only.

use crate::ids::NodeId;
use crate::sched::placement::Placement;
use crate::sched::{DispatchMode, PendingTask, QueuePolicy, Scheduler, Session};

/// What a preempted attempt keeps of its work (`preempt = "restart" | "resume"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PreemptMode {
    /// The attempt is killed: its work is lost, except what checkpoints secured under the
    /// checkpoint failover policy (`preempt = true` means this).
    #[default]
    Restart,
    /// The attempt is suspended: the next attempt continues where it stopped (as with
    /// checkpoint/restore of a process), so no work is lost.
    Resume,
}

/// Preemptive priority scheduler.
pub struct PreemptivePriority {
    placement: Box<dyn Placement>,
}

impl PreemptivePriority {
    /// A scheduler placing tasks that fit with `placement`.
    pub fn new(placement: Box<dyn Placement>) -> PreemptivePriority {
        PreemptivePriority { placement }
    }
}

/// The node needing the fewest victims for `task`, and those victims (indices into `running`).
fn cheapest_victims(
    session: &Session<'_>,
    task: &PendingTask,
    by_node: &[Vec<usize>],
    taken: &[bool],
) -> Option<(NodeId, Vec<usize>)> {
    let running = session.running();
    let mut best: Option<(NodeId, Vec<usize>)> = None;
    for node in session.cluster().nodes() {
        if !node.schedulable || !node.fits_ever(&task.demand) {
            continue;
        }
        let mut candidates: Vec<usize> = by_node[node.id.index()]
            .iter()
            .copied()
            .filter(|&r| !taken[r] && running[r].priority < task.priority)
            .collect();
        candidates.sort_by_key(|&r| (running[r].priority, std::cmp::Reverse(running[r].start), r));
        let mut free = node.free();
        let mut victims = Vec::new();
        for r in candidates {
            if task.demand.fits_in(&free) {
                break;
            }
            free += running[r].demand;
            victims.push(r);
        }
        let enough = task.demand.fits_in(&free);
        if enough && best.as_ref().is_none_or(|(_, v)| victims.len() < v.len()) {
            best = Some((node.id, victims));
        }
    }
    best
}

impl Scheduler for PreemptivePriority {
    fn reads_running_by_node(&self) -> bool {
        self.placement.reads_running_by_node()
    }

    fn schedule(&mut self, session: &mut Session<'_>) {
        self.placement.begin(session);
        let order = QueuePolicy::Priority.order(session.pending(), session.candidates());
        let mut by_node: Option<Vec<Vec<usize>>> = None;
        let mut taken = vec![false; session.running().len()];
        for index in order {
            let task = session.pending()[index].clone();
            let central = session.mode() == DispatchMode::Central;
            if !central || session.cluster().fits_somewhere_now(&task.demand) {
                if let Some(node) = self.placement.choose(&task, &session.view()) {
                    session
                        .assign(index, node)
                        .expect("placement chose a node that cannot take the task");
                }
                continue;
            }
            let by_node = by_node.get_or_insert_with(|| {
                let mut v = vec![Vec::new(); session.cluster().len()];
                for (i, r) in session.running().iter().enumerate() {
                    v[r.node.index()].push(i);
                }
                v
            });
            if let Some((node, victims)) = cheapest_victims(session, &task, by_node, &taken) {
                for r in victims {
                    taken[r] = true;
                    session
                        .preempt(r)
                        .expect("a running task is preempted once");
                }
                session
                    .assign(index, node)
                    .expect("preemption freed enough room");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::placement::test_support::{central_session, cluster, job, run_on};
    use crate::sched::placement::FirstFit;

    #[test]
    fn preempts_the_fewest_lower_priority_tasks() {
        // Node 0 (4 cores, 1 free) runs A (p1, 2 cores) and B (p0, 1 core): room for 3 cores needs
        // B then A, 2 victims. Node 1 (4 cores, full) runs C (p0, 3 cores) and D (p5, 1 core):
        // stopping C alone is enough, so node 1 wins with C as the only victim.
        let mut c = cluster(&[(2, 4.0)]);
        let mut running = vec![
            run_on(&mut c, 0, 2.0, 50),
            run_on(&mut c, 0, 1.0, 50),
            run_on(&mut c, 1, 3.0, 50),
            run_on(&mut c, 1, 1.0, 50),
        ];
        for (r, p) in running.iter_mut().zip([1, 0, 0, 5]) {
            r.priority = p;
        }
        let mut urgent = job(0, 3.0, 10);
        urgent.priority = 3;
        let mut equal = job(1, 3.0, 10);
        equal.priority = 0;
        let pending = [equal, urgent];
        let mut s = central_session(&mut c, &pending, &running);
        PreemptivePriority::new(Box::new(FirstFit)).schedule(&mut s);
        let d = s.into_decisions();
        assert_eq!(d.preempted, vec![2]);
        // The priority-0 task finds no strictly lower-priority victim anywhere and stays queued.
        assert_eq!(d.assigned, vec![(1, NodeId(1))]);
    }
}

//! Dominant resource fairness (Ghodsi et al., "Dominant Resource Fairness: Fair Allocation of
//! Multiple Resource Types", NSDI 2011). A user's dominant share is the largest, over resources, of
//! what its running tasks hold divided by the cluster's total capacity. At each step the user with the
//! smallest dominant share (lowest user id on ties) gets its next queued task placed; a task that fits
//! nowhere is passed over for this decision point, and a user with nothing placeable drops out.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::cluster::OrdF64;
use crate::resources::Resources;
use crate::sched::placement::Placement;
use crate::sched::{DispatchMode, Scheduler, Session};

/// DRF scheduler.
pub struct Drf {
    placement: Box<dyn Placement>,
}

impl Drf {
    /// A scheduler placing each chosen task with `placement`.
    pub fn new(placement: Box<dyn Placement>) -> Drf {
        Drf { placement }
    }
}

/// The dominant share of `usage` in a cluster of `total` capacity.
pub fn dominant_share(usage: &Resources, total: &Resources) -> f64 {
    usage.fractions_of(total).into_iter().fold(0.0, f64::max)
}

impl Scheduler for Drf {
    fn reads_running_by_node(&self) -> bool {
        self.placement.reads_running_by_node()
    }

    fn schedule(&mut self, session: &mut Session<'_>) {
        self.placement.begin(session);
        let total = session.cluster().total_capacity();
        let mut usage: BTreeMap<u32, Resources> = BTreeMap::new();
        for r in session.running() {
            *usage.entry(r.user).or_default() += r.demand;
        }
        let mut queues: BTreeMap<u32, VecDeque<usize>> = BTreeMap::new();
        for i in session.candidates() {
            queues
                .entry(session.pending()[i].user)
                .or_default()
                .push_back(i);
        }
        let share = |usage: &BTreeMap<u32, Resources>, u: u32| {
            OrdF64(dominant_share(
                &usage.get(&u).copied().unwrap_or_default(),
                &total,
            ))
        };
        let mut turn: BTreeSet<(OrdF64, u32)> =
            queues.keys().map(|&u| (share(&usage, u), u)).collect();
        while let Some((_, user)) = turn.pop_first() {
            let queue = queues
                .get_mut(&user)
                .expect("every user in turn has a queue");
            while let Some(index) = queue.pop_front() {
                let task = session.pending()[index].clone();
                if session.mode() == DispatchMode::Central
                    && !session.cluster().fits_somewhere_now(&task.demand)
                {
                    continue;
                }
                let Some(node) = self.placement.choose(&task, &session.view()) else {
                    continue;
                };
                session
                    .assign(index, node)
                    .expect("placement chose a node that cannot take the task");
                *usage.entry(user).or_default() += task.demand;
                if !queue.is_empty() {
                    turn.insert((share(&usage, user), user));
                }
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Cluster, NodeGroup};
    use crate::sched::placement::test_support::job;
    use crate::sched::placement::FirstFit;
    use crate::sched::ListScheduler;
    use crate::sched::QueuePolicy;
    use crate::time::SimTime;

    /// The paper's example: 9 CPUs and 18 GB; user A's tasks need <1 CPU, 4 GB>, user B's <3 CPU, 1 GB>.
    fn paper_example() -> (Cluster, Vec<crate::sched::PendingTask>) {
        let c = Cluster::new(&[NodeGroup {
            name: "g".into(),
            count: 1,
            capacity: Resources::new(9.0, 18, 0),
            speed: 1.0,
            domain: "g".into(),
            start_delay: None,
            power: None,
            gpu_model: None,
        }]);
        // The queue holds all of A's tasks before B's, so FIFO would favour A.
        let pending = (0..20)
            .map(|i| {
                let mut t = job(i, 0.0, 1);
                let a = i < 10;
                t.user = if a { 0 } else { 1 };
                t.demand = if a {
                    Resources::new(1.0, 4, 0)
                } else {
                    Resources::new(3.0, 1, 0)
                };
                t
            })
            .collect();
        (c, pending)
    }

    fn tasks_per_user(d: &crate::sched::Decisions) -> [usize; 2] {
        let mut n = [0; 2];
        for &(i, _) in &d.assigned {
            n[usize::from(i >= 10)] += 1;
        }
        n
    }

    #[test]
    fn equalises_dominant_shares_as_in_the_paper() {
        // Progressive filling: A <1,4> (shares A 4/18), B <3,1> (B 3/9), A (8/18), B (6/9), A (12/18).
        // Both dominant shares are 2/3; CPU is exhausted (3 + 6 = 9), so nothing more fits.
        let (mut c, pending) = paper_example();
        let mut s = Session::new(
            SimTime::ZERO,
            DispatchMode::Central,
            &mut c,
            &pending,
            &[],
            0,
            true,
        );
        Drf::new(Box::new(FirstFit)).schedule(&mut s);
        assert_eq!(tasks_per_user(&s.into_decisions()), [3, 2]);
        // FIFO fills memory with A: 4 A tasks (16 GB), then one B (7 CPUs, 17 GB), then no room.
        let (mut c, pending) = paper_example();
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
        assert_eq!(tasks_per_user(&s.into_decisions()), [4, 1]);
    }

    #[test]
    fn dominant_share_is_the_largest_fraction() {
        let total = Resources::new(9.0, 18, 0);
        assert_eq!(
            dominant_share(&Resources::new(3.0, 12, 0), &total),
            12.0 / 18.0
        );
    }
}

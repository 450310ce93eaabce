//! Per-node resource profiles over future time: when will a demand fit, and for how long?
//!
//! Completion-time placements (MCT, Kumar-Sharma), batch heuristics (Min-Min, Max-Min, Sufferage) and
//! EASY backfilling all need a node's *ready time* for a task: the earliest instant from which its
//! demand fits for its whole run. A profile answers that from what the scheduler knows:
//! - under central dispatch, the node's free capacity now plus the releases of its running tasks at
//!   their expected ends (an overdue task is assumed to end just after now), plus what this decision
//!   point started or reserved;
//! - under immediate dispatch the driver lists no running work, so the profile starts from the node's
//!   whole capacity and subtracts the scheduler's own record of what it sent there and when that is
//!   expected to run (the machine-availability model of Braun et al., 2001).
//!
//! Free capacity is piecewise constant between change points; a node holds a handful of entries.

use crate::cluster::Node;
use crate::ids::NodeId;
use crate::resources::{Resources, DIMS};
use crate::sched::{DispatchMode, RunningTask};
use crate::time::{SimDuration, SimTime};

/// Work a scheduler placed on a node under immediate dispatch: (node, start, end, demand).
pub type Booking = (NodeId, SimTime, SimTime, Resources);

/// Resource-change points of every node, relative to its free capacity now (central) or its
/// capacity (immediate).
#[derive(Debug, Clone)]
pub struct Profiles {
    now: SimTime,
    mode: DispatchMode,
    changes: Vec<Vec<(SimTime, [i64; DIMS])>>,
}

fn signed(r: &Resources, sign: i64) -> [i64; DIMS] {
    r.dims().map(|x| sign * x as i64)
}

impl Profiles {
    /// Profiles of `nodes` at `now`, from the running tasks (central) or the scheduler's bookings
    /// (immediate; bookings that ended by `now` are ignored).
    pub fn new(
        now: SimTime,
        mode: DispatchMode,
        nodes: usize,
        running: &[RunningTask],
        bookings: &[Booking],
    ) -> Profiles {
        let mut p = Profiles {
            now,
            mode,
            changes: vec![Vec::new(); nodes],
        };
        match mode {
            DispatchMode::Central => {
                for t in running {
                    let end = t.expected_end.max(SimTime(now.0 + 1));
                    p.push(t.node, end, signed(&t.demand, 1));
                }
            }
            DispatchMode::Immediate => {
                for &(node, start, end, demand) in bookings.iter().filter(|b| b.2 > now) {
                    p.book(node, start.max(now), end, &demand);
                }
            }
        }
        p
    }

    /// The instant the profiles were built for.
    pub fn now(&self) -> SimTime {
        self.now
    }

    fn push(&mut self, node: NodeId, at: SimTime, delta: [i64; DIMS]) {
        let list = &mut self.changes[node.index()];
        let pos = list.partition_point(|(t, _)| *t <= at);
        list.insert(pos, (at, delta));
    }

    /// Records a task started now on `node` (central: its demand is already out of the node's free
    /// capacity) that will give its demand back at `end`.
    pub fn started(&mut self, node: NodeId, end: SimTime, demand: &Resources) {
        self.push(node, end, signed(demand, 1));
    }

    /// Holds `demand` on `node` over `[start, end)`: a reservation for a task that will start later
    /// (or, under immediate dispatch, any task sent to the node).
    pub fn book(&mut self, node: NodeId, start: SimTime, end: SimTime, demand: &Resources) {
        self.push(node, start, signed(demand, -1));
        self.push(node, end, signed(demand, 1));
    }

    /// Free capacity of `node` right after each change point, starting with now.
    fn steps(&self, node: &Node) -> Vec<(SimTime, [i64; DIMS])> {
        let base = match self.mode {
            DispatchMode::Central => node.free(),
            DispatchMode::Immediate => node.capacity,
        };
        let mut free = signed(&base, 1);
        let mut steps = vec![(self.now, free)];
        for &(t, delta) in &self.changes[node.id.index()] {
            for i in 0..DIMS {
                free[i] += delta[i];
            }
            match steps.last_mut() {
                Some(last) if last.0 >= t => last.1 = free,
                _ => steps.push((t, free)),
            }
        }
        steps
    }

    /// The earliest instant at or after now from which `demand` fits on `node` for `run`; `None` if
    /// the node is not schedulable or never has room.
    pub fn earliest_start(
        &self,
        node: &Node,
        demand: &Resources,
        run: SimDuration,
    ) -> Option<SimTime> {
        if !node.schedulable || !node.fits_ever(demand) {
            return None;
        }
        let d = signed(demand, 1);
        let holds = |f: &[i64; DIMS]| f.iter().zip(&d).all(|(a, b)| a >= b);
        let changes = &self.changes[node.id.index()];
        if changes
            .iter()
            .all(|(_, delta)| delta.iter().all(|&x| x >= 0))
        {
            // Only releases (no reservations): free capacity never shrinks, so the first instant it
            // holds the demand is the answer, found without building the steps.
            let base = match self.mode {
                DispatchMode::Central => node.free(),
                DispatchMode::Immediate => node.capacity,
            };
            let mut free = signed(&base, 1);
            if holds(&free) {
                return Some(self.now);
            }
            for &(t, delta) in changes {
                for i in 0..DIMS {
                    free[i] += delta[i];
                }
                if holds(&free) {
                    return Some(t.max(self.now));
                }
            }
            return None;
        }
        let steps = self.steps(node);
        (0..steps.len())
            .find(|&i| {
                let end = steps[i].0 + run;
                steps[i..]
                    .iter()
                    .take_while(|(t, _)| *t == steps[i].0 || *t < end)
                    .all(|(_, f)| holds(f))
            })
            .map(|i| steps[i].0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::placement::test_support::{cluster, run_on};

    fn secs(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    #[test]
    fn ready_time_waits_for_enough_releases_and_respects_reservations() {
        // One 4-core node running 2 cores until t=10 and 1 core until t=20: 1 core free now.
        let mut c = cluster(&[(1, 4.0)]);
        let running = vec![run_on(&mut c, 0, 2.0, 10), run_on(&mut c, 0, 1.0, 20)];
        let mut p = Profiles::new(SimTime::ZERO, DispatchMode::Central, 1, &running, &[]);
        let node = c.node(NodeId(0)).clone();
        let cores = |x: f64| Resources::new(x, 0, 0);
        let run = SimDuration::from_secs(5);
        assert_eq!(p.earliest_start(&node, &cores(1.0), run), Some(secs(0)));
        assert_eq!(p.earliest_start(&node, &cores(3.0), run), Some(secs(10)));
        assert_eq!(p.earliest_start(&node, &cores(4.0), run), Some(secs(20)));
        assert_eq!(p.earliest_start(&node, &cores(5.0), run), None);
        // Reserve 3 cores over [12, 30): a 2-core, 5 s task fits in [0, 12) only from t=10 to 12,
        // too short, so it waits until t=30.
        p.book(NodeId(0), secs(12), secs(30), &cores(3.0));
        assert_eq!(p.earliest_start(&node, &cores(2.0), run), Some(secs(30)));
        assert_eq!(
            p.earliest_start(&node, &cores(2.0), SimDuration::from_secs(2)),
            Some(secs(10))
        );
    }
}

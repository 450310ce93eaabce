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
use crate::sched::{DispatchMode, RunningView};
use crate::time::{SimDuration, SimTime};

/// Work a scheduler placed on a node under immediate dispatch: (node, start, end, demand).
pub type Booking = (NodeId, SimTime, SimTime, Resources);

/// A change of a node's free capacity: (when, by how much per dimension).
type Change = (SimTime, [i64; DIMS]);

/// Resource-change points of every node, relative to its free capacity now (central) or its
/// capacity (immediate), kept across decision points.
///
/// A node's profile is built the first time a decision point asks about it: from its running tasks
/// (central dispatch, through the driver's per-node index when [`RunningView::releases_on`] has
/// one, else from the whole list at once) or from the work this scheduler sent there (immediate dispatch, see
/// [`Profiles::hold`]). A placement that looks at k nodes per decision therefore builds k profiles,
/// not one per node.
#[derive(Debug, Clone, Default)]
pub struct ProfileStore {
    now: Option<SimTime>,
    mode: DispatchMode,
    /// Decision-point stamp: a node's profile is current when `built` holds this value.
    stamp: u32,
    built: Vec<u32>,
    changes: Vec<Vec<Change>>,
    /// Immediate dispatch: the work this scheduler sent to each node, (start, end, demand).
    held: Vec<Vec<(SimTime, SimTime, Resources)>>,
}

fn signed(r: &Resources, sign: i64) -> [i64; DIMS] {
    r.dims().map(|x| sign * x as i64)
}

impl ProfileStore {
    /// A store that knows nothing yet.
    pub fn new() -> ProfileStore {
        ProfileStore::default()
    }

    /// Opens a decision point at `now` over `nodes` nodes: every profile is rebuilt on first use.
    pub fn begin(&mut self, now: SimTime, mode: DispatchMode, nodes: usize) {
        self.now = Some(now);
        self.mode = mode;
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.built.fill(0);
            self.stamp = 1;
        }
        if self.built.len() < nodes {
            self.built.resize(nodes, 0);
            self.changes.resize_with(nodes, Vec::new);
            self.held.resize_with(nodes, Vec::new);
        }
    }

    /// The instant of the open decision point (`None` before the first).
    pub fn now(&self) -> Option<SimTime> {
        self.now
    }

    /// The profiles of the open decision point, reading running tasks from `running`.
    pub fn with<'a>(&'a mut self, running: RunningView<'a>) -> Profiles<'a> {
        Profiles {
            store: self,
            running,
        }
    }
}

/// The profiles of one decision point: a [`ProfileStore`] and the running tasks it builds from.
#[derive(Debug)]
pub struct Profiles<'a> {
    store: &'a mut ProfileStore,
    running: RunningView<'a>,
}

impl Profiles<'_> {
    /// The instant the profiles are for.
    pub fn now(&self) -> SimTime {
        self.store.now.expect("a decision point was begun")
    }

    /// Builds `node`'s profile if this decision point has not yet.
    fn ensure(&mut self, node: NodeId) {
        let now = self.now();
        let s = &mut *self.store;
        let i = node.index();
        if s.built[i] == s.stamp {
            return;
        }
        let after_now = SimTime(now.0 + 1);
        let released = |end: SimTime, demand: [u64; DIMS]| -> Change {
            (end.max(after_now), demand.map(|x| x as i64))
        };
        match (s.mode, self.running.releases_on(node)) {
            (DispatchMode::Central, Some(on_node)) => {
                let list = &mut s.changes[i];
                list.clear();
                list.extend(on_node.map(|(end, demand)| released(end, demand)));
                list.sort_by_key(|c| c.0);
                s.built[i] = s.stamp;
            }
            (DispatchMode::Central, None) => {
                // No per-node index: every node's profile from one pass over the list.
                for (j, list) in s.changes.iter_mut().enumerate() {
                    if s.built[j] != s.stamp {
                        list.clear();
                    }
                }
                for t in self.running.tasks() {
                    let j = t.node.index();
                    if s.built[j] != s.stamp {
                        s.changes[j].push(released(t.expected_end, t.demand.dims()));
                    }
                }
                for (j, list) in s.changes.iter_mut().enumerate() {
                    if s.built[j] != s.stamp {
                        list.sort_by_key(|c| c.0);
                        s.built[j] = s.stamp;
                    }
                }
            }
            (DispatchMode::Immediate, _) => {
                let (held, list) = (&mut s.held[i], &mut s.changes[i]);
                held.retain(|h| h.1 > now);
                list.clear();
                for &(start, end, demand) in held.iter() {
                    list.push((start.max(now), signed(&demand, -1)));
                    list.push((end, signed(&demand, 1)));
                }
                list.sort_by_key(|c| c.0);
                s.built[i] = s.stamp;
            }
        }
    }

    fn push(&mut self, node: NodeId, at: SimTime, delta: [i64; DIMS]) {
        self.ensure(node);
        let list = &mut self.store.changes[node.index()];
        let pos = list.partition_point(|(t, _)| *t <= at);
        list.insert(pos, (at, delta));
    }

    /// Records a task started now on `node` (central: its demand is already out of the node's free
    /// capacity) that will give its demand back at `end`.
    pub fn started(&mut self, node: NodeId, end: SimTime, demand: &Resources) {
        self.push(node, end, signed(demand, 1));
    }

    /// Holds `demand` on `node` over `[start, end)` for this decision point: a reservation for a
    /// task that will start later.
    pub fn book(&mut self, node: NodeId, start: SimTime, end: SimTime, demand: &Resources) {
        self.push(node, start, signed(demand, -1));
        self.push(node, end, signed(demand, 1));
    }

    /// Immediate dispatch: the scheduler sent a task to `node` that it expects to hold `demand` over
    /// `[start, end)`. Unlike [`Profiles::book`] this is remembered by later decision points, until
    /// `end` has passed.
    pub fn hold(&mut self, node: NodeId, start: SimTime, end: SimTime, demand: &Resources) {
        self.book(node, start, end, demand);
        self.store.held[node.index()].push((start, end, *demand));
    }

    /// What the changes of `node` are relative to: its free capacity now (central) or its capacity
    /// (immediate).
    fn base(&self, node: &Node) -> [i64; DIMS] {
        let base = match self.store.mode {
            DispatchMode::Central => node.free(),
            DispatchMode::Immediate => node.capacity,
        };
        signed(&base, 1)
    }

    /// Free capacity of `node` right after each change point, starting with now.
    fn steps(&self, node: &Node) -> Vec<Change> {
        let mut free = self.base(node);
        let mut steps = vec![(self.now(), free)];
        for &(t, delta) in &self.store.changes[node.id.index()] {
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
        &mut self,
        node: &Node,
        demand: &Resources,
        run: SimDuration,
    ) -> Option<SimTime> {
        if !node.schedulable || !node.fits_ever(demand) {
            return None;
        }
        self.ensure(node.id);
        let now = self.now();
        let d = signed(demand, 1);
        let holds = |f: &[i64; DIMS]| f.iter().zip(&d).all(|(a, b)| a >= b);
        let changes = &self.store.changes[node.id.index()];
        if changes
            .iter()
            .all(|(_, delta)| delta.iter().all(|&x| x >= 0))
        {
            // Only releases (no reservations): free capacity never shrinks, so the first instant it
            // holds the demand is the answer, found without building the steps.
            let mut free = self.base(node);
            if holds(&free) {
                return Some(now);
            }
            for &(t, delta) in changes {
                for i in 0..DIMS {
                    free[i] += delta[i];
                }
                if holds(&free) {
                    return Some(t.max(now));
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
        let mut store = ProfileStore::new();
        store.begin(SimTime::ZERO, DispatchMode::Central, 1);
        let mut p = store.with(RunningView::from(&running));
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

    /// Profiles built lazily through the per-node index answer exactly as profiles built from the
    /// whole list, over decision points where tasks start and stop and bookings are made.
    #[test]
    fn indexed_profiles_match_profiles_from_the_whole_list() {
        use crate::rng::{below, stream};
        use crate::sched::{RunningList, RunningTask};
        let mut rng = stream(11, "profiles");
        let mut c = cluster(&[(12, 8.0)]);
        let mut list = RunningList::new(true);
        let (mut indexed, mut whole) = (ProfileStore::new(), ProfileStore::new());
        let mut answers = 0;
        let mut next_handle = 0u32;
        for point in 0..300u64 {
            let now = secs(point);
            // Tasks that ended by now stop; new ones start where they fit.
            let mut pos = 0;
            while pos < list.len() {
                if list[pos].expected_end <= now && below(&mut rng, 2) == 0 {
                    let t = list.swap_remove(pos);
                    c.release(t.node, &t.demand, t.gpus);
                } else {
                    pos += 1;
                }
            }
            for _ in 0..6 {
                let node = below(&mut rng, 12) as u32;
                let demand = Resources::new(0.5 * (1 + below(&mut rng, 6)) as f64, 0, 0);
                if let Ok(gpus) = c.allocate(NodeId(node), &demand) {
                    // Handles are unique among running tasks, as the driver's slots are.
                    next_handle += 1;
                    list.push(RunningTask {
                        handle: next_handle,
                        node: NodeId(node),
                        demand,
                        gpus,
                        expected_end: now + SimDuration::from_secs(below(&mut rng, 40)),
                        ..run_on(&mut cluster(&[(1, 8.0)]), 0, 0.0, 0)
                    });
                }
            }
            indexed.begin(now, DispatchMode::Central, 12);
            whole.begin(now, DispatchMode::Central, 12);
            let mut a = indexed.with(list.view());
            let mut b = whole.with(RunningView::from(&list[..]));
            for _ in 0..8 {
                let node = c.node(NodeId(below(&mut rng, 12) as u32)).clone();
                let demand = Resources::new(0.5 * (1 + below(&mut rng, 16)) as f64, 0, 0);
                let run = SimDuration::from_secs(1 + below(&mut rng, 30));
                let start = a.earliest_start(&node, &demand, run);
                assert_eq!(start, b.earliest_start(&node, &demand, run));
                if let Some(start) = start {
                    answers += 1;
                    a.book(node.id, start, start + run, &demand);
                    b.book(node.id, start, start + run, &demand);
                }
            }
        }
        assert!(answers > 1000, "most queries found a start ({answers})");
    }
}

//! Batch mapping heuristics over the whole queue (Braun et al., "A comparison of eleven static
//! heuristics for mapping a class of independent tasks onto heterogeneous distributed computing
//! systems", JPDC 2001), on expected completion time: a node's ready time for the task (from
//! [`Profiles`]) plus estimate / node speed.
//!
//! - **Min-Min**: of all unmapped tasks, map the one whose best completion time is smallest to its
//!   best node; repeat.
//! - **Max-Min**: map the task whose best completion time is *largest* to its best node; repeat.
//! - **Sufferage**: map the task that would suffer most if denied its best node (second-best minus
//!   best completion time; a task with a single usable node suffers without bound); repeat. This is
//!   the common one-task-per-step form, not Braun's per-machine contention pass.
//!
//! Ties go to the earlier task in the queue and the lower node id. Each step books the task on its
//! node, so later steps see it. Under central dispatch only tasks mapped to start *now* are
//! assigned; the rest of the plan stays as reservations for this decision point and is redone at the
//! next one. Under immediate dispatch every mapped task is sent to its node. At most
//! [`BATCH_WINDOW`] tasks of the queue are mapped per decision point (the heuristics are quadratic).
//!
//! With a [`Sampler`] (`sample = k`) each task is evaluated on its own fixed-size sample of nodes
//! (drawn when its row is built) instead of every node, so a decision point costs O(tasks × k): only
//! the profiles of sampled nodes are built (see [`crate::sched::profile::ProfileStore`]).

use crate::ids::NodeId;
use crate::sched::placement::Sampler;
use crate::sched::profile::{ProfileStore, Profiles};
use crate::sched::{DispatchMode, PendingTask, Scheduler, Session};

/// Most tasks mapped at one decision point.
pub const BATCH_WINDOW: usize = 256;

/// Which batch heuristic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchRule {
    /// Smallest best completion time first.
    MinMin,
    /// Largest best completion time first.
    MaxMin,
    /// Largest sufferage first.
    Sufferage,
}

/// A batch-mapping scheduler.
#[derive(Debug, Clone)]
pub struct BatchScheduler {
    rule: BatchRule,
    profiles: ProfileStore,
    sample: Option<Sampler>,
}

impl BatchScheduler {
    /// A scheduler applying `rule`.
    pub fn new(rule: BatchRule) -> BatchScheduler {
        BatchScheduler {
            rule,
            profiles: ProfileStore::new(),
            sample: None,
        }
    }

    /// Evaluates each task on the nodes `sampler` draws for it (see [`Sampler`]); `None`: every node.
    pub fn with_sample(mut self, sampler: Option<Sampler>) -> BatchScheduler {
        self.sample = sampler;
        self
    }
}

/// Completion times of one task on its candidate nodes (`u64::MAX` where it cannot run), and its
/// best two.
struct Row {
    index: usize,
    /// The candidate node ids, ascending (`None`: every node, `ct` indexed by node id).
    nodes: Option<Vec<u32>>,
    ct: Vec<u64>,
    /// (best completion time, position in `ct`).
    best: (u64, usize),
    second: u64,
}

impl Row {
    fn new(
        index: usize,
        session: &Session<'_>,
        p: &mut Profiles,
        sample: Option<&mut Sampler>,
    ) -> Row {
        let task = &session.pending()[index];
        let all = session.cluster().nodes();
        let nodes = sample.map(|s| s.draw(task, &session.view()));
        let ct = match &nodes {
            None => all.iter().map(|n| completion(p, n, task)).collect(),
            Some(ids) => ids
                .iter()
                .map(|&i| completion(p, &all[i as usize], task))
                .collect(),
        };
        let mut row = Row {
            index,
            nodes,
            ct,
            best: (u64::MAX, 0),
            second: u64::MAX,
        };
        row.rank();
        row
    }

    /// The node at position `pos` of `ct`.
    fn node(&self, pos: usize) -> NodeId {
        NodeId(self.nodes.as_ref().map_or(pos as u32, |ids| ids[pos]))
    }

    /// The position of `node` in `ct`, if it is a candidate.
    fn position(&self, node: NodeId) -> Option<usize> {
        match &self.nodes {
            None => Some(node.index()),
            Some(ids) => ids.binary_search(&node.0).ok(),
        }
    }

    fn rank(&mut self) {
        self.best = (u64::MAX, 0);
        self.second = u64::MAX;
        for (j, &c) in self.ct.iter().enumerate() {
            if c < self.best.0 {
                self.second = self.best.0;
                self.best = (c, j);
            } else if c < self.second {
                self.second = c;
            }
        }
    }

    /// The key this rule maximises (as `u64`, ties to the earlier row).
    fn key(&self, rule: BatchRule) -> u64 {
        match rule {
            BatchRule::MinMin => u64::MAX - self.best.0,
            BatchRule::MaxMin => self.best.0,
            BatchRule::Sufferage => self.second - self.best.0,
        }
    }
}

fn completion(p: &mut Profiles, node: &crate::cluster::Node, task: &PendingTask) -> u64 {
    let run = task.estimate.scaled_by_speed(node.speed);
    p.earliest_start(node, &task.demand, run)
        .map_or(u64::MAX, |s| (s + run).0)
}

impl Scheduler for BatchScheduler {
    fn reads_running_by_node(&self) -> bool {
        true
    }

    fn schedule(&mut self, session: &mut Session<'_>) {
        let now = session.now();
        let n = session.cluster().len();
        self.profiles.begin(now, session.mode(), n);
        let mut p = self.profiles.with(session.running_view());
        let mut rows: Vec<Row> = session
            .candidates()
            .take(BATCH_WINDOW)
            .map(|i| Row::new(i, session, &mut p, self.sample.as_mut()))
            .filter(|r| r.best.0 != u64::MAX)
            .collect();
        while !rows.is_empty() {
            let pick = (0..rows.len())
                .rev()
                .max_by_key(|&r| rows[r].key(self.rule))
                .expect("rows is not empty");
            let row = rows.remove(pick);
            let task = session.pending()[row.index].clone();
            let node_id = row.node(row.best.1);
            let node = session.cluster().node(node_id).clone();
            let run = task.estimate.scaled_by_speed(node.speed);
            let start = p
                .earliest_start(&node, &task.demand, run)
                .expect("the best node can run the task");
            if session.mode() == DispatchMode::Central
                && start == now
                && node.fits_now(&task.demand)
            {
                session
                    .assign(row.index, node_id)
                    .expect("the task fits now");
                p.started(node_id, start + run, &task.demand);
            } else {
                if session.mode() == DispatchMode::Immediate {
                    session
                        .assign(row.index, node_id)
                        .expect("the node can hold the task");
                    p.hold(node_id, start, start + run, &task.demand);
                } else {
                    p.book(node_id, start, start + run, &task.demand);
                }
            }
            // Only the chosen node changed: refresh that column, and re-rank rows it affected.
            let node = session.cluster().node(node_id).clone();
            for r in &mut rows {
                let Some(pos) = r.position(node_id) else {
                    continue;
                };
                let old = r.ct[pos];
                r.ct[pos] = completion(&mut p, &node, &session.pending()[r.index]);
                let new = r.ct[pos];
                if old != new && (r.best.1 == pos || old <= r.second || new < r.second) {
                    r.rank();
                }
            }
            rows.retain(|r| r.best.0 != u64::MAX);
        }
    }
}

#[cfg(test)]
mod tests;

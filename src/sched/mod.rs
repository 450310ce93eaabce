//! Scheduling: pure decision logic over a read-only cluster view and the pending queue.
//!
//! A [`Scheduler`] is called at each decision point with a [`Session`]: the current virtual time (as
//! data; schedulers never read a clock), the dispatch model, the cluster and the pending queue. It
//! places tasks by calling [`Session::assign`], which checks the placement and applies it to the
//! cluster at once, so later decisions in the same call see the updated state. Schedulers do no I/O;
//! their only randomness is a generator handed to them at construction, so a future real-Docker
//! driver can use them unchanged.
//!
//! Most schedulers are a [`ListScheduler`]: a [`QueuePolicy`] orders the queue and a [`Placement`]
//! picks a node for each task in turn. Disciplines that need more than an order implement
//! [`Scheduler`] directly and still take a [`Placement`] for the node: preemptive priority
//! ([`preempt`]), EASY backfilling ([`backfill`]) and dominant resource fairness ([`drf`]). Batch
//! heuristics that map the whole queue at once ([`batch`]: Min-Min, Max-Min, Sufferage) choose nodes
//! themselves. Completion-time reasoning (ready times from running tasks' expected ends) lives in
//! [`profile`]; every scoring function in [`scoring`]. The catalogue, with scenario keys and sources,
//! is `docs/algorithms.md`.

pub mod backfill;
pub mod batch;
pub mod build;
pub mod drf;
pub mod placement;
pub mod preempt;
pub mod profile;
pub mod queue;
pub mod running;
pub mod scoring;

#[cfg(test)]
mod drain_tests;
#[cfg(test)]
mod gate_tests;

use serde::Serialize;

use crate::cluster::GpuSet;
use crate::cluster::{Cluster, Node, Verdict};
use crate::ids::{NodeId, TaskId};
use crate::resources::Resources;
use crate::time::{SimDuration, SimTime};

pub use build::{build_scheduler, PlacementSpec, SchedulerSpec};
pub use placement::Placement;
pub use queue::QueuePolicy;
pub use running::{RunningList, RunningView};

/// How tasks reach nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DispatchMode {
    /// Tasks wait in the scheduler's queue until they fit somewhere, then start at once.
    #[default]
    Central,
    /// Each task is sent to a node on arrival and waits in that node's local FIFO queue.
    Immediate,
}

/// A task waiting for a decision, as schedulers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingTask {
    /// Driver's handle for the task (opaque to schedulers).
    pub handle: u32,
    /// Task identity.
    pub id: TaskId,
    /// When it was submitted.
    pub arrival: SimTime,
    /// Resources it needs.
    pub demand: Resources,
    /// Its requested (or, without a request, actual) run time at speed 1.0.
    pub estimate: SimDuration,
    /// Larger is more important.
    pub priority: i32,
    /// Tenant.
    pub user: u32,
    /// Absolute deadline, if any.
    pub deadline: Option<SimTime>,
    /// Attempts already made (0 for a fresh task).
    pub attempt: u32,
}

/// The pending queue's tasks counted per distinct demand (kept by the control plane's queue while
/// it holds few distinct demands; see `control::pending`). A list scheduler uses it to see that
/// nothing queued fits anywhere without looking at every task.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DemandClasses {
    /// Number of queued tasks per demand: each demand once, every count positive, in no
    /// particular order. A short vector, not a map: there are at most
    /// `control::pending::MAX_DEMAND_CLASSES` of them, and a linear search over a few costs less
    /// than hashing a demand.
    pub counts: Vec<(Resources, u32)>,
}

/// A task running on a node, as schedulers see it (for backfilling, fair share, completion-time
/// estimates and preemption).
#[derive(Debug, Clone, PartialEq)]
pub struct RunningTask {
    /// Driver's handle for the task.
    pub handle: u32,
    /// Task identity.
    pub id: TaskId,
    /// Where it runs.
    pub node: NodeId,
    /// What it holds.
    pub demand: Resources,
    /// The GPUs its GPU share is on.
    pub gpus: GpuSet,
    /// When it started.
    pub start: SimTime,
    /// When it is expected to end: start + estimate / node speed (the real end may differ).
    pub expected_end: SimTime,
    /// Its priority.
    pub priority: i32,
    /// Its tenant.
    pub user: u32,
}

/// One decision point: what a scheduler may look at, and the only way it can act.
pub struct Session<'a> {
    now: SimTime,
    mode: DispatchMode,
    cluster: &'a mut Cluster,
    pending: &'a [PendingTask],
    classes: Option<&'a DemandClasses>,
    running: RunningView<'a>,
    first_new: usize,
    capacity_freed: bool,
    assigned: Vec<(usize, NodeId)>,
    gpus: Vec<GpuSet>,
    preempted: Vec<usize>,
}

/// What a scheduler decided at one decision point.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Decisions {
    /// Placements in the order they were made: (index into the pending queue, node).
    pub assigned: Vec<(usize, NodeId)>,
    /// The GPUs each placement of `assigned` holds (same order; empty sets under immediate
    /// dispatch, where the GPUs are chosen when the task leaves the node's queue).
    pub gpus: Vec<GpuSet>,
    /// Running tasks to stop and requeue (indices into the running list), central mode only.
    pub preempted: Vec<usize>,
}

impl<'a> Session<'a> {
    /// Opens a decision point. `first_new` is the index of the first task queued since the previous
    /// decision; `capacity_freed` says whether any capacity was released or any node came up since then.
    pub fn new(
        now: SimTime,
        mode: DispatchMode,
        cluster: &'a mut Cluster,
        pending: &'a [PendingTask],
        running: impl Into<RunningView<'a>>,
        first_new: usize,
        capacity_freed: bool,
    ) -> Session<'a> {
        Session {
            now,
            mode,
            cluster,
            pending,
            classes: None,
            running: running.into(),
            first_new,
            capacity_freed,
            assigned: Vec::new(),
            gpus: Vec::new(),
            preempted: Vec::new(),
        }
    }

    /// Tells the session how many queued tasks have each distinct demand (`classes` must count
    /// exactly the tasks of [`Session::pending`]).
    pub fn with_demand_classes(mut self, classes: Option<&'a DemandClasses>) -> Self {
        self.classes = classes;
        self
    }

    /// The pending queue's tasks per distinct demand, when the driver counts them.
    pub fn demand_classes(&self) -> Option<&DemandClasses> {
        self.classes
    }

    /// Tasks running now (central mode; empty under immediate dispatch), in the driver's order (not
    /// start order: a stop moves the last task into its place).
    pub fn running(&self) -> &'a [RunningTask] {
        self.running.tasks()
    }

    /// The running tasks with the driver's per-node index, when it keeps one.
    pub fn running_view(&self) -> RunningView<'a> {
        self.running
    }

    /// Stops running task `index` (into [`Session::running`]) to make room: its resources are freed at
    /// once and the driver puts it back in the queue. Central mode only; calling it twice for the same
    /// task, or under immediate dispatch, is refused.
    pub fn preempt(&mut self, index: usize) -> Result<(), Verdict> {
        let task = &self.running.tasks()[index];
        if self.mode != DispatchMode::Central || self.preempted.contains(&index) {
            return Err(Verdict::CannotPreempt(task.node));
        }
        self.cluster.release(task.node, &task.demand, task.gpus);
        self.capacity_freed = true;
        self.preempted.push(index);
        Ok(())
    }

    /// Current virtual time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The dispatch model.
    pub fn mode(&self) -> DispatchMode {
        self.mode
    }

    /// The cluster, including placements made earlier in this session.
    pub fn cluster(&self) -> &Cluster {
        self.cluster
    }

    /// The pending queue, in arrival order (resubmitted tasks may be placed at its head).
    pub fn pending(&self) -> &[PendingTask] {
        self.pending
    }

    /// Indices of the tasks worth retrying: all of them when capacity was freed, otherwise only those
    /// queued since the last decision (the others did not fit then and free capacity has only shrunk).
    pub fn candidates(&self) -> std::ops::Range<usize> {
        if self.capacity_freed {
            0..self.pending.len()
        } else {
            self.first_new.min(self.pending.len())..self.pending.len()
        }
    }

    /// A read-only view for placement algorithms.
    pub fn view(&self) -> View<'_> {
        View {
            cluster: self.cluster,
            mode: self.mode,
            now: self.now,
            running: self.running,
        }
    }

    /// Places pending task `index` on `node`. In central mode the demand is allocated now; in
    /// immediate mode the task joins the node's local queue. Refused placements change nothing.
    pub fn assign(&mut self, index: usize, node: NodeId) -> Result<(), Verdict> {
        let task = &self.pending[index];
        let gpus = match self.mode {
            DispatchMode::Central => self.cluster.allocate(node, &task.demand)?,
            DispatchMode::Immediate => {
                let n = self.cluster.node(node);
                if !n.schedulable {
                    return Err(Verdict::NodeUnavailable(node));
                }
                if !n.fits_ever(&task.demand) {
                    return Err(Verdict::NeverFits(node));
                }
                let queued = n.queued + 1;
                self.cluster.set_queued(node, queued);
                GpuSet::NONE
            }
        };
        self.assigned.push((index, node));
        self.gpus.push(gpus);
        Ok(())
    }

    /// Records the decisions into `buffers` (cleared first) instead of fresh vectors, so a driver
    /// that decides often allocates nothing per decision.
    pub fn reusing(mut self, mut buffers: Decisions) -> Self {
        buffers.assigned.clear();
        buffers.gpus.clear();
        buffers.preempted.clear();
        self.assigned = buffers.assigned;
        self.gpus = buffers.gpus;
        self.preempted = buffers.preempted;
        self
    }

    /// What was decided.
    pub fn into_decisions(self) -> Decisions {
        Decisions {
            assigned: self.assigned,
            gpus: self.gpus,
            preempted: self.preempted,
        }
    }
}

/// What a placement algorithm may read.
#[derive(Clone, Copy)]
pub struct View<'a> {
    /// The cluster.
    pub cluster: &'a Cluster,
    /// The dispatch model.
    pub mode: DispatchMode,
    /// Current time.
    pub now: SimTime,
    /// The running tasks (empty under immediate dispatch).
    pub running: RunningView<'a>,
}

impl View<'_> {
    /// Whether `node` can take `demand` under the dispatch model: room now (central) or room in its
    /// total capacity (immediate, where the task may wait in the node's queue).
    pub fn feasible(&self, node: &Node, demand: &Resources) -> bool {
        match self.mode {
            DispatchMode::Central => node.fits_now(demand),
            DispatchMode::Immediate => node.schedulable && node.fits_ever(demand),
        }
    }

    /// The lowest-numbered feasible node at or after `start`.
    pub fn first_feasible_from(&self, demand: &Resources, start: usize) -> Option<NodeId> {
        match self.mode {
            DispatchMode::Central => self.cluster.first_fit_from(demand, start),
            DispatchMode::Immediate => self.cluster.nodes()[start.min(self.cluster.len())..]
                .iter()
                .find(|n| self.feasible(n, demand))
                .map(|n| n.id),
        }
    }
}

/// A scheduling algorithm: decides over the whole pending queue at each decision point.
pub trait Scheduler: Send {
    /// Makes the placements it wants through [`Session::assign`]. Must be deterministic given its
    /// construction-time random generator and the session's contents.
    fn schedule(&mut self, session: &mut Session<'_>);

    /// Whether it reads the running tasks by node ([`RunningView::releases_on`]): the driver keeps
    /// that index, at a few cache misses per start and stop, only for schedulers that do.
    fn reads_running_by_node(&self) -> bool {
        false
    }
}

/// The common case: order the queue, then place task by task without head-of-line blocking (a task
/// that fits nowhere stays queued and later tasks are still tried, as Kubernetes' scheduler does).
///
/// In central mode, when the session counts the queue's demands ([`Session::demand_classes`]), a
/// fit gate skips whole demands that fit nowhere and stops the walk once no queued demand fits,
/// so a decision over a long queue that is mostly stuck costs O(demands), not O(queue). The
/// placements are exactly those of the plain walk: a session only allocates, so a demand that fits
/// nowhere stays so until the session ends.
pub struct ListScheduler {
    queue: QueuePolicy,
    placement: Box<dyn Placement>,
    gate: FitGate,
}

impl ListScheduler {
    /// A scheduler from a queue policy and a placement.
    pub fn new(queue: QueuePolicy, placement: Box<dyn Placement>) -> ListScheduler {
        ListScheduler {
            queue,
            placement,
            gate: FitGate::default(),
        }
    }

    /// Offers pending task `index` to the placement; false when the gate says nothing further in
    /// the walk can fit.
    fn offer(&mut self, session: &mut Session<'_>, index: usize) -> bool {
        let task = &session.pending()[index];
        if session.mode() == DispatchMode::Central {
            match self.gate.admit(&task.demand, session.cluster()) {
                Admit::Try => {}
                Admit::Skip => return true,
                Admit::Stop => return false,
            }
        }
        if let Some(node) = self.placement.choose(task, &session.view()) {
            session
                .assign(index, node)
                .expect("placement chose a node that cannot take the task");
        }
        true
    }
}

impl Scheduler for ListScheduler {
    fn reads_running_by_node(&self) -> bool {
        self.placement.reads_running_by_node()
    }

    fn schedule(&mut self, session: &mut Session<'_>) {
        self.placement.begin(session);
        let candidates = session.candidates();
        if session.mode() == DispatchMode::Central {
            let whole_queue = candidates.start == 0;
            if !self
                .gate
                .open(session.demand_classes(), session.cluster(), whole_queue)
            {
                return;
            }
        }
        if self.queue == QueuePolicy::Fifo {
            for index in candidates {
                if !self.offer(session, index) {
                    break;
                }
            }
        } else {
            for index in self.queue.order(session.pending(), candidates) {
                if !self.offer(session, index) {
                    break;
                }
            }
        }
    }
}

/// What the gate says of one task.
enum Admit {
    /// It may fit: offer it to the placement.
    Try,
    /// It fits nowhere: skip it.
    Skip,
    /// Nothing left in the walk fits anywhere.
    Stop,
}

/// The per-decision state of a [`ListScheduler`]'s walk over the queue: which queued demands may
/// still fit somewhere, and (when the walk covers the whole queue) how many of their tasks are
/// still ahead. Without demand counts it admits every task that fits somewhere, as the plain walk.
#[derive(Default)]
struct FitGate {
    /// Per distinct demand: the demand, its tasks not yet walked past, whether it may still fit.
    classes: Vec<(Resources, u32, bool)>,
    /// Whether the classes are in use this decision.
    active: bool,
    /// Classes that may still fit.
    fitting: usize,
    /// Tasks ahead in the walk whose demand may still fit (meaningful when `counted`).
    ahead: u64,
    /// The walk covers the whole queue, so `ahead` is exact.
    counted: bool,
}

impl FitGate {
    /// Prepares a decision; false when no queued demand fits anywhere (nothing to do).
    fn open(&mut self, classes: Option<&DemandClasses>, cluster: &Cluster, whole: bool) -> bool {
        self.classes.clear();
        self.active = classes.is_some();
        let Some(classes) = classes else {
            return true;
        };
        self.counted = whole;
        self.fitting = 0;
        self.ahead = 0;
        for &(demand, n) in &classes.counts {
            let fits = cluster.fits_somewhere_now(&demand);
            if fits {
                self.fitting += 1;
                self.ahead += n as u64;
            }
            self.classes.push((demand, n, fits));
        }
        self.fitting > 0
    }

    /// Whether to offer a task with `demand` (with the cluster as placed so far).
    fn admit(&mut self, demand: &Resources, cluster: &Cluster) -> Admit {
        if !self.active {
            return if cluster.fits_somewhere_now(demand) {
                Admit::Try
            } else {
                Admit::Skip
            };
        }
        if self.fitting == 0 || (self.counted && self.ahead == 0) {
            return Admit::Stop;
        }
        let class = self
            .classes
            .iter_mut()
            .find(|(d, _, _)| d == demand)
            .expect("every queued demand is counted");
        if !class.2 {
            return Admit::Skip;
        }
        class.1 -= 1;
        self.ahead -= 1;
        if cluster.fits_somewhere_now(demand) {
            return Admit::Try;
        }
        class.2 = false;
        self.fitting -= 1;
        self.ahead -= class.1 as u64;
        Admit::Skip
    }
}

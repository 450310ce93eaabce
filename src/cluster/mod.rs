//! The cluster: nodes with capacity and allocation in every dimension, their up/down state, and the
//! indexes that make placement fast. The simulation engine keeps its state in a [`Cluster`];
//! schedulers only ever read it, and change it through [`crate::sched::Session::assign`].

mod free_tree;
mod index;

use serde::Serialize;

use crate::ids::NodeId;
use crate::metrics::energy::EnergyMeter;
use crate::metrics::power::PowerModel;
use crate::resources::Resources;
use crate::workload::dist::DistSpec;
pub use free_tree::FreeTree;
pub use index::{free_fraction, IndexNeeds, OrdF64, PlacementIndex};

/// One node group from the scenario.
#[derive(Debug, Clone, Serialize)]
pub struct NodeGroup {
    /// Label of the group ("group-0" when unnamed).
    pub name: String,
    /// Number of identical nodes.
    pub count: u32,
    /// Capacity of each node.
    pub capacity: Resources,
    /// Relative processing speed (1.0 = nominal).
    pub speed: f64,
    /// Failure-domain label (defaults to the group name).
    pub domain: String,
    /// Container start latency of an attempt started here: the time between the scheduler's
    /// decision to start it and the attempt really making progress, during which it already holds
    /// its resources (see [`crate::engine::Simulation`]). `None`: attempts make progress at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_delay: Option<DistSpec>,
    /// Power drawn by each node of the group as a function of its CPU utilisation (`None`: not
    /// modelled; energy is accounted only when some group has a model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power: Option<PowerModel>,
}

/// An energy meter for `nodes` when some group has a power model, else `None` (no cost at all).
fn energy_meter(groups: &[NodeGroup], nodes: &[Node]) -> Option<Box<EnergyMeter>> {
    if groups.iter().all(|g| g.power.is_none()) {
        return None;
    }
    let models: Vec<PowerModel> = groups.iter().filter_map(|g| g.power.clone()).collect();
    let mut index = Vec::with_capacity(groups.len());
    let mut next = 0;
    for g in groups {
        index.push(g.power.as_ref().map(|_| {
            next += 1;
            next - 1
        }));
    }
    let per_node: Vec<(Option<usize>, u64)> = nodes
        .iter()
        .map(|n| (index[n.group as usize], n.capacity.cpu_milli))
        .collect();
    Some(Box::new(EnergyMeter::new(models, &per_node)))
}

/// Component-wise maximum capacity over the groups that have nodes.
pub fn largest_capacity(groups: &[NodeGroup]) -> Resources {
    groups
        .iter()
        .filter(|g| g.count > 0)
        .fold(Resources::ZERO, |acc, g| acc.max(&g.capacity))
}

/// A node's state as seen by schedulers.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Index in the cluster.
    pub id: NodeId,
    /// Index of the node group it came from.
    pub group: u32,
    /// Total capacity.
    pub capacity: Resources,
    /// Sum of demands of the tasks running on it.
    pub allocated: Resources,
    /// Relative speed: a task of duration d runs d / speed here.
    pub speed: f64,
    /// Whether the scheduler may place work here (up, as far as the scheduler knows).
    pub schedulable: bool,
    /// Tasks running on the node.
    pub running: u32,
    /// Tasks waiting in the node's local queue (immediate dispatch only).
    pub queued: u32,
    /// Changes of its allocation or availability so far (an Omega scheduler's coarse-grained
    /// conflict check compares it with its snapshot's).
    pub changes: u64,
}

impl Node {
    /// A node of `group` (numbered `group_index`) with nothing allocated, schedulable.
    fn idle(id: NodeId, group_index: u32, group: &NodeGroup) -> Node {
        Node {
            id,
            group: group_index,
            capacity: group.capacity,
            allocated: Resources::ZERO,
            speed: group.speed,
            schedulable: true,
            running: 0,
            queued: 0,
            changes: 0,
        }
    }

    /// Capacity not allocated.
    pub fn free(&self) -> Resources {
        self.capacity.saturating_sub(&self.allocated)
    }

    /// Whether `demand` fits in the free capacity now.
    pub fn fits_now(&self, demand: &Resources) -> bool {
        self.schedulable && demand.fits_in(&self.free())
    }

    /// Whether `demand` could ever fit on this node (fits in its total capacity).
    pub fn fits_ever(&self, demand: &Resources) -> bool {
        demand.fits_in(&self.capacity)
    }

    /// Tasks on the node, running or queued: the load of a load-balancer model.
    pub fn load(&self) -> u32 {
        self.running + self.queued
    }
}

/// All nodes plus a free-capacity index.
#[derive(Debug, Clone)]
pub struct Cluster {
    nodes: Vec<Node>,
    groups: Vec<NodeGroup>,
    free: FreeTree,
    index: PlacementIndex,
    total_capacity: Resources,
    largest: Resources,
    /// Per-node energy, when some group has a power model.
    meter: Option<Box<EnergyMeter>>,
}

impl Cluster {
    /// Builds the cluster from node groups, with every placement index; node ids follow the group
    /// order.
    pub fn new(groups: &[NodeGroup]) -> Cluster {
        Cluster::with_indexes(groups, IndexNeeds::ALL)
    }

    /// Builds the cluster keeping only the placement indexes in `needs` (see
    /// [`crate::sched::SchedulerSpec::index_needs`]); reading another one panics.
    pub fn with_indexes(groups: &[NodeGroup], needs: IndexNeeds) -> Cluster {
        let mut nodes = Vec::new();
        for (g, group) in groups.iter().enumerate() {
            for _ in 0..group.count {
                nodes.push(Node::idle(NodeId(nodes.len() as u32), g as u32, group));
            }
        }
        let total_capacity = nodes
            .iter()
            .fold(Resources::ZERO, |acc, n| acc + n.capacity);
        let largest = nodes
            .iter()
            .fold(Resources::ZERO, |acc, n| acc.max(&n.capacity));
        let free = FreeTree::new(nodes.iter().map(Node::free));
        let index = PlacementIndex::new(&nodes, groups.len(), needs);
        let meter = energy_meter(groups, &nodes);
        Cluster {
            meter,
            nodes,
            groups: groups.to_vec(),
            free,
            index,
            total_capacity,
            largest,
        }
    }

    /// Adds one node, as a node group of its own (a worker joining a live cluster; `group.count`
    /// is taken as 1), and returns its id. The free-capacity tree and the placement indexes are
    /// rebuilt: O(nodes).
    pub fn add_node(&mut self, group: NodeGroup) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes
            .push(Node::idle(id, self.groups.len() as u32, &group));
        if let Some(m) = self.meter.as_mut() {
            m.add_node(group.power.clone(), group.capacity.cpu_milli);
        }
        self.total_capacity += group.capacity;
        self.largest = self.largest.max(&group.capacity);
        self.groups.push(NodeGroup { count: 1, ..group });
        self.free = FreeTree::new(self.nodes.iter().map(|n| {
            if n.schedulable {
                n.free()
            } else {
                Resources::ZERO
            }
        }));
        self.index = PlacementIndex::new(&self.nodes, self.groups.len(), self.index.needs());
        id
    }

    /// All nodes, indexed by [`NodeId`].
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node groups the cluster was built from.
    pub fn groups(&self) -> &[NodeGroup] {
        &self.groups
    }

    /// One node.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True for a cluster without nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Sum of all nodes' capacity (up or down).
    pub fn total_capacity(&self) -> Resources {
        self.total_capacity
    }

    /// Whether `demand` fits the capacity of at least one node (up or down): if not, it never can run.
    pub fn fits_any_capacity(&self, demand: &Resources) -> bool {
        demand.fits_in(&self.largest) && self.nodes.iter().any(|n| n.fits_ever(demand))
    }

    /// The lowest-numbered schedulable node with room for `demand` now, in O(log n) typical time.
    pub fn first_fit(&self, demand: &Resources) -> Option<NodeId> {
        self.free.first_fit(demand, 0).map(|i| NodeId(i as u32))
    }

    /// The lowest-numbered schedulable node at or after `start` with room for `demand` now.
    pub fn first_fit_from(&self, demand: &Resources, start: usize) -> Option<NodeId> {
        self.free.first_fit(demand, start).map(|i| NodeId(i as u32))
    }

    /// Whether some schedulable node has room for `demand` now.
    pub fn fits_somewhere_now(&self, demand: &Resources) -> bool {
        demand.fits_in(&self.free.max_free()) && self.first_fit(demand).is_some()
    }

    /// Reserves `demand` on a node. Fails (changing nothing) when it does not fit.
    pub fn allocate(&mut self, id: NodeId, demand: &Resources) -> Result<(), Verdict> {
        let node = &mut self.nodes[id.index()];
        if !node.schedulable {
            return Err(Verdict::NodeUnavailable(id));
        }
        if !demand.fits_in(&node.free()) {
            return Err(Verdict::InsufficientCapacity(id));
        }
        node.allocated += *demand;
        node.running += 1;
        node.changes += 1;
        if let Some(m) = self.meter.as_mut() {
            m.set_allocated(id.index(), node.allocated.cpu_milli);
        }
        self.refresh(id);
        Ok(())
    }

    /// Returns `demand` to a node when a task on it ends.
    pub fn release(&mut self, id: NodeId, demand: &Resources) {
        let node = &mut self.nodes[id.index()];
        node.allocated -= *demand;
        node.running = node
            .running
            .checked_sub(1)
            .expect("released a task from a node running none");
        node.changes += 1;
        if let Some(m) = self.meter.as_mut() {
            m.set_allocated(id.index(), node.allocated.cpu_milli);
        }
        self.refresh(id);
    }

    /// The energy meter, when some node group has a power model.
    pub fn meter(&self) -> Option<&EnergyMeter> {
        self.meter.as_deref()
    }

    /// The energy meter, mutably (to advance its clock, close its window, or count from a
    /// warm-up).
    pub fn meter_mut(&mut self) -> Option<&mut EnergyMeter> {
        self.meter.as_deref_mut()
    }

    /// Sets the length of a node's local queue (immediate dispatch).
    pub fn set_queued(&mut self, id: NodeId, queued: u32) {
        self.nodes[id.index()].queued = queued;
        self.index.update(&self.nodes[id.index()]);
    }

    /// Marks a node as (un)available to the scheduler.
    pub fn set_schedulable(&mut self, id: NodeId, schedulable: bool) {
        let node = &mut self.nodes[id.index()];
        node.schedulable = schedulable;
        node.changes += 1;
        self.refresh(id);
    }

    /// Limits a node's free resources to `free` (at most what is free now), as if the rest were
    /// allocated: a framework's view of the resources it was offered. Only for a private copy of
    /// the cluster.
    pub fn limit_free(&mut self, id: NodeId, free: Resources) {
        let node = &mut self.nodes[id.index()];
        let free = free.min(&node.free());
        node.allocated = node.capacity - free;
        self.refresh(id);
    }

    fn refresh(&mut self, id: NodeId) {
        let node = &self.nodes[id.index()];
        let free = if node.schedulable {
            node.free()
        } else {
            Resources::ZERO
        };
        self.free.update(id.index(), free);
        self.index.update(node);
    }

    /// The ordered placement indexes (free CPU, free fraction per group, load).
    pub fn index(&self) -> &PlacementIndex {
        &self.index
    }

    /// Panics if any node's allocation exceeds its capacity (an engine bug), naming the node.
    pub fn assert_within_capacity(&self) {
        for n in &self.nodes {
            assert!(
                n.allocated.fits_in(&n.capacity),
                "node {} allocated {:?} beyond its capacity {:?}",
                n.id.0,
                n.allocated,
                n.capacity
            );
        }
    }
}

/// Why a placement was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Verdict {
    /// The node is down or not yet known to be up.
    #[error("node {} is not schedulable", .0.0)]
    NodeUnavailable(NodeId),
    /// The demand exceeds the node's free capacity.
    #[error("the task does not fit in node {}'s free capacity", .0.0)]
    InsufficientCapacity(NodeId),
    /// A preemption was refused: the task was already preempted, or dispatch is immediate.
    #[error("cannot preempt the task on node {}: already preempted, or immediate dispatch", .0.0)]
    CannotPreempt(NodeId),
    /// The demand exceeds the node's total capacity.
    #[error("the task is larger than node {}'s capacity", .0.0)]
    NeverFits(NodeId),
}

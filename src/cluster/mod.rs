//! The cluster: nodes with capacity and allocation in every dimension, their up/down state, and the
//! indexes that make placement fast. The simulation engine keeps its state in a [`Cluster`];
//! schedulers only ever read it, and change it through [`crate::sched::Session::assign`].

mod fraction_heap;
mod free_tree;
mod gpu;
mod index;
mod mix;

#[cfg(test)]
mod gpu_tests;

use serde::Serialize;

use crate::ids::NodeId;
use crate::metrics::energy::EnergyMeter;
use crate::metrics::power::NodePower;
use crate::resources::{Resources, GPU_MILLI};
use crate::workload::dist::DistSpec;
pub use fraction_heap::{FractionHeaps, SearchStack};
pub use free_tree::FreeTree;
pub use gpu::{GpuSet, GpuSlots, MAX_GPUS};
pub use index::{free_fraction, IndexNeeds, OrdF64, PlacementIndex};
pub use mix::TaskMix;

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
    /// Power drawn by each node of the group as a function of its CPU utilisation, optionally
    /// plus a GPU term (`None`: not modelled; energy is accounted only when some group has a model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power: Option<NodePower>,
    /// Name of the GPU model of the group's nodes (`None` without GPUs; the number of GPUs is
    /// `capacity.gpu_milli / 1000` and the model's bit is in `capacity.gpu_models`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu_model: Option<String>,
}

/// An energy meter for `nodes` when some group has a power model, else `None` (no cost at all).
fn energy_meter(groups: &[NodeGroup], nodes: &[Node]) -> Option<Box<EnergyMeter>> {
    if groups.iter().all(|g| g.power.is_none()) {
        return None;
    }
    let models: Vec<NodePower> = groups.iter().filter_map(|g| g.power.clone()).collect();
    let mut index = Vec::with_capacity(groups.len());
    let mut next = 0;
    for g in groups {
        index.push(g.power.as_ref().map(|_| {
            next += 1;
            next - 1
        }));
    }
    let per_node: Vec<(Option<usize>, u64, u64)> = nodes
        .iter()
        .map(|n| {
            (
                index[n.group as usize],
                n.capacity.cpu_milli,
                n.capacity.gpu_milli,
            )
        })
        .collect();
    Some(Box::new(EnergyMeter::new(models, &per_node)))
}

/// Numbers the GPU models of `groups` in order of first appearance and sets each group's model bit
/// in its capacity; returns the model table (index = bit). More than 64 models is an error.
pub fn number_gpu_models(groups: &mut [NodeGroup]) -> Result<Vec<String>, String> {
    let mut table: Vec<String> = Vec::new();
    for g in groups.iter_mut() {
        let Some(model) = &g.gpu_model else {
            continue;
        };
        let index = match table.iter().position(|m| m == model) {
            Some(i) => i,
            None => {
                if table.len() == 64 {
                    return Err(format!(
                        "more than 64 GPU models (\"{model}\" is the 65th); simctl tells at most 64 apart"
                    ));
                }
                table.push(model.clone());
                table.len() - 1
            }
        };
        g.capacity.gpu_models = crate::resources::GpuModels::only(index);
    }
    Ok(table)
}

/// The bit set of the models named in `names` in the model table of `groups` (see
/// [`number_gpu_models`]); a name no group has is an error naming it.
pub fn gpu_model_mask(
    names: &[String],
    groups: &[NodeGroup],
) -> Result<crate::resources::GpuModels, String> {
    let mut mask = 0u64;
    for name in names {
        let group = groups
            .iter()
            .find(|g| g.gpu_model.as_deref() == Some(name.as_str()))
            .ok_or_else(|| {
                let mut known: Vec<&str> = Vec::new();
                for m in groups.iter().filter_map(|g| g.gpu_model.as_deref()) {
                    if !known.contains(&m) {
                        known.push(m);
                    }
                }
                format!(
                    "no node group has GPU model \"{name}\" (the cluster has: {})",
                    if known.is_empty() {
                        "no GPUs".to_string()
                    } else {
                        known.join(", ")
                    }
                )
            })?;
        mask |= group.capacity.gpu_models.0;
    }
    Ok(crate::resources::GpuModels(mask))
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
    /// Free share of each of its GPUs.
    pub gpus: GpuSlots,
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
            gpus: GpuSlots::new((group.capacity.gpu_milli / GPU_MILLI) as usize),
        }
    }

    /// Capacity not allocated. Its GPU figure is [`GpuSlots::placeable`] (the largest demand that
    /// fits on the node's GPUs now), not capacity minus allocation, so that `fits_in` stays exact.
    pub fn free(&self) -> Resources {
        Resources {
            gpu_milli: self.gpus.placeable(),
            gpu_models: self.capacity.gpu_models,
            ..self.capacity.saturating_sub(&self.allocated)
        }
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
    /// The demands that have arrived, when the cluster has GPUs (the fragmentation measure's
    /// workload; `None` otherwise, at no cost).
    mix: Option<Box<TaskMix>>,
    /// How a share's GPU is chosen within a node.
    gpu_pick: GpuPick,
}

/// How [`Cluster::allocate`] chooses, within the node, the GPU a share of a GPU goes on (whole GPUs
/// always take the lowest-numbered idle ones: any idle GPU is as good as another).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GpuPick {
    /// The GPU with the least free share that holds it ([`GpuSlots::choose`]).
    #[default]
    BestFit,
    /// The GPU after which the node's expected fragmentation ([`TaskMix::fragmentation`]) is
    /// least (FGD's choice; ties: lowest index).
    LeastFragmentation,
}

impl Cluster {
    /// Starts loading what a change to `node`'s allocation reads first (its record, its leaf of
    /// the free-capacity tree, its placement-index keys) into the cache; see [`crate::prefetch`].
    pub fn prefetch_node(&self, node: NodeId) {
        if let Some(n) = self.nodes.get(node.index()) {
            crate::prefetch::prefetch(n);
            crate::prefetch::prefetch(self.free.leaf(node.index()));
            self.index.prefetch_keys(node.0);
        }
    }

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
        let mix = (total_capacity.gpu_milli > 0).then(Box::<TaskMix>::default);
        Cluster {
            meter,
            mix,
            gpu_pick: GpuPick::BestFit,
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
            m.add_node(
                group.power.clone(),
                group.capacity.cpu_milli,
                group.capacity.gpu_milli,
            );
        }
        self.total_capacity += group.capacity;
        if self.mix.is_none() && group.capacity.gpu_milli > 0 {
            self.mix = Some(Box::default());
        }
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

    /// Reserves `demand` on a node, its GPU share on the GPUs [`Cluster::gpu_choice`] picks, and
    /// returns those GPUs (to give to [`Cluster::release`]). Fails (changing nothing) when it does
    /// not fit.
    pub fn allocate(&mut self, id: NodeId, demand: &Resources) -> Result<GpuSet, Verdict> {
        let gpus = self.gpu_choice(id, demand).unwrap_or(GpuSet::NONE);
        self.allocate_on(id, demand, gpus)?;
        Ok(gpus)
    }

    /// Sets how a share's GPU is chosen within a node (see [`GpuPick`]).
    pub fn set_gpu_pick(&mut self, pick: GpuPick) {
        self.gpu_pick = pick;
    }

    /// The GPUs of node `id` that `demand` would be placed on, or `None` when its GPU demand does
    /// not fit there (the empty set for a demand without GPUs). CPU and memory are not checked.
    pub fn gpu_choice(&self, id: NodeId, demand: &Resources) -> Option<GpuSet> {
        match self.gpu_pick {
            GpuPick::LeastFragmentation if self.is_share(demand) => {
                self.least_fragmenting_gpu(id, demand).map(|(set, _)| set)
            }
            _ => self.nodes[id.index()].gpus.choose(demand.gpu_milli),
        }
    }

    /// [`Cluster::gpu_choice`] together with the node's fragmentation once `demand` is placed
    /// there ([`Cluster::fragmentation_after`]), computed once (FGD needs both).
    pub fn gpu_choice_and_fragmentation(
        &self,
        id: NodeId,
        demand: &Resources,
    ) -> Option<(GpuSet, f64)> {
        match self.gpu_pick {
            GpuPick::LeastFragmentation if self.is_share(demand) => {
                self.least_fragmenting_gpu(id, demand)
            }
            _ => {
                let set = self.nodes[id.index()].gpus.choose(demand.gpu_milli)?;
                Some((set, self.fragmentation_after(id, demand, set)))
            }
        }
    }

    /// Whether `demand` is a share of one GPU and the cluster knows a mix to weigh GPUs by.
    fn is_share(&self, demand: &Resources) -> bool {
        self.mix.is_some() && demand.gpu_milli > 0 && demand.gpu_milli < GPU_MILLI
    }

    /// The GPU of node `id` after which the node fragments least with the share `demand` on it
    /// (ties: lowest index), and that fragmentation.
    fn least_fragmenting_gpu(&self, id: NodeId, demand: &Resources) -> Option<(GpuSet, f64)> {
        let node = &self.nodes[id.index()];
        let mut best: Option<(GpuSet, f64)> = None;
        for g in (0..node.gpus.count()).filter(|&g| node.gpus.share_fits_on(g, demand.gpu_milli)) {
            let set = GpuSet(1 << g);
            let f = self.fragmentation_after(id, demand, set);
            if best.is_none_or(|(_, b)| f < b) {
                best = Some((set, f));
            }
        }
        best
    }

    /// Node `id`'s expected GPU fragmentation now ([`TaskMix::fragmentation`]; 0 without GPUs).
    pub fn node_fragmentation(&self, id: NodeId) -> f64 {
        let node = &self.nodes[id.index()];
        match self.mix.as_deref() {
            Some(mix) if node.gpus.count() > 0 => mix.fragmentation(&node.free(), &node.gpus),
            _ => 0.0,
        }
    }

    /// Node `id`'s expected GPU fragmentation once `demand` is placed on it on GPUs `gpus` (0
    /// without GPUs).
    pub fn fragmentation_after(&self, id: NodeId, demand: &Resources, gpus: GpuSet) -> f64 {
        let node = &self.nodes[id.index()];
        match self.mix.as_deref() {
            Some(mix) if node.gpus.count() > 0 => {
                let after = node.gpus.after(gpus, demand.gpu_milli);
                mix.fragmentation(&free_after(node, demand, &after), &after)
            }
            _ => 0.0,
        }
    }

    /// Reserves `demand` on a node with its GPU share on the GPUs `gpus` (a placement that chooses
    /// GPUs itself). Fails (changing nothing) when it does not fit there.
    pub fn allocate_on(
        &mut self,
        id: NodeId,
        demand: &Resources,
        gpus: GpuSet,
    ) -> Result<(), Verdict> {
        let node = &mut self.nodes[id.index()];
        if !node.schedulable {
            return Err(Verdict::NodeUnavailable(id));
        }
        if !demand.fits_in(&node.free()) || !gpus_hold(&node.gpus, gpus, demand.gpu_milli) {
            return Err(Verdict::InsufficientCapacity(id));
        }
        node.gpus.take(gpus, demand.gpu_milli);
        node.allocated += *demand;
        node.running += 1;
        node.changes += 1;
        if let Some(m) = self.meter.as_mut() {
            m.set_allocated(
                id.index(),
                node.allocated.cpu_milli,
                node.allocated.gpu_milli,
            );
        }
        self.refresh(id);
        Ok(())
    }

    /// Returns `demand`, held on GPUs `gpus`, to a node when a task on it ends.
    pub fn release(&mut self, id: NodeId, demand: &Resources, gpus: GpuSet) {
        let node = &mut self.nodes[id.index()];
        node.gpus.give(gpus, demand.gpu_milli);
        node.allocated -= *demand;
        node.running = node
            .running
            .checked_sub(1)
            .expect("released a task from a node running none");
        node.changes += 1;
        if let Some(m) = self.meter.as_mut() {
            m.set_allocated(
                id.index(),
                node.allocated.cpu_milli,
                node.allocated.gpu_milli,
            );
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

    /// Limits a node's free CPU, memory and disk to `free` (at most what is free now), as if the
    /// rest were allocated: a framework's view of the resources it was offered. GPUs are not
    /// limited (offers are refused for GPU workloads at validation). Only for a private copy of the
    /// cluster.
    pub fn limit_free(&mut self, id: NodeId, free: Resources) {
        let node = &mut self.nodes[id.index()];
        let free = free.min(&node.free());
        node.allocated = Resources {
            gpu_milli: node.allocated.gpu_milli,
            gpu_models: node.allocated.gpu_models,
            ..node.capacity.saturating_sub(&free)
        };
        self.refresh(id);
    }

    /// Counts an arriving demand into the workload's mix (when the cluster has GPUs).
    pub fn note_arrival(&mut self, demand: &Resources) {
        if let Some(mix) = self.mix.as_mut() {
            mix.add(demand);
        }
    }

    /// The demands that have arrived so far, when the cluster has GPUs.
    pub fn mix(&self) -> Option<&TaskMix> {
        self.mix.as_deref()
    }

    /// GPU share not allocated that the typical arriving task could not use, summed over the
    /// schedulable nodes, in thousandths of a GPU ([`TaskMix::fragmentation`]; 0 without GPUs).
    pub fn gpu_fragmentation(&self) -> f64 {
        let Some(mix) = self.mix.as_deref() else {
            return 0.0;
        };
        self.nodes
            .iter()
            .filter(|n| n.schedulable && n.gpus.count() > 0)
            .map(|n| mix.fragmentation(&n.free(), &n.gpus))
            .sum()
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

    /// Node `id`'s free capacity now as the free-capacity tree holds it: [`Node::free`] for a
    /// schedulable node, zero for the others. Reading it touches one compact array instead of the
    /// node, which is what a placement walking many nodes wants.
    pub fn free_now(&self, id: NodeId) -> &Resources {
        self.free.leaf(id.index())
    }

    /// The ordered placement indexes (free CPU, free fraction per group, load).
    pub fn index(&self) -> &PlacementIndex {
        &self.index
    }

    /// Panics if any node's allocation exceeds its capacity, or its GPUs' free shares disagree
    /// with its GPU allocation (an engine bug), naming the node.
    pub fn assert_within_capacity(&self) {
        for n in &self.nodes {
            assert_eq!(
                n.gpus.total_free() + n.allocated.gpu_milli,
                n.capacity.gpu_milli,
                "node {}'s GPU shares disagree with its GPU allocation",
                n.id.0
            );
            assert!(
                Resources {
                    gpu_models: n.capacity.gpu_models,
                    ..n.allocated
                }
                .fits_in(&n.capacity),
                "node {} allocated {:?} beyond its capacity {:?}",
                n.id.0,
                n.allocated,
                n.capacity
            );
        }
    }
}

/// `node`'s free vector once `demand` is placed on it, its GPUs then being `after`.
fn free_after(node: &Node, demand: &Resources, after: &GpuSlots) -> Resources {
    Resources {
        gpu_milli: after.placeable(),
        gpu_models: node.capacity.gpu_models,
        ..node.free().saturating_sub(demand)
    }
}

/// Whether GPU set `set` can hold a demand of `gpu_milli` on `slots`.
fn gpus_hold(slots: &GpuSlots, set: GpuSet, gpu_milli: u64) -> bool {
    if gpu_milli == 0 {
        return set.is_empty();
    }
    if gpu_milli < GPU_MILLI {
        return set.len() == 1 && set.indices().all(|g| slots.share_fits_on(g, gpu_milli));
    }
    set.len() as u64 == gpu_milli / GPU_MILLI
        && set
            .indices()
            .all(|g| g < slots.count() && u64::from(slots.free()[g]) == GPU_MILLI)
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

//! Indexes over nodes for placements that would otherwise scan every node: free CPU (best-fit,
//! worst-fit), mean free fraction per node group (most-allocated as an ordered set, least-allocated
//! as a heap: [`FractionHeaps`]), task count (JSQ) and task count per node group (least
//! connections).
//!
//! Each index but the heaps is an ordered set of `(key, node id)`, so walking it visits nodes
//! best-key first with ties in node-id order, and a walk can stop at the first feasible node (or,
//! for float keys, at the first node whose score is strictly worse). Unschedulable nodes are left
//! out of every index. The cluster keeps the indexes current on every allocate, release, queue
//! change and up/down change, at O(log n) per change.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use crate::cluster::fraction_heap::FractionHeaps;
use crate::cluster::Node;
use crate::resources::{Resources, DIMS};

/// An `f64` with a total order (`f64::total_cmp`), usable as an ordered-set key.
#[derive(Debug, Clone, Copy)]
pub struct OrdF64(pub f64);

impl PartialEq for OrdF64 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for OrdF64 {}
impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrdF64 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Mean over resources of the fraction of a node's capacity that is free (1 for a dimension of zero
/// capacity). The key of the least/most-allocated index; [`crate::sched::scoring`] builds those scores
/// from exactly this number so index order and score order agree.
pub fn free_fraction(capacity: &Resources, allocated: &Resources) -> f64 {
    let (c, a) = (capacity.dims(), allocated.dims());
    let mut sum = 0.0;
    for i in 0..DIMS {
        sum += if c[i] == 0 {
            1.0
        } else {
            c[i].saturating_sub(a[i]) as f64 / c[i] as f64
        };
    }
    sum / DIMS as f64
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Keys {
    free_cpu: u64,
    fraction: OrdF64,
    load: u32,
}

/// Which indexes to maintain. Each costs two ordered-set operations per node change, so a run keeps
/// only those its scheduler reads (the simulation asks the scheduler's spec; `Cluster::new` keeps all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndexNeeds {
    /// Free CPU (best-fit, worst-fit).
    pub free_cpu: bool,
    /// Free fraction per group, ordered (most-allocated).
    pub fraction: bool,
    /// Free fraction per group, as heaps (least-allocated).
    pub fraction_heap: bool,
    /// Running plus queued tasks (JSQ).
    pub load: bool,
    /// Running plus queued tasks per group (least connections).
    pub group_load: bool,
}

impl IndexNeeds {
    /// Every index.
    pub const ALL: IndexNeeds = IndexNeeds {
        free_cpu: true,
        fraction: true,
        fraction_heap: true,
        load: true,
        group_load: true,
    };
    /// No index.
    pub const NONE: IndexNeeds = IndexNeeds {
        free_cpu: false,
        fraction: false,
        fraction_heap: false,
        load: false,
        group_load: false,
    };
}

/// The placement indexes of a cluster.
#[derive(Debug, Clone, Default)]
pub struct PlacementIndex {
    needs: IndexNeeds,
    by_free_cpu: BTreeSet<(u64, u32)>,
    by_fraction: Vec<BTreeSet<(OrdF64, u32)>>,
    fraction_heaps: FractionHeaps,
    by_load: BTreeSet<(u32, u32)>,
    by_group_load: Vec<BTreeSet<(u32, u32)>>,
    keys: Vec<Option<Keys>>,
}

impl PlacementIndex {
    /// Indexes `nodes`, whose groups are numbered below `groups`, keeping the indexes in `needs`.
    pub fn new(nodes: &[Node], groups: usize, needs: IndexNeeds) -> PlacementIndex {
        let mut index = PlacementIndex {
            needs,
            by_fraction: vec![BTreeSet::new(); groups],
            by_group_load: vec![BTreeSet::new(); groups],
            fraction_heaps: FractionHeaps::new(groups, nodes.len()),
            keys: vec![None; nodes.len()],
            ..PlacementIndex::default()
        };
        for node in nodes {
            index.update(node);
        }
        index
    }

    /// Starts loading node `id`'s keys into the cache (see [`crate::prefetch`]).
    pub fn prefetch_keys(&self, id: u32) {
        if let Some(keys) = self.keys.get(id as usize) {
            crate::prefetch::prefetch(keys);
        }
    }

    /// The indexes it keeps.
    pub fn needs(&self) -> IndexNeeds {
        self.needs
    }

    /// Re-keys one node after any change to it.
    pub fn update(&mut self, node: &Node) {
        if self.needs == IndexNeeds::NONE {
            return;
        }
        let id = node.id.0;
        let group = node.group as usize;
        let new = node.schedulable.then(|| Keys {
            free_cpu: node.free().cpu_milli,
            fraction: OrdF64(free_fraction(&node.capacity, &node.allocated)),
            load: node.load(),
        });
        let old = self.keys[id as usize];
        let n = self.needs;
        if n.fraction_heap {
            // Before the test below: the free vector can change while every key stays.
            let now = new.map(|k| (k.fraction.0, node.free()));
            self.fraction_heaps.set(group, id, now);
        }
        if old == new {
            return;
        }
        if let Some(k) = old {
            if n.free_cpu && new.is_none_or(|x| x.free_cpu != k.free_cpu) {
                self.by_free_cpu.remove(&(k.free_cpu, id));
            }
            if n.fraction && new.is_none_or(|x| x.fraction != k.fraction) {
                self.by_fraction[group].remove(&(k.fraction, id));
            }
            if new.is_none_or(|x| x.load != k.load) {
                if n.load {
                    self.by_load.remove(&(k.load, id));
                }
                if n.group_load {
                    self.by_group_load[group].remove(&(k.load, id));
                }
            }
        }
        if let Some(k) = new {
            if n.free_cpu && old.is_none_or(|x| x.free_cpu != k.free_cpu) {
                self.by_free_cpu.insert((k.free_cpu, id));
            }
            if n.fraction && old.is_none_or(|x| x.fraction != k.fraction) {
                self.by_fraction[group].insert((k.fraction, id));
            }
            if old.is_none_or(|x| x.load != k.load) {
                if n.load {
                    self.by_load.insert((k.load, id));
                }
                if n.group_load {
                    self.by_group_load[group].insert((k.load, id));
                }
            }
        }
        self.keys[id as usize] = new;
    }

    /// Schedulable nodes as `(free millicores, node id)`, ascending.
    pub fn by_free_cpu(&self) -> &BTreeSet<(u64, u32)> {
        assert!(
            self.needs.free_cpu,
            "the free-CPU index was not enabled for this cluster"
        );
        &self.by_free_cpu
    }

    /// Schedulable nodes of each group as `(free fraction, node id)`, ascending; indexed by group.
    pub fn by_free_fraction(&self) -> &[BTreeSet<(OrdF64, u32)>] {
        assert!(
            self.needs.fraction,
            "the free-fraction index was not enabled for this cluster"
        );
        &self.by_fraction
    }

    /// Schedulable nodes of each group in a max-heap by free fraction.
    pub fn fraction_heaps(&self) -> &FractionHeaps {
        assert!(
            self.needs.fraction_heap,
            "the free-fraction heaps were not enabled for this cluster"
        );
        &self.fraction_heaps
    }

    /// Schedulable nodes as `(running + queued tasks, node id)`, ascending.
    pub fn by_load(&self) -> &BTreeSet<(u32, u32)> {
        assert!(
            self.needs.load,
            "the load index was not enabled for this cluster"
        );
        &self.by_load
    }

    /// Schedulable nodes of each group as `(running + queued tasks, node id)`, ascending; indexed
    /// by group.
    pub fn by_group_load(&self) -> &[BTreeSet<(u32, u32)>] {
        assert!(
            self.needs.group_load,
            "the per-group load index was not enabled for this cluster"
        );
        &self.by_group_load
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{Cluster, NodeGroup};
    use crate::ids::NodeId;

    #[test]
    fn indexes_follow_allocations_queues_and_outages() {
        let groups = [NodeGroup {
            name: "g".into(),
            count: 3,
            capacity: Resources::new(4.0, 100, 100),
            speed: 1.0,
            domain: "g".into(),
            start_delay: None,
            power: None,
            gpu_model: None,
        }];
        let mut c = Cluster::new(&groups);
        c.allocate(NodeId(1), &Resources::new(3.0, 50, 0)).unwrap();
        c.set_queued(NodeId(2), 5);
        c.set_schedulable(NodeId(0), false);
        let ix = c.index();
        let cpu: Vec<_> = ix.by_free_cpu().iter().copied().collect();
        assert_eq!(cpu, vec![(1000, 1), (4000, 2)]);
        let load: Vec<_> = ix.by_load().iter().copied().collect();
        assert_eq!(load, vec![(1, 1), (5, 2)]);
        let group: Vec<_> = ix.by_group_load()[0].iter().copied().collect();
        assert_eq!(group, load);
        // Node 1: cpu 1/4 free, memory 1/2, disk 1 -> mean 7/12.
        let first = ix.by_free_fraction()[0].iter().next().unwrap();
        assert_eq!(first.1, 1);
        assert!((first.0 .0 - 7.0 / 12.0).abs() < 1e-12);
        // The heap's root: node 2, untouched (node 0 is down), ahead of node 1.
        assert_eq!(ix.fraction_heaps().top(0), Some((1.0, 2)));
        let mut heap: Vec<_> = ix.fraction_heaps().entries(0).collect();
        heap.sort_by_key(|&(_, id, _)| id);
        assert_eq!(
            heap,
            vec![
                (first.0 .0, 1, Resources::new(1.0, 50, 100)),
                (1.0, 2, Resources::new(4.0, 100, 100))
            ]
        );
        c.release(
            NodeId(1),
            &Resources::new(3.0, 50, 0),
            crate::cluster::GpuSet::NONE,
        );
        c.set_schedulable(NodeId(0), true);
        assert_eq!(c.index().by_free_cpu().len(), 3);
        assert_eq!(c.index().by_free_cpu().iter().next(), Some(&(4000, 0)));
        // All idle again: the lowest id leads among equal keys.
        assert_eq!(c.index().fraction_heaps().top(0), Some((1.0, 0)));
    }
}

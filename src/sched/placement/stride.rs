//! Stride scheduling (Waldspurger and Weihl, "Stride scheduling: deterministic proportional-share
//! resource management", MIT/LCS/TM-528, 1995) as a placement: weighted round-robin whose cost per
//! decision does not grow with the cluster, the flat variant of [`super::WeightedRoundRobin`].
//!
//! Each node has a *stride* inversely proportional to its weight (its CPU capacity, as for weighted
//! round-robin) and a *pass*. A decision takes the feasible node with the smallest pass (lowest id on
//! ties) and advances its pass by its stride, so over any window in which every node can take the
//! tasks, picks are proportional to the weights and interleaved, like smooth weighted round-robin.
//!
//! Where they differ is a node that cannot take the task. Smooth WRR leaves it out of that pick (it
//! neither gains nor loses credit) and so must look at every node every time. Here the walk in pass
//! order skips it and it *forfeits its turn*: it rejoins as if it had just been served, at the
//! current virtual time (the pass of the node picked) plus its stride. This is the paper's rule for
//! a client that leaves and rejoins (no credit is banked while it cannot run), and it keeps full
//! nodes from piling up at the front of the order. A walk looks at most [`WALK`] nodes; if none of
//! them is feasible the first feasible node after the last one looked at (in id order, wrapping) is
//! taken through the free-capacity tree, so a decision finds a node whenever one exists. When no node
//! is feasible nothing changes.
//!
//! Cost per decision: O(log n) for the pick plus O(log n) per skipped node, at most [`WALK`] of them.
//! The quality lost against exact smooth WRR is measured in `docs/algorithms.md` ("Scaling").

use std::collections::BTreeSet;

use crate::ids::NodeId;
use crate::sched::placement::Placement;
use crate::sched::{PendingTask, View};

/// Most nodes one decision looks at in pass order before falling back to the free-capacity tree.
pub const WALK: usize = 64;

/// The stride of a node of weight 1 (one millicore): 2^24 3^6 5^6 7^2 11 13, about 1.3e18. Every
/// millicore count made of these primes (any number of whole, half or quarter cores below several
/// thousand, for instance) divides it, so weights in equal ratios give exactly equal passes.
const STRIDE1: u128 = (1 << 24) * 729 * 15_625 * 49 * 11 * 13;

/// Stride-scheduling placement (weighted round-robin in O(log n)).
#[derive(Debug, Default)]
pub struct Stride {
    pass: Vec<u128>,
    stride: Vec<u128>,
    /// Every node as (pass, id), smallest first.
    order: BTreeSet<(u128, u32)>,
    /// Pass of the node picked last: the virtual time a skipped node rejoins at.
    virtual_time: u128,
    /// Scratch list of the nodes one decision skipped, kept to avoid an allocation per decision.
    skipped: Vec<u32>,
}

impl Stride {
    /// Adds nodes the cluster gained since the last decision, at the current virtual time.
    fn track(&mut self, view: &View<'_>) {
        let nodes = view.cluster.nodes();
        for node in &nodes[self.pass.len()..] {
            let stride = STRIDE1 / node.capacity.cpu_milli.max(1) as u128;
            let pass = self.virtual_time + stride;
            self.pass.push(pass);
            self.stride.push(stride);
            self.order.insert((pass, node.id.0));
        }
    }

    /// Moves node `id` to pass `pass` in the order.
    fn set_pass(&mut self, id: u32, pass: u128) {
        let i = id as usize;
        self.order.remove(&(self.pass[i], id));
        self.pass[i] = pass;
        self.order.insert((pass, id));
    }
}

impl Placement for Stride {
    fn choose(&mut self, task: &PendingTask, view: &View<'_>) -> Option<NodeId> {
        self.track(view);
        let nodes = view.cluster.nodes();
        let mut skipped = std::mem::take(&mut self.skipped);
        skipped.clear();
        let mut chosen = None;
        for &(_, id) in self.order.iter().take(WALK) {
            if view.feasible(&nodes[id as usize], &task.demand) {
                chosen = Some(id);
                break;
            }
            skipped.push(id);
        }
        let chosen = match chosen {
            Some(id) => id,
            None => {
                let after = skipped.last().map_or(0, |&id| id as usize + 1);
                let fallback = view
                    .first_feasible_from(&task.demand, after)
                    .or_else(|| view.first_feasible_from(&task.demand, 0));
                match fallback {
                    Some(id) => id.0,
                    None => {
                        self.skipped = skipped;
                        return None;
                    }
                }
            }
        };
        let i = chosen as usize;
        self.virtual_time = self.virtual_time.max(self.pass[i]);
        for &id in &skipped {
            let pass = self.virtual_time.max(self.pass[id as usize]) + self.stride[id as usize];
            self.set_pass(id, pass);
        }
        self.skipped = skipped;
        self.set_pass(chosen, self.pass[i] + self.stride[i]);
        Some(NodeId(chosen))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Cluster;
    use crate::rng::{below, stream};
    use crate::sched::placement::test_support::{central, cluster, task};

    #[test]
    fn picks_are_proportional_to_capacity_and_interleaved() {
        // Capacities 1, 2 and 3 cores: strides 6, 3 and 2 (in units of STRIDE1 / 6000). Passes
        // start at one stride; picks: 2 (pass 2), 1 (3), 2 (4), 0 (6, lowest id of the tie with 1
        // and 2), 1 (6), 2 (6), and the cycle repeats.
        let c = cluster(&[(1, 1.0), (1, 2.0), (1, 3.0)]);
        let view = central(&c);
        let mut s = Stride::default();
        let picks: Vec<u32> = (0..12)
            .map(|_| s.choose(&task(0.5), &view).unwrap().0)
            .collect();
        assert_eq!(picks, vec![2, 1, 2, 0, 1, 2, 2, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn nothing_feasible_changes_nothing() {
        let mut c = cluster(&[(3, 1.0)]);
        let mut s = Stride::default();
        let first = s.choose(&task(1.0), &central(&c)).unwrap();
        for i in 0..3 {
            c.allocate(NodeId(i), &task(1.0).demand).unwrap();
        }
        let before = (s.pass.clone(), s.order.clone(), s.virtual_time);
        assert_eq!(s.choose(&task(1.0), &central(&c)), None);
        assert_eq!((s.pass.clone(), s.order.clone(), s.virtual_time), before);
        assert_eq!(first, NodeId(0));
    }

    /// The same rule by brute force: every node in (pass, id) order, skipped ones forfeiting.
    fn reference(pass: &mut [u128], stride: &[u128], vt: &mut u128, c: &Cluster) -> Option<u32> {
        let view = central(c);
        let mut ids: Vec<u32> = (0..pass.len() as u32).collect();
        ids.sort_by_key(|&i| (pass[i as usize], i));
        let feasible = |i: u32| view.feasible(c.node(NodeId(i)), &task(1.0).demand);
        let walked = &ids[..ids.len().min(WALK)];
        let chosen = match walked.iter().position(|&i| feasible(i)) {
            Some(p) => walked[p],
            None => {
                let after = walked.last().map_or(0, |&i| i + 1);
                (after..pass.len() as u32)
                    .chain(0..after)
                    .find(|&i| feasible(i))?
            }
        };
        *vt = (*vt).max(pass[chosen as usize]);
        for &i in walked.iter().take_while(|&&i| i != chosen) {
            pass[i as usize] = (*vt).max(pass[i as usize]) + stride[i as usize];
        }
        pass[chosen as usize] += stride[chosen as usize];
        Some(chosen)
    }

    #[test]
    fn matches_a_brute_force_stride_scheduler_on_random_clusters() {
        let mut rng = stream(8, "stride");
        let mut c = cluster(&[(300, 1.0), (50, 2.0), (30, 4.0)]);
        let n = c.len();
        let mut s = Stride::default();
        let stride: Vec<u128> = c
            .nodes()
            .iter()
            .map(|node| STRIDE1 / node.capacity.cpu_milli as u128)
            .collect();
        let mut pass = stride.clone();
        let mut vt = 0u128;
        let (mut held, mut fallbacks, mut walked) = (Vec::new(), 0, 0);
        let one = task(1.0).demand;
        for step in 0..6_000 {
            // Each pick is allocated; releases come a little slower than picks for the first
            // half, so the cluster fills up and decisions find fewer and fewer feasible nodes.
            let release = if step < 3_000 { 9 } else { 3 };
            if !held.is_empty() && below(&mut rng, 10) < release {
                let node = held.swap_remove(below(&mut rng, held.len() as u64) as usize);
                c.release(node, &one, Default::default());
            }
            let mut sorted: Vec<u32> = (0..n as u32).collect();
            sorted.sort_by_key(|&i| (pass[i as usize], i));
            let view = central(&c);
            let walk_misses = sorted[..WALK]
                .iter()
                .all(|&i| !view.feasible(c.node(NodeId(i)), &one));
            let want = reference(&mut pass, &stride, &mut vt, &c);
            let got = s.choose(&task(1.0), &view);
            assert_eq!(got.map(|id| id.0), want, "step {step}");
            fallbacks += usize::from(walk_misses && want.is_some());
            walked += usize::from(!walk_misses);
            if let Some(node) = got {
                c.allocate(node, &one).unwrap();
                held.push(node);
            }
        }
        assert!(
            fallbacks > 100,
            "decisions went past the walk ({fallbacks})"
        );
        assert!(
            walked > 1000,
            "decisions found a node on the walk ({walked})"
        );
    }
}

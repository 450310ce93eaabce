//! Indexed placements against full scans of the same rule, on random heterogeneous clusters whose
//! indexes have been through random allocations, releases, queue changes and outages.

use crate::cluster::Cluster;
use crate::ids::NodeId;
use crate::resources::Resources;
use crate::rng::{below, stream, SimRng};
use crate::sched::placement::test_support::{cluster, task};
use crate::sched::placement::{
    argmin_feasible, AllocatedPlacement, BestFit, JoinShortestQueue, LeastConnections, Placement,
    ScorePlacement, WorstFit,
};
use crate::sched::scoring::ScoreFn;
use crate::sched::{DispatchMode, PendingTask, View};
use crate::time::SimTime;

/// Milli-core and memory demands on a coarse grid, so ties between nodes are frequent.
fn random_demand(rng: &mut SimRng) -> Resources {
    Resources {
        cpu_milli: 500 * below(rng, 5),
        memory: (1 << 27) * below(rng, 4),
        disk: 0,
        ..Resources::ZERO
    }
}

/// A random cluster and a task with a random demand.
fn random_case(rng: &mut SimRng) -> (Cluster, PendingTask) {
    let c = random_cluster(rng);
    let mut t = task(0.0);
    t.demand = random_demand(rng);
    (c, t)
}

/// A view of `c` at time zero under `mode`.
fn view_of(c: &Cluster, mode: DispatchMode) -> View<'_> {
    View {
        cluster: c,
        mode,
        now: SimTime::ZERO,
        running: Default::default(),
    }
}

/// A cluster of 1-4 groups of 1-8 nodes with 1-8 cores, churned by 60 random operations.
fn random_cluster(rng: &mut SimRng) -> Cluster {
    let groups: Vec<(u32, f64)> = (0..1 + below(rng, 4))
        .map(|_| (1 + below(rng, 8) as u32, 1.0 + below(rng, 8) as f64))
        .collect();
    let mut c = cluster(&groups);
    let mut held: Vec<(NodeId, Resources)> = Vec::new();
    for _ in 0..60 {
        let node = NodeId(below(rng, c.len() as u64) as u32);
        match below(rng, 6) {
            0..=2 => {
                let d = random_demand(rng);
                if c.allocate(node, &d).is_ok() {
                    held.push((node, d));
                }
            }
            3 if !held.is_empty() => {
                let (n, d) = held.swap_remove(below(rng, held.len() as u64) as usize);
                c.release(n, &d, crate::cluster::GpuSet::NONE);
            }
            4 => c.set_queued(node, below(rng, 4) as u32),
            _ => c.set_schedulable(node, below(rng, 4) != 0),
        }
    }
    c
}

fn pick(p: &mut dyn Placement, t: &PendingTask, c: &Cluster, mode: DispatchMode) -> Option<NodeId> {
    let view = View {
        cluster: c,
        mode,
        now: SimTime::ZERO,
        running: Default::default(),
    };
    p.choose(t, &view)
}

#[test]
fn indexed_placements_match_full_scans() {
    let mut rng = stream(11, "equivalence");
    let mut placed = 0;
    // Kept across cases, as a run keeps them across decisions.
    let (mut least, mut most) = (AllocatedPlacement::least(), AllocatedPlacement::most());
    for _ in 0..400 {
        let (c, t) = random_case(&mut rng);
        for mode in [DispatchMode::Central, DispatchMode::Immediate] {
            let view = view_of(&c, mode);
            let free_cpu = |n: &crate::cluster::Node| n.free().cpu_milli;
            let scans = [
                argmin_feasible(&t, &view, free_cpu),
                argmin_feasible(&t, &view, |n| std::cmp::Reverse(free_cpu(n))),
                ScorePlacement::new(vec![(ScoreFn::LeastAllocated, 1.0)]).choose(&t, &view),
                ScorePlacement::new(vec![(ScoreFn::MostAllocated, 1.0)]).choose(&t, &view),
                argmin_feasible(&t, &view, |n| n.load()),
            ];
            let indexed = [
                pick(&mut BestFit, &t, &c, mode),
                pick(&mut WorstFit, &t, &c, mode),
                pick(&mut least, &t, &c, mode),
                pick(&mut most, &t, &c, mode),
                pick(&mut JoinShortestQueue, &t, &c, mode),
            ];
            assert_eq!(
                indexed, scans,
                "best, worst, least, most, jsq differ ({mode:?})"
            );
            placed += scans.iter().filter(|s| s.is_some()).count();
        }
    }
    assert!(placed > 2000, "too few feasible cases to compare: {placed}");
}

#[test]
fn fit_scores_rank_like_the_indexed_fits() {
    // The composable best-fit / worst-fit scores pick what the indexed placements pick.
    let mut rng = stream(12, "equivalence");
    for _ in 0..300 {
        let (c, t) = random_case(&mut rng);
        let view = view_of(&c, DispatchMode::Central);
        let best = ScorePlacement::new(vec![(ScoreFn::BestFit, 1.0)]).choose(&t, &view);
        let worst = ScorePlacement::new(vec![(ScoreFn::WorstFit, 1.0)]).choose(&t, &view);
        assert_eq!(best, BestFit.choose(&t, &view));
        assert_eq!(worst, WorstFit.choose(&t, &view));
    }
}

/// Weighted least connections as a scan of every node: fewest tasks per core, lowest id on ties.
fn least_connections_scan(t: &PendingTask, view: &View<'_>) -> Option<NodeId> {
    let mut best: Option<(u64, u64, NodeId)> = None;
    for n in view.cluster.nodes() {
        let (load, weight) = (u64::from(n.load()), n.capacity.cpu_milli.max(1));
        if view.feasible(n, &t.demand) && best.is_none_or(|(bl, bw, _)| load * bw < bl * weight) {
            best = Some((load, weight, n.id));
        }
    }
    best.map(|(_, _, id)| id)
}

#[test]
fn indexed_least_connections_matches_a_full_scan() {
    let mut rng = stream(13, "equivalence");
    let (mut compared, mut placed) = (0, 0);
    for _ in 0..3000 {
        let (c, t) = random_case(&mut rng);
        for mode in [DispatchMode::Central, DispatchMode::Immediate] {
            let view = view_of(&c, mode);
            let scan = least_connections_scan(&t, &view);
            assert_eq!(pick(&mut LeastConnections, &t, &c, mode), scan, "{mode:?}");
            compared += 1;
            placed += usize::from(scan.is_some());
        }
    }
    assert_eq!(compared, 6000);
    assert!(placed > 4000, "too few feasible cases to compare: {placed}");
}

/// A placement's name, its exact form and its sampled form.
type Pair = (String, Box<dyn Placement>, Box<dyn Placement>);

/// The per-task placements that take `sample`, each as (name, exact, sampled with `k` nodes).
fn sampled_pairs(k: u32) -> Vec<Pair> {
    use crate::sched::build::{registry, PlacementSpec};
    registry::takers(registry::SAMPLE.key)
        .into_iter()
        .filter_map(|name| {
            let spec = PlacementSpec::parse(name).expect("a registered name");
            let exact = spec.placement(stream(1, "exact"))?;
            let sampled = PlacementSpec::Sampled {
                sample: k,
                of: Box::new(spec),
            };
            Some((
                name.to_string(),
                exact,
                sampled.placement(stream(1, "sampled"))?,
            ))
        })
        .collect()
}

#[test]
fn a_sample_as_large_as_the_cluster_is_the_exact_placement() {
    // random_cluster has at most 32 nodes.
    let mut rng = stream(14, "equivalence");
    for _ in 0..300 {
        let (c, t) = random_case(&mut rng);
        for mode in [DispatchMode::Central, DispatchMode::Immediate] {
            for (name, mut exact, mut sampled) in sampled_pairs(32) {
                assert_eq!(
                    pick(sampled.as_mut(), &t, &c, mode),
                    pick(exact.as_mut(), &t, &c, mode),
                    "{name} {mode:?}"
                );
            }
        }
    }
}

#[test]
fn a_small_sample_picks_a_feasible_node_whenever_one_exists() {
    let mut rng = stream(15, "equivalence");
    for _ in 0..300 {
        let (c, t) = random_case(&mut rng);
        let view = view_of(&c, DispatchMode::Central);
        let exists = c.nodes().iter().any(|n| view.feasible(n, &t.demand));
        // MCT and Kumar-Sharma may wait for a busy node; the others place whenever they can.
        for (name, _, mut sampled) in sampled_pairs(2)
            .into_iter()
            .filter(|(n, _, _)| n != "mct" && n != "kumar-sharma")
        {
            let got = sampled.choose(&t, &view);
            assert_eq!(got.is_some(), exists, "{name}");
            if let Some(id) = got {
                assert!(
                    view.feasible(c.node(id), &t.demand),
                    "{name} chose a full node"
                );
            }
        }
    }
}

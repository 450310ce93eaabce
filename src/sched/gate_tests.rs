//! The list scheduler's fit gate changes no placement: over random clusters and queues with a few
//! distinct demands, a decision told the queue's demand counts places exactly the tasks, on exactly
//! the nodes, that the plain walk does, under every ordered queue policy and placement kind.

use crate::ids::NodeId;
use crate::resources::Resources;
use crate::rng::{below, stream};
use crate::sched::placement::test_support::{cluster, job};
use crate::sched::{
    build_scheduler, DemandClasses, DispatchMode, PlacementSpec, QueuePolicy, SchedulerSpec,
    Session,
};
use crate::time::SimTime;

#[test]
fn decisions_with_demand_counts_equal_the_plain_walk() {
    let mut rng = stream(11, "gate");
    let mut compared = 0;
    let mut placed = 0;
    for case in 0..600u32 {
        let mut c = cluster(&[(6, 4.0), (3, 8.0)]);
        // Fill the nodes at random so that some demands fit and others do not.
        for node in 0..c.len() {
            let used = below(&mut rng, 9) as f64 / 2.0;
            let cap = c.node(NodeId(node as u32)).capacity.cpu_cores();
            let _ = c.allocate(NodeId(node as u32), &Resources::new(used.min(cap), 0, 0));
        }
        let sizes = [0.5, 1.0, 2.0, 3.0, 6.0];
        let kinds = 1 + below(&mut rng, sizes.len() as u64) as usize;
        let pending: Vec<_> = (0..below(&mut rng, 60) as u32)
            .map(|i| {
                let mut t = job(
                    i,
                    sizes[below(&mut rng, kinds as u64) as usize],
                    1 + below(&mut rng, 50),
                );
                t.priority = below(&mut rng, 3) as i32;
                t
            })
            .collect();
        let mut counts = crate::fast_hash::FastHashMap::default();
        for t in &pending {
            *counts.entry(t.demand).or_insert(0) += 1;
        }
        let classes = DemandClasses {
            counts: counts.into_iter().collect(),
        };
        let queue = [QueuePolicy::Fifo, QueuePolicy::Priority, QueuePolicy::Sjf][case as usize % 3];
        let placement =
            ["first-fit", "best-fit", "least-allocated", "random"][case as usize / 3 % 4];
        let (freed, first_new) = match below(&mut rng, 2) {
            0 => (true, 0),
            _ => (false, below(&mut rng, pending.len() as u64 + 1) as usize),
        };
        let spec = SchedulerSpec {
            preempt: Default::default(),
            name: "s".into(),
            queue,
            placement: PlacementSpec::parse(placement).expect("a listed placement"),
        };
        let decide = |with: Option<&DemandClasses>| {
            let mut c = c.clone();
            let mut s = build_scheduler(&spec, stream(case as u64, "s"));
            let mut session = Session::new(
                SimTime::ZERO,
                DispatchMode::Central,
                &mut c,
                &pending,
                &[],
                first_new,
                freed,
            )
            .with_demand_classes(with);
            s.schedule(&mut session);
            session.into_decisions()
        };
        let plain = decide(None);
        assert_eq!(decide(Some(&classes)), plain, "case {case}");
        compared += 1;
        placed += plain.assigned.len();
    }
    assert_eq!(compared, 600);
    assert!(placed > 1_000, "the cases placed only {placed} tasks");
}

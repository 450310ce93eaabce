//! Time per placement decision, from 100 to 10,000 nodes, for every algorithm in the catalogue.
//!
//! The cluster has four node groups (2 to 16 cores, speeds 0.5 to 2) filled to about half its CPU by
//! random tasks with random expected ends, so indexes, profiles and scans all see realistic state.
//! `balanced-sample-10pct` is balanced-allocation scoring 10% of the nodes (`sample_percent = 10`);
//! `<name>+sample64` is a placement that takes `sample` looking at 64 sampled nodes (`sample = 64`).
//! Per-task placements are timed on one decision (`begin` + `choose`, nothing assigned, so every
//! iteration sees the same state); batch heuristics on one decision point over 32 queued tasks, by
//! a scheduler that has made one decision before (as in a run), with copying and dropping the
//! cluster left out of the timing.
//!
//! Run: `cargo bench --bench placement -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use simctl::cluster::{Cluster, NodeGroup};
use simctl::ids::{NodeId, TaskId};
use simctl::resources::Resources;
use simctl::rng::{below, stream};
use simctl::sched::build::registry::{takers, SAMPLE};
use simctl::sched::scoring::ScoreFn;
use simctl::sched::{
    build_scheduler, DispatchMode, PendingTask, PlacementSpec, QueuePolicy, RunningList,
    RunningTask, Scheduler, SchedulerSpec, Session,
};
use simctl::time::{SimDuration, SimTime};

const SIZES: [u32; 3] = [100, 1_000, 10_000];
const GIB: u64 = 1 << 30;
/// Nodes per decision of the sampled variants.
const SAMPLE_K: u32 = 64;

/// Every placement taking `sample`, as (`<name>+sample64`, its sampled spec).
fn sampled_specs() -> impl Iterator<Item = (String, PlacementSpec)> {
    takers(SAMPLE.key).into_iter().map(|name| {
        let spec = PlacementSpec::Sampled {
            sample: SAMPLE_K,
            of: Box::new(PlacementSpec::parse(name).expect("a listed name")),
        };
        (format!("{name}+sample{SAMPLE_K}"), spec)
    })
}

fn task(i: u64, cores: f64, secs: u64) -> PendingTask {
    PendingTask {
        handle: i as u32,
        id: TaskId(i),
        arrival: SimTime::ZERO,
        demand: Resources::new(cores, 2 * GIB, GIB),
        estimate: SimDuration::from_secs(secs),
        priority: 0,
        user: (i % 4) as u32,
        deadline: None,
        attempt: 0,
    }
}

/// A half-full heterogeneous cluster of `n` nodes and the tasks running on it (with the per-node
/// index the simulator's driver keeps).
fn cluster(n: u32) -> (Cluster, RunningList) {
    let groups: Vec<NodeGroup> = [(2.0, 0.5), (4.0, 1.0), (8.0, 1.0), (16.0, 2.0)]
        .iter()
        .enumerate()
        .map(|(g, &(cores, speed))| NodeGroup {
            name: format!("g{g}"),
            count: n / 4,
            capacity: Resources::new(cores, (cores as u64) * 4 * GIB, 200 * GIB),
            speed,
            domain: format!("g{g}"),
            start_delay: None,
            power: None,
            gpu_model: None,
        })
        .collect();
    let mut c = Cluster::new(&groups);
    let mut rng = stream(1, "bench");
    let mut running = Vec::new();
    for i in 0..(c.len() as u64 * 2) {
        let node = NodeId(below(&mut rng, c.len() as u64) as u32);
        let t = task(
            i,
            0.5 * (1 + below(&mut rng, 4)) as f64,
            1 + below(&mut rng, 600),
        );
        if let Ok(gpus) = c.allocate(node, &t.demand) {
            running.push(RunningTask {
                handle: t.handle,
                id: t.id,
                node,
                gpus,
                demand: t.demand,
                start: SimTime::ZERO,
                expected_end: SimTime::ZERO + t.estimate,
                priority: 0,
                user: t.user,
            });
        }
    }
    (c, RunningList::from_tasks(running))
}

fn per_task(crit: &mut Criterion) {
    let mut group = crit.benchmark_group("decision");
    for n in SIZES {
        let (mut c, running) = cluster(n);
        let pending = [task(u64::MAX, 1.0, 60)];
        let sampled = PlacementSpec::Score {
            scores: vec![(ScoreFn::BalancedAllocation, 1.0)],
            filters: Vec::new(),
            sample_percent: Some(10),
        };
        let named = PlacementSpec::names().map(|name| {
            (
                name.to_string(),
                PlacementSpec::parse(name).expect("a listed name"),
            )
        });
        let extra = [("balanced-sample-10pct".to_string(), sampled)];
        for (name, spec) in named.chain(extra).chain(sampled_specs()) {
            let Some(mut p) = spec.placement(stream(2, "placement")) else {
                continue;
            };
            group.bench_with_input(BenchmarkId::new(&name, n), &n, |b, _| {
                let s = Session::new(
                    SimTime::ZERO,
                    DispatchMode::Central,
                    &mut c,
                    &pending,
                    &running,
                    0,
                    true,
                );
                b.iter(|| {
                    p.begin(&s);
                    black_box(p.choose(&pending[0], &s.view()))
                })
            });
        }
    }
    group.finish();
}

fn batch(crit: &mut Criterion) {
    let mut group = crit.benchmark_group("batch32");
    for n in SIZES {
        let (c, running) = cluster(n);
        let pending: Vec<_> = (0..32).map(|i| task(i, 1.0, 10 + 7 * i)).collect();
        let exact = ["min-min", "max-min", "sufferage"].map(|name| {
            (
                name.to_string(),
                PlacementSpec::parse(name).expect("a listed name"),
            )
        });
        let sampled = sampled_specs().filter(|(_, spec)| spec.batch_rule().is_some());
        for (name, placement) in exact.into_iter().chain(sampled) {
            let spec = SchedulerSpec {
                preempt: Default::default(),
                name: name.clone(),
                queue: QueuePolicy::Fifo,
                placement,
            };
            group.bench_with_input(BenchmarkId::new(&name, n), &n, |b, _| {
                let decide = |c: &mut Cluster, s: &mut Box<dyn Scheduler>| {
                    let mut session = Session::new(
                        SimTime::ZERO,
                        DispatchMode::Central,
                        c,
                        &pending,
                        &running,
                        0,
                        true,
                    );
                    s.schedule(&mut session);
                    session.into_decisions()
                };
                b.iter_batched(
                    // A scheduler past its first decision point (which sizes its per-node
                    // stores once per run), on a fresh copy of the cluster.
                    || {
                        let mut s = build_scheduler(&spec, stream(2, "s"));
                        decide(&mut c.clone(), &mut s);
                        (c.clone(), s)
                    },
                    // Returned, so that dropping the cluster copy and the scheduler (O(nodes))
                    // happens outside the timing.
                    |(mut c, mut s)| {
                        let decisions = decide(&mut c, &mut s);
                        black_box((c, s, decisions))
                    },
                    BatchSize::LargeInput,
                )
            });
        }
    }
    group.finish();
}

criterion_group!(benches, per_task, batch);
criterion_main!(benches);

//! Engine throughput and the cost of a placement decision as the cluster grows.
//!
//! `cargo bench --bench engine` (add `-- --quick` for a fast pass). Criterion prints events/s
//! (throughput) per case; the per-decision cost is the time per iteration divided by the number of
//! tasks (printed once per case on stderr). The M/M/c group also times a bare binary heap
//! (`simctl::bench::bare_heap`, the yardstick of `simctl bench`) doing as many hold operations as
//! the run handles events, holding as many entries as the run's future-event list does on average:
//! the two events/s side by side say how far the engine is from its queue's floor. The third,
//! `minimal-mmc` (`simctl::bench::minimal_mmc`), is a hand-written M/M/100 loop with only what the
//! model needs, for the same number of customers: the floor of any M/M/c simulation.

use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use simctl::bench::{bare_heap, minimal_mmc};
use simctl::config::{self, ScenarioFile};
use simctl::sweep;

fn scenario(nodes: u32, rate: f64, tasks: u64, placement: &str, dispatch: &str) -> ScenarioFile {
    let text = format!(
        r#"
        [scenario]
        name = "bench"
        seed = 1
        [[cluster.nodes]]
        count = {nodes}
        cpu = 1
        memory = "1GiB"
        [workload]
        dispatch = "{dispatch}"
        max_tasks = {tasks}
        arrival = {{ process = "poisson", rate = {rate} }}
        duration = {{ dist = "exponential", mean = "1s" }}
        cpu = 1
        [[scheduler]]
        name = "s"
        placement = "{placement}"
        "#
    );
    config::parse(&text, Path::new("bench.toml")).expect("bench scenario")
}

/// The events a run handles and its future-event list's mean length.
fn events_of(file: &ScenarioFile) -> (u64, f64) {
    let runs = sweep::plan(file, None);
    let result = sweep::run_one(file, &runs[0], false, None).expect("run");
    (result.summary.events, result.mean_pending_events)
}

/// M/M/c with c = 100 at utilisation 0.9: raw engine speed with the cheapest placement, the bare
/// heap at the same size for the same number of events, and the minimal M/M/100 loop for the same
/// number of customers.
fn mmc_engine(c: &mut Criterion) {
    let file = scenario(100, 90.0, 200_000, "first-fit", "central");
    let (events, pending) = events_of(&file);
    let pending = (pending.round() as usize).max(1);
    let runs = sweep::plan(&file, None);
    let mut g = c.benchmark_group("engine/mmc-c100-rho0.9");
    g.throughput(Throughput::Elements(events));
    g.sample_size(10);
    g.bench_function("first-fit", |b| {
        b.iter(|| sweep::run_one(&file, &runs[0], false, None).unwrap())
    });
    g.bench_function(BenchmarkId::new("bare-heap", pending), |b| {
        b.iter(|| bare_heap::hold_loop(pending, events))
    });
    g.bench_function("minimal-mmc", |b| {
        b.iter(|| minimal_mmc::simulate(100, 90.0, 1.0, events / 2, 1))
    });
    g.finish();
}

/// The same per-node load (0.9) on 100 .. 10,000 nodes: time per task shows how a decision scales.
fn placement_scaling(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine/placement-scaling");
    g.sample_size(10);
    for placement in ["first-fit", "power-of-d", "least-allocated", "jsq"] {
        for nodes in [100u32, 1_000, 10_000] {
            let tasks = 50_000u64;
            let file = scenario(nodes, 0.9 * nodes as f64, tasks, placement, "central");
            let runs = sweep::plan(&file, None);
            g.throughput(Throughput::Elements(tasks));
            g.bench_with_input(BenchmarkId::new(placement, nodes), &nodes, |b, _| {
                b.iter(|| sweep::run_one(&file, &runs[0], false, None).unwrap())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, mmc_engine, placement_scaling);
criterion_main!(benches);

//! A central FIFO queue in front of 100 one-core nodes with first-fit, M/M/100 style (Poisson
//! arrivals, exponential service of mean 1 s), at offered loads 0.7, 1.1 and 1.2 over the same
//! simulated span: below capacity the queue stays short; above it, it grows by about
//! (load - 1) x 100 tasks per second, to about 5,000 and 10,000 tasks at the end of 500 s.
//!
//! `cargo bench --bench overload` (add `-- --quick` for a fast pass). Criterion prints events/s
//! per load: if the cost of a scheduling decision grows with the queue, events/s falls as the
//! load passes 1 (measured when this bench was written: a 2000 s span took 0.18 s at 0.7 and
//! 37 s at 1.2, hence the shorter span here). Each case's event count and final queue length are
//! printed on stderr.

use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use simctl::config::{self, ScenarioFile};
use simctl::sweep;

/// Simulated span of every case.
const HORIZON: &str = "500s";

/// The M/M/100 system at offered load `rho` (arrival rate 100 rho per second).
fn scenario(rho: f64) -> ScenarioFile {
    let rate = 100.0 * rho;
    let text = format!(
        r#"
        [scenario]
        name = "overload"
        seed = 1
        horizon = "{HORIZON}"
        [[cluster.nodes]]
        count = 100
        cpu = 1
        memory = "1GiB"
        [workload]
        dispatch = "central"
        arrival = {{ process = "poisson", rate = {rate} }}
        duration = {{ dist = "exponential", mean = "1s" }}
        cpu = 1
        [[scheduler]]
        name = "fifo-first-fit"
        queue = "fifo"
        placement = "first-fit"
        "#
    );
    config::parse(&text, Path::new("overload.toml")).expect("overload scenario")
}

fn overload(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine/overload-c100-fifo-first-fit");
    g.sample_size(10);
    for rho in [0.7, 1.1, 1.2] {
        let file = scenario(rho);
        let runs = sweep::plan(&file, None);
        let summary = sweep::run_one(&file, &runs[0], false, None)
            .expect("run")
            .summary;
        eprintln!(
            "offered load {rho}: {} events, {} tasks waiting at {HORIZON}",
            summary.events, summary.tasks_pending_at_end
        );
        g.throughput(Throughput::Elements(summary.events));
        g.bench_with_input(BenchmarkId::new("load", rho), &rho, |b, _| {
            b.iter(|| sweep::run_one(&file, &runs[0], false, None).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, overload);
criterion_main!(benches);

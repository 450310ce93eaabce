//! The overload benchmark scenario, `benches/overload.toml` (a central FIFO queue in front of 100
//! one-core nodes with first-fit, M/M/100 style, at offered loads 0.7, 1.1 and 1.2), over a span
//! cut to 500 s: below capacity the queue stays short; above it, it grows by about
//! (load - 1) x 100 tasks per second, to about 5,000 and 10,000 tasks at the end.
//!
//! `cargo bench --bench overload` (add `-- --quick` for a fast pass). Criterion prints events/s
//! per sweep point: if the cost of a scheduling decision grew with the queue, events/s would fall
//! as the load passes 1. Each case's event count and final queue length are printed on stderr.

use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use simctl::config;
use simctl::sweep;

/// Simulated span of every case.
const HORIZON: &str = "500s";

fn overload(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/overload.toml");
    let horizon = config::parse_override(&format!("scenario.horizon={HORIZON}")).expect("override");
    let file = config::load_with_overrides(&path, &[horizon]).expect("overload.toml");
    let mut g = c.benchmark_group("engine/overload-c100-fifo-first-fit");
    g.sample_size(10);
    for run in sweep::plan(&file, None) {
        let label = file.points[run.point]
            .values
            .iter()
            .map(|(key, value)| format!("{key}={}", config::sweep::value_text(value)))
            .collect::<Vec<_>>()
            .join(",");
        let summary = sweep::run_one(&file, &run, false, None)
            .expect("run")
            .summary;
        eprintln!(
            "{label}: {} events, {} tasks waiting at {HORIZON}",
            summary.events, summary.tasks_pending_at_end
        );
        g.throughput(Throughput::Elements(summary.events));
        g.bench_with_input(BenchmarkId::new("point", &label), &run, |b, run| {
            b.iter(|| sweep::run_one(&file, run, false, None).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, overload);
criterion_main!(benches);

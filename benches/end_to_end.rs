//! The whole pipeline of one run at Google-cell scale: benches/google-scale.toml (12,583 nodes,
//! 40 task classes) with its first scheduler, cut to a 200 s horizon (about 107,000 tasks) with
//! the same override `simctl run --set scenario.horizon=200s` applies. Each iteration is
//! `sweep::run_one`: building the cluster and its indexes, generating the workload, simulating,
//! and the final statistics.
//!
//! `cargo bench --bench end_to_end` (add `-- --quick` for a fast pass). Criterion prints events/s.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use simctl::config;
use simctl::sweep;

fn google_scale(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/google-scale.toml");
    let horizon = config::parse_override("scenario.horizon=200s").expect("override");
    let file = config::load_with_overrides(&path, &[horizon]).expect("google-scale.toml");
    let run = sweep::plan(&file, None)[0];
    let scheduler = file.base().schedulers[run.scheduler].name.clone();
    let summary = sweep::run_one(&file, &run, false, None)
        .expect("run")
        .summary;
    eprintln!(
        "google-scale, 200 s, {scheduler}: {} tasks, {} events",
        summary.tasks_submitted, summary.events
    );
    let mut g = c.benchmark_group("end-to-end/google-scale-200s");
    g.sample_size(10);
    g.throughput(Throughput::Elements(summary.events));
    g.bench_function(&scheduler, |b| {
        b.iter(|| sweep::run_one(&file, &run, false, None).unwrap())
    });
    g.finish();
}

criterion_group!(benches, google_scale);
criterion_main!(benches);

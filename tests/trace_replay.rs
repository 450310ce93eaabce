//! Every bundled trace scenario replays fully through its three schedulers: the engine sees exactly
//! the tasks the reader yields (counted here by draining the reader directly), every scheduler sees
//! the same tasks, and every task ends exactly once (the engine asserts conservation at the end).

mod common;

use std::path::Path;

use simctl::config::{self, WorkloadSpec};
use simctl::sweep;

fn replay(name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    let file = config::load(&path)
        .unwrap_or_else(|e| panic!("{e} (are the samples in ../shared/traces?)"));
    let scenario = file.base();
    assert!(
        scenario.schedulers.len() >= 3,
        "{name}: fewer than three schedulers"
    );
    let WorkloadSpec::Trace { spec, max_tasks } = &scenario.workload else {
        panic!("{name} is not a trace scenario")
    };
    let runs = sweep::plan(&file, None);
    // Independent count: drain the reader without the engine.
    let mut source = spec.open(runs[0].seed).unwrap();
    let mut yielded = 0u64;
    while source.next_task().unwrap().is_some() {
        yielded += 1;
    }
    let expected = max_tasks.map_or(yielded, |m| m.min(yielded));
    assert!(expected > 0);
    let results = sweep::execute(&file, &runs, 2, true, None, &|_| {}).unwrap();
    for r in &results {
        let s = &r.summary;
        let horizon_cut = s.tasks_running_at_end + s.tasks_pending_at_end;
        assert!(
            s.tasks_submitted == expected || (horizon_cut > 0 && s.tasks_submitted <= expected),
            "{name}: engine saw {} tasks, reader yields {expected}",
            s.tasks_submitted
        );
        assert!(s.tasks_completed > 0, "{name}: nothing completed");
    }
    let first = results[0].summary.tasks_submitted;
    assert!(
        results.iter().all(|r| r.summary.tasks_submitted == first),
        "{name}: schedulers saw different workloads"
    );
}

#[test]
fn google2011() {
    replay("trace-google2011.toml");
}

#[test]
fn alibaba2017() {
    replay("trace-alibaba2017.toml");
}

#[test]
fn alibaba2018_machines_with_node_events() {
    replay("trace-alibaba2018.toml");
    // The machine table's joins and leaves reach the engine as node failures.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/trace-alibaba2018.toml");
    let file = config::load(&path).unwrap();
    assert_eq!(
        file.base().node_groups.iter().map(|g| g.count).sum::<u32>(),
        4034
    );
    assert!(!file.base().node_events.is_empty());
    let runs = sweep::plan(&file, None);
    let r = sweep::run_one(&file, &runs[0], true, None).unwrap();
    assert!(r.summary.node_failures > 0);
}

#[test]
fn gpu2023() {
    replay("trace-gpu2023.toml");
}

#[test]
fn swf() {
    replay("trace-swf.toml");
}

#[test]
fn azure_llm() {
    replay("trace-azure-llm.toml");
}

#[test]
fn own_csv() {
    replay("trace-csv.toml");
}

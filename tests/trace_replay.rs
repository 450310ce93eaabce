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
    let results = sweep::run_in_memory(&file, &runs, 2, true).unwrap();
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

/// A copy of the own-format sample with one malformed row, and a scenario replaying it.
fn corrupted_csv_scenario(dir: &Path, strict: bool) -> std::path::PathBuf {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/example-trace.csv");
    let mut text = std::fs::read_to_string(sample).unwrap();
    text.push_str("99,not-a-number,1,1GiB,0,0,0,9,,\n");
    std::fs::write(dir.join("bad.csv"), text).unwrap();
    let scenario = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/trace-csv.toml"),
    )
    .unwrap()
    .replace("path = \"example-trace.csv\"", "path = \"bad.csv\"")
    .replace("strict = true", &format!("strict = {strict}"));
    let path = dir.join("trace.toml");
    std::fs::write(&path, scenario).unwrap();
    path
}

#[test]
fn a_malformed_row_is_counted_and_skipped_or_rejected_with_strict() {
    let dir = tempfile::tempdir().unwrap();
    let lenient = corrupted_csv_scenario(dir.path(), false);
    let lines = std::fs::read_to_string(dir.path().join("bad.csv"))
        .unwrap()
        .lines()
        .count();
    let o = common::simctl()
        .args(["run", "--quiet", "--out"])
        .arg(dir.path())
        .arg(&lenient)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    // "bad.csv: skipped 1 malformed lines ... non-numeric duration_s (lines 8)"
    assert!(stderr.contains("skipped 1 malformed"), "{stderr}");
    assert!(
        stderr.contains(&format!("non-numeric duration_s (lines {lines})")),
        "{stderr}"
    );
    // --strict on the command line turns the same row into an error naming file and line.
    let o = common::simctl()
        .args(["run", "--quiet", "--strict", "--out"])
        .arg(dir.path())
        .arg(&lenient)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("bad.csv:{lines}")), "{stderr}");
}

#[test]
fn trace_info_summarises_a_sample() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/traces/swf/NASA-iPSC-1993-3.1-cln.swf.gz");
    let o = common::simctl()
        .args(["trace", "info", "--format", "swf"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // 18,239 jobs in the cleaned NASA log (README of the samples; `zcat ... | grep -vc '^;'`).
    assert!(
        stdout.contains("18239") || stdout.contains("18,239"),
        "{stdout}"
    );
    let o = common::simctl()
        .args(["trace", "info", "--format", "nope"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
}

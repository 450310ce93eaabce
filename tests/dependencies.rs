//! Task dependencies: a task never starts before every task it depends on has completed, and a task
//! whose dependency is lost is lost too.

mod common;

use std::collections::BTreeMap;

use common::simctl;

const CHAINS: &str = r#"
[scenario]
name = "chains"
seed = 4
horizon = "3h"
replications = 2
[[cluster.nodes]]
count = 6
cpu = 4
memory = "16GiB"
[workload]
arrival = { process = "poisson", rate = 0.3 }
duration = { dist = "exponential", mean = "40s" }
cpu = { dist = "choice", values = [1, 2, 4] }
memory = "1GiB"
chain = 4                      # jobs of 4 tasks, each waiting for the previous one
FAULTS
[[scheduler]]
name = "ff"
placement = "first-fit"
[[scheduler]]
name = "spread"
placement = "least-allocated"
[output]
tasks_csv = true
"#;

#[derive(Debug, Clone)]
struct Attempt {
    start: Option<f64>,
    end: Option<f64>,
    outcome: String,
}

/// (scheduler, replication) -> task id -> final row.
fn run(faults: &str) -> BTreeMap<(String, String), BTreeMap<u64, Attempt>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, CHAINS.replace("FAULTS", faults)).unwrap();
    let o = simctl()
        .args(["run", "--quiet", "--check-invariants", "--out"])
        .arg(dir.path())
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut out: BTreeMap<(String, String), BTreeMap<u64, Attempt>> = BTreeMap::new();
    for r in csv::Reader::from_path(dir.path().join("chains/tasks.csv"))
        .unwrap()
        .records()
    {
        let r = r.unwrap();
        if ["interrupted", "preempted", "cancelled"].contains(&&r[10]) {
            continue;
        }
        let num = |i: usize| (!r[i].is_empty()).then(|| r[i].parse::<f64>().unwrap());
        let a = Attempt {
            start: num(8),
            end: num(9),
            outcome: r[10].to_string(),
        };
        out.entry((r[0].to_string(), r[2].to_string()))
            .or_default()
            .insert(r[3].parse().unwrap(), a);
    }
    out
}

#[test]
fn a_task_starts_only_after_its_predecessor_completed() {
    let runs = run("");
    for (key, tasks) in &runs {
        let mut waited = 0;
        for (&id, t) in tasks {
            if id % 4 == 0 {
                continue; // first of its chain
            }
            let prev = &tasks[&(id - 1)];
            match (t.start, prev.outcome.as_str()) {
                (Some(s), "completed") => {
                    assert!(
                        s >= prev.end.unwrap(),
                        "{key:?}: task {id} started at {s} before task {} ended",
                        id - 1
                    );
                    waited += 1;
                }
                (Some(_), other) => {
                    panic!("{key:?}: task {id} ran although its predecessor is {other}")
                }
                (None, _) => assert_eq!(t.outcome, "pending", "{key:?}: task {id}"),
            }
        }
        assert!(
            waited > 100,
            "{key:?}: too few chained tasks checked ({waited})"
        );
    }
}

#[test]
fn losing_a_task_loses_the_rest_of_its_chain() {
    // Tasks fail on their own and are never retried: the rest of each broken chain is lost.
    let runs = run("[faults]\ntask_failure_prob = 0.2\n[failover]\npolicy = \"none\"");
    for (key, tasks) in &runs {
        let mut cascaded = 0;
        for (&id, t) in tasks {
            if id % 4 != 0 && tasks[&(id - 1)].outcome == "failed" {
                assert_eq!(
                    t.outcome, "failed",
                    "{key:?}: task {id} survived its failed predecessor"
                );
                assert!(
                    t.start.is_none(),
                    "{key:?}: task {id} started after its predecessor failed"
                );
                cascaded += 1;
            }
        }
        assert!(
            cascaded > 10,
            "{key:?}: expected some cascaded failures, saw {cascaded}"
        );
    }
}

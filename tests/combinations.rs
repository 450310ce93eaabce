//! Every scheduler of the catalogue under every failover policy and both dispatch models, on a
//! workload with priorities, dependencies, services, node crashes and task failures, with capacity
//! invariants checked after every decision. Guards against mechanisms that meet for the first time
//! in a user's scenario: preemption of a replica copy once started a task from a stale queue entry
//! and panicked. The engine asserts conservation at the end of every run, and refuses to free a task
//! record that a queue still refers to; here every run must finish, and its counts must add up.

mod common;

use simctl::sched::PlacementSpec;

/// Every queue discipline and placement, as `[[scheduler]]` tables. Preemption is central-only.
fn schedulers(central: bool) -> String {
    let mut out = String::new();
    let mut add = |name: &str, body: &str| {
        out.push_str(&format!("[[scheduler]]\nname = \"{name}\"\n{body}\n"));
    };
    for p in PlacementSpec::names() {
        add(p, &format!("placement = \"{p}\""));
    }
    for q in ["priority", "sjf", "edf", "easy-backfill", "drf"] {
        for p in ["first-fit", "least-allocated"] {
            add(
                &format!("{q}/{p}"),
                &format!("queue = \"{q}\"\nplacement = \"{p}\""),
            );
        }
    }
    add(
        "weighted",
        "placement = { score = [{ fn = \"least-allocated\", weight = 2 }, { fn = \"balanced-allocation\", weight = 1 }] }",
    );
    if central {
        for mode in ["restart", "resume"] {
            for p in ["first-fit", "most-allocated"] {
                add(
                    &format!("preempt-{mode}/{p}"),
                    &format!("queue = \"priority\"\npreempt = \"{mode}\"\nplacement = \"{p}\""),
                );
            }
        }
    }
    out
}

fn scenario(dispatch: &str, policies: &[&str]) -> String {
    let policies: Vec<String> = policies.iter().map(|p| format!("\"{p}\"")).collect();
    format!(
        r#"
[scenario]
name = "combinations-{dispatch}"
seed = 5
horizon = "90m"
warmup = "10m"
[[cluster.nodes]]
count = 4
cpu = 4
memory = "8GiB"
[[cluster.nodes]]
count = 2
cpu = 8
memory = "16GiB"
speed = 2.0
[workload]
dispatch = "{dispatch}"
arrival = {{ process = "poisson", rate = 0.25 }}
duration = {{ dist = "exponential", mean = "60s" }}
cpu = {{ dist = "choice", values = [0.5, 1, 2, 4] }}
memory = {{ dist = "choice", values = ["512MiB", "1GiB", "2GiB"] }}
priority = {{ dist = "choice", values = [0, 1, 2, 3] }}
chain = 2
services = {{ count = 2, replicas = 2, cpu = 1, memory = "1GiB" }}
[faults]
node_mtbf = "40m"
node_mttr = "3m"
detection = "20s"
health_check = "5s"
task_failure_prob = 0.05
[failover]
checkpoint_interval = "5m"
checkpoint_cost = "10s"
[sweep]
"failover.policy" = [{}]
{}"#,
        policies.join(", "),
        schedulers(dispatch == "central")
    )
}

fn check(text: &str) -> usize {
    let file = common::scenario(text);
    let results = common::run_all(&file);
    for r in &results {
        let s = &r.summary;
        let name = &file.points[r.spec.point].scenario.schedulers[r.spec.scheduler].name;
        assert_eq!(
            s.tasks_submitted,
            s.tasks_completed
                + s.tasks_failed
                + s.tasks_unschedulable
                + s.tasks_running_at_end
                + s.tasks_pending_at_end,
            "{name} at sweep point {}",
            r.spec.point
        );
        assert!(s.tasks_lost <= s.tasks_failed, "{name}");
        assert!(s.tasks_completed > 0, "{name}: nothing completed");
        assert!(
            s.goodput.is_nan() || (0.0..=1.0).contains(&s.goodput),
            "{name}: goodput {}",
            s.goodput
        );
    }
    results.len()
}

#[test]
fn every_scheduler_policy_and_dispatch_combination_runs_to_the_end() {
    let all = ["none", "resubmit", "retry", "checkpoint", "replicate"];
    let central = check(&scenario("central", &all));
    // Replication places copies through the central scheduler's view: central dispatch only.
    let immediate = check(&scenario(
        "immediate",
        &["none", "resubmit", "retry", "checkpoint"],
    ));
    // 24 placements (the 4 GPU-aware ones see no GPUs here) + 10 queue/placement pairs + 1 score
    // list (+ 4 preemptive, central only).
    assert_eq!(central, 39 * 5);
    assert_eq!(immediate, 35 * 4);
}

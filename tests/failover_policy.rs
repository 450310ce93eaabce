//! Failover is a policy boundary: a policy written outside the engine and the control plane (here,
//! in this test) plugs into a run through `EngineConfig::failover` and is carried out by the same
//! mechanics as the built-in ones. Two checks: a re-implementation of a built-in policy gives a
//! byte-identical summary, and a policy of its own is consulted exactly once per dead task, its
//! decisions carried out as it said.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use simctl::cluster::Cluster;
use simctl::engine::{EngineConfig, Simulation};
use simctl::failover::{Action, FailoverPolicy, Position};
use simctl::metrics::Summary;
use simctl::rng::stream;
use simctl::sched::build_scheduler;
use simctl::sweep::{engine_config, open_workload, plan};
use simctl::time::SimDuration;

/// Crashes every 2 h on 6 nodes, tasks of about 20 min: many attempts die.
const SCENARIO: &str = r#"
[scenario]
name = "policy"
seed = 3
horizon = "2d"
[[cluster.nodes]]
count = 6
cpu = 4
memory = "8GiB"
[workload]
arrival = { process = "poisson", rate = 0.01 }
duration = { dist = "exponential", mean = "20m" }
cpu = 1
memory = "1GiB"
[faults]
node_mtbf = "2h"
node_mttr = "10m"
detection = "30s"
[failover]
policy = "resubmit"
position = "head"
max_attempts = 2
[[scheduler]]
name = "ff"
placement = "first-fit"
"#;

/// Built-in `resubmit` at the head with two attempts, written from scratch.
#[derive(Debug)]
struct HeadOnceThenLose;

impl FailoverPolicy for HeadOnceThenLose {
    fn on_failure(&self, attempt: u32, _: SimDuration, _: f64, _: SimDuration) -> Action {
        if attempt >= 2 {
            Action::Lose
        } else {
            Action::Requeue {
                delay: SimDuration::ZERO,
                position: Position::Head,
                saved: SimDuration::ZERO,
            }
        }
    }
}

/// Waits 60 s times the attempt number before requeueing, gives up after the third attempt, and
/// counts its calls.
#[derive(Debug, Default)]
struct Counting {
    calls: AtomicU64,
}

impl FailoverPolicy for Counting {
    fn on_failure(&self, attempt: u32, _: SimDuration, _: f64, _: SimDuration) -> Action {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if attempt >= 3 {
            return Action::Lose;
        }
        Action::Requeue {
            delay: SimDuration::from_secs(60 * u64::from(attempt)),
            position: Position::Tail,
            saved: SimDuration::ZERO,
        }
    }
}

fn run(policy: Option<Arc<dyn FailoverPolicy>>) -> Summary {
    let file = simctl::config::parse(SCENARIO, Path::new("policy.toml")).unwrap();
    let runs = plan(&file, None);
    let spec = &runs[0];
    let scenario = &file.points[0].scenario;
    let mut config: EngineConfig = engine_config(scenario, spec, true);
    if let Some(p) = policy {
        config.failover = p;
    }
    let sched = &scenario.schedulers[0];
    let cluster = Cluster::with_indexes(&scenario.node_groups, sched.index_needs());
    let scheduler = build_scheduler(sched, stream(spec.seed, "scheduler"));
    let (workload, _) = open_workload(scenario, spec.seed).unwrap();
    Simulation::new(config, cluster, scheduler, workload, None)
        .run()
        .unwrap()
        .summary
}

#[test]
fn a_policy_written_outside_the_engine_reproduces_the_built_in_one() {
    let built_in = run(None);
    let own = run(Some(Arc::new(HeadOnceThenLose)));
    assert!(
        built_in.task_restarts > 20,
        "the scenario must fail tasks over"
    );
    assert!(built_in.tasks_lost > 0, "and give some up");
    let row = |s: &Summary| {
        s.columns()
            .iter()
            .filter(|(n, _)| *n != "wall_s")
            .map(|(n, m)| format!("{n}={}", m.to_csv()))
            .collect::<Vec<_>>()
    };
    assert_eq!(row(&built_in), row(&own));
}

#[test]
fn a_policy_of_its_own_is_consulted_once_per_dead_task_and_obeyed() {
    let policy = Arc::new(Counting::default());
    let s = run(Some(policy.clone()));
    let calls = policy.calls.load(Ordering::SeqCst);
    // Every failover decision is either a restart or a loss.
    assert_eq!(calls, s.task_restarts + s.tasks_lost);
    assert!(s.tasks_lost > 0 && s.task_restarts > s.tasks_lost);
    // Its backoff is carried out: no restart happens sooner than 60 s after the attempt died.
    assert!(
        s.mean_time_to_restart_s >= 60.0,
        "mean time to restart {} s",
        s.mean_time_to_restart_s
    );
}

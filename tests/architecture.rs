//! Scheduler architectures, each on a small hand-built case whose outcome is derived by hand in
//! the comments, plus a queueing check of decision time (M/M/1) and the promise that a centralized
//! architecture deciding in zero time changes nothing.
//!
//! The hand-built cases drive the sans-IO control plane directly with a minimal event loop of
//! their own (the driver below), so they can read the control plane's cluster view at any time.

mod common;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;
use std::sync::Arc;

use simctl::cluster::{Cluster, NodeGroup};
use simctl::control::arch::spec::{
    ArchKind, ArchitectureSpec, Conflicts, DecisionTime, Sampling, Snapshot,
};
use simctl::control::arch::SchedulerStats;
use simctl::control::{AttemptRef, Command, ControlPlane, Exit, Timer};
use simctl::ids::{JobId, NodeId, TaskId};
use simctl::metrics::{Outcome, TaskRow};
use simctl::resources::Resources;
use simctl::sweep::{engine_config, plan, run_in_memory};
use simctl::time::{SimDuration, SimTime};
use simctl::workload::dist::DistSpec;
use simctl::workload::{TaskKind, TaskSpec};

/// A scenario only for its control-plane settings (no faults, central dispatch, first-fit).
const BASE: &str = r#"
[scenario]
name = "arch"
horizon = "1h"
[[cluster.nodes]]
count = 1
cpu = 1
memory = "1GiB"
[workload]
arrival = { process = "poisson", rate = 1 }
duration = "1s"
[[scheduler]]
name = "ff"
placement = "first-fit"
"#;

enum Event {
    Submit(Box<TaskSpec>),
    Exit(AttemptRef),
    Timer(Timer),
}

/// A minimal driver: submits `tasks` at their arrival, ends attempts after their run time, fires
/// timers, and decides once per instant. Returns the task rows and the control plane.
struct Run {
    rows: Vec<TaskRow>,
    stats: Vec<SchedulerStats>,
    /// (time, node, queued) snapshots taken at `watch` times.
    watched: Vec<(f64, Vec<u32>)>,
}

fn secs(s: f64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs_f64(s)
}

fn task(id: u64, job: u64, class: u16, at: f64, duration: f64, cpu: f64) -> TaskSpec {
    TaskSpec {
        id: TaskId(id),
        job: JobId(job),
        arrival: secs(at),
        duration: SimDuration::from_secs_f64(duration),
        requested_duration: None,
        demand: Resources::new(cpu, 0, 0),
        priority: 0,
        kind: TaskKind::Batch,
        user: 0,
        deadline: None,
        depends_on: Vec::new(),
        observed: None,
        class,
        not_before: None,
    }
}

fn spec(kind: ArchKind, classes: &[(&str, f64, f64)]) -> ArchitectureSpec {
    let mut s = ArchitectureSpec::centralized(classes.iter().map(|c| c.0.to_string()).collect());
    s.kind = kind;
    s.decision = classes
        .iter()
        .map(|&(_, job, task)| DecisionTime {
            job: DistSpec::Constant { value: job },
            task: DistSpec::Constant { value: task },
            node: 0.0,
        })
        .collect();
    s
}

fn drive(arch: ArchitectureSpec, nodes: &[(u32, f64)], tasks: Vec<TaskSpec>, watch: &[f64]) -> Run {
    let file = simctl::config::parse(BASE, Path::new("arch.toml")).expect("base scenario");
    let scenario = file.base();
    let runs = plan(&file, None);
    let mut config = engine_config(scenario, &runs[0], true);
    config.architecture = Some(simctl::engine::ArchSetup {
        spec: Arc::new(arch),
        scheduler: scenario.schedulers[0].clone(),
    });
    let groups: Vec<NodeGroup> = nodes
        .iter()
        .enumerate()
        .map(|(i, &(count, cpu))| NodeGroup {
            name: format!("g{i}"),
            count,
            capacity: Resources::new(cpu, 0, 0),
            speed: 1.0,
            domain: format!("g{i}"),
            start_delay: None,
            power: None,
            gpu_model: None,
        })
        .collect();
    let cluster = Cluster::new(&groups);
    let scheduler = simctl::sched::build_scheduler(
        &scenario.schedulers[0],
        simctl::rng::stream(1, "scheduler"),
    );
    let mut cp: ControlPlane = config.control_plane(cluster, scheduler, false, true);
    let mut queue: BinaryHeap<Reverse<(SimTime, u64, usize)>> = BinaryHeap::new();
    let mut events: Vec<Option<Event>> = Vec::new();
    let push = |q: &mut BinaryHeap<_>, ev: &mut Vec<Option<Event>>, at: SimTime, e: Event| {
        ev.push(Some(e));
        q.push(Reverse((at, ev.len() as u64, ev.len() - 1)));
    };
    for t in tasks {
        let at = t.arrival;
        push(&mut queue, &mut events, at, Event::Submit(Box::new(t)));
    }
    let mut rows = Vec::new();
    let mut watched = Vec::new();
    let mut watch: Vec<f64> = watch.to_vec();
    watch.reverse();
    let mut now = SimTime::ZERO;
    while let Some(Reverse((t, _, i))) = queue.pop() {
        while watch.last().is_some_and(|w| secs(*w) <= t) {
            let w = watch.pop().expect("checked");
            watched.push((w, cp.cluster().nodes().iter().map(|n| n.queued).collect()));
        }
        now = t;
        cp.advance(t);
        match events[i].take().expect("each event once") {
            Event::Submit(spec) => {
                cp.submit(*spec);
            }
            Event::Exit(a) => {
                cp.attempt_exited(a, Exit::Completed);
            }
            Event::Timer(timer) => cp.timer_fired(timer),
        }
        if queue.peek().is_none_or(|Reverse((next, _, _))| *next != t) {
            cp.decide();
        }
        let commands: Vec<Command> = cp.take_commands().collect();
        for c in commands {
            match c {
                Command::Start {
                    attempt, run_for, ..
                } => {
                    let end = t + run_for.expect("batch tasks end");
                    push(&mut queue, &mut events, end, Event::Exit(attempt));
                }
                Command::SetTimer { at, timer } => {
                    push(&mut queue, &mut events, at, Event::Timer(timer))
                }
                Command::Record(row) => rows.push(*row),
                Command::Kill { .. } | Command::NodeMarkedDown { .. } => {}
            }
        }
    }
    for w in watch.into_iter().rev() {
        watched.push((w, cp.cluster().nodes().iter().map(|n| n.queued).collect()));
    }
    let stats = cp.scheduler_stats();
    let (_, last) = cp.finish(now, 0);
    rows.extend(last.into_iter().filter_map(|c| match c {
        Command::Record(r) => Some(*r),
        _ => None,
    }));
    Run {
        rows,
        stats,
        watched,
    }
}

/// The completed row of task `id`.
fn row(run: &Run, id: u64) -> &TaskRow {
    run.rows
        .iter()
        .find(|r| r.task_id == id && r.outcome == Outcome::Completed)
        .unwrap_or_else(|| panic!("task {id} did not complete: {:?}", run.rows))
}

fn start_s(run: &Run, id: u64) -> f64 {
    row(run, id)
        .start
        .expect("started")
        .since(SimTime::ZERO)
        .as_secs_f64()
}

#[test]
fn decision_time_delays_a_placement_by_exactly_the_modelled_amount() {
    // One central scheduler, t_job = 2 s, t_task = 0.5 s, on a node with room for everything.
    // A job of three tasks arrives at 10 s: one decision of 2 + 3 x 0.5 = 3.5 s, so all three
    // start at 13.5 s. A one-task job arriving at 11 s finds the scheduler busy: it is taken up at
    // 13.5 s (a queue wait of 2.5 s) and placed after 2 + 0.5 s, at 16 s.
    let arch = spec(ArchKind::Centralized, &[("default", 2.0, 0.5)]);
    let tasks = vec![
        task(0, 0, 0, 10.0, 100.0, 1.0),
        task(1, 0, 0, 10.0, 100.0, 1.0),
        task(2, 0, 0, 10.0, 100.0, 1.0),
        task(3, 3, 0, 11.0, 100.0, 1.0),
    ];
    let run = drive(arch, &[(1, 8.0)], tasks, &[]);
    for id in 0..3 {
        assert_eq!(start_s(&run, id), 13.5, "task {id}");
    }
    assert_eq!(start_s(&run, 3), 16.0);
    let s = &run.stats[0];
    assert_eq!((s.decisions, s.tasks_decided), (2, 4));
    // Queue waits: 0, 0, 0 and 2.5 s; times in the scheduler: 3.5 x 3 and 2.5 + 2.5 = 5 s.
    assert!((s.queue_wait_mean_s - 2.5 / 4.0).abs() < 1e-9, "{s:?}");
    assert!(
        (s.sched_wait_mean_s - (3.5 * 3.0 + 5.0) / 4.0).abs() < 1e-9,
        "{s:?}"
    );
}

#[test]
fn a_shared_state_conflict_is_detected_retried_and_counted() {
    // Omega, fine-grained conflicts, one node with 1 core, two schedulers: "a" decides in 1 s,
    // "b" in 2 s. At 0 s a 1-core task of each class arrives; both snapshots (taken at 0 s) show the
    // node empty. a commits at 1 s: placed. b commits at 2 s: its placement conflicts (the core is
    // taken), so b retries at once with a fresh snapshot (the node is full): that decision ends at
    // 4 s with nothing placed, and the task waits for capacity. a's task ends at 1 + 10 = 11 s; b
    // decides again from 11 s and places at 13 s.
    let arch = spec(ArchKind::SharedState, &[("a", 1.0, 0.0), ("b", 2.0, 0.0)]);
    let tasks = vec![task(0, 0, 0, 0.0, 10.0, 1.0), task(1, 1, 1, 0.0, 10.0, 1.0)];
    let run = drive(arch, &[(1, 1.0)], tasks, &[]);
    assert_eq!(start_s(&run, 0), 1.0);
    assert_eq!(start_s(&run, 1), 13.0);
    let (a, b) = (&run.stats[0], &run.stats[1]);
    assert_eq!((a.transactions, a.conflicts, a.retries), (1, 0, 0));
    assert_eq!((b.transactions, b.conflicts, b.retries), (3, 1, 1));
    assert!((b.conflict_fraction - 1.0 / 3.0).abs() < 1e-12);
}

#[test]
fn coarse_conflicts_refuse_what_fine_ones_allow() {
    // A node with 2 cores, two schedulers deciding in 1 s and 2 s on 1-core tasks that arrive
    // together. Fine-grained: b's task still fits at 2 s, so no conflict and it starts at 2 s.
    // Coarse-grained: the node changed (a's commit), so b's placement conflicts and b retries:
    // the retry's snapshot is current, so it places at 2 + 2 = 4 s.
    for (conflicts, start, n) in [(Conflicts::Fine, 2.0, 0), (Conflicts::Coarse, 4.0, 1)] {
        let mut arch = spec(ArchKind::SharedState, &[("a", 1.0, 0.0), ("b", 2.0, 0.0)]);
        arch.conflicts = conflicts;
        let tasks = vec![task(0, 0, 0, 0.0, 10.0, 1.0), task(1, 1, 1, 0.0, 10.0, 1.0)];
        let run = drive(arch, &[(1, 2.0)], tasks, &[]);
        assert_eq!(start_s(&run, 1), start, "{conflicts:?}");
        assert_eq!(run.stats[1].conflicts, n, "{conflicts:?}");
    }
}

#[test]
fn an_offer_held_blocks_its_resources_from_other_frameworks() {
    // Mesos, one node with 2 cores, frameworks "a" (decides in 5 s) and "b" (0.1 s). At 0 s one
    // 1-core task of each arrives. Both dominant shares are 0, so a (the lower index) is offered
    // everything: 2 cores, locked for 5 s. b's task could run on the second core at once, but b
    // has nothing to be offered until a answers at 5 s (it keeps 1 core, returns 1); b is then
    // offered that core and places its task at 5.1 s.
    let arch = spec(ArchKind::Offers, &[("a", 5.0, 0.0), ("b", 0.1, 0.0)]);
    let tasks = vec![
        task(0, 0, 0, 0.0, 100.0, 1.0),
        task(1, 1, 1, 0.0, 100.0, 1.0),
    ];
    let run = drive(arch, &[(1, 2.0)], tasks, &[]);
    assert_eq!(start_s(&run, 0), 5.0);
    assert_eq!(start_s(&run, 1), 5.1);
    assert_eq!((run.stats[0].offers, run.stats[1].offers), (1, 1));
}

#[test]
fn an_offer_outstanding_past_its_timeout_is_rescinded_and_the_job_given_up() {
    // As above, but offers time out after 2 s and jobs are given up after 3 attempts. a's offer is
    // rescinded at 2 s; b is offered both cores at 2 s and places at 2.1 s. a's decision ends at
    // 5 s on a rescinded offer (void, attempt 1); a is offered the free core at 5 s, rescinded at
    // 7 s, void at 10 s (attempt 2); again 10 s -> 12 s -> 15 s (attempt 3): given up, its task
    // fails.
    let mut arch = spec(ArchKind::Offers, &[("a", 5.0, 0.0), ("b", 0.1, 0.0)]);
    arch.offer_timeout = Some(SimDuration::from_secs(2));
    arch.max_attempts = Some(3);
    let tasks = vec![
        task(0, 0, 0, 0.0, 100.0, 1.0),
        task(1, 1, 1, 0.0, 100.0, 1.0),
    ];
    let run = drive(arch, &[(1, 2.0)], tasks, &[]);
    assert_eq!(start_s(&run, 1), 2.1);
    let a = &run.stats[0];
    assert_eq!((a.offers, a.offers_rescinded, a.abandoned_jobs), (3, 3, 1));
    let failed = run
        .rows
        .iter()
        .find(|r| r.task_id == 0)
        .expect("row of task 0");
    assert_eq!(failed.outcome, Outcome::Failed);
    assert_eq!(failed.end, Some(secs(15.0)));
}

#[test]
fn late_binding_starts_on_the_first_free_probed_worker_and_cancels_the_rest() {
    // Sparrow with late binding, d = 2, on two 1-core workers, no network delay: every job of one
    // task probes both workers. Task 0 (100 s) and task 1 (10 s) arrive at 0 s and take one
    // worker each (whichever order the probes came in). Task 2 arrives at 1 s: both workers are
    // busy, so a reservation waits in each queue (queued = [1, 1]). Task 1's worker frees at
    // 10 s and asks for task 2, which starts there; the reservation at task 0's worker is then
    // cancelled (queued = [0, 0] at 50 s) and nothing else starts when task 0 ends.
    let mut arch = spec(ArchKind::Decentralized, &[("default", 0.0, 0.0)]);
    arch.sampling = Sampling::LateBinding;
    arch.probe_ratio = 2.0;
    let tasks = vec![
        task(0, 0, 0, 0.0, 100.0, 1.0),
        task(1, 1, 0, 0.0, 10.0, 1.0),
        task(2, 2, 0, 1.0, 10.0, 1.0),
    ];
    let run = drive(arch, &[(2, 1.0)], tasks, &[5.0, 50.0]);
    assert_eq!(run.watched[0].1, vec![1, 1], "a reservation in each queue");
    assert_eq!(start_s(&run, 2), 10.0);
    assert_eq!(row(&run, 2).node, row(&run, 1).node);
    assert_eq!(
        run.watched[1].1,
        vec![0, 0],
        "the other reservation was cancelled"
    );
    let starts = run.rows.iter().filter(|r| r.start.is_some()).count();
    assert_eq!(starts, 3, "every task ran exactly once");
    assert_eq!(run.stats[0].probes, 6);
}

#[test]
fn one_scheduler_with_exponential_decisions_is_an_m_m_1_queue() {
    // Poisson arrivals at rate 0.5/s, one central scheduler whose decision time is exponential
    // with mean 1 s, a cluster that never runs out of room: the scheduler is an M/M/1 queue with
    // rho = 0.5. Closed forms: busy fraction rho = 0.5; mean wait before a decision begins
    // Wq = rho / (mu - lambda) = 1 s; mean time in the scheduler W = 1 / (mu - lambda) = 2 s,
    // which is also each task's wait for its start (capacity never holds it up).
    let text = r#"
[scenario]
name = "mm1"
seed = 11
horizon = "30000s"
warmup = "500s"
replications = 12
[[cluster.nodes]]
count = 1
cpu = 100000
memory = "1GiB"
[workload]
arrival = { process = "poisson", rate = 0.5 }
duration = "1s"
cpu = 1
[architecture]
t_job = { dist = "exponential", mean = 1 }
[[scheduler]]
name = "ff"
placement = "first-fit"
"#;
    let file = simctl::config::parse(text, Path::new("mm1.toml")).expect("scenario");
    let runs = plan(&file, None);
    let results = run_in_memory(&file, &runs, 2, false).expect("runs");
    let series = |f: &dyn Fn(&simctl::sweep::RunResult) -> f64| -> (f64, f64) {
        let xs: Vec<f64> = results.iter().map(f).collect();
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, (var / n).sqrt())
    };
    let checks: [(&str, f64, (f64, f64)); 4] = [
        (
            "busy fraction",
            0.5,
            series(&|r| r.schedulers[0].busy_fraction),
        ),
        ("Wq", 1.0, series(&|r| r.schedulers[0].queue_wait_mean_s)),
        ("W", 2.0, series(&|r| r.schedulers[0].sched_wait_mean_s)),
        ("task wait", 2.0, series(&|r| r.summary.mean_wait_s)),
    ];
    for (name, expected, (mean, se)) in checks {
        assert!(
            se > 0.0 && se < 0.05 * expected,
            "{name}: standard error {se} too large"
        );
        assert!(
            (mean - expected).abs() < 4.0 * se,
            "{name}: {mean} vs {expected} (4 SE = {})",
            4.0 * se
        );
    }
}

#[test]
fn centralized_with_zero_decision_time_changes_nothing() {
    // An explicit zero-time centralized architecture is today's scheduler: same summary, and no
    // architecture layer (no schedulers.csv rows).
    let with =
        format!("{BASE}\n[architecture]\nkind = \"centralized\"\nt_job = 0\nt_task = \"0s\"\n");
    let summaries: Vec<_> = [BASE.to_string(), with]
        .iter()
        .map(|text| {
            let file = simctl::config::parse(text, Path::new("z.toml")).expect("scenario");
            let runs = plan(&file, None);
            let r = run_in_memory(&file, &runs, 1, true).expect("run");
            assert!(r[0].schedulers.is_empty());
            let mut s = r[0].summary.clone();
            s.wall_s = 0.0;
            // As summary.csv writes it (NaN as an empty field, so equal NaNs compare equal).
            let row: Vec<String> = s.columns().iter().map(|(_, m)| m.to_csv()).collect();
            (row, s.tasks_completed)
        })
        .collect();
    assert_eq!(summaries[0], summaries[1]);
    assert!(summaries[0].1 > 3000);
}

#[test]
fn bad_architecture_keys_are_refused_with_the_key_named() {
    let cases = [
        ("[architecture]\nkind = \"ring\"\n", "architecture.kind"),
        (
            "[architecture]\nkind = \"offers\"\nconflicts = \"fine\"\n",
            "architecture.conflicts",
        ),
        (
            "[architecture]\nkind = \"shared-state\"\nstate = \"stateful\"\n",
            "architecture.state",
        ),
        (
            "[architecture]\nclass.batch = { t_job = 1 }\n",
            "architecture.class.batch",
        ),
        (
            "[architecture]\nkind = \"decentralized\"\nprobe_ratio = 0.5\n",
            "architecture.probe_ratio",
        ),
        (
            "[architecture]\nmax_attempts = 0\n",
            "architecture.max_attempts",
        ),
    ];
    for (extra, key) in cases {
        let text = format!("{BASE}\n{extra}");
        let err = simctl::config::parse(&text, Path::new("bad.toml"))
            .err()
            .unwrap_or_else(|| panic!("accepted: {extra}"))
            .to_string();
        assert!(err.contains(key), "{extra}: {err}");
    }
    let _ = NodeId(0);
}

#[test]
fn a_stateful_snapshot_is_stale_until_its_refresh() {
    // One Omega scheduler deciding in 1 s on a 1-core node. Task 0 (2 s) arrives at 0 s: the
    // snapshot taken at 0 s shows the node empty; it is placed at 1 s and ends at 3 s. Task 1
    // arrives at 1.5 s.
    // - Stateless: the decision at 1.5 s sees task 0 running and places nothing; the capacity
    //   freed at 3 s brings it back, and the decision from 3 s places it at 4 s.
    // - Stateful, refreshed every 100 s: the cache (taken at 0 s, with its own commit applied)
    //   shows the node full at 1.5 s and still at 3 s, so the task waits for the refresh at 100 s;
    //   that decision sees the node free and places it at 101 s.
    for (snapshot, start) in [
        (Snapshot::Stateless, 4.0),
        (
            Snapshot::Stateful {
                every: SimDuration::from_secs(100),
            },
            101.0,
        ),
    ] {
        let mut arch = spec(ArchKind::SharedState, &[("default", 1.0, 0.0)]);
        arch.snapshot = snapshot;
        let tasks = vec![task(0, 0, 0, 0.0, 2.0, 1.0), task(1, 1, 0, 1.5, 2.0, 1.0)];
        let run = drive(arch, &[(1, 1.0)], tasks, &[]);
        assert_eq!(start_s(&run, 0), 1.0, "{snapshot:?}");
        assert_eq!(start_s(&run, 1), start, "{snapshot:?}");
    }
}

#[test]
fn a_scheduler_serves_higher_priority_jobs_first_and_holds_tasks_until_their_not_before_time() {
    // One central scheduler deciding in 1 s, room for everything. At 0 s jobs A (priority 0),
    // B (0) and C (5) arrive in that order, and D (priority 9) arrives with a not-before time of
    // 2.5 s. The queue is served by priority, then arrival: C at 0-1 s, A at 1-2 s, B at 2-3 s;
    // D joins the queue at 2.5 s, ahead of nothing waiting, and is decided at 3-4 s.
    let arch = spec(ArchKind::Centralized, &[("default", 1.0, 0.0)]);
    let mut tasks = vec![
        task(0, 0, 0, 0.0, 10.0, 1.0),
        task(1, 1, 0, 0.0, 10.0, 1.0),
        task(2, 2, 0, 0.0, 10.0, 1.0),
        task(3, 3, 0, 0.0, 10.0, 1.0),
    ];
    tasks[2].priority = 5;
    tasks[3].priority = 9;
    tasks[3].not_before = Some(secs(2.5));
    let run = drive(arch, &[(1, 8.0)], tasks, &[]);
    let starts: Vec<f64> = (0..4).map(|id| start_s(&run, id)).collect();
    assert_eq!(starts, vec![2.0, 3.0, 1.0, 4.0]);
    // Without an architecture (zero decision time) the not-before time alone delays D.
    let mut d = task(0, 0, 0, 0.0, 10.0, 1.0);
    d.not_before = Some(secs(2.5));
    let run = drive(
        spec(ArchKind::Centralized, &[("default", 0.0, 0.0)]),
        &[(1, 8.0)],
        vec![d],
        &[],
    );
    assert_eq!(start_s(&run, 0), 2.5);
}

#[test]
fn validate_names_each_entrys_architecture_and_its_schedulers() {
    // scenarios/papers/omega.toml: two classes; Mesos has a framework and Omega a scheduler per
    // class, the monolithic entries one central scheduler.
    let out = common::simctl()
        .args(["validate", "scenarios/papers/omega.toml"])
        .output()
        .expect("simctl runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for line in [
        "scheduler multi-path: centralized architecture, schedulers central",
        "scheduler mesos: offers architecture, schedulers batch, service",
        "scheduler omega: shared-state architecture, schedulers batch, service",
    ] {
        assert!(text.contains(line), "missing \"{line}\" in:\n{text}");
    }
}

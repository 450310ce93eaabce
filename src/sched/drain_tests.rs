//! Every scheduler in the catalogue, driven by a minimal central-dispatch loop (exact estimates,
//! releases at expected ends, preempted tasks requeued), must run a random heterogeneous workload to
//! completion without ever over-allocating a node: no deadlock while waiting for reservations, no
//! task lost or placed twice.

use crate::cluster::Cluster;
use crate::cluster::NodeGroup;
use crate::ids::TaskId;
use crate::resources::Resources;
use crate::rng::{below, stream};
use crate::sched::{
    build_scheduler, DispatchMode, PendingTask, PlacementSpec, QueuePolicy, RunningTask,
    SchedulerSpec, Session,
};
use crate::time::{SimDuration, SimTime};

fn cluster() -> Cluster {
    let group = |i: usize, count, cores, speed| NodeGroup {
        name: format!("g{i}"),
        count,
        capacity: Resources::new(cores, 16 << 30, 100 << 30),
        speed,
        domain: format!("g{i}"),
        start_delay: None,
        power: None,
        gpu_model: None,
    };
    Cluster::new(&[
        group(0, 4, 4.0, 1.0),
        group(1, 2, 8.0, 2.0),
        group(2, 2, 2.0, 0.5),
    ])
}

fn workload(seed: u64) -> Vec<PendingTask> {
    let mut rng = stream(seed, "drain");
    (0..80)
        .map(|i| PendingTask {
            handle: i,
            id: TaskId(u64::from(i)),
            arrival: SimTime::ZERO + SimDuration::from_secs(u64::from(i / 4)),
            demand: Resources::new(
                0.5 * (1 + below(&mut rng, 8)) as f64,
                (1 + below(&mut rng, 8)) << 30,
                1 << 30,
            ),
            estimate: SimDuration::from_secs(1 + below(&mut rng, 60)),
            priority: below(&mut rng, 4) as i32,
            user: below(&mut rng, 3) as u32,
            deadline: (i % 3 != 0)
                .then(|| SimTime::ZERO + SimDuration::from_secs(below(&mut rng, 300))),
            attempt: 0,
        })
        .collect()
}

/// No schedule of `workload(seed)` on `cluster()` can finish before this: every task runs at most at
/// the fastest speed (2.0) after its arrival, and the cluster's 36 cores at that speed deliver at
/// most 72 core-seconds of work per second. A scheduler that dropped or double-counted a completion
/// would end below it.
fn makespan_lower_bound(seed: u64) -> SimTime {
    let tasks = workload(seed);
    let last_end = tasks
        .iter()
        .map(|t| t.arrival + t.estimate.scaled_by_speed(2.0))
        .max()
        .expect("a non-empty workload");
    let work: f64 = tasks
        .iter()
        .map(|t| t.demand.cpu_cores() * t.estimate.as_secs_f64())
        .sum();
    let cores: f64 = cluster()
        .nodes()
        .iter()
        .map(|n| n.capacity.cpu_cores())
        .sum();
    assert_eq!(cores, 36.0);
    last_end.max(SimTime::ZERO + SimDuration::from_secs_f64(work / (cores * 2.0)))
}

/// Runs `spec` until every task has completed; returns the makespan.
fn drain(spec: &SchedulerSpec, seed: u64) -> SimTime {
    let mut c = cluster();
    let mut scheduler = build_scheduler(spec, stream(seed, "scheduler"));
    let mut arrivals = workload(seed).into_iter().peekable();
    let (mut pending, mut running): (Vec<PendingTask>, Vec<RunningTask>) = (Vec::new(), Vec::new());
    let (mut now, mut completed, mut requeued_any) = (SimTime::ZERO, 0, false);
    for _ in 0..10_000 {
        // Preemption freed capacity at the last decision and put tasks back: retry everything.
        let mut freed = std::mem::take(&mut requeued_any);
        running.retain(|r| {
            let done = r.expected_end <= now;
            if done {
                c.release(r.node, &r.demand, r.gpus);
                completed += 1;
                freed = true;
            }
            !done
        });
        let first_new = pending.len();
        while arrivals.peek().is_some_and(|t| t.arrival <= now) {
            pending.push(arrivals.next().expect("peeked"));
        }
        let mut s = Session::new(
            now,
            DispatchMode::Central,
            &mut c,
            &pending,
            &running,
            first_new,
            freed || first_new == 0,
        );
        scheduler.schedule(&mut s);
        let d = s.into_decisions();
        c.assert_within_capacity();
        let mut requeued: Vec<PendingTask> = Vec::new();
        let mut preempted = d.preempted.clone();
        preempted.sort_unstable_by_key(|&a| std::cmp::Reverse(a));
        for r in preempted {
            let r = running.remove(r);
            let mut t = workload(seed)
                .into_iter()
                .find(|t| t.id == r.id)
                .expect("a known task");
            t.attempt += 1;
            requeued.push(t);
        }
        let mut assigned = d.assigned.clone();
        assigned.sort_unstable_by_key(|a| std::cmp::Reverse(a.0));
        for (i, node) in assigned {
            let t = pending.remove(i);
            running.push(RunningTask {
                handle: t.handle,
                id: t.id,
                node,
                demand: t.demand,
                gpus: crate::cluster::GpuSet::NONE,
                start: now,
                expected_end: now + t.estimate.scaled_by_speed(c.node(node).speed),
                priority: t.priority,
                user: t.user,
            });
        }
        requeued_any = !requeued.is_empty();
        pending.extend(requeued);
        if completed == 80 {
            return now;
        }
        let next_end = running.iter().map(|r| r.expected_end).min();
        let next_arrival = arrivals.peek().map(|t| t.arrival);
        now = match (next_end, next_arrival) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a
                .or(b)
                .unwrap_or_else(|| panic!("{}: stuck with {} queued", spec.name, pending.len())),
        };
    }
    panic!("{}: did not finish", spec.name)
}

#[test]
fn every_scheduler_runs_a_workload_to_completion() {
    let mut specs: Vec<SchedulerSpec> = PlacementSpec::names()
        .map(|name| SchedulerSpec {
            preempt: Default::default(),
            name: name.to_string(),
            queue: QueuePolicy::Fifo,
            placement: PlacementSpec::parse(name).expect("a listed name"),
        })
        .collect();
    for queue in [
        QueuePolicy::Priority,
        QueuePolicy::PreemptivePriority,
        QueuePolicy::Sjf,
        QueuePolicy::Edf,
        QueuePolicy::EasyBackfill,
        QueuePolicy::Drf,
    ] {
        for placement in [
            PlacementSpec::FirstFit,
            PlacementSpec::LeastAllocated,
            PlacementSpec::Mct,
        ] {
            specs.push(SchedulerSpec {
                preempt: Default::default(),
                name: format!("{queue:?}/{placement:?}"),
                queue,
                placement,
            });
        }
    }
    for spec in &specs {
        for seed in 1..=3 {
            let (makespan, bound) = (drain(spec, seed), makespan_lower_bound(seed));
            assert!(
                makespan >= bound,
                "{}: makespan {makespan} beats the lower bound {bound}: work went missing",
                spec.name
            );
        }
    }
}

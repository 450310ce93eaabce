use super::*;
use crate::rng::{below, stream};
use crate::sched::placement::test_support::{central_session, cluster, job, run_on};
use crate::sched::placement::FirstFit;
use crate::sched::RunningTask;

#[test]
fn backfills_only_what_ends_before_the_reservation() {
    // One 4-core node running 2 cores until t=10. Queue: A needs 4 cores for 5 s (the head; reserved
    // at t=10), B 2 cores for 20 s (would hold 2 cores past t=10 and delay A), C 2 cores for 10 s
    // (ends at t=10 exactly: backfilled), D 1 core (no room left now).
    let mut c = cluster(&[(1, 4.0)]);
    let running = [run_on(&mut c, 0, 2.0, 10)];
    let pending = [
        job(0, 4.0, 5),
        job(1, 2.0, 20),
        job(2, 2.0, 10),
        job(3, 1.0, 1),
    ];
    let mut s = central_session(&mut c, &pending, &running);
    EasyBackfill::new(Box::new(FirstFit)).schedule(&mut s);
    assert_eq!(s.into_decisions().assigned, vec![(2, NodeId(0))]);
}

#[test]
fn backfills_freely_on_nodes_other_than_the_reserved_one() {
    // Node 0 (4 cores) is full until t=10, node 1 (2 cores) idle. The head needs 4 cores: reserved on
    // node 0 at t=10. A long 2-core task may run on node 1 since it cannot delay node 0.
    let mut c = cluster(&[(1, 4.0), (1, 2.0)]);
    let running = [run_on(&mut c, 0, 4.0, 10)];
    let pending = [job(0, 4.0, 5), job(1, 2.0, 100)];
    let mut s = central_session(&mut c, &pending, &running);
    EasyBackfill::new(Box::new(FirstFit)).schedule(&mut s);
    assert_eq!(s.into_decisions().assigned, vec![(1, NodeId(1))]);
}

/// Earliest start of `task` over the nodes of `base` (which holds `running`) once the tasks
/// `started` (pending index, node) have also started at t=0.
fn earliest(
    base: &crate::cluster::Cluster,
    running: &[RunningTask],
    pending: &[PendingTask],
    started: &[(usize, NodeId)],
    task: &PendingTask,
) -> Option<SimTime> {
    let mut c = base.clone();
    let mut all = running.to_vec();
    for &(i, node) in started {
        c.allocate(node, &pending[i].demand).unwrap();
        all.push(RunningTask {
            handle: pending[i].handle,
            id: pending[i].id,
            node,
            demand: pending[i].demand,
            gpus: crate::cluster::GpuSet::NONE,
            start: SimTime::ZERO,
            expected_end: SimTime::ZERO + pending[i].estimate,
            priority: 0,
            user: 0,
        });
    }
    let s = Session::new(
        SimTime::ZERO,
        DispatchMode::Central,
        &mut c,
        &[],
        &all,
        0,
        true,
    );
    let mut store = ProfileStore::new();
    store.begin(SimTime::ZERO, DispatchMode::Central, s.cluster().len());
    let mut p = store.with(s.running_view());
    reservation(&mut p, &s, task).map(|(_, t)| t)
}

#[test]
fn never_delays_the_head_on_random_clusters() {
    let mut rng = stream(7, "easy");
    let mut heads = 0;
    for _ in 0..300 {
        let nodes = 1 + below(&mut rng, 4) as u32;
        let mut c = cluster(&[(nodes, 4.0)]);
        let mut running = Vec::new();
        for node in 0..nodes {
            let cores = below(&mut rng, 5) as f64;
            if cores > 0.0 {
                running.push(run_on(&mut c, node, cores, 1 + below(&mut rng, 30)));
            }
        }
        let pending: Vec<_> = (0..6)
            .map(|i| job(i, 1.0 + below(&mut rng, 4) as f64, 1 + below(&mut rng, 40)))
            .collect();
        let before = c.clone();
        let mut s = central_session(&mut c, &pending, &running);
        EasyBackfill::new(Box::new(FirstFit)).schedule(&mut s);
        let assigned = s.into_decisions().assigned;
        let Some(head) = (0..pending.len()).find(|&i| !assigned.iter().any(|(j, _)| *j == i))
        else {
            continue;
        };
        heads += 1;
        // The reservation was made once the tasks ahead of the head had started; the tasks started
        // after it (the backfilled ones) must leave the head's earliest start where it was.
        let ahead: Vec<_> = assigned
            .iter()
            .copied()
            .filter(|(i, _)| *i < head)
            .collect();
        let reserved = earliest(&before, &running, &pending, &ahead, &pending[head]);
        let after = earliest(&before, &running, &pending, &assigned, &pending[head]);
        assert_eq!(
            after, reserved,
            "backfilling delayed the head: {assigned:?}"
        );
    }
    assert!(
        heads > 100,
        "too few blocked heads to test anything: {heads}"
    );
}

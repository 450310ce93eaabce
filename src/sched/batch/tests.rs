use super::*;
use crate::sched::placement::test_support::{cluster, cluster_with_speeds, job};
use crate::time::SimTime;

/// Runs `rule` once under immediate dispatch and returns (task, node) in mapping order and the
/// makespan: single-core nodes run their tasks one after another, each estimate / speed long.
fn map(
    rule: BatchRule,
    c: &mut crate::cluster::Cluster,
    estimates: &[u64],
) -> (Vec<(usize, u32)>, f64) {
    let pending: Vec<_> = estimates
        .iter()
        .enumerate()
        .map(|(i, &e)| job(i as u32, 1.0, e))
        .collect();
    let mut s = Session::new(
        SimTime::ZERO,
        DispatchMode::Immediate,
        c,
        &pending,
        &[],
        0,
        true,
    );
    BatchScheduler::new(rule).schedule(&mut s);
    let speeds: Vec<f64> = s.cluster().nodes().iter().map(|n| n.speed).collect();
    let assigned = s.into_decisions().assigned;
    let mut busy = vec![0.0; speeds.len()];
    for &(i, node) in &assigned {
        busy[node.index()] += estimates[i] as f64 / speeds[node.index()];
    }
    let picks = assigned.iter().map(|&(i, n)| (i, n.0)).collect();
    (picks, busy.into_iter().fold(0.0, f64::max))
}

#[test]
fn max_min_beats_min_min_when_one_task_is_long() {
    // Two identical single-core machines M0, M1; tasks T0..T2 take 1 s, T3 takes 3 s.
    // Min-Min maps the short tasks first: T0->M0 (ct 1), T1->M1 (1), T2->M0 (2), then T3 goes to
    // M1 (1 + 3 = 4): makespan 4.
    // Max-Min maps T3 first: T3->M0 (3); then every short task's best is M1, at 1, 2, 3: T0, T1, T2
    // -> M1 (T2 ties M1 at 3 vs M0 at 4, M1 wins): makespan 3.
    let (picks, makespan) = map(BatchRule::MinMin, &mut cluster(&[(2, 1.0)]), &[1, 1, 1, 3]);
    assert_eq!(picks, vec![(0, 0), (1, 1), (2, 0), (3, 1)]);
    assert_eq!(makespan, 4.0);
    let (picks, makespan) = map(BatchRule::MaxMin, &mut cluster(&[(2, 1.0)]), &[1, 1, 1, 3]);
    assert_eq!(picks, vec![(3, 0), (0, 1), (1, 1), (2, 1)]);
    assert_eq!(makespan, 3.0);
}

#[test]
fn sufferage_serves_the_task_that_loses_most_without_its_best_node() {
    // M0 speed 1, M1 speed 2. T0 (2 s): 2 on M0, 1 on M1, sufferage 1. T1 (6 s): 6 or 3, sufferage 3.
    // Sufferage maps T1->M1 (3), then T0: M0 at 2 beats M1 at 3 + 1 = 4 -> makespan 3.
    // Min-Min maps T0->M1 (1) first, then T1: M1 at 1 + 3 = 4 beats M0 at 6 -> makespan 4.
    let speeds = [(1, 1.0, 1.0), (1, 1.0, 2.0)];
    let (picks, makespan) = map(
        BatchRule::Sufferage,
        &mut cluster_with_speeds(&speeds),
        &[2, 6],
    );
    assert_eq!(picks, vec![(1, 1), (0, 0)]);
    assert_eq!(makespan, 3.0);
    let (picks, makespan) = map(
        BatchRule::MinMin,
        &mut cluster_with_speeds(&speeds),
        &[2, 6],
    );
    assert_eq!(picks, vec![(0, 1), (1, 1)]);
    assert_eq!(makespan, 4.0);
}

#[test]
fn central_dispatch_starts_only_what_can_start_now() {
    // Same Min-Min plan on idle nodes under central dispatch: T0 and T1 start now on M0 and M1; T2
    // and T3 are planned behind them (reservations) and stay queued until the next decision point.
    let mut c = cluster(&[(2, 1.0)]);
    let pending: Vec<_> = [1, 1, 1, 3]
        .iter()
        .enumerate()
        .map(|(i, &e)| job(i as u32, 1.0, e))
        .collect();
    let mut s = Session::new(
        SimTime::ZERO,
        DispatchMode::Central,
        &mut c,
        &pending,
        &[],
        0,
        true,
    );
    BatchScheduler::new(BatchRule::MinMin).schedule(&mut s);
    assert_eq!(
        s.into_decisions().assigned,
        vec![(0, NodeId(0)), (1, NodeId(1))]
    );
}

#[test]
fn a_sample_as_large_as_the_cluster_maps_like_the_full_heuristic_and_a_small_one_stays_within_it() {
    // 40 tasks of random length on 12 nodes of three speeds, under immediate dispatch.
    use crate::rng::{below, stream};
    let mut rng = stream(21, "batch");
    let pending: Vec<_> = (0..40)
        .map(|i| job(i, 1.0, 1 + below(&mut rng, 50)))
        .collect();
    let speeds = [(4, 1.0, 0.5), (4, 1.0, 1.0), (4, 1.0, 2.0)];
    let run = |rule, sample: Option<u32>| {
        let mut c = cluster_with_speeds(&speeds);
        let mut s = Session::new(
            SimTime::ZERO,
            DispatchMode::Immediate,
            &mut c,
            &pending,
            &[],
            0,
            true,
        );
        let sampler = sample.map(|k| Sampler::new(k, stream(2, "sample")));
        BatchScheduler::new(rule)
            .with_sample(sampler)
            .schedule(&mut s);
        s.into_decisions().assigned
    };
    for rule in [BatchRule::MinMin, BatchRule::MaxMin, BatchRule::Sufferage] {
        assert_eq!(run(rule, Some(12)), run(rule, None), "{rule:?}");
        let small = run(rule, Some(3));
        assert_eq!(small.len(), 40, "{rule:?}: every task is mapped");
        assert_ne!(
            small,
            run(rule, None),
            "{rule:?}: 3 nodes of 12 should change the plan"
        );
    }
}

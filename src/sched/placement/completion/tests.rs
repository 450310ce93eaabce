use super::*;
use crate::sched::placement::test_support::{central_session, cluster_with_speeds, job, run_on};
use crate::sched::{DispatchMode, Session};

#[test]
fn mct_prefers_the_fast_node_and_waits_for_it_when_worth_it() {
    // Node 0: 1 core at speed 1; node 1: 1 core at speed 4. An 8 s task runs 8 s or 2 s.
    let mut c = cluster_with_speeds(&[(1, 1.0, 1.0), (1, 1.0, 4.0)]);
    let pending = [job(0, 1.0, 8)];
    let mut mct = CompletionTime::mct();
    let s = Session::new(
        SimTime::ZERO,
        DispatchMode::Central,
        &mut c,
        &pending,
        &[],
        0,
        true,
    );
    mct.begin(&s);
    assert_eq!(mct.choose(&pending[0], &s.view()), Some(NodeId(1)));
    drop(s);
    // Node 1 busy until t=3: it completes at 3 + 2 = 5 < 8 on node 0, so the task waits.
    let running = [run_on(&mut c, 1, 1.0, 3)];
    let s = central_session(&mut c, &pending, &running);
    mct.begin(&s);
    assert_eq!(mct.choose(&pending[0], &s.view()), None);
    drop(s);
    // Busy until t=10 instead: 12 > 8, the slow idle node wins.
    let running = [ending_at(&running[0], 10)];
    let s = central_session(&mut c, &pending, &running);
    mct.begin(&s);
    assert_eq!(mct.choose(&pending[0], &s.view()), Some(NodeId(0)));
}

fn ending_at(t: &crate::sched::RunningTask, secs: u64) -> crate::sched::RunningTask {
    crate::sched::RunningTask {
        expected_end: SimTime::ZERO + crate::time::SimDuration::from_secs(secs),
        ..t.clone()
    }
}

#[test]
fn mct_under_immediate_dispatch_books_node_availability() {
    // Braun's model: 8 s tasks on a speed-1 and a speed-4 single-core node. The fast node completes
    // them at 2, 4, 6; the fourth ties at 8 on both nodes and goes to the lowest id.
    let mut c = cluster_with_speeds(&[(1, 1.0, 1.0), (1, 1.0, 4.0)]);
    let pending: Vec<_> = (0..4).map(|i| job(i, 1.0, 8)).collect();
    let mut mct = CompletionTime::mct();
    let s = Session::new(
        SimTime::ZERO,
        DispatchMode::Immediate,
        &mut c,
        &pending,
        &[],
        0,
        true,
    );
    mct.begin(&s);
    let picks: Vec<u32> = pending
        .iter()
        .map(|t| mct.choose(t, &s.view()).unwrap().0)
        .collect();
    assert_eq!(picks, vec![1, 1, 1, 0]);
}

#[test]
fn kumar_sharma_skips_nodes_loaded_above_the_mean() {
    // Node 0 (speed 10) runs until t=10; nodes 1 and 2 (speed 1) are idle. A 100 s task completes at
    // 10 + 10 = 20 on node 0 and at 100 elsewhere, so MCT waits for node 0. Loads (ready times for
    // the task) are (10, 0, 0) s: mean 3.33, cut-off 1.2 * 3.33 = 4 s, so Kumar-Sharma excludes
    // node 0 and starts on node 1.
    let mut c = cluster_with_speeds(&[(1, 1.0, 10.0), (2, 1.0, 1.0)]);
    let running = [run_on(&mut c, 0, 1.0, 10)];
    let pending = [job(0, 1.0, 100)];
    let s = central_session(&mut c, &pending, &running);
    let mut mct = CompletionTime::mct();
    let mut ks = CompletionTime::kumar_sharma(0.2);
    mct.begin(&s);
    ks.begin(&s);
    assert_eq!(mct.choose(&pending[0], &s.view()), None);
    assert_eq!(ks.choose(&pending[0], &s.view()), Some(NodeId(1)));
}

use super::*;
use crate::sched::placement::test_support::{central, cluster, task};

#[test]
fn least_allocated_spreads_and_most_allocated_packs() {
    let mut c = cluster(&[(3, 4.0)]);
    c.allocate(NodeId(0), &task(3.0).demand).unwrap();
    c.allocate(NodeId(1), &task(1.0).demand).unwrap();
    let view = central(&c);
    let mut spread = ScorePlacement::new(vec![(ScoreFn::LeastAllocated, 1.0)]);
    let mut pack = ScorePlacement::new(vec![(ScoreFn::MostAllocated, 1.0)]);
    assert_eq!(spread.choose(&task(1.0), &view), Some(NodeId(2)));
    assert_eq!(pack.choose(&task(1.0), &view), Some(NodeId(0)));
    // A 2-core task no longer fits node 0: packing takes the fullest node that fits.
    assert_eq!(pack.choose(&task(2.0), &view), Some(NodeId(1)));
}

#[test]
fn weights_trade_one_score_against_another() {
    // Node 0 (4 cores, 3 used) versus node 1 (8 cores, empty), placing 1 core; memory and disk are
    // untouched, so least-allocated = (cpu free after + 1 + 1) / 3:
    //   best-fit:        node 0 leaves 0 cores -> 1/(1+0) = 1;  node 1 leaves 7 -> 1/8
    //   least-allocated: node 0 (0 + 2) / 3 = 0.667;            node 1 (7/8 + 2) / 3 = 0.958
    // weights 1 and 1: node 0 1.667 > node 1 1.083 -> node 0;
    // weights 1 and 4: node 0 1 + 2.667 = 3.667 < node 1 0.125 + 3.833 = 3.958 -> node 1.
    let mut c = cluster(&[(1, 4.0), (1, 8.0)]);
    c.allocate(NodeId(0), &task(3.0).demand).unwrap();
    let view = central(&c);
    let mut even = ScorePlacement::new(vec![
        (ScoreFn::BestFit, 1.0),
        (ScoreFn::LeastAllocated, 1.0),
    ]);
    let mut spread = ScorePlacement::new(vec![
        (ScoreFn::BestFit, 1.0),
        (ScoreFn::LeastAllocated, 4.0),
    ]);
    assert_eq!(even.choose(&task(1.0), &view), Some(NodeId(0)));
    assert_eq!(spread.choose(&task(1.0), &view), Some(NodeId(1)));
}

#[test]
fn max_utilisation_filter_rejects_nodes_that_would_run_hot() {
    let mut c = cluster(&[(2, 4.0)]);
    c.allocate(NodeId(0), &task(3.0).demand).unwrap();
    let view = central(&c);
    let mut pack = ScorePlacement::new(vec![(ScoreFn::MostAllocated, 1.0)]);
    assert_eq!(pack.choose(&task(1.0), &view), Some(NodeId(0)));
    let mut capped = ScorePlacement::new(vec![(ScoreFn::MostAllocated, 1.0)])
        .with_filters(vec![Filter::parse("max-utilisation:0.9").unwrap()]);
    assert_eq!(capped.choose(&task(1.0), &view), Some(NodeId(1)));
    assert!(Filter::parse("max-utilisation:1.5").is_err());
    assert!(Filter::parse("min-speed:2").is_err());
}

#[test]
fn sampling_scores_a_rotating_window_of_nodes() {
    // 400 identical empty nodes, 25%: each decision scores exactly 100 nodes starting where the last
    // stopped, so least-allocated (all tied) picks the first node of each window.
    let c = cluster(&[(400, 4.0)]);
    let view = central(&c);
    let mut p = ScorePlacement::new(vec![(ScoreFn::LeastAllocated, 1.0)]).with_sampling(Some(25));
    let picks: Vec<u32> = (0..5)
        .map(|_| p.choose(&task(1.0), &view).unwrap().0)
        .collect();
    assert_eq!(picks, vec![0, 100, 200, 300, 0]);
}

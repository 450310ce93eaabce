use super::*;
use crate::resources::Resources;
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

#[test]
fn epvm_avoids_driving_a_resource_towards_saturation() {
    // Node 0: cpu 2/4 used; node 1: cpu 1/4 and memory 1/4 used. Adding one core leaves the same mean
    // free fraction on both, (1/4 + 1 + 1)/3 = (2/4 + 3/4 + 1)/3 = 0.75, so least-allocated ties and
    // takes node 0. E-PVM with base 16 adds 16^0.75 - 16^0.5 = 4 on node 0 but 16^0.5 - 16^0.25 = 2
    // on node 1, and takes node 1.
    let mut c = cluster(&[(2, 4.0)]);
    c.allocate(NodeId(0), &task(2.0).demand).unwrap();
    c.allocate(NodeId(1), &Resources::new(1.0, 1 << 28, 0))
        .unwrap();
    let view = central(&c);
    let mut least = ScorePlacement::new(vec![(ScoreFn::LeastAllocated, 1.0)]);
    let mut epvm = ScorePlacement::new(vec![(ScoreFn::EPvm { base: 16 }, 1.0)]);
    assert_eq!(least.choose(&task(1.0), &view), Some(NodeId(0)));
    assert_eq!(epvm.choose(&task(1.0), &view), Some(NodeId(1)));
}

#[test]
fn balanced_allocation_and_dot_product_follow_the_shape_of_the_demand() {
    // Node 0 has used memory (1/2), node 1 cpu (2 of 4 cores). A cpu-only task: balanced-allocation
    // prefers node 0 (its cpu catches up with its memory), and so does Tetris alignment (node 0 has
    // all its cpu free: (1/4 * 1) vs (1/4 * 1/2)).
    let mut c = cluster(&[(2, 4.0)]);
    c.allocate(NodeId(0), &Resources::new(0.0, 1 << 29, 0))
        .unwrap();
    c.allocate(NodeId(1), &task(2.0).demand).unwrap();
    let view = central(&c);
    let mut balanced = ScorePlacement::new(vec![(ScoreFn::BalancedAllocation, 1.0)]);
    let mut tetris = ScorePlacement::new(vec![(ScoreFn::DotProduct, 1.0)]);
    assert_eq!(balanced.choose(&task(1.0), &view), Some(NodeId(0)));
    assert_eq!(tetris.choose(&task(1.0), &view), Some(NodeId(0)));
}

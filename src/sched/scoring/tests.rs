use super::*;
use crate::ids::NodeId;

fn node(cpu: u64, mem: u64, alloc_cpu: u64, alloc_mem: u64) -> Node {
    Node {
        id: NodeId(0),
        group: 0,
        capacity: Resources {
            cpu_milli: cpu,
            memory: mem,
            disk: 100,
            ..Resources::ZERO
        },
        allocated: Resources {
            cpu_milli: alloc_cpu,
            memory: alloc_mem,
            disk: 0,
            ..Resources::ZERO
        },
        speed: 1.0,
        schedulable: true,
        running: 0,
        queued: 0,
        changes: 0,
        gpus: crate::cluster::GpuSlots::new(0),
    }
}

fn demand(cpu: u64, mem: u64, disk: u64) -> Resources {
    Resources {
        cpu_milli: cpu,
        memory: mem,
        disk,
        ..Resources::ZERO
    }
}

#[test]
fn least_and_most_allocated_are_complements() {
    // 4 cores with 1 used, 8 GiB-units with 2 used, disk 100 free; place 1 core, 2 units, 50 disk.
    // After: cpu 2/4, mem 4/8, disk 50/100 -> utilisation 0.5 everywhere.
    let n = node(4000, 8, 1000, 2);
    let d = demand(1000, 2, 50);
    assert!((least_allocated(&n, &d) - 0.5).abs() < 1e-12);
    assert!((most_allocated(&n, &d) - 0.5).abs() < 1e-12);
    let emptier = node(4000, 8, 0, 0);
    assert!(least_allocated(&emptier, &d) > least_allocated(&n, &d));
    assert!(most_allocated(&emptier, &d) < most_allocated(&n, &d));
}

#[test]
fn balanced_allocation_penalises_spread_across_resources() {
    // Place 1 core + 1 memory unit (no disk). Node a: cpu 2/4 -> 3/4, mem 0/4 -> 1/4, disk 0:
    // utilisations (0.75, 0.25, 0) spread. Node b: cpu 1/4 -> 2/4, mem 1/4 -> 2/4, disk 0:
    // (0.5, 0.5, 0) less spread. Std of b: mean 1/3, var = (2*(1/6)^2 + (1/3)^2)/3 = 1/18.
    let a = node(4000, 4, 2000, 0);
    let b = node(4000, 4, 1000, 1);
    let d = demand(1000, 1, 0);
    assert!(balanced_allocation(&b, &d) > balanced_allocation(&a, &d));
    assert!((balanced_allocation(&b, &d) - (1.0 - (1.0f64 / 18.0).sqrt())).abs() < 1e-12);
}

#[test]
fn dot_product_prefers_the_node_whose_free_vector_matches_the_demand() {
    // A CPU-heavy task: node a has free CPU, node b free memory only.
    let a = node(4000, 4, 0, 3);
    let b = node(4000, 4, 3000, 0);
    let d = demand(1000, 0, 0);
    // a: (1/4 * 4/4) / 3 = 1/12; b: (1/4 * 1/4) / 3 = 1/48.
    assert!((dot_product(&a, &d) - 1.0 / 12.0).abs() < 1e-12);
    assert!((dot_product(&b, &d) - 1.0 / 48.0).abs() < 1e-12);
}

#[test]
fn epvm_cost_grows_exponentially_with_utilisation() {
    // Same 1-core increment on a node at 3/4 cpu versus one at 0: base 16.
    // busy: 16^1 - 16^0.75 = 16 - 8 = 8; idle: 16^0.25 - 16^0 = 2 - 1 = 1 (memory and disk unchanged).
    let busy = node(4000, 4, 3000, 0);
    let idle = node(4000, 4, 0, 0);
    let d = demand(1000, 0, 0);
    assert!((epvm_added_cost(&busy, &d, 16) - 8.0).abs() < 1e-9);
    assert!((epvm_added_cost(&idle, &d, 16) - 1.0).abs() < 1e-9);
    assert!(epvm_score(&idle, &d, 16) > epvm_score(&busy, &d, 16));
}

#[test]
fn fit_scores_order_nodes_by_cpu_left_over() {
    let tight = node(4000, 4, 3000, 0);
    let loose = node(8000, 4, 0, 0);
    let d = demand(1000, 0, 0);
    assert_eq!(cpu_left_cores(&tight, &d), 0.0);
    assert_eq!(cpu_left_cores(&loose, &d), 7.0);
    assert!(ScoreFn::BestFit.score(&tight, &d) > ScoreFn::BestFit.score(&loose, &d));
    assert!(ScoreFn::WorstFit.score(&tight, &d) < ScoreFn::WorstFit.score(&loose, &d));
}

#[test]
fn every_listed_name_parses() {
    for name in SCORE_NAMES {
        assert!(ScoreFn::parse(name).is_ok(), "{name}");
    }
    assert!(ScoreFn::parse("fastest").unwrap_err().contains("fastest"));
}

//! Random allocations and releases through [`Cluster`] with both in-node GPU choices: a share never
//! exceeds one GPU nor is split across two, whole GPUs are idle GPUs, the free shares always equal
//! capacity minus what is held, and everything returns to idle.

use super::*;
use crate::resources::GpuModels;
use crate::rng::{below, stream};

fn cluster(pick: GpuPick) -> Cluster {
    let group = |name: &str, count, gpus: u64, model: usize| NodeGroup {
        name: name.into(),
        count,
        capacity: Resources::new(16.0, 1 << 40, 0).with_gpu(gpus * 1000, GpuModels::only(model)),
        speed: 1.0,
        domain: name.into(),
        start_delay: None,
        power: None,
        gpu_model: Some(name.into()),
    };
    let mut c = Cluster::new(&[group("a", 3, 8, 0), group("b", 2, 2, 1)]);
    c.set_gpu_pick(pick);
    c
}

#[test]
fn shares_stay_on_one_gpu_and_the_books_balance() {
    for pick in [GpuPick::BestFit, GpuPick::LeastFragmentation] {
        let mut c = cluster(pick);
        let mut rng = stream(11, "cluster-gpu");
        // (node, demand, GPUs held)
        let mut held: Vec<(NodeId, Resources, GpuSet)> = Vec::new();
        for step in 0..30_000 {
            if held.is_empty() || below(&mut rng, 5) < 3 {
                let gpu = match below(&mut rng, 4) {
                    0 => (below(&mut rng, 4) + 1) * 1000,
                    1 => 0,
                    _ => below(&mut rng, 999) + 1,
                };
                let models = match below(&mut rng, 3) {
                    0 => GpuModels::only(below(&mut rng, 2) as usize),
                    _ => GpuModels::ANY,
                };
                let d = Resources::new(1.0, 0, 0).with_gpu(gpu, models);
                c.note_arrival(&d);
                let node = NodeId(below(&mut rng, c.len() as u64) as u32);
                let fits = d.fits_in(&c.node(node).free());
                match c.allocate(node, &d) {
                    Ok(set) => {
                        assert!(fits, "step {step}: allocated what did not fit");
                        match gpu {
                            0 => assert!(set.is_empty()),
                            g if g < 1000 => assert_eq!(set.len(), 1, "a share on one GPU"),
                            g => assert_eq!(set.len() as u64, g / 1000),
                        }
                        held.push((node, d, set));
                    }
                    Err(_) => assert!(!fits, "step {step}: refused what fits"),
                }
            } else {
                let i = below(&mut rng, held.len() as u64) as usize;
                let (node, d, set) = held.swap_remove(i);
                c.release(node, &d, set);
            }
            c.assert_within_capacity();
            if step % 97 == 0 {
                for n in c.nodes() {
                    for g in 0..n.gpus.count() {
                        let on_g: u64 = held
                            .iter()
                            .filter(|(id, _, s)| *id == n.id && s.0 & (1 << g) != 0)
                            .map(|(_, d, _)| d.gpu_milli.min(1000))
                            .sum();
                        assert!(on_g <= 1000, "GPU {g} of node {} over one GPU", n.id.0);
                        assert_eq!(u64::from(n.gpus.free()[g]), 1000 - on_g);
                    }
                }
            }
        }
        for (node, d, set) in held.drain(..) {
            c.release(node, &d, set);
        }
        assert!(c.nodes().iter().all(|n| n.gpus.idle() == n.gpus.count()));
    }
}

/// A model-restricted demand fits only nodes of an accepted model, and the free-capacity tree
/// agrees with a scan.
#[test]
fn models_restrict_placement_and_first_fit_agrees_with_a_scan() {
    let c = cluster(GpuPick::BestFit);
    let b_only = Resources::new(1.0, 0, 0).with_gpu(1000, GpuModels::only(1));
    assert_eq!(c.first_fit(&b_only), Some(NodeId(3)));
    let any = Resources::new(1.0, 0, 0).with_gpu(8000, GpuModels::ANY);
    assert_eq!(c.first_fit(&any), Some(NodeId(0)));
    let too_many_b = Resources::new(1.0, 0, 0).with_gpu(3000, GpuModels::only(1));
    assert_eq!(c.first_fit(&too_many_b), None);
    assert!(!c.fits_any_capacity(&too_many_b));
}

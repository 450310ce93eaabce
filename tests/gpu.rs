//! GPUs (issue 12): whole GPUs and shares of one GPU, GPU models, the GPU columns, and the refusals
//! of what cannot run. Values are derived by hand in each test's comment.

mod common;

use std::path::Path;

use common::{run_all, scenario};
use simctl::config;

/// A scenario with `nodes` (one or more `[[cluster.nodes]]` tables) and `workload` (the keys after
/// `[workload]`), first-fit, 100 s.
fn gpu_scenario(nodes: &str, workload: &str) -> String {
    format!(
        r#"
[scenario]
name = "gpu-test"
seed = 1
horizon = "100s"

{nodes}

[workload]
{workload}

[[scheduler]]
name = "ff"
placement = "first-fit"

[output]
timeseries = "10s"
"#
    )
}

const ONE_NODE_TWO_GPUS: &str = r#"[[cluster.nodes]]
count = 1
cpu = 8
memory = "8GiB"
gpu = 2
gpu_model = "A100""#;

/// Three 0.6-GPU tasks arrive at 1, 2 and 3 s on one node of two GPUs and never end. The first two
/// take one GPU each (0.4 left on each); the third would need 0.6 on one GPU and 0.8 free in total
/// does not help: it is never placed. The measurement window closes at the last arrival (3 s, the
/// workload is exhausted), so GPU utilisation is 0.6 (2 + 1) / (2 × 3) = 0.3. Every arrived task
/// asks for 0.6, so both 0.4 remainders are fragments: 0.8 of 2 GPUs = 0.4, all of the
/// unallocated share.
#[test]
fn a_share_is_never_split_across_gpus() {
    let text = gpu_scenario(
        ONE_NODE_TWO_GPUS,
        r#"arrival = { process = "constant", rate = 1 }
duration = "1000s"
cpu = 1
gpu = 0.6
max_tasks = 3"#,
    );
    let r = &run_all(&scenario(&text))[0];
    let g = r.summary.gpu.expect("GPU columns for a cluster with GPUs");
    assert_eq!(g.gpu_tasks, 3);
    assert_eq!(g.gpu_tasks_unplaced, 1);
    assert!((g.util_gpu - 0.3).abs() < 1e-12, "util_gpu {}", g.util_gpu);
    assert!(
        (g.gpu_frag_end - 0.4).abs() < 1e-12,
        "frag {}",
        g.gpu_frag_end
    );
    assert!((g.gpu_unallocated_end - 0.4).abs() < 1e-12);
    // The last sample: 1.8 of 2 GPUs arrived, 1.2 allocated.
    let last = r.samples.last().unwrap().gpu.unwrap();
    assert!((last.arrived_gpu - 0.9).abs() < 1e-12);
    assert!((last.util_gpu - 0.6).abs() < 1e-12);
}

/// Shares that fit together share a GPU: five 0.4 shares on two GPUs place four (two per GPU, 0.2
/// left on each) and leave the fifth waiting although 0.4 is free in total.
#[test]
fn shares_pack_onto_one_gpu_up_to_its_size() {
    let text = gpu_scenario(
        ONE_NODE_TWO_GPUS,
        r#"arrival = { process = "constant", rate = 1 }
duration = "1000s"
cpu = 1
gpu = 0.4
max_tasks = 5"#,
    );
    let g = run_all(&scenario(&text))[0].summary.gpu.unwrap();
    assert_eq!((g.gpu_tasks, g.gpu_tasks_unplaced), (5, 1));
    assert!((g.gpu_unallocated_end - 0.2).abs() < 1e-12);
}

/// Tasks that require an A100 wait for the one A100 GPU even though the T4 node (listed first,
/// so first-fit would take it) has four idle GPUs; tasks that accept either model use the T4s.
#[test]
fn a_required_model_is_honoured() {
    let nodes = r#"[[cluster.nodes]]
name = "t4"
count = 1
cpu = 8
memory = "8GiB"
gpu = 4
gpu_model = "T4"

[[cluster.nodes]]
name = "a100"
count = 1
cpu = 8
memory = "8GiB"
gpu = 1
gpu_model = "A100""#;
    let workload = |models: &str| {
        format!(
            "arrival = {{ process = \"constant\", rate = 1 }}\nduration = \"1000s\"\ncpu = 1\ngpu = 1\ngpu_model = {models}\nmax_tasks = 3"
        )
    };
    let strict = gpu_scenario(nodes, &workload(r#""A100""#));
    let g = run_all(&scenario(&strict))[0].summary.gpu.unwrap();
    assert_eq!((g.gpu_tasks, g.gpu_tasks_unplaced), (3, 2));
    let either = gpu_scenario(nodes, &workload(r#"["A100", "T4"]"#));
    let g = run_all(&scenario(&either))[0].summary.gpu.unwrap();
    assert_eq!((g.gpu_tasks, g.gpu_tasks_unplaced), (3, 0));
}

/// Whole GPUs need idle GPUs: with one GPU holding a 0.1 share, a 2-GPU task does not fit on a
/// 2-GPU node although 1.9 GPUs are free.
#[test]
fn whole_gpus_need_idle_gpus() {
    let text = gpu_scenario(
        ONE_NODE_TWO_GPUS,
        r#"arrival = { process = "constant", rate = 1 }
duration = "1000s"
cpu = 1

[[workload.class]]
name = "share"
gpu = 0.1
max_tasks = 1

[[workload.class]]
name = "pair"
arrival = { process = "constant", rate = 0.5 }
gpu = 2
max_tasks = 1"#,
    );
    let g = run_all(&scenario(&text))[0].summary.gpu.unwrap();
    assert_eq!((g.gpu_tasks, g.gpu_tasks_unplaced), (2, 1));
}

/// What cannot run is refused before any work, naming the key.
#[test]
fn impossible_gpu_settings_are_refused_with_the_key() {
    let cases: [(&str, &str, &str); 6] = [
        (ONE_NODE_TWO_GPUS, "gpu = 1.5", "workload.gpu"),
        (ONE_NODE_TWO_GPUS, "gpu = 0", "workload.gpu"),
        (ONE_NODE_TWO_GPUS, "gpu = 1\ngpu_model = \"H100\"", "H100"),
        (
            ONE_NODE_TWO_GPUS,
            "gpu_model = \"A100\"",
            "workload.gpu_model",
        ),
        (ONE_NODE_TWO_GPUS, "gpu = 3", "fits on no single node"),
        (
            "[[cluster.nodes]]\ncount = 1\ncpu = 8\nmemory = \"8GiB\"\ngpu = 17",
            "gpu = 1",
            "cluster.nodes[0].gpu",
        ),
    ];
    for (nodes, gpu, want) in cases {
        let text = gpu_scenario(
            nodes,
            &format!("arrival = {{ process = \"constant\", rate = 1 }}\nduration = \"1s\"\n{gpu}"),
        );
        let err = config::parse(&text, Path::new("t.toml"))
            .err()
            .unwrap_or_else(|| panic!("accepted: {gpu}"))
            .to_string();
        assert!(err.contains(want), "{gpu}: {err}");
    }
    let omega = gpu_scenario(
        ONE_NODE_TWO_GPUS,
        "arrival = { process = \"constant\", rate = 1 }\nduration = \"1s\"\ngpu = 1\n\n[architecture]\nkind = \"shared-state\"",
    );
    let err = config::parse(&omega, Path::new("t.toml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("do not place GPUs"), "{err}");
}

/// A cluster without GPUs has no GPU columns (outputs of older scenarios do not change).
#[test]
fn no_gpu_columns_without_gpus() {
    let text = gpu_scenario(
        "[[cluster.nodes]]\ncount = 1\ncpu = 8\nmemory = \"8GiB\"",
        "arrival = { process = \"constant\", rate = 1 }\nduration = \"1s\"",
    );
    let r = &run_all(&scenario(&text))[0];
    assert!(r.summary.gpu.is_none());
    assert!(r.samples.iter().all(|s| s.gpu.is_none()));
}

/// The bundled fragmentation study (the experiment of Weng et al., USENIX ATC 2023, on the trace
/// sample they published): FGD leaves fewer GPUs unallocated at the end than GPU best fit, the best
/// of the packing baselines in the paper's comparison, and than random placement. Replications are
/// paired (the same draws for every scheduler), so the test compares per-replication differences:
/// the mean difference must exceed 4 standard errors, and the standard error must be small enough
/// for that to mean something.
#[test]
fn fgd_leaves_fewer_gpus_unallocated_than_best_fit_on_the_gpu_trace() {
    let file = config::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/gpu-fragmentation.toml"
    )))
    .expect("the bundled study loads");
    let results = run_all(&file);
    let names: Vec<&str> = file
        .base()
        .schedulers
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    let unallocated = |name: &str| -> Vec<f64> {
        let s = names.iter().position(|n| *n == name).unwrap();
        let mut v: Vec<(u32, f64)> = results
            .iter()
            .filter(|r| r.spec.scheduler == s)
            .map(|r| {
                (
                    r.spec.replication,
                    r.summary.gpu.unwrap().gpu_unallocated_end,
                )
            })
            .collect();
        v.sort_by_key(|x| x.0);
        v.into_iter().map(|x| x.1).collect()
    };
    let fgd = unallocated("fgd");
    for other in ["best-fit", "random"] {
        let base = unallocated(other);
        let d: Vec<f64> = base.iter().zip(&fgd).map(|(b, f)| b - f).collect();
        let n = d.len() as f64;
        let mean = d.iter().sum::<f64>() / n;
        let se = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt();
        let base_mean = base.iter().sum::<f64>() / n;
        println!(
            "GPU-FRAG {other}: unallocated {:.4} vs fgd {:.4}: fgd leaves {:.1}% fewer (SE of the difference {:.5})",
            base_mean,
            base_mean - mean,
            100.0 * mean / base_mean,
            se
        );
        assert!(
            se < 0.005,
            "{other}: standard error {se} too large to judge"
        );
        assert!(
            mean > 4.0 * se,
            "{other}: difference {mean} within 4 SE ({se})"
        );
    }
}

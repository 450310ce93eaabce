//! Energy accounting (issue 12, power and energy): per-node power models, exact energy over the
//! measurement window, nodes that are down draw nothing, and scenarios without a model keep their
//! outputs.

mod common;

use common::{csv_header, run_all, run_quietly_into, scenario};
use simctl::sweep::RunResult;

/// One node of 2 cores with `power`; a 1-core task every 200 s (first at 200 s) running 100 s;
/// warm-up 150 s, horizon 850 s; `extra` is appended (e.g. a `[faults]` table).
fn one_node(power: &str, extra: &str) -> String {
    format!(
        r#"
[scenario]
name = "energy-one-node"
seed = 3
horizon = "850s"
warmup = "150s"

[[cluster.nodes]]
count = 1
cpu = 2
memory = "1GiB"
{power}

[workload]
arrival = {{ process = "constant", rate = 0.005 }}
duration = "100s"
cpu = 1
memory = "1MiB"

[[scheduler]]
name = "ff"
placement = "first-fit"

[output]
timeseries = "50s"
{extra}
"#
    )
}

fn only_run(text: &str) -> RunResult {
    let mut results = run_all(&scenario(text));
    assert_eq!(results.len(), 1, "test bug: one run expected");
    results.remove(0)
}

/// The cluster's power in the time-series sample at `t` seconds.
fn power_sample(r: &RunResult, t: f64) -> f64 {
    r.samples
        .iter()
        .find(|s| s.time_s == t)
        .and_then(|s| s.power_w)
        .unwrap_or_else(|| panic!("no power sample at {t} s"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

const LINEAR: &str = "power = { idle = 100, peak = 300 }";

#[test]
fn constant_utilisation_draws_idle_plus_the_dynamic_share_times_time() {
    // Window [150, 850] = 700 s. The node holds half its CPU (u = 0.5, 100 + 200 * 0.5 = 200 W)
    // during [200, 300], [400, 500], [600, 700] and [800, 850] (the last task is cut by the
    // horizon): 350 s; idle (100 W) the other 350 s.
    // Energy = 200 * 350 + 100 * 350 = 105,000 J = 0.0291666... kWh; mean power 105000 / 700 = 150 W;
    // 3 tasks completed in the window (at 300, 500, 700 s): 105000 / 3600 / 3 = 9.7222... Wh each.
    let r = only_run(&one_node(LINEAR, ""));
    let e = r.summary.energy.expect("a power model gives energy");
    assert!(close(e.energy_kwh, 105_000.0 / 3.6e6), "{e:?}");
    assert!(close(e.mean_power_w, 150.0), "{e:?}");
    assert!(
        close(e.energy_per_task_wh, 105_000.0 / 3600.0 / 3.0),
        "{e:?}"
    );
    // The time series: 200 W while a task runs (250 s), 100 W between tasks (350 s).
    let power_at = |t: f64| power_sample(&r, t);
    assert_eq!(power_at(250.0), 200.0);
    assert_eq!(power_at(350.0), 100.0);
}

#[test]
fn a_table_model_is_interpolated_piecewise_linearly() {
    // u = 0.5 lies between (0.25, 100 W) and (1, 250 W): 100 + 150 * 0.25 / 0.75 = 150 W; idle 60 W.
    // Same intervals as above: 150 * 350 + 60 * 350 = 73,500 J.
    let power = "power = { points = [[0.0, 60], [0.25, 100], [1.0, 250]] }";
    let e = only_run(&one_node(power, "")).summary.energy.unwrap();
    assert!(close(e.energy_kwh, 73_500.0 / 3.6e6), "{e:?}");
    assert!(close(e.mean_power_w, 105.0), "{e:?}");
}

#[test]
fn a_crashed_node_draws_nothing_while_down() {
    // The node crashes at 320 s (idle: the task of 200 s ended at 300 s) and is repaired 60 s later:
    // 60 s at 100 W fewer than without the crash, 105,000 - 6,000 = 99,000 J.
    let faults = r#"
[faults]
crashes = [{ at = "320s", node = 0, repair = "60s" }]
"#;
    let r = only_run(&one_node(LINEAR, faults));
    assert_eq!(r.summary.node_failures, 1);
    let e = r.summary.energy.unwrap();
    assert!(close(e.energy_kwh, 99_000.0 / 3.6e6), "{e:?}");
    assert_eq!(
        r.samples
            .iter()
            .find(|s| s.time_s == 350.0)
            .unwrap()
            .power_w,
        Some(0.0),
        "down at 350 s"
    );
}

#[test]
fn without_a_power_model_there_is_no_energy_and_no_new_column() {
    let dir = tempfile::tempdir().unwrap();
    for (name, power) in [("plain", ""), ("powered", LINEAR)] {
        let path = dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, one_node(power, "").replace("energy-one-node", name)).unwrap();
        run_quietly_into(dir.path(), &path);
    }
    let header = |name: &str, file: &str| csv_header(dir.path(), name, file);
    for column in ["energy_kwh", "energy_per_task_wh", "mean_power_w"] {
        assert!(!header("plain", "summary.csv").contains(column));
        assert!(header("powered", "summary.csv").contains(column));
    }
    assert!(!header("plain", "timeseries.csv").contains("power_w"));
    assert!(header("powered", "timeseries.csv").ends_with(",power_w"));
    assert!(only_run(&one_node("", "")).summary.energy.is_none());
}

/// scenarios/energy.toml's energy per (sweep point, scheduler), with its power line replaced and
/// every node kept on (its `power.off_after` axis reduced to "off": one sweep point per load).
fn bundled_energy(power: &str) -> Vec<(usize, usize, f64)> {
    let text = std::fs::read_to_string("scenarios/energy.toml").unwrap();
    let line = "power = { idle = 100, peak = 250 }";
    let axis = r#""power.off_after" = ["5m", "off"]"#;
    assert!(
        text.contains(line) && text.contains(axis),
        "scenarios/energy.toml changed its power line or its power.off_after axis"
    );
    let text = text
        .replace(line, power)
        .replace(axis, r#""power.off_after" = ["off"]"#);
    run_all(&scenario(&text))
        .iter()
        .map(|r| {
            let e = r.summary.energy.unwrap();
            (r.spec.point, r.spec.scheduler, e.energy_kwh)
        })
        .collect()
}

#[test]
fn packing_and_spreading_draw_the_same_energy_under_a_linear_model_but_not_a_concave_one() {
    // Linear: the cluster's power is N * idle + (peak - idle) * allocated / capacity whatever the
    // placement, and with one-core tasks both placements run the same tasks at the same times.
    let linear = bundled_energy("power = { idle = 100, peak = 250 }");
    // Concave (most of the dynamic power in the first 10% of load): spreading keeps every node on
    // the steep part of the curve; packing fills nodes to where the curve is flat.
    let concave = bundled_energy("power = { points = [[0, 100], [0.1, 200], [1, 250]] }");
    for point in 0..3 {
        let get = |rows: &[(usize, usize, f64)], sched: usize| {
            rows.iter()
                .find(|r| r.0 == point && r.1 == sched)
                .unwrap()
                .2
        };
        let (pack, spread) = (get(&linear, 0), get(&linear, 1));
        assert!(close(pack, spread), "point {point}: {pack} vs {spread} kWh");
        let (pack, spread) = (get(&concave, 0), get(&concave, 1));
        assert!(
            pack < spread * 0.99,
            "point {point}: packing {pack} kWh should draw less than spreading {spread} kWh"
        );
    }
}

#[test]
fn bad_power_keys_are_refused_naming_the_key() {
    let text = one_node("power = { idle = 300, peak = 100 }", "");
    let e = simctl::config::parse(&text, std::path::Path::new("t.toml")).unwrap_err();
    assert!(
        format!("{e:#}").contains("cluster.nodes[0].power.peak"),
        "{e:#}"
    );
}

/// One node of 2 cores and 2 GPUs with `power`, window [150, 850] s. Class `share`: a 1-core,
/// 0.5-GPU task every 200 s (first at 200 s) running 100 s. Class `whole`: one 1-core task holding
/// both GPUs, arriving at 512 s (rate 1/512, exact in binary) and running 50 s, in the gap between
/// the shares of [400, 500] and [600, 700].
fn one_gpu_node(power: &str) -> String {
    format!(
        r#"
[scenario]
name = "energy-gpu-node"
seed = 3
horizon = "850s"
warmup = "150s"

[[cluster.nodes]]
count = 1
cpu = 2
memory = "1GiB"
gpu = 2
{power}

[workload]
duration = "100s"
cpu = 1
memory = "1MiB"

[[workload.class]]
name = "share"
arrival = {{ process = "constant", rate = 0.005 }}
gpu = 0.5

[[workload.class]]
name = "whole"
arrival = {{ process = "constant", rate = 0.001953125 }}
duration = "50s"
gpu = 2
max_tasks = 1

[[scheduler]]
name = "ff"
placement = "first-fit"

[output]
timeseries = "50s"
"#
    )
}

const GPU_LINEAR: &str = "power = { idle = 100, peak = 300, gpu_idle = 30, gpu_peak = 300 }";

#[test]
fn the_gpu_term_adds_watts_per_gpu_linear_in_the_allocated_gpu_share() {
    // Window [150, 850] = 700 s. CPU part 100 + 200 u_cpu; GPU part 2 x (30 + 270 u_gpu).
    // - A share runs in [200, 300], [400, 500], [600, 700], [800, 850] (cut by the horizon): 350 s
    //   at u_cpu = 0.5 (200 W) and u_gpu = 0.5 / 2 = 0.25 (2 x (30 + 67.5) = 195 W): 395 W.
    // - The whole-GPU task runs in [512, 562]: 50 s at u_cpu = 0.5 (200 W), u_gpu = 1 (600 W): 800 W.
    // - Idle the other 300 s: 100 + 2 x 30 = 160 W.
    // Energy = 395 x 350 + 800 x 50 + 160 x 300 = 138,250 + 40,000 + 48,000 = 226,250 J
    // (CPU part 200 x 400 + 100 x 300 = 110,000 J; GPU part 195 x 350 + 600 x 50 + 60 x 300
    // = 116,250 J); mean power 226,250 / 700 W.
    let r = only_run(&one_gpu_node(GPU_LINEAR));
    let e = r.summary.energy.expect("a power model gives energy");
    assert!(close(e.energy_kwh, 226_250.0 / 3.6e6), "{e:?}");
    assert!(close(e.mean_power_w, 226_250.0 / 700.0), "{e:?}");
    let power_at = |t: f64| power_sample(&r, t);
    assert_eq!(power_at(250.0), 395.0);
    assert_eq!(power_at(350.0), 160.0);
    assert_eq!(power_at(550.0), 800.0);
}

#[test]
fn the_gpu_term_works_beside_a_table_and_gpus_draw_nothing_without_it() {
    // Table: u_cpu = 0.5 lies between (0.25, 100 W) and (1, 250 W): 150 W; idle 60 W. CPU part:
    // 150 x 400 + 60 x 300 = 78,000 J; GPU part as above, 116,250 J; total 194,250 J.
    let table =
        "power = { points = [[0.0, 60], [0.25, 100], [1.0, 250]], gpu_idle = 30, gpu_peak = 300 }";
    let e = only_run(&one_gpu_node(table)).summary.energy.unwrap();
    assert!(close(e.energy_kwh, 194_250.0 / 3.6e6), "{e:?}");
    // Without gpu_idle/gpu_peak the same node draws the CPU part only: 110,000 J.
    let e = only_run(&one_gpu_node(LINEAR)).summary.energy.unwrap();
    assert!(close(e.energy_kwh, 110_000.0 / 3.6e6), "{e:?}");
}

#[test]
fn bad_gpu_power_keys_are_refused_naming_the_key() {
    let parse = |text: &str| {
        let e = simctl::config::parse(text, std::path::Path::new("t.toml")).unwrap_err();
        format!("{e:#}")
    };
    let cases = [
        (
            "power = { idle = 100, peak = 300, gpu_idle = 30 }",
            "cluster.nodes[0].power.gpu_peak",
        ),
        (
            "power = { idle = 100, peak = 300, gpu_peak = 30 }",
            "cluster.nodes[0].power.gpu_idle",
        ),
        (
            "power = { idle = 100, peak = 300, gpu_idle = 300, gpu_peak = 30 }",
            "cluster.nodes[0].power.gpu_peak",
        ),
        (
            "power = { idle = 100, peak = 300, gpu_idle = -1, gpu_peak = 30 }",
            "cluster.nodes[0].power.gpu_idle",
        ),
    ];
    for (power, key) in cases {
        let e = parse(&one_gpu_node(power));
        assert!(e.contains(key), "{power}: {e}");
    }
    // A GPU term on a group without GPUs would never draw anything.
    let e = parse(&one_node(GPU_LINEAR, ""));
    assert!(e.contains("cluster.nodes[0].power.gpu_idle"), "{e}");
    assert!(e.contains("no GPUs"), "{e}");
}

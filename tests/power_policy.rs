//! Power management (issue 12): the `[power]` table switches idle nodes off and boots them for
//! queued work; energy per node group; carbon from a step series of intensities. Every expected
//! value is derived by hand in the test's comment; tolerances are floating-point (1e-9 relative).

mod common;

use common::{csv_header, run_all, run_quietly_into, scenario};
use simctl::sweep::RunResult;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn only_run(text: &str) -> RunResult {
    let mut results = run_all(&scenario(text));
    assert_eq!(results.len(), 1, "test bug: one run expected");
    results.remove(0)
}

/// `nodes` nodes of 2 cores (100 W idle, 300 W at full CPU); `tasks` one-core tasks of 100 s, one
/// every hour (the first at 3600 s); `power` is the `[power]` table's body; `extra` is appended.
fn cluster(nodes: u32, tasks: u32, power: &str, extra: &str) -> String {
    format!(
        r#"
[scenario]
name = "power-policy"
seed = 5
horizon = "4h"

[[cluster.nodes]]
count = {nodes}
cpu = 2
memory = "1GiB"
power = {{ idle = 100, peak = 300 }}

[workload]
arrival = {{ process = "constant", rate = 0.000277777777777777777 }}
max_tasks = {tasks}
duration = "100s"
cpu = 1
memory = "1MiB"

[[scheduler]]
name = "ff"
placement = "first-fit"

[power]
{power}

[output]
timeseries = "300s"
{extra}
"#
    )
}

fn nodes_on_at(r: &RunResult, t: f64) -> u64 {
    r.samples
        .iter()
        .find(|s| s.time_s == t)
        .and_then(|s| s.nodes_on)
        .unwrap_or_else(|| panic!("no nodes_on sample at {t} s"))
}

#[test]
fn idle_nodes_switch_off_after_off_after_and_draw_nothing_from_then_on() {
    // 3 idle nodes, off_after 600 s, no work until the single task at 3600 s (when the workload is
    // exhausted and the measurement window closes). Each node draws 100 W on [0, 600] and 0 W
    // after: energy = 3 x 100 W x 600 s = 180,000 J = 0.05 kWh exactly.
    let r = only_run(&cluster(3, 1, r#"off_after = "10m""#, ""));
    let e = r.summary.energy.unwrap();
    assert!(close(e.energy_kwh, 180_000.0 / 3.6e6), "{e:?}");
    let counts = r.summary.power.unwrap();
    assert_eq!(counts.power_offs, 3, "every node switched off at 600 s");
    assert_eq!(counts.boots, 1, "one node booted for the task at 3600 s");
    assert_eq!(r.summary.node_failures, 0, "switching off is not a crash");
    assert_eq!(nodes_on_at(&r, 300.0), 3);
    assert_eq!(nodes_on_at(&r, 900.0), 0);
    assert_eq!(
        r.samples
            .iter()
            .find(|s| s.time_s == 900.0)
            .unwrap()
            .power_w,
        Some(0.0)
    );
}

#[test]
fn min_on_keeps_nodes_on() {
    // As above with min_on = 2: only one node switches off; 100 W x (3 x 600 + 2 x 3000) s
    // = 780,000 J.
    let r = only_run(&cluster(3, 1, "off_after = \"10m\"\nmin_on = 2", ""));
    assert!(close(
        r.summary.energy.unwrap().energy_kwh,
        780_000.0 / 3.6e6
    ));
    assert_eq!(r.summary.power.unwrap().power_offs, 1);
    assert_eq!(nodes_on_at(&r, 900.0), 2);
}

#[test]
fn a_boot_delays_the_start_by_the_boot_time_and_draws_idle_power_meanwhile() {
    // off_after 0: both nodes are off from time 0. Task 1 arrives at 3600 s, node 0 (lowest id)
    // boots for 120 s at 100 W, the task runs on it [3720, 3820] at u = 0.5 (200 W), then node 0
    // is idle and off at once. Task 2 arrives at 7200 s (the window's end) and waits for another
    // boot. Both tasks wait exactly 120 s. Energy in [0, 7200]: 100 x 120 + 200 x 100 = 32,000 J.
    let r = only_run(&cluster(2, 2, "off_after = 0\nboot = \"2m\"", ""));
    assert_eq!(r.summary.tasks_completed, 2);
    assert_eq!(r.summary.mean_wait_s, 120.0);
    assert!(close(
        r.summary.energy.unwrap().energy_kwh,
        32_000.0 / 3.6e6
    ));
    let counts = r.summary.power.unwrap();
    assert_eq!(counts.boots, 2);
    // Two at time 0, node 0 again at 3820 s.
    assert_eq!(counts.power_offs, 3);
}

#[test]
fn waiting_tasks_are_packed_onto_as_few_boots_as_hold_them() {
    // Three one-core tasks (one job) arrive together at 3600 s on three 2-core nodes, all off:
    // the first boots node 0 and claims one of its cores, the second claims the other, the third
    // boots node 1. All three start at 3720 s (wait 120 s); node 2 stays off.
    let text = cluster(3, 3, "off_after = 0\nboot = \"2m\"", "")
        .replace("max_tasks = 3", "max_tasks = 3\ntasks_per_job = 3");
    let r = only_run(&text);
    assert_eq!(r.summary.tasks_completed, 3);
    assert_eq!(r.summary.power.unwrap().boots, 2);
    // No node is on before 3720 s, so every wait is at least 120 s: a mean of 120 s means all.
    assert_eq!(r.summary.mean_wait_s, 120.0);
}

#[test]
fn a_crash_during_a_boot_aborts_it_and_another_node_boots() {
    // As above, but node 0 crashes at 3650 s (mid-boot) for 60 s: its boot is aborted (it drew
    // 100 W on [3600, 3650]), node 1 boots at 3650 s and takes task 1 at 3770 s (wait 170 s),
    // running it to 3870 s (then off). Node 0 is repaired at 3710 s, still off. Task 2 at 7200 s
    // boots node 0 again (lowest id, up): wait 120 s. Energy in [0, 7200]:
    // 100 x 50 + 100 x 120 + 200 x 100 = 37,000 J; mean wait (170 + 120) / 2 = 145 s.
    let faults = r#"
[faults]
crashes = [{ at = "3650s", node = 0, repair = "60s" }]
"#;
    let r = only_run(&cluster(2, 2, "off_after = 0\nboot = \"2m\"", faults));
    assert_eq!(r.summary.tasks_completed, 2);
    assert_eq!(r.summary.node_failures, 1);
    assert_eq!(r.summary.mean_wait_s, 145.0);
    assert!(close(
        r.summary.energy.unwrap().energy_kwh,
        37_000.0 / 3.6e6
    ));
    assert_eq!(r.summary.power.unwrap().boots, 3);
}

#[test]
fn carbon_is_energy_times_a_constant_intensity_and_sums_a_step_series() {
    let dir = tempfile::tempdir().unwrap();
    let run = |csv: &str| {
        std::fs::write(dir.path().join("grid.csv"), csv).unwrap();
        let text = cluster(3, 1, "off_after = \"10m\"\ncarbon = \"grid.csv\"", "");
        let file = simctl::config::parse(&text, &dir.path().join("s.toml")).unwrap();
        let mut r = run_all(&file);
        r.remove(0).summary
    };
    // Constant 400 g/kWh: carbon = 400 x 0.05 kWh = 20 g.
    let s = run("time,g_co2_per_kwh\n0,400\n");
    let e = s.energy.unwrap().energy_kwh;
    assert!(close(s.carbon_g.unwrap(), 400.0 * e), "{s:?}");
    assert!(close(s.carbon_g.unwrap(), 20.0));
    // 100 g/kWh on [0, 300 s), 500 from 5 min on: the 300 W cluster draws 0.025 kWh in each half
    // of [0, 600]: 0.025 x 100 + 0.025 x 500 = 15 g (nothing after 600 s: the nodes are off).
    let s = run("time,g_co2_per_kwh\n0,100\n5m,500\n2h,9999\n");
    assert!(close(s.carbon_g.unwrap(), 15.0), "{:?}", s.carbon_g);
}

#[test]
fn energy_per_group_sums_to_the_total() {
    // Group "a" (node 0, 100-300 W linear) takes every task (first-fit); group "b" (node 1, a
    // table with 60 W idle) stays idle. Window [150, 850]: node 0 draws 200 W for 350 s and 100 W
    // for 350 s = 105,000 J; node 1 draws 60 W for 700 s = 42,000 J.
    let text = r#"
[scenario]
name = "groups"
seed = 3
horizon = "850s"
warmup = "150s"

[[cluster.nodes]]
name = "a"
count = 1
cpu = 2
memory = "1GiB"
power = { idle = 100, peak = 300 }

[[cluster.nodes]]
name = "b"
count = 1
cpu = 2
memory = "1GiB"
power = { points = [[0, 60], [1, 250]] }

[workload]
arrival = { process = "constant", rate = 0.005 }
duration = "100s"
cpu = 1
memory = "1MiB"

[[scheduler]]
name = "ff"
placement = "first-fit"
"#;
    let s = only_run(text).summary;
    let groups = &s.energy_groups;
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].0, "a");
    assert!(close(groups[0].1, 105_000.0 / 3.6e6), "{groups:?}");
    assert!(close(groups[1].1, 42_000.0 / 3.6e6), "{groups:?}");
    let total = s.energy.unwrap().energy_kwh;
    assert!(
        close(groups[0].1 + groups[1].1, total),
        "{groups:?} vs {total}"
    );
    assert!(s.power.is_none() && s.carbon_g.is_none());
}

#[test]
fn columns_appear_only_with_their_tables() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("grid.csv"), "time,g_co2_per_kwh\n0,300\n").unwrap();
    let plain = cluster(2, 1, "", "").replace("[power]\n", "");
    let managed = cluster(2, 1, "off_after = \"10m\"\ncarbon = \"grid.csv\"", "");
    for (name, text) in [("plain", plain), ("managed", managed)] {
        let path = dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, text.replace("power-policy", name)).unwrap();
        run_quietly_into(dir.path(), &path);
    }
    let header = |name: &str, file: &str| csv_header(dir.path(), name, file);
    let plain = header("plain", "summary.csv");
    assert!(
        plain.ends_with(",mean_power_w,energy_kwh_group-0"),
        "{plain}"
    );
    let managed = header("managed", "summary.csv");
    assert!(
        managed.ends_with(",energy_kwh_group-0,power_offs,boots,carbon_g"),
        "{managed}"
    );
    assert!(header("plain", "timeseries.csv").ends_with(",power_w"));
    assert!(header("managed", "timeseries.csv").ends_with(",power_w,nodes_on"));
}

#[test]
fn bad_power_tables_are_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.csv"),
        "time,g_co2_per_kwh\n0,100\n10m,x\n",
    )
    .unwrap();
    let no_model =
        cluster(2, 1, "off_after = \"10m\"", "").replace("power = { idle = 100, peak = 300 }", "");
    let cases = [
        (no_model, "power"),
        (cluster(2, 1, "off_after = \"-5s\"", ""), "power.off_after"),
        (cluster(2, 1, "off_after = \"soon\"", ""), "power.off_after"),
        (cluster(2, 1, "boot = \"-1m\"", ""), "power.boot"),
        (cluster(2, 1, "min_on = 3", ""), "power.min_on"),
        (cluster(2, 1, "of_after = \"10m\"", ""), "power.of_after"),
        (
            cluster(2, 1, "carbon = \"missing.csv\"", ""),
            "power.carbon",
        ),
        (
            cluster(2, 1, "off_after = \"1m\"", "")
                .replace("max_tasks = 1", "max_tasks = 1\ndispatch = \"immediate\""),
            "power.off_after",
        ),
    ];
    for (text, key) in cases {
        let e = simctl::config::parse(&text, &dir.path().join("s.toml")).unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains(key), "expected {key} in: {msg}");
    }
    // A bad carbon file: the file and the line are named before any run starts.
    let text = cluster(2, 1, "carbon = \"bad.csv\"", "");
    let msg = format!(
        "{:#}",
        simctl::config::parse(&text, &dir.path().join("s.toml")).unwrap_err()
    );
    assert!(msg.contains("bad.csv") && msg.contains("line 3"), "{msg}");
}

#[test]
fn the_bundled_study_saves_energy_by_packing_and_switching_off_at_low_load_only() {
    // scenarios/energy.toml: {pack, spread} x load {0.19, 0.47, 0.80} x off_after {off, 5m}.
    // Expected (see the scenario's comment): with every node on, packing and spreading draw the
    // same energy (linear model); with power-off, packing at the lowest load keeps ~3 of the 8
    // nodes on, so it draws well under 60% of the always-on energy (the idle share alone is
    // 800 W of ~1020 W), while spreading touches every node within 5 minutes and never switches
    // one off; at load 0.80 every node stays busy and nothing changes.
    let text = std::fs::read_to_string("scenarios/energy.toml").unwrap();
    let file = scenario(&text);
    let results = run_all(&file);
    let text_of = simctl::config::sweep::value_text;
    let get = |sched: &str, rate: &str, off: &str| {
        let r = results
            .iter()
            .find(|r| {
                let values = &file.points[r.spec.point].values;
                file.points[r.spec.point].scenario.schedulers[r.spec.scheduler].name == sched
                    && r.spec.replication == 0
                    && text_of(&values[0].1) == rate
                    && text_of(&values[1].1) == off
            })
            .unwrap_or_else(|| panic!("no run {sched} {rate} {off}"));
        (
            r.summary.energy.unwrap().energy_kwh,
            r.summary.power.unwrap(),
        )
    };
    let (pack_on, _) = get("pack", "0.4", "off");
    let (pack_off, counts) = get("pack", "0.4", "5m");
    assert!(pack_off < 0.6 * pack_on, "{pack_off} vs {pack_on} kWh");
    assert!(counts.boots > 0 && counts.power_offs > 0);
    for rate in ["0.4", "1.0", "1.7"] {
        let (spread_on, _) = get("spread", rate, "off");
        let (spread_off, counts) = get("spread", rate, "5m");
        assert!(close(spread_on, spread_off), "rate {rate}");
        assert_eq!(counts.power_offs, 0, "rate {rate}");
    }
    let (pack_on, _) = get("pack", "1.7", "off");
    let (pack_off, _) = get("pack", "1.7", "5m");
    assert!(close(pack_on, pack_off), "{pack_on} vs {pack_off}");
}

//! Sweeps that stop and start again, or run on several machines, end with exactly the files of one
//! uninterrupted run; and every bundled scenario produces valid plots.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::simctl;

/// 2 arrival rates x 2 schedulers x 10 replications = 40 short runs.
const SWEEP: &str = r#"
[scenario]
name = "sweep"
seed = 31
horizon = "6h"
warmup = "10m"
replications = 10
[[cluster.nodes]]
count = 6
cpu = 4
memory = "16GiB"
[workload]
arrival = { process = "poisson", rate = 0.5 }
duration = { dist = "lognormal", mean = "30s", std = "60s" }
cpu = { dist = "choice", values = [1, 2] }
memory = "2GiB"
[[scheduler]]
name = "ff"
placement = "first-fit"
[[scheduler]]
name = "p2"
placement = "power-of-d"
[sweep]
"workload.arrival.rate" = [0.3, 0.6]
[output]
tasks_csv = true
timeseries = "10m"
plots = false
"#;

fn write_scenario(dir: &Path) -> PathBuf {
    let path = dir.join("sweep.toml");
    std::fs::write(&path, SWEEP).unwrap();
    path
}

fn run(args: &[&str], scenario: &Path, out: &Path) {
    let o = simctl()
        .arg("run")
        .args(args)
        .arg("--quiet")
        .arg("--out")
        .arg(out)
        .arg(scenario)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Every result file except the wall-clock ones, with summary.csv's wall_s column removed.
fn comparable(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for f in [
        "summary.csv",
        "quantiles.csv",
        "timeseries.csv",
        "tasks.csv",
        "runs.json",
        "compare.csv",
    ] {
        let bytes =
            std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{}/{f}: {e}", dir.display()));
        let bytes = if f == "summary.csv" || f == "compare.csv" {
            drop_wall(&bytes)
        } else {
            bytes
        };
        out.push((f.to_string(), bytes));
    }
    out
}

fn drop_wall(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let header: Vec<&str> = text.lines().next().unwrap_or("").split(',').collect();
    match header.iter().position(|h| *h == "wall_s") {
        Some(i) => text
            .lines()
            .map(|l| {
                l.split(',')
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, c)| c)
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes(),
        // compare.csv is tidy (one metric per row): drop the wall_s rows.
        None => text
            .lines()
            .filter(|l| !l.contains(",wall_s,"))
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes(),
    }
}

fn assert_same(a: &Path, b: &Path) {
    for ((f, x), (_, y)) in comparable(a).into_iter().zip(comparable(b)) {
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

fn merge(out: &Path, dirs: &[PathBuf]) -> std::process::Output {
    simctl()
        .arg("merge")
        .arg("--out")
        .arg(out)
        .args(dirs)
        .output()
        .unwrap()
}

#[test]
fn merge_takes_the_shards_out_dirs_and_writes_out_slash_scenario_like_run() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write_scenario(tmp.path());
    run(&[], &scenario, &tmp.path().join("whole"));
    for k in 1..=3 {
        run(
            &["--shard", &format!("{k}/3")],
            &scenario,
            &tmp.path().join(format!("shard{k}")),
        );
    }
    let shard = |k: usize| tmp.path().join(format!("shard{k}"));
    // The shards' --out directories, as given to `run`: results land in merged/<scenario>/.
    let o = merge(&tmp.path().join("merged"), &[shard(1), shard(2), shard(3)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_same(
        &tmp.path().join("whole/sweep"),
        &tmp.path().join("merged/sweep"),
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("merged/sweep"));
    // The scenario directories inside them work too, mixed with --out directories.
    let o = merge(
        &tmp.path().join("mixed"),
        &[shard(1).join("sweep"), shard(2), shard(3).join("sweep")],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_same(
        &tmp.path().join("whole/sweep"),
        &tmp.path().join("mixed/sweep"),
    );
    // A missing shard is refused, naming the gap.
    let o = merge(&tmp.path().join("partial"), &[shard(1), shard(3)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is in none of the shard directories"));
}

#[test]
fn merge_refuses_a_shard_dir_holding_several_scenarios() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write_scenario(tmp.path());
    let other = tmp.path().join("other.toml");
    std::fs::write(
        &other,
        SWEEP.replace("name = \"sweep\"", "name = \"other\""),
    )
    .unwrap();
    let base = tmp.path().join("shard1");
    run(&["--shard", "1/2"], &scenario, &base);
    run(&["--shard", "1/2"], &other, &base);
    let o = merge(&tmp.path().join("merged"), std::slice::from_ref(&base));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("ambiguous")
            && err.contains(&base.join("other").display().to_string())
            && err.contains(&base.join("sweep").display().to_string()),
        "{err}"
    );
    assert!(!tmp.path().join("merged").exists(), "nothing written");
    // Naming the scenario directory settles it (and then only the missing shard is reported).
    let o = merge(&tmp.path().join("merged"), &[base.join("other")]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("is in none of the shard directories"));
}

/// Records finished so far in a results directory.
fn recorded(dir: &Path) -> usize {
    std::fs::read_dir(dir.join(".runs"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    n.starts_with("run-") && n.ends_with(".json")
                })
                .count()
        })
        .unwrap_or(0)
}

/// Starts a run, stops it with `signal` once `after` records exist, and returns the exit status.
fn interrupt(scenario: &Path, out: &Path, signal: &str, after: usize) -> std::process::ExitStatus {
    let mut child = simctl()
        .args(["run", "--quiet", "--jobs", "2", "--out"])
        .arg(out)
        .arg(scenario)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let dir = out.join("sweep");
    for _ in 0..2000 {
        if recorded(&dir) >= after || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Command::new("kill")
        .arg(signal)
        .arg(child.id().to_string())
        .status()
        .unwrap();
    child.wait().unwrap()
}

#[test]
fn resume_after_a_kill_equals_the_full_run() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write_scenario(tmp.path());
    run(&[], &scenario, &tmp.path().join("whole"));
    // Kill -9 at several points; each time the run must be unfinished, and --resume must complete
    // it to the same files.
    let mut partial_kills = 0;
    for (i, after) in [3usize, 11, 23, 35].into_iter().enumerate() {
        let out = tmp.path().join(format!("killed{i}"));
        interrupt(&scenario, &out, "-KILL", after);
        let done = recorded(&out.join("sweep"));
        if done < 40 && !out.join("sweep/summary.csv").exists() {
            partial_kills += 1;
        }
        run(&["--resume"], &scenario, &out);
        assert_same(&tmp.path().join("whole/sweep"), &out.join("sweep"));
    }
    assert!(
        partial_kills >= 2,
        "the kills should have caught the run in progress"
    );
}

#[test]
fn ctrl_c_stops_cleanly_and_resume_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write_scenario(tmp.path());
    run(&[], &scenario, &tmp.path().join("whole"));
    let out = tmp.path().join("interrupted");
    let status = interrupt(&scenario, &out, "-INT", 5);
    let dir = out.join("sweep");
    // 40 runs take far longer than reaching 5 records: the signal lands mid-sweep.
    assert_eq!(status.code(), Some(1), "an interrupted run exits 1");
    assert!(
        recorded(&dir) < 40,
        "the interrupt should stop new runs from starting"
    );
    assert!(
        !dir.join("summary.csv").exists(),
        "no result file after an interrupt"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert!(
        leftovers.iter().all(|n| n == ".runs"),
        "only run records may remain: {leftovers:?}"
    );
    // A plain rerun would discard the recorded runs: it refuses and says how to keep them.
    let o = simctl()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(&scenario)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("rerun with --resume"));
    run(&["--resume"], &scenario, &out);
    assert_same(&tmp.path().join("whole/sweep"), &dir);
}

#[test]
fn resume_refuses_records_of_another_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write_scenario(tmp.path());
    run(&["--shard", "1/2"], &scenario, tmp.path());
    let o = simctl()
        .args(["run", "--quiet", "--resume", "--seed", "999", "--out"])
        .arg(tmp.path())
        .arg(&scenario)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("different scenario or seed"));
}

#[test]
fn rerun_without_resume_refuses_to_discard_recorded_runs_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = write_scenario(tmp.path());
    run(&[], &scenario, &tmp.path().join("whole"));
    // Half the runs recorded, as an interrupt (or a shard) leaves them.
    let out = tmp.path().join("out");
    run(&["--shard", "1/2"], &scenario, &out);
    let dir = out.join("sweep");
    assert_eq!(recorded(&dir), 20);
    // Another scenario listed first: the refusal comes before it runs, too.
    let other = tmp.path().join("other.toml");
    std::fs::write(
        &other,
        SWEEP.replace("name = \"sweep\"", "name = \"other\""),
    )
    .unwrap();
    let o = simctl()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(&other)
        .arg(&scenario)
        .output()
        .unwrap();
    assert!(
        !out.join("other").exists(),
        "nothing may run before the refusal"
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("20 run(s) of this scenario, of 40 in all")
            && err.contains("--resume")
            && err.contains("--force"),
        "{err}"
    );
    assert_eq!(recorded(&dir), 20, "the records must be left alone");
    run(&["--force"], &scenario, &out);
    assert_same(&tmp.path().join("whole/sweep"), &dir);
    assert!(
        !dir.join(".runs").exists(),
        "a finished run removes its records"
    );
}

#[test]
fn output_dir_dot_never_deletes_files_simctl_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let text = SWEEP.replace("plots = false", "plots = false\ndir = \".\"");
    std::fs::write(tmp.path().join("sweep.toml"), text).unwrap();
    // The user's own .runs/ with unrelated files, one of them named like a record.
    let runs = tmp.path().join(".runs");
    std::fs::create_dir(&runs).unwrap();
    std::fs::write(runs.join("notes.txt"), "mine").unwrap();
    std::fs::write(runs.join("run-000099.tasks.csv"), "not,a,task,part\n").unwrap();
    let simctl_in_tmp = |args: &[&str]| {
        let o = simctl()
            .current_dir(tmp.path())
            .arg("run")
            .args(args)
            .args(["--quiet", "sweep.toml"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    simctl_in_tmp(&["--shard", "2/2"]);
    let err = simctl_in_tmp(&["--force"]);
    assert!(err.contains("holds files simctl did not write"), "{err}");
    assert!(tmp.path().join("summary.csv").exists());
    assert_eq!(
        std::fs::read_to_string(runs.join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(runs.join("run-000099.tasks.csv").exists());
    assert_eq!(recorded(tmp.path()), 0, "simctl's own records are gone");
    assert_eq!(
        std::fs::read_dir(&runs).unwrap().count(),
        2,
        "only the user's files remain"
    );
}

fn check_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{}: not a PNG",
        path.display()
    );
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert!(w >= 400 && h >= 300, "{}: {w}x{h}", path.display());
}

fn check_svg(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.trim_start().starts_with("<svg") || text.trim_start().starts_with("<?xml"),
        "{}",
        path.display()
    );
    assert!(
        text.trim_end().ends_with("</svg>"),
        "{}: truncated SVG",
        path.display()
    );
    assert!(
        text.contains("<text"),
        "{}: no text (labels missing?)",
        path.display()
    );
}

#[test]
fn every_bundled_scenario_runs_and_draws_valid_plots() {
    let tmp = tempfile::tempdir().unwrap();
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&scenarios)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10);
    let o = simctl()
        .args(["run", "--quiet", "--out"])
        .arg(tmp.path())
        .args(&files)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in &files {
        let name = std::fs::read_to_string(f).unwrap();
        let name = name
            .lines()
            .find_map(|l| l.strip_prefix("name = \""))
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let plots = tmp.path().join(&name).join("plots");
        // The GPU fragmentation study holds every task to the end: nothing completes, so there is
        // no response-time CDF; its own figure is the GPU one.
        let stems = if name == "gpu-fragmentation" {
            ["summary_bars", "gpu_fragmentation"]
        } else {
            ["summary_bars", "cdf_response"]
        };
        for stem in stems {
            check_png(&plots.join(format!("{stem}.png")));
            check_svg(&plots.join(format!("{stem}.svg")));
        }
    }
    for stem in ["failover", "sweep_failover_policy"] {
        check_png(
            &tmp.path()
                .join("failover/plots")
                .join(format!("{stem}.png")),
        );
    }
}

/// Runs a deploy script with the environment a Slurm array task or an Indexed Job pod would have.
fn deploy_script(script: &str, env: &[(&str, String)]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(script);
    let mut cmd = Command::new("bash");
    cmd.arg(&path)
        .env("SIMCTL", env!("CARGO_BIN_EXE_simctl"))
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn slurm_array_and_indexed_job_scripts_reproduce_the_single_machine_run() {
    let tmp = tempfile::tempdir().unwrap();
    // A named node group before [scenario]: its `name = ...` line comes first in the file, which
    // once made merge-shards.sh look for the shards under the node group's name.
    let (head, nodes) = SWEEP.split_once("[[cluster.nodes]]").unwrap();
    let (nodes, rest) = nodes.split_once("[workload]").unwrap();
    let reordered = format!("[[cluster.nodes]]\nname = \"workers\"{nodes}{head}[workload]{rest}");
    let scenario_named_nodes = tmp.path().join("named-nodes.toml");
    std::fs::write(&scenario_named_nodes, reordered).unwrap();
    run(&[], &scenario_named_nodes, &tmp.path().join("whole"));
    // The index variable each scheduler sets: Slurm's 1-based array id, Kubernetes' 0-based index.
    for (var, first) in [("SLURM_ARRAY_TASK_ID", 1), ("JOB_COMPLETION_INDEX", 0)] {
        let results = tmp.path().join(var);
        let base = vec![
            ("SCENARIO", scenario_named_nodes.display().to_string()),
            ("SHARDS", "3".to_string()),
            ("RESULTS", results.display().to_string()),
        ];
        for i in 0..3 {
            let mut env = base.clone();
            env.push((var, (first + i).to_string()));
            deploy_script("shard-entry.sh", &env);
        }
        deploy_script("merge-shards.sh", &base);
        assert_same(
            &tmp.path().join("whole/sweep"),
            &results.join("merged/sweep"),
        );
    }
}

//! `simctl validate` reports what a valid scenario would do: where results go, how many runs, the
//! offered load per resource (per sweep point) and the work and memory estimate, with warnings for
//! loads at or above 1. `--set` overrides are applied, recorded, and checked like the file.

mod common;

use common::simctl;

/// 4 nodes of 8 cores and 16 GiB; Poisson arrivals; every task runs exactly 40 s and needs 1 or 3
/// cores (mean 2) and 2 GiB.
const SWEPT: &str = r#"
[scenario]
name = "load"
horizon = "1h"

[[cluster.nodes]]
count = 4
cpu = 8
memory = "16GiB"

[workload]
arrival = { process = "poisson", rate = 0.2 }
duration = "40s"
cpu = { dist = "choice", values = [1, 3] }
memory = "2GiB"

[[scheduler]]
name = "ff"
placement = "first-fit"

[[scheduler]]
name = "la"
placement = "least-allocated"

[sweep]
"workload.arrival.rate" = [0.2, 0.4]

[output]
dir = "somewhere/else"
timeseries = "1m"
"#;

/// Runs `simctl ARGS... FILE` on `text` written to a temp file: (exit code, stdout, stderr).
fn simctl_on(text: &str, args: &[&str]) -> (i32, String, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    let out = simctl().args(args).arg(&path).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        dir,
    )
}

#[test]
fn validate_reports_results_dir_runs_offered_load_and_estimate_per_sweep_point() {
    let (code, stdout, stderr, _dir) = simctl_on(SWEPT, &["validate"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("2 sweep point(s) x 2 scheduler(s) x 1 replication(s) = 4 runs"),
        "{stdout}"
    );
    assert!(stdout.contains("results: somewhere/else"), "{stdout}");
    // CPU: rate x mean cores x duration / total cores = 0.2 x 2 x 40 / (4 x 8) = 0.5;
    // memory: 0.2 x 2 GiB x 40 / (4 x 16 GiB) = 0.25; no disk demand.
    assert!(
        stdout.contains("sweep point workload.arrival.rate = 0.2:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("offered load: cpu 0.5, memory 0.25, disk 0\n"),
        "{stdout}"
    );
    // Twice the rate: exactly 1 and 0.5.
    assert!(
        stdout.contains("offered load: cpu 1, memory 0.5, disk 0\n"),
        "{stdout}"
    );
    // Tasks: 0.2/s x 3600 s = 720; samples: 3600 s / 60 s + 1 = 61; memory: 4 nodes x 256 B +
    // 61 samples x 128 B = 8832 B = 8.6 KiB (the queue is bounded at load < 1).
    assert!(
        stdout.contains("per run: tasks ~720, nodes 4, time-series samples 61, memory ~8.6 KiB"),
        "{stdout}"
    );
    assert!(stdout.contains("tasks ~1440"), "{stdout}");
    // Load exactly 1 is already unstable; only that point warns.
    assert_eq!(stderr.matches("warning:").count(), 1, "{stderr}");
    assert!(
        stderr.contains("offered cpu load 1.000 is at or above 1 at sweep point workload.arrival.rate = 0.4: the queue grows without bound"),
        "{stderr}"
    );
}

#[test]
fn validate_warns_about_unbounded_demands_that_can_exceed_every_node() {
    let text = SWEPT.replace(
        "memory = \"2GiB\"",
        "memory = { dist = \"exponential\", mean = \"2GiB\" }",
    );
    let (code, _, stderr, _dir) = simctl_on(&text, &["validate"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "workload.memory is unbounded: tasks that draw more than the largest node's 16.0 GiB"
        ),
        "{stderr}"
    );
}

/// The swept scenario without its sweep, small enough to run in a moment.
fn unswept() -> String {
    let i = SWEPT.find("[sweep]").unwrap();
    let j = SWEPT.find("[output]").unwrap();
    format!("{}{}", &SWEPT[..i], &SWEPT[j..]).replace("\"1h\"", "\"5m\"")
}

#[test]
fn set_is_applied_by_validate() {
    // Rate 0.4 instead of 0.2: the CPU load doubles to exactly 1 (see the derivation above).
    let (code, stdout, stderr, _dir) = simctl_on(
        &unswept(),
        &["validate", "--set", "workload.arrival.rate=0.4"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("offered load: cpu 1, memory 0.5, disk 0"),
        "{stdout}"
    );
}

#[test]
fn set_is_applied_by_run_and_recorded_in_runs_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, unswept()).unwrap();
    let out = simctl()
        .args(["run", "--quiet", "--set", "scenario.horizon=2m", "--out"])
        .arg(dir.path())
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("load/runs.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let runs = json
        .as_array()
        .or_else(|| json["runs"].as_array())
        .expect("runs.json holds a list of runs");
    assert_eq!(runs.len(), 2);
    for run in runs {
        assert_eq!(run["overrides"]["scenario.horizon"], "2m", "{run}");
        assert_eq!(run["config"]["scenario"]["horizon"], "2m", "{run}");
    }
}

#[test]
fn a_bad_set_key_is_an_error_naming_it() {
    let (code, _, stderr, _dir) =
        simctl_on(&unswept(), &["validate", "--set", "workload.arival.rate=3"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("workload.arival: unknown key \"arival\"")
            && stderr.contains("(set by --set workload.arival.rate=3)"),
        "{stderr}"
    );
}

/// 4 nodes of 8 cores; tasks of exactly 40 s on 1 or 3 cores (mean 2) at 0.3/s for 1 h: 1080
/// tasks, offered CPU load 0.3 x 40 x 2 / 32 = 0.75, so q = 0.75 / 0.25 = 3. First-fit then costs
/// 1080 (indexed: nothing per node) and Min-Min 1080 x (1 + 0.45 x 3² x 4) = 18576 per run.
const UNEVEN: &str = r#"
[scenario]
name = "uneven"
horizon = "1h"
replications = 3
[[cluster.nodes]]
count = 4
cpu = 8
memory = "16GiB"
[workload]
arrival = { process = "poisson", rate = 0.3 }
duration = "40s"
cpu = { dist = "choice", values = [1, 3] }
memory = "2GiB"
[[scheduler]]
name = "ff"
placement = "first-fit"
[[scheduler]]
name = "mm"
placement = "min-min"
[output]
plots = false
"#;

#[test]
fn validate_shards_prints_the_cost_split_that_run_shard_then_runs() {
    // Runs 0-2 are first-fit (1080 each), 3-5 Min-Min (18576 each). Longest first, to the least
    // loaded shard, ties to the lower run and shard: 3 -> 1, 4 -> 2, 5 -> 1 (tie), then 0, 1, 2 -> 2
    // (18576 < 37152 and still below after each). Shard 1: 37152 (63.0%), shard 2: 18576 + 3 x
    // 1080 = 21816 (37.0%); mean 29484, so 37152 / 29484 = 1.260. By count (0, 2, 4 | 1, 3, 5):
    // 20736 | 38232, 38232 / 29484 = 1.297.
    let (code, stdout, stderr, _dir) = simctl_on(UNEVEN, &["validate", "--shards", "2"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("shard 1/2: 2 runs, 63.0% of the estimated work"),
        "{stdout}"
    );
    assert!(
        stdout.contains("shard 2/2: 4 runs, 37.0% of the estimated work"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1.260 by cost; 1.297 if dealt by count"),
        "{stdout}"
    );

    // And `run --shard K/2` runs exactly those runs.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("uneven.toml");
    std::fs::write(&path, UNEVEN).unwrap();
    for (k, want) in [(1, vec![3, 5]), (2, vec![0, 1, 2, 4])] {
        let out = dir.path().join(format!("shard{k}"));
        let o = simctl()
            .args(["run", "--quiet", "--shard", &format!("{k}/2"), "--out"])
            .arg(&out)
            .arg(&path)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut got: Vec<usize> = std::fs::read_dir(out.join("uneven/.runs"))
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                name.strip_prefix("run-")?
                    .strip_suffix(".json")?
                    .parse()
                    .ok()
            })
            .collect();
        got.sort();
        assert_eq!(got, want, "runs of shard {k}/2");
    }
}

#[test]
fn validate_shards_must_be_at_least_one() {
    let (code, _, stderr, _dir) = simctl_on(UNEVEN, &["validate", "--shards", "0"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("must be at least 1"), "{stderr}");
}

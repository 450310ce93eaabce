//! Every bundled trace scenario replays fully through its three schedulers: the engine sees exactly
//! the tasks an independent count says the scenario holds (awk commands in `traces/README.md`, not the
//! reader under test), every scheduler sees the same tasks, and every task ends exactly once (the
//! engine asserts conservation at the end). Then the command line's handling of bad trace files.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use simctl::config::{self, WorkloadSpec};
use simctl::sweep;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Replays scenario `name` and checks that each run submitted `expected` tasks.
fn replay(name: &str, expected: u64) {
    let path = root().join("scenarios").join(name);
    let file = config::load(&path).unwrap_or_else(|e| panic!("{name}: {e:#}"));
    let scenario = file.base();
    assert!(
        scenario.schedulers.len() >= 3,
        "{name}: fewer than three schedulers"
    );
    assert!(
        matches!(scenario.workload, WorkloadSpec::Trace { .. }),
        "{name} is not a trace scenario"
    );
    let runs = sweep::plan(&file, None);
    let results = sweep::run_in_memory(&file, &runs, 2, true).unwrap();
    for r in &results {
        let s = &r.summary;
        assert_eq!(
            s.tasks_submitted, expected,
            "{name}: engine saw {} tasks, the trace holds {expected}",
            s.tasks_submitted
        );
        assert!(s.tasks_completed > 0, "{name}: nothing completed");
    }
}

// The expected counts are the awk counts of traces/README.md ("Counts the tests compare with").

#[test]
fn google2011() {
    // 25822 SUBMITs - 10 ending before any SCHEDULE
    replay("trace-google2011.toml", 25_812);
}

#[test]
fn alibaba2017() {
    replay("trace-alibaba2017.toml", 41_421);
}

#[test]
fn alibaba2018_machines_with_node_events() {
    replay("trace-alibaba2018.toml", 71_536);
    // The machine table's joins and leaves reach the engine as node failures.
    let path = root().join("scenarios/trace-alibaba2018.toml");
    let file = config::load(&path).unwrap();
    // zcat traces/alibaba/v2018/machine_meta.csv.gz | cut -d, -f1 | sort -u | wc -l -> 4034
    assert_eq!(
        file.base().node_groups.iter().map(|g| g.count).sum::<u32>(),
        4034
    );
    assert!(!file.base().node_events.is_empty());
    let runs = sweep::plan(&file, None);
    let r = sweep::run_one(&file, &runs[0], true, None).unwrap();
    assert!(r.summary.node_failures > 0);
}

#[test]
fn gpu2023() {
    replay("trace-gpu2023.toml", 7255);
}

#[test]
fn swf() {
    // 18239 jobs, the last submitted 136 s after the 92-day horizon
    replay("trace-swf.toml", 18_238);
}

#[test]
fn azure_llm() {
    replay("trace-azure-llm.toml", 19_366);
}

#[test]
fn own_csv() {
    // grep -vc '^#\|^arrival_s' scenarios/example-trace.csv -> 5
    replay("trace-csv.toml", 5);
}

/// A copy of the own-format sample with one malformed row, and a scenario replaying it.
fn corrupted_csv_scenario(dir: &Path, strict: bool) -> PathBuf {
    let sample = root().join("scenarios/example-trace.csv");
    let mut text = std::fs::read_to_string(sample).unwrap();
    text.push_str("99,not-a-number,1,1GiB,0,0,0,9,,\n");
    std::fs::write(dir.join("bad.csv"), text).unwrap();
    let scenario = std::fs::read_to_string(root().join("scenarios/trace-csv.toml"))
        .unwrap()
        .replace("path = \"example-trace.csv\"", "path = \"bad.csv\"")
        .replace("strict = true", &format!("strict = {strict}"));
    let path = dir.join("trace.toml");
    std::fs::write(&path, scenario).unwrap();
    path
}

#[test]
fn a_malformed_row_is_counted_and_skipped_or_rejected_with_strict() {
    let dir = tempfile::tempdir().unwrap();
    let lenient = corrupted_csv_scenario(dir.path(), false);
    let lines = std::fs::read_to_string(dir.path().join("bad.csv"))
        .unwrap()
        .lines()
        .count();
    let o = common::simctl()
        .args(["run", "--quiet", "--out"])
        .arg(dir.path())
        .arg(&lenient)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    // "bad.csv: skipped 1 malformed lines ... non-numeric duration_s (lines 8)"
    assert!(stderr.contains("skipped 1 malformed"), "{stderr}");
    assert!(
        stderr.contains(&format!("non-numeric duration_s (lines {lines})")),
        "{stderr}"
    );
    // --strict on the command line turns the same row into an error naming file and line.
    let o = common::simctl()
        .args(["run", "--quiet", "--strict", "--out"])
        .arg(dir.path())
        .arg(&lenient)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("bad.csv:{lines}")), "{stderr}");
}

#[test]
fn trace_info_summarises_a_sample_and_reconciles_the_submitted_tasks() {
    let path = root().join("traces/google-2011/task_events/part-00001-of-00500.csv.gz");
    let o = common::simctl()
        .args(["trace", "info", "--format", "google2011"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // awk counts of traces/README.md: 25822 SUBMITs, 18519 ending in the file, 10 ending before any
    // SCHEDULE and 7293 never ending (dropped by default).
    assert!(
        stdout.contains("task records submitted: 25822 = replayed 18519 + dropped 7303\n"),
        "{stdout}"
    );
    assert!(stdout.contains("7293: no end in trace"), "{stdout}");
    let o = common::simctl()
        .args(["trace", "info", "--format", "nope"])
        .arg(&path)
        .output()
        .unwrap();
    // An unknown format is a usage error (clap), exit 2.
    assert_eq!(o.status.code(), Some(2));
}

/// Runs simctl with `args`; returns (exit code, stderr).
fn simctl(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let o = common::simctl().args(args).output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The bundled SWF scenario rewritten to replay `trace` (in `dir`) with a one-hour horizon, so that a
/// run reads only the first few jobs of the log.
fn short_swf_scenario(dir: &Path, trace: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join("scenarios/trace-swf.toml"))
        .unwrap()
        .replace(
            "path = \"../traces/swf/NASA-iPSC-1993-3.1-cln.swf.gz\"",
            &format!("path = \"{trace}\""),
        )
        .replace("horizon = \"92d\"", "horizon = \"1h\"");
    assert!(text.contains(trace) && text.contains("\"1h\""));
    let path = dir.join("swf.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_crc_corrupt_gzip_is_refused_by_trace_info_and_by_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = std::fs::read(root().join("traces/swf/NASA-iPSC-1993-3.1-cln.swf.gz")).unwrap();
    // The gzip trailer is CRC-32 then length, both little-endian: corrupt the CRC only.
    let crc = gz.len() - 8;
    gz[crc] ^= 0x5a;
    std::fs::write(dir.path().join("bad.swf.gz"), &gz).unwrap();
    let trace = dir.path().join("bad.swf.gz");
    let (code, stderr) = simctl(&[
        "trace".as_ref(),
        "info".as_ref(),
        "--format".as_ref(),
        "swf".as_ref(),
        trace.as_os_str(),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("bad.swf.gz") && stderr.contains("checksum"),
        "{stderr}"
    );
    // A one-hour run reads a few jobs only, and must still refuse the file before any work.
    let scenario = short_swf_scenario(dir.path(), "bad.swf.gz");
    let out = dir.path().join("out");
    let (code, stderr) = simctl(&[
        "run".as_ref(),
        "--quiet".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        scenario.as_os_str(),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("checksum"), "{stderr}");
    assert!(!out.exists(), "nothing written for a refused trace");
    // The intact file replays under the same scenario.
    std::fs::copy(
        root().join("traces/swf/NASA-iPSC-1993-3.1-cln.swf.gz"),
        &trace,
    )
    .unwrap();
    let (code, stderr) = simctl(&[
        "run".as_ref(),
        "--quiet".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        scenario.as_os_str(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn run_strict_rejects_a_malformed_node_list_as_trace_info_strict_does() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = dir.path().join("nodes.csv");
    std::fs::write(
        &nodes,
        "sn,cpu_milli,memory_mib,gpu,model\nn0,96000,786432,0,\nn1,-5,1024,0,\n",
    )
    .unwrap();
    let pods = dir.path().join("pods.csv");
    std::fs::write(
        &pods,
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,\
         deletion_time,scheduled_time\np0,1000,1024,0,0,,LS,Running,10,100,20\n",
    )
    .unwrap();
    let text = std::fs::read_to_string(root().join("scenarios/trace-gpu2023.toml"))
        .unwrap()
        .replace(
            "\"../traces/alibaba/gpu-v2023/openb_pod_list_default.csv.gz\"",
            "\"pods.csv\"",
        )
        .replace(
            "\"../traces/alibaba/gpu-v2023/openb_node_list_all_node.csv\"",
            "\"nodes.csv\"",
        );
    assert!(text.contains("\"pods.csv\"") && text.contains("\"nodes.csv\""));
    let scenario = dir.path().join("gpu.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = dir.path().join("out");
    let expected = format!("{}:3: negative cpu_milli", nodes.display());
    let (code, stderr) = simctl(&[
        "trace".as_ref(),
        "info".as_ref(),
        "--strict".as_ref(),
        "--format".as_ref(),
        "gpu2023-nodes".as_ref(),
        nodes.as_os_str(),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(&expected), "{stderr}");
    let (code, stderr) = simctl(&[
        "run".as_ref(),
        "--quiet".as_ref(),
        "--strict".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        scenario.as_os_str(),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(!out.exists(), "refused before any work");
    // Without --strict the bad node is skipped (counted) and the run goes ahead.
    let (code, stderr) = simctl(&[
        "run".as_ref(),
        "--quiet".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        scenario.as_os_str(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn trace_info_refuses_a_line_longer_than_the_limit_without_growing() {
    let dir = tempfile::tempdir().unwrap();
    // 64 MiB of one line, gzip-compressed to a few hundred KB.
    let path = dir.path().join("one-line.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let block = vec![b'x'; 1 << 20];
    for _ in 0..64 {
        enc.write_all(&block).unwrap();
    }
    std::fs::write(&path, enc.finish().unwrap()).unwrap();
    let (code, stderr) = simctl(&[
        "trace".as_ref(),
        "info".as_ref(),
        "--format".as_ref(),
        "swf".as_ref(),
        path.as_os_str(),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:1: line longer than 1048576 bytes",
            path.display()
        )),
        "{stderr}"
    );
}

#[test]
fn trace_errors_print_their_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let gz = std::fs::read(root().join("traces/swf/NASA-iPSC-1993-3.1-cln.swf.gz")).unwrap();
    let path = dir.path().join("cut.swf.gz");
    std::fs::write(&path, &gz[..gz.len() / 2]).unwrap();
    let (code, stderr) = simctl(&[
        "trace".as_ref(),
        "info".as_ref(),
        "--format".as_ref(),
        "swf".as_ref(),
        path.as_os_str(),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    // "error: i/o error on .../cut.swf.gz: <cause>", the cause once (it was printed twice).
    let cause = stderr.trim().rsplit(": ").next().unwrap().to_string();
    assert!(
        !cause.is_empty() && !cause.contains("cut.swf.gz"),
        "{stderr}"
    );
    assert_eq!(stderr.matches(cause.as_str()).count(), 1, "{stderr}");
}

#[test]
fn trace_errors_never_echo_a_file_that_is_not_a_trace() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("passwd");
    std::fs::write(&path, "root:x:0:0:root:/root:/bin/bash\n").unwrap();
    for format in [
        "csv",
        "swf",
        "google2011",
        "alibaba2017",
        "azure-llm",
        "gpu2023-nodes",
    ] {
        let (code, stderr) = simctl(&[
            "trace".as_ref(),
            "info".as_ref(),
            "--format".as_ref(),
            format.as_ref(),
            path.as_os_str(),
        ]);
        assert_eq!(code, Some(1), "{format}: {stderr}");
        assert!(!stderr.contains("root:x"), "{format}: {stderr}");
    }
}

/// `workload.hold = true`: the GPU trace's pods arrive and never leave. No task ends before the
/// horizon, every task is running or pending at the end, and no summary figure is infinite (the
/// figures over completed tasks have no value: NaN in memory, written as empty CSV fields).
#[test]
fn gpu2023_hold_no_task_ends_before_the_horizon() {
    let path = root().join("scenarios/trace-gpu2023.toml");
    let overrides = vec![("workload.hold".to_string(), toml::Value::Boolean(true))];
    let file = config::load_with_overrides(&path, &overrides).unwrap();
    let runs = sweep::plan(&file, None);
    let r = sweep::run_one(&file, &runs[0], true, None).unwrap();
    let s = &r.summary;
    assert_eq!(s.tasks_submitted, 7255);
    assert_eq!((s.tasks_completed, s.tasks_failed), (0, 0));
    assert_eq!(s.tasks_running_at_end + s.tasks_pending_at_end, 7255);
    assert!(s.tasks_running_at_end > 0);
    for (name, x) in [
        ("mean_slowdown", s.mean_slowdown),
        ("p99_slowdown", s.p99_slowdown),
        ("mean_bounded_slowdown", s.mean_bounded_slowdown),
        ("mean_response_s", s.mean_response_s),
        ("makespan_s", s.makespan_s),
        ("util_cpu", s.util_cpu),
    ] {
        assert!(!x.is_infinite(), "{name} = {x}");
    }
    assert!(s.util_cpu > 0.0 && s.util_cpu <= 1.0, "{}", s.util_cpu);
}

/// `hold` needs a horizon (held tasks never end): without one the scenario is refused, naming the
/// key. A resampled trace's budget estimate is its `resample.tasks`.
#[test]
fn hold_without_horizon_is_refused_and_resample_sets_the_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("scenarios/trace-gpu2023.toml"))
        .unwrap()
        .replace("horizon = \"150d\"\n", "")
        .replace("../traces", &root().join("traces").display().to_string())
        .replace(
            "time_scale = 0.01 ",
            "hold = true\nresample = { tasks = 1234, every = \"1s\" }\ntime_scale = 0.01 ",
        );
    assert!(text.contains("hold = true") && !text.contains("horizon"));
    let scenario = dir.path().join("hold.toml");
    std::fs::write(&scenario, &text).unwrap();
    let err = format!("{:#}", config::load(&scenario).unwrap_err());
    assert!(
        err.contains("workload.hold") && err.contains("horizon"),
        "{err}"
    );
    std::fs::write(
        &scenario,
        text.replace("[scenario]\n", "[scenario]\nhorizon = \"1h\"\n"),
    )
    .unwrap();
    let file = config::load(&scenario).unwrap();
    let estimate = simctl::config::budget::Estimate::of(file.base());
    assert_eq!(estimate.tasks, Some(1234.0));
}

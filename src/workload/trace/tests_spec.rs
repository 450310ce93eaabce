//! Scenario keys, replay options (window, sampling, scaling), dependencies and arrival order.

use std::path::Path;

use super::TraceFormat::*;
use super::*;
use crate::ids::TaskId;
use crate::time::{SimDuration, SimTime};
use crate::workload::{TaskSpec, WorkloadSource};

fn table(text: &str) -> toml::Table {
    text.parse().unwrap()
}

fn all(src: &mut dyn WorkloadSource) -> Vec<TaskSpec> {
    let mut out = Vec::new();
    while let Some(t) = src.next_task().unwrap() {
        out.push(t);
    }
    out
}

#[test]
fn from_table_reads_every_key_and_resolves_paths() {
    let t = table(
        r#"source = "trace"
        format = "gpu2023"
        path = "traces/pods.csv"
        nodes = "/abs/nodes.csv"
        window_start = "1h"
        window_end = 7200
        sample = 0.25
        time_scale = 0.5
        load = 2
        ref_cpu = 64
        ref_memory = "256GiB"
        strict = true
        unfinished = "default"
        default_duration = "5m"
        at_start = "drop"
        lookahead = "1d"
        max_open = 1000
        reorder = "unlimited"
        expand_instances = true
        dispatch = "central""#,
    );
    let s = TraceSpec::from_table(&t, "workload", Path::new("/scen")).unwrap();
    assert_eq!(s.path, Path::new("/scen/traces/pods.csv"));
    assert_eq!(s.nodes.as_deref(), Some(Path::new("/abs/nodes.csv")));
    assert_eq!((s.window_start, s.window_end), (Some(3600.0), Some(7200.0)));
    assert_eq!((s.sample, s.time_scale, s.load), (0.25, 0.5, 2.0));
    assert_eq!(
        (s.reference.cpu_milli, s.reference.memory),
        (64_000, 256 << 30)
    );
    let mut s = s;
    s.reference_defaults_to(crate::resources::Resources::new(8.0, 1 << 30, 5 << 30));
    let r = s.reference;
    let expected = (64_000, 256 << 30, 5 << 30);
    assert_eq!((r.cpu_milli, r.memory, r.disk), expected, "ref_* keys win");
    assert!(s.strict && !s.keep_at_start && s.expand_instances);
    assert_eq!(s.unfinished, Unfinished::Fixed(SimDuration::from_secs(300)));
    assert_eq!(s.lookahead, Some(SimDuration::from_secs(86_400)));
    assert_eq!((s.max_open, s.reorder), (1000, Some(None)));
}

#[test]
fn from_table_errors_name_the_key() {
    let err = |text: &str| {
        TraceSpec::from_table(&table(text), "workload", Path::new("."))
            .unwrap_err()
            .key
    };
    let base = r#"source = "trace"
        format = "swf"
        path = "x.swf""#;
    assert_eq!(
        err(&format!("{base}\nwindw_start = 3")),
        "workload.windw_start"
    );
    assert_eq!(err(r#"source = "trace""#), "workload.format");
    assert_eq!(
        err(r#"source = "trace"
        format = "borg""#),
        "workload.format"
    );
    assert_eq!(err(&format!("{base}\nsample = 1.5")), "workload.sample");
    assert_eq!(
        err(&format!("{base}\nwindow_start = 10\nwindow_end = 5")),
        "workload.window_end"
    );
    assert_eq!(
        err(&format!("{base}\nunfinished = \"forever\"")),
        "workload.unfinished"
    );
    assert_eq!(
        err(&format!("{base}\ntime_scale = 0")),
        "workload.time_scale"
    );
}

fn csv_spec(dir: &Path, rows: &str) -> TraceSpec {
    let path = dir.join("t.csv");
    let header = "arrival_s,duration_s,cpu,memory,disk,priority,user,job,deps,requested_s\n";
    std::fs::write(&path, format!("{header}{rows}")).unwrap();
    TraceSpec::new(Csv, path)
}

#[test]
fn own_csv_reads_units_dependencies_and_requested_time() {
    let dir = tempfile::tempdir().unwrap();
    let spec = csv_spec(
        dir.path(),
        "0,10,1,1GiB,0,,,,,\n1,5,0.5,1024,2GiB,3,7,9,0,8\n1,5,0.5,1024,0,0,7,9,0;1,\n",
    );
    let tasks = all(spec.open(0).unwrap().as_mut());
    assert_eq!(tasks.len(), 3);
    assert_eq!(tasks[0].demand.memory, 1 << 30);
    assert_eq!(
        (tasks[1].priority, tasks[1].user, tasks[1].job.0),
        (3, 7, 9)
    );
    assert_eq!(tasks[1].requested_duration, Some(SimDuration::from_secs(8)));
    assert_eq!(tasks[1].demand.disk, 2 << 30);
    assert_eq!(tasks[2].depends_on, vec![TaskId(0), TaskId(1)]);
    assert_eq!(
        tasks[2].arrival,
        SimTime(1_000_000),
        "own CSV times are not shifted"
    );
}

#[test]
fn own_csv_header_must_name_the_required_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    std::fs::write(&path, "arrival_s,duration_s,cpu,memory\n0,1,1,1\n").unwrap();
    let err = TraceSpec::new(Csv, &path)
        .open(0)
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        err,
        format!("{}:1: missing column \"disk\"", path.display())
    );
}

#[test]
fn window_time_scale_and_load_map_trace_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = csv_spec(
        dir.path(),
        "0,10,1,0,0,,,,,\n100,10,1,0,0,,,,,\n200,10,1,0,0,,,,,\n300,10,1,0,0,,,,,\n",
    );
    spec.window_start = Some(100.0);
    spec.window_end = Some(300.0);
    spec.time_scale = 0.5;
    spec.load = 2.0;
    let tasks = all(spec.open(0).unwrap().as_mut());
    // trace 100 s and 200 s; offsets from window_start 0 and 100 s; x 0.5 / 2 -> 0 and 25 s;
    // durations x 0.5 (load leaves them alone) -> 5 s
    let arrivals: Vec<u64> = tasks.iter().map(|t| t.arrival.0).collect();
    assert_eq!(arrivals, vec![0, 25_000_000]);
    assert!(tasks
        .iter()
        .all(|t| t.duration == SimDuration::from_secs(5)));
    assert_eq!(tasks[0].id, TaskId(0), "ids are renumbered after filtering");
}

#[test]
fn sampling_keeps_whole_jobs_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let rows: String = (0..2000)
        .map(|i| format!("{i},1,1,0,0,,,{},,\n", i / 4))
        .collect();
    let mut spec = csv_spec(dir.path(), &rows);
    spec.sample = 0.3;
    let jobs = |seed| -> Vec<u64> {
        all(spec.open(seed).unwrap().as_mut())
            .iter()
            .map(|t| t.job.0)
            .collect()
    };
    let (a, b, c) = (jobs(1), jobs(1), jobs(2));
    assert_eq!(a, b, "same seed, same sample");
    assert_ne!(a, c, "another seed, another sample");
    // 500 jobs x 0.3 = 150 expected, sd sqrt(500 x 0.3 x 0.7) = 10.2: 4 sd either side
    let kept = a.len() / 4;
    assert!((110..=190).contains(&kept), "{kept}");
    assert_eq!(
        a.len() % 4,
        0,
        "a job's four tasks are kept or dropped together"
    );
}

#[test]
fn alibaba2018_task_names_become_dependencies() {
    assert_eq!(alibaba2018::parse_task_name("M1"), Some((1, vec![])));
    assert_eq!(alibaba2018::parse_task_name("R2_1"), Some((2, vec![1])));
    assert_eq!(
        alibaba2018::parse_task_name("J5_2_3"),
        Some((5, vec![2, 3]))
    );
    assert_eq!(alibaba2018::parse_task_name("task_Nzg3ODAw"), None);
    assert_eq!(alibaba2018::parse_task_name("MergeTask"), None);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("batch_task.csv");
    let rows = "M1,2,j_1,1,Terminated,100,200,100,0.5\nM2,1,j_1,1,Terminated,100,150,100,0.5\n\
                task_x,1,j_2,1,Terminated,120,130,100,0.5\nJ3_1_2,1,j_1,1,Terminated,200,260,50,0.3\n";
    std::fs::write(&path, rows).unwrap();
    let mut spec = TraceSpec::new(Alibaba2018, &path);
    spec.expand_instances = true;
    let tasks = all(spec.open(0).unwrap().as_mut());
    // M1 is two instances (ids 0, 1), M2 id 2, task_x id 3, J3 depends on all of M1 and M2
    assert_eq!(tasks.len(), 5);
    assert_eq!(tasks[4].depends_on, vec![TaskId(0), TaskId(1), TaskId(2)]);
    assert!(tasks[3].depends_on.is_empty());
    assert_eq!(tasks[4].demand.cpu_milli, 500, "plan_cpu 50 = half a core");
}

#[test]
fn samples_replay_in_arrival_order_with_unique_ids() {
    let cases = [
        (Alibaba2017, "alibaba/v2017/batch_task.csv.gz"),
        (
            Google2011,
            "google-2011/task_events/part-00001-of-00500.csv.gz",
        ),
        (Gpu2023, "alibaba/gpu-v2023/openb_pod_list_default.csv.gz"),
    ];
    for (format, rel) in cases {
        let tasks = all(TraceSpec::new(format, super::tests_samples::sample(rel))
            .open(0)
            .unwrap()
            .as_mut());
        assert!(
            tasks.windows(2).all(|w| w[0].arrival <= w[1].arrival),
            "{rel}"
        );
        assert!(
            tasks
                .iter()
                .enumerate()
                .all(|(i, t)| t.id == TaskId(i as u64)),
            "{rel}"
        );
    }
}

/// The files a bundled trace scenario reads: its trace and node list, if any.
fn scenario_files(path: &Path) -> (TraceSpec, Vec<std::path::PathBuf>) {
    let doc: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    let workload = doc["workload"].as_table().unwrap();
    let spec = TraceSpec::from_table(workload, "workload", path.parent().unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut files = vec![spec.path.clone()];
    files.extend(spec.node_file().map(|(p, _)| p));
    (spec, files)
}

#[test]
fn bundled_trace_scenarios_read_only_files_inside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .canonicalize()
        .unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(root.join("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.starts_with("trace-") && name.ends_with(".toml")) {
            continue;
        }
        let (spec, files) = scenario_files(&path);
        for file in files {
            let real = file
                .canonicalize()
                .unwrap_or_else(|e| panic!("{name}: {}: {e}", file.display()));
            assert!(
                real.starts_with(&root),
                "{name} reads {}, outside the repository: a plain clone would not have it",
                real.display()
            );
        }
        let first = spec.open(42).unwrap().next_task().unwrap();
        assert!(first.is_some(), "{name}");
        seen += 1;
    }
    assert_eq!(seen, 7, "one bundled scenario per task format");
}

#[test]
fn hold_and_resample_keys_parse_and_bad_values_name_the_key() {
    let parse = |extra: &str| {
        let text =
            format!("source = \"trace\"\nformat = \"gpu2023\"\npath = \"pods.csv\"\n{extra}");
        let table: toml::Table = toml::from_str(&text).unwrap();
        TraceSpec::from_table(&table, "workload", Path::new("."))
    };
    let spec = parse("").unwrap();
    assert!(!spec.hold && spec.resample.is_none(), "both off by default");
    let spec = parse("hold = true\nresample = { tasks = 5, every = \"2s\" }").unwrap();
    assert!(spec.hold);
    assert_eq!(
        spec.resample,
        Some(Resample {
            tasks: 5,
            every: SimDuration::from_secs(2)
        })
    );
    let err = |extra: &str| parse(extra).unwrap_err().to_string();
    assert!(err("resample = { tasks = 0, every = \"1s\" }").contains("workload.resample.tasks"));
    assert!(err("resample = { tasks = 3, every = \"0s\" }").contains("workload.resample.every"));
    assert!(err("resample = { tasks = 3 }").contains("every"));
    assert!(err("resample = { tasks = 3, every = \"1s\", n = 2 }").contains("workload.resample.n"));
    assert!(err("resample = { tasks = 3, every = \"1s\" }\nload = 2.0").contains("workload.load"));
    assert!(err("hold = 1").contains("workload.hold"));
}

//! Corrupted copies of every format, written at test time: each bad line is counted under its reason
//! with its line number, good lines still replay, and strict mode stops at the first bad line.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::TraceFormat::*;
use super::*;
use crate::workload::WorkloadError;

const GARBAGE: &[u8] = b"\xff\xfe\x00garbage\xc3\x28";

/// A format's good lines and one line with a non-numeric value (and the reason it must give).
struct Case {
    format: TraceFormat,
    header: &'static [&'static str],
    good: &'static [&'static str],
    tasks: u64,
    non_numeric: &'static str,
    reason: &'static str,
}

const CASES: &[Case] = &[
    Case {
        format: Google2011,
        header: &[],
        good: &[
            "700000000,,7,0,,0,u,2,5,0.5,0.25,0.01,0",
            "700000001,,7,0,42,1,u,2,5,0.5,0.25,0.01,0",
            "760000001,,7,0,42,4,u,2,5,0.5,0.25,0.01,0",
        ],
        tasks: 1,
        non_numeric: "7x0000000,,8,0,,0,u,2,5,0.5,0.25,0.01,0",
        reason: "non-numeric timestamp",
    },
    Case {
        format: Alibaba2017,
        header: &[
            "task_create_time, task_end_time, job_id, task_id,number_of_instances, status, \
                  number_of_cpus_requested_per_instance_in_the_task,normalized_memory_requested_\
                  per_instance_in_the_task",
        ],
        good: &[
            "10,20,1,1,2,Terminated,50,0.01",
            "11,30,1,2,1,Failed,100,0.02",
        ],
        tasks: 2,
        non_numeric: "10,20,x,1,2,Terminated,50,0.01",
        reason: "non-numeric job_id",
    },
    Case {
        format: Alibaba2018,
        header: &[],
        good: &[
            "M1,2,j_1,1,Terminated,100,200,100,0.5",
            "R2_1,1,j_1,1,Terminated,200,260,50,0.3",
        ],
        tasks: 2,
        non_numeric: "M3,1,j_1,1,Terminated,1o0,200,100,0.5",
        reason: "non-numeric start_time",
    },
    Case {
        format: Gpu2023,
        header: &[
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,\
                  deletion_time,scheduled_time",
        ],
        good: &[
            "p0,1000,1024,0,0,,LS,Running,10,100,20",
            "p1,2000,512,1,500,,BE,Failed,11,50,12",
        ],
        tasks: 2,
        non_numeric: "p2,many,1024,0,0,,LS,Running,10,100,20",
        reason: "non-numeric cpu_milli",
    },
    Case {
        format: Swf,
        header: &["; Version: 2.2", "; MaxProcs: 8"],
        good: &[
            "1 0 5 100 4 -1 -1 4 200 -1 1 1 1 -1 0 -1 -1 -1",
            "2 10 0 50 2 -1 -1 2 60 -1 1 2 1 -1 0 -1 1 5",
        ],
        tasks: 2,
        non_numeric: "3 10 0 fifty 2 -1 -1 2 60 -1 1 2 1 -1 0 -1 -1 -1",
        reason: "non-numeric field",
    },
    Case {
        format: AzureLlm,
        header: &["TIMESTAMP,ContextTokens,GeneratedTokens"],
        good: &[
            "2023-11-16 18:00:00.0000000,100,10",
            "2023-11-16 18:00:01.5000000,2000,300",
        ],
        tasks: 2,
        non_numeric: "2023-11-16 18:00:02.0000000,lots,10",
        reason: "non-numeric ContextTokens",
    },
    Case {
        format: Csv,
        header: &["arrival_s,duration_s,cpu,memory,disk"],
        good: &["0,10,1,1GiB,0", "5,20,0.5,1048576,10GiB"],
        tasks: 2,
        non_numeric: "soon,10,1,1GiB,0",
        reason: "non-numeric arrival_s",
    },
];

/// Writes header, good[0], a truncated line, the other good lines, a line with an extra field, the
/// non-numeric line and garbage bytes; returns the path and the bad lines' numbers in that order.
fn corrupted(dir: &Path, case: &Case) -> (PathBuf, [u64; 4]) {
    let path = dir.join(format!("{}.txt", case.format.name()));
    let mut f = std::fs::File::create(&path).unwrap();
    let mut n = 0u64;
    let mut line = |f: &mut std::fs::File, bytes: &[u8]| {
        f.write_all(bytes).unwrap();
        f.write_all(b"\n").unwrap();
        n += 1;
        n
    };
    for h in case.header {
        line(&mut f, h.as_bytes());
    }
    line(&mut f, case.good[0].as_bytes());
    let cut = &case.good[0][..case.good[0].len() / 2];
    let truncated = line(&mut f, cut.as_bytes());
    for g in &case.good[1..] {
        line(&mut f, g.as_bytes());
    }
    let sep = if case.format == Swf { ' ' } else { ',' };
    let extra = line(&mut f, format!("{}{sep}1", case.good[0]).as_bytes());
    let non_numeric = line(&mut f, case.non_numeric.as_bytes());
    let garbage = line(&mut f, GARBAGE);
    (path, [truncated, extra, non_numeric, garbage])
}

fn replay(spec: &TraceSpec) -> Result<(u64, SkipReport), WorkloadError> {
    let (mut r, report) = spec.open_replay(3)?;
    let mut n = 0;
    while r.next_task()?.is_some() {
        n += 1;
    }
    let report = report.lock().unwrap().clone();
    Ok((n, report))
}

#[test]
fn every_format_counts_bad_lines_and_strict_names_the_first() {
    let dir = tempfile::tempdir().unwrap();
    for case in CASES {
        let (path, [truncated, extra, non_numeric, garbage]) = corrupted(dir.path(), case);
        let name = case.format.name();
        let mut spec = TraceSpec::new(case.format, &path);
        let (tasks, report) = replay(&spec).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            tasks, case.tasks,
            "{name}: good lines still replay\n{report}"
        );
        assert_eq!(report.malformed_total(), 4, "{name}\n{report}");
        let wrong = &report.malformed["wrong field count"];
        assert_eq!(
            wrong.first_lines,
            vec![truncated, extra],
            "{name}\n{report}"
        );
        assert_eq!(
            report.malformed[case.reason].first_lines,
            vec![non_numeric],
            "{name}"
        );
        assert_eq!(
            report.malformed["invalid UTF-8"].first_lines,
            vec![garbage],
            "{name}"
        );
        assert!(
            report.to_string().contains("2: wrong field count (lines"),
            "{report}"
        );
        spec.strict = true;
        let err = replay(&spec).expect_err("strict mode fails").to_string();
        let expected = format!("{}:{truncated}: wrong field count", path.display());
        assert_eq!(err, expected, "{name}");
    }
}

#[test]
fn node_lists_skip_bad_lines_and_strict_names_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            Gpu2023Nodes,
            "sn,cpu_milli,memory_mib,gpu,model\nn0,32000,1024,0,\nn1,32000\nn2,x,1,0,\n",
        ),
        (
            Alibaba2018Machines,
            "m_1,0,1,1,96,50,USING\nm_2,0,1\nm_3,0,1,1,ninety,50,USING\n",
        ),
    ];
    for (format, text) in files {
        let path = dir.path().join(format.name());
        std::fs::write(&path, [text.as_bytes(), GARBAGE, b"\n"].concat()).unwrap();
        let mut spec = TraceSpec::new(format, &path);
        let groups = spec.cluster().unwrap().unwrap();
        assert_eq!(
            groups.iter().map(|g| g.count).sum::<u32>(),
            1,
            "{}",
            format.name()
        );
        spec.strict = true;
        let line = if format == Gpu2023Nodes { 3 } else { 2 };
        let err = spec.cluster().unwrap_err().to_string();
        assert_eq!(err, format!("{}:{line}: wrong field count", path.display()));
    }
}

#[test]
fn a_trace_of_only_bad_lines_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.swf");
    std::fs::write(
        &path,
        [b"; MaxProcs: 4\n1 2 3\n".as_slice(), GARBAGE].concat(),
    )
    .unwrap();
    let err = replay(&TraceSpec::new(Swf, &path)).unwrap_err().to_string();
    assert!(
        err.contains("trace yields no tasks (2 malformed lines"),
        "{err}"
    );
}

#[test]
fn gzip_is_detected_by_magic_and_truncated_gzip_is_an_error_not_a_panic() {
    use flate2::{write::GzEncoder, Compression};
    let dir = tempfile::tempdir().unwrap();
    let case = &CASES[0];
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(case.good.join("\n").as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    let path = dir.path().join("events.csv"); // no .gz extension: the magic bytes decide
    std::fs::write(&path, &gz).unwrap();
    assert_eq!(replay(&TraceSpec::new(Google2011, &path)).unwrap().0, 1);
    std::fs::write(&path, &gz[..gz.len() - 12]).unwrap();
    let err = replay(&TraceSpec::new(Google2011, &path)).unwrap_err();
    assert!(matches!(err, WorkloadError::Io { .. }), "{err}");
}

/// Values that overflow, underflow or are not numbers at all.
const WILD: &[&str] = &[
    "99999999999999999999",
    "9223372036854775807",
    "-9223372036854775808",
    "1e308",
    "-1e308",
    "NaN",
    "inf",
    "-1",
    "",
    "9999-99-99 99:99:99.9",
];

#[test]
fn wild_values_in_any_field_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    for case in CASES {
        let sep = if case.format == Swf { ' ' } else { ',' };
        let mut lines: Vec<String> = case.header.iter().map(|h| h.to_string()).collect();
        for good in case.good {
            let fields: Vec<&str> = good.split(sep).collect();
            for i in 0..fields.len() {
                for wild in WILD {
                    let mut f = fields.clone();
                    f[i] = wild;
                    lines.push(f.join(&sep.to_string()));
                }
            }
        }
        lines.extend(case.good.iter().map(|g| g.to_string()));
        let path = dir.path().join(case.format.name());
        std::fs::write(&path, lines.join("\n")).unwrap();
        for unfinished in [Unfinished::Drop, Unfinished::TraceEnd] {
            let mut spec = TraceSpec::new(case.format, &path);
            spec.unfinished = unfinished;
            // Any outcome but a panic is acceptable; the good lines at the end normally still replay.
            let _ = replay(&spec);
            let _ = info::trace_info_with(&spec);
        }
    }
}

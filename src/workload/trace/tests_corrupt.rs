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
        reason: "non-numeric run_time",
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
            // No panic, and no value reaches the engine saturated. The good lines at the end
            // normally still replay (not for Google when a wild timestamp in the future made every
            // later event go backwards: then the replay yields nothing, which is an error).
            let name = case.format.name();
            let (mut r, report) = spec.open_replay(3).unwrap();
            loop {
                match r.next_task() {
                    Ok(Some(t)) => {
                        assert!(t.duration.as_secs_f64() <= 1e11, "{name}: {t:?}");
                        assert!(t.demand.cpu_milli <= 1 << 40, "{name}: {t:?}");
                        assert!(t.demand.memory <= 1 << 62, "{name}: {t:?}");
                        assert!(t.demand.disk <= 1 << 62, "{name}: {t:?}");
                    }
                    Ok(None) => break,
                    Err(e) => {
                        assert!(
                            e.to_string().contains("trace yields no tasks"),
                            "{name}: {e}"
                        );
                        break;
                    }
                }
            }
            let report = report.lock().unwrap().clone();
            assert_eq!(report.unaccounted(), 0, "{name}: records lost\n{report}");
        }
    }
}

/// One line per format with a non-finite, negative or absurd value where a number is expected, and
/// the reason it must be skipped with.
const OUT_OF_RANGE: &[(TraceFormat, &str, &str)] = &[
    (
        Swf,
        "3 10 0 100 inf -1 -1 2 60 -1 1 2 1 -1 0 -1 -1 -1",
        "non-finite allocated_processors",
    ),
    (
        Swf,
        "3 10 0 100 1e308 -1 -1 2 60 -1 1 2 1 -1 0 -1 -1 -1",
        "allocated_processors too large",
    ),
    (
        Swf,
        "3 10 0 NaN 2 -1 -1 2 60 -1 1 2 1 -1 0 -1 -1 -1",
        "non-finite run_time",
    ),
    (
        Swf,
        "3 10 0 1e308 2 -1 -1 2 60 -1 1 2 1 -1 0 -1 -1 -1",
        "run_time too large",
    ),
    (
        Swf,
        "3 10 0 -7 2 -1 -1 2 60 -1 1 2 1 -1 0 -1 -1 -1",
        "run_time below -1",
    ),
    (
        Swf,
        "3 10 0 5 1000 -1 -1 2 60 1e15 1 2 1 -1 0 -1 -1 -1",
        "memory too large",
    ),
    (
        AzureLlm,
        "2023-11-16 18:00:02.0000000,inf,10",
        "non-finite ContextTokens",
    ),
    (
        AzureLlm,
        "2023-11-16 18:00:02.0000000,10,NaN",
        "non-finite GeneratedTokens",
    ),
    (
        AzureLlm,
        "2023-11-16 18:00:02.0000000,-5,10",
        "negative ContextTokens",
    ),
    (
        AzureLlm,
        "2023-11-16 18:00:02.0000000,1e308,10",
        "ContextTokens too large",
    ),
    (
        Alibaba2017,
        "10,20,1,3,2,Terminated,-50,0.01",
        "negative cpu request",
    ),
    (
        Alibaba2017,
        "10,20,1,3,2,Terminated,50,inf",
        "non-finite memory request",
    ),
    (
        Alibaba2018,
        "M3,1,j_1,1,Terminated,100,200,-100,0.5",
        "negative plan_cpu",
    ),
    (
        Gpu2023,
        "p2,-1000,1024,0,0,,LS,Running,10,100,20",
        "negative cpu_milli",
    ),
    (
        Google2011,
        "700000002,,8,0,,0,u,2,5,NaN,0.25,0.01,0",
        "non-finite cpu_request",
    ),
    (
        Google2011,
        "700000002,,8,0,,0,u,2,5,1e308,0.25,0.01,0",
        "cpu_request too large",
    ),
    (Csv, "5,inf,1,1GiB,0", "non-finite duration_s"),
    (Csv, "5,10,-1,1GiB,0", "negative cpu"),
    (Csv, "5,10,1,1e300,0", "memory too large"),
];

#[test]
fn non_finite_negative_and_absurd_values_are_skipped_with_a_reason_or_rejected_when_strict() {
    let dir = tempfile::tempdir().unwrap();
    for (i, &(format, bad, reason)) in OUT_OF_RANGE.iter().enumerate() {
        let case = CASES.iter().find(|c| c.format == format).unwrap();
        let mut lines: Vec<&str> = case.header.to_vec();
        lines.extend(case.good);
        lines.push(bad);
        let bad_line = lines.len() as u64;
        let path = dir.path().join(format!("{i}.txt"));
        std::fs::write(&path, lines.join("\n")).unwrap();
        let mut spec = TraceSpec::new(format, &path);
        let (tasks, report) = replay(&spec).unwrap_or_else(|e| panic!("{reason}: {e}"));
        assert_eq!(
            tasks, case.tasks,
            "{reason}: the good lines replay\n{report}"
        );
        assert_eq!(report.malformed_total(), 1, "{reason}\n{report}");
        assert_eq!(
            report.malformed.get(reason).map(|r| r.first_lines.clone()),
            Some(vec![bad_line]),
            "{reason}\n{report}"
        );
        spec.strict = true;
        let err = replay(&spec).expect_err("strict").to_string();
        assert_eq!(err, format!("{}:{bad_line}: {reason}", path.display()));
    }
}

#[test]
fn node_lists_reject_negative_and_absurd_capacities() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            Gpu2023Nodes,
            "sn,cpu_milli,memory_mib,gpu,model\nn0,32000,1024,0,\nn1,-1,1024,0,\n",
            "negative cpu_milli",
        ),
        (
            Alibaba2018Machines,
            "m_1,0,1,1,96,50,USING\nm_2,0,1,1,-96,50,USING\n",
            "negative cpu_num",
        ),
        (
            Alibaba2018Machines,
            "m_1,0,1,1,96,50,USING\nm_2,0,1,1,inf,50,USING\n",
            "non-finite cpu_num",
        ),
        (
            Alibaba2018Machines,
            "m_1,0,1,1,96,50,USING\nm_2,0,1,1,1e308,50,USING\n",
            "cpu_num too large",
        ),
    ];
    for (format, text, reason) in files {
        let path = dir.path().join(format.name());
        std::fs::write(&path, text).unwrap();
        let mut spec = TraceSpec::new(format, &path);
        let groups = spec.cluster().unwrap().unwrap();
        assert_eq!(groups.iter().map(|g| g.count).sum::<u32>(), 1, "{reason}");
        spec.strict = true;
        let err = spec.cluster().unwrap_err().to_string();
        assert_eq!(
            err,
            format!("{}:{}: {reason}", path.display(), text.lines().count())
        );
    }
}

#[test]
fn a_line_longer_than_the_limit_is_an_error_naming_file_and_line() {
    use flate2::{write::GzEncoder, Compression};
    let dir = tempfile::tempdir().unwrap();
    let long = vec![b'7'; input::MAX_LINE_BYTES + 1];
    // Plain: second line too long. Gzip: one endless line compresses to almost nothing.
    let plain = dir.path().join("long.csv");
    std::fs::write(
        &plain,
        [b"arrival_s,duration_s,cpu,memory,disk\n".as_slice(), &long].concat(),
    )
    .unwrap();
    let gz = dir.path().join("long.gz");
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    for _ in 0..64 {
        enc.write_all(&long[..1 << 20]).unwrap();
    }
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    for (path, line) in [(&plain, 2), (&gz, 1)] {
        let err = trace_info(path, Csv, false).unwrap_err().to_string();
        let expected = format!(
            "{}:{line}: line longer than {} bytes",
            path.display(),
            input::MAX_LINE_BYTES
        );
        assert!(err.starts_with(&expected), "{err}");
    }
    // A line of exactly the limit is fine (and malformed only for what it holds).
    let exact = dir.path().join("exact.swf");
    let mut text = b"; MaxProcs: 4\n1 0 0 10 1 -1 -1 1 10 -1 1 1 1 -1 0 -1 -1 -1\n".to_vec();
    text.extend(vec![b' '; input::MAX_LINE_BYTES]);
    std::fs::write(&exact, text).unwrap();
    assert_eq!(trace_info(&exact, Swf, true).unwrap().tasks, 1);
}

/// The first line of a typical `/etc/passwd`: a file that is not a trace.
const NOT_A_TRACE: &str =
    "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n";

#[test]
fn errors_never_echo_the_content_of_a_file_that_is_not_a_trace() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("passwd");
    std::fs::write(&path, NOT_A_TRACE).unwrap();
    for &(_, format) in super::NAMES.iter() {
        for strict in [false, true] {
            let err = trace_info(&path, format, strict)
                .expect_err("not a trace")
                .to_string();
            assert!(!err.contains("root"), "{}: {err}", format.name());
        }
    }
}

#[test]
fn a_gzip_with_a_bad_crc_fails_verification_before_any_replay() {
    use flate2::{write::GzEncoder, Compression};
    let dir = tempfile::tempdir().unwrap();
    let case = &CASES[4]; // SWF
    let text = [case.header.join("\n"), case.good.join("\n")].join("\n");
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    let mut gz = enc.finish().unwrap();
    let path = dir.path().join("log.swf.gz");
    std::fs::write(&path, &gz).unwrap();
    let spec = TraceSpec::new(Swf, &path);
    spec.verify_compressed().unwrap();
    let crc = gz.len() - 8;
    gz[crc] ^= 0xff;
    std::fs::write(&path, &gz).unwrap();
    let err = spec.verify_compressed().unwrap_err();
    assert!(matches!(err, WorkloadError::Io { .. }), "{err}");
    assert!(err.chain().contains("checksum"), "{}", err.chain());
    assert!(
        trace_info(&path, Swf, false).is_err(),
        "trace info refuses it too"
    );
}

#[test]
fn io_errors_name_the_file_and_leave_the_cause_to_source() {
    use flate2::{write::GzEncoder, Compression};
    let dir = tempfile::tempdir().unwrap();
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(CASES[0].good.join("\n").as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    let path = dir.path().join("cut.gz");
    std::fs::write(&path, &gz[..gz.len() - 12]).unwrap();
    let err = trace_info(&path, Google2011, false).unwrap_err();
    let cause = std::error::Error::source(&err)
        .expect("the cause is the source")
        .to_string();
    assert!(!err.to_string().contains(&cause), "{err} repeats {cause}");
    assert_eq!(err.chain(), format!("{err}: {cause}"));
    assert_eq!(err.chain().matches(&cause).count(), 1, "{}", err.chain());
}

#[test]
fn run_strict_reads_the_node_list_strictly() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = dir.path().join("nodes.csv");
    std::fs::write(
        &nodes,
        "sn,cpu_milli,memory_mib,gpu,model\nn0,32000,1024,0,\nn1,oops,1,0,\n",
    )
    .unwrap();
    let pods = dir.path().join("pods.csv");
    std::fs::write(&pods, [CASES[3].header[0], CASES[3].good[0]].join("\n")).unwrap();
    let mut spec = TraceSpec::new(Gpu2023, &pods);
    spec.nodes = Some(nodes.clone());
    spec.check_nodes().unwrap();
    spec.strict = true;
    let err = spec.check_nodes().unwrap_err().to_string();
    assert_eq!(err, format!("{}:3: non-numeric cpu_milli", nodes.display()));
}

#[test]
fn google_tasks_present_at_trace_start_arrive_at_the_window_and_run_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.csv");
    // Job 1 exists at timestamp 0, scheduled at 0 and finishing at 900 s: it arrives at simulated 0
    // (trace 600 s) and runs the 300 s left. Job 2 is submitted at 700 s and ends at 760 s.
    let lines = [
        "0,2,1,0,,0,u,2,5,0.5,0.25,0,0",
        "0,2,1,0,3,1,u,2,5,0.5,0.25,0,0",
        "700000000,,2,0,,0,u,2,5,0.5,0.25,0,0",
        "710000000,,2,0,3,1,u,2,5,0.5,0.25,0,0",
        "760000000,,2,0,3,4,u,2,5,0.5,0.25,0,0",
        "900000000,,1,0,3,4,u,2,5,0.5,0.25,0,0",
    ];
    std::fs::write(&path, lines.join("\n")).unwrap();
    let mut spec = TraceSpec::new(Google2011, &path);
    let (mut r, report) = spec.open_replay(0).unwrap();
    let a = r.next_task().unwrap().unwrap();
    let b = r.next_task().unwrap().unwrap();
    assert!(r.next_task().unwrap().is_none());
    assert_eq!((a.arrival.0, a.duration.0), (0, 300_000_000));
    assert_eq!(
        a.observed.as_ref().unwrap().wait,
        None,
        "no real wait for at-start tasks"
    );
    // 700 s - 600 s; wait 10 s; run 760 - 710 = 50 s
    assert_eq!((b.arrival.0, b.duration.0), (100_000_000, 50_000_000));
    assert_eq!(
        b.observed.as_ref().unwrap().wait,
        Some(crate::time::SimDuration::from_secs(10))
    );
    assert_eq!(report.lock().unwrap().unaccounted(), 0);
    spec.keep_at_start = false;
    let (n, report) = replay(&spec).unwrap();
    assert_eq!(n, 1);
    assert_eq!(report.dropped_count("present at trace start"), 1);
    assert_eq!((report.submitted, report.kept), (2, 1));
}

#[test]
fn records_read_past_window_end_are_counted_as_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.csv");
    // Three tasks; the window ends at 800 s, after the first SUBMIT and before the others, while the
    // Google reader still holds the second (waiting for its end) when the replay stops.
    let lines = [
        "700000000,,1,0,,0,u,2,5,0.5,0.25,0,0",
        "710000000,,1,0,3,1,u,2,5,0.5,0.25,0,0",
        "750000000,,1,0,3,4,u,2,5,0.5,0.25,0,0",
        "800000000,,2,0,,0,u,2,5,0.5,0.25,0,0",
        "810000000,,3,0,,0,u,2,5,0.5,0.25,0,0",
        "820000000,,3,0,3,1,u,2,5,0.5,0.25,0,0",
        "830000000,,3,0,3,4,u,2,5,0.5,0.25,0,0",
    ];
    std::fs::write(&path, lines.join("\n")).unwrap();
    let mut spec = TraceSpec::new(Google2011, &path);
    spec.window_end = Some(800.0);
    let (n, report) = replay(&spec).unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        report.submitted - report.kept,
        report.dropped_total(),
        "{report}"
    );
    assert!(
        report.dropped_count("at or after window_end (replay stopped)") >= 1,
        "{report}"
    );
}

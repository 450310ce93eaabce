//! Every bundled sample (`traces/` at the repository's top), checked against counts made
//! independently of this code: the awk command that made each expected number is in the comment above
//! its assertion (run them in the repository's top directory; `traces/README.md` repeats them).

use std::path::{Path, PathBuf};

use super::TraceFormat::*;
use super::*;
use crate::time::SimDuration;

/// The bundled samples' directory.
pub(super) fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("traces")
}

/// A bundled sample; fails loudly (never skips) when it is missing.
pub(super) fn sample(rel: &str) -> PathBuf {
    let path = samples_dir().join(rel);
    assert!(
        path.exists(),
        "trace sample {} is missing from the repository (see traces/README.md)",
        path.display()
    );
    path
}

fn info(format: TraceFormat, rel: &str) -> TraceInfo {
    let i = trace_info(&sample(rel), format, false).expect("sample parses");
    assert_eq!(i.report.unaccounted(), 0, "{rel}: records lost\n{i}");
    i
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

const GOOGLE: &str = "google-2011/task_events/part-00001-of-00500.csv.gz";

// Google part-00001, default options (unfinished tasks dropped). Independent count: an awk script
// pairing each SUBMIT with the next SCHEDULE and end event (2..6) of the same (job_id, task_index):
//   BEGIN{FS=","} {k=$3" "$4; e=$6}
//   e==0 { subm++; open[k]=1; sch[k]=0; c[k]=$10; s[k]=$1; next }
//   !(k in open) {ign++; next}
//   e>=2 && e<=6 { if(sch[k]) { n++; cpu+=c[k]; if(s[k]+0>mx) mx=s[k]+0 } else nosch++;
//                  delete open[k]; next }
//   { if(c[k]=="") c[k]=$10; if(e==1) sch[k]=1 }
//   END { for (k in open) left++; printf "submits %d ended %d max_submit_us %.0f mean_cpu %.9f
//         ended_unscheduled %d open_at_eof %d ignored %d\n", subm, n, mx, cpu/n, nosch, left, ign }
// zcat traces/google-2011/task_events/part-00001-of-00500.csv.gz | awk -f g.awk
//   -> submits 25822 ended 18519 max_submit_us 10604535829 mean_cpu 0.029693969
//      ended_unscheduled 10 open_at_eof 7293 ignored 7658
// (zcat ... | wc -l -> 77776 lines)
#[test]
fn google_part1_matches_awk() {
    let i = info(Google2011, GOOGLE);
    assert_eq!((i.lines, i.tasks), (77_776, 18_519));
    // (10604535829 - 600000000) / 1e6
    assert!(close(i.last_arrival_s, 10_004.535829, 1e-6));
    // 0.029693969 of the largest machine x 32 reference cores
    assert!(
        close(i.cpu.mean, 0.029693969 * 32.0, 1e-3),
        "{}",
        i.cpu.mean
    );
    assert_eq!(i.report.submitted, 25_822);
    assert_eq!(i.report.dropped_count("no end in trace"), 7293);
    assert_eq!(i.report.dropped_count("ended before it was scheduled"), 10);
    assert_eq!(
        i.report
            .ignored_count("event for a task not submitted in this file"),
        7658
    );
    assert_eq!(i.report.malformed_total(), 0);
}

#[test]
fn google_unfinished_policy_keeps_every_scheduled_submit() {
    let mut spec = TraceSpec::new(Google2011, sample(GOOGLE));
    spec.unfinished = Unfinished::Fixed(SimDuration::from_secs(60));
    let i = info::trace_info_with(&spec).unwrap();
    // 25822 SUBMITs less the 10 that end before any SCHEDULE (awk above)
    assert_eq!(i.tasks, 25_812);
    assert_eq!(i.report.dropped_count("ended before it was scheduled"), 10);
    assert_eq!(i.report.unaccounted(), 0);
}

#[test]
fn google_lookahead_bounds_how_long_an_end_is_waited_for() {
    let mut spec = TraceSpec::new(Google2011, sample(GOOGLE));
    spec.lookahead = Some(SimDuration::from_secs(300));
    let i = info::trace_info_with(&spec).unwrap();
    // Tasks whose end event comes at most 300 s after their SUBMIT:
    // zcat ... | awk -F, '{k=$3" "$4; e=$6} e==0{open[k]=1; sch[k]=0; s[k]=$1; next}
    //   !(k in open){next} e>=2&&e<=6{ if($1-s[k] <= 300000000) { if(sch[k]) n++; else u++ }
    //   else late++; delete open[k]; next} e==1{sch[k]=1} END{print n, u, late}'
    //   -> 11765 9 6755
    assert_eq!(i.tasks, 11_765);
    assert_eq!(i.report.dropped_count("ended before it was scheduled"), 9);
    // The 6755 ending late and the 7293 never ending are released unresolved: by the look-ahead, or
    // by the end of the file for those submitted in its last 300 s.
    let beyond = i.report.dropped_count("end beyond look-ahead");
    let no_end = i.report.dropped_count("no end in trace");
    assert_eq!(beyond + no_end, 6755 + 7293);
    assert!(beyond >= 6755 && no_end > 0, "{beyond} {no_end}");
    assert_eq!(i.report.unaccounted(), 0);
    spec.lookahead = None;
    spec.max_open = 10;
    let capped = info::trace_info_with(&spec).unwrap();
    assert!(
        capped.tasks < 11_765,
        "ten open tasks at most: {}",
        capped.tasks
    );
    assert_eq!(capped.report.unaccounted(), 0);
}

const ALIBABA2017: &str = "alibaba/v2017/batch_task.csv.gz";

// zcat traces/alibaba/v2017/batch_task.csv.gz | tr -d '\r' | awk -F, 'NR>1 &&
//   ($6=="Terminated"||$6=="Failed") && $7!="" && $8!="" && $2>=$1 {n++; cpu+=$7/100;
//   if($1>mx)mx=$1} END{printf "%d %d %d %.9f\n", NR-1, n, mx, cpu/n}'
//   -> 80553 68128 60181 0.628993219
#[test]
fn alibaba2017_counts_span_and_cpu() {
    let i = info(Alibaba2017, ALIBABA2017);
    assert_eq!(i.lines, 80_554, "80,553 rows + header");
    assert_eq!(i.report.submitted, 80_553);
    assert_eq!(i.tasks, 68_128);
    // created at -1078 s (before the trace): a start-of-trace task at simulated 0
    assert_eq!(i.first_arrival_s, 0.0);
    assert_eq!(i.last_arrival_s, 60_181.0);
    assert!(close(i.cpu.mean, 0.628993219, 1e-6), "{}", i.cpu.mean);
    // ... 'NR>1 && ($7==""||$8=="")' -> 9017 rows (8847 Waiting, 159 Running, 10 Terminated,
    // 1 Failed)
    assert_eq!(i.report.dropped_count("no resource request"), 9017);
    // ... 'NR>1 && $7!="" && $8!="" && !($6=="Terminated"||$6=="Failed")' -> 3408
    assert_eq!(i.report.dropped_count("no end in trace"), 3408);
    assert_eq!(i.report.malformed_total(), 0);
}

#[test]
fn alibaba2017_expands_instances() {
    let mut spec = TraceSpec::new(Alibaba2017, sample(ALIBABA2017));
    spec.expand_instances = true;
    spec.window_end = Some(3600.0);
    let i = info::trace_info_with(&spec).unwrap();
    // zcat ... | tr -d '\r' | awk -F, 'NR>1 && ($6=="Terminated"||$6=="Failed") && $7!="" &&
    //   $8!="" && $2>=$1 && $1<3600 {s+=($5>0?$5:1)} END{print s}' -> 729459
    assert_eq!(i.tasks, 729_459);
    // Every row is read (the table is unsorted) and accounted for, those after the window included.
    assert_eq!(i.report.submitted, 80_553);
    assert_eq!(i.report.unaccounted(), 0);
}

const PODS: &str = "alibaba/gpu-v2023/openb_pod_list_default.csv.gz";

// zcat traces/alibaba/gpu-v2023/openb_pod_list_default.csv.gz | awk -F, 'NR>1 {r++}
//   NR>1 && $11!="" {n++; cpu+=$2/1000; if($9>mx)mx=$9} END{printf "%d %d %d %.9f\n", r, n, mx,
//   cpu/n}' -> 8152 7255 12901761 10.533964990 (so 897 rows with no scheduled_time)
#[test]
fn gpu2023_pods_and_cluster() {
    let i = info(Gpu2023, PODS);
    assert_eq!((i.lines, i.tasks), (8153, 7255));
    assert_eq!(i.report.submitted, 8152);
    assert_eq!(i.last_arrival_s, 12_901_761.0);
    assert!(close(i.cpu.mean, 10.533964990, 1e-6));
    assert_eq!(i.report.dropped_count("never scheduled"), 897);
    // The node list beside the pods is the default cluster.
    let groups = TraceSpec::new(Gpu2023, sample(PODS))
        .cluster()
        .unwrap()
        .expect("gpu2023 defines its cluster");
    let nodes: u32 = groups.iter().map(|g| g.count).sum();
    let cpu: u64 = groups
        .iter()
        .map(|g| g.count as u64 * g.capacity.cpu_milli)
        .sum();
    // awk -F, 'NR>1 {s+=$2} END{print NR-1, s}' traces/alibaba/gpu-v2023/openb_node_list_all_node.csv
    //   -> 1523 125514000
    assert_eq!((nodes, cpu), (1523, 125_514_000));
}

const MACHINE_META: &str = "alibaba/v2018/machine_meta.csv.gz";

// zcat traces/alibaba/v2018/machine_meta.csv.gz | cut -d, -f1 | sort -u | wc -l -> 4034
#[test]
fn alibaba2018_machines_give_nodes_and_events() {
    let mut spec = TraceSpec::new(Alibaba2017, sample(ALIBABA2017));
    spec.nodes = Some(sample(MACHINE_META));
    let groups = spec.cluster().unwrap().unwrap();
    assert_eq!(groups.iter().map(|g| g.count).sum::<u32>(), 4034);
    let events = spec.node_events().unwrap();
    assert!(events
        .windows(2)
        .all(|w| (w[0].time, w[0].node) <= (w[1].time, w[1].node)));
    // Machines whose first record is after 0: zcat ... | awk -F, '!($1 in f){f[$1]=$2}
    //   END{for(k in f) if(f[k]>0)c++; print c}' -> 147, each down at 0 and up at its first (USING)
    //   record.
    let late = events.iter().filter(|e| e.time.0 == 0 && !e.up).count();
    assert_eq!(late, 147);
    // One event per change of state, a machine starting down at 0 when first seen later:
    // zcat ... | awk -F, '{up=($7=="USING")} !($1 in s){ if($2>0){n++; s[$1]=0} else s[$1]=1 }
    //   { if(up!=s[$1]){n++; s[$1]=up} } END{print n}' -> 293
    assert_eq!(events.len(), 293);
}

const SWF: &str = "swf/NASA-iPSC-1993-3.1-cln.swf.gz";

// zcat traces/swf/NASA-iPSC-1993-3.1-cln.swf.gz | awk '!/^;/ && NF==18 {n++; p=($5>0?$5:$8); cpu+=p;
//   if($2>mx)mx=$2; if($17>0)d++} END{printf "%d %d %d %.9f %d\n", NR, n, mx, cpu/n, d}'
//   -> 18271 18239 7948936 16.993968968 0
#[test]
fn swf_gz_and_plain_agree_with_awk() {
    // The plain copy is the bundled gzip decompressed here (only the gzip is bundled).
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("NASA.swf");
    let mut gz = flate2::read::MultiGzDecoder::new(std::fs::File::open(sample(SWF)).unwrap());
    std::io::copy(&mut gz, &mut std::fs::File::create(&plain).unwrap()).unwrap();
    for path in [sample(SWF), plain] {
        let i = trace_info(&path, Swf, false).unwrap();
        let shown = path.display();
        assert_eq!((i.lines, i.tasks), (18_271, 18_239), "{shown}");
        assert_eq!(i.report.unaccounted(), 0, "{shown}");
        assert_eq!(i.last_arrival_s, 7_948_936.0);
        assert!(close(i.cpu.mean, 16.993968968, 1e-6));
        assert_eq!(i.with_deps, 0);
        let groups = TraceSpec::new(Swf, &path).cluster().unwrap().unwrap();
        assert_eq!(
            (groups[0].count, groups[0].capacity.cpu_milli),
            (1, 128_000),
            "MaxProcs: 128"
        );
    }
}

// zcat traces/azure/AzureLLMInferenceTrace_{code,conv}.csv.gz | awk -F, 'NR>1{n++} END{print n}'
// -> 8819 and 19366; first/last TIMESTAMP with sed -n '2p;$p': code 18:17:03.9799600 ..
// 19:14:19.9280160 (3435.948056 s), conv 18:15:46.6805900 .. 19:14:08.4025270 (3501.721937 s)
#[test]
fn azure_requests_and_span() {
    let code = info(AzureLlm, "azure/AzureLLMInferenceTrace_code.csv.gz");
    assert_eq!(code.tasks, 8819);
    assert!(
        close(code.last_arrival_s, 3435.948056, 1e-6),
        "{}",
        code.last_arrival_s
    );
    let conv = info(AzureLlm, "azure/AzureLLMInferenceTrace_conv.csv.gz");
    assert_eq!(
        conv.tasks, 19_366,
        "the last line has no newline and still counts"
    );
    assert!(
        close(conv.last_arrival_s, 3501.721937, 1e-6),
        "{}",
        conv.last_arrival_s
    );
    // default rule: mean duration = 0.05 + 0.0002 * mean(context) + 0.02 * mean(generated):
    // awk -F, 'NR>1{c+=$2;g+=$3} END{printf "%.9f", 0.05+0.0002*c/(NR-1)+0.02*g/(NR-1)}'
    //   -> code 1.017220184, conv 4.503458329
    assert!(
        close(code.duration_s.mean, 1.017220184, 1e-6),
        "{}",
        code.duration_s.mean
    );
    assert!(
        close(conv.duration_s.mean, 4.503458329, 1e-6),
        "{}",
        conv.duration_s.mean
    );
}

#[test]
fn node_lists_match_awk() {
    // awk -F, 'NR>1 {s+=$2} END{print NR-1, s}' traces/alibaba/gpu-v2023/openb_node_list_gpu_node.csv
    //   -> 1213 107018000
    let gpu_nodes = "alibaba/gpu-v2023/openb_node_list_gpu_node.csv";
    assert_eq!(info(Gpu2023Nodes, gpu_nodes).nodes, Some(1213));
    let groups = TraceSpec::new(Gpu2023Nodes, sample(gpu_nodes))
        .cluster()
        .unwrap()
        .unwrap();
    let cpu: u64 = groups
        .iter()
        .map(|g| g.count as u64 * g.capacity.cpu_milli)
        .sum();
    assert_eq!(cpu, 107_018_000);
    // zcat traces/alibaba/v2018/machine_meta.csv.gz | awk -F, '!($1 in f){f[$1]=1; c+=$5}
    //   END{print c}' -> 387264 cores
    let spec = TraceSpec::new(Alibaba2018Machines, sample(MACHINE_META));
    let groups = spec.cluster().unwrap().unwrap();
    let cores: u64 = groups
        .iter()
        .map(|g| g.count as u64 * g.capacity.cpu_milli)
        .sum();
    assert_eq!(cores, 387_264_000);
    assert!(spec.open(0).is_err(), "a node list is not a task source");
}

/// `traces/sha256` in `sha256sum` format, as (hex digest, path relative to `traces/`).
fn recorded_checksums() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(samples_dir().join("sha256")).unwrap();
    text.lines()
        .map(|l| {
            let (sum, path) = l
                .split_once("  ")
                .expect("sha256sum format: digest, two spaces, path");
            (sum.to_string(), path.trim_start_matches("./").to_string())
        })
        .collect()
}

#[test]
fn bundled_samples_match_their_recorded_sha256_and_all_are_listed() {
    use sha2::{Digest, Sha256};
    let recorded = recorded_checksums();
    assert!(recorded.len() >= 9, "{recorded:?}");
    for (sum, rel) in &recorded {
        let bytes = std::fs::read(sample(rel)).unwrap();
        let hex: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(&hex, sum, "traces/{rel} differs from traces/sha256");
    }
    // Every data file is listed (README.md and sha256 itself excepted).
    let mut stack = vec![samples_dir()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(samples_dir())
                .unwrap()
                .to_string_lossy()
                .to_string();
            if rel != "README.md" && rel != "sha256" {
                assert!(
                    recorded.iter().any(|(_, r)| *r == rel),
                    "traces/{rel} is not in traces/sha256"
                );
            }
        }
    }
}

/// The pod list's lines (header skipped), decompressed with flate2 and split by hand: an independent
/// reading of the sample, not the reader under test.
fn pod_rows() -> Vec<Vec<String>> {
    use std::io::Read;
    let file = std::fs::File::open(sample(PODS)).unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

// Independent numbers (awk, for the record):
// zcat traces/alibaba/gpu-v2023/openb_pod_list_default.csv.gz | awk -F, 'NR>1 {a+=$4*$5}
//   NR>1 && $11!="" {s+=$4*$5} END {print a/1000, s/1000}' -> 6086.8 5484.93
// awk -F, 'NR>1 && $4>0 {g+=$4; n++} END {print g, n}' traces/alibaba/gpu-v2023/openb_node_list_all_node.csv
//   -> 6212 1213
#[test]
fn gpu2023_gpu_totals_match_an_independent_count() {
    let rows = pod_rows();
    assert_eq!(rows.len(), 8152);
    // Count by hand: kind of each scheduled pod, GPU totals over all pods and scheduled ones.
    let (mut all_milli, mut sched_milli) = (0u64, 0u64);
    let (mut none, mut share, mut whole) = (0u64, 0u64, std::collections::BTreeMap::new());
    for f in &rows {
        let (n, m): (u64, u64) = (f[3].parse().unwrap(), f[4].parse().unwrap());
        all_milli += n * m;
        if f[10].is_empty() {
            continue;
        }
        sched_milli += n * m;
        match (n, m) {
            (0, _) => none += 1,
            (1, m) if m < 1000 => share += 1,
            (k, _) => *whole.entry(k).or_insert(0u64) += 1,
        }
    }
    assert_eq!((all_milli, sched_milli), (6_086_800, 5_484_930));
    // What the reader yields.
    let i = info(Gpu2023, PODS);
    let g = i.gpu.clone().expect("the GPU trace has GPU demands");
    assert_eq!(g.total_milli, sched_milli);
    assert_eq!(g.none, none);
    assert_eq!(g.shares.iter().sum::<u64>(), share);
    let whole_by_k: Vec<u64> = [1, 2, 4, 8].iter().map(|k| whole[k]).collect();
    assert_eq!(g.whole.to_vec(), whole_by_k);
    assert_eq!(g.whole_other, 0);
    assert_eq!(none + share + whole.values().sum::<u64>(), i.tasks);
    // And task by task, through the replay itself.
    let mut replay = TraceSpec::new(Gpu2023, sample(PODS)).open(0).unwrap();
    let mut sum = 0;
    while let Some(t) = replay.next_task().unwrap() {
        assert!(crate::resources::gpu_demand_error(t.demand.gpu_milli).is_none());
        sum += t.demand.gpu_milli;
    }
    assert_eq!(sum, 5_484_930);

    // The node list, counted by hand.
    let text =
        std::fs::read_to_string(sample("alibaba/gpu-v2023/openb_node_list_all_node.csv")).unwrap();
    let mut by_model: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let gpus: u64 = f[3].parse().unwrap();
        if gpus > 0 {
            let e = by_model.entry(f[4].to_string()).or_default();
            e.0 += 1;
            e.1 += gpus;
        }
    }
    let (nodes, gpus) = by_model
        .values()
        .fold((0, 0), |(n, g), &(a, b)| (n + a, g + b));
    assert_eq!((nodes, gpus), (1213, 6212));
    let reported: std::collections::BTreeMap<String, (u64, u64)> = i
        .node_gpus
        .iter()
        .map(|m| (m.model.clone(), (m.nodes, m.gpus)))
        .collect();
    assert_eq!(reported, by_model);
    // The cluster the replay uses: the same GPUs, each group's model bit set from the table.
    let groups = TraceSpec::new(Gpu2023, sample(PODS))
        .cluster()
        .unwrap()
        .unwrap();
    let cluster_gpus: u64 = groups
        .iter()
        .map(|g| g.count as u64 * g.capacity.gpu_milli)
        .sum();
    assert_eq!(cluster_gpus, 6_212_000);
    for g in &groups {
        assert_eq!(
            g.gpu_model.is_some(),
            g.capacity.gpu_milli > 0,
            "{}",
            g.name
        );
        assert_eq!(g.capacity.gpu_models.is_any(), g.gpu_model.is_none());
    }
}

/// A pod list and node list in a temporary directory.
fn gpu_files(pods: &str, nodes: &str) -> (tempfile::TempDir, TraceSpec) {
    let dir = tempfile::tempdir().unwrap();
    let header = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n";
    std::fs::write(dir.path().join("pods.csv"), format!("{header}{pods}")).unwrap();
    std::fs::write(
        dir.path().join("nodes.csv"),
        format!("sn,cpu_milli,memory_mib,gpu,model\n{nodes}"),
    )
    .unwrap();
    let mut spec = TraceSpec::new(Gpu2023, dir.path().join("pods.csv"));
    spec.nodes = Some(dir.path().join("nodes.csv"));
    (dir, spec)
}

#[test]
fn malformed_gpu_combinations_are_counted_and_strict_names_the_line() {
    let pods = "\
ok-none,1000,1024,0,0,,LS,Running,0,10,0
ok-share,1000,1024,1,300,,LS,Running,0,10,0
ok-whole,1000,1024,4,1000,,LS,Running,0,10,0
bad-several-shares,1000,1024,2,500,,LS,Running,0,10,0
bad-above-one,1000,1024,1,1500,,LS,Running,0,10,0
bad-share-no-gpu,1000,1024,0,300,,LS,Running,0,10,0
bad-gpu-no-share,1000,1024,2,0,,LS,Running,0,10,0
";
    let (_dir, mut spec) = gpu_files(pods, "n0,32000,65536,8,T4\n");
    let i = info::trace_info_with(&spec).unwrap();
    assert_eq!(i.tasks, 3);
    assert_eq!(i.report.malformed_total(), 4);
    let r = &i.report;
    // Lines are 1-based with the header as line 1.
    assert_eq!(
        r.malformed["a share of a GPU (gpu_milli below 1000) on several GPUs"].first_lines,
        vec![5]
    );
    assert_eq!(r.malformed_count("gpu_milli above 1000 (one GPU)"), 1);
    assert_eq!(r.malformed_count("gpu_milli without a GPU (num_gpu 0)"), 1);
    assert_eq!(
        r.malformed_count("num_gpu without a share (gpu_milli 0)"),
        1
    );
    let g = i.gpu.unwrap();
    assert_eq!((g.none, g.shares[1], g.whole[2]), (1, 1, 1));
    assert_eq!(g.total_milli, 4300);
    spec.strict = true;
    let err = info::trace_info_with(&spec).unwrap_err().to_string();
    assert!(
        err.contains("pods.csv:5: a share of a GPU (gpu_milli below 1000) on several GPUs"),
        "{err}"
    );
}

#[test]
fn gpu_spec_resolves_against_the_node_list_and_unknown_models_fit_no_node() {
    let pods = "\
any,1000,1024,1,500,,LS,Running,0,10,0
v100,1000,1024,1,500,V100M16|V100M32,LS,Running,0,10,0
half-known,1000,1024,1,1000,H100|T4,LS,Running,0,10,0
unknown,1000,1024,1,500,H100,LS,Running,0,10,0
";
    // Models in order of first appearance: T4 = 0, V100M16 = 1, V100M32 = 2.
    let nodes = "c0,32000,65536,0,\nn0,32000,65536,2,T4\nn1,32000,65536,8,V100M16\nn2,32000,65536,8,V100M32\nn3,32000,65536,16,\n";
    let (_dir, spec) = gpu_files(pods, nodes);
    let tasks: Vec<_> = {
        let mut r = spec.open(0).unwrap();
        std::iter::from_fn(|| r.next_task().unwrap()).collect()
    };
    let masks: Vec<u64> = tasks.iter().map(|t| t.demand.gpu_models.0).collect();
    // The unnamed model of n3 is "gpu", number 3; the unknown pod gets bit 4, which no node has.
    assert_eq!(masks, vec![0, 0b110, 0b001, 0b1_0000]);
    let groups = spec.cluster().unwrap().unwrap();
    assert_eq!(groups[4].gpu_model.as_deref(), Some("gpu"));
    assert_eq!(groups[0].gpu_model, None);
    let cluster = crate::cluster::Cluster::new(&groups);
    let fits: Vec<bool> = tasks
        .iter()
        .map(|t| cluster.fits_any_capacity(&t.demand))
        .collect();
    // The engine counts a task that fits no node as unschedulable (ControlPlane::submit).
    assert_eq!(fits, vec![true, true, true, false]);
    let i = info::trace_info_with(&spec).unwrap();
    let g = i.gpu.unwrap();
    assert_eq!((g.with_models, g.unknown_model), (3, 1));
}

#[test]
fn a_node_with_more_than_16_gpus_is_an_error_naming_file_and_line() {
    let (_dir, spec) = gpu_files(
        "p,1000,1024,0,0,,LS,Running,0,10,0\n",
        "n0,32000,65536,8,T4\nn1,32000,65536,17,T4\n",
    );
    let err = spec.cluster().unwrap_err().to_string();
    assert!(err.contains("nodes.csv:3: node n1 has 17 GPUs"), "{err}");
}

/// The GPU kind of a demand: 0 none, 1 a share, 2 one whole GPU, 3 several.
fn gpu_kind(d: &crate::resources::Resources) -> usize {
    match d.gpu_milli {
        0 => 0,
        1..=999 => 1,
        1000 => 2,
        _ => 3,
    }
}

fn drawn(spec: &TraceSpec, seed: u64) -> Vec<crate::workload::TaskSpec> {
    let mut r = spec.open(seed).unwrap();
    std::iter::from_fn(|| r.next_task().unwrap()).collect()
}

#[test]
fn resample_draws_n_tasks_every_interval_reproducibly_with_the_trace_mix() {
    let mut spec = TraceSpec::new(Gpu2023, sample(PODS));
    let n = 20_000u64;
    spec.resample = Some(Resample {
        tasks: n,
        every: SimDuration::from_secs(2),
    });
    let a = drawn(&spec, 7);
    let b = drawn(&spec, 7);
    let c = drawn(&spec, 8);
    assert_eq!(a.len() as u64, n);
    let key = |t: &crate::workload::TaskSpec| (t.demand, t.duration, t.priority);
    assert!(
        a.iter().map(key).eq(b.iter().map(key)),
        "same seed, same draws"
    );
    assert!(
        !a.iter().map(key).eq(c.iter().map(key)),
        "another seed, other draws"
    );
    for (i, t) in a.iter().enumerate() {
        assert_eq!(t.arrival.0, i as u64 * 2_000_000);
        assert_eq!(t.id.0, i as u64);
    }
    // The trace's mix of GPU kinds over the replayed (scheduled) pods.
    let mut pool = [0u64; 4];
    let mut replay = TraceSpec::new(Gpu2023, sample(PODS)).open(0).unwrap();
    let mut pool_keys = std::collections::HashSet::new();
    while let Some(t) = replay.next_task().unwrap() {
        pool[gpu_kind(&t.demand)] += 1;
        pool_keys.insert(key(&t));
    }
    let total: u64 = pool.iter().sum();
    assert_eq!(total, 7255);
    assert!(
        a.iter().all(|t| pool_keys.contains(&key(t))),
        "drawn tasks are trace tasks"
    );
    let mut got = [0u64; 4];
    for t in &a {
        got[gpu_kind(&t.demand)] += 1;
    }
    for k in 0..4 {
        let p = pool[k] as f64 / total as f64;
        let se = (p * (1.0 - p) / n as f64).sqrt();
        // The largest kind share is about 0.5: SE <= sqrt(0.25 / 20000) = 0.0035.
        assert!(se <= 0.0036, "kind {k}: SE {se}");
        let phat = got[k] as f64 / n as f64;
        assert!(
            (phat - p).abs() <= 4.0 * se,
            "kind {k}: drawn {phat:.4}, trace {p:.4}, SE {se:.4}"
        );
    }
}

#[test]
fn hold_makes_every_task_outlast_any_horizon() {
    let mut spec = TraceSpec::new(Gpu2023, sample(PODS));
    spec.hold = true;
    spec.time_scale = 0.01;
    let tasks = drawn(&spec, 0);
    assert_eq!(tasks.len(), 7255);
    // An accepted horizon is below HOLD (check_hold); every task ends at HOLD or later.
    for t in &tasks {
        assert_eq!(t.duration, HOLD);
        assert!(
            (t.arrival + t.duration).0 >= HOLD.0,
            "ends at or after HOLD, past any accepted horizon"
        );
        assert!(
            t.arrival.0.checked_add(t.duration.0).is_some(),
            "no overflow"
        );
    }
    assert!(spec.check_hold(None).is_err());
    assert!(spec.check_hold(Some(HOLD)).is_err());
    assert!(spec
        .check_hold(Some(SimDuration::from_secs(150 * 86_400)))
        .is_ok());
}

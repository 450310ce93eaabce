//! Every vendored sample, checked against counts made independently of this code (the command that
//! made each expected number is in the comment above its assertion; run them in `../shared/traces`).

use std::path::{Path, PathBuf};

use super::TraceFormat::*;
use super::*;
use crate::time::SimDuration;

/// A sample file; fails loudly (never skips) when the shared samples are not where the repo expects.
pub(super) fn sample(rel: &str) -> PathBuf {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/traces"));
    let path = dir.join(rel);
    assert!(
        path.exists(),
        "trace sample {} is missing: tests read the shared samples from ../shared/traces beside the \
         repository (see /work/shared/traces/README.md)",
        path.display()
    );
    path
}

fn info(format: TraceFormat, rel: &str) -> TraceInfo {
    trace_info(&sample(rel), format, false).expect("sample parses")
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

// Google part-00000, default options (unfinished tasks dropped). Independent count: an awk script
// pairing each SUBMIT with the next SCHEDULE and end event (2..6) of the same (job_id, task_index):
//   BEGIN{FS=","} {k=$3" "$4; e=$6}
//   e==0 { open[k]=1; sch[k]=0; c[k]=$10; s[k]=$1; next }
//   !(k in open) {next}
//   e>=2 && e<=6 { if(sch[k]) { n++; cpu+=c[k]; if(s[k]+0>mx) mx=s[k]+0 } delete open[k]; next }
//   { if(c[k]=="") c[k]=$10; if(e==1) sch[k]=1 }
//   END { printf "ended %d max_submit_us %.0f mean_cpu %.9f\n", n, mx, cpu/n }
// zcat task_events/part-00000-of-00500.csv.gz | awk -f g.awk
//   -> ended 58585 max_submit_us 5578929640 mean_cpu 0.027411048
#[test]
fn google_part0_counts_span_and_cpu() {
    let i = info(
        Google2011,
        "google-2011/task_events/part-00000-of-00500.csv.gz",
    );
    assert_eq!(i.lines, 450_146, "README row count");
    assert_eq!(i.tasks, 58_585);
    assert_eq!(
        i.first_arrival_s, 0.0,
        "start-of-trace tasks arrive at 0 (= 600 s)"
    );
    // (5578929640 - 600000000) / 1e6
    assert!(
        close(i.last_arrival_s, 4978.929640, 1e-6),
        "{}",
        i.last_arrival_s
    );
    // 0.027411048 of the largest machine x 32 reference cores
    assert!(
        close(i.cpu.mean, 0.027411048 * 32.0, 1e-3),
        "{}",
        i.cpu.mean
    );
    // The rest of the 201,491 SUBMITs (README): awk counts 76 ending before any SCHEDULE, and
    // 201491 - 58585 - 76 = 142830 still open at the end of the file.
    assert_eq!(i.report.dropped_count("no end in trace"), 142_830);
    assert_eq!(i.report.dropped_count("ended before it was scheduled"), 76);
    assert_eq!(i.report.malformed_total(), 0);
    // The window's start keeps the start-of-trace tasks (they arrive when the window opens).
    let mut spec = TraceSpec::new(
        Google2011,
        sample("google-2011/task_events/part-00000-of-00500.csv.gz"),
    );
    spec.window_start = Some(600.0);
    assert_eq!(info::trace_info_with(&spec).unwrap().tasks, 58_585);
}

#[test]
fn google_unfinished_policy_keeps_every_scheduled_submit() {
    let mut spec = TraceSpec::new(
        Google2011,
        sample("google-2011/task_events/part-00001-of-00500.head20000.csv"),
    );
    spec.unfinished = Unfinished::Fixed(SimDuration::from_secs(60));
    let i = info::trace_info_with(&spec).unwrap();
    // awk '$6==0' FS=, head20000.csv | wc -l -> 7177 SUBMITs; same awk as above with a counter of
    // end-before-SCHEDULE -> 8, so 7177 - 8 = 7169 tasks.
    assert_eq!(i.tasks, 7169);
    assert_eq!(i.report.dropped_count("ended before it was scheduled"), 8);
}

// awk -f g.awk part-00001-of-00500.head20000.csv -> ended 4460 max_submit_us 6741027807
//   mean_cpu 0.015496653
#[test]
fn google_plain_head_matches_awk() {
    let i = info(
        Google2011,
        "google-2011/task_events/part-00001-of-00500.head20000.csv",
    );
    assert_eq!((i.lines, i.tasks), (20_000, 4460));
    assert!(close(i.last_arrival_s, 6141.027807, 1e-6));
    assert!(close(i.cpu.mean, 0.015496653 * 32.0, 1e-3));
}

// tr -d '\r' < batch_task.csv | awk -F, 'NR>1 && ($6=="Terminated"||$6=="Failed") && $7!="" &&
//   $8!="" && $2>=$1 {n++; cpu+=$7/100; if($1>mx)mx=$1} END{print n, mx, cpu/n}'
//   -> 68128 60181 0.628993219
#[test]
fn alibaba2017_counts_span_and_cpu() {
    let i = info(Alibaba2017, "alibaba/v2017/batch_task.csv");
    assert_eq!(i.lines, 80_554, "80,553 rows + header");
    assert_eq!(i.tasks, 68_128);
    // created at -1078 s (before the trace): a start-of-trace task at simulated 0
    assert_eq!(i.first_arrival_s, 0.0);
    assert_eq!(i.last_arrival_s, 60_181.0);
    assert!(close(i.cpu.mean, 0.628993219, 1e-6), "{}", i.cpu.mean);
    // ... $7=="" || $8=="" -> 9017 rows (8847 Waiting, 159 Running, 10 Terminated, 1 Failed)
    assert_eq!(i.report.dropped_count("no resource request"), 9017);
    // rows with a request whose status is Running or Waiting -> 3408
    assert_eq!(i.report.dropped_count("no end in trace"), 3408);
    assert_eq!(i.report.malformed_total(), 0);
}

#[test]
fn alibaba2017_expands_instances() {
    let mut spec = TraceSpec::new(Alibaba2017, sample("alibaba/v2017/batch_task.csv"));
    spec.expand_instances = true;
    spec.window_end = Some(3600.0);
    let mut src = spec.open(1).unwrap();
    let mut n = 0u64;
    while src.next_task().unwrap().is_some() {
        n += 1;
    }
    // tr -d '\r' < batch_task.csv | awk -F, 'NR>1 && ($6=="Terminated"||$6=="Failed") && $7!="" &&
    //   $8!="" && $2>=$1 && $1<3600 {s+=($5>0?$5:1)} END{print s}' -> 729459
    assert_eq!(n, 729_459);
}

// awk -F, 'NR>1 && $11!="" {n++; cpu+=$2/1000; if($9>mx)mx=$9} END{print n, mx, cpu/n}'
//   openb_pod_list_default.csv -> 7255 12901761 10.533964990 (and 897 rows with no scheduled_time)
#[test]
fn gpu2023_pods_and_cluster() {
    let i = info(Gpu2023, "alibaba/gpu-v2023/openb_pod_list_default.csv");
    assert_eq!((i.lines, i.tasks), (8153, 7255));
    assert_eq!(i.last_arrival_s, 12_901_761.0);
    assert!(close(i.cpu.mean, 10.533964990, 1e-6));
    assert_eq!(i.report.dropped_count("never scheduled"), 897);
    let spec = TraceSpec::new(
        Gpu2023,
        sample("alibaba/gpu-v2023/openb_pod_list_default.csv"),
    );
    let groups = spec
        .cluster()
        .unwrap()
        .expect("gpu2023 defines its cluster");
    let nodes: u32 = groups.iter().map(|g| g.count).sum();
    let cpu: u64 = groups
        .iter()
        .map(|g| g.count as u64 * g.capacity.cpu_milli)
        .sum();
    // awk -F, 'NR>1 {s+=$2} END{print NR-1, s}' openb_node_list_all_node.csv -> 1523 125514000
    assert_eq!((nodes, cpu), (1523, 125_514_000));
}

// grep -c . machine_meta.csv -> 17592; cut -d, -f1 machine_meta.csv | sort -u | wc -l -> 4034
#[test]
fn alibaba2018_machines_give_nodes_and_events() {
    let mut spec = TraceSpec::new(Alibaba2017, sample("alibaba/v2017/batch_task.csv"));
    spec.nodes = Some(sample("alibaba/v2018/machine_meta.csv"));
    let groups = spec.cluster().unwrap().unwrap();
    assert_eq!(groups.iter().map(|g| g.count).sum::<u32>(), 4034);
    let events = spec.node_events().unwrap();
    assert!(events
        .windows(2)
        .all(|w| (w[0].time, w[0].node) <= (w[1].time, w[1].node)));
    // Machines whose first record is after 0: awk -F, '!($1 in f){f[$1]=$2} END{for(k in f)
    //   if(f[k]>0)c++; print c}' -> 147, each down at 0 and up at its first (USING) record.
    let late = events.iter().filter(|e| e.time.0 == 0 && !e.up).count();
    assert_eq!(late, 147);
    // One event per change of state, a machine starting down at 0 when first seen later:
    // awk -F, '{up=($7=="USING")} !($1 in s){ if($2>0){n++; s[$1]=0} else s[$1]=1 }
    //   { if(up!=s[$1]){n++; s[$1]=up} } END{print n}' machine_meta.csv -> 293
    assert_eq!(events.len(), 293);
}

// zcat NASA-iPSC-1993-3.1-cln.swf.gz | awk '!/^;/ && NF==18 {n++; p=($5>0?$5:$8); cpu+=p;
//   if($2>mx)mx=$2; if($17>0)d++} END{print n, mx, cpu/n, d}' -> 18239 7948936 16.993968968 0
#[test]
fn swf_gz_and_plain_agree_with_awk() {
    for rel in [
        "swf/NASA-iPSC-1993-3.1-cln.swf.gz",
        "swf/NASA-iPSC-1993-3.1-cln.swf",
    ] {
        let i = info(Swf, rel);
        assert_eq!(i.tasks, 18_239, "{rel}");
        assert_eq!(i.last_arrival_s, 7_948_936.0);
        assert!(close(i.cpu.mean, 16.993968968, 1e-6));
        assert_eq!(i.with_deps, 0);
        let groups = TraceSpec::new(Swf, sample(rel)).cluster().unwrap().unwrap();
        assert_eq!(
            (groups[0].count, groups[0].capacity.cpu_milli),
            (1, 128_000),
            "MaxProcs: 128"
        );
    }
}

// awk -F, 'NR>1{n++} END{print n}' -> 8819 and 19366; first/last TIMESTAMP with sed -n '2p;$p':
// code 18:17:03.9799600 .. 19:14:19.9280160 (3435.948056 s), conv 18:15:46.6805900 ..
// 19:14:08.4025270 (3501.721937 s)
#[test]
fn azure_requests_and_span() {
    let code = info(AzureLlm, "azure/AzureLLMInferenceTrace_code.csv");
    assert_eq!(code.tasks, 8819);
    assert!(
        close(code.last_arrival_s, 3435.948056, 1e-6),
        "{}",
        code.last_arrival_s
    );
    let conv = info(AzureLlm, "azure/AzureLLMInferenceTrace_conv.csv");
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
fn google_lookahead_bounds_how_long_an_end_is_waited_for() {
    let rel = "google-2011/task_events/part-00001-of-00500.head20000.csv";
    let mut spec = TraceSpec::new(Google2011, sample(rel));
    spec.lookahead = Some(SimDuration::from_secs(300));
    let i = info::trace_info_with(&spec).unwrap();
    // Tasks whose end event comes at most 300 s after their SUBMIT:
    // awk -F, '{k=$3" "$4; e=$6} e==0{open[k]=1; sch[k]=0; s[k]=$1; next} !(k in open){next}
    //   e>=2&&e<=6{ if(sch[k] && $1-s[k] <= 300000000) n++; delete open[k]; next} e==1{sch[k]=1}
    //   END{print n}' part-00001-of-00500.head20000.csv -> 3110
    assert_eq!(i.tasks, 3110);
    // Of the 4460 tasks that end within the file, 1350 are released unresolved by the look-ahead,
    // as are the tasks that never end, except those submitted in the file's last 300 s, which meet
    // the end of the file first. Never ending: awk -F, '{k=$3" "$4; e=$6} e==0{open[k]=1; next}
    //   !(k in open){next} e>=2&&e<=6{delete open[k]} END{for(k in open)n++; print n}' -> 2709
    let beyond = i.report.dropped_count("end beyond look-ahead");
    let no_end = i.report.dropped_count("no end in trace");
    assert_eq!(beyond + no_end, (4460 - 3110) + 2709);
    assert!(beyond >= 1350 && no_end > 0, "{beyond} {no_end}");
    spec.lookahead = None;
    spec.max_open = 10;
    let capped = info::trace_info_with(&spec).unwrap();
    assert!(
        capped.tasks < 3110,
        "ten open tasks at most: {}",
        capped.tasks
    );
}

// zcat part-00001-of-00500.csv.gz | awk -f g.awk (the script above google_part0_counts_span_and_cpu)
//   -> ended 18519 max_submit_us 10604535829 mean_cpu 0.029693969
#[test]
fn google_part1_gz_matches_awk() {
    let i = info(
        Google2011,
        "google-2011/task_events/part-00001-of-00500.csv.gz",
    );
    assert_eq!((i.lines, i.tasks), (77_776, 18_519));
    // (10604535829 - 600000000) / 1e6
    assert!(close(i.last_arrival_s, 10_004.535829, 1e-6));
    assert!(close(i.cpu.mean, 0.029693969 * 32.0, 1e-3));
}

#[test]
fn node_lists_match_awk() {
    // awk -F, 'NR>1 {s+=$2} END{print NR-1, s}' openb_node_list_gpu_node.csv -> 1213 107018000
    let gpu = info(
        Gpu2023Nodes,
        "alibaba/gpu-v2023/openb_node_list_gpu_node.csv",
    );
    assert_eq!(gpu.nodes, Some(1213));
    let spec = TraceSpec::new(
        Gpu2023Nodes,
        sample("alibaba/gpu-v2023/openb_node_list_gpu_node.csv"),
    );
    let groups = spec.cluster().unwrap().unwrap();
    let cpu: u64 = groups
        .iter()
        .map(|g| g.count as u64 * g.capacity.cpu_milli)
        .sum();
    assert_eq!(cpu, 107_018_000);
    // awk -F, '!($1 in f){f[$1]=1; c+=$5} END{print c}' machine_meta.csv -> 387264 cores
    let spec = TraceSpec::new(
        Alibaba2018Machines,
        sample("alibaba/v2018/machine_meta.csv"),
    );
    let groups = spec.cluster().unwrap().unwrap();
    let cores: u64 = groups
        .iter()
        .map(|g| g.count as u64 * g.capacity.cpu_milli)
        .sum();
    assert_eq!(cores, 387_264_000);
    assert!(spec.open(0).is_err(), "a node list is not a task source");
}

//! `trace info`: what a trace file holds, as a replay with default options would see it.

use std::fmt;
use std::path::Path;

use crate::resources::GPU_MILLI;
use crate::rng::{below, stream, SimRng};
use crate::workload::trace::report::SkipReport;
use crate::workload::trace::{nodes, TraceFormat, TraceSpec};
use crate::workload::WorkloadError;

/// Values kept for percentiles; above this a uniform reservoir sample is kept (exact below it).
pub const RESERVOIR: usize = 100_000;

/// Summary statistics of one quantity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Number of values.
    pub count: u64,
    /// Exact mean.
    pub mean: f64,
    /// Median (exact up to [`RESERVOIR`] values, sampled above).
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Exact maximum.
    pub max: f64,
}

/// Accumulates a [`Summary`] in bounded memory.
struct Stat {
    count: u64,
    sum: f64,
    max: f64,
    kept: Vec<f64>,
    rng: SimRng,
}

impl Stat {
    fn new(label: &str) -> Stat {
        Stat {
            count: 0,
            sum: 0.0,
            max: f64::NEG_INFINITY,
            kept: Vec::new(),
            rng: stream(0, label),
        }
    }

    fn add(&mut self, x: f64) {
        self.count += 1;
        self.sum += x;
        self.max = self.max.max(x);
        if self.kept.len() < RESERVOIR {
            self.kept.push(x);
        } else {
            // Algorithm R: keep the new value with probability RESERVOIR / count.
            let j = below(&mut self.rng, self.count) as usize;
            if j < RESERVOIR {
                self.kept[j] = x;
            }
        }
    }

    fn summary(mut self) -> Summary {
        if self.count == 0 {
            return Summary::default();
        }
        self.kept.sort_by(f64::total_cmp);
        let at = |q: f64| self.kept[((self.kept.len() - 1) as f64 * q).round() as usize];
        Summary {
            count: self.count,
            mean: self.sum / self.count as f64,
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            max: self.max,
        }
    }
}

/// Upper ends (thousandths of a GPU, included) of the share buckets [`GpuDemands::shares`] counts.
pub const SHARE_BUCKETS: [u64; 4] = [250, 500, 750, 999];

/// Whole-GPU demands [`GpuDemands::whole`] counts apart (others go to `whole_other`).
pub const WHOLE_COUNTS: [u64; 4] = [1, 2, 4, 8];

/// Tasks by GPU demand.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GpuDemands {
    /// Tasks without GPUs.
    pub none: u64,
    /// Tasks asking for a share of one GPU, by bucket: up to 0.25, 0.5, 0.75 and below 1
    /// ([`SHARE_BUCKETS`]).
    pub shares: [u64; 4],
    /// Tasks asking for 1, 2, 4 and 8 whole GPUs ([`WHOLE_COUNTS`]).
    pub whole: [u64; 4],
    /// Tasks asking for another number of whole GPUs.
    pub whole_other: u64,
    /// Sum of all tasks' GPU demands, thousandths of a GPU.
    pub total_milli: u64,
    /// Tasks restricted to some GPU models.
    pub with_models: u64,
    /// Tasks whose accepted models are all absent from the node list (they fit no node).
    pub unknown_model: u64,
}

impl GpuDemands {
    /// Counts one task's demand; `models` is the size of the node list's model table.
    pub fn add(&mut self, demand: &crate::resources::Resources, models: usize) {
        let g = demand.gpu_milli;
        self.total_milli += g;
        if g == 0 {
            self.none += 1;
            return;
        }
        if g < GPU_MILLI {
            let b = SHARE_BUCKETS.iter().position(|&top| g <= top).unwrap_or(3);
            self.shares[b] += 1;
        } else {
            match WHOLE_COUNTS.iter().position(|&k| k * GPU_MILLI == g) {
                Some(i) => self.whole[i] += 1,
                None => self.whole_other += 1,
            }
        }
        if !demand.gpu_models.is_any() {
            self.with_models += 1;
            let known = if models >= 64 {
                u64::MAX
            } else {
                (1u64 << models) - 1
            };
            self.unknown_model += u64::from(demand.gpu_models.0 & known == 0);
        }
    }

    /// Tasks asking for GPUs.
    pub fn with_gpu(&self) -> u64 {
        self.shares.iter().sum::<u64>() + self.whole.iter().sum::<u64>() + self.whole_other
    }
}

/// GPUs of a node list's nodes of one model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelGpus {
    /// The model name.
    pub model: String,
    /// Nodes with that model.
    pub nodes: u64,
    /// Their GPUs.
    pub gpus: u64,
}

/// What a trace holds.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceInfo {
    /// The file.
    pub path: String,
    /// Its format.
    pub format: TraceFormat,
    /// Lines read.
    pub lines: u64,
    /// Tasks a default replay yields (records × instances with `expand_instances`).
    pub tasks: u64,
    /// Tasks with at least one dependency.
    pub with_deps: u64,
    /// Simulated arrival of the first and last task, seconds.
    pub first_arrival_s: f64,
    /// See `first_arrival_s`.
    pub last_arrival_s: f64,
    /// CPU demand, cores.
    pub cpu: Summary,
    /// Memory demand, GiB.
    pub memory_gib: Summary,
    /// Duration at speed 1.0, seconds.
    pub duration_s: Summary,
    /// Nodes, for node-list formats.
    pub nodes: Option<u64>,
    /// Node up/down events, for node-list formats.
    pub node_events: u64,
    /// Tasks by GPU demand, when some task asks for GPUs.
    pub gpu: Option<GpuDemands>,
    /// GPUs of the node list (the trace's, or the pod list's), by model in order of first
    /// appearance; empty without GPUs.
    pub node_gpus: Vec<ModelGpus>,
    /// Malformed and dropped lines.
    pub report: SkipReport,
}

/// Reads `path` as `format` with default options (strict or lenient) and summarises it.
pub fn trace_info(
    path: &Path,
    format: TraceFormat,
    strict: bool,
) -> Result<TraceInfo, WorkloadError> {
    let mut spec = TraceSpec::new(format, path);
    spec.strict = strict;
    trace_info_with(&spec)
}

/// Summarises the replay `spec` describes (seed 0 for sampling).
pub fn trace_info_with(spec: &TraceSpec) -> Result<TraceInfo, WorkloadError> {
    let mut info = TraceInfo {
        path: spec.path.display().to_string(),
        format: spec.format,
        lines: 0,
        tasks: 0,
        with_deps: 0,
        first_arrival_s: 0.0,
        last_arrival_s: 0.0,
        cpu: Summary::default(),
        memory_gib: Summary::default(),
        duration_s: Summary::default(),
        nodes: None,
        node_events: 0,
        gpu: None,
        node_gpus: Vec::new(),
        report: SkipReport::default(),
    };
    let node_list = match spec.node_file() {
        Some((path, format)) if format.is_node_list() && path.exists() => {
            Some(nodes::read_nodes(&path, format, spec)?)
        }
        _ => None,
    };
    let models = node_list.as_ref().map_or(0, |l| l.models.len());
    if let Some(list) = &node_list {
        info.node_gpus = list
            .models
            .iter()
            .map(|m| {
                let groups = list
                    .groups
                    .iter()
                    .filter(|g| g.gpu_model.as_deref() == Some(m.as_str()));
                let (mut nodes, mut gpus) = (0, 0);
                for g in groups {
                    nodes += u64::from(g.count);
                    gpus += u64::from(g.count) * g.capacity.gpu_milli / GPU_MILLI;
                }
                ModelGpus {
                    model: m.clone(),
                    nodes,
                    gpus,
                }
            })
            .collect();
    }
    if spec.format.is_node_list() {
        let list = node_list.expect("a node-list format reads its own file");
        info.nodes = Some(list.names.len() as u64);
        info.node_events = list.events.len() as u64;
        return Ok(info);
    }
    let mut gpu = GpuDemands::default();
    let (mut replay, report) = spec.open_replay(0)?;
    let mut stats = [Stat::new("cpu"), Stat::new("memory"), Stat::new("duration")];
    while let Some(t) = replay.next_task()? {
        if info.tasks == 0 {
            info.first_arrival_s = t.arrival.as_secs_f64();
        }
        info.tasks += 1;
        info.last_arrival_s = t.arrival.as_secs_f64();
        info.with_deps += u64::from(!t.depends_on.is_empty());
        stats[0].add(t.demand.cpu_cores());
        stats[1].add(t.demand.memory as f64 / (1u64 << 30) as f64);
        stats[2].add(t.duration.as_secs_f64());
        gpu.add(&t.demand, models);
    }
    if gpu.with_gpu() > 0 {
        info.gpu = Some(gpu);
    }
    let [cpu, memory, duration] = stats;
    (info.cpu, info.memory_gib, info.duration_s) =
        (cpu.summary(), memory.summary(), duration.summary());
    info.report = report.lock().unwrap_or_else(|e| e.into_inner()).clone();
    info.lines = info.report.lines;
    Ok(info)
}

fn row(f: &mut fmt::Formatter<'_>, name: &str, s: &Summary) -> fmt::Result {
    writeln!(
        f,
        "  {name:<12} mean {:>10.3}  p50 {:>10.3}  p90 {:>10.3}  p99 {:>10.3}  max {:>10.3}",
        s.mean, s.p50, s.p90, s.p99, s.max
    )
}

fn node_gpus(f: &mut fmt::Formatter<'_>, models: &[ModelGpus]) -> fmt::Result {
    if models.is_empty() {
        return Ok(());
    }
    let nodes: u64 = models.iter().map(|m| m.nodes).sum();
    let gpus: u64 = models.iter().map(|m| m.gpus).sum();
    let each: Vec<String> = models
        .iter()
        .map(|m| format!("{} {} on {} nodes", m.model, m.gpus, m.nodes))
        .collect();
    writeln!(
        f,
        "  node GPUs: {gpus} on {nodes} nodes ({})",
        each.join(", ")
    )
}

fn gpu_demands(f: &mut fmt::Formatter<'_>, g: &GpuDemands) -> fmt::Result {
    writeln!(
        f,
        "  gpu demand   none {}  share <=0.25 {}  <=0.5 {}  <=0.75 {}  <1 {}  whole 1: {}  2: {}  4: {}  8: {}  other: {}",
        g.none,
        g.shares[0],
        g.shares[1],
        g.shares[2],
        g.shares[3],
        g.whole[0],
        g.whole[1],
        g.whole[2],
        g.whole[3],
        g.whole_other
    )?;
    writeln!(
        f,
        "  gpu total    {:.3} GPUs over {} tasks; {} restricted to models ({} to models no node has: unschedulable)",
        g.total_milli as f64 / GPU_MILLI as f64,
        g.with_gpu(),
        g.with_models,
        g.unknown_model
    )
}

impl fmt::Display for TraceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} ({})", self.path, self.format.name())?;
        if let Some(n) = self.nodes {
            writeln!(f, "  nodes: {n}, node up/down events: {}", self.node_events)?;
            return node_gpus(f, &self.node_gpus);
        }
        writeln!(
            f,
            "  lines: {}, tasks: {} ({} with dependencies)",
            self.lines, self.tasks, self.with_deps
        )?;
        let r = &self.report;
        write!(
            f,
            "  task records submitted: {} = replayed {} + dropped {}",
            r.submitted,
            r.kept,
            r.dropped_total()
        )?;
        match r.unaccounted() {
            0 => writeln!(f)?,
            n => writeln!(
                f,
                " ({n} NOT ACCOUNTED FOR: a reader bug, please report it)"
            )?,
        }
        writeln!(
            f,
            "  arrivals: {:.3} s .. {:.3} s (span {:.3} s)",
            self.first_arrival_s,
            self.last_arrival_s,
            self.last_arrival_s - self.first_arrival_s
        )?;
        row(f, "cpu (cores)", &self.cpu)?;
        row(f, "memory (GiB)", &self.memory_gib)?;
        row(f, "duration (s)", &self.duration_s)?;
        if let Some(g) = &self.gpu {
            gpu_demands(f, g)?;
        }
        node_gpus(f, &self.node_gpus)?;
        write!(f, "{}", self.report)
    }
}

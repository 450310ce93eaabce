//! `trace info`: what a trace file holds, as a replay with default options would see it.

use std::fmt;
use std::path::Path;

use crate::rng::{below, stream, SimRng};
use crate::workload::trace::report::SkipReport;
use crate::workload::trace::{nodes, TraceFormat, TraceSpec};
use crate::workload::{WorkloadError, WorkloadSource};

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
        report: SkipReport::default(),
    };
    if spec.format.is_node_list() {
        let list = nodes::read_nodes(&spec.path, spec.format, spec)?;
        info.nodes = Some(list.names.len() as u64);
        info.node_events = list.events.len() as u64;
        return Ok(info);
    }
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

impl fmt::Display for TraceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} ({})", self.path, self.format.name())?;
        if let Some(n) = self.nodes {
            return writeln!(f, "  nodes: {n}, node up/down events: {}", self.node_events);
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
        write!(f, "{}", self.report)
    }
}

//! [`TraceSpec`]: the replay options of a `[workload] source = "trace"` table, parsed and checked.

use std::path::{Path, PathBuf};

use toml::{Table, Value};

use crate::config::field::{self, FieldError};
use crate::resources::Resources;
use crate::time::SimDuration;
use crate::workload::trace::TraceFormat;

/// What to do with a task whose end the trace does not show (still running, or its end is past the
/// look-ahead limit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unfinished {
    /// Leave it out (counted as dropped).
    Drop,
    /// Run until the last timestamp read when the task is released: the end of the file, or for
    /// Google the moment a look-ahead limit released it.
    TraceEnd,
    /// Run for this long.
    Fixed(SimDuration),
}

/// How an SWF machine becomes a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwfCluster {
    /// One node with MaxProcs cores (a job of p processors is one task of p cores).
    Single,
    /// MaxProcs nodes of one core each (only one-processor jobs fit: simctl tasks are single-node).
    PerProc,
}

/// Token counts to service time for the Azure LLM trace: `seconds = base + per_context * context +
/// per_generated * generated`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LlmRule {
    /// Fixed seconds per request.
    pub base: f64,
    /// Seconds per context (prompt) token.
    pub per_context: f64,
    /// Seconds per generated token.
    pub per_generated: f64,
}

/// `resample = { tasks = N, every = "1s" }`: N tasks drawn uniformly with replacement from the
/// trace's replayed tasks, one arriving every `every` (see [`crate::workload::trace::resample`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resample {
    /// How many tasks are drawn.
    pub tasks: u64,
    /// Simulated time between two arrivals (the first arrives at 0).
    pub every: SimDuration,
}

/// Everything needed to replay one trace file.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceSpec {
    /// File format.
    pub format: TraceFormat,
    /// The trace file (absolute, or relative to the working directory).
    pub path: PathBuf,
    /// A node file (gpu2023 node list, alibaba2018 machine_meta) giving the cluster and node events.
    pub nodes: Option<PathBuf>,
    /// Replay only tasks arriving at or after this trace time, seconds.
    pub window_start: Option<f64>,
    /// Stop at the first task arriving at or after this trace time, seconds.
    pub window_end: Option<f64>,
    /// Fraction of jobs kept, chosen by a hash of the job id and the run seed.
    pub sample: f64,
    /// Factor on all times (0.5 replays twice as fast, same load).
    pub time_scale: f64,
    /// Factor on offered load (2.0 halves inter-arrival times, durations unchanged).
    pub load: f64,
    /// The node that a normalised demand of 1.0 means (Google, Alibaba memory), and the disk and
    /// memory given to nodes whose file has no such column.
    pub reference: Resources,
    /// Which of `reference`'s dimensions (cpu, memory, disk) were set by `ref_*` keys; the others may be
    /// replaced by the scenario's largest node ([`TraceSpec::reference_defaults_to`]).
    pub reference_set: [bool; 3],
    /// Stop at the first malformed line instead of skipping it.
    pub strict: bool,
    /// Tasks whose end is not in the file.
    pub unfinished: Unfinished,
    /// Whether tasks already present when the trace starts (Google timestamp 0) are replayed.
    pub keep_at_start: bool,
    /// Google: how long after its SUBMIT a task's end is looked for (`None`: until the end of file).
    pub lookahead: Option<SimDuration>,
    /// Most records held in memory at once (Google open tasks, reorder heap).
    pub max_open: usize,
    /// How far records may be out of order (`None`: format default; `Some(None)`: whole file).
    pub reorder: Option<Option<SimDuration>>,
    /// Alibaba 2017/2018: one task per instance instead of one per task row.
    pub expand_instances: bool,
    /// SWF: cluster shape.
    pub swf_cluster: SwfCluster,
    /// Azure LLM: token-count rule.
    pub llm: LlmRule,
    /// Azure LLM and own CSV without units: demand of one request.
    pub request: Resources,
    /// Every replayed task holds its resources until the end of the run (its duration becomes
    /// [`HOLD`]).
    pub hold: bool,
    /// Draw tasks from the trace instead of replaying it in order.
    pub resample: Option<Resample>,
}

/// The duration of a task under `hold = true`: 2^62 µs, about 146,000 years, longer than any
/// horizon a scenario accepts with `hold` (see [`TraceSpec::check_hold`]) and far enough from
/// `u64::MAX` that adding it to any simulated time does not even reach the saturation every
/// [`crate::time::SimTime`] sum has.
pub const HOLD: SimDuration = SimDuration(1 << 62);

const GIB: u64 = 1 << 30;

/// Keys accepted in `[workload]` when `source = "trace"` (dispatch and max_tasks belong to the engine).
pub const KEYS: &[&str] = &[
    "source",
    "format",
    "path",
    "nodes",
    "window_start",
    "window_end",
    "sample",
    "time_scale",
    "load",
    "ref_cpu",
    "ref_memory",
    "ref_disk",
    "strict",
    "unfinished",
    "default_duration",
    "at_start",
    "lookahead",
    "max_open",
    "reorder",
    "expand_instances",
    "swf_cluster",
    "llm_base",
    "llm_per_context",
    "llm_per_generated",
    "request_cpu",
    "request_memory",
    "hold",
    "resample",
    "dispatch",
    "max_tasks",
];

/// Keys of the `resample` table.
pub const RESAMPLE_KEYS: &[&str] = &["tasks", "every"];

impl TraceSpec {
    /// Defaults for `format` reading `path`: whole file, all jobs, real time, a 32-core 128 GiB 1 TiB
    /// reference node, lenient, unfinished tasks dropped, start-of-trace tasks kept.
    pub fn new(format: TraceFormat, path: impl Into<PathBuf>) -> TraceSpec {
        TraceSpec {
            format,
            path: path.into(),
            nodes: None,
            window_start: None,
            window_end: None,
            sample: 1.0,
            time_scale: 1.0,
            load: 1.0,
            reference: Resources::new(32.0, 128 * GIB, 1024 * GIB),
            reference_set: [false; 3],
            strict: false,
            unfinished: Unfinished::Drop,
            keep_at_start: true,
            lookahead: None,
            max_open: 1_000_000,
            reorder: None,
            expand_instances: false,
            swf_cluster: SwfCluster::Single,
            llm: LlmRule {
                base: 0.05,
                per_context: 0.0002,
                per_generated: 0.02,
            },
            request: Resources::new(1.0, GIB, 0),
            hold: false,
            resample: None,
        }
    }

    /// Checks that `hold` has a horizon to end the run (a held task never ends, so without one the
    /// run would last [`HOLD`]) shorter than [`HOLD`]; `horizon` is the scenario's. Errors name the
    /// key.
    pub fn check_hold(&self, horizon: Option<SimDuration>) -> Result<(), FieldError> {
        if !self.hold {
            return Ok(());
        }
        match horizon {
            Some(h) if h < HOLD => Ok(()),
            Some(_) => Err(FieldError::new(
                "scenario.horizon",
                format!(
                    "must be shorter than a held task's duration ({} s) with workload.hold",
                    HOLD.as_secs_f64()
                ),
            )),
            None => Err(FieldError::new(
                "workload.hold",
                "needs scenario.horizon: held tasks never end, the horizon ends the run",
            )),
        }
    }

    /// Parses the `[workload]` table (`prefix` is its dotted name); relative paths resolve against
    /// `base_dir`, the scenario file's directory. Errors name the key.
    pub fn from_table(
        table: &Table,
        prefix: &str,
        base_dir: &Path,
    ) -> Result<TraceSpec, FieldError> {
        field::check_keys(table, KEYS, prefix)?;
        let source = field::req(table, "source", prefix, string)?;
        if source != "trace" {
            let msg = format!("expected \"trace\" for a trace workload, got \"{source}\"");
            return Err(FieldError::new(field::join(prefix, "source"), msg));
        }
        let format = field::req(table, "format", prefix, |v, k| {
            TraceFormat::parse(field::as_str(v, k)?).map_err(|m| FieldError::new(k, m))
        })?;
        let resolve = |v: &Value, k: &str| field::as_str(v, k).map(|p| base_dir.join(p));
        let mut spec = TraceSpec::new(format, field::req(table, "path", prefix, resolve)?);
        spec.nodes = field::opt(table, "nodes", prefix, resolve)?;
        spec.window_start = field::opt(table, "window_start", prefix, field::duration_secs)?;
        spec.window_end = field::opt(table, "window_end", prefix, field::duration_secs)?;
        if let (Some(s), Some(e)) = (spec.window_start, spec.window_end) {
            if e <= s {
                let msg = format!("must be after window_start ({s} s), got {e} s");
                return Err(FieldError::new(field::join(prefix, "window_end"), msg));
            }
        }
        spec.sample = field::opt(table, "sample", prefix, fraction)?.unwrap_or(1.0);
        spec.time_scale =
            field::opt(table, "time_scale", prefix, field::positive_f64)?.unwrap_or(1.0);
        spec.load = field::opt(table, "load", prefix, field::positive_f64)?.unwrap_or(1.0);
        spec.parse_resources(table, prefix)?;
        spec.parse_policies(table, prefix)?;
        spec.hold = field::opt(table, "hold", prefix, field::as_bool)?.unwrap_or(false);
        spec.resample = field::opt(table, "resample", prefix, resample)?;
        if spec.resample.is_some() && spec.load != 1.0 {
            return Err(FieldError::new(
                field::join(prefix, "load"),
                "has no effect with resample (arrivals are one every resample.every): remove it",
            ));
        }
        Ok(spec)
    }

    /// Makes the scenario's largest node the reference for every dimension no `ref_*` key set, so that
    /// a normalised demand of 1.0 (Google's "largest machine") fills that node. Call it with the
    /// component-wise maximum of the scenario's node capacities; zero dimensions are ignored.
    pub fn reference_defaults_to(&mut self, largest: Resources) {
        let r = &mut self.reference;
        let dims = [
            (&mut r.cpu_milli, largest.cpu_milli),
            (&mut r.memory, largest.memory),
            (&mut r.disk, largest.disk),
        ];
        for ((slot, value), set) in dims.into_iter().zip(self.reference_set) {
            if !set && value > 0 {
                *slot = value;
            }
        }
    }

    fn parse_resources(&mut self, t: &Table, prefix: &str) -> Result<(), FieldError> {
        let r = &mut self.reference;
        if let Some(c) = field::opt(t, "ref_cpu", prefix, field::positive_f64)? {
            r.cpu_milli = crate::resources::cores_to_milli(c);
            self.reference_set[0] = true;
        }
        if let Some(m) = field::opt(t, "ref_memory", prefix, field::size_bytes)? {
            r.memory = m.round() as u64;
            self.reference_set[1] = true;
        }
        if let Some(d) = field::opt(t, "ref_disk", prefix, field::size_bytes)? {
            r.disk = d.round() as u64;
            self.reference_set[2] = true;
        }
        if let Some(c) = field::opt(t, "request_cpu", prefix, field::positive_f64)? {
            self.request.cpu_milli = crate::resources::cores_to_milli(c);
        }
        if let Some(m) = field::opt(t, "request_memory", prefix, field::size_bytes)? {
            self.request.memory = m.round() as u64;
        }
        let llm = &mut self.llm;
        let secs = |k: &str| field::opt(t, k, prefix, non_negative);
        llm.base = secs("llm_base")?.unwrap_or(llm.base);
        llm.per_context = secs("llm_per_context")?.unwrap_or(llm.per_context);
        llm.per_generated = secs("llm_per_generated")?.unwrap_or(llm.per_generated);
        Ok(())
    }

    fn parse_policies(&mut self, t: &Table, prefix: &str) -> Result<(), FieldError> {
        self.strict = field::opt(t, "strict", prefix, field::as_bool)?.unwrap_or(false);
        self.expand_instances =
            field::opt(t, "expand_instances", prefix, field::as_bool)?.unwrap_or(false);
        let default = field::opt(t, "default_duration", prefix, field::duration_secs)?;
        let unfinished = field::opt(t, "unfinished", prefix, string)?;
        let unfinished = unfinished.as_deref();
        self.unfinished = match (unfinished, default) {
            (None | Some("drop"), None) => Unfinished::Drop,
            (None | Some("default"), Some(d)) => Unfinished::Fixed(SimDuration::from_secs_f64(d)),
            (Some("trace-end"), None) => Unfinished::TraceEnd,
            (Some(other), _) => {
                let msg = format!(
                    "expected \"drop\", \"trace-end\" or \"default\" (with default_duration), got \"{other}\""
                );
                return Err(FieldError::new(field::join(prefix, "unfinished"), msg));
            }
        };
        self.keep_at_start = match field::opt(t, "at_start", prefix, string)?.as_deref() {
            None | Some("keep") => true,
            Some("drop") => false,
            Some(o) => return Err(choice_error(prefix, "at_start", "\"keep\" or \"drop\"", o)),
        };
        self.swf_cluster = match field::opt(t, "swf_cluster", prefix, string)?.as_deref() {
            None | Some("single") => SwfCluster::Single,
            Some("per-proc") => SwfCluster::PerProc,
            Some(o) => {
                return Err(choice_error(
                    prefix,
                    "swf_cluster",
                    "\"single\" or \"per-proc\"",
                    o,
                ))
            }
        };
        let dur = |v: &Value, k: &str| field::duration_secs(v, k).map(SimDuration::from_secs_f64);
        self.lookahead = field::opt(t, "lookahead", prefix, dur)?;
        if let Some(n) = field::opt(t, "max_open", prefix, field::as_u64)? {
            self.max_open = n.max(1) as usize;
        }
        self.reorder = field::opt(t, "reorder", prefix, |v, k| match v.as_str() {
            Some("unlimited") => Ok(None),
            _ => dur(v, k).map(Some),
        })?;
        Ok(())
    }
}

fn resample(v: &Value, key: &str) -> Result<Resample, FieldError> {
    let t = field::as_table(v, key)?;
    field::check_keys(t, RESAMPLE_KEYS, key)?;
    let tasks = field::req(t, "tasks", key, field::as_u64)?;
    if tasks == 0 {
        return Err(FieldError::new(
            field::join(key, "tasks"),
            "must be at least 1",
        ));
    }
    let every = field::req(t, "every", key, field::sim_duration)?;
    if every.0 == 0 {
        return Err(FieldError::new(
            field::join(key, "every"),
            "must be positive (a duration such as \"1s\")",
        ));
    }
    Ok(Resample { tasks, every })
}

fn choice_error(prefix: &str, key: &str, expected: &str, got: &str) -> FieldError {
    FieldError::new(
        field::join(prefix, key),
        format!("expected {expected}, got \"{got}\""),
    )
}

fn string(v: &Value, key: &str) -> Result<String, FieldError> {
    field::as_str(v, key).map(str::to_string)
}

fn fraction(v: &Value, key: &str) -> Result<f64, FieldError> {
    let x = field::as_f64(v, key)?;
    if x > 0.0 && x <= 1.0 {
        Ok(x)
    } else {
        Err(FieldError::new(key, format!("must be in (0, 1], got {x}")))
    }
}

fn non_negative(v: &Value, key: &str) -> Result<f64, FieldError> {
    let x = field::as_f64(v, key)?;
    if x.is_finite() && x >= 0.0 {
        Ok(x)
    } else {
        Err(FieldError::new(
            key,
            format!("must be a number >= 0, got {x}"),
        ))
    }
}

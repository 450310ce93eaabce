//! Standard Workload Format 2.2 (Parallel Workloads Archive): `;` header comments with `Key: value`
//! pairs, then 18 whitespace-separated fields per job, −1 meaning unknown.
//!
//! Field mapping: 1 job number → job and dependency key; 2 submit → arrival; 3 wait → `Observed.wait`;
//! 4 run time → duration (−1: the `unfinished` policy); 5 allocated processors (else 8 requested) →
//! CPU cores, one per processor; 7/10 memory per processor in KB (requested, else used) × processors →
//! memory; 9 requested time → `requested_duration` (backfilling); 12 user; 15 queue → priority; 17
//! preceding job → `depends_on` (the archive's dependency field; 18 think time is not modelled).
//! Fields 6, 11, 13, 14, 16 are read and range-checked but not used. Every field must be −1 or within
//! its limit ([`field`]): submit time alone may not be unknown. `MaxProcs` (else `MaxNodes`) gives the machine: one node of that many cores
//! (`swf_cluster = "single"`, default: a p-processor job is one p-core task) or that many one-core
//! nodes (`"per-proc"`; only one-processor jobs fit, since simctl tasks do not span nodes).

use crate::cluster::NodeGroup;
use crate::resources::Resources;
use crate::time::SimDuration;
use crate::workload::trace::field::{self, Limit};
use crate::workload::trace::input::{next_record, Lines};
use crate::workload::trace::pipeline::{RawSource, RawTask};
use crate::workload::trace::report::Reporter;
use crate::workload::trace::{SwfCluster, TraceSpec, Unfinished};
use crate::workload::{Observed, TaskKind, WorkloadError};

/// The 18 fields of one SWF job line (−1 = unknown).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SwfJob(pub [f64; 18]);

/// Each field's name (as in reasons) and the values it may take: −1 (unknown) or a value in range.
/// Fields kept in `f64` but used as integers (ids, user, queue) are bounded by their integer type.
const FIELDS: [(&str, Limit); 18] = [
    ("job_number", field::ID_F64),
    ("submit_time", field::SECONDS),
    ("wait_time", field::SECONDS.or_unknown()),
    ("run_time", field::SECONDS.or_unknown()),
    ("allocated_processors", field::CORES.or_unknown()),
    ("average_cpu_time", field::SECONDS.or_unknown()),
    ("used_memory", KB_PER_PROC.or_unknown()),
    ("requested_processors", field::CORES.or_unknown()),
    ("requested_time", field::SECONDS.or_unknown()),
    ("requested_memory", KB_PER_PROC.or_unknown()),
    ("status", Limit::new(-1.0, 99.0)),
    ("user_id", field::USER.or_unknown()),
    ("group_id", field::USER.or_unknown()),
    ("executable", field::ID_F64.or_unknown()),
    ("queue", Limit::new(-1.0, i32::MAX as f64)),
    ("partition", field::ID_F64.or_unknown()),
    ("preceding_job", field::ID_F64.or_unknown()),
    ("think_time", field::SECONDS.or_unknown()),
];

/// Memory per processor, KB.
const KB_PER_PROC: Limit = Limit::new(0.0, field::MAX_BYTES / 1024.0);

impl SwfJob {
    /// Processors: allocated, else requested; `None` when neither is known.
    fn processors(&self) -> Option<f64> {
        [self.0[4], self.0[7]].into_iter().find(|&p| p > 0.0)
    }

    /// Memory of the whole job in bytes: KB per processor (requested, else used) × processors.
    fn memory_bytes(&self) -> f64 {
        let kb = [self.0[9], self.0[6]]
            .into_iter()
            .find(|&m| m > 0.0)
            .unwrap_or(0.0);
        kb * self.processors().unwrap_or(0.0) * 1024.0
    }
}

/// Parses one data line. Each field must be in range, and so must the job's memory (each factor
/// being in range does not make their product so).
pub fn parse_job(text: &str) -> Result<SwfJob, String> {
    let mut out = [0.0; 18];
    let mut n = 0;
    for (i, tok) in text.split_ascii_whitespace().enumerate() {
        let Some(&(name, limit)) = FIELDS.get(i) else {
            return Err("wrong field count".into());
        };
        out[i] = field::num(tok, name, limit)?;
        n = i + 1;
    }
    if n != 18 {
        return Err("wrong field count".into());
    }
    let job = SwfJob(out);
    field::check(job.memory_bytes(), "memory", field::BYTES)?;
    Ok(job)
}

/// Streaming reader of an SWF log.
pub struct Reader {
    lines: Lines,
    rep: Reporter,
    unfinished: Unfinished,
    latest: f64,
}

impl Reader {
    /// A reader of `lines` with the options of `spec`.
    pub fn new(lines: Lines, rep: Reporter, spec: &TraceSpec) -> Reader {
        Reader {
            lines,
            rep,
            unfinished: spec.unfinished,
            latest: 0.0,
        }
    }

    fn record(&mut self, line: u64, job: SwfJob) -> Option<RawTask> {
        self.rep.submitted();
        let f = job.0;
        let known = |x: f64| (x >= 0.0).then_some(x);
        self.latest = self.latest.max(f[1]);
        let Some(procs) = job.processors() else {
            self.rep.dropped(line, "no processor count");
            return None;
        };
        let duration = match (known(f[3]), self.unfinished) {
            (Some(r), _) => SimDuration::from_secs_f64(r),
            (None, Unfinished::Drop) => {
                self.rep.dropped(line, "unknown run time");
                return None;
            }
            (None, Unfinished::Fixed(d)) => d,
            (None, Unfinished::TraceEnd) => SimDuration::from_secs_f64(self.latest - f[1]),
        };
        let memory = job.memory_bytes().round() as u64;
        Some(RawTask {
            line,
            key: f[0] as u64,
            job: f[0] as u64,
            arrival: (f[1] * 1e6).round() as i64,
            duration,
            requested: known(f[8]).map(SimDuration::from_secs_f64),
            demand: Resources::new(procs, memory, 0),
            priority: known(f[14]).map_or(0, |q| q as i32),
            user: known(f[11]).map_or(0, |u| u as u32),
            kind: TaskKind::Batch,
            deps: known(f[16])
                .filter(|&p| p > 0.0)
                .map(|p| p as u64)
                .into_iter()
                .collect(),
            observed: Some(Observed {
                wait: known(f[2]).map(SimDuration::from_secs_f64),
                runtime: known(f[3]).map(SimDuration::from_secs_f64),
            }),
            copies: 1,
        })
    }
}

impl RawSource for Reader {
    fn next_raw(&mut self) -> Result<Option<RawTask>, WorkloadError> {
        let parse = |_: u64, text: &str| {
            let t = text.trim();
            if t.is_empty() || t.starts_with(';') {
                Ok(None)
            } else {
                parse_job(t).map(Some)
            }
        };
        while let Some((line, job)) = next_record(&mut self.lines, &self.rep, parse)? {
            if let Some(raw) = self.record(line, job) {
                return Ok(Some(raw));
            }
        }
        Ok(None)
    }
}

/// The value of header key `key` (`; MaxProcs: 128`), reading only the header.
pub fn header_value(spec: &TraceSpec, key: &str) -> Result<Option<String>, WorkloadError> {
    let mut lines = Lines::open(&spec.path)?;
    while let Some(line) = lines.next_line()? {
        let Some(text) = line.text.map(str::trim) else {
            continue;
        };
        let Some(body) = text.strip_prefix(';') else {
            break;
        };
        if let Some((k, v)) = body.split_once(':') {
            if k.trim() == key {
                return Ok(Some(v.trim().to_string()));
            }
        }
    }
    Ok(None)
}

/// The machine of the log's header (`MaxProcs`, else `MaxNodes`) as node groups.
pub fn cluster(spec: &TraceSpec) -> Result<Vec<NodeGroup>, WorkloadError> {
    let value = match header_value(spec, "MaxProcs")? {
        Some(v) => Some(v),
        None => header_value(spec, "MaxNodes")?,
    };
    let procs: u32 = value
        .and_then(|v| v.parse().ok())
        .filter(|&p| p > 0)
        .ok_or_else(|| {
            WorkloadError::Invalid(format!(
                "{}: no MaxProcs or MaxNodes header: the machine size is unknown",
                spec.path.display()
            ))
        })?;
    let r = spec.reference;
    let (count, capacity) = match spec.swf_cluster {
        SwfCluster::Single => (1, Resources::new(procs as f64, r.memory, r.disk)),
        SwfCluster::PerProc => (
            procs,
            Resources::new(1.0, r.memory / procs as u64, r.disk / procs as u64),
        ),
    };
    Ok(vec![NodeGroup {
        name: "swf".into(),
        count,
        capacity,
        speed: 1.0,
        domain: "swf".into(),
        start_delay: None,
        power: None,
        gpu_model: None,
    }])
}

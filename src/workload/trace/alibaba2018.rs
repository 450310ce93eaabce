//! Alibaba cluster-trace-v2018 `batch_task` (9 columns, no header): task_name, instance_num,
//! job_name, task_type, status, start_time, end_time, plan_cpu, plan_mem.
//!
//! arrival = start_time, duration = end_time − start_time (status Terminated or Failed: ended; a row
//! ending before it starts is dropped); plan_cpu 100 = one core, plan_mem is a percentage of
//! `ref_memory`. Task names encode the job's DAG: `M1` is task 1, `R2_1`
//! is task 2 depending on task 1, `J5_2_3` depends on tasks 2 and 3 (the letter is the task type).
//! Those become `depends_on` (on every instance of the parent when instances are expanded). Names that
//! do not follow the pattern (`task_...`, `MergeTask`) are independent tasks. A dependency whose parent
//! was not replayed (window, sampling, or beyond the last 2^20 tasks remembered) is left out and counted
//! as ignored.
//! No sample of this table is vendored (it is larger than the store limit); the tests use a small file
//! written at test time in the published layout.

use crate::resources::Resources;
use crate::rng::label_hash;
use crate::workload::trace::field::{self, num};
use crate::workload::trace::input::{next_record, split_into, Lines};
use crate::workload::trace::pipeline::{RawSource, RawTask};
use crate::workload::trace::report::Reporter;
use crate::workload::trace::{name_id, secs, us, TraceSpec, Unfinished};
use crate::workload::{Observed, TaskKind, WorkloadError};

/// The task number and the numbers it depends on, from a DAG task name (`R2_1` → `(2, [1])`).
pub fn parse_task_name(name: &str) -> Option<(u64, Vec<u64>)> {
    let digits = name.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    if digits.len() == name.len() || digits.is_empty() {
        return None;
    }
    let mut parts = digits.split('_').map(|p| p.parse::<u64>().ok());
    let own = parts.next()??;
    let deps: Option<Vec<u64>> = parts.collect();
    Some((own, deps?))
}

fn task_key(job: &str, task: u64) -> u64 {
    label_hash(job) ^ crate::rng::mix64(task)
}

/// Streaming reader of a v2018 `batch_task.csv`.
pub struct Reader {
    lines: Lines,
    rep: Reporter,
    ref_memory: f64,
    unfinished: Unfinished,
}

impl Reader {
    /// A reader of `lines` with the options of `spec`.
    pub fn new(lines: Lines, rep: Reporter, spec: &TraceSpec) -> Reader {
        Reader {
            lines,
            rep,
            ref_memory: spec.reference.memory as f64,
            unfinished: spec.unfinished,
        }
    }
}

/// Whether a row's task ended within the trace.
enum End {
    /// Terminated or Failed, at or after its start.
    Ended,
    /// Still running (or waiting) when the trace was taken.
    Open,
    /// Terminated or Failed before it started: a record that cannot be replayed.
    BeforeStart,
}

fn parse(line: u64, text: &str, ref_memory: f64) -> Result<(RawTask, End), String> {
    let mut f = Vec::with_capacity(9);
    split_into(text, ',', &mut f);
    if f.len() != 9 {
        return Err("wrong field count".into());
    }
    let start: i64 = num(f[5], "start_time", field::SECONDS)?;
    let end: i64 = num(f[6], "end_time", field::SECONDS)?;
    let cpu: f64 = num(f[7], "plan_cpu", field::CENTI_CORES)?;
    let mem: f64 = num(f[8], "plan_mem", field::PERCENT_OF_REFERENCE)?;
    let copies: u32 = num(f[1], "instance_num", field::INSTANCES)?;
    let (key, deps) = match parse_task_name(f[0]) {
        Some((own, deps)) => (
            task_key(f[2], own),
            deps.into_iter().map(|d| task_key(f[2], d)).collect(),
        ),
        None => (task_key(f[2], label_hash(f[0])), Vec::new()),
    };
    let end_kind = match (matches!(f[4], "Terminated" | "Failed"), end >= start) {
        (true, true) => End::Ended,
        (true, false) => End::BeforeStart,
        (false, _) => End::Open,
    };
    let duration = secs(end - start);
    let raw = RawTask {
        line,
        key,
        job: label_hash(f[2]),
        arrival: us(start),
        duration,
        requested: None,
        demand: Resources {
            cpu_milli: (cpu * 10.0).round() as u64,
            memory: (mem / 100.0 * ref_memory).round() as u64,
            disk: 0,
            ..Resources::ZERO
        },
        priority: 0,
        user: name_id(f[2]),
        kind: TaskKind::Batch,
        deps,
        observed: Some(Observed {
            wait: None,
            runtime: Some(duration).filter(|_| matches!(end_kind, End::Ended)),
        }),
        copies: copies.max(1),
    };
    Ok((raw, end_kind))
}

impl RawSource for Reader {
    fn next_raw(&mut self) -> Result<Option<RawTask>, WorkloadError> {
        let ref_memory = self.ref_memory;
        while let Some((line, (mut raw, end))) = next_record(&mut self.lines, &self.rep, |n, t| {
            parse(n, t, ref_memory).map(Some)
        })? {
            self.rep.submitted();
            match (end, self.unfinished) {
                (End::Ended, _) => {}
                (End::BeforeStart, _) => {
                    self.rep.dropped(line, "ends before it starts");
                    continue;
                }
                // A v2018 row has no later "end of trace" to run to when streaming.
                (End::Open, Unfinished::Drop | Unfinished::TraceEnd) => {
                    self.rep.dropped(line, "no end in trace");
                    continue;
                }
                (End::Open, Unfinished::Fixed(d)) => raw.duration = d,
            }
            return Ok(Some(raw));
        }
        Ok(None)
    }
}

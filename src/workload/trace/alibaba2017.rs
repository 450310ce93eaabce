//! Alibaba cluster-trace-v2017 `batch_task` (8 columns; the sample adds a header line and CRLF).
//!
//! One record per task row: arrival = task_create_time, duration = task_end_time − task_create_time
//! (the table has no start time, so this includes any wait; `Observed.runtime` is that span and
//! `Observed.wait` is unknown); status decides whether the task ended. `number_of_instances`
//! identical instances: one simctl task per row standing for them, or one per instance with `expand_instances = true`. CPU: 100 = one
//! core; memory: fraction of the largest machine × `ref_memory`; no disk. Rows still Running or Waiting
//! get the `unfinished` policy; rows without a CPU or memory request (8,847 Waiting rows and a few
//! others in the sample) are dropped as "no resource request" (trace end = the latest time read so far). Rows created before the trace
//! starts (negative time) are start-of-trace tasks (`at_start`). Task ids carry no DAG in v2017, so
//! `depends_on` stays empty; jobs group tasks.
//!
//! The published table is **not** sorted by create time (rows go back up to 61,030 s), so the replay
//! holds rows in its reorder heap until the end of the file (`reorder = "unlimited"` is this format's
//! default): memory is O(rows), about 80 k in the 24 h table.

use crate::resources::Resources;
use crate::workload::trace::field::{self, num};
use crate::workload::trace::input::{next_record, split_into, Lines};
use crate::workload::trace::pipeline::{RawSource, RawTask};
use crate::workload::trace::report::Reporter;
use crate::workload::trace::{secs, us, TraceSpec, Unfinished};
use crate::workload::{Observed, TaskKind, WorkloadError};

/// Streaming reader of `batch_task.csv`.
pub struct Reader {
    lines: Lines,
    rep: Reporter,
    ref_memory: f64,
    unfinished: Unfinished,
    keep_at_start: bool,
    latest: i64,
}

struct Row {
    create: i64,
    end: i64,
    job: u64,
    task: u64,
    instances: u32,
    status: String,
    /// `None` when the row gives no request (mostly Waiting rows).
    request: Option<(f64, f64)>,
}

fn parse(text: &str) -> Result<Option<Row>, String> {
    let mut fields = Vec::with_capacity(8);
    split_into(text, ',', &mut fields);
    if fields[0] == "task_create_time" || text.is_empty() {
        return Ok(None);
    }
    if fields.len() != 8 {
        return Err("wrong field count".into());
    }
    Ok(Some(Row {
        create: num(fields[0], "task_create_time", field::SIGNED_SECONDS)?,
        end: num(fields[1], "task_end_time", field::SIGNED_SECONDS)?,
        job: num(fields[2], "job_id", field::ID)?,
        task: num(fields[3], "task_id", field::ID)?,
        instances: num(fields[4], "number_of_instances", field::INSTANCES)?,
        status: fields[5].to_string(),
        request: match (fields[6], fields[7]) {
            ("", _) | (_, "") => None,
            (c, m) => Some((
                num(c, "cpu request", field::CENTI_CORES)?,
                num(m, "memory request", field::NORMALISED)?,
            )),
        },
    }))
}

impl Reader {
    /// A reader of `lines` with the options of `spec`.
    pub fn new(lines: Lines, rep: Reporter, spec: &TraceSpec) -> Reader {
        Reader {
            lines,
            rep,
            ref_memory: spec.reference.memory as f64,
            unfinished: spec.unfinished,
            keep_at_start: spec.keep_at_start,
            latest: 0,
        }
    }

    fn record(&mut self, line: u64, row: Row) -> Option<RawTask> {
        self.rep.submitted();
        self.latest = self.latest.max(row.create).max(row.end);
        if row.create < 0 && !self.keep_at_start {
            self.rep.dropped(line, "present at trace start");
            return None;
        }
        let Some((cpu, memory)) = row.request else {
            self.rep.dropped(line, "no resource request");
            return None;
        };
        let ended = matches!(row.status.as_str(), "Terminated" | "Failed");
        let duration = match (ended, self.unfinished) {
            (true, _) if row.end < row.create => {
                self.rep.dropped(line, "ends before it is created");
                return None;
            }
            (true, _) => secs(row.end - row.create),
            (false, Unfinished::Drop) => {
                self.rep.dropped(line, "no end in trace");
                return None;
            }
            (false, Unfinished::Fixed(d)) => d,
            (false, Unfinished::TraceEnd) => secs(self.latest - row.create),
        };
        Some(RawTask {
            line,
            key: (row.job << 24) ^ row.task,
            job: row.job,
            // Rows created before the trace (negative times) arrive at its start.
            arrival: us(row.create.max(0)),
            duration,
            requested: None,
            demand: Resources {
                cpu_milli: (cpu * 10.0).round() as u64,
                memory: (memory * self.ref_memory).round() as u64,
                disk: 0,
                ..Resources::ZERO
            },
            priority: 0,
            user: 0,
            kind: TaskKind::Batch,
            deps: Vec::new(),
            observed: Some(Observed {
                wait: None,
                runtime: Some(duration).filter(|_| ended),
            }),
            copies: row.instances.max(1),
        })
    }
}

impl RawSource for Reader {
    fn next_raw(&mut self) -> Result<Option<RawTask>, WorkloadError> {
        while let Some((line, row)) = next_record(&mut self.lines, &self.rep, |_, t| parse(t))? {
            if let Some(raw) = self.record(line, row) {
                return Ok(Some(raw));
            }
        }
        Ok(None)
    }
}

//! simctl's own trace format: a CSV file with a header row, one task per row, sorted by arrival.
//!
//! ```text
//! arrival_s,duration_s,cpu,memory,disk,priority,user,job,deps,requested_s
//! 0,30,1,1GiB,0,0,0,0,,
//! 2.5,12,0.5,536870912,10GiB,1,1,0,0,20
//! ```
//! Required columns, in any order: `arrival_s` (seconds, simulated time: no shift), `duration_s`
//! (seconds at speed 1.0), `cpu` (cores), `memory` and `disk` (bytes, or a size with a unit as in
//! scenarios). Optional: `priority` (integer), `user` (integer), `job` (integer; default: the row
//! number), `deps` (row numbers of earlier rows this one waits for, separated by `;` or spaces; row 0
//! is the first data row, comment and empty lines are not rows, malformed rows are) and `requested_s` (user's run-time estimate). Lines starting with `#` are
//! comments; empty optional fields take their default; quoting is not supported.

use crate::resources::{cores_to_milli, Resources};
use crate::time::SimDuration;
use crate::units::parse_size_bytes;
use crate::workload::trace::field::{self, num, opt_num};
use crate::workload::trace::input::{next_record, split_into, Lines};
use crate::workload::trace::pipeline::{RawSource, RawTask};
use crate::workload::trace::report::Reporter;
use crate::workload::trace::TraceSpec;
use crate::workload::{TaskKind, WorkloadError};

const REQUIRED: [&str; 5] = ["arrival_s", "duration_s", "cpu", "memory", "disk"];
const OPTIONAL: [&str; 5] = ["priority", "user", "job", "deps", "requested_s"];

/// Streaming reader of a simctl CSV trace.
pub struct Reader {
    lines: Lines,
    rep: Reporter,
    layout: Layout,
}

/// Where each column is.
struct Layout {
    /// Column index of each known name (REQUIRED then OPTIONAL).
    columns: Vec<Option<usize>>,
    width: usize,
    /// Data rows seen so far (malformed ones included, so numbering never depends on skips).
    rows: u64,
}

/// A size in bytes: a plain number or a number with a unit, as in scenarios.
fn size(text: &str, column: &str) -> Result<u64, String> {
    let bytes = match text.parse::<f64>() {
        Ok(b) => b,
        Err(_) => parse_size_bytes(text).map_err(|_| format!("non-numeric {column}"))?,
    };
    field::check(bytes, column, field::BYTES).map(|b| b.round() as u64)
}

impl Reader {
    /// Reads the header of `lines`; a missing or incomplete header is an error naming the column.
    pub fn new(
        mut lines: Lines,
        rep: Reporter,
        _spec: &TraceSpec,
    ) -> Result<Reader, WorkloadError> {
        let path = lines.path().to_string();
        let invalid = |line: u64, m: String| WorkloadError::Invalid(format!("{path}:{line}: {m}"));
        let header = next_record(&mut lines, &Reporter::new(&path, true), |_, t| {
            Ok((!t.trim().is_empty() && !t.starts_with('#')).then(|| t.to_string()))
        })?;
        let Some((line, header)) = header else {
            return Err(invalid(0, "empty file: expected a header row".into()));
        };
        let names: Vec<&str> = header.split(',').map(str::trim).collect();
        if let Some(i) = names
            .iter()
            .position(|n| !REQUIRED.contains(n) && !OPTIONAL.contains(n))
        {
            return Err(invalid(line, unknown_column(i, names[i])));
        }
        let columns: Vec<Option<usize>> = REQUIRED
            .iter()
            .chain(OPTIONAL.iter())
            .map(|c| names.iter().position(|n| n == c))
            .collect();
        if let Some(missing) = REQUIRED.iter().zip(&columns).find(|(_, i)| i.is_none()) {
            return Err(invalid(line, format!("missing column \"{}\"", missing.0)));
        }
        let layout = Layout {
            columns,
            width: names.len(),
            rows: 0,
        };
        Ok(Reader { lines, rep, layout })
    }
}

/// The error for an unknown header column. The name is quoted only when it looks like a column
/// name (a short identifier): the path may point at any file, and an error must not echo the content
/// of a file that is not a trace (the first line of `/etc/passwd` is no column name).
fn unknown_column(index: usize, name: &str) -> String {
    let expected = format!(
        "expected {} and optionally {}",
        REQUIRED.join(", "),
        OPTIONAL.join(", ")
    );
    let plausible = !name.is_empty()
        && name.len() <= 32
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if plausible {
        format!("unknown column \"{name}\" ({expected})")
    } else {
        format!(
            "header field {} is not a column name ({expected}); is this a simctl CSV trace?",
            index + 1
        )
    }
}

impl Layout {
    fn parse(&mut self, line: u64, text: &str) -> Result<Option<RawTask>, String> {
        if text.trim().is_empty() || text.starts_with('#') {
            return Ok(None);
        }
        let row = self.rows;
        self.rows += 1;
        let mut f = Vec::with_capacity(self.width);
        split_into(text, ',', &mut f);
        if f.len() != self.width {
            return Err("wrong field count".into());
        }
        let get = |i: usize| self.columns[i].map(|c| f[c]).filter(|s| !s.is_empty());
        let req = |i: usize| get(i).ok_or_else(|| format!("missing {}", REQUIRED[i]));
        let arrival: f64 = num(req(0)?, "arrival_s", field::SECONDS)?;
        let duration: f64 = num(req(1)?, "duration_s", field::SECONDS)?;
        let cpu: f64 = num(req(2)?, "cpu", field::CORES)?;
        let opt = |i: usize| get(i).unwrap_or("");
        let deps = match get(8) {
            None => Vec::new(),
            Some(t) => t
                .split([';', ' '])
                .filter(|s| !s.is_empty())
                .map(|d| {
                    num::<u64>(d, "deps", field::ID).and_then(|d| {
                        if d < row {
                            Ok(d)
                        } else {
                            Err("dependency on a later row".into())
                        }
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(Some(RawTask {
            line,
            key: row,
            job: opt_num(opt(7), "job", field::ID)?.unwrap_or(row),
            arrival: (arrival * 1e6).round() as i64,
            duration: SimDuration::from_secs_f64(duration),
            requested: opt_num::<f64>(opt(9), "requested_s", field::SECONDS)?
                .map(SimDuration::from_secs_f64),
            demand: Resources {
                cpu_milli: cores_to_milli(cpu),
                memory: size(req(3)?, "memory")?,
                disk: size(req(4)?, "disk")?,
                ..Resources::ZERO
            },
            priority: opt_num(opt(5), "priority", field::PRIORITY)?.unwrap_or(0),
            user: opt_num(opt(6), "user", field::USER)?.unwrap_or(0),
            kind: TaskKind::Batch,
            deps,
            observed: None,
            copies: 1,
        }))
    }
}

impl RawSource for Reader {
    fn next_raw(&mut self) -> Result<Option<RawTask>, WorkloadError> {
        let layout = &mut self.layout;
        let rep = &self.rep;
        let next = next_record(&mut self.lines, rep, |n, t| {
            let task = layout.parse(n, t)?;
            if task.is_some() {
                rep.submitted();
            }
            Ok(task)
        })?;
        Ok(next.map(|(_, raw)| raw))
    }
}

//! Skipped and dropped lines, counted per reason, shared between a reader and whoever replays it.
//!
//! Three kinds of entries are kept apart: *malformed* lines (the file is wrong: a strict replay stops at
//! the first with `path:line: reason`), *dropped* task records (the file is fine but the replay
//! options exclude them: outside the window, unfinished tasks under `unfinished = "drop"`, and so on)
//! and *ignored* lines and references that carry no task of their own (Google events of tasks
//! submitted before the file starts, dependencies on tasks not replayed).
//!
//! Task records are counted twice, independently: when a reader recognises one (`submitted`) and
//! when the replay yields it (`kept`), so `submitted = kept + dropped` checks that no record was lost
//! on the way ([`SkipReport::unaccounted`]; `trace info` prints it).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::workload::WorkloadError;

/// How many line numbers are remembered per reason.
pub const FIRST_LINES: usize = 5;

/// A report shared by a reader and the engine (read it after the replay).
pub type SharedReport = Arc<Mutex<SkipReport>>;

/// Count of one reason and the first line numbers where it happened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReasonCount {
    /// How many lines or records.
    pub count: u64,
    /// The first [`FIRST_LINES`] line numbers (1-based).
    pub first_lines: Vec<u64>,
}

/// Everything a replay left out, by reason, in a deterministic (sorted) order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkipReport {
    /// The file the lines come from.
    pub path: String,
    /// Lines read (data and header lines alike).
    pub lines: u64,
    /// Task records the reader recognised (a Google SUBMIT, a data row of the other formats).
    pub submitted: u64,
    /// Task records the replay yielded (one per record, however many instances it stands for).
    pub kept: u64,
    /// Lines that could not be parsed, by reason.
    pub malformed: BTreeMap<String, ReasonCount>,
    /// Well-formed task records the replay options left out, by reason.
    pub dropped: BTreeMap<String, ReasonCount>,
    /// Well-formed lines and references that are not task records and were not used, by reason.
    pub ignored: BTreeMap<String, ReasonCount>,
}

fn note(map: &mut BTreeMap<String, ReasonCount>, reason: &str, line: u64) {
    note_many(map, reason, line, 1);
}

fn note_many(map: &mut BTreeMap<String, ReasonCount>, reason: &str, line: u64, count: u64) {
    let entry = map.entry(reason.to_string()).or_default();
    entry.count += count;
    if entry.first_lines.len() < FIRST_LINES {
        entry.first_lines.push(line);
    }
}

impl SkipReport {
    /// An empty report for `path`, ready to share.
    pub fn shared(path: &str) -> SharedReport {
        Arc::new(Mutex::new(SkipReport {
            path: path.to_string(),
            ..SkipReport::default()
        }))
    }

    /// Total malformed lines.
    pub fn malformed_total(&self) -> u64 {
        self.malformed.values().map(|r| r.count).sum()
    }

    /// Total dropped records.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.values().map(|r| r.count).sum()
    }

    /// Total ignored lines and references.
    pub fn ignored_total(&self) -> u64 {
        self.ignored.values().map(|r| r.count).sum()
    }

    /// Submitted records neither kept nor dropped: `submitted − kept − dropped`, 0 when every record
    /// is accounted for (negative would mean a record counted twice).
    pub fn unaccounted(&self) -> i64 {
        self.submitted as i64 - self.kept as i64 - self.dropped_total() as i64
    }

    /// Count of ignored lines for one reason (0 when absent).
    pub fn ignored_count(&self, reason: &str) -> u64 {
        self.ignored.get(reason).map_or(0, |r| r.count)
    }

    /// Count of malformed lines for one reason (0 when absent).
    pub fn malformed_count(&self, reason: &str) -> u64 {
        self.malformed.get(reason).map_or(0, |r| r.count)
    }

    /// Count of dropped records for one reason (0 when absent).
    pub fn dropped_count(&self, reason: &str) -> u64 {
        self.dropped.get(reason).map_or(0, |r| r.count)
    }
}

fn write_map(f: &mut fmt::Formatter<'_>, map: &BTreeMap<String, ReasonCount>) -> fmt::Result {
    for (reason, r) in map {
        let lines: Vec<String> = r.first_lines.iter().map(u64::to_string).collect();
        let more = if r.count > r.first_lines.len() as u64 {
            ", ..."
        } else {
            ""
        };
        writeln!(
            f,
            "  {}: {reason} (lines {}{more})",
            r.count,
            lines.join(", ")
        )?;
    }
    Ok(())
}

impl fmt::Display for SkipReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: skipped {} malformed lines, dropped {} records",
            self.path,
            self.malformed_total(),
            self.dropped_total()
        )?;
        write_map(f, &self.malformed)?;
        if !self.dropped.is_empty() {
            writeln!(f, " dropped by the replay options:")?;
            write_map(f, &self.dropped)?;
        }
        if !self.ignored.is_empty() {
            writeln!(f, " ignored (not task records):")?;
            write_map(f, &self.ignored)?;
        }
        Ok(())
    }
}

/// A reader's handle on its report, with the strict-mode rule in one place.
#[derive(Debug, Clone)]
pub struct Reporter {
    report: SharedReport,
    path: String,
    strict: bool,
}

impl Reporter {
    /// A reporter for `path`; `strict` turns the first malformed line into an error.
    pub fn new(path: &str, strict: bool) -> Reporter {
        Reporter {
            report: SkipReport::shared(path),
            path: path.to_string(),
            strict,
        }
    }

    /// The shared report.
    pub fn shared(&self) -> SharedReport {
        Arc::clone(&self.report)
    }

    fn with<T>(&self, f: impl FnOnce(&mut SkipReport) -> T) -> T {
        // A poisoned lock only means another thread panicked while counting; the counts are still usable.
        let mut guard = self.report.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// Records a malformed line; in strict mode returns the error `path:line: reason` instead.
    pub fn malformed(&self, line: u64, reason: &str) -> Result<(), WorkloadError> {
        if self.strict {
            return Err(WorkloadError::Invalid(format!(
                "{}:{line}: {reason}",
                self.path
            )));
        }
        self.with(|r| note(&mut r.malformed, reason, line));
        Ok(())
    }

    /// Records a well-formed record left out by the options (never an error).
    pub fn dropped(&self, line: u64, reason: &str) {
        self.with(|r| note(&mut r.dropped, reason, line));
    }

    /// Records `count` well-formed records left out for one reason, `line` being the first.
    pub fn dropped_many(&self, line: u64, reason: &str, count: u64) {
        self.with(|r| note_many(&mut r.dropped, reason, line, count));
    }

    /// Records a well-formed line or reference that is not a task record and was not used.
    pub fn ignored(&self, line: u64, reason: &str) {
        self.with(|r| note(&mut r.ignored, reason, line));
    }

    /// Counts a task record the reader recognised (call it once per record, before any drop).
    pub fn submitted(&self) {
        self.with(|r| r.submitted += 1);
    }

    /// Counts a task record the replay yielded.
    pub fn kept(&self) {
        self.with(|r| r.kept += 1);
    }

    /// Sets the number of lines read so far.
    pub fn set_lines(&self, lines: u64) {
        self.with(|r| r.lines = lines);
    }

    /// A copy of the report as it stands.
    pub fn snapshot(&self) -> SkipReport {
        self.with(|r| r.clone())
    }
}

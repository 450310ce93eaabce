//! Google clusterdata-2011-2 `task_events` (13 columns, no header, µs timestamps, sorted by time).
//!
//! A task's run time is only known at its FINISH/FAIL/KILL/EVICT/LOST, which comes later in the file
//! than its SUBMIT. The reader keeps a **bounded look-ahead**: SUBMITs wait in a FIFO (in file order,
//! hence arrival order) until their end event is read; the head leaves the FIFO as soon as it is
//! resolved, or when it can no longer be resolved in time: the file ended, the head is older than
//! `lookahead` (trace time), or more than `max_open` tasks are waiting. Unresolved tasks get the
//! `unfinished` policy. Memory is O(tasks submitted while the oldest unresolved one is still open),
//! capped by `max_open`; one pass over the file, no seeking (gzip cannot seek).
//!
//! Each SUBMIT is one simctl task (a task resubmitted after EVICT/FAIL is a new task of the same job):
//! duration = end − SCHEDULE, `Observed.wait` = SCHEDULE − SUBMIT, outcome = the end event's name,
//! priority = the trace's priority (0–11), `Observed.class` = scheduling_class, job = job_id.
//! Demands are fractions of the largest machine: cpu × `ref_cpu` cores, memory × `ref_memory`,
//! disk × `ref_disk`; a SUBMIT without them takes them from a later event of the same task.
//! Tasks present at trace start (timestamp 0) arrive at simulated 0 (= 600 s, the window's start) with
//! the run time left after 600 s and no observed wait/run time; `at_start = "drop"` leaves them out.

use std::collections::{HashMap, VecDeque};

use crate::resources::Resources;
use crate::time::SimDuration;
use crate::workload::trace::input::{next_record, split_into, Lines};
use crate::workload::trace::pipeline::{RawSource, RawTask};
use crate::workload::trace::report::Reporter;
use crate::workload::trace::{name_id, num, TraceSpec, Unfinished};
use crate::workload::{Observed, TaskKind, WorkloadError};

/// Where the trace window opens (µs): timestamp 0 means "before the window".
pub const WINDOW_START_US: i64 = 600_000_000;
/// Timestamp meaning "after the window".
const AFTER_WINDOW: u64 = i64::MAX as u64;
const EVENT_NAMES: [&str; 9] = [
    "SUBMIT",
    "SCHEDULE",
    "EVICT",
    "FAIL",
    "FINISH",
    "KILL",
    "LOST",
    "UPDATE_PENDING",
    "UPDATE_RUNNING",
];

/// One parsed task_events line.
struct Event {
    time: u64,
    job: u64,
    index: u64,
    kind: u8,
    user: u32,
    class: Option<u8>,
    priority: i32,
    demand: Option<[f64; 3]>,
}

fn opt_f64(text: &str, column: &str) -> Result<Option<f64>, String> {
    if text.is_empty() {
        Ok(None)
    } else {
        num(text, column).map(Some)
    }
}

fn parse(line: &str) -> Result<Event, String> {
    let mut fields = Vec::with_capacity(13);
    split_into(line, ',', &mut fields);
    if fields.len() != 13 {
        return Err("wrong field count".into());
    }
    let kind: u8 = num(fields[5], "event_type")?;
    if kind as usize >= EVENT_NAMES.len() {
        return Err("unknown event_type".into());
    }
    let cpu = opt_f64(fields[9], "cpu_request")?;
    let mem = opt_f64(fields[10], "memory_request")?;
    let disk = opt_f64(fields[11], "disk_space_request")?;
    Ok(Event {
        time: num(fields[0], "timestamp")?,
        job: num(fields[2], "job_id")?,
        index: num(fields[3], "task_index")?,
        kind,
        user: name_id(fields[6]),
        class: opt_f64(fields[7], "scheduling_class")?.map(|c| c as u8),
        priority: opt_f64(fields[8], "priority")?.map_or(0, |p| p as i32),
        demand: match (cpu, mem, disk) {
            (Some(c), Some(m), d) => Some([c, m, d.unwrap_or(0.0)]),
            _ => None,
        },
    })
}

/// A submitted task waiting for its end event.
struct Open {
    seq: u64,
    key: (u64, u64),
    line: u64,
    ev: Event,
    schedule: Option<u64>,
    end: Option<(u64, u8)>,
    orphan: bool,
}

/// Streaming reader of one task_events file (see the module docs for the look-ahead).
pub struct Reader {
    lines: Lines,
    rep: Reporter,
    queue: VecDeque<Open>,
    open: HashMap<(u64, u64), u64>,
    next_seq: u64,
    last_time: u64,
    eof: bool,
    reference: Resources,
    unfinished: Unfinished,
    keep_at_start: bool,
    lookahead: Option<u64>,
    max_open: usize,
}

impl Reader {
    /// A reader of `lines` with the options of `spec`.
    pub fn new(lines: Lines, rep: Reporter, spec: &TraceSpec) -> Reader {
        Reader {
            lines,
            rep,
            queue: VecDeque::new(),
            open: HashMap::new(),
            next_seq: 0,
            last_time: 0,
            eof: false,
            reference: spec.reference,
            unfinished: spec.unfinished,
            keep_at_start: spec.keep_at_start,
            lookahead: spec.lookahead.map(|d| d.0),
            max_open: spec.max_open,
        }
    }

    fn head_ready(&self) -> bool {
        self.queue.front().is_some_and(|h| {
            h.end.is_some()
                || h.orphan
                || self.eof
                || self.queue.len() > self.max_open
                || self
                    .lookahead
                    .is_some_and(|l| self.last_time.saturating_sub(h.ev.time) > l)
        })
    }

    /// Reads one line and applies it; `false` at the end of the file.
    fn read_line(&mut self) -> Result<bool, WorkloadError> {
        let next = next_record(&mut self.lines, &self.rep, |_, t| parse(t).map(Some))?;
        match next {
            Some((no, ev)) => {
                self.apply(no, ev);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn apply(&mut self, line: u64, ev: Event) {
        if ev.time < self.last_time {
            return self.rep.dropped(line, "timestamp goes backwards");
        }
        self.last_time = ev.time;
        let key = (ev.job, ev.index);
        let slot = self
            .open
            .get(&key)
            .map(|&seq| (seq - self.queue[0].seq) as usize);
        match (ev.kind, slot) {
            (0, prev) => {
                if let Some(i) = prev {
                    // Resubmitted without an end: the earlier submission can no longer resolve.
                    self.queue[i].orphan = true;
                    self.open.remove(&key);
                }
                self.submit(line, key, ev);
            }
            (_, None) => self
                .rep
                .dropped(line, "event for a task not submitted in this file"),
            (1, Some(i)) => {
                let open = &mut self.queue[i];
                open.schedule.get_or_insert(ev.time);
                open.ev.demand = open.ev.demand.or(ev.demand);
            }
            (2..=6, Some(i)) if ev.time != AFTER_WINDOW => {
                self.queue[i].end = Some((ev.time, ev.kind));
                self.open.remove(&key);
            }
            (_, Some(i)) => self.queue[i].ev.demand = self.queue[i].ev.demand.or(ev.demand),
        }
    }

    fn submit(&mut self, line: u64, key: (u64, u64), ev: Event) {
        if ev.time == 0 && !self.keep_at_start {
            return self.rep.dropped(line, "present at trace start");
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.open.insert(key, seq);
        self.queue.push_back(Open {
            seq,
            key,
            line,
            ev,
            schedule: None,
            end: None,
            orphan: false,
        });
    }

    fn demand(&self, d: [f64; 3]) -> Resources {
        let r = &self.reference;
        Resources {
            cpu_milli: (d[0] * r.cpu_milli as f64).round().max(0.0) as u64,
            memory: (d[1] * r.memory as f64).round().max(0.0) as u64,
            disk: (d[2] * r.disk as f64).round().max(0.0) as u64,
        }
    }

    /// Duration and outcome of a task leaving the look-ahead, or `None` (dropped with a reason).
    fn run_time(&self, o: &Open) -> Option<(SimDuration, Option<String>)> {
        let at_start = o.ev.time == 0;
        // Work before the window opens is not replayed: at-start tasks run from 600 s on.
        let floor = |t: u64| {
            if at_start {
                t.max(WINDOW_START_US as u64)
            } else {
                t
            }
        };
        let start = o.schedule.map(floor);
        let (duration, outcome) = match (o.end, start) {
            (Some((end, kind)), Some(s)) => (
                SimDuration(end.saturating_sub(s)),
                Some(EVENT_NAMES[kind as usize].to_string()),
            ),
            (Some(_), None) => {
                self.rep.dropped(o.line, "ended before it was scheduled");
                return None;
            }
            (None, _) => match self.unfinished {
                Unfinished::Drop => {
                    let reason = match (o.orphan, self.eof) {
                        (true, _) => "resubmitted before it ended",
                        (false, true) => "no end in trace",
                        (false, false) => "end beyond look-ahead",
                    };
                    self.rep.dropped(o.line, reason);
                    return None;
                }
                Unfinished::Fixed(d) => (d, None),
                Unfinished::TraceEnd => {
                    let from = start.unwrap_or(floor(o.ev.time));
                    (SimDuration(self.last_time.saturating_sub(from)), None)
                }
            },
        };
        Some((duration, outcome))
    }

    /// Turns a task leaving the look-ahead into a record, or drops it with a reason.
    fn finish(&mut self, o: Open) -> Option<RawTask> {
        if self.open.get(&o.key) == Some(&o.seq) {
            self.open.remove(&o.key);
        }
        let at_start = o.ev.time == 0;
        let Some(demand) = o.ev.demand else {
            self.rep.dropped(o.line, "no resource request");
            return None;
        };
        let (duration, outcome) = self.run_time(&o)?;
        let known = !at_start && o.end.is_some();
        Some(RawTask {
            line: o.line,
            key: o.key.0.wrapping_mul(1 << 20) ^ o.key.1,
            job: o.ev.job,
            // At-start tasks arrive when the window opens, so `window_start = 600` keeps them.
            arrival: (o.ev.time as i64).max(WINDOW_START_US),
            duration,
            requested: None,
            demand: self.demand(demand),
            priority: o.ev.priority,
            user: o.ev.user,
            kind: TaskKind::Batch,
            deps: Vec::new(),
            observed: Some(Observed {
                wait: o
                    .schedule
                    .filter(|_| !at_start)
                    .map(|s| SimDuration(s - o.ev.time)),
                runtime: Some(duration).filter(|_| known),
                outcome,
                class: o.ev.class,
            }),
            copies: 1,
        })
    }
}

impl RawSource for Reader {
    fn next_raw(&mut self) -> Result<Option<RawTask>, WorkloadError> {
        loop {
            if self.head_ready() {
                if let Some(head) = self.queue.pop_front() {
                    if let Some(raw) = self.finish(head) {
                        return Ok(Some(raw));
                    }
                }
                continue;
            }
            if self.eof {
                return Ok(None);
            }
            self.eof = !self.read_line()?;
        }
    }
}

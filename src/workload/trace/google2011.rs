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
//! duration = end − SCHEDULE, `Observed.wait` = SCHEDULE − SUBMIT, `Observed.runtime` = the duration
//! when the end is in the file, priority = the trace's priority (0–11), job = job_id.
//! Demands are fractions of the largest machine: cpu × `ref_cpu` cores, memory × `ref_memory`,
//! disk × `ref_disk`; a SUBMIT without them takes them from a later event of the same task.
//! Tasks present at trace start (timestamp 0) arrive at simulated 0 (= 600 s, the window's start) with
//! the run time left after 600 s and no observed wait/run time; `at_start = "drop"` leaves them out.

use std::collections::{HashMap, VecDeque};

use crate::resources::Resources;
use crate::time::SimDuration;
use crate::workload::trace::field::{self, num, opt_num, Limit};
use crate::workload::trace::input::{next_record, split_into, Lines};
use crate::workload::trace::pipeline::{RawSource, RawTask};
use crate::workload::trace::report::Reporter;
use crate::workload::trace::{name_id, TraceSpec, Unfinished};
use crate::workload::{Observed, TaskKind, WorkloadError};

/// Where the trace window opens (µs): timestamp 0 means "before the window".
pub const WINDOW_START_US: i64 = 600_000_000;
/// Timestamp meaning "after the window".
const AFTER_WINDOW: u64 = i64::MAX as u64;
/// Event types 0..=8: SUBMIT, SCHEDULE, EVICT, FAIL, FINISH, KILL, LOST, UPDATE_PENDING,
/// UPDATE_RUNNING.
const EVENT_TYPES: u8 = 9;

/// One parsed task_events line.
struct Event {
    time: u64,
    job: u64,
    index: u64,
    kind: u8,
    user: u32,
    priority: i32,
    demand: Option<[f64; 3]>,
}

fn parse(line: &str) -> Result<Event, String> {
    let mut fields = Vec::with_capacity(13);
    split_into(line, ',', &mut fields);
    if fields.len() != 13 {
        return Err("wrong field count".into());
    }
    let kind: u8 = num(fields[5], "event_type", Limit::new(0.0, 255.0))?;
    if kind >= EVENT_TYPES {
        return Err("unknown event_type".into());
    }
    let demand = |i: usize, name: &str| opt_num::<f64>(fields[i], name, field::NORMALISED);
    let (cpu, mem, disk) = (
        demand(9, "cpu_request")?,
        demand(10, "memory_request")?,
        demand(11, "disk_space_request")?,
    );
    // Checked like every field, though the replay has no use for it.
    opt_num::<u8>(fields[7], "scheduling_class", Limit::new(0.0, 3.0))?;
    Ok(Event {
        time: num(fields[0], "timestamp", field::MICROS)?,
        job: num(fields[2], "job_id", field::ID)?,
        index: num(fields[3], "task_index", field::ID)?,
        kind,
        user: name_id(fields[6]),
        priority: opt_num(fields[8], "priority", Limit::new(0.0, 11.0))?.unwrap_or(0),
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
    end: Option<u64>,
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
        let submit = ev.kind == 0;
        if submit {
            self.rep.submitted();
        }
        if ev.time < self.last_time {
            const REASON: &str = "timestamp goes backwards";
            return match submit {
                true => self.rep.dropped(line, REASON),
                false => self.rep.ignored(line, REASON),
            };
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
                .ignored(line, "event for a task not submitted in this file"),
            (1, Some(i)) => {
                let open = &mut self.queue[i];
                open.schedule.get_or_insert(ev.time);
                open.ev.demand = open.ev.demand.or(ev.demand);
            }
            (2..=6, Some(i)) if ev.time != AFTER_WINDOW => {
                self.queue[i].end = Some(ev.time);
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
            cpu_milli: (d[0] * r.cpu_milli as f64).round() as u64,
            memory: (d[1] * r.memory as f64).round() as u64,
            disk: (d[2] * r.disk as f64).round() as u64,
            ..Resources::ZERO
        }
    }

    /// Duration of a task leaving the look-ahead, or `None` (dropped with a reason).
    fn run_time(&self, o: &Open) -> Option<SimDuration> {
        let at_start = o.ev.time == 0;
        // Work before the window opens is not replayed: at-start tasks run from 600 s on (an
        // at-start task that ended before 600 s has nothing left to run).
        let floor = |t: u64| {
            if at_start {
                t.max(WINDOW_START_US as u64)
            } else {
                t
            }
        };
        let start = o.schedule.map(floor);
        match (o.end, start) {
            (Some(end), Some(s)) => Some(SimDuration(end.saturating_sub(s))),
            (Some(_), None) => {
                self.rep.dropped(o.line, "ended before it was scheduled");
                None
            }
            (None, _) => match self.unfinished {
                Unfinished::Drop => {
                    let reason = match (o.orphan, self.eof) {
                        (true, _) => "resubmitted before it ended",
                        (false, true) => "no end in trace",
                        (false, false) => "end beyond look-ahead",
                    };
                    self.rep.dropped(o.line, reason);
                    None
                }
                Unfinished::Fixed(d) => Some(d),
                Unfinished::TraceEnd => {
                    let from = start.unwrap_or(floor(o.ev.time));
                    Some(SimDuration(self.last_time.saturating_sub(from)))
                }
            },
        }
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
        let duration = self.run_time(&o)?;
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
            }),
            copies: 1,
        })
    }
}

impl RawSource for Reader {
    fn held(&self) -> u64 {
        self.queue.len() as u64
    }

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

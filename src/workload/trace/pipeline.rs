//! The replay pipeline shared by every format: a reader yields [`RawTask`]s in file order; [`Replay`]
//! puts them in arrival order (bounded reorder heap), applies the time window, job sampling and time
//! scaling, numbers the tasks, resolves dependencies, expands multi-instance records and, with
//! `hold`, makes every task hold its resources until the run ends.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, VecDeque};

use crate::ids::{JobId, TaskId};
use crate::resources::Resources;
use crate::rng::mix64;
use crate::time::{SimDuration, SimTime};
use crate::workload::trace::report::Reporter;
use crate::workload::trace::HOLD;
use crate::workload::{Observed, TaskKind, TaskSpec, WorkloadError, WorkloadSource};

/// Why records read when the replay reached `window_end` are left out.
const AFTER_WINDOW: &str = "at or after window_end (replay stopped)";

/// How many replayed tasks are remembered for dependency lookup (oldest forgotten first).
pub const DEP_MEMORY: usize = 1 << 20;

/// One record as a format reader understands it, in trace time.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTask {
    /// Line the record came from (for reports).
    pub line: u64,
    /// The record's identity for dependencies (format-defined, e.g. a hash of job and task name).
    pub key: u64,
    /// Job the task belongs to (sampling keeps or drops whole jobs).
    pub job: u64,
    /// Arrival in trace time, microseconds (may be negative).
    pub arrival: i64,
    /// Run time at speed 1.0, before time scaling.
    pub duration: SimDuration,
    /// Requested run time, before time scaling.
    pub requested: Option<SimDuration>,
    /// Demand per instance, already scaled to simctl units.
    pub demand: Resources,
    /// Larger is more important.
    pub priority: i32,
    /// Tenant.
    pub user: u32,
    /// Batch or service.
    pub kind: TaskKind,
    /// Keys of records this one depends on.
    pub deps: Vec<u64>,
    /// What the trace says happened.
    pub observed: Option<Observed>,
    /// Identical instances this record stands for (1 for most formats).
    pub copies: u32,
}

/// A format reader: records in file order (not necessarily sorted).
pub trait RawSource: Send {
    /// The next record, or `None` at the end of the file.
    fn next_raw(&mut self) -> Result<Option<RawTask>, WorkloadError>;

    /// Records read (and counted as submitted) but not yet returned nor dropped: a reader that looks
    /// ahead (Google) holds some; the others none.
    fn held(&self) -> u64 {
        0
    }
}

/// Replay options applied by the pipeline, in trace microseconds where they are times.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Drop records arriving before this trace time.
    pub window_start: Option<i64>,
    /// Stop at the first record arriving at or after this trace time.
    pub window_end: Option<i64>,
    /// Trace time that becomes simulated time 0 (`None`: the first replayed record's arrival).
    pub origin: Option<i64>,
    /// Fraction of jobs kept (1.0 keeps all).
    pub sample: f64,
    /// Seed of the job sampling.
    pub seed: u64,
    /// Factor on arrival offsets and durations (0.5 replays twice as fast).
    pub time_scale: f64,
    /// Factor on offered load: arrival offsets are divided by it, durations are not.
    pub load: f64,
    /// How far a record may arrive out of order, in microseconds; `None` holds the whole file.
    pub reorder: Option<u64>,
    /// Most records held for reordering; beyond it the earliest is released early.
    pub max_buffer: usize,
    /// Whether to remember replayed tasks for dependency lookup.
    pub track_deps: bool,
    /// Emit one task per instance (`true`) or one per record (`false`).
    pub expand_copies: bool,
    /// Every task holds its resources until the run ends (duration [`HOLD`]).
    pub hold: bool,
}

struct Held(RawTask, u64);

impl PartialEq for Held {
    fn eq(&self, o: &Held) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Held {}
impl PartialOrd for Held {
    fn partial_cmp(&self, o: &Held) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Held {
    /// Arrival first, then file order, so equal arrivals keep their order in the file.
    fn cmp(&self, o: &Held) -> Ordering {
        (self.0.arrival, self.1).cmp(&(o.0.arrival, o.1))
    }
}

/// Whether sampling keeps `job` (a pure function of seed and job id).
pub fn job_kept(job: u64, seed: u64, fraction: f64) -> bool {
    if fraction >= 1.0 {
        return true;
    }
    let u = (mix64(mix64(seed) ^ job) >> 11) as f64 / (1u64 << 53) as f64;
    u < fraction
}

/// A [`WorkloadSource`] over a format reader.
pub struct Replay {
    source: Box<dyn RawSource>,
    opts: ReplayOptions,
    reporter: Reporter,
    heap: BinaryHeap<Reverse<Held>>,
    seq: u64,
    latest_in: i64,
    last_out: Option<i64>,
    origin: Option<i64>,
    eof: bool,
    next_id: u64,
    copies: Option<(TaskSpec, u32)>,
    deps: HashMap<u64, (u64, u32)>,
    dep_order: VecDeque<u64>,
}

impl Replay {
    /// Replays `source` with `opts`, reporting into `reporter`.
    pub fn new(source: Box<dyn RawSource>, opts: ReplayOptions, reporter: Reporter) -> Replay {
        Replay {
            source,
            opts,
            reporter,
            heap: BinaryHeap::new(),
            seq: 0,
            latest_in: i64::MIN,
            last_out: None,
            origin: None,
            eof: false,
            next_id: 0,
            copies: None,
            deps: HashMap::new(),
            dep_order: VecDeque::new(),
        }
    }

    fn ready(&self, top: &RawTask) -> bool {
        self.eof
            || self.heap.len() > self.opts.max_buffer
            || self
                .opts
                .reorder
                .is_some_and(|slack| self.latest_in.saturating_sub(top.arrival) as u64 >= slack)
    }

    fn next_ordered(&mut self) -> Result<Option<RawTask>, WorkloadError> {
        loop {
            if let Some(Reverse(top)) = self.heap.peek() {
                if self.ready(&top.0) {
                    return Ok(self.heap.pop().map(|Reverse(h)| h.0));
                }
            } else if self.eof {
                return Ok(None);
            }
            match self.source.next_raw()? {
                None => self.eof = true,
                Some(raw) if self.last_out.is_some_and(|t| raw.arrival < t) => {
                    self.reporter.dropped(
                        raw.line,
                        "arrives before a task already replayed (reorder window)",
                    )
                }
                Some(raw) => {
                    self.latest_in = self.latest_in.max(raw.arrival);
                    self.seq += 1;
                    self.heap.push(Reverse(Held(raw, self.seq)));
                }
            }
        }
    }

    /// Applies window and sampling; `Ok(None)` ends the replay, `Ok(Some(None))` skips the record.
    fn filter(&mut self, raw: &RawTask) -> Option<bool> {
        if self.opts.window_end.is_some_and(|end| raw.arrival >= end) {
            return None;
        }
        if self.opts.window_start.is_some_and(|s| raw.arrival < s) {
            self.reporter.dropped(raw.line, "before window_start");
            return Some(false);
        }
        if !job_kept(raw.job, self.opts.seed, self.opts.sample) {
            self.reporter.dropped(raw.line, "job not sampled");
            return Some(false);
        }
        Some(true)
    }

    fn scaled(&self, d: SimDuration) -> SimDuration {
        SimDuration::from_secs_f64(d.as_secs_f64() * self.opts.time_scale)
    }

    fn remember(&mut self, key: u64, first: u64, count: u32) {
        if self.deps.insert(key, (first, count)).is_none() {
            self.dep_order.push_back(key);
        }
        if self.dep_order.len() > DEP_MEMORY {
            if let Some(old) = self.dep_order.pop_front() {
                self.deps.remove(&old);
            }
        }
    }

    fn resolve(&self, raw: &RawTask) -> Vec<TaskId> {
        let mut out = Vec::new();
        for key in &raw.deps {
            match self.deps.get(key) {
                Some(&(first, n)) => out.extend((first..first + n as u64).map(TaskId)),
                None => self.reporter.ignored(raw.line, "dependency not replayed"),
            }
        }
        out
    }

    fn convert(&mut self, raw: RawTask) -> TaskSpec {
        let origin = *self
            .origin
            .get_or_insert(self.opts.origin.unwrap_or(raw.arrival));
        let offset = raw.arrival.saturating_sub(origin).max(0) as f64;
        let micros = offset * self.opts.time_scale / self.opts.load;
        self.last_out = Some(raw.arrival);
        let depends_on = self.resolve(&raw);
        self.reporter.kept();
        let copies = if self.opts.expand_copies {
            raw.copies.max(1)
        } else {
            1
        };
        if self.opts.track_deps {
            self.remember(raw.key, self.next_id, copies);
        }
        let (duration, requested_duration) = if self.opts.hold {
            (HOLD, raw.requested.map(|_| HOLD))
        } else {
            (
                self.scaled(raw.duration),
                raw.requested.map(|d| self.scaled(d)),
            )
        };
        let spec = TaskSpec {
            id: TaskId(self.next_id),
            job: JobId(raw.job),
            arrival: SimTime(micros.round() as u64),
            duration,
            requested_duration,
            demand: raw.demand,
            priority: raw.priority,
            kind: raw.kind,
            user: raw.user,
            deadline: None,
            depends_on,
            observed: raw.observed.map(Box::new),
            class: 0,
            not_before: None,
        };
        self.next_id += 1;
        if copies > 1 {
            self.copies = Some((spec.clone(), copies - 1));
        }
        spec
    }

    fn next_copy(&mut self) -> Option<TaskSpec> {
        let (spec, left) = self.copies.as_mut()?;
        let mut out = spec.clone();
        out.id = TaskId(self.next_id);
        self.next_id += 1;
        *left -= 1;
        if *left == 0 {
            self.copies = None;
        }
        Some(out)
    }
}

impl WorkloadSource for Replay {
    fn has_dependencies(&self) -> bool {
        self.opts.track_deps
    }

    fn next_task(&mut self) -> Result<Option<TaskSpec>, WorkloadError> {
        if let Some(t) = self.next_copy() {
            return Ok(Some(t));
        }
        while let Some(raw) = self.next_ordered()? {
            match self.filter(&raw) {
                None => {
                    // Records are in arrival order: nothing after the window's end can come back in.
                    // This record, those held here and those the reader holds are read and left out.
                    let left = 1 + self.heap.len() as u64 + self.source.held();
                    self.reporter.dropped_many(raw.line, AFTER_WINDOW, left);
                    self.heap.clear();
                    self.eof = true;
                    break;
                }
                Some(false) => continue,
                Some(true) => return Ok(Some(self.convert(raw))),
            }
        }
        if self.next_id == 0 {
            let report = self.reporter.snapshot();
            return Err(WorkloadError::Invalid(format!(
                "{}: trace yields no tasks ({} malformed lines, {} records dropped)",
                report.path,
                report.malformed_total(),
                report.dropped_total()
            )));
        }
        Ok(None)
    }
}

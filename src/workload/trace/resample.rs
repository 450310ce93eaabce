//! `resample = { tasks = N, every = "1s" }`: instead of the trace in its own order, N tasks drawn
//! uniformly with replacement from the tasks the replay yields, one arriving every `every` (the first
//! at 0), as in the fragmentation experiments of Weng et al. (USENIX ATC 2023), which draw pods from
//! the GPU 2023 trace.
//!
//! The replay is read whole first, with every other option applied (window, `sample`,
//! `time_scale` on durations, `hold`), and each yielded task is kept in memory in a compact record
//! of [`POOL_RECORD_BYTES`] bytes; a trace yielding more than [`MAX_POOL`] tasks (the per-run memory
//! limit, [`crate::config::budget::MAX_RUN_BYTES`], over the record size) is refused with an error
//! saying how to narrow it. Each run reads the trace again.
//!
//! Draw `i` (from 0) picks record `below(rng, pool size)` from the stream labelled
//! [`STREAM_LABEL`] of the run's seed, so the same seed gives the same draws on any thread count. The
//! drawn task keeps its demand (GPU models included), priority, duration, requested duration, kind
//! and user; it becomes task `i` of job `i`, arriving at `i × every`, with no dependencies and no
//! observed values (its trace wait and run time no longer describe it). `load` does not apply (the
//! parser refuses it with `resample`).

use crate::ids::{JobId, TaskId};
use crate::resources::Resources;
use crate::rng::{below, stream, SimRng};
use crate::time::{SimDuration, SimTime};
use crate::workload::trace::spec::Resample;
use crate::workload::{TaskKind, TaskSpec, WorkloadError, WorkloadSource};

/// The label of the draws' random stream.
pub const STREAM_LABEL: &str = "trace-resample";

/// What is kept of each replayed task.
#[derive(Debug, Clone, Copy)]
struct Record {
    demand: Resources,
    duration: SimDuration,
    requested: Option<SimDuration>,
    priority: i32,
    user: u32,
    kind: TaskKind,
}

/// Bytes one kept task takes in memory.
pub const POOL_RECORD_BYTES: usize = std::mem::size_of::<Record>();

/// Most tasks a resampled trace may yield (the pool is refused beyond it).
pub const MAX_POOL: usize = (crate::config::budget::MAX_RUN_BYTES as usize) / POOL_RECORD_BYTES;

/// The resampled workload.
pub struct Resampled {
    pool: Vec<Record>,
    rng: SimRng,
    opts: Resample,
    next: u64,
}

impl Resampled {
    /// Reads every task of `replay` (the trace `shown`) into the pool, then draws with `seed`.
    pub fn new(
        mut replay: Box<dyn WorkloadSource>,
        opts: Resample,
        seed: u64,
        shown: &str,
    ) -> Result<Resampled, WorkloadError> {
        let mut pool = Vec::new();
        while let Some(t) = replay.next_task()? {
            if pool.len() == MAX_POOL {
                return Err(WorkloadError::Invalid(format!(
                    "{shown}: resample keeps every replayed task in memory ({POOL_RECORD_BYTES} bytes \
                     each) and the trace yields more than {MAX_POOL} tasks, beyond the per-run limit \
                     of {} GiB: narrow it with window_start/window_end or sample",
                    crate::config::budget::MAX_RUN_BYTES / (1u64 << 30) as f64
                )));
            }
            pool.push(Record {
                demand: t.demand,
                duration: t.duration,
                requested: t.requested_duration,
                priority: t.priority,
                user: t.user,
                kind: t.kind,
            });
        }
        Ok(Resampled {
            pool,
            rng: stream(seed, STREAM_LABEL),
            opts,
            next: 0,
        })
    }

    /// Number of tasks drawn from.
    pub fn pool_size(&self) -> usize {
        self.pool.len()
    }
}

impl WorkloadSource for Resampled {
    fn next_task(&mut self) -> Result<Option<TaskSpec>, WorkloadError> {
        if self.next >= self.opts.tasks || self.pool.is_empty() {
            return Ok(None);
        }
        let r = self.pool[below(&mut self.rng, self.pool.len() as u64) as usize];
        let i = self.next;
        self.next += 1;
        Ok(Some(TaskSpec {
            id: TaskId(i),
            job: JobId(i),
            arrival: SimTime(i.saturating_mul(self.opts.every.0)),
            duration: r.duration,
            requested_duration: r.requested,
            demand: r.demand,
            priority: r.priority,
            kind: r.kind,
            user: r.user,
            deadline: None,
            depends_on: Vec::new(),
            observed: None,
            class: 0,
            not_before: None,
        }))
    }
}

//! One workload class's stream of jobs: every arrival of the class's arrival process is a job of
//! `tasks_per_job` tasks (one task when the key is absent) that all arrive at that instant; each
//! task draws its own duration, demands and priority, and the job draws one submission delay.
//!
//! The stream numbers its tasks 0, 1, 2, ... in its own order; [`super::synthetic::SyntheticWorkload`]
//! merges the classes' streams and gives the tasks their run-wide ids.

use crate::resources::{cores_to_milli, Resources};
use crate::rng::{stream, SimRng};
use crate::rounding::round_to_u64;
use crate::time::{SimDuration, SimTime};
use crate::workload::arrival::ArrivalProcess;
use crate::workload::dist::{DistSpec, Sampler};
use crate::workload::synthetic::ClassSpec;

/// The most tasks one job may have (`tasks_per_job` distributions that can draw more are refused).
pub const MAX_TASKS_PER_JOB: f64 = 1_000_000.0;

/// The number of tasks a draw `x` of `tasks_per_job` means: `x` rounded, at least 1.
pub fn tasks_in_job(x: f64) -> u64 {
    x.round().clamp(1.0, MAX_TASKS_PER_JOB) as u64
}

/// The mean number of tasks per job of a `tasks_per_job` distribution (1 without one). Exact for
/// constant and choice distributions (their values are rounded first); for the others it is the
/// mean of the unrounded distribution, which rounding moves by less than 0.5.
pub fn mean_tasks_per_job(d: Option<&DistSpec>) -> f64 {
    match d {
        None => 1.0,
        Some(DistSpec::Constant { value }) => tasks_in_job(*value) as f64,
        Some(DistSpec::Choice { values, weights }) => {
            let total: f64 = weights.iter().sum();
            values
                .iter()
                .zip(weights)
                .map(|(v, w)| tasks_in_job(*v) as f64 * w)
                .sum::<f64>()
                / total
        }
        Some(d) => d.mean(),
    }
}

/// A task as a class stream draws it, before the merged workload numbers it.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    /// When its job arrived.
    pub arrival: SimTime,
    /// Processing time at speed 1.0.
    pub duration: SimDuration,
    /// Resources held while running.
    pub demand: Resources,
    /// Priority (rounded).
    pub priority: i32,
    /// Whether it is the first task of its job.
    pub first_of_job: bool,
    /// The class-local number of its job's first task.
    pub job_seq: u64,
    /// `arrival` + the job's delay, when the class has a `delay`.
    pub not_before: Option<SimTime>,
}

/// A distribution with its own random stream.
struct Drawn {
    sampler: Sampler,
    rng: SimRng,
}

impl Drawn {
    fn new(d: &DistSpec, seed: u64, label: &str) -> Drawn {
        Drawn {
            sampler: d.sampler(),
            rng: stream(seed, label),
        }
    }

    #[inline]
    fn draw(&mut self) -> f64 {
        // A constant draws no random number; answering it here saves a call per attribute.
        if let Sampler::Constant(v) = self.sampler {
            return v;
        }
        self.sampler.sample(&mut self.rng)
    }
}

/// The job currently being emitted.
struct Job {
    arrival: SimTime,
    not_before: Option<SimTime>,
    first: u64,
    left: u64,
}

/// Draws one class's tasks in arrival order. Every attribute has its own random stream, named
/// `<prefix><attribute>` ("arrival", "duration", "cpu", "memory", "disk", "priority",
/// "tasks_per_job", "delay"), so adding `tasks_per_job` or `delay` leaves the other streams' samples
/// unchanged.
pub(crate) struct ClassStream {
    arrivals: ArrivalProcess,
    arrival_rng: SimRng,
    /// duration, cpu, memory, disk, priority.
    attrs: [Drawn; 5],
    tasks_per_job: Option<Drawn>,
    delay: Option<Drawn>,
    max_tasks: Option<u64>,
    drawn: u64,
    job: Option<Job>,
    gpu: Option<(u64, crate::resources::GpuModels)>,
}

impl ClassStream {
    /// The stream of `class` in a run seeded with `seed`; `prefix` keeps the streams of different
    /// classes apart ("" gives the streams of a workload without classes).
    pub fn new(class: &ClassSpec, seed: u64, prefix: &str) -> ClassStream {
        let label = |l: &str| format!("{prefix}{l}");
        let mut arrival_rng = stream(seed, &label("arrival"));
        let arrivals = ArrivalProcess::new(class.arrival.clone(), &mut arrival_rng);
        let attrs = [
            ("duration", &class.duration),
            ("cpu", &class.cpu),
            ("memory", &class.memory),
            ("disk", &class.disk),
            ("priority", &class.priority),
        ]
        .map(|(l, d)| Drawn::new(d, seed, &label(l)));
        ClassStream {
            arrivals,
            arrival_rng,
            attrs,
            tasks_per_job: class
                .tasks_per_job
                .as_ref()
                .map(|d| Drawn::new(d, seed, &label("tasks_per_job"))),
            delay: class
                .delay
                .as_ref()
                .map(|d| Drawn::new(d, seed, &label("delay"))),
            max_tasks: class.max_tasks,
            drawn: 0,
            job: None,
            gpu: class.gpu.as_ref().map(|g| (g.milli, g.mask)),
        }
    }

    /// The next task, or `None` once the class's `max_tasks` have been drawn.
    pub fn next(&mut self) -> Option<Draft> {
        if self.max_tasks.is_some_and(|m| self.drawn >= m) {
            return None;
        }
        let first_of_job = self.job.as_ref().is_none_or(|j| j.left == 0);
        if first_of_job {
            self.job = Some(self.next_job());
        }
        let job = self.job.as_mut().expect("a job was just started");
        job.left -= 1;
        let (arrival, not_before, job_seq) = (job.arrival, job.not_before, job.first);
        let [duration, cpu, memory, disk, priority] = self.attrs.each_mut().map(Drawn::draw);
        self.drawn += 1;
        Some(Draft {
            arrival,
            duration: SimDuration::from_secs_f64(duration),
            demand: Resources {
                cpu_milli: cores_to_milli(cpu),
                memory: round_to_u64(memory),
                disk: round_to_u64(disk),
                gpu_milli: self.gpu.map_or(0, |g| g.0),
                gpu_models: self.gpu.map_or(Default::default(), |g| g.1),
            },
            priority: priority.round() as i32,
            first_of_job,
            job_seq,
            not_before,
        })
    }

    fn next_job(&mut self) -> Job {
        let secs = self.arrivals.next_arrival(&mut self.arrival_rng);
        let arrival = SimTime::ZERO + SimDuration::from_secs_f64(secs);
        let left = self
            .tasks_per_job
            .as_mut()
            .map_or(1, |d| tasks_in_job(d.draw()));
        let not_before = self
            .delay
            .as_mut()
            .map(|d| arrival + SimDuration::from_secs_f64(d.draw()));
        Job {
            arrival,
            not_before,
            first: self.drawn,
            left,
        }
    }
}

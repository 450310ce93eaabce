//! The floor an event loop is measured against: a bare `std` binary heap of `(time, sequence)`
//! pairs in the classic *hold* model (pop the earliest, push it back a random increment later),
//! holding a fixed number of pending events and doing nothing else. An engine handling one event
//! does at least this much heap work, so its events/s over the heap's operations/s says how much
//! of its time goes to the queue and how much to everything else.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use rand_distr::{Distribution, Exp1};

use super::usage;
use crate::rng::{stream, SimRng};

/// Mean increment of the hold model, in the engine's time unit (microseconds): one second, the
/// service time of the M/M/c benchmark. A binary heap's cost hardly depends on it.
const MEAN_INCREMENT_US: f64 = 1e6;

/// A heap in the hold model.
struct Hold {
    heap: BinaryHeap<Reverse<(u64, u64)>>,
    next_seq: u64,
    rng: SimRng,
}

impl Hold {
    /// `pending` entries (at least 1) at exponential times from zero; the increments come from the
    /// `bare-heap` stream of seed 0, so every heap does the same work.
    fn new(pending: usize) -> Hold {
        let pending = pending.max(1);
        let mut rng = stream(0, "bare-heap");
        let heap = (0..pending as u64)
            .map(|seq| Reverse((increment(&mut rng), seq)))
            .collect();
        Hold {
            heap,
            next_seq: pending as u64,
            rng,
        }
    }

    /// One hold operation; returns the time popped.
    #[inline]
    fn step(&mut self) -> u64 {
        let Reverse((t, _)) = self.heap.pop().expect("the heap never empties");
        self.heap
            .push(Reverse((t + increment(&mut self.rng), self.next_seq)));
        self.next_seq += 1;
        t
    }
}

/// Times `ops` hold operations (one pop of the earliest entry and one push of it an exponential
/// increment later, with a fresh sequence number) on a heap of `pending` entries (at least 1);
/// returns operations per second. Filling the heap is not timed.
pub fn hold_loop(pending: usize, ops: u64) -> f64 {
    let mut hold = Hold::new(pending);
    let started = Instant::now();
    let mut last = 0;
    for _ in 0..ops {
        last = hold.step();
    }
    let elapsed = started.elapsed().as_secs_f64();
    std::hint::black_box(last);
    ops as f64 / elapsed.max(1e-9)
}

/// Hold operations per CPU second of a heap of `pending` entries, timed by the calling thread's
/// CPU time (see [`super::usage`]) so that it compares with a run's events per CPU second when
/// other processes share the machine: [`hold_loop`] with an operation count doubled from 100,000
/// until one pass takes at least `at_least` of CPU time. Falls back to [`hold_loop`]'s wall-clock
/// rate where CPU time cannot be read.
pub fn hold_rate(pending: usize, at_least: Duration) -> f64 {
    let mut ops = 100_000u64;
    loop {
        let before = usage::cpu_seconds();
        let wall_rate = hold_loop(pending, ops);
        let cpu = before.zip(usage::cpu_seconds()).map(|(b, a)| a - b);
        let enough = at_least.as_secs_f64();
        match cpu {
            Some(s) if s >= enough => return ops as f64 / s,
            None if ops as f64 / wall_rate >= enough => return wall_rate,
            _ if ops >= 1 << 36 => return wall_rate,
            _ => ops *= 2,
        }
    }
}

/// One exponential increment, in whole microseconds.
fn increment(rng: &mut SimRng) -> u64 {
    let x: f64 = Exp1.sample(rng);
    (x * MEAN_INCREMENT_US) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hold model pops in time order and keeps its size: each entry pushed is later than the
    /// one popped, so the earliest time never goes back.
    #[test]
    fn hold_pops_in_time_order_at_constant_size() {
        for pending in [0, 1, 7, 1000] {
            let mut hold = Hold::new(pending);
            let mut last = 0;
            for _ in 0..10_000 {
                let t = hold.step();
                assert!(t >= last, "popped {t} after {last}");
                last = t;
                assert_eq!(hold.heap.len(), pending.max(1));
            }
        }
    }
}

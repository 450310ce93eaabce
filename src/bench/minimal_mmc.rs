//! The floor of an M/M/c simulation: a hand-written event loop holding nothing the model does not
//! need (a count of busy servers, a FIFO of waiting customers' arrival times, the departures in a
//! `BinaryHeap<Reverse<(u64, u64)>>`, the next arrival outside the heap) and two exponential draws
//! per customer. No scheduler, resource vector, task record, failover or metrics beyond the mean
//! wait. It is close to the least work an M/M/c simulation with a binary-heap event list does per
//! customer, so the engine's events/s over this loop's says how much the generality of simctl
//! costs, and this loop's over the bare heap's ([`super::bare_heap`]) says how much of the
//! heap-only speed even a minimal simulation keeps.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand_distr::{Distribution, Exp1};

use crate::compare::stats::Estimate;
use crate::rng::stream;

/// What a minimal run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MmcOutcome {
    /// Arrivals plus departures: two per customer, the count simctl reports for the same run.
    pub events: u64,
    /// Mean time in queue, in seconds, over every customer in service-start order.
    pub mean_wait_s: f64,
    /// Standard error of `mean_wait_s` by 32 batch means (waits of consecutive customers are
    /// correlated, so the plain sample standard error would be too small).
    pub wait_se_s: f64,
}

/// Number of batches of the batch-means standard error.
const BATCHES: u64 = 32;

/// Simulates `customers` customers (at least 32, one per batch) of an M/M/`servers` queue with
/// arrival rate `rate` per second and mean service `mean_service_s` seconds, on a clock of whole
/// microseconds, from an empty system; the draws come from streams `minimal-arrivals` and
/// `minimal-service` of `seed`.
pub fn simulate(
    servers: u32,
    rate: f64,
    mean_service_s: f64,
    customers: u64,
    seed: u64,
) -> MmcOutcome {
    let customers = customers.max(BATCHES);
    let mut arrivals = stream(seed, "minimal-arrivals");
    let mut service = stream(seed, "minimal-service");
    let gap_us = 1e6 / rate;
    let service_us = 1e6 * mean_service_s;
    let draw = |rng: &mut _, mean_us: f64| {
        let x: f64 = Exp1.sample(rng);
        (x * mean_us).round() as u64
    };
    let mut departures: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::new();
    let mut waiting: VecDeque<u64> = VecDeque::new();
    let (mut busy, mut seq, mut arrived, mut started) = (0u32, 0u64, 0u64, 0u64);
    let mut next_arrival = draw(&mut arrivals, gap_us);
    let per_batch = customers / BATCHES;
    let mut batch_sums = [0u64; BATCHES as usize];
    let mut total_wait_us = 0u64;
    let mut events = 0u64;
    let mut begin = |now: u64, wait: u64, departures: &mut BinaryHeap<_>| {
        let batch = (started / per_batch).min(BATCHES - 1) as usize;
        batch_sums[batch] += wait;
        total_wait_us += wait;
        started += 1;
        departures.push(Reverse((now + draw(&mut service, service_us), seq)));
        seq += 1;
    };
    loop {
        let arrival_due = arrived < customers
            && departures
                .peek()
                .is_none_or(|Reverse((t, _))| next_arrival <= *t);
        if arrival_due {
            let now = next_arrival;
            arrived += 1;
            next_arrival = now + draw(&mut arrivals, gap_us);
            if busy < servers {
                busy += 1;
                begin(now, 0, &mut departures);
            } else {
                waiting.push_back(now);
            }
        } else if let Some(Reverse((now, _))) = departures.pop() {
            match waiting.pop_front() {
                Some(came) => begin(now, now - came, &mut departures),
                None => busy -= 1,
            }
        } else {
            break;
        }
        events += 1;
    }
    let mean_wait_s = total_wait_us as f64 / customers as f64 / 1e6;
    // The last batch also holds the remainder; weigh every batch by its own size.
    let means: Vec<f64> = batch_sums
        .iter()
        .enumerate()
        .map(|(b, &sum)| {
            let size = if b as u64 == BATCHES - 1 {
                customers - per_batch * (BATCHES - 1)
            } else {
                per_batch
            };
            sum as f64 / size as f64 / 1e6
        })
        .collect();
    let spread = Estimate::of(&means)
        .std_dev
        .expect("32 finite batch means have a standard deviation");
    MmcOutcome {
        events,
        mean_wait_s,
        wait_se_s: spread / (BATCHES as f64).sqrt(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Erlang C by the Erlang B recursion (B(k) = a B(k-1) / (k + a B(k-1))).
    fn probability_of_waiting(servers: u32, offered: f64) -> f64 {
        let b = (1..=servers).fold(1.0, |b, k| offered * b / (k as f64 + offered * b));
        let rho = offered / servers as f64;
        b / (1.0 - rho * (1.0 - b))
    }

    #[test]
    fn mean_wait_matches_erlang_c() {
        // M/M/100 at utilisation 0.9: Wq = C(100, 90) / (100 - 90) seconds.
        let expected = probability_of_waiting(100, 90.0) / 10.0;
        let out = simulate(100, 90.0, 1.0, 400_000, 7);
        assert_eq!(out.events, 800_000);
        assert!(
            out.wait_se_s < 0.1 * expected,
            "standard error {} too large for a check against {expected}",
            out.wait_se_s
        );
        assert!(
            (out.mean_wait_s - expected).abs() < 4.0 * out.wait_se_s,
            "mean wait {} s, Erlang C {expected} s, standard error {}",
            out.mean_wait_s,
            out.wait_se_s
        );
    }

    #[test]
    fn a_lone_server_with_no_overlap_never_queues() {
        // Arrivals a day apart, services of a microsecond: no one ever waits.
        let out = simulate(1, 1.0 / 86_400.0, 1e-6, 100, 1);
        assert_eq!(out.mean_wait_s, 0.0);
        assert_eq!(out.events, 200);
    }
}

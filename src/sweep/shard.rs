//! Splitting a sweep's runs over N machines (`run --shard K/N`) so that the slowest shard finishes
//! close to the mean: each run's cost is estimated from the scenario alone
//! ([`crate::config::cost::run_cost`]) and the runs are dealt out longest first, each to the shard
//! with the least estimated work so far (LPT, Graham 1969). Ties are broken by run index and by
//! shard number, so every shard computes the same assignment from the scenario file and seed, with
//! no coordination; when all runs cost the same the result is the round-robin deal run `i` -> shard
//! `i mod N + 1`.
//!
//! LPT's makespan is at most (4/3 - 1/(3N)) times the best possible one (for the estimated costs).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::config::cost::run_cost;
use crate::config::ScenarioFile;
use crate::sweep::RunSpec;

/// One share of a run list (`--shard K/N`), chosen by [`assign`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 1.
    pub k: usize,
    /// Number of shards.
    pub n: usize,
}

impl Shard {
    /// Parses "K/N" with 1 <= K <= N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let err = || format!("expected --shard K/N with 1 <= K <= N, got \"{text}\"");
        let (k, n) = text.split_once('/').ok_or_else(err)?;
        let (k, n): (usize, usize) = (
            k.trim().parse().map_err(|_| err())?,
            n.trim().parse().map_err(|_| err())?,
        );
        if k == 0 || n == 0 || k > n {
            return Err(err());
        }
        Ok(Shard { k, n })
    }

    /// The runs of `runs` (a whole plan of `file`) that belong to this shard, in run order.
    pub fn select(&self, file: &ScenarioFile, runs: &[RunSpec]) -> Vec<RunSpec> {
        let owner = assign(&costs(file, runs), self.n);
        runs.iter()
            .filter(|r| owner[r.index] == self.k - 1)
            .copied()
            .collect()
    }
}

/// Estimated cost of each run of a plan, indexed like it.
pub fn costs(file: &ScenarioFile, runs: &[RunSpec]) -> Vec<u64> {
    runs.iter()
        .map(|r| {
            let s = &file.points[r.point].scenario;
            run_cost(s, &s.schedulers[r.scheduler])
        })
        .collect()
}

/// The shard (0-based) of each run given their costs: longest processing time first, ties by
/// lower run index; each run goes to the shard with the least cost so far, ties to the lower shard.
pub fn assign(costs: &[u64], n: usize) -> Vec<usize> {
    assert!(n > 0, "at least one shard");
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by_key(|&i| (Reverse(costs[i]), i));
    let mut loads: BinaryHeap<Reverse<(u128, usize)>> = (0..n).map(|s| Reverse((0, s))).collect();
    let mut owner = vec![0; costs.len()];
    for i in order {
        let Reverse((load, s)) = loads.pop().expect("n > 0 shards");
        owner[i] = s;
        loads.push(Reverse((load + u128::from(costs[i]), s)));
    }
    owner
}

/// The round-robin deal of `--shard` before cost balancing (run `i` -> shard `i mod n`), for
/// comparison in reports.
pub fn assign_by_count(runs: usize, n: usize) -> Vec<usize> {
    (0..runs).map(|i| i % n).collect()
}

/// Per-shard totals of an assignment: `loads[s]` = sum of the costs of the runs of shard `s`.
pub fn loads(costs: &[u64], owner: &[usize], n: usize) -> Vec<u128> {
    let mut loads = vec![0u128; n];
    for (c, s) in costs.iter().zip(owner) {
        loads[*s] += u128::from(*c);
    }
    loads
}

/// Imbalance of per-shard loads: the largest over the mean (1 = perfectly even).
pub fn imbalance(loads: &[f64]) -> f64 {
    let mean = loads.iter().sum::<f64>() / loads.len() as f64;
    let max = loads.iter().copied().fold(0.0, f64::max);
    if mean > 0.0 {
        max / mean
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_k_of_n_only() {
        assert_eq!(Shard::parse("2/3"), Ok(Shard { k: 2, n: 3 }));
        for bad in ["0/3", "4/3", "x", "1/0", "1/"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    /// A small deterministic generator for test instances (xorshift64).
    fn instances() -> impl Iterator<Item = (Vec<u64>, usize)> {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        (0..300).map(move |_| {
            let runs = 1 + (next() % 8) as usize;
            let n = 1 + (next() % 4) as usize;
            let costs = (0..runs).map(|_| 1 + next() % 20).collect();
            (costs, n)
        })
    }

    #[test]
    fn every_run_goes_to_exactly_one_shard_and_the_assignment_is_deterministic() {
        for (costs, n) in instances() {
            let owner = assign(&costs, n);
            assert_eq!(owner.len(), costs.len());
            assert!(owner.iter().all(|s| *s < n));
            // Computed again (as every shard does on its own machine): the same.
            assert_eq!(assign(&costs, n), owner);
            // The loads add up to the total: nothing lost or counted twice.
            let total: u128 = costs.iter().map(|c| u128::from(*c)).sum();
            assert_eq!(loads(&costs, &owner, n).iter().sum::<u128>(), total);
        }
    }

    #[test]
    fn shards_select_disjoint_runs_covering_the_plan() {
        let file = crate::config::parse(
            "[scenario]\nname = \"p\"\nhorizon = \"100s\"\nreplications = 3\n[[cluster.nodes]]\ncount = 4\ncpu = 1\nmemory = \"1GiB\"\n\
             [workload]\narrival = { process = \"poisson\", rate = 1 }\nduration = \"1s\"\n\
             [[scheduler]]\nname = \"ff\"\nplacement = \"first-fit\"\n\
             [[scheduler]]\nname = \"mm\"\nplacement = \"min-min\"\n\
             [sweep]\n\"workload.arrival.rate\" = [0.5, 1.0]\n",
            std::path::Path::new("p.toml"),
        )
        .unwrap();
        let runs = crate::sweep::plan(&file, None);
        let mut seen = vec![0; runs.len()];
        for k in 1..=5 {
            for r in (Shard { k, n: 5 }).select(&file, &runs) {
                seen[r.index] += 1;
            }
        }
        assert_eq!(seen, vec![1; runs.len()]);
    }

    #[test]
    fn equal_costs_deal_round_robin() {
        assert_eq!(assign(&[5; 7], 3), assign_by_count(7, 3));
        assert_eq!(assign(&[5; 7], 3), vec![0, 1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn lpt_on_graham_s_two_machine_example() {
        // Costs 3, 3, 2, 2, 2 on 2 shards, by hand: the 3s go to shards 0 and 1 (tie: lower shard
        // first), the first 2 to shard 0 (loads 3, 3: lower shard), the second to shard 1 (5 > 3),
        // the third to shard 0 (5 = 5: lower shard). Loads 7 and 5, makespan 7, while {3, 3} and
        // {2, 2, 2} give 6: the ratio 7/6 is exactly Graham's bound 4/3 - 1/(3 x 2).
        let owner = assign(&[3, 3, 2, 2, 2], 2);
        assert_eq!(owner, vec![0, 1, 0, 1, 0]);
        assert_eq!(loads(&[3, 3, 2, 2, 2], &owner, 2), vec![7, 5]);
        // Heaviest first whatever the order of the list: a run's index only breaks ties.
        assert_eq!(assign(&[2, 2, 2, 3, 3], 2), vec![0, 1, 0, 0, 1]);
    }

    /// The best makespan, by trying every assignment (instances are small).
    fn optimum(costs: &[u64], n: usize) -> u128 {
        let mut best = u128::MAX;
        let total = n.pow(costs.len() as u32);
        for mut code in 0..total {
            let mut l = vec![0u128; n];
            for c in costs {
                l[code % n] += u128::from(*c);
                code /= n;
            }
            best = best.min(*l.iter().max().unwrap());
        }
        best
    }

    #[test]
    fn lpt_stays_within_grahams_bound_of_the_optimum() {
        for (costs, n) in instances() {
            let owner = assign(&costs, n);
            let makespan = *loads(&costs, &owner, n).iter().max().unwrap();
            let opt = optimum(&costs, n);
            // makespan <= (4/3 - 1/(3n)) opt, in integers: 3 n makespan <= (4 n - 1) opt.
            assert!(
                3 * n as u128 * makespan <= (4 * n as u128 - 1) * opt,
                "{costs:?} on {n}: LPT {makespan}, optimum {opt}"
            );
        }
    }

    #[test]
    fn imbalance_is_max_over_mean() {
        assert_eq!(imbalance(&[1.0, 1.0, 1.0]), 1.0);
        assert_eq!(imbalance(&[3.0, 1.0]), 1.5);
        assert_eq!(imbalance(&[0.0, 0.0]), 1.0);
    }
}

//! Which configurations are compared against each other.
//!
//! A swept key either changes *the strategy under test* or *the conditions it is tested under*:
//! - strategy keys configure the scheduler, the failover policy or the power policy: paths starting
//!   with `scheduler` (`scheduler.d`, `scheduler[1].d`) or `failover` (`failover.policy`,
//!   `failover.max_attempts`), and the `[power]` policy's keys (`power.off_after`, `power.boot`,
//!   `power.min_on`; not `power.carbon`, the grid's intensity, a condition);
//! - condition keys are everything else: the workload (`workload.arrival.rate`), the cluster
//!   (`cluster.nodes[0].count`), the faults, the scenario.
//!
//! Configurations are compared only under equal conditions: one **group** per combination of
//! condition values, and within a group every (scheduler, strategy values) pair is a contender.
//! Without a sweep that is "the schedulers against each other"; with `failover.policy` swept it is
//! every (scheduler, policy) pair against every other, so one scheduler's policies are ranked
//! against each other; with an arrival-rate sweep it is the schedulers at each rate.

use super::summary::SweepPoint;

/// Whether swept key `key` configures the strategy under test (see the module docs).
pub fn is_strategy_key(key: &str) -> bool {
    let head = key.split(['.', '[']).next().unwrap_or("");
    head == "scheduler"
        || head == "failover"
        || (head == "power" && key.starts_with("power.") && key != "power.carbon")
}

/// A set of configurations compared against each other: equal condition values.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Position in [`super::Comparison::groups`].
    pub id: usize,
    /// The condition keys' values shared by the group, as (key, value), in column order.
    pub conditions: Vec<(String, String)>,
    /// The sweep points of the group, ascending.
    pub sweep_points: Vec<u64>,
}

impl Group {
    /// `key=value, key=value` of the conditions; empty when nothing but strategies was swept.
    pub fn label(&self) -> String {
        self.conditions
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Splits the sweep points into groups of equal condition values, in order of first appearance.
pub fn groups(keys: &[String], points: &[SweepPoint]) -> Vec<Group> {
    let conditions: Vec<usize> = (0..keys.len())
        .filter(|&k| !is_strategy_key(&keys[k]))
        .collect();
    let mut out: Vec<Group> = Vec::new();
    for p in points {
        let values: Vec<(String, String)> = conditions
            .iter()
            .map(|&k| (keys[k].clone(), p.values[k].clone()))
            .collect();
        match out.iter_mut().find(|g| g.conditions == values) {
            Some(g) => g.sweep_points.push(p.id),
            None => out.push(Group {
                id: out.len(),
                conditions: values,
                sweep_points: vec![p.id],
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategy_keys_are_the_scheduler_and_failover_ones() {
        for k in [
            "failover.policy",
            "failover.max_attempts",
            "scheduler.d",
            "scheduler[1].d",
            "power.off_after",
            "power.boot",
        ] {
            assert!(is_strategy_key(k), "{k}");
        }
        for k in [
            "workload.arrival.rate",
            "cluster.nodes[0].count",
            "faults.node_mtbf",
            "scenario.horizon",
            "schedulers",
            "failovers.x",
            "power.carbon",
        ] {
            assert!(!is_strategy_key(k), "{k}");
        }
    }

    #[test]
    fn points_with_equal_conditions_share_a_group() {
        // rate x policy, rate slowest: points 0,1 at rate 1 and 2,3 at rate 2.
        let keys = vec![
            "workload.arrival.rate".to_string(),
            "failover.policy".to_string(),
        ];
        let point = |id: u64, rate: &str, policy: &str| SweepPoint {
            id,
            values: vec![rate.to_string(), policy.to_string()],
        };
        let points = [
            point(0, "1", "retry"),
            point(1, "1", "checkpoint"),
            point(2, "2", "retry"),
            point(3, "2", "checkpoint"),
        ];
        let g = groups(&keys, &points);
        assert_eq!(g.len(), 2);
        assert_eq!(
            (g[0].sweep_points.clone(), g[0].label()),
            (vec![0, 1], "workload.arrival.rate=1".to_string())
        );
        assert_eq!(g[1].sweep_points, vec![2, 3]);
        // Only a strategy swept: one group of everything, with no condition to show.
        let g = groups(
            &keys[1..],
            &[
                SweepPoint {
                    id: 0,
                    values: vec!["a".into()],
                },
                SweepPoint {
                    id: 1,
                    values: vec!["b".into()],
                },
            ],
        );
        assert_eq!(
            (g.len(), g[0].sweep_points.clone(), g[0].label()),
            (1, vec![0, 1], String::new())
        );
    }
}

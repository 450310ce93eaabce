//! What a real run will do, decided before it starts: every task of the workload (a real run must
//! be small, so it is generated up front and refused when too large) and the node crashes and
//! repairs, drawn from the same random streams as the simulator's, so a real run meets the same
//! arrivals and crashes as its simulated twin.

use crate::cluster::Cluster;
use crate::config::Scenario;
use crate::faults::FailureProcess;
use crate::ids::NodeId;
use crate::sweep::open_workload;
use crate::time::SimTime;
use crate::workload::TaskSpec;

/// The most tasks a real run accepts (each is a container).
pub const MAX_TASKS: usize = 2_000;

/// A node going down or coming back up, at a scenario time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct NodeChange {
    /// When.
    pub at: SimTime,
    /// Which node.
    pub node: NodeId,
    /// Up (repaired) or down (crashed).
    pub up: bool,
}

/// The workload and faults of one real run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Every task, by arrival.
    pub tasks: Vec<TaskSpec>,
    /// Node crashes and repairs, by time (a node is down while any crash holds it).
    pub node_changes: Vec<NodeChange>,
}

/// Builds the plan of a run of `scenario` with seed `seed`, or says why it cannot run for real.
pub fn plan(scenario: &Scenario, cluster: &Cluster, seed: u64) -> Result<Plan, String> {
    let f = &scenario.faults;
    if f.domain_ttf.is_some() {
        return Err("faults.domain_mtbf: random domain failures are not supported by `simctl docker run` (list the crashes in faults.crashes instead)".into());
    }
    if !scenario.node_events.is_empty() {
        return Err("the trace's node events are not supported by `simctl docker run`".into());
    }
    let end = scenario.horizon.map(|h| SimTime::ZERO + h);
    let (mut workload, _) = open_workload(scenario, seed).map_err(|e| e.to_string())?;
    let mut tasks = Vec::new();
    while let Some(t) = workload.next_task().map_err(|e| e.to_string())? {
        if end.is_some_and(|e| t.arrival > e) {
            break;
        }
        if tasks.len() == MAX_TASKS {
            return Err(format!(
                "the workload has more than {MAX_TASKS} tasks: `simctl docker run` starts a container per task; set workload.max_tasks or a shorter scenario.horizon"
            ));
        }
        tasks.push(t);
    }
    if end.is_none() && tasks.is_empty() {
        return Err("the workload has no task".into());
    }
    let mut changes = Vec::new();
    for c in &f.crashes {
        for node in c.target.nodes(cluster) {
            changes.push(NodeChange {
                at: c.at,
                node,
                up: false,
            });
            if let Some(r) = c.repair {
                changes.push(NodeChange {
                    at: c.at + r,
                    node,
                    up: true,
                });
            }
        }
    }
    if let (Some(ttf), Some(ttr)) = (&f.node_ttf, &f.node_ttr) {
        let last = end
            .or_else(|| tasks.last().map(|t| t.arrival))
            .unwrap_or(SimTime::ZERO);
        for n in cluster.nodes() {
            let mut p = FailureProcess::new(
                ttf,
                ttr,
                f.permanent_fraction,
                seed,
                &format!("node-{}", n.id.0),
            );
            let mut t = SimTime::ZERO + p.time_to_failure();
            while t <= last {
                changes.push(NodeChange {
                    at: t,
                    node: n.id,
                    up: false,
                });
                let Some(r) = p.time_to_repair() else { break };
                t += r;
                changes.push(NodeChange {
                    at: t,
                    node: n.id,
                    up: true,
                });
                t += p.time_to_failure();
            }
        }
    }
    changes.sort();
    Ok(Plan {
        tasks,
        node_changes: changes,
    })
}

//! What the manager shows of itself: `GET /nodes`, `GET /health` and `GET /metrics`.

use std::collections::BTreeMap;

use crate::ids::NodeId;
use crate::orchestrator::store::{rfc3339, TASK_STATES};
use crate::orchestrator::wire::Capacity;

use super::{Health, Manager, NodeStatus};

impl Manager {
    pub(super) fn nodes(&self) -> Vec<NodeStatus> {
        let cluster = self.cp.cluster();
        self.workers
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let n = cluster.node(NodeId(i as u32));
                NodeStatus {
                    name: w.name.clone(),
                    addr: w.addr.clone(),
                    state: if w.down {
                        "down"
                    } else if w.confirmed {
                        "up"
                    } else {
                        "unconfirmed"
                    }
                    .into(),
                    capacity: w.capacity,
                    allocated: Capacity {
                        cpu_millis: n.allocated.cpu_milli,
                        memory_bytes: n.allocated.memory,
                        disk_bytes: n.allocated.disk,
                    },
                    used: w.metrics,
                    running: self
                        .launches
                        .values()
                        .filter(|l| l.node.index() == i)
                        .count() as u32,
                    last_heartbeat: w.last_heartbeat_ms.map(rfc3339),
                }
            })
            .collect()
    }

    pub(super) fn health(&self) -> Health {
        Health {
            status: "ok".into(),
            uptime_s: self.t0.elapsed().as_secs_f64(),
            workers_up: self
                .workers
                .iter()
                .filter(|w| w.confirmed && !w.down)
                .count(),
            workers: self.workers.len(),
            live_tasks: self.tasks.len(),
            recovering: self.recovering.len(),
        }
    }

    pub(super) fn metrics_text(&self) -> Result<String, String> {
        use crate::monitor::exposition::{render, Family, Kind};
        let names: Vec<String> = self.workers.iter().map(|w| w.name.clone()).collect();
        let mut fams = crate::monitor::families(&self.cp, &names, None, self.inputs);
        let mut by_state = Family::new(
            "simctl_orchestrator_tasks",
            Kind::Gauge,
            "Tasks in the task store by state (ended ones included).",
        );
        let counts: BTreeMap<String, u64> = self.store.counts()?.into_iter().collect();
        for s in TASK_STATES {
            by_state = by_state.with(&[("state", s)], counts.get(s).copied().unwrap_or(0) as f64);
        }
        fams.push(by_state);
        let mut cpu = Family::new(
            "simctl_node_cpu_used_ratio",
            Kind::Gauge,
            "CPU busy fraction of the worker's machine, from /proc/stat.",
        );
        let mut mem = Family::new(
            "simctl_node_memory_available_bytes",
            Kind::Gauge,
            "MemAvailable of the worker's machine.",
        );
        let mut age = Family::new(
            "simctl_node_heartbeat_age_seconds",
            Kind::Gauge,
            "Seconds since the worker was last heard from.",
        );
        for w in &self.workers {
            let l = [("node", w.name.as_str())];
            if let Some(m) = &w.metrics {
                if let Some(c) = m.cpu_busy {
                    cpu = cpu.with(&l, c);
                }
                mem = mem.with(&l, m.memory_available_bytes as f64);
            }
            age = age.with(&l, w.last_seen.elapsed().as_secs_f64());
        }
        fams.extend([cpu, mem, age]);
        fams.push(
            Family::new(
                "simctl_manager_decide_seconds_total",
                Kind::Counter,
                "Wall seconds the manager spent in scheduling decisions.",
            )
            .with(&[], self.decide_seconds),
        );
        fams.push(
            Family::new(
                "simctl_manager_commit_seconds_total",
                Kind::Counter,
                "Wall seconds the manager spent committing the task store.",
            )
            .with(&[], self.commit_seconds),
        );
        fams.push(
            Family::new(
                "simctl_manager_transactions_total",
                Kind::Counter,
                "Store transactions (each groups the requests that arrived together).",
            )
            .with(&[], self.steps as f64),
        );
        Ok(render(&fams))
    }
}

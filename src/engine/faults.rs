//! The fault generators of a run: node crashes (random renewal processes, whole domains, listed
//! crashes, a trace's node events) and their repairs. A node is down while any cause holds it; the
//! control plane is told when a node goes down and when it comes back, and does the rest
//! (detection, failover).

use crate::cluster::Cluster;
use crate::faults::FailureProcess;
use crate::ids::NodeId;
use crate::time::SimTime;

use super::{Cause, Domain, EngineConfig, Event, NodeHealth, Simulation};

/// Per-node and per-domain fault state for a new run.
pub(super) fn build_health(
    config: &EngineConfig,
    cluster: &Cluster,
) -> (Vec<NodeHealth>, Vec<Domain>) {
    let f = &config.faults;
    let health = cluster
        .nodes()
        .iter()
        .map(|n| NodeHealth {
            down_causes: 0,
            process: match (&f.node_ttf, &f.node_ttr) {
                (Some(ttf), Some(ttr)) => Some(FailureProcess::new(
                    ttf,
                    ttr,
                    f.permanent_fraction,
                    config.seed,
                    &format!("node-{}", n.id.0),
                )),
                _ => None,
            },
            trace_down: false,
        })
        .collect();
    let mut names: Vec<String> = cluster.groups().iter().map(|g| g.domain.clone()).collect();
    names.sort();
    names.dedup();
    let domains = names
        .iter()
        .map(|d| {
            let nodes = cluster
                .nodes()
                .iter()
                .filter(|n| &cluster.groups()[n.group as usize].domain == d)
                .map(|n| n.id)
                .collect();
            let process = match (&f.domain_ttf, &f.domain_ttr) {
                (Some(ttf), Some(ttr)) => Some(FailureProcess::new(
                    ttf,
                    ttr,
                    0.0,
                    config.seed,
                    &format!("domain-{d}"),
                )),
                _ => None,
            };
            (nodes, process)
        })
        .collect();
    (health, domains)
}

impl Simulation<'_> {
    pub(super) fn schedule_initial_faults(&mut self) {
        for i in 0..self.health.len() {
            if let Some(p) = self.health[i].process.as_mut() {
                let at = SimTime::ZERO + p.time_to_failure();
                self.events.push(
                    at,
                    Event::NodeCrash {
                        node: NodeId(i as u32),
                        cause: Cause::Own,
                    },
                );
            }
        }
        for d in 0..self.domains.len() {
            if let Some(p) = self.domains[d].1.as_mut() {
                let at = SimTime::ZERO + p.time_to_failure();
                self.events
                    .push(at, Event::DomainCrash { domain: d as u32 });
            }
        }
        for (time, node, up) in self.node_events.clone() {
            if (node as usize) < self.health.len() {
                self.events.push(
                    time,
                    Event::TraceNode {
                        node: NodeId(node),
                        up,
                    },
                );
            }
        }
        let crashes = self.faults.crashes.clone();
        for (i, c) in crashes.iter().enumerate() {
            let cause = Cause::Listed { crash: i as u32 };
            for node in c.target.nodes(self.control.cluster()) {
                self.events.push(c.at, Event::NodeCrash { node, cause });
            }
        }
    }

    /// A trace's node event: a node leaving is a crash (noticed after the detection delay), a node
    /// joining is a repair.
    pub(super) fn on_trace_node(&mut self, node: NodeId, up: bool) {
        let down = self.health[node.index()].trace_down;
        if !up && !down {
            self.health[node.index()].trace_down = true;
            self.on_node_crash(node, Cause::Trace);
        } else if up && down {
            self.health[node.index()].trace_down = false;
            self.on_node_repair(node, Cause::Trace);
        }
    }

    /// A node crashes for `cause`. The first cause to hold it down tells the control plane; the
    /// cause's repair (if any) is scheduled first, so the event order is that of the crash.
    pub(super) fn on_node_crash(&mut self, node: NodeId, cause: Cause) {
        let h = &mut self.health[node.index()];
        h.down_causes += 1;
        match cause {
            Cause::Own => {
                if let Some(repair) = h.process.as_mut().and_then(FailureProcess::time_to_repair) {
                    self.events
                        .push(self.now + repair, Event::NodeRepair { node, cause });
                }
            }
            Cause::Listed { crash } => {
                if let Some(r) = self.faults.crashes[crash as usize].repair {
                    self.events
                        .push(self.now + r, Event::NodeRepair { node, cause });
                }
            }
            Cause::Domain | Cause::Trace => {}
        }
        if self.health[node.index()].down_causes == 1 {
            self.control.node_down(node);
            self.carry_out();
        }
    }

    /// A cause of a node's downtime is repaired; its own failure process draws the next crash. When
    /// no cause is left the node is up, and the control plane is told.
    pub(super) fn on_node_repair(&mut self, node: NodeId, cause: Cause) {
        let h = &mut self.health[node.index()];
        h.down_causes = h
            .down_causes
            .checked_sub(1)
            .expect("repaired a node that was not down");
        if cause == Cause::Own {
            if let Some(ttf) = h.process.as_mut().map(FailureProcess::time_to_failure) {
                self.events.push(
                    self.now + ttf,
                    Event::NodeCrash {
                        node,
                        cause: Cause::Own,
                    },
                );
            }
        }
        if self.health[node.index()].down_causes == 0 {
            self.control.node_up(node);
            self.carry_out();
        }
    }

    pub(super) fn on_domain_crash(&mut self, domain: u32) {
        let nodes = self.domains[domain as usize].0.clone();
        for node in nodes {
            self.on_node_crash(node, Cause::Domain);
        }
        if let Some(repair) = self.domains[domain as usize]
            .1
            .as_mut()
            .and_then(FailureProcess::time_to_repair)
        {
            self.events
                .push(self.now + repair, Event::DomainRepair { domain });
        }
    }

    pub(super) fn on_domain_repair(&mut self, domain: u32) {
        let nodes = self.domains[domain as usize].0.clone();
        for node in nodes {
            self.on_node_repair(node, Cause::Domain);
        }
        if let Some(ttf) = self.domains[domain as usize]
            .1
            .as_mut()
            .map(FailureProcess::time_to_failure)
        {
            self.events
                .push(self.now + ttf, Event::DomainCrash { domain });
        }
    }
}

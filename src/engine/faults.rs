//! Faults inside a run: node crashes (random, per domain, listed), detection after a heartbeat
//! timeout, repairs, task failures, and carrying out the failover policy's decisions.

use crate::cluster::Cluster;
use crate::failover::{Action, Position};
use crate::faults::{CrashTarget, FailureProcess};
use crate::ids::NodeId;
use crate::metrics::Outcome;
use crate::time::{SimDuration, SimTime};
use crate::workload::TaskKind;

use super::tasks::Phase;
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
            epoch: 0,
            detected: true,
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
            waiting_services: Vec::new(),
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
        for (time, node, up) in self.config.node_events.clone() {
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
        let crashes = self.config.faults.crashes.clone();
        for c in crashes {
            let cause = Cause::Listed { repair: c.repair };
            for node in self.crash_targets(&c.target) {
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

    fn crash_targets(&self, target: &CrashTarget) -> Vec<NodeId> {
        let groups = self.cluster.groups();
        self.cluster
            .nodes()
            .iter()
            .filter(|n| match target {
                CrashTarget::Node(i) => n.id.0 == *i,
                CrashTarget::Group(g) => &groups[n.group as usize].name == g,
                CrashTarget::Domain(d) => &groups[n.group as usize].domain == d,
            })
            .map(|n| n.id)
            .collect()
    }

    /// A node dies: its attempts stop making progress at once; the scheduler learns of it only after
    /// the detection delay (and may keep placing work there until then).
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
            Cause::Listed { repair: Some(r) } => self
                .events
                .push(self.now + r, Event::NodeRepair { node, cause }),
            Cause::Listed { repair: None } | Cause::Domain | Cause::Trace => {}
        }
        let h = &mut self.health[node.index()];
        if h.down_causes > 1 {
            return; // already down
        }
        h.epoch += 1;
        h.detected = false;
        let epoch = h.epoch;
        self.metrics.on_node_failure(self.now);
        let on_node: Vec<u32> = self
            .running
            .iter()
            .filter(|r| r.node == node)
            .map(|r| r.handle)
            .collect();
        for handle in on_node {
            self.stall(handle);
        }
        self.events.push(
            self.now + self.config.faults.detection,
            Event::NodeDetect { node, epoch },
        );
    }

    fn stall(&mut self, handle: u32) {
        let now = self.now;
        let rec = self.tasks.get_mut(handle);
        if let Phase::Running {
            stalled_at: s @ None,
            ..
        } = &mut rec.phase
        {
            *s = Some(now);
            let (kind, job) = (rec.spec.kind, rec.spec.job.0);
            self.tasks.bump_generation(handle); // cancels its Finish and TaskFail events
            if kind == TaskKind::Service {
                self.services.replica_down(job, now);
            }
        }
    }

    pub(super) fn on_node_detect(&mut self, node: NodeId, epoch: u32) {
        let h = &self.health[node.index()];
        if h.epoch == epoch && !h.detected && h.down_causes > 0 {
            self.detect(node);
        }
    }

    /// The scheduler learns that `node` is dead: it stops placing work there, and every attempt on it
    /// (including those placed since the crash) is failed over.
    fn detect(&mut self, node: NodeId) {
        self.health[node.index()].detected = true;
        self.cluster.set_schedulable(node, false);
        let on_node: Vec<u32> = self
            .running
            .iter()
            .filter(|r| r.node == node)
            .map(|r| r.handle)
            .collect();
        for handle in on_node {
            let crash_time = match self.tasks.get(handle).phase {
                Phase::Running { stalled_at, .. } => stalled_at.unwrap_or(self.now),
                _ => self.now,
            };
            let (_, start, computed) = self.stop_running(handle, Outcome::Interrupted);
            self.attempt_died(handle, node, start, computed, crash_time, SimDuration::ZERO);
        }
        // Tasks waiting in the dead node's local queue go back to the scheduler, attempts unchanged.
        let queued: Vec<u32> = self.local_queues[node.index()].drain(..).collect();
        self.cluster.set_queued(node, 0);
        for handle in queued.into_iter().rev() {
            self.enqueue(handle, Position::Head);
        }
    }

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
        if self.health[node.index()].down_causes > 0 {
            return;
        }
        if !self.health[node.index()].detected {
            self.detect(node); // a rebooted node reports its lost work when it registers again
        }
        self.cluster.set_schedulable(node, true);
        self.capacity_freed = true;
        let waiting = std::mem::take(&mut self.health[node.index()].waiting_services);
        for handle in waiting {
            self.restart_pinned(handle, node);
        }
        if self.config.mode == crate::sched::DispatchMode::Immediate {
            self.drain_local_queue(node);
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

    /// A task's attempt failed on its own: its resources are freed now; the failover policy acts
    /// after the health-check interval.
    pub(super) fn on_task_fail(&mut self, handle: u32) {
        let (node, start, computed) = self.stop_running(handle, Outcome::Interrupted);
        self.after_release(node);
        let delay = self.config.faults.health_check;
        self.attempt_died(handle, node, start, computed, self.now, delay);
    }

    /// Bookkeeping for a dead attempt; then the failover decision, now or after `notice`.
    fn attempt_died(
        &mut self,
        handle: u32,
        node: NodeId,
        started: SimTime,
        computed: SimDuration,
        failed_at: SimTime,
        notice: SimDuration,
    ) {
        let speed = self.cluster.node(node).speed;
        let rec = self.tasks.get_mut(handle);
        rec.failed_at = Some(failed_at);
        rec.last_node = Some(node);
        let (kind, cpu) = (rec.spec.kind, rec.spec.demand.cpu_cores());
        // Work secured by checkpoints survives; the rest of the attempt's compute is thrown away
        // (checkpoint writing is overhead, not waste).
        let secured = self.config.failover.policy.secured(kind, computed, speed);
        rec.saved = rec.saved + secured.work;
        if kind == TaskKind::Batch {
            self.metrics
                .on_waste(cpu, started + secured.wall, started + computed);
        }
        let Some(task) = self.member_gone(handle) else {
            return; // another replica of the task carries on
        };
        if notice.0 == 0 {
            self.apply_failover(task);
        } else {
            let generation = self.tasks.generation(task);
            self.events.push(
                self.now + notice,
                Event::Failover {
                    handle: task,
                    generation,
                },
            );
        }
    }

    /// A member of a task (the task itself, or one of its replica copies) stopped running for good.
    /// Replicas: that matters only when no member of the task is left running. Returns the handle
    /// that stands for the task when none is (the primary, now idle), or `None` when another member
    /// carries on (a copy's record is freed; a primary whose copies run is marked dead).
    pub(super) fn member_gone(&mut self, handle: u32) -> Option<u32> {
        let rec = self.tasks.get_mut(handle);
        rec.phase = Phase::Idle;
        match (rec.copy_of, rec.copies.is_empty()) {
            (Some(p), _) => {
                self.tasks.remove(handle);
                let primary = self.tasks.get_mut(p);
                primary.copies.retain(|&c| c != handle);
                if !primary.copies.is_empty() || primary.phase != Phase::Dead {
                    return None;
                }
                primary.phase = Phase::Idle;
                Some(p)
            }
            (None, false) => {
                rec.phase = Phase::Dead;
                None
            }
            (None, true) => Some(handle),
        }
    }

    /// Carries out the failover policy for a task whose last attempt died.
    pub(super) fn apply_failover(&mut self, handle: u32) {
        let rec = self.tasks.get(handle);
        let (kind, attempt, saved) = (rec.spec.kind, rec.attempt, rec.saved);
        let node = rec.last_node;
        if kind == TaskKind::Service && self.config.failover.pin_services {
            if let Some(node) = node {
                self.tasks.get_mut(handle).attempt += 1;
                self.metrics.on_restart(self.now);
                if self.health[node.index()].down_causes == 0 {
                    self.restart_pinned(handle, node);
                } else {
                    self.tasks.get_mut(handle).phase = Phase::WaitingForNode(node);
                    self.health[node.index()].waiting_services.push(handle);
                }
                return;
            }
        }
        match self
            .config
            .failover
            .policy
            .on_failure(attempt, SimDuration::ZERO, 1.0, saved)
        {
            Action::Lose => {
                self.metrics.lost += 1;
                self.fail_for_good(handle)
            }
            Action::Requeue {
                delay,
                position,
                saved,
            } => {
                let rec = self.tasks.get_mut(handle);
                rec.attempt += 1;
                rec.saved = saved;
                self.metrics.on_restart(self.now);
                if delay.0 == 0 {
                    self.enqueue(handle, position);
                } else {
                    let generation = self.tasks.generation(handle);
                    let head = position == Position::Head;
                    self.events.push(
                        self.now + delay,
                        Event::Requeue {
                            handle,
                            generation,
                            head,
                        },
                    );
                }
            }
        }
    }

    /// A pinned service replica restarts on its own node (back to the queue if it no longer fits).
    fn restart_pinned(&mut self, handle: u32, node: NodeId) {
        let demand = self.tasks.get(handle).spec.demand;
        if self.cluster.allocate(node, &demand).is_ok() {
            self.start(handle, node);
        } else {
            self.enqueue(handle, Position::Head);
        }
    }
}

//! The manager's side of the worker protocol: registrations, heartbeats, launch reports, silent
//! workers declared down, and launches recovered from the store adopted or given up.

use std::time::Instant;

use crate::cluster::NodeGroup;
use crate::control::Exit;
use crate::ids::NodeId;
use crate::orchestrator::wire::{
    Capacity, Heartbeat, HeartbeatReply, LaunchReport, LaunchState, Register, Registered,
};
use crate::resources::Resources;

use super::{task_spec, unix_ms, ApiError, LiveLaunch, Manager, Worker};

impl Manager {
    pub(super) fn register(
        &mut self,
        reg: Register,
    ) -> Result<Result<Registered, ApiError>, String> {
        if !crate::orchestrator::request::is_token(&reg.name) {
            return Ok(Err(ApiError {
                status: 400,
                message: "a worker name is 1 to 64 letters, digits, '.', '_' or '-'".into(),
                field: Some("name".into()),
            }));
        }
        let node = match self.by_name.get(&reg.name) {
            Some(&n) => {
                let w = &mut self.workers[n.index()];
                if w.capacity != reg.capacity {
                    return Ok(Err(ApiError {
                        status: 409,
                        message: format!(
                            "worker \"{}\" registered before with another capacity; give it a new name",
                            reg.name
                        ),
                        field: Some("capacity".into()),
                    }));
                }
                w.addr = reg.addr.clone();
                n
            }
            None => {
                if reg.capacity.cpu_millis == 0 || reg.capacity.memory_bytes == 0 {
                    return Ok(Err(ApiError {
                        status: 400,
                        message: "a worker needs some CPU and memory".into(),
                        field: Some("capacity".into()),
                    }));
                }
                self.add_worker(&reg.name, &reg.addr, reg.capacity, true)?
            }
        };
        self.store
            .upsert_worker(&reg.name, &reg.addr, &reg.capacity, unix_ms())?;
        self.seen(node);
        eprintln!(
            "simctl serve: worker {} registered ({})",
            reg.name, reg.addr
        );
        let mut stop = Vec::new();
        let mut reported = std::collections::HashSet::new();
        for r in &reg.launches {
            reported.insert(r.launch);
            if !self.claim(node, r.launch)? {
                stop.push(r.launch);
                continue;
            }
            self.report(node, r)?;
        }
        // Launches recovered from the store that the worker did not list may still have exit
        // reports waiting in its outbox: they stay until those arrive or the recovery deadline
        // passes (then the task is queued again).
        let mine: Vec<u64> = self
            .launches
            .iter()
            .filter(|(l, x)| x.node == node && x.confirmed && !reported.contains(l))
            .map(|(l, _)| *l)
            .collect();
        for l in mine {
            self.launch_ended(
                l,
                Exit::Failed,
                "lost",
                None,
                "its worker restarted without it",
            )?;
        }
        Ok(Ok(Registered {
            heartbeat_ms: self.config.heartbeat.as_millis() as u64,
            stop,
        }))
    }

    /// Whether `launch`, reported by the worker of `node`, is one the manager counts as that
    /// worker's (adopting it if it was recovered from the store).
    pub(super) fn claim(&mut self, node: NodeId, launch: u64) -> Result<bool, String> {
        if let Some(l) = self.launches.get(&launch) {
            return Ok(l.node == node);
        }
        let Some(r) = self.recovering.remove(&launch) else {
            return Ok(false);
        };
        if r.node != node {
            return Ok(false);
        }
        let Some(t) = self.tasks.get_mut(&r.seq) else {
            return Ok(false);
        };
        let spec = task_spec(r.seq, &t.def, self.cp.now());
        match self.cp.adopt(spec, node, r.number) {
            Ok(attempt) => {
                t.handle = Some(attempt.handle);
                self.launches.insert(
                    launch,
                    LiveLaunch {
                        seq: r.seq,
                        attempt,
                        node,
                        number: r.number,
                        confirmed: true,
                        misses: 0,
                    },
                );
                self.by_attempt.insert(attempt, launch);
                let id = t.id.clone();
                self.store.set_state(
                    &id,
                    "running",
                    Some(&self.workers[node.index()].name),
                    Some(r.number),
                    Some(&format!("launch {launch} adopted by a restarted manager")),
                    unix_ms(),
                )?;
                Ok(true)
            }
            Err(e) => {
                self.recovering.insert(launch, r);
                self.recovery_lost(launch, &format!("cannot adopt: {e}"))?;
                Ok(false)
            }
        }
    }

    /// A launch recovered from the store will not be reported: its task is queued again.
    pub(super) fn recovery_lost(&mut self, launch: u64, why: &str) -> Result<(), String> {
        let Some(r) = self.recovering.remove(&launch) else {
            return Ok(());
        };
        self.store
            .set_launch(launch, "lost", None, true, unix_ms())?;
        if let Some(t) = self.tasks.get(&r.seq) {
            let id = t.id.clone();
            self.store.set_state(
                &id,
                "pending",
                None,
                None,
                Some(&format!("launch {launch} lost ({why}); queued again")),
                unix_ms(),
            )?;
            self.submit_seq(r.seq);
        }
        Ok(())
    }

    pub(super) fn add_worker(
        &mut self,
        name: &str,
        addr: &str,
        capacity: Capacity,
        confirmed: bool,
    ) -> Result<NodeId, String> {
        let group = NodeGroup {
            name: name.to_string(),
            count: 1,
            capacity: Resources {
                cpu_milli: capacity.cpu_millis,
                memory: capacity.memory_bytes,
                disk: capacity.disk_bytes,
                ..Resources::ZERO
            },
            speed: 1.0,
            domain: name.to_string(),
            start_delay: None,
            power: None,
            gpu_model: None,
        };
        let node = self.cp.add_node(group).map_err(|e| e.to_string())?;
        self.workers.push(Worker {
            name: name.to_string(),
            addr: addr.to_string(),
            capacity,
            confirmed,
            down: false,
            last_seen: Instant::now(),
            last_heartbeat_ms: None,
            metrics: None,
        });
        self.by_name.insert(name.to_string(), node);
        // Tasks that waited for a node large enough.
        let waiting = std::mem::take(&mut self.too_big);
        for seq in waiting {
            if self.tasks.contains_key(&seq) {
                self.submit_seq(seq);
            }
        }
        Ok(node)
    }

    /// The worker of `node` was heard from.
    pub(super) fn seen(&mut self, node: NodeId) {
        let w = &mut self.workers[node.index()];
        w.last_seen = Instant::now();
        w.confirmed = true;
        if w.down {
            w.down = false;
            eprintln!("simctl serve: worker {} is back", w.name);
            self.cp.node_up(node);
        }
    }

    /// The node of worker `name`, heard from now; 404 for a worker that must register (again)
    /// first. A worker known only from the store (the manager restarted) must register to report
    /// its launches; until then it keeps its heartbeats' and reports' contents, so an exit seen
    /// while the manager was down is not lost.
    fn registered(&mut self, name: &str) -> Result<NodeId, ApiError> {
        let Some(&node) = self.by_name.get(name) else {
            return Err(ApiError::new(
                404,
                format!("unknown worker \"{name}\"; register first"),
            ));
        };
        if !self.workers[node.index()].confirmed {
            return Err(ApiError::new(
                404,
                format!("worker \"{name}\" must register again"),
            ));
        }
        self.seen(node);
        Ok(node)
    }

    pub(super) fn heartbeat(
        &mut self,
        name: &str,
        hb: Heartbeat,
    ) -> Result<Result<HeartbeatReply, ApiError>, String> {
        let node = match self.registered(name) {
            Ok(n) => n,
            Err(e) => return Ok(Err(e)),
        };
        let w = &mut self.workers[node.index()];
        w.metrics = Some(hb.metrics);
        w.last_heartbeat_ms = Some(unix_ms());
        let mut stop = Vec::new();
        for &l in &hb.running {
            if !self.claim(node, l)? {
                stop.push(l);
            }
        }
        let running: std::collections::HashSet<u64> = hb.running.iter().copied().collect();
        let mut vanished = Vec::new();
        for (&l, x) in self.launches.iter_mut() {
            if x.node == node && x.confirmed && !running.contains(&l) {
                x.misses += 1;
                if x.misses >= 3 {
                    vanished.push(l);
                }
            } else if x.node == node {
                x.misses = 0;
            }
        }
        for l in vanished {
            self.launch_ended(
                l,
                Exit::Failed,
                "lost",
                None,
                "its container vanished from its worker",
            )?;
        }
        Ok(Ok(HeartbeatReply { stop }))
    }

    pub(super) fn reports(
        &mut self,
        name: &str,
        reports: Vec<LaunchReport>,
    ) -> Result<Result<(), ApiError>, String> {
        let node = match self.registered(name) {
            Ok(n) => n,
            Err(e) => return Ok(Err(e)),
        };
        for r in &reports {
            let recovered = self
                .recovering
                .get(&r.launch)
                .is_some_and(|x| x.node == node);
            if recovered && !self.claim(node, r.launch)? {
                continue;
            }
            if self.launches.get(&r.launch).is_some_and(|l| l.node == node) {
                self.report(node, r)?;
            }
        }
        Ok(Ok(()))
    }

    /// What a worker said about one of its launches.
    pub(super) fn report(&mut self, node: NodeId, r: &LaunchReport) -> Result<(), String> {
        let Some(l) = self.launches.get_mut(&r.launch) else {
            return Ok(());
        };
        let (seq, attempt) = (l.seq, l.attempt);
        match &r.state {
            LaunchState::Running => {
                if !l.confirmed {
                    l.confirmed = true;
                    self.store
                        .set_launch(r.launch, "running", None, false, unix_ms())?;
                    if let Some(t) = self.tasks.get(&seq) {
                        let id = t.id.clone();
                        let n = t.attempts;
                        self.store.set_state(
                            &id,
                            "running",
                            Some(&self.workers[node.index()].name),
                            Some(n),
                            None,
                            unix_ms(),
                        )?;
                    }
                    let now = self.now();
                    self.cp.attempt_began(attempt, now);
                }
            }
            LaunchState::Exited { code } => {
                let (exit, state) = if *code == 0 {
                    (Exit::Completed, "exited")
                } else {
                    (Exit::Failed, "failed")
                };
                let detail = format!("exit status {code}");
                self.launch_ended(r.launch, exit, state, Some(*code), &detail)?;
            }
            LaunchState::Unhealthy { detail } => {
                if let Some(t) = self.tasks.get(&seq) {
                    let id = t.id.clone();
                    self.store
                        .set_health(&id, &format!("unhealthy: {detail}"))?;
                    self.store.set_state(
                        &id,
                        "failing",
                        None,
                        None,
                        Some(&format!("health check failed: {detail}")),
                        unix_ms(),
                    )?;
                }
                // The control plane kills it (a Kill command) and fails it over.
                self.cp.health_failed(attempt);
            }
            LaunchState::StartFailed { error } => {
                let detail = format!("could not start: {error}");
                self.launch_ended(r.launch, Exit::Failed, "failed", None, &detail)?;
            }
            LaunchState::Stopped => {
                let detail = "stopped on its worker";
                self.launch_ended(r.launch, Exit::Failed, "stopped", None, detail)?;
            }
        }
        Ok(())
    }

    /// Declares silent workers down, and gives up on recovered launches past the deadline.
    pub(super) fn check_workers(&mut self) -> Result<(), String> {
        let now = Instant::now();
        for i in 0..self.workers.len() {
            let w = &mut self.workers[i];
            if !w.down && now.duration_since(w.last_seen) >= self.config.detection {
                w.down = true;
                eprintln!(
                    "simctl serve: worker {} silent for {:?}: down",
                    w.name, self.config.detection
                );
                self.cp.node_down(NodeId(i as u32));
            }
        }
        if now >= self.recovery_deadline && !self.recovering.is_empty() {
            let left: Vec<u64> = self.recovering.keys().copied().collect();
            for l in left {
                self.recovery_lost(l, "its worker did not report it in time")?;
            }
        }
        Ok(())
    }
}

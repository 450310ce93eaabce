//! Decentralized scheduling (Sparrow, Ousterhout et al., SOSP 2013): schedulers with no global
//! state place tasks by probing workers.
//!
//! - `random`: each task goes to a uniformly random worker's queue (after one network delay).
//! - `per-task`: each task probes `d` distinct workers and joins the one with the fewest tasks
//!   (running plus queued), after the probe round trip and the task's trip (three delays).
//! - `batch`: a job of `m` tasks probes `ceil(d m)` distinct workers and places its tasks on the
//!   least loaded of them, one each (three delays).
//! - `late-binding`: batch sampling, but each probed worker queues a reservation (after one delay);
//!   when a reservation reaches the head of its worker's queue and the job's next task fits the
//!   worker, the worker holds the resources and asks the scheduler for the task, which arrives a
//!   round trip later; once all of a job's tasks are handed out its other reservations are
//!   cancelled at once (Sparrow's proactive cancellation).
//!
//! Workers run their queues first come, first served. A worker found dead drops its reservations;
//! a job left with tasks but no reservation anywhere sends them back to its scheduler, which
//! probes again.

use std::collections::VecDeque;

use crate::cluster::GpuSet;
use crate::failover::Position;
use crate::ids::NodeId;
use crate::rng::{below, SimRng};
use crate::sched::PendingTask;

use super::actor::Job;
use super::spec::{ArchitectureSpec, Sampling};
use super::{ArchTimer, Command, ControlPlane, Timer};
use crate::control::tasks::Phase;
use crate::control::AttemptRef;

/// A job whose tasks wait to be bound to the first workers that ask (late binding).
#[derive(Debug, Default)]
struct BoundJob {
    /// The slot's generation (reservations carry it).
    generation: u32,
    /// Tasks not handed out yet, in the job's order.
    tasks: VecDeque<PendingTask>,
    /// The workers probed.
    probes: Vec<NodeId>,
    /// Reservations still queued or on their way.
    outstanding: u32,
}

/// The workers' side of decentralized scheduling.
pub struct Workers {
    rng: SimRng,
    /// Per worker: reservations (job slot, generation) in arrival order.
    reservations: Vec<VecDeque<(u32, u32)>>,
    /// Late-binding jobs, in a slab.
    jobs: Vec<BoundJob>,
    /// Free slots of `jobs`.
    free: Vec<u32>,
}

impl Workers {
    /// No reservations on `nodes` workers; probes drawn from `rng`.
    pub fn new(nodes: usize, rng: SimRng) -> Workers {
        Workers {
            rng,
            reservations: vec![VecDeque::new(); nodes],
            jobs: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Tasks of late-binding jobs not handed out yet.
    pub fn unlaunched(&self) -> usize {
        self.jobs.iter().map(|j| j.tasks.len()).sum()
    }

    /// `k` distinct workers out of `n`, uniformly at random.
    fn sample(&mut self, k: usize, n: usize) -> Vec<NodeId> {
        let k = k.min(n);
        if 2 * k > n {
            let mut all: Vec<u32> = (0..n as u32).collect();
            for i in 0..k {
                let j = i + below(&mut self.rng, (n - i) as u64) as usize;
                all.swap(i, j);
            }
            return all[..k].iter().map(|&i| NodeId(i)).collect();
        }
        let mut out: Vec<NodeId> = Vec::with_capacity(k);
        while out.len() < k {
            let c = NodeId(below(&mut self.rng, n as u64) as u32);
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }

    /// Frees a finished job's slot.
    fn release(&mut self, slot: u32) {
        let j = &mut self.jobs[slot as usize];
        j.generation = j.generation.wrapping_add(1);
        j.tasks.clear();
        j.probes.clear();
        j.outstanding = 0;
        self.free.push(slot);
    }
}

/// Workers probed for a job of `m` tasks on `n` workers (the nodes its decision considers).
pub fn probes_for(spec: &ArchitectureSpec, m: usize, n: usize) -> usize {
    let d = spec.probe_ratio;
    match spec.sampling {
        Sampling::Random => m.min(n),
        Sampling::PerTask => m * ((d.ceil() as usize).clamp(1, n)),
        Sampling::Batch | Sampling::LateBinding => ((d * m as f64).ceil() as usize).clamp(1, n),
    }
}

impl ControlPlane {
    /// Tasks on a worker plus those queued for it (what a probe reports).
    fn worker_load(&self, node: NodeId) -> u32 {
        let n = self.cluster.node(node);
        n.running + n.queued
    }

    /// A Sparrow scheduler's decision is done: probe and place (or reserve).
    pub(super) fn commit_probes(&mut self, a: usize, job: Job) {
        let warmup = self.config.warmup;
        let n = self.cluster.len();
        let arch = self.arch.as_mut().expect("architecture");
        let spec = arch.spec.clone();
        let m = job.tasks.len();
        let probes = probes_for(&spec, m, n);
        let actor = &mut arch.actors[a];
        if spec.sampling != Sampling::Random {
            actor.stats.probes += probes as u64;
        }
        for i in 0..m {
            actor.placed(&job, i, warmup);
        }
        let delay = spec.network_delay;
        match spec.sampling {
            Sampling::Random => {
                for t in &job.tasks {
                    let rng = &mut self.arch.as_mut().expect("architecture").workers.rng;
                    let node = NodeId(below(rng, n as u64) as u32);
                    self.send(t.handle, node, delay);
                }
            }
            Sampling::PerTask => {
                let d = probes / m.max(1);
                for t in &job.tasks {
                    let probed = self
                        .arch
                        .as_mut()
                        .expect("architecture")
                        .workers
                        .sample(d, n);
                    let node = *probed
                        .iter()
                        .min_by_key(|&&p| self.worker_load(p))
                        .expect("at least one probe");
                    self.send(t.handle, node, delay + delay + delay);
                }
            }
            Sampling::Batch => {
                let mut probed = arch.workers.sample(probes, n);
                // Least loaded first; a stable sort keeps the sampling order among equals.
                probed.sort_by_key(|&p| self.worker_load(p));
                for (j, t) in job.tasks.iter().enumerate() {
                    self.send(t.handle, probed[j % probed.len()], delay + delay + delay);
                }
            }
            Sampling::LateBinding => {
                let probed = arch.workers.sample(probes, n);
                let w = &mut arch.workers;
                let slot = w.free.pop().unwrap_or_else(|| {
                    w.jobs.push(BoundJob::default());
                    (w.jobs.len() - 1) as u32
                });
                let bound = &mut w.jobs[slot as usize];
                bound.tasks = job.tasks.into_iter().collect();
                bound.probes = probed.clone();
                bound.outstanding = probed.len() as u32;
                let generation = bound.generation;
                for node in probed {
                    if delay.0 == 0 {
                        self.reservation_arrives(node, slot, generation);
                    } else {
                        self.commands.push(Command::SetTimer {
                            at: self.now + delay,
                            timer: Timer::Arch(ArchTimer::Reservation {
                                node,
                                job: slot,
                                generation,
                            }),
                        });
                    }
                }
            }
        }
    }

    /// Sends task `handle` to `node`'s queue, arriving after `after`.
    fn send(&mut self, handle: u32, node: NodeId, after: crate::time::SimDuration) {
        let task = self.attempt_ref(handle);
        if after.0 == 0 {
            self.deliver(task, node);
        } else {
            self.commands.push(Command::SetTimer {
                at: self.now + after,
                timer: Timer::Arch(ArchTimer::Deliver { task, node }),
            });
        }
    }

    /// A task sent to `node` arrives: it joins the worker's queue (or goes back to its scheduler
    /// if the worker is known to be dead).
    pub(super) fn deliver(&mut self, task: AttemptRef, node: NodeId) {
        if !self.tasks.is_current(task.handle, task.generation) {
            return;
        }
        if !self.cluster.node(node).schedulable {
            self.enqueue(task.handle, Position::Head);
            return;
        }
        self.local_queues[node.index()].push_back(task.handle);
        self.tasks.get_mut(task.handle).phase = Phase::Queued(node);
        self.drain_local_queue(node);
    }

    /// A reservation of job `slot` reaches `node`.
    pub(super) fn reservation_arrives(&mut self, node: NodeId, slot: u32, generation: u32) {
        let w = &mut self.arch.as_mut().expect("architecture").workers;
        if w.jobs[slot as usize].generation != generation {
            return; // the job was fully handed out and its slot freed
        }
        if !self.cluster.node(node).schedulable {
            self.reservation_lost(slot);
            return;
        }
        w.reservations[node.index()].push_back((slot, generation));
        self.cluster
            .set_queued(node, w.reservations[node.index()].len() as u32);
        self.serve(node);
    }

    /// A reservation of job `slot` is gone without being served: with none left and tasks not
    /// handed out, the job's tasks go back to their scheduler to be probed again.
    fn reservation_lost(&mut self, slot: u32) {
        let w = &mut self.arch.as_mut().expect("architecture").workers;
        let j = &mut w.jobs[slot as usize];
        j.outstanding -= 1;
        if j.outstanding > 0 {
            return;
        }
        let tasks: Vec<u32> = j.tasks.drain(..).map(|t| t.handle).collect();
        w.release(slot);
        for h in tasks {
            self.enqueue(h, Position::Head);
        }
    }

    /// Worker `node` serves the reservations at the head of its queue while the next task of
    /// their job fits.
    pub(in crate::control) fn serve(&mut self, node: NodeId) {
        if !self.cluster.node(node).schedulable {
            return;
        }
        let delay = self.arch.as_ref().expect("architecture").spec.network_delay;
        loop {
            let w = &mut self.arch.as_mut().expect("architecture").workers;
            let Some(&(slot, generation)) = w.reservations[node.index()].front() else {
                break;
            };
            let job = &mut w.jobs[slot as usize];
            if job.generation != generation || job.tasks.is_empty() {
                w.reservations[node.index()].pop_front();
                continue;
            }
            let task = job.tasks.front().expect("checked").clone();
            if self.cluster.allocate(node, &task.demand).is_err() {
                break;
            }
            let w = &mut self.arch.as_mut().expect("architecture").workers;
            w.reservations[node.index()].pop_front();
            let job = &mut w.jobs[slot as usize];
            job.tasks.pop_front();
            job.outstanding -= 1;
            if job.tasks.is_empty() {
                // Every task is handed out: cancel the job's other reservations.
                let probes = std::mem::take(&mut job.probes);
                for p in probes {
                    let q = &mut w.reservations[p.index()];
                    let before = q.len();
                    q.retain(|&(s, g)| (s, g) != (slot, generation));
                    if q.len() != before {
                        let len = q.len() as u32;
                        self.cluster.set_queued(p, len);
                    }
                }
                let w = &mut self.arch.as_mut().expect("architecture").workers;
                w.release(slot);
            }
            let len = self
                .arch
                .as_ref()
                .expect("architecture")
                .workers
                .reservations[node.index()]
            .len() as u32;
            self.cluster.set_queued(node, len);
            if delay.0 == 0 {
                self.start(task.handle, node, GpuSet::NONE);
            } else {
                let task = self.attempt_ref(task.handle);
                self.commands.push(Command::SetTimer {
                    at: self.now + delay + delay,
                    timer: Timer::Arch(ArchTimer::Launch { task, node }),
                });
            }
        }
    }

    /// The task a worker asked for arrives: it starts on the resources held for it (or, if the
    /// worker was found dead meanwhile, goes back to its scheduler).
    pub(super) fn launch(&mut self, task: AttemptRef, node: NodeId) {
        if !self.tasks.is_current(task.handle, task.generation) {
            return;
        }
        if !self.cluster.node(node).schedulable {
            let demand = self.tasks.get(task.handle).spec.demand;
            // Architectures do not take GPU workloads (refused at validation): no GPUs held.
            self.cluster.release(node, &demand, GpuSet::NONE);
            self.enqueue(task.handle, Position::Head);
            return;
        }
        self.start(task.handle, node, GpuSet::NONE);
    }

    /// Worker `node` was found dead: its reservations are lost.
    pub(in crate::control) fn worker_lost(&mut self, node: NodeId) {
        let w = &mut self.arch.as_mut().expect("architecture").workers;
        let lost: Vec<(u32, u32)> = w.reservations[node.index()].drain(..).collect();
        self.cluster.set_queued(node, 0);
        for (slot, generation) in lost {
            let w = &self.arch.as_ref().expect("architecture").workers;
            if w.jobs[slot as usize].generation == generation {
                self.reservation_lost(slot);
            }
        }
    }
}

//! Two-level scheduling (Mesos): the master offers free resources to one framework at a time in
//! dominant-resource-fair order; resources on offer are locked from every other framework until
//! the framework answers or the offer times out.

use crate::ids::NodeId;
use crate::resources::{Resources, DIMS};

use super::actor::InFlight;
use super::spec::ArchKind;
use super::{ArchTimer, Command, ControlPlane, Timer};

/// An offer out to a framework.
#[derive(Debug, Clone)]
struct Offer {
    /// The decision it feeds (its timers carry it).
    seq: u64,
    /// What each node offers.
    nodes: Vec<(NodeId, Resources)>,
    /// Rescinded at its timeout: its resources are back with the master, and whatever the
    /// framework decides on it is void.
    rescinded: bool,
}

/// The master's state.
pub struct Master {
    /// Per node: resources locked in outstanding offers.
    locked: Vec<Resources>,
    /// Per framework: its outstanding offer.
    out: Vec<Option<Offer>>,
    /// Per framework: resources its running tasks hold (for dominant resource fairness).
    held: Vec<Resources>,
    /// Per framework: it declined, and is not offered again until capacity is freed.
    refused: Vec<bool>,
}

impl Master {
    /// A master over `nodes` nodes and `frameworks` frameworks.
    pub fn new(nodes: usize, frameworks: usize) -> Master {
        Master {
            locked: vec![Resources::ZERO; nodes],
            out: vec![None; frameworks],
            held: vec![Resources::ZERO; frameworks],
            refused: vec![false; frameworks],
        }
    }

    /// Capacity was freed: frameworks that declined may be offered again.
    pub fn capacity_freed(&mut self) {
        self.refused.fill(false);
    }

    /// A task of framework `f` starts (`hold`) or stops holding `demand`.
    pub fn hold(&mut self, f: usize, demand: &Resources, hold: bool) {
        if hold {
            self.held[f] += *demand;
        } else {
            self.held[f] -= *demand;
        }
    }

    /// Framework `f`'s dominant share of `total`.
    fn dominant_share(&self, f: usize, total: &Resources) -> f64 {
        let (h, t) = (self.held[f].dims(), total.dims());
        (0..DIMS)
            .filter(|&d| t[d] > 0)
            .map(|d| h[d] as f64 / t[d] as f64)
            .fold(0.0, f64::max)
    }

    /// Unlocks what `offer` still holds.
    fn unlock(&mut self, offer: &Offer) {
        for (node, r) in &offer.nodes {
            self.locked[node.index()] -= *r;
        }
    }
}

impl ControlPlane {
    /// The master offers everything free and not on offer to the framework with the lowest
    /// dominant share among those that wait for resources, then to the next, while anything is
    /// left to offer.
    pub(super) fn make_offers(&mut self) {
        loop {
            let total = self.cluster.total_capacity();
            let arch = self.arch.as_mut().expect("architecture");
            let m = &arch.master;
            let wanting = (0..arch.actors.len()).filter(|&f| {
                m.out[f].is_none() && !m.refused[f] && !arch.actors[f].queue.is_empty()
            });
            let Some(f) = wanting.min_by(|&x, &y| {
                m.dominant_share(x, &total)
                    .total_cmp(&m.dominant_share(y, &total))
                    .then(x.cmp(&y))
            }) else {
                return;
            };
            let mut nodes = Vec::new();
            for n in self.cluster.nodes() {
                if !n.schedulable {
                    continue;
                }
                let free = n.free().saturating_sub(&arch.master.locked[n.id.index()]);
                if free.cpu_milli > 0 {
                    arch.master.locked[n.id.index()] += free;
                    nodes.push((n.id, free));
                }
            }
            if nodes.is_empty() {
                return;
            }
            self.offer(f, nodes);
        }
    }

    /// Framework `f` receives an offer of `nodes` and takes up its head job.
    fn offer(&mut self, f: usize, nodes: Vec<(NodeId, crate::resources::Resources)>) {
        let (now, warmup) = (self.now, self.config.warmup);
        let arch = self.arch.as_mut().expect("architecture");
        let timeout = arch.spec.offer_timeout;
        arch.seq += 1;
        let seq = arch.seq;
        let actor = &mut arch.actors[f];
        actor.stats.offers += 1;
        let job = actor
            .take_head(now, warmup)
            .expect("offered to a framework with work");
        let d = actor.decision_time(job.class, job.tasks.len(), nodes.len());
        actor.clock.begin(now, now + d, warmup);
        arch.master.out[f] = Some(Offer {
            seq,
            nodes,
            rescinded: false,
        });
        let flight = InFlight {
            job,
            started: now,
            seq,
            base: None,
        };
        if let Some(t) = timeout.filter(|t| *t < d) {
            self.commands.push(Command::SetTimer {
                at: now + t,
                timer: Timer::Arch(ArchTimer::OfferTimeout {
                    framework: f as u32,
                    seq,
                }),
            });
        }
        if d.0 == 0 {
            let actor = &mut self.arch.as_mut().expect("architecture").actors[f];
            actor.clock.end(now, warmup);
            self.commit(f, flight);
        } else {
            self.arch.as_mut().expect("architecture").actors[f].busy = Some(flight);
            self.commands.push(Command::SetTimer {
                at: now + d,
                timer: Timer::Arch(ArchTimer::Decided {
                    actor: f as u32,
                    seq,
                }),
            });
        }
    }

    /// The offer `seq` to `framework` times out: the master takes its resources back.
    pub(super) fn offer_timeout(&mut self, framework: u32, seq: u64) {
        let arch = self.arch.as_mut().expect("architecture");
        let f = framework as usize;
        let Some(offer) = arch.master.out[f].as_mut() else {
            return;
        };
        if offer.seq != seq || offer.rescinded {
            return;
        }
        offer.rescinded = true;
        let offer = offer.clone();
        arch.master.unlock(&offer);
        arch.actors[f].stats.offers_rescinded += 1;
    }

    /// Framework `f` answers its offer: it places its job within what it was offered, keeps that,
    /// and returns the rest. On a rescinded offer its decision is void and the job is decided
    /// again at once.
    pub(super) fn commit_offer(&mut self, f: usize, flight: InFlight) {
        debug_assert_eq!(
            self.arch.as_ref().map(|a| a.spec.kind),
            Some(ArchKind::Offers)
        );
        let arch = self.arch.as_mut().expect("architecture");
        let offer = arch.master.out[f]
            .take()
            .expect("a framework decides only on an offer");
        let mut job = flight.job;
        if offer.rescinded {
            job.attempts += 1;
            job.entered(self.now);
            arch.actors[f].stats.retries += 1;
            if self.gives_up(&job) {
                self.abandon(f, job);
            } else {
                self.arch.as_mut().expect("architecture").actors[f].push_front(job);
            }
            return;
        }
        arch.master.unlock(&offer);
        // The framework sees only what it was offered.
        let mut view = self.cluster.clone();
        let mut offered = vec![None; view.len()];
        for &(n, r) in &offer.nodes {
            offered[n.index()] = Some(r);
        }
        for (i, o) in offered.iter().enumerate() {
            view.limit_free(NodeId(i as u32), o.unwrap_or(Resources::ZERO));
        }
        let scheduler = arch.actors[f].scheduler.as_mut();
        let proposed = super::propose(scheduler, self.now, &mut view, &job, &self.running);
        let mut placed = Vec::new();
        let mut refused = Vec::new();
        for &(i, node) in &proposed {
            // Locked for this framework, so it fits unless the node was found dead meanwhile.
            if self.cluster.allocate(node, &job.tasks[i].demand).is_ok() {
                placed.push((i, node));
            } else {
                refused.push(i);
            }
        }
        let arch = self.arch.as_mut().expect("architecture");
        if placed.is_empty() {
            arch.actors[f].stats.offers_declined += 1;
            arch.master.refused[f] = true;
        }
        self.retry(f, &job, &refused);
        self.start_placed(f, job, &placed, &refused);
    }
}

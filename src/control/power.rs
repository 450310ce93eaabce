//! Power management (the scenario's `[power]` table): idle nodes are switched off, and off nodes
//! are booted again when queued work needs them.
//!
//! Each node is **on**, **booting** or **off**; switching is planned, not a failure: it is not a
//! crash, fails nothing over and is not counted in `node_failures`. The rules, all deterministic:
//!
//! - **Idle.** A node is idle while it is on, up (not crashed) and has nothing running or queued on
//!   it. A node that became idle at `t` and is still idle at `t + off_after` is switched off then
//!   (unless fewer than `min_on` nodes would be left on or booting; a node kept on that way is
//!   considered again after its next task). Every node is idle at time 0, so with no work at all
//!   every node is off from `off_after` on.
//! - **Off.** An off node is not schedulable and draws 0 W.
//! - **Boot.** At every decision point, after the scheduler has placed what it could, the queue is
//!   walked in order; each waiting task that fits no schedulable node now claims room on the first
//!   booting node (in node order, then in the order booted) that still has room for it after the
//!   tasks claimed before it at this decision point, or else boots the lowest-numbered off, up node
//!   whose capacity would hold it (and claims room there). So nodes are booted only for waiting
//!   tasks that nothing on or booting can take, packed first-fit onto the boots. A booting node
//!   draws its idle power (nothing is allocated on it) for `boot`, takes no work meanwhile, and is
//!   then on, schedulable, and idle until the scheduler places work there.
//! - **Crashes.** Failure processes run whatever the power state. A crash of an on node is an
//!   ordinary crash; after its repair the node is on and idle. A crash of a booting node aborts the
//!   boot: the node is off (and stays off after its repair). An off node can crash too: the crash is
//!   counted in `node_failures`, and the node stays off. A down node is never switched off or
//!   booted.
//! - **Warm-up.** The policy acts from time 0; `power_offs` and `boots` count the switchings inside
//!   the measurement window, as energy counts only the window's joules.
//!
//! Only central dispatch without an `[architecture]` supports a power-off policy (checked when the
//! scenario is read): the boot rule reads the central queue.

use std::sync::Arc;

use crate::ids::NodeId;
use crate::metrics::carbon::CarbonSeries;
use crate::metrics::power::PowerCounts;
use crate::resources::Resources;
use crate::time::SimDuration;

use super::{Command, ControlPlane, Timer};

/// The scenario's `[power]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerPolicy {
    /// Switch a node off after this long idle; `None` (`off_after = "off"`): nodes stay on.
    pub off_after: Option<SimDuration>,
    /// Time from switching a node on until it takes work.
    pub boot: SimDuration,
    /// Never switch a node off if that would leave fewer nodes on or booting.
    pub min_on: u32,
    /// The carbon intensity of the electricity (`carbon = "file.csv"`).
    pub carbon: Option<Arc<CarbonSeries>>,
}

/// A timer of the power policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerTimer {
    /// The node has been idle for `off_after` (if its epoch is still `epoch`).
    Off {
        /// The node.
        node: NodeId,
        /// Its power epoch when the timer was set.
        epoch: u32,
    },
    /// The node has finished booting (if its epoch is still `epoch`).
    Booted {
        /// The node.
        node: NodeId,
        /// Its power epoch when the timer was set.
        epoch: u32,
    },
}

/// A node's power state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    On,
    Booting,
    Off,
}

/// A node's power bookkeeping.
#[derive(Debug, Clone, Copy)]
struct NodePower {
    state: State,
    /// Bumped at every change that makes a pending timer of the node stale.
    epoch: u32,
}

/// The power policy's state in a control plane.
#[derive(Debug)]
pub(super) struct Power {
    policy: PowerPolicy,
    nodes: Vec<NodePower>,
    /// Nodes whose idleness may have changed since the last decision point.
    touched: Vec<NodeId>,
    /// Nodes on or booting.
    powered: u32,
    /// Nodes booting.
    booting: u32,
    /// Switchings inside the measurement window.
    pub(super) offs: u64,
    pub(super) boots: u64,
}

impl ControlPlane {
    /// Runs this control plane under a power policy (see the module documentation): with an
    /// `off_after`, every node is idle now and its switch-off timer is set; with a carbon series,
    /// the energy meter also accounts grams of CO2. Call before the first input.
    pub fn with_power(mut self, policy: PowerPolicy) -> ControlPlane {
        if let (Some(c), Some(m)) = (&policy.carbon, self.cluster.meter_mut()) {
            m.set_carbon(c.clone());
        }
        let n = self.cluster.len();
        let power = Power {
            nodes: vec![
                NodePower {
                    state: State::On,
                    epoch: 0,
                };
                n
            ],
            touched: Vec::new(),
            powered: n as u32,
            booting: 0,
            offs: 0,
            boots: 0,
            policy,
        };
        if let Some(after) = power.policy.off_after {
            for i in 0..n {
                let node = NodeId(i as u32);
                self.commands.push(Command::SetTimer {
                    at: self.now + after,
                    timer: Timer::Power(PowerTimer::Off { node, epoch: 0 }),
                });
            }
        }
        self.power = Some(Box::new(power));
        self
    }

    /// The power policy's switching counts so far (`None` without a `[power]` table).
    pub fn power_counts(&self) -> Option<PowerCounts> {
        self.power.as_ref().map(|p| PowerCounts {
            power_offs: p.offs,
            boots: p.boots,
        })
    }

    /// Nodes on or booting and up (`None` without a power policy).
    pub(super) fn nodes_on(&self) -> Option<u64> {
        let p = self.power.as_ref()?;
        Some(
            p.nodes
                .iter()
                .zip(&self.nodes)
                .filter(|(n, v)| n.state != State::Off && !v.down)
                .count() as u64,
        )
    }

    /// `node`'s running or queued work may have changed (a start, a stop, a repair).
    #[inline]
    pub(super) fn power_touch(&mut self, node: NodeId) {
        if let Some(p) = self.power.as_mut().filter(|p| p.policy.off_after.is_some()) {
            p.touched.push(node);
        }
    }

    /// Whether `node` is powered on (always, without a power policy): a repaired node becomes
    /// schedulable only then.
    pub(super) fn power_on(&self, node: NodeId) -> bool {
        self.power
            .as_ref()
            .is_none_or(|p| p.nodes[node.index()].state == State::On)
    }

    /// `node` crashed: a boot is aborted (the node is off), a pending switch-off is cancelled.
    pub(super) fn power_node_down(&mut self, node: NodeId) {
        let Some(p) = self.power.as_mut() else { return };
        let n = &mut p.nodes[node.index()];
        n.epoch += 1;
        if n.state == State::Booting {
            n.state = State::Off;
            p.powered -= 1;
            p.booting -= 1;
            if let Some(m) = self.cluster.meter_mut() {
                m.set_off(node.index(), true);
            }
        }
    }

    /// A power timer is due.
    pub(super) fn power_timer(&mut self, timer: PowerTimer) {
        let now = self.now;
        let in_window = self.metrics.in_window(now);
        let Some(p) = self.power.as_mut() else { return };
        match timer {
            PowerTimer::Off { node, epoch } => {
                let i = node.index();
                let n = self.cluster.node(node);
                let idle = n.running == 0 && n.queued == 0 && !self.nodes[i].down;
                if p.nodes[i].epoch != epoch
                    || p.nodes[i].state != State::On
                    || !idle
                    || p.powered <= p.policy.min_on
                {
                    return;
                }
                p.nodes[i].state = State::Off;
                p.nodes[i].epoch += 1;
                p.powered -= 1;
                if in_window {
                    p.offs += 1;
                }
                self.cluster.set_schedulable(node, false);
                if let Some(m) = self.cluster.meter_mut() {
                    m.set_off(i, true);
                }
            }
            PowerTimer::Booted { node, epoch } => {
                let i = node.index();
                if p.nodes[i].epoch != epoch || p.nodes[i].state != State::Booting {
                    return;
                }
                p.nodes[i].state = State::On;
                p.nodes[i].epoch += 1;
                p.booting -= 1;
                p.touched.push(node);
                if !self.nodes[i].down {
                    self.cluster.set_schedulable(node, true);
                    self.capacity_freed = true;
                }
            }
        }
    }

    /// The end of a decision point: arms the switch-off timers of nodes that became idle, and
    /// boots nodes for waiting tasks that nothing on or booting can take.
    pub(super) fn power_step(&mut self) {
        let Some(mut p) = self.power.take() else {
            return;
        };
        if let Some(after) = p.policy.off_after {
            self.arm_idle(&mut p, after);
            self.boot_for_queue(&mut p);
        }
        self.power = Some(p);
    }

    fn arm_idle(&mut self, p: &mut Power, after: SimDuration) {
        for node in p.touched.drain(..) {
            let i = node.index();
            if p.nodes[i].state != State::On {
                continue;
            }
            p.nodes[i].epoch += 1;
            let n = self.cluster.node(node);
            if n.running == 0 && n.queued == 0 && !self.nodes[i].down {
                self.commands.push(Command::SetTimer {
                    at: self.now + after,
                    timer: Timer::Power(PowerTimer::Off {
                        node,
                        epoch: p.nodes[i].epoch,
                    }),
                });
            }
        }
    }

    fn boot_for_queue(&mut self, p: &mut Power) {
        // Cheap exits first: most decision points have an empty queue or every node on.
        if self.pending.is_empty() || (p.booting == 0 && p.powered as usize == p.nodes.len()) {
            return;
        }
        // Room left on each booting node for the waiting tasks claimed so far at this point.
        let mut room: Vec<Resources> = Vec::new();
        let mut off = 0usize;
        for (i, n) in p.nodes.iter().enumerate() {
            match n.state {
                State::Booting => room.push(self.cluster.nodes()[i].capacity),
                State::Off if !self.nodes[i].down => off += 1,
                _ => {}
            }
        }
        if room.is_empty() && off == 0 {
            return;
        }
        let in_window = self.metrics.in_window(self.now);
        for k in 0..self.pending.len() {
            if room.is_empty() && off == 0 {
                break;
            }
            let demand = self.pending.as_slice()[k].demand;
            if self.cluster.fits_somewhere_now(&demand) {
                continue;
            }
            if let Some(r) = room.iter_mut().find(|r| demand.fits_in(r)) {
                *r = r.saturating_sub(&demand);
                continue;
            }
            let cluster = &self.cluster;
            let chosen = (0..p.nodes.len()).find(|&i| {
                p.nodes[i].state == State::Off
                    && !self.nodes[i].down
                    && cluster.nodes()[i].fits_ever(&demand)
            });
            let Some(i) = chosen else { continue };
            off -= 1;
            room.push(cluster.nodes()[i].capacity.saturating_sub(&demand));
            p.nodes[i].state = State::Booting;
            p.nodes[i].epoch += 1;
            p.powered += 1;
            p.booting += 1;
            if in_window {
                p.boots += 1;
            }
            if let Some(m) = self.cluster.meter_mut() {
                m.set_off(i, false);
            }
            let node = NodeId(i as u32);
            self.commands.push(Command::SetTimer {
                at: self.now + p.policy.boot,
                timer: Timer::Power(PowerTimer::Booted {
                    node,
                    epoch: p.nodes[i].epoch,
                }),
            });
        }
    }
}

//! Exact energy accounting: each node's power is constant between two changes of its allocation
//! (CPU and GPU) or of its up/down state, so energy is the sum over those intervals of watts x seconds (clipped
//! to the measurement window). The meter is updated lazily: a node's interval is closed only when
//! that node changes, so the cost is O(1) per allocation change and O(nodes) once at the end.
//! A node draws nothing while down (crashed) or switched off by a power-management policy. With a
//! carbon series, each interval's energy is also weighted by the intensity's exact integral over it.

use std::sync::Arc;

use crate::metrics::carbon::CarbonSeries;
use crate::metrics::power::NodePower;
use crate::resources::GPU_MILLI;
use crate::time::SimTime;

/// One node's meter.
#[derive(Debug, Clone)]
struct NodeMeter {
    /// Index into [`EnergyMeter::models`]; `None`: the node draws nothing (no model).
    model: Option<usize>,
    /// CPU capacity, millicores.
    capacity: u64,
    /// Allocated CPU since `since`, millicores.
    allocated: u64,
    /// GPU capacity, thousandths of a GPU (0: no GPUs).
    gpu_capacity: u64,
    /// Allocated GPU since `since`, thousandths of a GPU.
    gpu_allocated: u64,
    /// Whether the node is down (crashed): it draws nothing.
    down: bool,
    /// Whether the node is switched off (a power-management policy): it draws nothing.
    off: bool,
    /// Start of the current constant-power interval.
    since: SimTime,
    /// Joules drawn inside the window before `since`.
    joules: f64,
    /// Grams of CO2 of those joules (with a carbon series).
    grams: f64,
}

/// Per-node energy meters of a cluster whose node groups have power models.
#[derive(Debug, Clone)]
pub struct EnergyMeter {
    models: Vec<NodePower>,
    nodes: Vec<NodeMeter>,
    /// The current simulated time (set by the control plane as time advances).
    now: SimTime,
    warmup: SimTime,
    window_end: SimTime,
    /// The carbon intensity of the electricity, when the scenario gives one.
    carbon: Option<Arc<CarbonSeries>>,
}

impl EnergyMeter {
    /// A meter for nodes of the given (model index, CPU capacity in millicores, GPU capacity in
    /// thousandths of a GPU), counting energy from time 0 (see [`EnergyMeter::set_warmup`]).
    pub fn new(models: Vec<NodePower>, nodes: &[(Option<usize>, u64, u64)]) -> EnergyMeter {
        EnergyMeter {
            models,
            nodes: nodes
                .iter()
                .map(|&(m, c, g)| NodeMeter::new(m, c, g))
                .collect(),
            now: SimTime::ZERO,
            warmup: SimTime::ZERO,
            window_end: SimTime::MAX,
            carbon: None,
        }
    }

    /// Also accounts the carbon of the energy drawn, at the intensity `series`.
    pub fn set_carbon(&mut self, series: Arc<CarbonSeries>) {
        self.carbon = Some(series);
    }

    /// Counts energy only from `warmup` on.
    pub fn set_warmup(&mut self, warmup: SimTime) {
        self.warmup = warmup;
    }

    /// Adds a node drawing with model `model` (a worker joining a live cluster), of CPU capacity
    /// `capacity` millicores and GPU capacity `gpu_capacity` thousandths of a GPU.
    pub fn add_node(&mut self, model: Option<NodePower>, capacity: u64, gpu_capacity: u64) {
        let index = model.map(|m| {
            self.models.push(m);
            self.models.len() - 1
        });
        let mut n = NodeMeter::new(index, capacity, gpu_capacity);
        n.since = self.now;
        self.nodes.push(n);
    }

    /// Time is now `now`.
    #[inline]
    pub fn set_clock(&mut self, now: SimTime) {
        self.now = now;
    }

    /// The window ends at the current time (the workload ran out): nothing after it counts.
    pub fn close_window(&mut self) {
        self.window_end = self.now.max(self.warmup);
    }

    /// Node `i`'s allocation is now `allocated` millicores of CPU and `gpu_allocated` thousandths
    /// of a GPU.
    pub fn set_allocated(&mut self, i: usize, allocated: u64, gpu_allocated: u64) {
        self.close_interval(i);
        let n = &mut self.nodes[i];
        n.allocated = allocated;
        n.gpu_allocated = gpu_allocated;
    }

    /// Node `i` went down (`true`) or came back up.
    pub fn set_down(&mut self, i: usize, down: bool) {
        self.close_interval(i);
        self.nodes[i].down = down;
    }

    /// Node `i` was switched off (`true`) or on (a power-management policy). A node switched on
    /// draws its model's watts at its allocation (nothing allocated while booting: idle watts, CPU
    /// idle plus each GPU's idle watts with a GPU term).
    pub fn set_off(&mut self, i: usize, off: bool) {
        self.close_interval(i);
        self.nodes[i].off = off;
    }

    /// Power the cluster draws now, watts.
    pub fn power_now(&self) -> f64 {
        self.nodes.iter().map(|n| self.watts(n)).sum()
    }

    /// Joules drawn by each node inside the measurement window, up to `end`.
    pub fn joules_at(&self, end: SimTime) -> Vec<f64> {
        self.nodes
            .iter()
            .map(|n| n.joules + self.watts(n) * self.seconds_in_window(n.since, end))
            .collect()
    }

    /// Grams of CO2 of the energy each node drew inside the measurement window, up to `end`
    /// (`None` without a carbon series).
    pub fn grams_at(&self, end: SimTime) -> Option<Vec<f64>> {
        let c = self.carbon.as_ref()?;
        Some(
            self.nodes
                .iter()
                .map(|n| {
                    let (from, to) = self.clip(n.since, end);
                    n.grams + c.grams(self.watts(n), from, to)
                })
                .collect(),
        )
    }

    fn close_interval(&mut self, i: usize) {
        let n = &self.nodes[i];
        let watts = self.watts(n);
        let joules = watts * self.seconds_in_window(n.since, self.now);
        let grams = match &self.carbon {
            Some(c) => {
                let (from, to) = self.clip(n.since, self.now);
                c.grams(watts, from, to)
            }
            None => 0.0,
        };
        let n = &mut self.nodes[i];
        n.joules += joules;
        n.grams += grams;
        n.since = self.now;
    }

    /// `[from, to]` clipped to the measurement window (empty when `to <= from` after clipping).
    fn clip(&self, from: SimTime, to: SimTime) -> (SimTime, SimTime) {
        (from.max(self.warmup), to.min(self.window_end))
    }

    fn watts(&self, n: &NodeMeter) -> f64 {
        match n.model {
            Some(m) if !n.down && !n.off => {
                let u_cpu = n.allocated as f64 / n.capacity as f64;
                let gpus = n.gpu_capacity as f64 / GPU_MILLI as f64;
                let u_gpu = if n.gpu_capacity == 0 {
                    0.0
                } else {
                    n.gpu_allocated as f64 / n.gpu_capacity as f64
                };
                self.models[m].watts(u_cpu, gpus, u_gpu)
            }
            _ => 0.0,
        }
    }

    fn seconds_in_window(&self, from: SimTime, to: SimTime) -> f64 {
        super::overlap_secs(from, to, self.warmup, self.window_end)
    }
}

impl NodeMeter {
    fn new(model: Option<usize>, capacity: u64, gpu_capacity: u64) -> NodeMeter {
        NodeMeter {
            model,
            capacity: capacity.max(1),
            allocated: 0,
            gpu_capacity,
            gpu_allocated: 0,
            down: false,
            off: false,
            since: SimTime::ZERO,
            joules: 0.0,
            grams: 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::power::PowerModel;

    fn at(s: u64) -> SimTime {
        SimTime(s * 1_000_000)
    }

    fn linear() -> EnergyMeter {
        let m = PowerModel::Linear {
            idle: 100.0,
            peak: 300.0,
        };
        EnergyMeter::new(vec![NodePower::cpu(m)], &[(Some(0), 1000, 0)])
    }

    #[test]
    fn constant_utilisation_draws_idle_plus_dynamic_times_time() {
        // Half the CPU from 10 s to 110 s, window [0, 200]:
        // 100 W x 10 s + 200 W x 100 s + 100 W x 90 s = 1000 + 20000 + 9000 = 30000 J.
        let mut m = linear();
        m.set_clock(at(10));
        m.set_allocated(0, 500, 0);
        m.set_clock(at(110));
        m.set_allocated(0, 0, 0);
        assert_eq!(m.joules_at(at(200)), vec![30_000.0]);
    }

    #[test]
    fn a_down_node_draws_nothing_and_the_window_clips() {
        // Idle 100 W; down from 50 s to 80 s; warm-up 20 s; window closed at 150 s; end 300 s.
        // Counted: [20, 50] = 30 s and [80, 150] = 70 s at 100 W = 10000 J.
        let mut m = linear();
        m.set_warmup(at(20));
        m.set_clock(at(50));
        m.set_down(0, true);
        m.set_clock(at(80));
        m.set_down(0, false);
        m.set_clock(at(150));
        m.close_window();
        assert_eq!(m.joules_at(at(300)), vec![10_000.0]);
        assert_eq!(m.power_now(), 100.0);
    }

    #[test]
    fn the_gpu_term_follows_the_gpu_allocation_and_the_node_state() {
        // CPU 100..300 W over 1000 millicores; 2 GPUs (2000 thousandths) at 30..300 W each.
        let model = NodePower {
            cpu: PowerModel::Linear {
                idle: 100.0,
                peak: 300.0,
            },
            gpu: Some(crate::metrics::power::GpuPower {
                idle: 30.0,
                peak: 300.0,
            }),
        };
        let mut m = EnergyMeter::new(vec![model], &[(Some(0), 1000, 2000)]);
        // [0, 10]: idle, 100 + 2 x 30 = 160 W -> 1600 J.
        m.set_clock(at(10));
        // [10, 20]: 500 mc and 1500 thousandths: 200 + 2 x (30 + 270 x 0.75) = 665 W -> 6650 J.
        m.set_allocated(0, 500, 1500);
        assert_eq!(m.power_now(), 665.0);
        m.set_clock(at(20));
        m.set_allocated(0, 0, 0);
        // [20, 30]: switched off, 0 W; [30, 40]: switched on (booting, nothing allocated) 160 W
        // -> 1600 J; [40, 50]: down, 0 W.
        m.set_clock(at(20));
        m.set_off(0, true);
        assert_eq!(m.power_now(), 0.0);
        m.set_clock(at(30));
        m.set_off(0, false);
        assert_eq!(m.power_now(), 160.0);
        m.set_clock(at(40));
        m.set_down(0, true);
        assert_eq!(m.power_now(), 0.0);
        assert_eq!(m.joules_at(at(50)), vec![1600.0 + 6650.0 + 1600.0]);
    }
}

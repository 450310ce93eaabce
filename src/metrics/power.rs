//! Node power models: electrical power drawn as a function of CPU utilisation, optionally plus a
//! GPU term linear in GPU utilisation.
//!
//! The simulator knows a node's *allocated* CPU and GPU, not its measured load, so utilisation here
//! is allocated over capacity, in [0, 1]. Every model is piecewise linear in it, so a node whose
//! allocation is constant between two events draws constant power over that interval, and energy
//! summed interval by interval is exact (see [`super::energy`]).

use serde::Serialize;

/// Power drawn by one node, in watts, as a function of its CPU utilisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PowerModel {
    /// `idle + (peak - idle) * u`.
    Linear {
        /// Watts at utilisation 0 (switched on, nothing allocated).
        idle: f64,
        /// Watts at utilisation 1.
        peak: f64,
    },
    /// A SPECpower-style table of (utilisation, watts) points, interpolated linearly between them.
    /// Validated: utilisations strictly increase from exactly 0 to exactly 1, watts never decrease.
    Table(Vec<(f64, f64)>),
}

impl PowerModel {
    /// Watts at utilisation `u` (clamped to [0, 1]).
    pub fn watts(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        match self {
            PowerModel::Linear { idle, peak } => idle + (peak - idle) * u,
            PowerModel::Table(points) => interpolate(points, u),
        }
    }
}

/// Piecewise-linear interpolation in a table whose first abscissa is 0 and last is 1.
fn interpolate(points: &[(f64, f64)], u: f64) -> f64 {
    // The first point whose utilisation is at least u; points[0].0 == 0 <= u.
    let i = points.partition_point(|&(x, _)| x < u);
    if i == 0 {
        return points[0].1;
    }
    let (x0, y0) = points[i - 1];
    let (x1, y1) = points[i.min(points.len() - 1)];
    if x1 <= x0 {
        return y1;
    }
    y0 + (y1 - y0) * (u - x0) / (x1 - x0)
}

/// The GPU term of a node's power: watts per GPU, linear in the node's GPU utilisation (allocated
/// GPU share over GPU capacity). Validated: `0 <= idle <= peak`, both finite.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GpuPower {
    /// Watts per GPU with nothing allocated on the node's GPUs (`gpu_idle`).
    pub idle: f64,
    /// Watts per GPU with all the node's GPUs allocated (`gpu_peak`).
    pub peak: f64,
}

impl GpuPower {
    /// Watts drawn by `gpus` GPUs at GPU utilisation `u` (clamped to [0, 1]):
    /// `gpus * (idle + (peak - idle) * u)`.
    pub fn watts(&self, gpus: f64, u: f64) -> f64 {
        gpus * (self.idle + (self.peak - self.idle) * u.clamp(0.0, 1.0))
    }
}

/// A node group's power model: the CPU part and an optional GPU term.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodePower {
    /// Watts as a function of CPU utilisation.
    #[serde(flatten)]
    pub cpu: PowerModel,
    /// Watts of the node's GPUs (`None`: GPUs are not modelled and draw nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuPower>,
}

impl NodePower {
    /// A model with a CPU part only.
    pub fn cpu(cpu: PowerModel) -> NodePower {
        NodePower { cpu, gpu: None }
    }

    /// Watts at CPU utilisation `u_cpu`, plus, with a GPU term, `gpus` GPUs at GPU utilisation
    /// `u_gpu` (both clamped to [0, 1]). Without a GPU term this is exactly the CPU part.
    pub fn watts(&self, u_cpu: f64, gpus: f64, u_gpu: f64) -> f64 {
        let w = self.cpu.watts(u_cpu);
        match &self.gpu {
            Some(g) => w + g.watts(gpus, u_gpu),
            None => w,
        }
    }
}

/// What a power-management policy (`[power]`) adds to a run's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PowerCounts {
    /// Nodes switched off inside the measurement window.
    pub power_offs: u64,
    /// Nodes booted inside the measurement window.
    pub boots: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_model_is_idle_plus_the_dynamic_share() {
        let m = PowerModel::Linear {
            idle: 100.0,
            peak: 300.0,
        };
        assert_eq!(m.watts(0.0), 100.0);
        assert_eq!(m.watts(0.5), 200.0);
        assert_eq!(m.watts(1.0), 300.0);
        assert_eq!(m.watts(1.5), 300.0, "clamped");
    }

    #[test]
    fn table_model_interpolates_between_points() {
        let m = PowerModel::Table(vec![(0.0, 60.0), (0.1, 80.0), (0.5, 160.0), (1.0, 250.0)]);
        assert_eq!(m.watts(0.0), 60.0);
        assert_eq!(m.watts(0.1), 80.0);
        // Between 0.1 (80 W) and 0.5 (160 W): 80 + 80 * (0.3 - 0.1) / 0.4 = 120 W.
        assert!((m.watts(0.3) - 120.0).abs() < 1e-9);
        // Between 0.5 (160 W) and 1.0 (250 W): 160 + 90 * 0.25 / 0.5 = 205 W.
        assert!((m.watts(0.75) - 205.0).abs() < 1e-9);
        assert_eq!(m.watts(1.0), 250.0);
    }

    #[test]
    fn gpu_term_adds_watts_per_gpu_linear_in_gpu_utilisation() {
        let m = NodePower {
            cpu: PowerModel::Linear {
                idle: 100.0,
                peak: 300.0,
            },
            gpu: Some(GpuPower {
                idle: 30.0,
                peak: 300.0,
            }),
        };
        // CPU 200 W at 0.5; 2 GPUs at 0.25: 2 x (30 + 270 x 0.25) = 195 W; total 395 W.
        assert_eq!(m.watts(0.5, 2.0, 0.25), 395.0);
        // Idle: 100 + 2 x 30 = 160 W.
        assert_eq!(m.watts(0.0, 2.0, 0.0), 160.0);
        // Without the GPU term the GPUs draw nothing.
        assert_eq!(NodePower::cpu(m.cpu.clone()).watts(0.5, 2.0, 1.0), 200.0);
    }
}

//! Resource vectors. CPU is counted in millicores, GPUs in thousandths of a GPU and sizes in bytes,
//! all integers, so that allocating and releasing the same demand a million times leaves exactly zero
//! behind (floats would drift).
//!
//! GPUs are the fourth dimension, with two twists the scalar dimensions do not have. A GPU demand is
//! either a share of one GPU (`0 < gpu_milli < 1000`, as the Alibaba GPU 2023 trace's shared pods)
//! or whole GPUs (a multiple of 1000): [`gpu_demand_error`] refuses the rest. And a node's free GPU
//! capacity is not a sum: a share must fit on one physical GPU (see
//! [`crate::cluster::GpuSlots::placeable`], which keeps the comparison a plain `<=`). The GPU model
//! a task accepts, and the model a node has, travel as a [`GpuModels`] bit set.

use std::ops::{Add, AddAssign, Sub, SubAssign};

use serde::{Deserialize, Serialize};

/// Number of resource dimensions a node has.
pub const DIMS: usize = 3;

/// Names of the resource dimensions, in the order of [`Resources::dims`].
pub const DIM_NAMES: [&str; DIMS] = ["cpu", "memory", "disk"];

/// Thousandths of a GPU in one whole GPU.
pub const GPU_MILLI: u64 = 1000;

/// A set of GPU models, one bit per model of the scenario's model table (at most 64). In a node's
/// capacity: the node's model (empty when it has no GPUs). In a demand: the models the task accepts
/// (empty: any). Sums and maxima take the union, so a sum or maximum of capacities is an upper bound
/// that no model-restricted demand is wrongly refused by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct GpuModels(pub u64);

impl GpuModels {
    /// No model: "any" in a demand, "no GPUs" in a capacity.
    pub const ANY: GpuModels = GpuModels(0);

    /// The set holding model number `index` only.
    pub fn only(index: usize) -> GpuModels {
        GpuModels(1 << index)
    }

    /// True for the empty set.
    pub fn is_any(&self) -> bool {
        self.0 == 0
    }
}

/// A vector of CPU (millicores), memory (bytes), disk (bytes) and GPU (thousandths of a GPU), plus
/// the GPU models involved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Resources {
    /// CPU in millicores (1000 = one core).
    pub cpu_milli: u64,
    /// Memory in bytes.
    pub memory: u64,
    /// Disk in bytes.
    pub disk: u64,
    /// GPU in thousandths of a GPU (see the module docs for what a demand may be).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub gpu_milli: u64,
    /// GPU models: accepted ones in a demand (empty: any), the node's in a capacity.
    #[serde(default, skip_serializing_if = "GpuModels::is_any")]
    pub gpu_models: GpuModels,
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

/// Why a GPU demand of `gpu_milli` thousandths cannot be placed as asked, or `None` when it can: a
/// demand is a share of one GPU (1 to 999) or whole GPUs (a multiple of 1000).
pub fn gpu_demand_error(gpu_milli: u64) -> Option<String> {
    (gpu_milli > GPU_MILLI && !gpu_milli.is_multiple_of(GPU_MILLI)).then(|| {
        format!(
            "a GPU demand is a share of one GPU (below 1) or whole GPUs, got {}",
            gpu_milli as f64 / GPU_MILLI as f64
        )
    })
}

impl Resources {
    /// The zero vector.
    pub const ZERO: Resources = Resources {
        cpu_milli: 0,
        memory: 0,
        disk: 0,
        gpu_milli: 0,
        gpu_models: GpuModels::ANY,
    };

    /// A vector from cores (rounded to the nearest millicore) and byte sizes, without GPUs.
    pub fn new(cpu_cores: f64, memory: u64, disk: u64) -> Resources {
        Resources {
            cpu_milli: cores_to_milli(cpu_cores),
            memory,
            disk,
            ..Resources::ZERO
        }
    }

    /// The same vector with `gpu_milli` thousandths of a GPU of the `models` given.
    pub fn with_gpu(self, gpu_milli: u64, models: GpuModels) -> Resources {
        Resources {
            gpu_milli,
            gpu_models: models,
            ..self
        }
    }

    /// GPUs as a number (0.5 = half of one GPU).
    pub fn gpus(&self) -> f64 {
        self.gpu_milli as f64 / GPU_MILLI as f64
    }

    /// The scalar dimensions as an array (cpu, memory, disk), for code that treats them alike. GPUs
    /// are left out: the classic scoring functions and the utilisation columns see these three
    /// (the GPU-aware placements read `gpu_milli` and the node's GPUs themselves).
    pub fn dims(&self) -> [u64; DIMS] {
        [self.cpu_milli, self.memory, self.disk]
    }

    /// CPU in cores.
    pub fn cpu_cores(&self) -> f64 {
        self.cpu_milli as f64 / 1000.0
    }

    /// True when every dimension of demand `self` is at most that of `other` and, when `self`
    /// asks for GPUs of given models, `other` has one of them.
    pub fn fits_in(&self, other: &Resources) -> bool {
        self.cpu_milli <= other.cpu_milli
            && self.memory <= other.memory
            && self.disk <= other.disk
            && self.gpu_milli <= other.gpu_milli
            && (self.gpu_milli == 0
                || self.gpu_models.is_any()
                || self.gpu_models.0 & other.gpu_models.0 != 0)
    }

    /// Component-wise subtraction that stops at zero (the models are `self`'s).
    pub fn saturating_sub(&self, other: &Resources) -> Resources {
        Resources {
            cpu_milli: self.cpu_milli.saturating_sub(other.cpu_milli),
            memory: self.memory.saturating_sub(other.memory),
            disk: self.disk.saturating_sub(other.disk),
            gpu_milli: self.gpu_milli.saturating_sub(other.gpu_milli),
            gpu_models: self.gpu_models,
        }
    }

    /// Component-wise minimum (the models are `self`'s).
    pub fn min(&self, other: &Resources) -> Resources {
        Resources {
            cpu_milli: self.cpu_milli.min(other.cpu_milli),
            memory: self.memory.min(other.memory),
            disk: self.disk.min(other.disk),
            gpu_milli: self.gpu_milli.min(other.gpu_milli),
            gpu_models: self.gpu_models,
        }
    }

    /// Component-wise maximum (the models: the union).
    pub fn max(&self, other: &Resources) -> Resources {
        Resources {
            cpu_milli: self.cpu_milli.max(other.cpu_milli),
            memory: self.memory.max(other.memory),
            disk: self.disk.max(other.disk),
            gpu_milli: self.gpu_milli.max(other.gpu_milli),
            gpu_models: GpuModels(self.gpu_models.0 | other.gpu_models.0),
        }
    }

    /// Each dimension of `self` as a fraction of `capacity` (0 where the capacity is 0).
    pub fn fractions_of(&self, capacity: &Resources) -> [f64; DIMS] {
        let (a, c) = (self.dims(), capacity.dims());
        std::array::from_fn(|i| {
            if c[i] == 0 {
                0.0
            } else {
                a[i] as f64 / c[i] as f64
            }
        })
    }
}

/// Cores to millicores, rounded to nearest; negative or NaN gives 0.
pub fn cores_to_milli(cores: f64) -> u64 {
    crate::rounding::round_to_u64(cores * 1000.0)
}

impl Add for Resources {
    type Output = Resources;
    /// The sum; the models are the union.
    fn add(self, o: Resources) -> Resources {
        Resources {
            cpu_milli: self.cpu_milli + o.cpu_milli,
            memory: self.memory + o.memory,
            disk: self.disk + o.disk,
            gpu_milli: self.gpu_milli + o.gpu_milli,
            gpu_models: GpuModels(self.gpu_models.0 | o.gpu_models.0),
        }
    }
}

impl AddAssign for Resources {
    fn add_assign(&mut self, o: Resources) {
        *self = *self + o;
    }
}

impl Sub for Resources {
    type Output = Resources;
    /// Panics on underflow: releasing more than was allocated is an engine bug, not a user error.
    /// The models are `self`'s.
    fn sub(self, o: Resources) -> Resources {
        Resources {
            cpu_milli: self
                .cpu_milli
                .checked_sub(o.cpu_milli)
                .expect("cpu released more than allocated"),
            memory: self
                .memory
                .checked_sub(o.memory)
                .expect("memory released more than allocated"),
            disk: self
                .disk
                .checked_sub(o.disk)
                .expect("disk released more than allocated"),
            gpu_milli: self
                .gpu_milli
                .checked_sub(o.gpu_milli)
                .expect("GPU released more than allocated"),
            gpu_models: self.gpu_models,
        }
    }
}

impl SubAssign for Resources {
    fn sub_assign(&mut self, o: Resources) {
        *self = *self - o;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_requires_every_dimension() {
        let cap = Resources {
            cpu_milli: 4000,
            memory: 100,
            disk: 10,
            ..Resources::ZERO
        };
        assert!(Resources {
            cpu_milli: 4000,
            memory: 100,
            disk: 10,
            ..Resources::ZERO
        }
        .fits_in(&cap));
        assert!(!Resources {
            cpu_milli: 1,
            memory: 101,
            disk: 0,
            ..Resources::ZERO
        }
        .fits_in(&cap));
        assert!(!Resources {
            cpu_milli: 4001,
            memory: 0,
            disk: 0,
            ..Resources::ZERO
        }
        .fits_in(&cap));
    }

    #[test]
    fn cores_round_to_millicores() {
        assert_eq!(cores_to_milli(0.0015), 2);
        assert_eq!(cores_to_milli(2.5), 2500);
        assert_eq!(cores_to_milli(-1.0), 0);
    }
}

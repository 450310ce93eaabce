//! Resource vectors. CPU is counted in millicores and sizes in bytes, all integers, so that allocating
//! and releasing the same demand a million times leaves exactly zero behind (floats would drift).

use std::ops::{Add, AddAssign, Sub, SubAssign};

use serde::{Deserialize, Serialize};

/// Number of resource dimensions a node has.
pub const DIMS: usize = 3;

/// Names of the resource dimensions, in the order of [`Resources::dims`].
pub const DIM_NAMES: [&str; DIMS] = ["cpu", "memory", "disk"];

/// A vector of CPU (millicores), memory (bytes) and disk (bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Resources {
    /// CPU in millicores (1000 = one core).
    pub cpu_milli: u64,
    /// Memory in bytes.
    pub memory: u64,
    /// Disk in bytes.
    pub disk: u64,
}

impl Resources {
    /// The zero vector.
    pub const ZERO: Resources = Resources {
        cpu_milli: 0,
        memory: 0,
        disk: 0,
    };

    /// A vector from cores (rounded to the nearest millicore) and byte sizes.
    pub fn new(cpu_cores: f64, memory: u64, disk: u64) -> Resources {
        Resources {
            cpu_milli: cores_to_milli(cpu_cores),
            memory,
            disk,
        }
    }

    /// The dimensions as an array (cpu, memory, disk), for code that treats them alike.
    pub fn dims(&self) -> [u64; DIMS] {
        [self.cpu_milli, self.memory, self.disk]
    }

    /// CPU in cores.
    pub fn cpu_cores(&self) -> f64 {
        self.cpu_milli as f64 / 1000.0
    }

    /// True when every dimension of `self` is at most that of `other`.
    pub fn fits_in(&self, other: &Resources) -> bool {
        self.cpu_milli <= other.cpu_milli && self.memory <= other.memory && self.disk <= other.disk
    }

    /// Component-wise subtraction that stops at zero.
    pub fn saturating_sub(&self, other: &Resources) -> Resources {
        Resources {
            cpu_milli: self.cpu_milli.saturating_sub(other.cpu_milli),
            memory: self.memory.saturating_sub(other.memory),
            disk: self.disk.saturating_sub(other.disk),
        }
    }

    /// Component-wise minimum.
    pub fn min(&self, other: &Resources) -> Resources {
        Resources {
            cpu_milli: self.cpu_milli.min(other.cpu_milli),
            memory: self.memory.min(other.memory),
            disk: self.disk.min(other.disk),
        }
    }

    /// Component-wise maximum.
    pub fn max(&self, other: &Resources) -> Resources {
        Resources {
            cpu_milli: self.cpu_milli.max(other.cpu_milli),
            memory: self.memory.max(other.memory),
            disk: self.disk.max(other.disk),
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
    if cores.is_nan() || cores <= 0.0 {
        0
    } else {
        (cores * 1000.0).round() as u64
    }
}

impl Add for Resources {
    type Output = Resources;
    fn add(self, o: Resources) -> Resources {
        Resources {
            cpu_milli: self.cpu_milli + o.cpu_milli,
            memory: self.memory + o.memory,
            disk: self.disk + o.disk,
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
        };
        assert!(Resources {
            cpu_milli: 4000,
            memory: 100,
            disk: 10
        }
        .fits_in(&cap));
        assert!(!Resources {
            cpu_milli: 1,
            memory: 101,
            disk: 0
        }
        .fits_in(&cap));
        assert!(!Resources {
            cpu_milli: 4001,
            memory: 0,
            disk: 0
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

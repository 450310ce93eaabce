pub mod cluster;
pub mod ids;
pub mod resources;
pub mod rng;
pub mod sched;
pub mod time;
pub mod units;
pub mod workload;

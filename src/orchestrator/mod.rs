//! simctl as a small real orchestrator: a manager (`simctl serve`) with an HTTP API and a task
//! store, worker agents (`simctl worker`) that run tasks as containers on their local Docker
//! engine, and a thin client (`simctl submit`, `simctl tasks`, `simctl stop`). The manager decides
//! with the same sans-IO control plane ([`crate::control`]) as the simulator and `simctl docker
//! run`, driven by the wall clock, so a policy chosen in simulation runs unchanged for real.

pub mod client;
pub mod manager;
pub mod request;
pub mod store;
pub mod wire;
pub mod worker;

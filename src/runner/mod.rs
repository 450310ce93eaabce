//! Groundwork for the real-Docker runner (issue 10): everything the wall-clock driver will need
//! to talk to a Docker engine, built and tested against the real engine, without the engine's
//! control logic (that is extracted into a sans-IO control plane later and driven from here).
//!
//! - [`burn`] is the workload the runner's containers execute: `simctl burn` really consumes CPU
//!   and memory for a while and can answer `/health` ([`health`]); [`probe`] is the matching
//!   HTTP client;
//! - [`static_bin`] finds or builds the statically linked `simctl`, and [`image`] bakes it into a
//!   `FROM scratch` image, because no registry is reachable;
//! - [`runtime`] is the narrow [`runtime::ContainerRuntime`] trait over a container engine, with
//!   the [`docker`] implementation (the `docker` CLI, arguments passed as arguments, never through
//!   a shell) and an in-memory [`fake`] for unit tests; [`spec`] says what a container is allowed
//!   to be (hard limits, labels, no privileges, no host mounts);
//! - [`events`] parses the engine's container events and [`event_stream`] streams them;
//! - [`clean`] removes what simctl created and nothing else;
//! - [`procfs`] samples node metrics from the kernel and [`stats`] parses per-container usage;
//! - [`calibrate`] measures the engine's container start latency for the scenario's
//!   `start_delay`.

pub mod burn;
pub mod calibrate;
pub mod clean;
pub mod docker;
pub mod drive;
pub mod error;
pub mod event_stream;
pub mod events;
pub mod fake;
pub mod health;
pub mod image;
pub mod plan;
pub mod probe;
pub mod procfs;
pub mod runtime;
pub mod spec;
pub mod static_bin;
pub mod stats;
pub mod usage;
pub mod versus;

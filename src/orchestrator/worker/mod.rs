//! The worker agent (`simctl worker`): one per machine (or several on distinct loopback
//! addresses for tests). It registers with the manager, starts the launches the manager pushes
//! as containers on the local Docker engine (hard limits, labels, no privileges), reports what
//! becomes of them as soon as it sees it, checks their health, and heartbeats node metrics.
//!
//! The modules, one job each:
//! - [`config`] checks the command line; [`launch`] checks a launch and makes its container;
//! - [`table`] is the launch bookkeeping; [`outbox`] keeps reports until acknowledged;
//! - [`containers`], [`health`] and [`scan`] are the engine-facing work; [`metrics`] samples the
//!   node;
//! - [`manager`] calls the manager; [`api`] serves the worker API; [`agent`] wires them;
//! - [`fence`] and [`lease`] make sure a dead agent's containers are gone before the manager
//!   runs their tasks elsewhere.

pub mod agent;
pub mod api;
pub mod config;
pub mod containers;
pub mod fence;
pub mod health;
pub mod launch;
pub mod lease;
pub mod manager;
pub mod metrics;
pub mod outbox;
pub mod scan;
pub mod table;

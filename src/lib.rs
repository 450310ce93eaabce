//! # simctl: a deterministic discrete-event cluster simulator
//!
//! simctl answers "which balancing and failover strategy should this cluster run?" before anyone
//! touches production. A scenario file describes a cluster (node groups with CPU, memory, disk and
//! speed), a workload (synthetic distributions or a real trace), faults, a failover policy and the
//! schedulers to compare; simctl runs every scheduler on the same tasks and the same crash sequence
//! and writes tidy CSV/JSON results and plots.
//!
//! The pieces, in data-flow order:
//! - [`config`] parses and validates scenario files and expands sweeps into runs;
//! - [`workload`] produces task streams (synthetic, or replayed from traces);
//! - [`engine`] is the event loop over integer virtual time, ordered by (time, sequence) so that
//!   ties are deterministic;
//! - [`cluster`] holds node capacities and allocations (integers, never drifting) and indexes;
//! - [`sched`] is pure decision logic: queue policies, placements and the shared [`sched::scoring`]
//!   functions, which never read a clock or do I/O (the same code drives a real-Docker runner);
//! - [`faults`] and [`failover`] say what breaks and what happens to the work on it;
//! - [`metrics`] keeps bounded-memory statistics; [`output`], [`compare`] and [`plot`] write them;
//! - [`sweep`] runs the runs in parallel, with results independent of the thread count.

pub mod cli;
pub mod cluster;
pub mod compare;
pub mod config;
pub mod engine;
pub mod failover;
pub mod faults;
pub mod ids;
pub mod metrics;
pub mod output;
pub mod plot;
pub mod resources;
pub mod rng;
pub mod sched;
pub mod special;
pub mod sweep;
pub mod time;
pub mod units;
pub mod workload;

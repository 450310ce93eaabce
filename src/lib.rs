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
//! - [`control`] is the sans-IO control plane: task table, queues, cluster view, scheduler
//!   invocation, failover mechanics, dependencies and metrics hooks, with no clock and no I/O;
//! - [`engine`] is the event loop over integer virtual time, ordered by (time, sequence) so that
//!   ties are deterministic, that drives the control plane with simulated time;
//! - [`cluster`] holds node capacities and allocations (integers, never drifting) and indexes;
//! - [`sched`] is pure decision logic: queue policies, placements and the shared [`sched::scoring`]
//!   functions, which never read a clock or do I/O (so a future real-Docker driver can reuse them);
//! - [`faults`] and [`failover`] say what breaks and what happens to the work on it;
//! - [`metrics`] keeps bounded-memory statistics; [`output`], [`compare`] and [`plot`] write them;
//! - [`sweep`] runs the runs in parallel, with results independent of the thread count;
//! - [`bench`](mod@bench) measures the simulator itself (`simctl bench`: speed, memory, a bare-heap yardstick);
//! - [`runner`] is the groundwork of the real-Docker runner (burn workload, image, container
//!   runtime, events, cleanup, kernel metrics, start-latency calibration).
//!
//! A whole study from a scenario text, as `simctl run` does it but in memory:
//!
//! ```
//! use std::path::Path;
//!
//! let text = r#"
//!     [scenario]
//!     name = "doc"
//!     horizon = "1h"
//!     [[cluster.nodes]]
//!     count = 4
//!     cpu = 1
//!     memory = "1GiB"
//!     [workload]
//!     arrival = { process = "poisson", rate = 3.0 }
//!     duration = { dist = "exponential", mean = "1s" }
//!     cpu = 1
//!     [[scheduler]]
//!     name = "fifo"
//!     placement = "first-fit"
//! "#;
//! let file = simctl::config::parse(text, Path::new("doc.toml")).unwrap();
//! let runs = simctl::sweep::plan(&file, None);
//! let results = simctl::sweep::run_in_memory(&file, &runs, 1, true).unwrap();
//! let s = &results[0].summary;
//! // Every task ends exactly once, or is still running or waiting at the horizon.
//! assert_eq!(
//!     s.tasks_submitted,
//!     s.tasks_completed + s.tasks_failed + s.tasks_unschedulable + s.tasks_running_at_end + s.tasks_pending_at_end
//! );
//! // Four one-core nodes at 3 tasks/s of 1 s each: about 75% busy.
//! assert!((s.util_cpu - 0.75).abs() < 0.05);
//! ```

#![warn(missing_docs)]

pub mod bench;
pub mod cli;
pub mod cluster;
pub mod compare;
pub mod config;
pub mod control;
pub mod engine;
pub mod failover;
pub mod fast_hash;
pub mod faults;
pub mod http;
pub mod ids;
pub mod metrics;
pub mod monitor;
pub mod orchestrator;
pub mod output;
pub mod plot;
pub mod prefetch;
pub mod report;
pub mod resources;
pub mod rng;
pub mod rounding;
pub mod runner;
pub mod sched;
pub mod special;
pub mod sweep;
pub mod time;
pub mod units;
pub mod workload;

//! Measuring the simulator itself (`simctl bench`): each run in a process of its own, so its peak
//! memory is its own; its CPU time and speed in events per CPU second; and, as a yardstick, a bare
//! binary heap doing the same number of pending events' worth of queue work.

pub mod bare_heap;
pub mod line;
pub mod minimal_mmc;
pub mod table;
pub mod usage;

pub use line::{measure, BenchLine};

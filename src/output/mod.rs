//! Result files of a scenario: `summary.csv`, `quantiles.csv`, `timeseries.csv`, `tasks.csv`,
//! `runs.json` and `timing.csv`, each written atomically. Everything but `timing.csv` and the `wall_s`
//! column is a pure function of the scenario and seed.
//!
//! Each run saves a [`record::RunRecord`] when it ends; [`assemble::assemble`] turns records into the
//! files. Resuming, sharding and merging are all "assemble the same records".

pub mod assemble;
pub mod atomic;
pub mod cleanup;
pub mod record;
pub mod table;
pub mod tasks;

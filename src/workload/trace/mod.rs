//! Real cluster traces replayed as simctl workloads.
//!
//! Every format has a reader (one file each) that turns lines into [`pipeline::RawTask`]s in file
//! order; the shared [`pipeline::Replay`] orders them by arrival, applies the [`TraceSpec`] options and
//! yields [`TaskSpec`](crate::workload::TaskSpec)s through [`WorkloadSource`]. Readers stream: memory is
//! bounded by what a format inherently needs (Google's open tasks, Alibaba 2017's unsorted rows), and
//! each reader's doc says what that is.
//!
//! | format | tasks | observed | deps | cluster / node events |
//! |---|---|---|---|---|
//! | `google2011` | task_events SUBMIT | wait, run time, outcome | no (jobs group tasks) | no |
//! | `alibaba2017` | batch_task rows | create→end time, status | no (ids carry none) | no |
//! | `alibaba2018` | batch_task rows | run time, status | from task names (`R2_1`) | `nodes = machine_meta` |
//! | `alibaba2018-machines` | none | - | - | machine_meta: nodes and up/down events |
//! | `gpu2023` | pod list | wait, run time, phase | no | node list (`nodes`, default sibling file) |
//! | `gpu2023-nodes` | none | - | - | node list |
//! | `swf` | jobs | wait, run time, status | preceding job (field 17) | MaxProcs header |
//! | `azure-llm` | requests | - | no | no |
//! | `csv` | rows (simctl's own format) | - | `deps` column | no |
//!
//! Trace time (the `window_start`/`window_end` keys) is each format's own clock in seconds; simulated
//! time 0 is `window_start` when given, else the format's origin (see [`TraceFormat::origin_us`]).
//!
//! Two options apply to every format, for experiments that measure allocation as the arrived
//! workload grows (Weng et al., USENIX ATC 2023): `hold = true` makes every replayed task hold its
//! resources until the run ends (its duration becomes [`HOLD`]; the scenario needs a horizon), and
//! `resample = { tasks, every }` draws tasks from the replay instead of replaying it in order
//! ([`resample`]).

pub mod alibaba2017;
pub mod alibaba2018;
pub mod azure;
pub mod checksum;
pub mod csv_own;
pub mod field;
pub mod google2011;
pub mod gpu2023;
pub mod info;
pub mod input;
pub mod nodes;
pub mod pipeline;
pub mod report;
pub mod resample;
pub mod spec;
pub mod swf;
#[cfg(test)]
mod tests_corrupt;
#[cfg(test)]
mod tests_samples;
#[cfg(test)]
mod tests_spec;

pub use info::{trace_info, TraceInfo};
pub use nodes::NodeEvent;
pub use report::{SharedReport, SkipReport};
pub use spec::{LlmRule, Resample, SwfCluster, TraceSpec, Unfinished, HOLD};

use std::path::Path;

use crate::cluster::NodeGroup;
use crate::workload::{WorkloadError, WorkloadSource};
use pipeline::{RawSource, Replay, ReplayOptions};
use report::Reporter;

/// A trace file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraceFormat {
    /// Google clusterdata-2011-2 task_events.
    Google2011,
    /// Alibaba cluster-trace-v2017 batch_task.
    Alibaba2017,
    /// Alibaba cluster-trace-v2018 batch_task (task names encode the DAG).
    Alibaba2018,
    /// Alibaba cluster-trace-v2018 machine_meta (nodes only).
    Alibaba2018Machines,
    /// Alibaba cluster-trace-gpu-v2023 pod list.
    Gpu2023,
    /// Alibaba cluster-trace-gpu-v2023 node list (nodes only).
    Gpu2023Nodes,
    /// Standard Workload Format (Parallel Workloads Archive).
    Swf,
    /// Azure LLM inference trace 2023.
    AzureLlm,
    /// simctl's own CSV (`arrival_s,duration_s,cpu,memory,disk[,priority,user,job,deps]`).
    Csv,
}

const NAMES: [(&str, TraceFormat); 9] = [
    ("google2011", TraceFormat::Google2011),
    ("alibaba2017", TraceFormat::Alibaba2017),
    ("alibaba2018", TraceFormat::Alibaba2018),
    ("alibaba2018-machines", TraceFormat::Alibaba2018Machines),
    ("gpu2023", TraceFormat::Gpu2023),
    ("gpu2023-nodes", TraceFormat::Gpu2023Nodes),
    ("swf", TraceFormat::Swf),
    ("azure-llm", TraceFormat::AzureLlm),
    ("csv", TraceFormat::Csv),
];

impl TraceFormat {
    /// The format named `name` (as in scenario files and `--format`).
    pub fn parse(name: &str) -> Result<TraceFormat, String> {
        NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                let all: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
                format!(
                    "unknown trace format \"{name}\" (expected one of: {})",
                    all.join(", ")
                )
            })
    }

    /// The format's name.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("?", |(n, _)| n)
    }

    /// Whether the file lists nodes rather than tasks.
    pub fn is_node_list(self) -> bool {
        matches!(
            self,
            TraceFormat::Alibaba2018Machines | TraceFormat::Gpu2023Nodes
        )
    }

    /// Trace time (µs) that becomes simulated time 0 when no `window_start` is given; `None` means the
    /// first task's arrival (Azure's wall-clock timestamps). Google: 600 s, where its window opens.
    pub fn origin_us(self) -> Option<i64> {
        match self {
            TraceFormat::Google2011 => Some(google2011::WINDOW_START_US),
            TraceFormat::AzureLlm => None,
            _ => Some(0),
        }
    }

    /// Default reorder slack (µs; `None` = whole file): only Alibaba 2017 is not sorted by arrival.
    fn default_reorder(self) -> Option<u64> {
        match self {
            TraceFormat::Alibaba2017 => None,
            _ => Some(0),
        }
    }
}

fn secs_to_us(s: f64) -> i64 {
    (s * 1e6).round() as i64
}

impl TraceSpec {
    /// The replay as a workload source; `seed` drives job sampling only.
    pub fn open(&self, seed: u64) -> Result<Box<dyn WorkloadSource>, WorkloadError> {
        Ok(self.open_replay(seed)?.0)
    }

    /// The replay (resampled when the spec says so) and its shared skip report (read it after the
    /// replay for "skipped N lines: ...").
    pub fn open_replay(
        &self,
        seed: u64,
    ) -> Result<(Box<dyn WorkloadSource>, SharedReport), WorkloadError> {
        let (replay, shared) = self.open_in_order(seed)?;
        match self.resample {
            None => Ok((Box::new(replay), shared)),
            Some(opts) => {
                let shown = self.path.display().to_string();
                let drawn = resample::Resampled::new(Box::new(replay), opts, seed, &shown)?;
                Ok((Box::new(drawn), shared))
            }
        }
    }

    /// The replay in trace order, whatever `resample` says.
    fn open_in_order(&self, seed: u64) -> Result<(Replay, SharedReport), WorkloadError> {
        let shown = self.path.display().to_string();
        let rep = Reporter::new(&shown, self.strict);
        let source = self.raw_source(rep.clone())?;
        let reorder = match self.reorder {
            Some(r) => r.map(|d| d.0),
            None => self.format.default_reorder(),
        };
        let opts = ReplayOptions {
            window_start: self.window_start.map(secs_to_us),
            window_end: self.window_end.map(secs_to_us),
            origin: self
                .window_start
                .map(secs_to_us)
                .or(self.format.origin_us()),
            sample: self.sample,
            seed,
            time_scale: self.time_scale,
            load: self.load,
            reorder,
            max_buffer: self.max_open,
            track_deps: matches!(
                self.format,
                TraceFormat::Alibaba2018 | TraceFormat::Swf | TraceFormat::Csv
            ),
            expand_copies: self.expand_instances,
            hold: self.hold,
        };
        let shared = rep.shared();
        Ok((Replay::new(source, opts, rep), shared))
    }

    fn raw_source(&self, rep: Reporter) -> Result<Box<dyn RawSource>, WorkloadError> {
        let lines = input::Lines::open(&self.path)?;
        Ok(match self.format {
            TraceFormat::Google2011 => Box::new(google2011::Reader::new(lines, rep, self)),
            TraceFormat::Alibaba2017 => Box::new(alibaba2017::Reader::new(lines, rep, self)),
            TraceFormat::Alibaba2018 => Box::new(alibaba2018::Reader::new(lines, rep, self)),
            TraceFormat::Gpu2023 => Box::new(gpu2023::Reader::new(lines, rep, self)),
            TraceFormat::Swf => Box::new(swf::Reader::new(lines, rep, self)),
            TraceFormat::AzureLlm => Box::new(azure::Reader::new(lines, rep, self)),
            TraceFormat::Csv => Box::new(csv_own::Reader::new(lines, rep, self)?),
            TraceFormat::Alibaba2018Machines | TraceFormat::Gpu2023Nodes => {
                return Err(WorkloadError::Invalid(format!(
                    "{}: format \"{}\" lists nodes, not tasks (give it as `nodes`)",
                    self.path.display(),
                    self.format.name()
                )))
            }
        })
    }

    /// Checks that every gzip file of the spec (trace and node list) decompresses whole, CRC and length
    /// included. Call it before any work starts: a replay cut short by its horizon or window never
    /// reads a file's last bytes, where gzip keeps its checks.
    pub fn verify_compressed(&self) -> Result<(), WorkloadError> {
        input::verify(&self.path)?;
        match self.node_file() {
            Some((path, _)) if path != self.path => input::verify(&path),
            _ => Ok(()),
        }
    }

    /// Reads the node list, if the spec has one, with the spec's strictness: with `strict`, a
    /// malformed line is an error. For `run --strict`, which makes a spec strict after its scenario
    /// (and so its node list) was loaded leniently.
    pub fn check_nodes(&self) -> Result<(), WorkloadError> {
        match self.node_file() {
            Some((path, format)) => nodes::read_nodes(&path, format, self).map(|_| ()),
            None => Ok(()),
        }
    }

    /// The node file this spec takes its cluster from, if any, and its format.
    fn node_file(&self) -> Option<(std::path::PathBuf, TraceFormat)> {
        match (self.format, &self.nodes) {
            (f, _) if f.is_node_list() => Some((self.path.clone(), f)),
            (_, Some(p)) => Some((p.clone(), nodes::sniff(p))),
            (TraceFormat::Gpu2023, None) => {
                let dir = self.path.parent().unwrap_or(Path::new("."));
                Some((
                    dir.join(gpu2023::DEFAULT_NODE_LIST),
                    TraceFormat::Gpu2023Nodes,
                ))
            }
            _ => None,
        }
    }

    /// The cluster the trace defines, if it defines one (node lists, machine_meta, SWF MaxProcs): the
    /// engine should use it instead of the scenario's `[[cluster.nodes]]`.
    pub fn cluster(&self) -> Result<Option<Vec<NodeGroup>>, WorkloadError> {
        if let Some((path, format)) = self.node_file() {
            return nodes::read_nodes(&path, format, self).map(|n| Some(n.groups));
        }
        if self.format == TraceFormat::Swf {
            return swf::cluster(self).map(Some);
        }
        Ok(None)
    }

    /// Node up/down events the trace records (alibaba2018 machine_meta), on the replay's clock, sorted
    /// by (time, node); node numbers index the nodes of [`TraceSpec::cluster`] in order.
    pub fn node_events(&self) -> Result<Vec<NodeEvent>, WorkloadError> {
        match self.node_file() {
            Some((path, format)) => nodes::read_nodes(&path, format, self).map(|n| n.events),
            None => Ok(Vec::new()),
        }
    }

    /// Trace time (µs) to simulated time, the same mapping task arrivals use.
    pub fn to_sim_time(&self, trace_us: i64) -> crate::time::SimTime {
        let origin = self
            .window_start
            .map(secs_to_us)
            .or(self.format.origin_us())
            .unwrap_or(0);
        let offset = trace_us.saturating_sub(origin).max(0) as f64;
        crate::time::SimTime((offset * self.time_scale / self.load).round() as u64)
    }
}

/// A span of whole seconds (negative spans are zero). Field limits ([`field::SECONDS`] and
/// [`field::SIGNED_SECONDS`]) keep every span far from overflowing.
pub(crate) fn secs(s: i64) -> crate::time::SimDuration {
    crate::time::SimDuration(s.max(0) as u64 * crate::time::MICROS_PER_SEC)
}

/// Whole seconds of trace time to microseconds (in range by the field limits).
pub(crate) fn us(s: i64) -> i64 {
    s * 1_000_000
}

/// MiB to bytes (in range by [`field::MIB`]).
pub(crate) fn mib(m: u64) -> u64 {
    m << 20
}

/// A stable 32-bit id for a user or job name (FNV-1a folded).
pub(crate) fn name_id(name: &str) -> u32 {
    let h = crate::rng::label_hash(name);
    (h ^ (h >> 32)) as u32
}

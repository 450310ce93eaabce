//! Alibaba cluster-trace-gpu-v2023 pod list (header row; 11 columns: name, cpu_milli, memory_mib,
//! num_gpu, gpu_milli, gpu_spec, qos, pod_phase, creation_time, deletion_time, scheduled_time).
//!
//! arrival = creation_time, duration = deletion_time − scheduled_time, `Observed.wait` =
//! scheduled_time − creation_time. Pods still Running have their deletion time
//! at the snapshot's end and are replayed with it. Pods never scheduled (Pending, empty
//! scheduled_time) did not run and are dropped ("never scheduled"). CPU and memory are exact
//! (millicores, MiB). QoS becomes the priority: Guaranteed 3, LS 2, Burstable 1, BE 0. The cluster
//! is the node list (see [`crate::workload::trace::nodes`]), by default
//! `openb_node_list_all_node.csv` beside the pod list.
//!
//! GPUs are replayed ([`gpu_demand`]): `num_gpu` = 1 with `gpu_milli` below 1000 is a share of one
//! GPU (`gpu_milli` thousandths), `num_gpu` = k with `gpu_milli` = 1000 is k whole GPUs, `num_gpu` =
//! 0 (with `gpu_milli` 0) is no GPU. Any other combination (several GPUs with a share each,
//! `gpu_milli` above 1000, a GPU count with no share, a share without a GPU) makes the line
//! malformed: counted and skipped, or an error under `strict`. A pod asking for more GPUs than any
//! node has is replayed and is unschedulable at run time.
//!
//! `gpu_spec` (`|`-separated model names, empty = any model) is resolved against the model table of
//! the node list (models numbered in order of first appearance, as
//! [`crate::cluster::number_gpu_models`] does for the cluster the run uses), read when the first
//! pod names a model (a run always has the node list; without one, as `trace info` on a pod list
//! alone, no model is known). Names no node has are left out of the accepted set; a pod all of whose names
//! are unknown accepts a model bit no node has (the first unused one), so it fits no node and the
//! engine counts it unschedulable, like any task too large for every node. (With 64 models in the
//! node list no bit is unused and such a pod is dropped: "gpu_spec names no GPU model of the node
//! list".)

use crate::resources::{gpu_demand_error, GpuModels, Resources, GPU_MILLI};
use crate::workload::trace::field::{self, num};
use crate::workload::trace::input::{next_record, split_into, Lines};
use crate::workload::trace::pipeline::{RawSource, RawTask};
use crate::workload::trace::report::Reporter;
use crate::workload::trace::{mib, nodes, secs, us, TraceSpec};
use crate::workload::{Observed, TaskKind, WorkloadError};

/// Why a pod whose `gpu_spec` names only unknown models is dropped when the node list has 64 models
/// (no unused model bit is left to mark it).
pub const NO_KNOWN_MODEL: &str = "gpu_spec names no GPU model of the node list";

/// The node list used when the spec names none: all 1,523 nodes of the published cluster.
pub const DEFAULT_NODE_LIST: &str = "openb_node_list_all_node.csv";

/// QoS class name to priority.
pub fn qos_priority(qos: &str) -> i32 {
    match qos {
        "Guaranteed" => 3,
        "LS" => 2,
        "Burstable" => 1,
        _ => 0,
    }
}

/// The GPU demand of a pod from its `num_gpu` and `gpu_milli` columns, in thousandths of a GPU, or
/// the reason the combination is malformed (see the module docs).
pub fn gpu_demand(num_gpu: u64, gpu_milli: u64) -> Result<u64, String> {
    let total = match (num_gpu, gpu_milli) {
        (0, 0) => return Ok(0),
        (0, _) => return Err("gpu_milli without a GPU (num_gpu 0)".into()),
        (_, 0) => return Err("num_gpu without a share (gpu_milli 0)".into()),
        (_, m) if m > GPU_MILLI => return Err("gpu_milli above 1000 (one GPU)".into()),
        (1, m) => m,
        (k, GPU_MILLI) => k * GPU_MILLI,
        _ => return Err("a share of a GPU (gpu_milli below 1000) on several GPUs".into()),
    };
    match gpu_demand_error(total) {
        Some(e) => Err(e),
        None => Ok(total),
    }
}

/// The models a `gpu_spec` accepts (`|`-separated names) in the model table `models` (index = bit):
/// empty spec = any model; names not in the table are left out; `None` when every name is unknown.
pub fn gpu_spec_models(spec: &str, models: &[String]) -> Option<GpuModels> {
    let mut mask = 0u64;
    let mut named = false;
    for name in spec.split('|').map(str::trim).filter(|n| !n.is_empty()) {
        named = true;
        if let Some(i) = models.iter().position(|m| m == name) {
            mask |= GpuModels::only(i).0;
        }
    }
    match (named, mask) {
        (false, _) => Some(GpuModels::ANY),
        (true, 0) => None,
        (true, m) => Some(GpuModels(m)),
    }
}

/// Streaming reader of the pod list.
pub struct Reader {
    lines: Lines,
    rep: Reporter,
    spec: TraceSpec,
    /// The node list's GPU model table, read at the first pod that names models.
    models: Option<Vec<String>>,
}

impl Reader {
    /// A reader of `lines`; `spec` tells where the node list is (for `gpu_spec`).
    pub fn new(lines: Lines, rep: Reporter, spec: &TraceSpec) -> Reader {
        Reader {
            lines,
            rep,
            spec: spec.clone(),
            models: None,
        }
    }

    /// The node list's model table (read once).
    fn models(&mut self) -> Result<&[String], WorkloadError> {
        if self.models.is_none() {
            // Without a node list (`trace info` on a pod list alone) no model is known.
            let table = match self.spec.node_file() {
                Some((path, format)) if path.exists() => {
                    nodes::read_nodes(&path, format, &self.spec)?.models
                }
                _ => Vec::new(),
            };
            self.models = Some(table);
        }
        Ok(self.models.as_deref().unwrap_or_default())
    }
}

/// A parsed pod: the task (its GPU models still to resolve) and its `gpu_spec`, or `Err(())` for a
/// well-formed pod that never ran.
type Pod = Result<(RawTask, Option<String>), ()>;

fn parse(line: u64, text: &str) -> Result<Option<Pod>, String> {
    let mut f = Vec::with_capacity(11);
    split_into(text, ',', &mut f);
    if f[0] == "name" {
        return Ok(None);
    }
    if f.len() != 11 {
        return Err("wrong field count".into());
    }
    let creation: i64 = num(f[8], "creation_time", field::SECONDS)?;
    let deletion: i64 = num(f[9], "deletion_time", field::SECONDS)?;
    let cpu: u64 = num(f[1], "cpu_milli", field::MILLI_CORES)?;
    let mem: u64 = num(f[2], "memory_mib", field::MIB)?;
    let num_gpu: u64 = num(f[3], "num_gpu", field::GPU_COUNT)?;
    let gpu_milli: u64 = num(f[4], "gpu_milli", field::GPU_MILLI)?;
    let gpu = gpu_demand(num_gpu, gpu_milli)?;
    if f[10].is_empty() {
        return Ok(Some(Err(())));
    }
    let scheduled: i64 = num(f[10], "scheduled_time", field::SECONDS)?;
    if scheduled < creation || deletion < scheduled {
        return Err("times out of order".into());
    }
    let duration = secs(deletion - scheduled);
    let class = qos_priority(f[6]);
    let gpu_spec = (gpu > 0 && !f[5].trim().is_empty()).then(|| f[5].to_string());
    let task = RawTask {
        line,
        key: line,
        job: line,
        arrival: us(creation),
        duration,
        requested: None,
        demand: Resources {
            cpu_milli: cpu,
            memory: mib(mem),
            disk: 0,
            gpu_milli: gpu,
            gpu_models: GpuModels::ANY,
        },
        priority: class,
        user: 0,
        kind: TaskKind::Batch,
        deps: Vec::new(),
        observed: Some(Observed {
            wait: Some(secs(scheduled - creation)),
            runtime: Some(duration),
        }),
        copies: 1,
    };
    Ok(Some(Ok((task, gpu_spec))))
}

impl RawSource for Reader {
    fn next_raw(&mut self) -> Result<Option<RawTask>, WorkloadError> {
        while let Some((line, pod)) = next_record(&mut self.lines, &self.rep, parse)? {
            self.rep.submitted();
            match pod {
                Ok((raw, None)) => return Ok(Some(raw)),
                Ok((mut raw, Some(names))) => {
                    let models = self.models()?;
                    match gpu_spec_models(&names, models) {
                        Some(mask) => raw.demand.gpu_models = mask,
                        // A model bit no node has: the engine finds it fits no node.
                        None if models.len() < 64 => {
                            raw.demand.gpu_models = GpuModels::only(models.len())
                        }
                        None => {
                            self.rep.dropped(line, NO_KNOWN_MODEL);
                            continue;
                        }
                    }
                    return Ok(Some(raw));
                }
                Err(()) => self.rep.dropped(line, "never scheduled"),
            }
        }
        Ok(None)
    }
}

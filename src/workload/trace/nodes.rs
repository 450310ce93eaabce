//! Node lists: the cluster a trace ran on, and node up/down events where the trace records them.
//!
//! - `gpu2023-nodes` (`sn,cpu_milli,memory_mib,gpu,model`, header row): one node per row, CPU and
//!   memory exact, disk = `ref_disk`, `gpu` GPUs of model `model` (a node with GPUs but an empty
//!   model gets the model name "gpu", as a scenario's node group without `gpu_model` does; a node
//!   without GPUs has no model, whatever the column says). More than
//!   [`MAX_GPUS`] GPUs on a node is an error naming the file and line
//!   (simctl cannot represent the node; skipping it would silently shrink the cluster). The model
//!   column also becomes the group's failure domain label ("cpu" where it is empty). No events.
//! - `alibaba2018-machines` (machine_meta: machine_id, time_stamp, failure_domain_1,
//!   failure_domain_2, cpu_num, mem_size, status; no header): nodes in order of first appearance,
//!   `cpu_num` cores, `mem_size` percent of `ref_memory`, disk = `ref_disk`, failure_domain_1 as
//!   domain. A node is up while its status is `USING`; each change of status is a [`NodeEvent`], and a
//!   machine whose first record is later than time 0 (or not `USING`) is down from 0 until it is.
//!
//! Consecutive nodes of equal capacity and domain form one [`NodeGroup`], so node `i` of the cluster
//! built from the groups is the `i`-th node of the file, which is what [`NodeEvent::node`] indexes.
//! Memory is O(nodes + events): the whole list is needed to build the cluster.

use std::collections::HashMap;
use std::path::Path;

use crate::cluster::{NodeGroup, MAX_GPUS};
use crate::resources::{GpuModels, Resources, GPU_MILLI};
use crate::time::SimTime;
use crate::workload::trace::field::{self, num};
use crate::workload::trace::input::{next_record, split_into, Lines};
use crate::workload::trace::report::Reporter;
use crate::workload::trace::{TraceFormat, TraceSpec};
use crate::workload::WorkloadError;

/// A node going down or coming back, as the trace recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeEvent {
    /// When, on the replay's clock (same origin and scaling as task arrivals).
    pub time: SimTime,
    /// Index of the node in the cluster built from [`TraceSpec::cluster`].
    pub node: u32,
    /// The node's name in the trace.
    pub name: String,
    /// True when the node becomes available, false when it leaves.
    pub up: bool,
}

/// Nodes and events read from a node file.
#[derive(Debug, Clone, Default)]
pub struct NodeList {
    /// Groups in file order, their GPU models numbered ([`crate::cluster::number_gpu_models`]).
    pub groups: Vec<NodeGroup>,
    /// The GPU model table (index = the model's bit), in order of first appearance.
    pub models: Vec<String>,
    /// Node names in cluster order.
    pub names: Vec<String>,
    /// Up/down events sorted by (time, node).
    pub events: Vec<NodeEvent>,
}

impl NodeList {
    fn push(&mut self, name: &str, capacity: Resources, domain: &str, gpu_model: Option<&str>) {
        self.names.push(name.to_string());
        match self.groups.last_mut() {
            Some(g)
                if g.capacity == capacity
                    && g.domain == domain
                    && g.gpu_model.as_deref() == gpu_model =>
            {
                g.count += 1
            }
            _ => self.groups.push(NodeGroup {
                name: name.to_string(),
                count: 1,
                capacity,
                speed: 1.0,
                domain: domain.to_string(),
                start_delay: None,
                power: None,
                gpu_model: gpu_model.map(str::to_string),
            }),
        }
    }
}

/// Guesses a node file's format from its first line (`sn,...` is the GPU node list).
pub fn sniff(path: &Path) -> TraceFormat {
    let first = Lines::open(path).ok().and_then(|mut l| {
        l.next_line()
            .ok()
            .flatten()
            .and_then(|x| x.text.map(str::to_string))
    });
    match first {
        Some(t) if t.starts_with("sn,") => TraceFormat::Gpu2023Nodes,
        _ => TraceFormat::Alibaba2018Machines,
    }
}

/// Reads a node file of `format` (malformed lines follow `spec.strict`; an empty list is an error).
pub fn read_nodes(
    path: &Path,
    format: TraceFormat,
    spec: &TraceSpec,
) -> Result<NodeList, WorkloadError> {
    let shown = path.display().to_string();
    let rep = Reporter::new(&shown, spec.strict);
    let mut lines = Lines::open(path)?;
    let mut list = match format {
        TraceFormat::Gpu2023Nodes => gpu_nodes(&mut lines, &rep, spec)?,
        _ => machine_meta(&mut lines, &rep, spec)?,
    };
    list.models = crate::cluster::number_gpu_models(&mut list.groups)
        .map_err(|e| WorkloadError::Invalid(format!("{shown}: {e}")))?;
    if list.names.is_empty() {
        return Err(WorkloadError::Invalid(format!(
            "{shown}: node list has no nodes"
        )));
    }
    Ok(list)
}

fn gpu_nodes(
    lines: &mut Lines,
    rep: &Reporter,
    spec: &TraceSpec,
) -> Result<NodeList, WorkloadError> {
    let mut list = NodeList::default();
    let parse = |_: u64, text: &str| {
        let mut f = Vec::with_capacity(5);
        split_into(text, ',', &mut f);
        if f[0] == "sn" {
            return Ok(None);
        }
        if f.len() != 5 {
            return Err("wrong field count".to_string());
        }
        let cpu: u64 = num(f[1], "cpu_milli", field::MILLI_CORES)?;
        let mem: u64 = num(f[2], "memory_mib", field::MIB)?;
        let gpus: u64 = num(f[3], "gpu", field::GPU_COUNT)?;
        Ok(Some((
            f[0].to_string(),
            cpu,
            mem,
            gpus,
            f[4].trim().to_string(),
        )))
    };
    while let Some((line, (name, cpu, mem, gpus, model))) = next_record(lines, rep, parse)? {
        if gpus > MAX_GPUS as u64 {
            return Err(WorkloadError::Invalid(format!(
                "{}:{line}: node {name} has {gpus} GPUs; simctl models at most {MAX_GPUS} per node",
                lines.path()
            )));
        }
        let capacity = Resources {
            cpu_milli: cpu,
            memory: crate::workload::trace::mib(mem),
            disk: spec.reference.disk,
            gpu_milli: gpus * GPU_MILLI,
            gpu_models: GpuModels::ANY,
        };
        let domain = if model.is_empty() { "cpu" } else { &model };
        let gpu_model = match (gpus, model.as_str()) {
            (0, _) => None,
            (_, "") => Some("gpu"),
            (_, m) => Some(m),
        };
        list.push(&name, capacity, domain, gpu_model);
    }
    Ok(list)
}

struct Meta {
    name: String,
    time: i64,
    domain: String,
    cpu: f64,
    mem: f64,
    up: bool,
}

fn parse_meta(text: &str) -> Result<Meta, String> {
    let mut f = Vec::with_capacity(7);
    split_into(text, ',', &mut f);
    if f.len() != 7 {
        return Err("wrong field count".into());
    }
    Ok(Meta {
        name: f[0].to_string(),
        time: num(f[1], "time_stamp", field::SECONDS)?,
        domain: f[2].to_string(),
        cpu: num(f[4], "cpu_num", field::CORES)?,
        mem: num(f[5], "mem_size", field::PERCENT_OF_REFERENCE)?,
        up: f[6] == "USING",
    })
}

fn machine_meta(
    lines: &mut Lines,
    rep: &Reporter,
    spec: &TraceSpec,
) -> Result<NodeList, WorkloadError> {
    let mut list = NodeList::default();
    let mut state: HashMap<String, (u32, bool)> = HashMap::new();
    let event = |node: u32, name: &str, t: i64, up: bool| NodeEvent {
        time: spec.to_sim_time(crate::workload::trace::us(t)),
        node,
        name: name.to_string(),
        up,
    };
    while let Some((_, m)) = next_record(lines, rep, |_, t| parse_meta(t).map(Some))? {
        let (node, was_up) = match state.get(&m.name) {
            Some(&s) => s,
            None => {
                let node = list.names.len() as u32;
                let memory = (m.mem / 100.0 * spec.reference.memory as f64).round() as u64;
                list.push(
                    &m.name,
                    Resources::new(m.cpu, memory, spec.reference.disk),
                    &m.domain,
                    None,
                );
                let present = m.time <= 0;
                if !present {
                    list.events.push(event(node, &m.name, 0, false));
                }
                (node, present)
            }
        };
        if m.up != was_up {
            list.events.push(event(node, &m.name, m.time, m.up));
        }
        state.insert(m.name, (node, m.up));
    }
    list.events.sort_by_key(|e| (e.time, e.node));
    Ok(list)
}

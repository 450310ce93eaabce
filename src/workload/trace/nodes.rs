//! Node lists: the cluster a trace ran on, and node up/down events where the trace records them.
//!
//! - `gpu2023-nodes` (`sn,cpu_milli,memory_mib,gpu,model`, header row): one node per row, CPU and
//!   memory exact, disk = `ref_disk`; GPUs are not a simctl dimension and are ignored (the model
//!   becomes the group's failure domain label, "cpu" for CPU-only nodes). No events.
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

use crate::cluster::NodeGroup;
use crate::resources::Resources;
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
    /// Groups in file order.
    pub groups: Vec<NodeGroup>,
    /// Node names in cluster order.
    pub names: Vec<String>,
    /// Up/down events sorted by (time, node).
    pub events: Vec<NodeEvent>,
}

impl NodeList {
    fn push(&mut self, name: &str, capacity: Resources, domain: &str) {
        self.names.push(name.to_string());
        match self.groups.last_mut() {
            Some(g) if g.capacity == capacity && g.domain == domain => g.count += 1,
            _ => self.groups.push(NodeGroup {
                name: name.to_string(),
                count: 1,
                capacity,
                speed: 1.0,
                domain: domain.to_string(),
                start_delay: None,
                power: None,
                gpu_model: None,
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
    let list = match format {
        TraceFormat::Gpu2023Nodes => gpu_nodes(&mut lines, &rep, spec)?,
        _ => machine_meta(&mut lines, &rep, spec)?,
    };
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
        let domain = if f[4].is_empty() { "cpu" } else { f[4] };
        Ok(Some((f[0].to_string(), cpu, mem, domain.to_string())))
    };
    while let Some((_, (name, cpu, mem, domain))) = next_record(lines, rep, parse)? {
        let capacity = Resources {
            cpu_milli: cpu,
            memory: crate::workload::trace::mib(mem),
            disk: spec.reference.disk,
            ..Resources::ZERO
        };
        list.push(&name, capacity, &domain);
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

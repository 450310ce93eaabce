//! `[workload] source = "trace"`: the trace reader's own keys, plus the engine's `max_tasks`; the
//! trace may also define the cluster and its node up/down events.

use std::path::Path;

use toml::Table;

use crate::cluster::NodeGroup;
use crate::config::field::{as_u64, opt, FieldError};
use crate::config::WorkloadSpec;
use crate::time::SimTime;
use crate::workload::trace::TraceSpec;

/// Parses the trace workload; demands normalised to 1.0 default to the scenario's largest node.
pub fn parse(t: &Table, base_dir: &Path, groups: &[NodeGroup]) -> Result<WorkloadSpec, FieldError> {
    let mut spec = TraceSpec::from_table(t, "workload", base_dir)?;
    let largest = crate::cluster::largest_capacity(groups);
    spec.reference_defaults_to(largest);
    let max_tasks = opt(t, "max_tasks", "workload", as_u64)?;
    if max_tasks == Some(0) {
        return Err(FieldError::new("workload.max_tasks", "must be at least 1"));
    }
    if !spec.path.exists() {
        return Err(FieldError::new(
            "workload.path",
            format!("trace file {} does not exist", spec.path.display()),
        ));
    }
    spec.verify_compressed()
        .map_err(|e| FieldError::new("workload.path", e.chain()))?;
    Ok(WorkloadSpec::Trace {
        spec: Box::new(spec),
        max_tasks,
    })
}

/// The node groups the trace defines, if any (they replace `[[cluster.nodes]]`).
pub fn cluster(spec: &TraceSpec) -> Result<Option<Vec<NodeGroup>>, FieldError> {
    let groups = spec
        .cluster()
        .map_err(|e| FieldError::new("workload.nodes", e.chain()))?;
    if groups
        .as_ref()
        .is_some_and(|g| g.iter().all(|g| g.count == 0))
    {
        return Err(FieldError::new(
            "workload.nodes",
            "the trace's node list has no nodes",
        ));
    }
    Ok(groups)
}

/// The trace's node up/down events as (time, node, up).
pub fn node_events(spec: &TraceSpec) -> Result<Vec<(SimTime, u32, bool)>, FieldError> {
    let events = spec
        .node_events()
        .map_err(|e| FieldError::new("workload.nodes", e.chain()))?;
    Ok(events.into_iter().map(|e| (e.time, e.node, e.up)).collect())
}

//! Alibaba cluster-trace-gpu-v2023 pod list (header row; 11 columns: name, cpu_milli, memory_mib,
//! num_gpu, gpu_milli, gpu_spec, qos, pod_phase, creation_time, deletion_time, scheduled_time).
//!
//! arrival = creation_time, duration = deletion_time − scheduled_time, `Observed.wait` =
//! scheduled_time − creation_time. Pods still Running have their deletion time
//! at the snapshot's end and are replayed with it. Pods never scheduled (Pending, empty
//! scheduled_time) did not run and are dropped ("never scheduled"). CPU and memory are exact
//! (millicores, MiB); **GPUs are ignored**: simctl has no GPU dimension, so a GPU pod is replayed as
//! its CPU and memory only. QoS becomes the priority:
//! Guaranteed 3, LS 2, Burstable 1, BE 0. The cluster is the node list (see
//! [`crate::workload::trace::nodes`]), by default `openb_node_list_all_node.csv` beside the pod list.

use crate::resources::Resources;
use crate::workload::trace::field::{self, num};
use crate::workload::trace::input::{next_record, split_into, Lines};
use crate::workload::trace::pipeline::{RawSource, RawTask};
use crate::workload::trace::report::Reporter;
use crate::workload::trace::{mib, secs, us, TraceSpec};
use crate::workload::{Observed, TaskKind, WorkloadError};

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

/// Streaming reader of the pod list.
pub struct Reader {
    lines: Lines,
    rep: Reporter,
}

impl Reader {
    /// A reader of `lines` (the pod list needs no options).
    pub fn new(lines: Lines, rep: Reporter, _spec: &TraceSpec) -> Reader {
        Reader { lines, rep }
    }
}

/// `Ok(Err(()))` is a well-formed pod that never ran.
fn parse(line: u64, text: &str) -> Result<Option<Result<RawTask, ()>>, String> {
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
    if f[10].is_empty() {
        return Ok(Some(Err(())));
    }
    let scheduled: i64 = num(f[10], "scheduled_time", field::SECONDS)?;
    if scheduled < creation || deletion < scheduled {
        return Err("times out of order".into());
    }
    let duration = secs(deletion - scheduled);
    let class = qos_priority(f[6]);
    Ok(Some(Ok(RawTask {
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
            ..Resources::ZERO
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
    })))
}

impl RawSource for Reader {
    fn next_raw(&mut self) -> Result<Option<RawTask>, WorkloadError> {
        while let Some((line, pod)) = next_record(&mut self.lines, &self.rep, parse)? {
            self.rep.submitted();
            match pod {
                Ok(raw) => return Ok(Some(raw)),
                Err(()) => self.rep.dropped(line, "never scheduled"),
            }
        }
        Ok(None)
    }
}

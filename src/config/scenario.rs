//! The scenario file (v1): parse, validate, and turn into typed configuration.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::{synthetic, trace_source};
use crate::workload::trace::TraceSpec;
use toml::{Table, Value};

use crate::cluster::{NodeGroup, MAX_GPUS};
use crate::config::field::{
    self, as_bool, as_str, as_table, as_u64, check_keys, join, opt, req, FieldError,
};
use crate::config::quantity::{self, Unit};
use crate::failover::{parse_failover, Failover};
use crate::faults::{parse_faults, FaultSpec};
use crate::resources::{cores_to_milli, GpuModels, Resources, GPU_MILLI};
use crate::sched::{DispatchMode, SchedulerSpec};
use crate::time::SimDuration;
use crate::workload::synthetic::{SyntheticSpec, DEFAULT_CLASS};

/// A fully validated scenario (one sweep point).
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Name, used for the results directory.
    pub name: String,
    /// Master seed.
    pub seed: u64,
    /// Simulated time to stop at.
    pub horizon: Option<SimDuration>,
    /// Statistics ignore tasks arriving before this.
    pub warmup: SimDuration,
    /// The `tau` of the bounded slowdown, max(1, response / max(run, tau)).
    pub bounded_slowdown_tau: SimDuration,
    /// Independent seeds per configuration.
    pub replications: u32,
    /// The cluster's node groups.
    pub node_groups: Vec<NodeGroup>,
    /// How tasks reach nodes.
    pub dispatch: DispatchMode,
    /// Where tasks come from.
    pub workload: WorkloadSpec,
    /// Node up/down events recorded in the trace: (time, node index, up).
    pub node_events: Vec<(crate::time::SimTime, u32, bool)>,
    /// What fails.
    pub faults: FaultSpec,
    /// What happens to work that failed.
    pub failover: Failover,
    /// Schedulers compared on the same workload.
    pub schedulers: Vec<SchedulerSpec>,
    /// What to write.
    pub output: OutputSpec,
    /// How `simctl docker run` carries it out (ignored by the simulator).
    pub docker: Option<crate::config::docker::DockerSpec>,
    /// The scheduler architecture of each entry of `schedulers` (same order).
    pub architectures: Vec<std::sync::Arc<crate::control::arch::spec::ArchitectureSpec>>,
    /// The `[power]` table: power management and carbon intensity (see
    /// [`crate::control::power`]).
    pub power: Option<crate::control::power::PowerPolicy>,
}

/// Where tasks come from.
#[derive(Debug, Clone)]
pub enum WorkloadSpec {
    /// Generated from distributions.
    Synthetic(Box<SyntheticSpec>),
    /// Replayed from a trace file.
    Trace {
        /// What to read and how.
        spec: Box<TraceSpec>,
        /// Stop after this many tasks.
        max_tasks: Option<u64>,
    },
}

impl WorkloadSpec {
    /// The names of the workload classes, in declaration order: [`crate::workload::TaskSpec::class`]
    /// indexes this list, so an architecture routes and reports each task by `names[task.class]`.
    /// A workload without `[[workload.class]]` tables (and every trace replay) has one class,
    /// named `"default"`. From a scenario: `scenario.workload.class_names()`.
    pub fn class_names(&self) -> Vec<String> {
        match self {
            WorkloadSpec::Synthetic(s) => s.class_names(),
            WorkloadSpec::Trace { .. } => vec![DEFAULT_CLASS.to_string()],
        }
    }
}

/// What a run writes.
#[derive(Debug, Clone, Serialize)]
pub struct OutputSpec {
    /// Results directory (default `results/<name>`).
    pub dir: PathBuf,
    /// Write per-task rows.
    pub tasks_csv: bool,
    /// Time-series sampling interval.
    pub timeseries: Option<SimDuration>,
    /// Draw plots.
    pub plots: bool,
}

const TOP_KEYS: &[&str] = &[
    "scenario",
    "cluster",
    "workload",
    "faults",
    "failover",
    "scheduler",
    "sweep",
    "output",
    "docker",
    "architecture",
    "power",
];
const META_KEYS: &[&str] = &[
    "name",
    "seed",
    "horizon",
    "warmup",
    "replications",
    "bounded_slowdown_tau",
];
const NODE_KEYS: &[&str] = &[
    "count",
    "cpu",
    "memory",
    "disk",
    "speed",
    "name",
    "domain",
    "start_delay",
    "power",
    "gpu",
    "gpu_model",
];
const OUTPUT_KEYS: &[&str] = &["dir", "tasks_csv", "timeseries", "plots"];

impl Scenario {
    /// Validates a parsed document (with any `[sweep]` table already removed).
    /// Relative trace paths resolve against `base_dir` (the scenario file's directory).
    pub fn from_document(doc: &Table, base_dir: &Path) -> Result<Scenario, FieldError> {
        check_keys(doc, TOP_KEYS, "")?;
        let meta = as_table(
            doc.get("scenario")
                .ok_or_else(|| FieldError::new("scenario", "the [scenario] table is required"))?,
            "scenario",
        )?;
        check_keys(meta, META_KEYS, "scenario")?;
        let name = req(meta, "name", "scenario", |v, k| {
            as_str(v, k).map(str::to_string)
        })?;
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(FieldError::new(
                "scenario.name",
                format!("\"{name}\" cannot name a results directory"),
            ));
        }
        let seed = opt(meta, "seed", "scenario", as_u64)?.unwrap_or(1);
        let horizon = opt(meta, "horizon", "scenario", field::sim_duration)?;
        let warmup = opt(meta, "warmup", "scenario", field::sim_duration)?.unwrap_or_default();
        let bounded_slowdown_tau = opt(
            meta,
            "bounded_slowdown_tau",
            "scenario",
            field::sim_duration,
        )?
        .unwrap_or(crate::metrics::BOUNDED_SLOWDOWN_TAU);
        if bounded_slowdown_tau.0 == 0 {
            return Err(FieldError::new(
                "scenario.bounded_slowdown_tau",
                "must be positive (the HPC convention is 10 s)",
            ));
        }
        let replications = opt(meta, "replications", "scenario", as_u64)?.unwrap_or(1);
        if replications == 0 || replications > 100_000 {
            return Err(FieldError::new(
                "scenario.replications",
                format!("must be between 1 and 100000, got {replications}"),
            ));
        }
        if horizon.is_some_and(|h| h.0 == 0) {
            return Err(FieldError::new("scenario.horizon", "must be positive"));
        }
        if let Some(h) = horizon.filter(|h| warmup >= *h) {
            return Err(FieldError::new(
                "scenario.warmup",
                format!(
                    "{} s is not shorter than the horizon ({} s): no task would be counted",
                    warmup.as_secs_f64(),
                    h.as_secs_f64()
                ),
            ));
        }
        let declared_groups = match doc.get("cluster") {
            Some(_) => {
                let mut groups = parse_cluster(doc)?;
                crate::cluster::number_gpu_models(&mut groups)
                    .map_err(|e| FieldError::new("cluster.nodes", e))?;
                Some(groups)
            }
            None => None,
        };
        let workload_table = as_table(
            doc.get("workload")
                .ok_or_else(|| FieldError::new("workload", "the [workload] table is required"))?,
            "workload",
        )?;
        let (dispatch, workload) = parse_workload(
            workload_table,
            base_dir,
            declared_groups.as_deref().unwrap_or_default(),
        )?;
        let mut node_events = Vec::new();
        let mut trace_groups = None;
        if let WorkloadSpec::Trace { spec, .. } = &workload {
            spec.check_hold(horizon)?;
            trace_groups = trace_source::cluster(spec)?;
            node_events = trace_source::node_events(spec)?;
        }
        let node_groups = match (declared_groups, trace_groups) {
            (Some(_), Some(_)) => {
                return Err(FieldError::new(
                    "cluster.nodes",
                    "the trace's node list (workload.nodes) defines the cluster; remove [[cluster.nodes]], which would be ignored",
                ))
            }
            (Some(g), None) | (None, Some(g)) => g,
            (None, None) => {
                return Err(FieldError::new(
                    "cluster",
                    "the [cluster] table is required (unless workload.nodes gives a trace's node list)",
                ))
            }
        };
        if horizon.is_none()
            && matches!(&workload, WorkloadSpec::Synthetic(s) if !s.is_bounded() || s.services.is_some())
        {
            return Err(FieldError::new(
                "scenario.horizon",
                "is required unless workload.max_tasks bounds the workload (services run until the horizon)",
            ));
        }
        let mut workload = workload;
        if let WorkloadSpec::Synthetic(s) = &mut workload {
            synthetic::resolve_gpu_models(s, &node_groups)?;
            // Trace tasks too large for every node are counted as unschedulable at run time.
            synthetic::check_fits(s, &node_groups)?;
        }
        let faults = parse_fault_table(doc, &node_groups)?;
        let failover = match doc.get("failover") {
            Some(v) => parse_failover(as_table(v, "failover")?, faults.node_mtbf())?,
            None => Failover::default(),
        };
        check_cluster_totals(&node_groups)?;
        let schedulers = parse_schedulers(doc)?;
        check_scheduler_fit(doc, dispatch, &node_groups)?;
        let output = parse_output(doc, &name)?;
        let docker = crate::config::docker::parse_docker(doc)?;
        let class_names = workload.class_names();
        let architectures = crate::config::architecture::parse_architectures(doc, &class_names)?;
        if architectures.iter().any(|a| !a.is_trivial())
            && node_groups.iter().any(|g| g.capacity.gpu_milli > 0)
        {
            return Err(FieldError::new(
                "architecture",
                "scheduler architectures (Omega, Mesos, Sparrow, or decision times) do not place GPUs yet; a cluster with GPUs runs with the plain centralized scheduler (remove the architecture settings or the groups' gpu keys)",
            ));
        }
        let preempt: Vec<bool> = schedulers
            .iter()
            .map(|s| s.queue == crate::sched::QueuePolicy::PreemptivePriority)
            .collect();
        crate::config::architecture::check_fit(
            &architectures,
            &preempt,
            dispatch == DispatchMode::Immediate,
        )?;
        let power = crate::config::power::parse_policy(doc, base_dir, &node_groups)?;
        if power.as_ref().is_some_and(|p| p.off_after.is_some())
            && (dispatch == DispatchMode::Immediate
                || architectures.iter().any(|a| !a.is_trivial()))
        {
            return Err(FieldError::new(
                "power.off_after",
                "switching nodes off needs central dispatch (workload.dispatch = \"central\") and no [architecture]: the boot rule reads the central queue",
            ));
        }
        Ok(Scenario {
            name,
            seed,
            horizon,
            warmup,
            bounded_slowdown_tau,
            replications: replications as u32,
            node_groups,
            dispatch,
            workload,
            node_events,
            faults,
            failover,
            schedulers,
            output,
            docker,
            architectures,
            power,
        })
    }
}

fn parse_cluster(doc: &Table) -> Result<Vec<NodeGroup>, FieldError> {
    let cluster = as_table(
        doc.get("cluster")
            .ok_or_else(|| FieldError::new("cluster", "the [cluster] table is required"))?,
        "cluster",
    )?;
    check_keys(cluster, &["nodes"], "cluster")?;
    let groups = match cluster.get("nodes") {
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(FieldError::new(
                "cluster.nodes",
                "expected [[cluster.nodes]] tables",
            ))
        }
        None => {
            return Err(FieldError::new(
                "cluster.nodes",
                "at least one [[cluster.nodes]] group is required",
            ))
        }
    };
    let mut out = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let key = format!("cluster.nodes[{i}]");
        let t = as_table(g, &key)?;
        check_keys(t, NODE_KEYS, &key)?;
        let count = req(t, "count", &key, as_u64)?;
        if count > 10_000_000 {
            return Err(FieldError::new(
                join(&key, "count"),
                format!("{count} nodes is more than simctl supports (10 million)"),
            ));
        }
        let cpu = req(t, "cpu", &key, field::cores)?;
        let memory = req(t, "memory", &key, field::size_bytes)?;
        let disk = opt(t, "disk", &key, field::size_bytes)?.unwrap_or(0.0);
        let speed = opt(t, "speed", &key, field::positive_f64)?.unwrap_or(1.0);
        let name = opt(t, "name", &key, |v, k| as_str(v, k).map(str::to_string))?
            .unwrap_or_else(|| format!("group-{i}"));
        let domain = opt(t, "domain", &key, |v, k| as_str(v, k).map(str::to_string))?
            .unwrap_or_else(|| name.clone());
        // Same forms as workload.duration: a duration ("250ms", seconds) or a distribution table.
        let start_delay = opt(t, "start_delay", &key, |v, k| {
            quantity::quantity(v, k, Unit::Duration)
        })?;
        let power = opt(t, "power", &key, crate::config::power::parse_power)?;
        let gpus = opt(t, "gpu", &key, as_u64)?.unwrap_or(0);
        if gpus > MAX_GPUS as u64 {
            return Err(FieldError::new(
                join(&key, "gpu"),
                format!("a node has at most {MAX_GPUS} GPUs in simctl, got {gpus}"),
            ));
        }
        let gpu_model = opt(t, "gpu_model", &key, |v, k| {
            as_str(v, k).map(str::to_string)
        })?;
        if gpu_model.as_ref().is_some_and(|m| m.trim().is_empty()) {
            return Err(FieldError::new(
                join(&key, "gpu_model"),
                "expected a model name such as \"A100\"",
            ));
        }
        if gpus == 0 && power.as_ref().is_some_and(|p| p.gpu.is_some()) {
            return Err(FieldError::new(
                join(&key, "power.gpu_idle"),
                "is given but the group has no GPUs (set gpu = N): the GPU term would never draw anything",
            ));
        }
        if gpu_model.is_some() && gpus == 0 {
            return Err(FieldError::new(
                join(&key, "gpu_model"),
                "is given but the group has no GPUs (set gpu = N)",
            ));
        }
        if cores_to_milli(cpu) == 0 {
            return Err(FieldError::new(
                join(&key, "cpu"),
                format!("must be at least 0.001 cores, got {cpu}"),
            ));
        }
        let capacity = Resources {
            cpu_milli: cores_to_milli(cpu),
            memory: memory.round() as u64,
            disk: disk.round() as u64,
            gpu_milli: gpus * GPU_MILLI,
            gpu_models: GpuModels::ANY,
        };
        out.push(NodeGroup {
            name,
            count: count as u32,
            capacity,
            speed,
            domain,
            start_delay,
            power,
            gpu_model: (gpus > 0).then(|| gpu_model.unwrap_or_else(|| "gpu".to_string())),
        });
    }
    if out.iter().map(|g| g.count as u64).sum::<u64>() == 0 {
        return Err(FieldError::new(
            "cluster.nodes",
            "the cluster has zero nodes; give at least one group a count of 1 or more",
        ));
    }
    Ok(out)
}

fn parse_workload(
    t: &Table,
    base_dir: &Path,
    groups: &[NodeGroup],
) -> Result<(DispatchMode, WorkloadSpec), FieldError> {
    let source = opt(t, "source", "workload", |v, k| {
        as_str(v, k).map(str::to_string)
    })?
    .unwrap_or_else(|| "synthetic".into());
    let dispatch = match opt(t, "dispatch", "workload", |v, k| {
        as_str(v, k).map(str::to_string)
    })?
    .as_deref()
    {
        None | Some("central") => DispatchMode::Central,
        Some("immediate") => DispatchMode::Immediate,
        Some(other) => {
            return Err(FieldError::new(
                "workload.dispatch",
                format!("unknown dispatch \"{other}\" (expected central or immediate)"),
            ))
        }
    };
    match source.as_str() {
        "synthetic" => Ok((
            dispatch,
            WorkloadSpec::Synthetic(Box::new(synthetic::parse_synthetic(t)?)),
        )),
        "trace" if t.contains_key("class") => Err(FieldError::new(
            "workload.class",
            "[[workload.class]] tables need the synthetic source; a trace replay (source = \"trace\") has no classes",
        )),
        "trace" => Ok((dispatch, trace_source::parse(t, base_dir, groups)?)),
        other => Err(FieldError::new(
            "workload.source",
            format!("unknown workload source \"{other}\" (expected synthetic or trace)"),
        )),
    }
}

fn parse_fault_table(doc: &Table, groups: &[NodeGroup]) -> Result<FaultSpec, FieldError> {
    let Some(v) = doc.get("faults") else {
        return Ok(FaultSpec::default());
    };
    let names: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
    let mut domains: Vec<String> = groups.iter().map(|g| g.domain.clone()).collect();
    domains.dedup();
    let nodes = groups.iter().map(|g| g.count as u64).sum();
    parse_faults(as_table(v, "faults")?, &names, &domains, nodes)
}

fn parse_schedulers(doc: &Table) -> Result<Vec<SchedulerSpec>, FieldError> {
    let list = match doc.get("scheduler") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        Some(Value::Array(_)) | None => {
            return Err(FieldError::new(
                "scheduler",
                "at least one [[scheduler]] table is required",
            ))
        }
        Some(_) => {
            return Err(FieldError::new(
                "scheduler",
                "expected [[scheduler]] tables",
            ))
        }
    };
    let mut out: Vec<SchedulerSpec> = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let key = format!("scheduler[{i}]");
        let spec = SchedulerSpec::from_table(as_table(s, &key)?, &key)?;
        if out.iter().any(|o| o.name == spec.name) {
            return Err(FieldError::new(
                join(&key, "name"),
                format!("scheduler name \"{}\" is used twice", spec.name),
            ));
        }
        out.push(spec);
    }
    Ok(out)
}

/// Rejects clusters whose summed capacity does not fit the integer resource vectors.
fn check_cluster_totals(groups: &[NodeGroup]) -> Result<(), FieldError> {
    for (dim, name) in crate::resources::DIM_NAMES.iter().enumerate() {
        let total = groups.iter().try_fold(0u64, |acc, g| {
            acc.checked_add(g.capacity.dims()[dim].checked_mul(u64::from(g.count))?)
        });
        if total.is_none() {
            return Err(FieldError::new(
                "cluster.nodes",
                format!("the cluster's total {name} capacity does not fit in 64 bits (2^64 bytes or millicores); use fewer or smaller nodes"),
            ));
        }
    }
    Ok(())
}

/// Scheduler keys that depend on the cluster or the dispatch mode: power-of-d's `d` must be in
/// 1..=nodes (it samples `d` distinct nodes), and `preempt` needs the central queue.
fn check_scheduler_fit(
    doc: &Table,
    dispatch: DispatchMode,
    groups: &[NodeGroup],
) -> Result<(), FieldError> {
    let nodes: u64 = groups.iter().map(|g| u64::from(g.count)).sum();
    let Some(Value::Array(list)) = doc.get("scheduler") else {
        return Ok(());
    };
    for (i, t) in list.iter().enumerate() {
        let Some(t) = t.as_table() else { continue };
        if let Some(Value::Integer(d)) = t.get("d") {
            if *d as u64 > nodes {
                return Err(FieldError::new(
                    format!("scheduler[{i}].d"),
                    format!("must be between 1 and the number of nodes ({nodes}), got {d}"),
                ));
            }
        }
        let preempt = t.get("preempt").is_some_and(|v| v.as_bool() != Some(false));
        if preempt && dispatch == DispatchMode::Immediate {
            return Err(FieldError::new(
                format!("scheduler[{i}].preempt"),
                "preemption needs the central queue (workload.dispatch = \"central\"); with \"immediate\" dispatch each node runs its own FIFO queue",
            ));
        }
    }
    Ok(())
}

fn parse_output(doc: &Table, name: &str) -> Result<OutputSpec, FieldError> {
    let empty = Table::new();
    let t = match doc.get("output") {
        Some(v) => as_table(v, "output")?,
        None => &empty,
    };
    check_keys(t, OUTPUT_KEYS, "output")?;
    let dir = opt(t, "dir", "output", |v, k| as_str(v, k).map(PathBuf::from))?
        .unwrap_or_else(|| Path::new("results").join(name));
    let tasks_csv = opt(t, "tasks_csv", "output", as_bool)?.unwrap_or(false);
    let timeseries = match t.get("timeseries") {
        None | Some(Value::Boolean(false)) => None,
        Some(v) => {
            let secs = field::duration_secs(v, "output.timeseries")?;
            if secs <= 0.0 {
                return Err(FieldError::new(
                    "output.timeseries",
                    "the sampling interval must be positive",
                ));
            }
            Some(SimDuration::from_secs_f64(secs))
        }
    };
    let plots = opt(t, "plots", "output", as_bool)?.unwrap_or(true);
    Ok(OutputSpec {
        dir,
        tasks_csv,
        timeseries,
        plots,
    })
}

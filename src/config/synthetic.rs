//! `[workload]` with the synthetic source: the distributions, jobs of several tasks
//! (`tasks_per_job`), delayed submission (`delay`), services, chains, and `[[workload.class]]`
//! tables, each an independent stream of jobs whose unset keys default to the `[workload]` ones.

use toml::{Table, Value};

use crate::cluster::{NodeGroup, MAX_GPUS};
use crate::config::field::{
    self, as_f64, as_str, as_table, as_u64, check_keys, join, opt, req, FieldError,
};
use crate::config::quantity::{self, Unit};
use crate::resources::{gpu_demand_error, GpuModels, Resources, GPU_MILLI};
use crate::workload::arrival::ArrivalSpec;
use crate::workload::dist::DistSpec;
use crate::workload::jobs::MAX_TASKS_PER_JOB;
use crate::workload::synthetic::{ClassSpec, GpuAsk, ServiceSpec, SyntheticSpec};

/// Keys of `[workload]` with the synthetic source.
const WORKLOAD_KEYS: &[&str] = &[
    "source",
    "dispatch",
    "arrival",
    "duration",
    "cpu",
    "memory",
    "disk",
    "priority",
    "users",
    "max_tasks",
    "services",
    "chain",
    "tasks_per_job",
    "delay",
    "class",
    "gpu",
    "gpu_model",
];

/// Keys of a `[[workload.class]]` table.
const CLASS_KEYS: &[&str] = &[
    "name",
    "arrival",
    "duration",
    "cpu",
    "memory",
    "disk",
    "priority",
    "users",
    "max_tasks",
    "tasks_per_job",
    "delay",
    "gpu",
    "gpu_model",
];

/// The most classes a workload may have ([`crate::workload::TaskSpec::class`] is a `u16`).
const MAX_CLASSES: usize = u16::MAX as usize + 1;

/// The keys a class shares with `[workload]`, each as written (`None`: not set there).
struct StreamKeys {
    arrival: Option<ArrivalSpec>,
    duration: Option<DistSpec>,
    cpu: Option<DistSpec>,
    memory: Option<DistSpec>,
    disk: Option<DistSpec>,
    priority: Option<DistSpec>,
    users: Option<u32>,
    max_tasks: Option<u64>,
    tasks_per_job: Option<DistSpec>,
    delay: Option<DistSpec>,
    gpu: Option<GpuAsk>,
}

/// `gpu` and `gpu_model` of a `[workload]` or class table.
fn gpu_ask(t: &Table, prefix: &str) -> Result<Option<GpuAsk>, FieldError> {
    let gpu = opt(t, "gpu", prefix, as_f64)?;
    let models: Vec<String> = match t.get("gpu_model") {
        None => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    FieldError::new(join(prefix, "gpu_model"), "expected model names (strings)")
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(FieldError::new(
                join(prefix, "gpu_model"),
                "expected a model name or a list of model names",
            ))
        }
    };
    let Some(gpu) = gpu else {
        if !models.is_empty() {
            return Err(FieldError::new(
                join(prefix, "gpu_model"),
                "is given without gpu (how many GPUs the task needs)",
            ));
        }
        return Ok(None);
    };
    let milli = (gpu * GPU_MILLI as f64).round();
    if !gpu.is_finite() || gpu <= 0.0 || milli < 1.0 || milli > (MAX_GPUS as u64 * GPU_MILLI) as f64
    {
        return Err(FieldError::new(
            join(prefix, "gpu"),
            format!(
                "expected a share of one GPU (0.001 to 0.999) or whole GPUs (1 to {MAX_GPUS}), got {gpu}"
            ),
        ));
    }
    if let Some(why) = gpu_demand_error(milli as u64) {
        return Err(FieldError::new(join(prefix, "gpu"), why));
    }
    Ok(Some(GpuAsk {
        milli: milli as u64,
        models,
        mask: GpuModels::ANY,
    }))
}

/// Resolves the GPU model names of every class against the cluster's model table.
pub fn resolve_gpu_models(s: &mut SyntheticSpec, groups: &[NodeGroup]) -> Result<(), FieldError> {
    if s.gpu.is_some() && s.services.is_some() {
        return Err(FieldError::new(
            "workload.gpu",
            "services do not take GPUs; give GPU tasks in [[workload.class]] tables or a scenario without services",
        ));
    }
    let resolve = |gpu: &mut Option<GpuAsk>, key: String| -> Result<(), FieldError> {
        if let Some(g) = gpu {
            g.mask = crate::cluster::gpu_model_mask(&g.models, groups)
                .map_err(|e| FieldError::new(join(&key, "gpu_model"), e))?;
        }
        Ok(())
    };
    resolve(&mut s.gpu, "workload".to_string())?;
    for (i, c) in s.classes.iter_mut().enumerate() {
        resolve(&mut c.gpu, format!("workload.class[{i}]"))?;
    }
    Ok(())
}

fn stream_keys(t: &Table, prefix: &str) -> Result<StreamKeys, FieldError> {
    let q = |name: &str, unit: Unit| opt(t, name, prefix, |v, k| quantity::quantity(v, k, unit));
    let users = opt(t, "users", prefix, as_u64)?;
    if let Some(u) = users.filter(|u| *u == 0 || *u > u32::MAX as u64) {
        return Err(FieldError::new(
            join(prefix, "users"),
            format!("must be between 1 and {}, got {u}", u32::MAX),
        ));
    }
    let max_tasks = opt(t, "max_tasks", prefix, as_u64)?;
    if max_tasks == Some(0) {
        return Err(FieldError::new(
            join(prefix, "max_tasks"),
            "must be at least 1",
        ));
    }
    let tasks_per_job = q("tasks_per_job", Unit::Plain)?;
    if let Some(d) = &tasks_per_job {
        check_tasks_per_job(d, &join(prefix, "tasks_per_job"))?;
    }
    Ok(StreamKeys {
        arrival: opt(t, "arrival", prefix, quantity::arrival)?,
        duration: q("duration", Unit::Duration)?,
        cpu: q("cpu", Unit::Cores)?,
        memory: q("memory", Unit::Size)?,
        disk: q("disk", Unit::Size)?,
        priority: q("priority", Unit::Plain)?,
        users: users.map(|u| u as u32),
        max_tasks,
        tasks_per_job,
        delay: q("delay", Unit::Duration)?,
        gpu: gpu_ask(t, prefix)?,
    })
}

/// Every draw of `tasks_per_job` must round to a whole number of tasks between 1 and
/// [`MAX_TASKS_PER_JOB`].
fn check_tasks_per_job(d: &DistSpec, key: &str) -> Result<(), FieldError> {
    let min = d.min_value();
    if min.round() < 1.0 {
        return Err(FieldError::new(key, format!(
            "every job needs at least 1 task, but this distribution can draw {min}, which rounds to {}; use a constant, uniform, choice or pareto distribution whose values round to 1 or more",
            min.round()
        )));
    }
    match d.max_value() {
        Some(max) if max.round() <= MAX_TASKS_PER_JOB => Ok(()),
        _ => Err(FieldError::new(
            key,
            format!("can draw more than {MAX_TASKS_PER_JOB} tasks per job"),
        )),
    }
}

fn constant(value: f64) -> DistSpec {
    DistSpec::Constant { value }
}

/// Parses `[workload]` with the synthetic source.
pub fn parse_synthetic(t: &Table) -> Result<SyntheticSpec, FieldError> {
    check_keys(t, WORKLOAD_KEYS, "workload")?;
    let services = opt(t, "services", "workload", parse_services)?;
    let k = stream_keys(t, "workload")?;
    let chain = opt(t, "chain", "workload", as_u64)?;
    if chain.is_some_and(|k| k == 0 || k > 1_000_000) {
        return Err(FieldError::new(
            "workload.chain",
            "must be between 1 and 1000000 tasks per chain",
        ));
    }
    if chain.is_some() && k.tasks_per_job.is_some() {
        return Err(FieldError::new(
            "workload.tasks_per_job",
            "cannot be combined with workload.chain: a chain's jobs are already its consecutive tasks; use one or the other",
        ));
    }
    if let Some(list) = t.get("class") {
        let refuse = |key: &str, why: &str| {
            Err(FieldError::new(
                join("workload", key),
                format!("cannot be combined with [[workload.class]] tables: {why}"),
            ))
        };
        if services.is_some() {
            return refuse("services", "services would belong to no class");
        }
        if chain.is_some() {
            return refuse("chain", "chains are not available in classes");
        }
        return Ok(SyntheticSpec {
            classes: parse_classes(list, &k)?,
            arrival: None,
            services: None,
            duration: k.duration.unwrap_or(constant(0.0)),
            cpu: k.cpu.unwrap_or(constant(1.0)),
            memory: k.memory.unwrap_or(constant(0.0)),
            disk: k.disk.unwrap_or(constant(0.0)),
            priority: k.priority.unwrap_or(constant(0.0)),
            users: k.users.unwrap_or(1),
            max_tasks: k.max_tasks,
            chain: None,
            tasks_per_job: k.tasks_per_job,
            delay: k.delay,
            gpu: k.gpu,
        });
    }
    let arrival = match (k.arrival, &services) {
        (Some(a), _) => Some(a),
        (None, Some(_)) => None,
        (None, None) => {
            return Err(FieldError::new(
                "workload.arrival",
                "is required (or give workload.services)",
            ))
        }
    };
    let duration = match (k.duration, &arrival) {
        (Some(d), _) => d,
        (None, None) => constant(0.0),
        (None, Some(_)) => {
            return Err(FieldError::new(
                "workload.duration",
                "is required but missing",
            ))
        }
    };
    Ok(SyntheticSpec {
        arrival,
        duration,
        cpu: k.cpu.unwrap_or(constant(1.0)),
        memory: k.memory.unwrap_or(constant(0.0)),
        disk: k.disk.unwrap_or(constant(0.0)),
        priority: k.priority.unwrap_or(constant(0.0)),
        services,
        users: k.users.unwrap_or(1),
        max_tasks: k.max_tasks,
        chain: chain.map(|k| k as u32),
        tasks_per_job: k.tasks_per_job,
        delay: k.delay,
        gpu: k.gpu,
        classes: Vec::new(),
    })
}

/// The `[[workload.class]]` tables, with `defaults` (the `[workload]` keys) filling in unset keys;
/// `max_tasks` is not inherited (at the top level it bounds the whole workload).
fn parse_classes(v: &Value, defaults: &StreamKeys) -> Result<Vec<ClassSpec>, FieldError> {
    let list = match v {
        Value::Array(a) if !a.is_empty() => a,
        Value::Array(_) => {
            return Err(FieldError::new(
                "workload.class",
                "at least one [[workload.class]] table is required when the key is given",
            ))
        }
        _ => {
            return Err(FieldError::new(
                "workload.class",
                "expected [[workload.class]] tables",
            ))
        }
    };
    if list.len() > MAX_CLASSES {
        return Err(FieldError::new(
            "workload.class",
            format!(
                "{} classes is more than simctl supports ({MAX_CLASSES})",
                list.len()
            ),
        ));
    }
    let mut out: Vec<ClassSpec> = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let key = format!("workload.class[{i}]");
        let class = parse_class(as_table(c, &key)?, &key, defaults)?;
        if out.iter().any(|o| o.name == class.name) {
            return Err(FieldError::new(
                join(&key, "name"),
                format!("class name \"{}\" is used twice", class.name),
            ));
        }
        out.push(class);
    }
    Ok(out)
}

fn parse_class(t: &Table, key: &str, defaults: &StreamKeys) -> Result<ClassSpec, FieldError> {
    for (k, why) in [
        ("chain", "chains are not available in classes"),
        (
            "services",
            "services belong to no class; give them in a scenario without classes",
        ),
        (
            "source",
            "every class is synthetic; a trace replay has no classes",
        ),
    ] {
        if t.contains_key(k) {
            return Err(FieldError::new(
                join(key, k),
                format!("is not allowed in a [[workload.class]] table: {why}"),
            ));
        }
    }
    check_keys(t, CLASS_KEYS, key)?;
    let name = req(t, "name", key, as_str)?;
    let name_ok = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if name.is_empty() || !name.chars().all(name_ok) {
        return Err(FieldError::new(
            join(key, "name"),
            format!(
                "\"{name}\" is not a class name: use letters, digits, '_' and '-' (at least one)"
            ),
        ));
    }
    let k = stream_keys(t, key)?;
    let required = |what: &str| {
        FieldError::new(
            join(key, what),
            "is required: set it in the class, or in [workload] as a default for every class",
        )
    };
    let pick = |own: Option<DistSpec>, default: &Option<DistSpec>| own.or_else(|| default.clone());
    Ok(ClassSpec {
        name: name.to_string(),
        arrival: k
            .arrival
            .or_else(|| defaults.arrival.clone())
            .ok_or_else(|| required("arrival"))?,
        duration: pick(k.duration, &defaults.duration).ok_or_else(|| required("duration"))?,
        cpu: pick(k.cpu, &defaults.cpu).unwrap_or(constant(1.0)),
        memory: pick(k.memory, &defaults.memory).unwrap_or(constant(0.0)),
        disk: pick(k.disk, &defaults.disk).unwrap_or(constant(0.0)),
        priority: pick(k.priority, &defaults.priority).unwrap_or(constant(0.0)),
        users: k.users.or(defaults.users).unwrap_or(1),
        max_tasks: k.max_tasks,
        tasks_per_job: pick(k.tasks_per_job, &defaults.tasks_per_job),
        delay: pick(k.delay, &defaults.delay),
        gpu: k.gpu.or_else(|| defaults.gpu.clone()),
    })
}

/// Parses `workload.services`.
fn parse_services(v: &Value, key: &str) -> Result<ServiceSpec, FieldError> {
    let t = as_table(v, key)?;
    check_keys(t, &["count", "replicas", "cpu", "memory", "disk"], key)?;
    let count = req(t, "count", key, as_u64)?;
    let replicas = opt(t, "replicas", key, as_u64)?.unwrap_or(1);
    if count == 0 || count > 1_000_000 || replicas == 0 || replicas > 64 {
        return Err(FieldError::new(
            key,
            format!("count must be 1..1000000 and replicas 1..64, got {count} and {replicas}"),
        ));
    }
    let cpu = req(t, "cpu", key, field::cores)?;
    let memory = opt(t, "memory", key, field::size_bytes)?.unwrap_or(0.0);
    let disk = opt(t, "disk", key, field::size_bytes)?.unwrap_or(0.0);
    Ok(ServiceSpec {
        count: count as u32,
        replicas: replicas as u32,
        demand: Resources::new(cpu, memory.round() as u64, disk.round() as u64),
    })
}

/// The key prefix of batch stream `i` of `s` in error messages: `workload`, or
/// `workload.class[i]` (whose values may have been inherited from `[workload]`).
pub fn class_key(s: &SyntheticSpec, i: usize) -> String {
    if s.classes.is_empty() {
        "workload".to_string()
    } else {
        format!("workload.class[{i}]")
    }
}

/// Rejects workloads whose demands can exceed every node: such tasks could never run.
pub fn check_fits(s: &SyntheticSpec, groups: &[NodeGroup]) -> Result<(), FieldError> {
    if let Some(svc) = &s.services {
        if !groups
            .iter()
            .any(|g| g.count > 0 && svc.demand.fits_in(&g.capacity))
        {
            return Err(FieldError::new(
                "workload.services",
                "a service replica fits on no node",
            ));
        }
    }
    for (i, c) in s.batch_classes().iter().enumerate() {
        check_class_fits(c, &class_key(s, i), groups)?;
    }
    Ok(())
}

fn check_class_fits(c: &ClassSpec, prefix: &str, groups: &[NodeGroup]) -> Result<(), FieldError> {
    let largest = crate::cluster::largest_capacity(groups);
    let dims: [(&str, &DistSpec, f64, &str); 3] = [
        ("cpu", &c.cpu, largest.cpu_cores(), "cores"),
        ("memory", &c.memory, largest.memory as f64, "bytes"),
        ("disk", &c.disk, largest.disk as f64, "bytes"),
    ];
    for (name, dist, cap, unit) in dims {
        let key = join(prefix, name);
        let scale = if unit == "cores" { 1000.0 } else { 1.0 };
        let rounded = |x: f64| (x * scale).round() / scale;
        if rounded(dist.min_value()) > cap {
            return Err(FieldError::new(key, format!(
                "every task needs at least {} {unit} but the largest node has {cap} {unit}: no task would ever be schedulable",
                dist.min_value()
            )));
        }
        if let Some(max) = dist.max_value() {
            if rounded(max) > cap {
                return Err(FieldError::new(key, format!(
                    "tasks can need up to {max} {unit} but the largest node has {cap} {unit}: such tasks would be unschedulable"
                )));
            }
        }
    }
    let min = Resources::new(
        c.cpu.min_value(),
        c.memory.min_value().round() as u64,
        c.disk.min_value().round() as u64,
    )
    .with_gpu(
        c.gpu.as_ref().map_or(0, |g| g.milli),
        c.gpu.as_ref().map_or(GpuModels::ANY, |g| g.mask),
    );
    if !groups
        .iter()
        .any(|g| g.count > 0 && min.fits_in(&g.capacity))
    {
        return Err(FieldError::new(prefix, "the smallest possible task fits on no single node (check cpu, memory, disk and gpu together)"));
    }
    Ok(())
}

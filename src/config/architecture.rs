//! The `[architecture]` table and the `architecture` key of a `[[scheduler]]` entry.
//!
//! The top-level table sets the architecture and its parameters for every scheduler entry; an
//! entry's `architecture = "offers"` (a kind) or `architecture = { kind = "offers", ... }` (any of
//! the same keys) overrides them for that entry, so one run compares architectures side by side
//! and a sweep of `architecture.t_job` moves all of them. A key that no entry's architecture uses
//! is refused (it would be silently ignored otherwise).

use std::sync::Arc;

use toml::{Table, Value};

use crate::config::field::{self, as_f64, as_str, as_table, as_u64, check_keys, join, FieldError};
use crate::config::quantity::{self, Unit};
use crate::control::arch::spec::{
    ArchKind, ArchitectureSpec, Conflicts, DecisionTime, Sampling, Snapshot,
};
use crate::workload::dist::DistSpec;

/// Keys every kind reads.
const COMMON: &[&str] = &["kind", "t_job", "t_task", "t_node", "class", "max_attempts"];
/// Keys of one kind only.
const SHARED_STATE: &[&str] = &["state", "refresh", "conflicts"];
const OFFERS: &[&str] = &["offer_timeout"];
const DECENTRALIZED: &[&str] = &["schedulers", "sampling", "probe_ratio", "network_delay"];
/// Keys of `[architecture.class.<name>]`.
const CLASS_KEYS: &[&str] = &["t_job", "t_task", "t_node"];

/// The keys a kind reads.
fn keys_of(kind: ArchKind) -> Vec<&'static str> {
    let mut k = COMMON.to_vec();
    k.extend(match kind {
        ArchKind::Centralized => &[][..],
        ArchKind::Offers => OFFERS,
        ArchKind::SharedState => SHARED_STATE,
        ArchKind::Decentralized => DECENTRALIZED,
    });
    k
}

/// Every key of the table.
fn all_keys() -> Vec<&'static str> {
    let mut k = COMMON.to_vec();
    k.extend(SHARED_STATE);
    k.extend(OFFERS);
    k.extend(DECENTRALIZED);
    k
}

/// The architecture of each `[[scheduler]]` entry of `doc`, in order, for a workload whose classes
/// are `class_names`.
pub fn parse_architectures(
    doc: &Table,
    class_names: &[String],
) -> Result<Vec<Arc<ArchitectureSpec>>, FieldError> {
    let top = match doc.get("architecture") {
        Some(v) => as_table(v, "architecture")?.clone(),
        None => Table::new(),
    };
    check_keys(&top, &all_keys(), "architecture")?;
    let Some(Value::Array(entries)) = doc.get("scheduler") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut used: Vec<&str> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let prefix = format!("scheduler[{i}].architecture");
        let own = match entry.as_table().and_then(|t| t.get("architecture")) {
            None => Table::new(),
            Some(Value::String(kind)) => {
                let mut t = Table::new();
                t.insert("kind".into(), Value::String(kind.clone()));
                t
            }
            Some(v) => {
                let t = as_table(v, &prefix)?.clone();
                check_keys(&t, &all_keys(), &prefix)?;
                t
            }
        };
        // The entry's keys override the top level's; errors name where the value came from.
        let mut merged: Vec<(String, Value, String)> = top
            .iter()
            .filter(|(k, _)| !own.contains_key(*k))
            .map(|(k, v)| (k.clone(), v.clone(), "architecture".to_string()))
            .collect();
        merged.extend(
            own.iter()
                .map(|(k, v)| (k.clone(), v.clone(), prefix.clone())),
        );
        let spec = parse_one(&merged, class_names)?;
        used.extend(keys_of(spec.kind));
        out.push(Arc::new(spec));
    }
    if let Some(k) = top.keys().find(|k| !used.contains(&k.as_str())) {
        let kinds: Vec<&str> = out.iter().map(|s| s.kind.name()).collect();
        return Err(FieldError::new(
            join("architecture", k),
            format!(
                "applies to none of the architectures run ({}); remove it",
                kinds.join(", ")
            ),
        ));
    }
    Ok(out)
}

/// One resolved architecture from (key, value, where it came from) triples.
fn parse_one(
    keys: &[(String, Value, String)],
    class_names: &[String],
) -> Result<ArchitectureSpec, FieldError> {
    let get = |name: &str| {
        keys.iter()
            .find(|(k, _, _)| k == name)
            .map(|(_, v, p)| (v, join(p, name)))
    };
    let kind = match get("kind") {
        None => ArchKind::Centralized,
        Some((v, key)) => {
            let s = as_str(v, &key)?;
            *ArchKind::ALL
                .iter()
                .find(|k| k.name() == s)
                .ok_or_else(|| {
                    FieldError::new(
                        &key,
                        format!(
                            "unknown architecture \"{s}\" (expected one of: centralized, offers, shared-state, decentralized)"
                        ),
                    )
                })?
        }
    };
    if let Some((k, _, p)) = keys
        .iter()
        .find(|(k, _, _)| !keys_of(kind).contains(&k.as_str()))
    {
        // Only an entry's own key is refused here: a top-level key may serve another entry.
        if p != "architecture" {
            return Err(FieldError::new(
                join(p, k),
                format!("is not a key of the {} architecture", kind.name()),
            ));
        }
    }
    let duration = |name: &str| -> Result<Option<DistSpec>, FieldError> {
        get(name)
            .map(|(v, key)| quantity::quantity(v, &key, Unit::Duration))
            .transpose()
    };
    let per_node = |v: &Value, key: &str| field::duration_secs(v, key);
    let base = DecisionTime {
        job: duration("t_job")?.unwrap_or(DistSpec::Constant { value: 0.0 }),
        task: duration("t_task")?.unwrap_or(DistSpec::Constant { value: 0.0 }),
        node: get("t_node")
            .map(|(v, key)| per_node(v, &key))
            .transpose()?
            .unwrap_or(0.0),
    };
    let names: Vec<String> = if class_names.is_empty() {
        vec!["default".to_string()]
    } else {
        class_names.to_vec()
    };
    let mut decision = vec![base.clone(); names.len()];
    if let Some((v, key)) = get("class") {
        let classes = as_table(v, &key)?;
        for (name, t) in classes {
            let ckey = join(&key, name);
            let Some(c) = names.iter().position(|n| n == name) else {
                return Err(FieldError::new(
                    &ckey,
                    format!(
                        "no workload class is named \"{name}\" (classes: {})",
                        names.join(", ")
                    ),
                ));
            };
            let t = as_table(t, &ckey)?;
            check_keys(t, CLASS_KEYS, &ckey)?;
            let d = &mut decision[c];
            if let Some(v) = t.get("t_job") {
                d.job = quantity::quantity(v, &join(&ckey, "t_job"), Unit::Duration)?;
            }
            if let Some(v) = t.get("t_task") {
                d.task = quantity::quantity(v, &join(&ckey, "t_task"), Unit::Duration)?;
            }
            if let Some(v) = t.get("t_node") {
                d.node = per_node(v, &join(&ckey, "t_node"))?;
            }
        }
    }
    let mut spec = ArchitectureSpec::centralized(names);
    spec.kind = kind;
    spec.decision = decision;
    if let Some((v, key)) = get("max_attempts") {
        let m = as_u64(v, &key)?;
        if m == 0 || m > u32::MAX as u64 {
            return Err(FieldError::new(key, "must be at least 1"));
        }
        spec.max_attempts = Some(m as u32);
    }
    let word = |name: &str, allowed: &[&str]| -> Result<Option<(String, String)>, FieldError> {
        let Some((v, key)) = get(name) else {
            return Ok(None);
        };
        let s = as_str(v, &key)?;
        if !allowed.contains(&s) {
            return Err(FieldError::new(
                &key,
                format!(
                    "unknown value \"{s}\" (expected one of: {})",
                    allowed.join(", ")
                ),
            ));
        }
        Ok(Some((s.to_string(), key)))
    };
    let state = word("state", &["stateless", "stateful"])?;
    let refresh = get("refresh")
        .map(|(v, key)| field::sim_duration(v, &key).map(|d| (d, key)))
        .transpose()?;
    spec.snapshot = match (state, refresh) {
        (Some((s, _)), Some((every, _))) if s == "stateful" => Snapshot::Stateful { every },
        (Some((s, key)), None) if s == "stateful" => {
            return Err(FieldError::new(
                key,
                "\"stateful\" needs architecture.refresh (how often the cached cell state is refreshed)",
            ))
        }
        (_, Some((_, key))) if kind == ArchKind::SharedState => {
            return Err(FieldError::new(
                key,
                "only a \"stateful\" scheduler refreshes its snapshot (set state = \"stateful\")",
            ))
        }
        _ => Snapshot::Stateless,
    };
    if let Some((c, _)) = word("conflicts", &["fine", "coarse"])? {
        spec.conflicts = if c == "fine" {
            Conflicts::Fine
        } else {
            Conflicts::Coarse
        };
    }
    if let Some((v, key)) = get("offer_timeout") {
        let t = field::sim_duration(v, &key)?;
        if t.0 == 0 {
            return Err(FieldError::new(key, "must be positive"));
        }
        spec.offer_timeout = Some(t);
    }
    if let Some((v, key)) = get("schedulers") {
        let n = as_u64(v, &key)?;
        if n == 0 || n > 10_000 {
            return Err(FieldError::new(
                key,
                format!("must be between 1 and 10000, got {n}"),
            ));
        }
        spec.schedulers = n as u32;
    }
    if let Some((s, _)) = word("sampling", &["random", "per-task", "batch", "late-binding"])? {
        spec.sampling = match s.as_str() {
            "random" => Sampling::Random,
            "per-task" => Sampling::PerTask,
            "batch" => Sampling::Batch,
            _ => Sampling::LateBinding,
        };
    }
    if let Some((v, key)) = get("probe_ratio") {
        let d = as_f64(v, &key)?;
        if !(1.0..=1000.0).contains(&d) {
            return Err(FieldError::new(
                key,
                format!("must be between 1 and 1000, got {d}"),
            ));
        }
        spec.probe_ratio = d;
    }
    if let Some((v, key)) = get("network_delay") {
        spec.network_delay = field::sim_duration(v, &key)?;
    }
    Ok(spec)
}

/// Architecture settings that need the rest of the scenario: preemption and immediate dispatch
/// belong to the synchronous central scheduler only.
pub fn check_fit(
    archs: &[Arc<ArchitectureSpec>],
    preempt: &[bool],
    immediate: bool,
) -> Result<(), FieldError> {
    for (i, a) in archs.iter().enumerate() {
        if a.is_trivial() {
            continue;
        }
        if preempt.get(i).copied().unwrap_or(false) {
            return Err(FieldError::new(
                format!("scheduler[{i}].preempt"),
                format!(
                    "preemption is not supported under the {} architecture with decision times (only by the synchronous central scheduler)",
                    a.kind.name()
                ),
            ));
        }
        if immediate {
            return Err(FieldError::new(
                "workload.dispatch",
                format!(
                    "\"immediate\" dispatch is the synchronous central scheduler's; scheduler[{i}] uses the {} architecture (use \"decentralized\" for queues at the nodes)",
                    a.kind.name()
                ),
            ));
        }
    }
    Ok(())
}

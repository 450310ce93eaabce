//! The `[faults]` table.

use toml::{Table, Value};

use crate::config::field::{
    self, as_f64, as_str, as_table, as_u64, check_keys, join, opt, FieldError,
};
use crate::config::quantity::{self, Unit};
use crate::faults::{Crash, CrashTarget, FaultSpec};
use crate::time::{SimDuration, SimTime};
use crate::workload::dist::DistSpec;

const KEYS: &[&str] = &[
    "node_mtbf",
    "node_mttr",
    "permanent_fraction",
    "domain_mtbf",
    "domain_mttr",
    "detection",
    "health_check",
    "task_failure_prob",
    "task_mtbf",
    "crashes",
];

/// A time-between-events quantity: a plain duration means exponential with that mean.
fn renewal(t: &Table, name: &str) -> Result<Option<DistSpec>, FieldError> {
    opt(t, name, "faults", |v, k| match v {
        Value::Table(_) => quantity::quantity(v, k, Unit::Duration),
        _ => {
            let mean = field::duration_secs(v, k)?;
            if mean <= 0.0 {
                return Err(FieldError::new(k, "must be positive"));
            }
            Ok(DistSpec::Exponential { mean })
        }
    })
}

/// Parses `[faults]`; `groups` and `domains` are the cluster's names, `nodes` its size.
pub fn parse_faults(
    t: &Table,
    groups: &[String],
    domains: &[String],
    nodes: u64,
) -> Result<FaultSpec, FieldError> {
    check_keys(t, KEYS, "faults")?;
    let p = "faults";
    let node_ttf = renewal(t, "node_mtbf")?;
    let node_ttr = renewal(t, "node_mttr")?;
    if node_ttf.is_some() != node_ttr.is_some()
        && t.get("permanent_fraction").and_then(Value::as_float) != Some(1.0)
    {
        let missing = if node_ttf.is_some() {
            "node_mttr"
        } else {
            "node_mtbf"
        };
        return Err(FieldError::new(
            join(p, missing),
            "node_mtbf and node_mttr go together",
        ));
    }
    let domain_ttf = renewal(t, "domain_mtbf")?;
    let domain_ttr = renewal(t, "domain_mttr")?;
    if domain_ttf.is_some() != domain_ttr.is_some() {
        let missing = if domain_ttf.is_some() {
            "domain_mttr"
        } else {
            "domain_mtbf"
        };
        return Err(FieldError::new(
            join(p, missing),
            "domain_mtbf and domain_mttr go together",
        ));
    }
    let fraction = |name: &str| -> Result<f64, FieldError> {
        let x = opt(t, name, p, as_f64)?.unwrap_or(0.0);
        if (0.0..=1.0).contains(&x) {
            Ok(x)
        } else {
            Err(FieldError::new(
                join(p, name),
                format!("must be within [0, 1], got {x}"),
            ))
        }
    };
    let dur = |name: &str| {
        opt(t, name, p, field::duration_secs).map(|o| SimDuration::from_secs_f64(o.unwrap_or(0.0)))
    };
    let task_mtbf = opt(t, "task_mtbf", p, field::duration_secs)?;
    if task_mtbf.is_some_and(|m| m <= 0.0) {
        return Err(FieldError::new("faults.task_mtbf", "must be positive"));
    }
    let mut crashes = Vec::new();
    if let Some(list) = t.get("crashes") {
        let items = list.as_array().ok_or_else(|| {
            FieldError::new(
                "faults.crashes",
                "expected a list of { at, node | group | domain, repair } tables",
            )
        })?;
        for (i, item) in items.iter().enumerate() {
            crashes.push(parse_crash(
                item,
                &format!("faults.crashes[{i}]"),
                groups,
                domains,
                nodes,
            )?);
        }
    }
    Ok(FaultSpec {
        node_ttr: node_ttr.or(node_ttf.as_ref().map(|_| DistSpec::Constant { value: 0.0 })),
        node_ttf,
        permanent_fraction: fraction("permanent_fraction")?,
        domain_ttf,
        domain_ttr,
        detection: dur("detection")?,
        health_check: dur("health_check")?,
        task_failure_prob: fraction("task_failure_prob")?,
        task_mtbf: task_mtbf.map(SimDuration::from_secs_f64),
        crashes,
    })
}

fn parse_crash(
    v: &Value,
    key: &str,
    groups: &[String],
    domains: &[String],
    nodes: u64,
) -> Result<Crash, FieldError> {
    let t = as_table(v, key)?;
    check_keys(t, &["at", "node", "group", "domain", "repair"], key)?;
    let at =
        SimTime::ZERO + SimDuration::from_secs_f64(field::req(t, "at", key, field::duration_secs)?);
    let repair = opt(t, "repair", key, field::duration_secs)?.map(SimDuration::from_secs_f64);
    let named = |name: &str, known: &[String]| -> Result<Option<String>, FieldError> {
        let Some(s) = opt(t, name, key, as_str)? else {
            return Ok(None);
        };
        if !known.iter().any(|k| k == s) {
            return Err(FieldError::new(
                join(key, name),
                format!("no {name} named \"{s}\" (known: {})", known.join(", ")),
            ));
        }
        Ok(Some(s.to_string()))
    };
    let node = opt(t, "node", key, as_u64)?;
    let targets = [
        node.map(|n| n.to_string()),
        named("group", groups)?,
        named("domain", domains)?,
    ];
    if targets.iter().filter(|x| x.is_some()).count() != 1 {
        return Err(FieldError::new(
            key,
            "name exactly one of node, group or domain",
        ));
    }
    let target = match (node, named("group", groups)?, named("domain", domains)?) {
        (Some(n), _, _) if n >= nodes => {
            return Err(FieldError::new(
                join(key, "node"),
                format!("node {n} does not exist (the cluster has {nodes} nodes, numbered from 0)"),
            ))
        }
        (Some(n), _, _) => CrashTarget::Node(n as u32),
        (_, Some(g), _) => CrashTarget::Group(g),
        (_, _, Some(d)) => CrashTarget::Domain(d),
        _ => unreachable!("exactly one target checked above"),
    };
    Ok(Crash { at, target, repair })
}

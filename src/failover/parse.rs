//! The `[failover]` table.

use std::collections::BTreeSet;

use toml::Table;

use crate::config::field::{self, as_bool, as_f64, as_str, as_u64, check_keys, opt, FieldError};
use crate::failover::{CheckpointPlan, Failover, FailoverSpec, Position, Spread};
use crate::time::SimDuration;

const KEYS: &[&str] = &[
    "policy",
    "max_attempts",
    "position",
    "backoff",
    "backoff_factor",
    "max_backoff",
    "checkpoint_interval",
    "checkpoint_cost",
    "replicas",
    "spread",
    "pin_services",
];

const POLICIES: &[&str] = &["none", "resubmit", "retry", "checkpoint", "replicate"];

/// The policies a `[failover]` key applies to (`policy` and `pin_services` apply to all).
fn applies_to(key: &str) -> &'static [&'static str] {
    match key {
        "max_attempts" => &["resubmit", "retry", "checkpoint", "replicate"],
        "position" => &["resubmit"],
        "backoff" | "backoff_factor" | "max_backoff" => &["retry"],
        "checkpoint_interval" | "checkpoint_cost" => &["checkpoint"],
        "replicas" | "spread" => &["replicate"],
        _ => POLICIES,
    }
}

/// Rejects a `[failover]` key that applies to none of the policies the scenario runs. `tables` are
/// the `[failover]` tables of every sweep point (`None` where a point has none). When the policy is
/// swept, a key that applies to any of the swept policies is accepted (each policy ignores the keys
/// of the others, so one table can configure them all); otherwise a key must apply to the one
/// policy, as `[[scheduler]]` keys must apply to their placement.
pub fn check_applicable(tables: &[Option<&Table>]) -> Result<(), FieldError> {
    let policies: BTreeSet<&str> = tables
        .iter()
        .map(|t| {
            t.and_then(|t| t.get("policy"))
                .and_then(toml::Value::as_str)
                .unwrap_or("resubmit")
        })
        .collect();
    for key in tables.iter().flatten().flat_map(|t| t.keys()) {
        let takes = applies_to(key);
        if policies.iter().any(|p| takes.contains(p)) {
            continue;
        }
        let run: Vec<String> = policies.iter().map(|p| format!("\"{p}\"")).collect();
        let users: Vec<String> = takes.iter().map(|p| format!("\"{p}\"")).collect();
        return Err(FieldError::new(
            format!("failover.{key}"),
            format!(
                "applies only to policy {}, and the scenario runs policy {}; remove it",
                users.join(" or "),
                run.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Parses `[failover]`; `mtbf` is the nodes' mean time between failures (for the `auto` interval).
pub fn parse_failover(t: &Table, mtbf: Option<SimDuration>) -> Result<Failover, FieldError> {
    check_keys(t, KEYS, "failover")?;
    let p = "failover";
    let dur = |name: &str| {
        opt(t, name, p, field::duration_secs).map(|o| o.map(SimDuration::from_secs_f64))
    };
    let max_attempts = opt(t, "max_attempts", p, as_u64)?.map(|m| m as u32);
    if max_attempts == Some(0) {
        return Err(FieldError::new(
            "failover.max_attempts",
            "must be at least 1 (the first attempt counts)",
        ));
    }
    let policy_name = opt(t, "policy", p, |v, k| as_str(v, k).map(str::to_string))?
        .unwrap_or_else(|| "resubmit".into());
    let policy = match policy_name.as_str() {
        "none" => FailoverSpec::None,
        "resubmit" => {
            let position = match opt(t, "position", p, as_str)? {
                None | Some("tail") => Position::Tail,
                Some("head") => Position::Head,
                Some(o) => return Err(FieldError::new("failover.position", format!("expected \"head\" or \"tail\", got \"{o}\""))),
            };
            FailoverSpec::Resubmit { position, max_attempts }
        }
        "retry" => {
            let factor = opt(t, "backoff_factor", p, as_f64)?.unwrap_or(2.0);
            if !(factor.is_finite() && factor >= 1.0) {
                return Err(FieldError::new("failover.backoff_factor", format!("must be at least 1, got {factor}")));
            }
            FailoverSpec::Retry {
                max_attempts: max_attempts.unwrap_or(3),
                backoff: dur("backoff")?.unwrap_or(SimDuration::from_secs(1)),
                factor,
                max_backoff: dur("max_backoff")?.unwrap_or(SimDuration::from_secs(3600)),
            }
        }
        "checkpoint" => {
            let cost = dur("checkpoint_cost")?.unwrap_or(SimDuration::ZERO);
            let interval = match t.get("checkpoint_interval") {
                Some(toml::Value::String(s)) if s == "auto" => match mtbf {
                    Some(m) if cost.0 > 0 => CheckpointPlan::young(cost, m),
                    Some(_) => return Err(FieldError::new("failover.checkpoint_cost", "\"auto\" needs a positive checkpoint_cost")),
                    None => return Err(FieldError::new("failover.checkpoint_interval", "\"auto\" needs faults.node_mtbf (Young's formula uses it)")),
                },
                Some(v) => SimDuration::from_secs_f64(field::duration_secs(v, "failover.checkpoint_interval")?),
                None => return Err(FieldError::new("failover.checkpoint_interval", "is required for policy \"checkpoint\" (a duration or \"auto\")")),
            };
            if interval.0 == 0 {
                return Err(FieldError::new("failover.checkpoint_interval", "must be positive"));
            }
            FailoverSpec::Checkpoint { plan: CheckpointPlan { interval, cost }, max_attempts }
        }
        "replicate" => {
            let replicas = opt(t, "replicas", p, as_u64)?.unwrap_or(2);
            if !(1..=64).contains(&replicas) {
                return Err(FieldError::new("failover.replicas", format!("must be between 1 and 64, got {replicas}")));
            }
            let spread = match opt(t, "spread", p, as_str)? {
                None | Some("node") => Spread::Node,
                Some("domain") => Spread::Domain,
                Some(o) => return Err(FieldError::new("failover.spread", format!("expected \"node\" or \"domain\", got \"{o}\""))),
            };
            FailoverSpec::Replicate { replicas: replicas as u32, spread, max_attempts }
        }
        other => {
            return Err(FieldError::new(
                "failover.policy",
                format!("unknown failover policy \"{other}\" (expected one of: none, resubmit, retry, checkpoint, replicate)"),
            ))
        }
    };
    let pin_services = opt(t, "pin_services", p, as_bool)?.unwrap_or(false);
    Ok(Failover {
        policy,
        pin_services,
    })
}

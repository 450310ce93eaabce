//! Parsing `[[scheduler]]` tables. Every key is checked: unknown keys and parameters given to an
//! algorithm that has no use for them are errors naming the key.

use toml::{Table, Value};

use crate::config::field::{
    as_f64, as_str, as_table, as_u64, check_keys, join, opt, req, FieldError,
};
use crate::sched::build::registry::{self, Args};
use crate::sched::build::{unknown_placement, PlacementSpec, SchedulerSpec};
use crate::sched::placement::Filter;
use crate::sched::preempt::PreemptMode;
use crate::sched::scoring::ScoreFn;
use crate::sched::QueuePolicy;

/// Keys every `[[scheduler]]` table may have; the named placements' parameters come on top.
const COMMON_KEYS: &[&str] = &[
    "name",
    "architecture",
    "queue",
    "placement",
    "preempt",
    "filter",
    "sample_percent",
];

/// Keys a `[[scheduler]]` table may have: the common ones and every registered placement parameter.
pub fn scheduler_keys() -> Vec<&'static str> {
    let mut keys = COMMON_KEYS.to_vec();
    keys.extend(registry::param_keys());
    keys
}

/// Keys of a `placement = { ... }` table.
const SCORE_TABLE_KEYS: &[&str] = &["score", "filter", "sample_percent"];

/// An E-PVM base: a whole number of at least 2.
fn epvm_base(v: &Value, key: &str) -> Result<u32, FieldError> {
    match as_u64(v, key)? {
        b @ 2..=1_000_000 => Ok(b as u32),
        b => Err(FieldError::new(
            key,
            format!("must be between 2 and 1000000, got {b}"),
        )),
    }
}

fn filters(v: &Value, key: &str) -> Result<Vec<Filter>, FieldError> {
    let Value::Array(items) = v else {
        return Err(FieldError::new(
            key,
            "expected a list of filters such as [\"max-utilisation:0.9\"]",
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let k = format!("{key}[{i}]");
            Filter::parse(as_str(item, &k)?).map_err(|m| FieldError::new(k, m))
        })
        .collect()
}

fn sample_percent(v: &Value, key: &str) -> Result<u32, FieldError> {
    match as_u64(v, key)? {
        p @ 1..=100 => Ok(p as u32),
        p => Err(FieldError::new(
            key,
            format!("must be a percentage from 1 to 100, got {p}"),
        )),
    }
}

/// `sample = k`: a whole number of nodes, at least 1.
fn sample_count(v: &Value, key: &str) -> Result<u32, FieldError> {
    match as_u64(v, key)? {
        k @ 1..=0xFFFF_FFFF => Ok(k as u32),
        0 => Err(FieldError::new(
            key,
            "must be at least 1 (nodes looked at per decision), got 0",
        )),
        k => Err(FieldError::new(
            key,
            format!("must be at most 4294967295, got {k}"),
        )),
    }
}

/// `preempt = true | false | "restart" | "resume"`: `Some(mode)` when preemption is on.
fn preempt_mode(table: &Table, prefix: &str) -> Result<Option<PreemptMode>, FieldError> {
    let key = join(prefix, "preempt");
    match table.get("preempt") {
        None | Some(Value::Boolean(false)) => Ok(None),
        Some(Value::Boolean(true)) => Ok(Some(PreemptMode::Restart)),
        Some(Value::String(s)) if s == "restart" => Ok(Some(PreemptMode::Restart)),
        Some(Value::String(s)) if s == "resume" => Ok(Some(PreemptMode::Resume)),
        Some(v) => Err(FieldError::new(
            key,
            format!(
                "expected true, false, \"restart\" (a preempted task loses its work) or \"resume\" (it keeps it), got {v}"
            ),
        )),
    }
}

/// Fails if `name` is present although `applies` is false, saying what it applies to.
fn only_for(
    table: &Table,
    name: &str,
    prefix: &str,
    applies: bool,
    what: &str,
) -> Result<(), FieldError> {
    if table.contains_key(name) && !applies {
        return Err(FieldError::new(
            join(prefix, name),
            format!("applies only to {what}"),
        ));
    }
    Ok(())
}

impl SchedulerSpec {
    /// Parses one `[[scheduler]]` table; `prefix` is its dotted path (e.g. `scheduler[1]`).
    pub fn from_table(table: &Table, prefix: &str) -> Result<SchedulerSpec, FieldError> {
        check_keys(table, &scheduler_keys(), prefix)?;
        let name = req(table, "name", prefix, |v, k| {
            as_str(v, k).map(str::to_string)
        })?;
        let queue_key = join(prefix, "queue");
        let mut preempt_kind = PreemptMode::default();
        let mut queue = match table.get("queue") {
            Some(v) => QueuePolicy::parse(as_str(v, &queue_key)?)
                .map_err(|m| FieldError::new(&queue_key, m))?,
            None => QueuePolicy::Fifo,
        };
        let preempt = preempt_mode(table, prefix)?;
        if let Some(mode) = preempt {
            only_for(
                table,
                "preempt",
                prefix,
                queue == QueuePolicy::Priority,
                "queue = \"priority\"",
            )?;
            queue = QueuePolicy::PreemptivePriority;
            preempt_kind = mode;
        }
        let placement = placement(table, prefix)?;
        if placement.batch_rule().is_some() && queue != QueuePolicy::Fifo {
            return Err(FieldError::new(
                queue_key,
                "batch heuristics (min-min, max-min, sufferage) order the queue themselves; leave queue as \"fifo\"",
            ));
        }
        Ok(SchedulerSpec {
            name,
            queue,
            placement,
            preempt: preempt_kind,
        })
    }
}

/// The `placement` key with the scheduler-level parameters that refine it; `sample = k` wraps
/// whatever placement that gives (only takers of `sample` get this far with the key).
fn placement(table: &Table, prefix: &str) -> Result<PlacementSpec, FieldError> {
    let spec = unsampled(table, prefix)?;
    let Some(sample) = opt(table, "sample", prefix, sample_count)? else {
        return Ok(spec);
    };
    if let PlacementSpec::Score {
        sample_percent: Some(_),
        ..
    } = spec
    {
        return Err(FieldError::new(
            join(prefix, "sample"),
            "give either sample (nodes per decision) or sample_percent, not both",
        ));
    }
    Ok(PlacementSpec::Sampled {
        sample,
        of: Box::new(spec),
    })
}

/// The placement without `sample`.
fn unsampled(table: &Table, prefix: &str) -> Result<PlacementSpec, FieldError> {
    let key = join(prefix, "placement");
    let mut spec = match table.get("placement") {
        None => return Err(FieldError::new(key, "is required but missing")),
        Some(Value::String(s)) => named(table, prefix, s)?,
        Some(v) => {
            if let Some(k) = registry::param_keys()
                .into_iter()
                .find(|&k| k != registry::SAMPLE.key && table.contains_key(k))
            {
                return Err(registry::not_taken(prefix, k));
            }
            parse_score_table(as_table(v, &key)?, &key)?
        }
    };
    let filter = opt(table, "filter", prefix, filters)?;
    let sample = opt(table, "sample_percent", prefix, sample_percent)?;
    if filter.is_none() && sample.is_none() {
        return Ok(spec);
    }
    let Some(scores) = spec.score_preset() else {
        let k = if filter.is_some() {
            "filter"
        } else {
            "sample_percent"
        };
        return Err(FieldError::new(
            join(prefix, k),
            "applies only to score-based placements",
        ));
    };
    let (filters0, sample0) = match &spec {
        PlacementSpec::Score {
            filters,
            sample_percent,
            ..
        } => (filters.clone(), *sample_percent),
        _ => (Vec::new(), None),
    };
    if (filter.is_some() && !filters0.is_empty()) || (sample.is_some() && sample0.is_some()) {
        return Err(FieldError::new(
            key,
            "give filter and sample_percent either in the placement table or beside it, not both",
        ));
    }
    spec = PlacementSpec::Score {
        scores,
        filters: filter.unwrap_or(filters0),
        sample_percent: sample.or(sample0),
    };
    Ok(spec)
}

/// A named placement with the parameters it takes; a parameter it does not take is an error.
fn named(table: &Table, prefix: &str, name: &str) -> Result<PlacementSpec, FieldError> {
    let entry = registry::lookup(name)
        .ok_or_else(|| FieldError::new(join(prefix, "placement"), unknown_placement(name)))?;
    let args = Args::new(table, prefix);
    args.check_accepted_by(entry)?;
    (entry.spec)(&args)
}

/// Parses `{ score = [{ fn = "...", weight = w }, ...], filter = [...], sample_percent = p }`.
fn parse_score_table(table: &Table, prefix: &str) -> Result<PlacementSpec, FieldError> {
    check_keys(table, SCORE_TABLE_KEYS, prefix)?;
    let list_key = join(prefix, "score");
    let list = match table.get("score") {
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(FieldError::new(
                &list_key,
                "expected a list of { fn, weight } tables",
            ))
        }
        None => return Err(FieldError::new(&list_key, "is required but missing")),
    };
    if list.is_empty() {
        return Err(FieldError::new(
            list_key,
            "must name at least one scoring function",
        ));
    }
    let mut scores = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let key = format!("{list_key}[{i}]");
        let t = as_table(item, &key)?;
        check_keys(t, &["fn", "weight", "base"], &key)?;
        let mut f = req(t, "fn", &key, |v, k| {
            ScoreFn::parse(as_str(v, k)?).map_err(|m| FieldError::new(k, m))
        })?;
        if let Some(b) = opt(t, "base", &key, epvm_base)? {
            match &mut f {
                ScoreFn::EPvm { base } => *base = b,
                _ => {
                    return Err(FieldError::new(
                        join(&key, "base"),
                        "applies only to fn = \"e-pvm\"",
                    ))
                }
            }
        }
        let w = opt(t, "weight", &key, as_f64)?.unwrap_or(1.0);
        if !(w.is_finite() && w >= 0.0) {
            return Err(FieldError::new(
                join(&key, "weight"),
                format!("must be a non-negative number, got {w}"),
            ));
        }
        scores.push((f, w));
    }
    Ok(PlacementSpec::Score {
        scores,
        filters: opt(table, "filter", prefix, filters)?.unwrap_or_default(),
        sample_percent: opt(table, "sample_percent", prefix, sample_percent)?,
    })
}

#[cfg(test)]
mod tests;

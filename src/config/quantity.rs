//! Quantities in scenarios: a plain value, or a `{ dist = "...", ... }` table whose parameters carry
//! the quantity's unit.

use toml::{Table, Value};

use crate::config::field::{self, as_f64, as_str, check_keys, join, FieldError};
use crate::workload::arrival::ArrivalSpec;
use crate::workload::dist::DistSpec;

/// The unit a quantity is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Seconds (strings like "30s" allowed).
    Duration,
    /// Bytes (strings like "4GiB" allowed).
    Size,
    /// Cores (a plain number, at most [`field::MAX_CORES`]).
    Cores,
    /// A plain number (priority, weights).
    Plain,
}

/// Reads a number in `unit` (always in base units: seconds, bytes, or the plain value).
pub fn number(v: &Value, key: &str, unit: Unit) -> Result<f64, FieldError> {
    match unit {
        Unit::Duration => field::duration_secs(v, key),
        Unit::Size => field::size_bytes(v, key),
        Unit::Cores => field::check_cores(as_f64(v, key)?, key),
        Unit::Plain => as_f64(v, key),
    }
}

/// Reads a quantity: a plain value (constant) or a distribution table.
pub fn quantity(v: &Value, key: &str, unit: Unit) -> Result<DistSpec, FieldError> {
    let spec = match v {
        Value::Table(t) => distribution(t, key, unit)?,
        _ => DistSpec::Constant {
            value: number(v, key, unit)?,
        },
    };
    spec.validate().map_err(|m| FieldError::new(key, m))?;
    Ok(spec)
}

const DISTS: &str = "constant, exponential, uniform, lognormal, pareto, weibull, choice";

fn distribution(t: &Table, key: &str, unit: Unit) -> Result<DistSpec, FieldError> {
    let name = field::req(t, "dist", key, as_str)?;
    let get = |p: &str, u: Unit| field::req(t, p, key, |v, k| number(v, k, u));
    let (allowed, spec): (&[&str], DistSpec) = match name {
        "constant" => (
            &["dist", "value"],
            DistSpec::Constant {
                value: get("value", unit)?,
            },
        ),
        "exponential" => (
            &["dist", "mean"],
            DistSpec::Exponential {
                mean: get("mean", unit)?,
            },
        ),
        "uniform" => (
            &["dist", "low", "high"],
            DistSpec::Uniform {
                low: get("low", unit)?,
                high: get("high", unit)?,
            },
        ),
        "lognormal" => (
            &["dist", "mean", "std"],
            DistSpec::Lognormal {
                mean: get("mean", unit)?,
                std: get("std", unit)?,
            },
        ),
        "pareto" => (
            &["dist", "alpha", "min", "max"],
            DistSpec::Pareto {
                alpha: get("alpha", Unit::Plain)?,
                min: get("min", unit)?,
                max: get("max", unit)?,
            },
        ),
        "weibull" => (
            &["dist", "shape", "scale"],
            DistSpec::Weibull {
                shape: get("shape", Unit::Plain)?,
                scale: get("scale", unit)?,
            },
        ),
        "choice" => {
            let values = list(t, "values", key, unit)?;
            let weights = match t.get("weights") {
                Some(_) => list(t, "weights", key, Unit::Plain)?,
                None => vec![1.0; values.len()],
            };
            (
                &["dist", "values", "weights"],
                DistSpec::Choice { values, weights },
            )
        }
        other => {
            return Err(FieldError::new(
                join(key, "dist"),
                format!("unknown distribution \"{other}\" (expected one of: {DISTS})"),
            ))
        }
    };
    check_keys(t, allowed, key)?;
    Ok(spec)
}

fn list(t: &Table, name: &str, key: &str, unit: Unit) -> Result<Vec<f64>, FieldError> {
    let k = join(key, name);
    match t.get(name) {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| number(v, &format!("{k}[{i}]"), unit))
            .collect(),
        Some(_) => Err(FieldError::new(k, "expected a list")),
        None => Err(FieldError::new(k, "is required but missing")),
    }
}

const PROCESSES: &str = "poisson, constant, bursty, diurnal";

/// Reads an arrival process table.
pub fn arrival(v: &Value, key: &str) -> Result<ArrivalSpec, FieldError> {
    let t = field::as_table(v, key)?;
    let name = field::req(t, "process", key, as_str)?;
    let rate = |p: &str| field::req(t, p, key, as_f64);
    let dur = |p: &str| field::req(t, p, key, field::duration_secs);
    let (allowed, spec): (&[&str], ArrivalSpec) = match name {
        "poisson" => (
            &["process", "rate"],
            ArrivalSpec::Poisson {
                rate: rate("rate")?,
            },
        ),
        "constant" => (
            &["process", "rate"],
            ArrivalSpec::Constant {
                rate: rate("rate")?,
            },
        ),
        "bursty" => (
            &["process", "rate_on", "rate_off", "mean_on", "mean_off"],
            ArrivalSpec::Bursty {
                rate_on: rate("rate_on")?,
                rate_off: rate("rate_off")?,
                mean_on: dur("mean_on")?,
                mean_off: dur("mean_off")?,
            },
        ),
        "diurnal" => (
            &["process", "mean_rate", "amplitude", "period"],
            ArrivalSpec::Diurnal {
                mean_rate: rate("mean_rate")?,
                amplitude: rate("amplitude")?,
                period: dur("period")?,
            },
        ),
        other => {
            return Err(FieldError::new(
                join(key, "process"),
                format!("unknown arrival process \"{other}\" (expected one of: {PROCESSES})"),
            ))
        }
    };
    check_keys(t, allowed, key)?;
    spec.validate().map_err(|m| FieldError::new(key, m))?;
    Ok(spec)
}

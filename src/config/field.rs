//! Reading typed fields out of TOML tables with errors that name the key.

use toml::{Table, Value};

use crate::time::{DurationError, SimDuration};
use crate::units::{parse_duration_secs, parse_size_bytes};

/// The most cores a node, a task or a service may have (larger values are typing mistakes, and
/// their millicores would not fit the integer resource vectors once summed over a cluster).
pub const MAX_CORES: f64 = 1_000_000.0;

/// Sizes must be below 2^64 bytes (16 EiB): resource vectors hold bytes in a `u64`.
pub const MAX_SIZE_BYTES: f64 = 18_446_744_073_709_551_616.0;

/// A problem with one key of a scenario: the dotted key and what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct FieldError {
    /// Dotted path of the offending key, e.g. `cluster.nodes[0].cpu`.
    pub key: String,
    /// What was wrong and what was expected.
    pub message: String,
}

impl FieldError {
    /// An error at `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Joins a prefix and a key into a dotted path.
pub fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Fails on the first key of `table` not in `allowed`, naming it and listing the allowed ones.
pub fn check_keys(table: &Table, allowed: &[&str], prefix: &str) -> Result<(), FieldError> {
    match table.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(FieldError::new(
            join(prefix, k),
            format!(
                "unknown key \"{k}\" (expected one of: {})",
                allowed.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// The TOML type of `v` with its article: "a string", "an array", "a table".
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a datetime",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

/// A TOML table at `key`.
pub fn as_table<'a>(v: &'a Value, key: &str) -> Result<&'a Table, FieldError> {
    v.as_table()
        .ok_or_else(|| FieldError::new(key, format!("expected a table, got {}", type_name(v))))
}

/// A string at `key`.
pub fn as_str<'a>(v: &'a Value, key: &str) -> Result<&'a str, FieldError> {
    v.as_str()
        .ok_or_else(|| FieldError::new(key, format!("expected a string, got {}", type_name(v))))
}

/// A number (integer or float) at `key`.
pub fn as_f64(v: &Value, key: &str) -> Result<f64, FieldError> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Integer(i) => Ok(*i as f64),
        other => Err(FieldError::new(
            key,
            format!("expected a number, got {}", type_name(other)),
        )),
    }
}

/// A non-negative integer at `key`.
pub fn as_u64(v: &Value, key: &str) -> Result<u64, FieldError> {
    match v {
        Value::Integer(i) if *i >= 0 => Ok(*i as u64),
        Value::Integer(i) => Err(FieldError::new(
            key,
            format!("must not be negative, got {i}"),
        )),
        other => Err(FieldError::new(
            key,
            format!("expected a whole number, got {}", type_name(other)),
        )),
    }
}

/// A boolean at `key`.
pub fn as_bool(v: &Value, key: &str) -> Result<bool, FieldError> {
    v.as_bool().ok_or_else(|| {
        FieldError::new(key, format!("expected true or false, got {}", type_name(v)))
    })
}

/// A positive number at `key`.
pub fn positive_f64(v: &Value, key: &str) -> Result<f64, FieldError> {
    let x = as_f64(v, key)?;
    if x.is_finite() && x > 0.0 {
        Ok(x)
    } else {
        Err(FieldError::new(
            key,
            format!("must be a positive number, got {x}"),
        ))
    }
}

/// A duration in seconds at `key`: a string with a unit or a plain number of seconds, not negative.
pub fn duration_secs(v: &Value, key: &str) -> Result<f64, FieldError> {
    let secs = match v {
        Value::String(s) => parse_duration_secs(s).map_err(|m| FieldError::new(key, m))?,
        Value::Integer(_) | Value::Float(_) => as_f64(v, key)?,
        other => {
            return Err(FieldError::new(
                key,
                format!(
                    "expected a duration (\"30s\", \"5m\", or seconds), got {}",
                    type_name(other)
                ),
            ))
        }
    };
    match SimDuration::try_from_secs_f64(secs) {
        Ok(_) => Ok(secs),
        Err(DurationError::Negative) => Err(FieldError::new(
            key,
            format!("must not be negative, got {secs} s"),
        )),
        Err(e) => Err(FieldError::new(key, format!("{e}, got {secs} s"))),
    }
}

/// A duration at `key` as simulated time (see [`duration_secs`]; never clamped or rounded to zero).
pub fn sim_duration(v: &Value, key: &str) -> Result<SimDuration, FieldError> {
    duration_secs(v, key).map(SimDuration::from_secs_f64)
}

/// A positive number of cores at `key`, at most [`MAX_CORES`].
pub fn cores(v: &Value, key: &str) -> Result<f64, FieldError> {
    let c = positive_f64(v, key)?;
    check_cores(c, key)
}

/// Fails when `c` cores exceed [`MAX_CORES`].
pub fn check_cores(c: f64, key: &str) -> Result<f64, FieldError> {
    if c > MAX_CORES {
        return Err(FieldError::new(
            key,
            format!("{c} cores is more than simctl supports ({MAX_CORES} per node or task)"),
        ));
    }
    Ok(c)
}

/// A size in bytes at `key`: a string with a unit or a plain number of bytes, not negative.
pub fn size_bytes(v: &Value, key: &str) -> Result<f64, FieldError> {
    let bytes = match v {
        Value::String(s) => parse_size_bytes(s).map_err(|m| FieldError::new(key, m))?,
        Value::Integer(_) | Value::Float(_) => as_f64(v, key)?,
        other => {
            return Err(FieldError::new(
                key,
                format!(
                    "expected a size (\"4GiB\", \"500MB\", or bytes), got {}",
                    type_name(other)
                ),
            ))
        }
    };
    if bytes < 0.0 {
        return Err(FieldError::new(
            key,
            format!("must not be negative, got {bytes} bytes"),
        ));
    }
    if bytes.round() >= MAX_SIZE_BYTES {
        return Err(FieldError::new(
            key,
            format!(
                "{bytes} bytes is not below 2^64 bytes (16 EiB), the largest size simctl holds"
            ),
        ));
    }
    Ok(bytes)
}

/// Looks up an optional key and converts it.
pub fn opt<'a, T>(
    table: &'a Table,
    name: &str,
    prefix: &str,
    f: impl FnOnce(&'a Value, &str) -> Result<T, FieldError>,
) -> Result<Option<T>, FieldError> {
    table
        .get(name)
        .map(|v| f(v, &join(prefix, name)))
        .transpose()
}

/// Looks up a required key and converts it.
pub fn req<'a, T>(
    table: &'a Table,
    name: &str,
    prefix: &str,
    f: impl FnOnce(&'a Value, &str) -> Result<T, FieldError>,
) -> Result<T, FieldError> {
    let key = join(prefix, name);
    match table.get(name) {
        Some(v) => f(v, &key),
        None => Err(FieldError::new(key, "is required but missing")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_take_the_right_article() {
        let arr = Value::Array(vec![]);
        let e = as_str(&arr, "k").unwrap_err();
        assert_eq!(e.message, "expected a string, got an array");
        let e = as_f64(&Value::Table(Table::new()), "k").unwrap_err();
        assert_eq!(e.message, "expected a number, got a table");
        let e = as_bool(&Value::Integer(3), "k").unwrap_err();
        assert_eq!(e.message, "expected true or false, got an integer");
    }

    #[test]
    fn durations_that_would_clamp_or_round_to_zero_are_errors() {
        let e = duration_secs(
            &Value::String("99999999999999999d".into()),
            "scenario.horizon",
        )
        .unwrap_err();
        assert_eq!(e.key, "scenario.horizon");
        assert!(
            e.message.contains("longer than the longest simulated time"),
            "{e}"
        );
        let e = duration_secs(&Value::String("0.1us".into()), "output.timeseries").unwrap_err();
        assert!(e.message.contains("round to zero"), "{e}");
        assert_eq!(duration_secs(&Value::Integer(0), "k"), Ok(0.0));
    }

    #[test]
    fn sizes_of_2_pow_64_bytes_or_more_are_errors() {
        let e = size_bytes(&Value::String("16EiB".into()), "k");
        assert!(e.is_err());
        let e = size_bytes(&Value::Float(1.9e19), "m").unwrap_err();
        assert!(e.message.contains("2^64"), "{e}");
        assert!(size_bytes(&Value::Float(1.8e19), "m").is_ok());
    }

    #[test]
    fn absurd_core_counts_are_errors() {
        assert!(cores(&Value::Float(1e300), "cpu")
            .unwrap_err()
            .message
            .contains("more than simctl supports"));
        assert_eq!(cores(&Value::Integer(64), "cpu"), Ok(64.0));
    }
}

//! Reading typed fields out of TOML tables with errors that name the key.

use toml::{Table, Value};

use crate::units::{parse_duration_secs, parse_size_bytes};

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

fn type_name(v: &Value) -> &'static str {
    v.type_str()
}

/// A TOML table at `key`.
pub fn as_table<'a>(v: &'a Value, key: &str) -> Result<&'a Table, FieldError> {
    v.as_table()
        .ok_or_else(|| FieldError::new(key, format!("expected a table, got a {}", type_name(v))))
}

/// A string at `key`.
pub fn as_str<'a>(v: &'a Value, key: &str) -> Result<&'a str, FieldError> {
    v.as_str()
        .ok_or_else(|| FieldError::new(key, format!("expected a string, got a {}", type_name(v))))
}

/// A number (integer or float) at `key`.
pub fn as_f64(v: &Value, key: &str) -> Result<f64, FieldError> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Integer(i) => Ok(*i as f64),
        other => Err(FieldError::new(
            key,
            format!("expected a number, got a {}", type_name(other)),
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
            format!("expected a whole number, got a {}", type_name(other)),
        )),
    }
}

/// A boolean at `key`.
pub fn as_bool(v: &Value, key: &str) -> Result<bool, FieldError> {
    v.as_bool().ok_or_else(|| {
        FieldError::new(
            key,
            format!("expected true or false, got a {}", type_name(v)),
        )
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
                    "expected a duration (\"30s\", \"5m\", or seconds), got a {}",
                    type_name(other)
                ),
            ))
        }
    };
    if secs < 0.0 {
        return Err(FieldError::new(
            key,
            format!("must not be negative, got {secs} s"),
        ));
    }
    Ok(secs)
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
                    "expected a size (\"4GiB\", \"500MB\", or bytes), got a {}",
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

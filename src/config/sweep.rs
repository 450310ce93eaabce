//! `[sweep]` grids: dotted scenario keys crossed with lists of values.
//!
//! A key names a path in the scenario document: `workload.arrival.rate`, `cluster.nodes[0].count`, or
//! `scheduler.d`, which sets `d` in every `[[scheduler]]` table (use `scheduler[1].d` for one of them).

use toml::{Table, Value};

use crate::config::field::FieldError;

/// One swept key and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepAxis {
    /// Dotted key.
    pub key: String,
    /// Values, in the order given.
    pub values: Vec<Value>,
}

/// Reads the `[sweep]` table (if any).
pub fn axes(doc: &Table) -> Result<Vec<SweepAxis>, FieldError> {
    let Some(sweep) = doc.get("sweep") else {
        return Ok(Vec::new());
    };
    let table = sweep
        .as_table()
        .ok_or_else(|| FieldError::new("sweep", "expected a table of \"dotted.key\" = [values]"))?;
    let mut out = Vec::new();
    for (key, v) in table {
        let values = match v {
            Value::Array(a) if !a.is_empty() => a.clone(),
            _ => {
                return Err(FieldError::new(
                    format!("sweep.\"{key}\""),
                    "expected a non-empty list of values",
                ))
            }
        };
        out.push(SweepAxis {
            key: key.clone(),
            values,
        });
    }
    Ok(out)
}

/// Every combination of axis values, first axis slowest: `[[(key, value), ...], ...]`.
pub fn grid(axes: &[SweepAxis]) -> Vec<Vec<(String, Value)>> {
    let mut points = vec![Vec::new()];
    for axis in axes {
        points = points
            .into_iter()
            .flat_map(|p| {
                axis.values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push((axis.key.clone(), v.clone()));
                    q
                })
            })
            .collect();
    }
    points
}

/// Sets `key` to `value` in `doc`, creating missing tables; fails if a path step is not a table.
pub fn apply(doc: &mut Table, key: &str, value: &Value) -> Result<(), FieldError> {
    let parts: Vec<&str> = key.split('.').collect();
    set(doc, &parts, value).map_err(|m| FieldError::new(format!("sweep.\"{key}\""), m))
}

fn set(table: &mut Table, parts: &[&str], value: &Value) -> Result<(), String> {
    let (head, rest) = parts.split_first().ok_or("empty key")?;
    let (name, index) = split_index(head)?;
    if rest.is_empty() {
        if index.is_some() {
            return Err(format!("cannot set an array element \"{head}\" directly"));
        }
        table.insert(name.to_string(), value.clone());
        return Ok(());
    }
    let entry = table
        .entry(name.to_string())
        .or_insert_with(|| Value::Table(Table::new()));
    match (entry, index) {
        (Value::Table(t), None) => set(t, rest, value),
        (Value::Array(items), Some(i)) => match items.get_mut(i) {
            Some(Value::Table(t)) => set(t, rest, value),
            _ => Err(format!("\"{name}\" has no table at index {i}")),
        },
        (Value::Array(items), None) => {
            for item in items.iter_mut() {
                match item {
                    Value::Table(t) => set(t, rest, value)?,
                    _ => return Err(format!("\"{name}\" is not a list of tables")),
                }
            }
            Ok(())
        }
        _ => Err(format!("\"{name}\" is not a table")),
    }
}

fn split_index(part: &str) -> Result<(&str, Option<usize>), String> {
    match part.find('[') {
        None => Ok((part, None)),
        Some(open) if part.ends_with(']') => {
            let i = part[open + 1..part.len() - 1]
                .parse()
                .map_err(|_| format!("bad index in \"{part}\""))?;
            Ok((&part[..open], Some(i)))
        }
        Some(_) => Err(format!("bad index in \"{part}\"")),
    }
}

/// A value as text for output columns (strings without quotes).
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_crosses_axes_first_slowest() {
        let axes = vec![
            SweepAxis {
                key: "a".into(),
                values: vec![Value::Integer(1), Value::Integer(2)],
            },
            SweepAxis {
                key: "b".into(),
                values: vec![Value::Integer(7), Value::Integer(8), Value::Integer(9)],
            },
        ];
        let g = grid(&axes);
        assert_eq!(g.len(), 6);
        assert_eq!(
            g[1],
            vec![
                ("a".into(), Value::Integer(1)),
                ("b".into(), Value::Integer(8))
            ]
        );
        assert_eq!(g[3][0].1, Value::Integer(2));
    }

    #[test]
    fn apply_reaches_nested_and_array_keys() {
        let mut doc: Table = toml::from_str(
            "[workload.arrival]\nrate = 1.0\n[[scheduler]]\nname='a'\n[[scheduler]]\nname='b'\n",
        )
        .unwrap();
        apply(&mut doc, "workload.arrival.rate", &Value::Float(3.0)).unwrap();
        apply(&mut doc, "scheduler.d", &Value::Integer(4)).unwrap();
        apply(&mut doc, "scheduler[1].d", &Value::Integer(5)).unwrap();
        assert_eq!(doc["workload"]["arrival"]["rate"].as_float(), Some(3.0));
        assert_eq!(doc["scheduler"][0]["d"].as_integer(), Some(4));
        assert_eq!(doc["scheduler"][1]["d"].as_integer(), Some(5));
        assert!(apply(&mut doc, "scheduler[7].d", &Value::Integer(1)).is_err());
    }
}

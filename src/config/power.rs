//! The `power` key of a `[[cluster.nodes]]` group: `{ idle = W, peak = W }` (linear in CPU
//! utilisation) or `{ points = [[u, W], ...] }` (a SPECpower-style table).

use toml::Value;

use crate::config::field::{as_f64, as_table, check_keys, join, FieldError};
use crate::metrics::power::PowerModel;

/// Parses and validates a power model at `key` (e.g. `cluster.nodes[0].power`).
pub fn parse_power(v: &Value, key: &str) -> Result<PowerModel, FieldError> {
    let t = as_table(v, key)?;
    check_keys(t, &["idle", "peak", "points"], key)?;
    match (t.get("idle"), t.get("peak"), t.get("points")) {
        (Some(idle), Some(peak), None) => {
            let idle = watts(idle, &join(key, "idle"))?;
            let peak = watts(peak, &join(key, "peak"))?;
            if peak < idle {
                return Err(FieldError::new(
                    join(key, "peak"),
                    format!("{peak} W is below the idle power ({idle} W)"),
                ));
            }
            Ok(PowerModel::Linear { idle, peak })
        }
        (None, None, Some(points)) => parse_points(points, &join(key, "points")),
        _ => Err(FieldError::new(
            key,
            "expected either { idle = W, peak = W } or { points = [[utilisation, W], ...] }",
        )),
    }
}

/// A non-negative, finite number of watts.
fn watts(v: &Value, key: &str) -> Result<f64, FieldError> {
    let w = as_f64(v, key)?;
    if !w.is_finite() || w < 0.0 {
        return Err(FieldError::new(
            key,
            format!("expected a non-negative number of watts, got {w}"),
        ));
    }
    Ok(w)
}

fn parse_points(v: &Value, key: &str) -> Result<PowerModel, FieldError> {
    let list = v
        .as_array()
        .ok_or_else(|| FieldError::new(key, "expected an array of [utilisation, watts] pairs"))?;
    let mut points: Vec<(f64, f64)> = Vec::with_capacity(list.len());
    for (i, p) in list.iter().enumerate() {
        let k = format!("{key}[{i}]");
        let pair = p
            .as_array()
            .filter(|a| a.len() == 2)
            .ok_or_else(|| FieldError::new(&k, "expected a pair [utilisation, watts]"))?;
        let u = as_f64(&pair[0], &k)?;
        let w = watts(&pair[1], &k)?;
        if let Some(&(pu, pw)) = points.last() {
            if u <= pu {
                return Err(FieldError::new(
                    &k,
                    format!("utilisations must strictly increase ({u} follows {pu})"),
                ));
            }
            if w < pw {
                return Err(FieldError::new(
                    &k,
                    format!("watts must not decrease ({w} W follows {pw} W)"),
                ));
            }
        }
        points.push((u, w));
    }
    if points.len() < 2 || points[0].0 != 0.0 || points[points.len() - 1].0 != 1.0 {
        return Err(FieldError::new(
            key,
            "expected at least two points, the first at utilisation 0 and the last at 1",
        ));
    }
    Ok(PowerModel::Table(points))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<PowerModel, FieldError> {
        let doc: toml::Table = toml::from_str(&format!("power = {s}")).unwrap();
        parse_power(&doc["power"], "cluster.nodes[0].power")
    }

    #[test]
    fn accepts_both_forms() {
        assert_eq!(
            parse("{ idle = 100, peak = 250.5 }").unwrap(),
            PowerModel::Linear {
                idle: 100.0,
                peak: 250.5
            }
        );
        assert_eq!(
            parse("{ points = [[0.0, 60], [0.5, 150], [1, 250]] }").unwrap(),
            PowerModel::Table(vec![(0.0, 60.0), (0.5, 150.0), (1.0, 250.0)])
        );
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            ("{ idle = 100 }", "cluster.nodes[0].power"),
            ("{ idle = 100, peak = 50 }", "cluster.nodes[0].power.peak"),
            ("{ idle = -1, peak = 50 }", "cluster.nodes[0].power.idle"),
            (
                "{ idle = 1, peak = 5, watts = 3 }",
                "cluster.nodes[0].power.watts",
            ),
            (
                "{ points = [[0, 60], [0, 80], [1, 90]] }",
                "cluster.nodes[0].power.points[1]",
            ),
            (
                "{ points = [[0, 60], [0.5, 50], [1, 90]] }",
                "cluster.nodes[0].power.points[1]",
            ),
            (
                "{ points = [[0.1, 60], [1, 90]] }",
                "cluster.nodes[0].power.points",
            ),
            (
                "{ points = [[0, 60], [0.9, 90]] }",
                "cluster.nodes[0].power.points",
            ),
            (
                "{ points = [[0, 60, 1], [1, 90]] }",
                "cluster.nodes[0].power.points[0]",
            ),
            (
                "{ idle = 1, peak = 2, points = [] }",
                "cluster.nodes[0].power",
            ),
            ("100", "cluster.nodes[0].power"),
        ];
        for (text, key) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.key, key, "{text}: {e}");
        }
    }
}

//! The `power` key of a `[[cluster.nodes]]` group: `{ idle = W, peak = W }` (linear in CPU
//! utilisation) or `{ points = [[u, W], ...] }` (a SPECpower-style table), either optionally with
//! `gpu_idle = W, gpu_peak = W` (watts per GPU, linear in GPU utilisation); and the scenario's
//! `[power]` table (a power-management policy and the carbon intensity, see
//! [`crate::control::power`]).

use std::path::Path;
use std::sync::Arc;

use toml::{Table, Value};

use crate::cluster::NodeGroup;
use crate::config::field::{
    as_f64, as_str, as_table, as_u64, check_keys, join, opt, sim_duration, FieldError,
};
use crate::control::power::PowerPolicy;
use crate::metrics::carbon::CarbonSeries;
use crate::metrics::power::{GpuPower, NodePower, PowerModel};
use crate::time::SimDuration;

const POLICY_KEYS: &[&str] = &["off_after", "boot", "min_on", "carbon"];

/// Parses the scenario's `[power]` table, if any: `off_after` (a duration, or `"off"`, the
/// default: nodes stay on), `boot` (a duration, default 0), `min_on` (default 0, at most the
/// number of nodes) and `carbon` (a CSV file, relative to `base_dir`, read and checked now).
/// A `[power]` table needs some node group with a power model.
pub fn parse_policy(
    doc: &Table,
    base_dir: &Path,
    groups: &[NodeGroup],
) -> Result<Option<PowerPolicy>, FieldError> {
    let Some(v) = doc.get("power") else {
        return Ok(None);
    };
    let t = as_table(v, "power")?;
    check_keys(t, POLICY_KEYS, "power")?;
    if groups.iter().all(|g| g.power.is_none()) {
        return Err(FieldError::new(
            "power",
            "a [power] table needs a power model on some node group (power = { idle = W, peak = W } in [[cluster.nodes]])",
        ));
    }
    let off_after = match t.get("off_after") {
        None => None,
        Some(Value::String(s)) if s == "off" => None,
        Some(v) => Some(sim_duration(v, "power.off_after").map_err(|e| {
            FieldError::new(
                e.key,
                format!(
                    "{} (expected a duration such as \"10m\", or \"off\")",
                    e.message
                ),
            )
        })?),
    };
    let boot = opt(t, "boot", "power", sim_duration)?.unwrap_or(SimDuration::ZERO);
    let nodes: u64 = groups.iter().map(|g| u64::from(g.count)).sum();
    let min_on = opt(t, "min_on", "power", as_u64)?.unwrap_or(0);
    if min_on > nodes {
        return Err(FieldError::new(
            "power.min_on",
            format!("must be at most the number of nodes ({nodes}), got {min_on}"),
        ));
    }
    let carbon = match opt(t, "carbon", "power", |v, k| {
        as_str(v, k).map(str::to_string)
    })? {
        None => None,
        Some(file) => {
            let path = base_dir.join(&file);
            let series =
                CarbonSeries::read(&path).map_err(|m| FieldError::new("power.carbon", m))?;
            Some(Arc::new(series))
        }
    };
    Ok(Some(PowerPolicy {
        off_after,
        boot,
        min_on: min_on as u32,
        carbon,
    }))
}

/// Parses and validates a power model at `key` (e.g. `cluster.nodes[0].power`). Whether the
/// group has GPUs for a GPU term is checked by the caller.
pub fn parse_power(v: &Value, key: &str) -> Result<NodePower, FieldError> {
    let t = as_table(v, key)?;
    check_keys(t, &["idle", "peak", "points", "gpu_idle", "gpu_peak"], key)?;
    let gpu = match (t.get("gpu_idle"), t.get("gpu_peak")) {
        (None, None) => None,
        (Some(idle), Some(peak)) => {
            let idle = watts(idle, &join(key, "gpu_idle"))?;
            let peak = watts(peak, &join(key, "gpu_peak"))?;
            if peak < idle {
                return Err(FieldError::new(
                    join(key, "gpu_peak"),
                    format!("{peak} W is below the GPU idle power (gpu_idle = {idle} W)"),
                ));
            }
            Some(GpuPower { idle, peak })
        }
        (Some(_), None) => {
            return Err(FieldError::new(
                join(key, "gpu_peak"),
                "is missing: gpu_idle needs gpu_peak (watts per GPU when fully allocated)",
            ))
        }
        (None, Some(_)) => {
            return Err(FieldError::new(
                join(key, "gpu_idle"),
                "is missing: gpu_peak needs gpu_idle (watts per GPU when idle)",
            ))
        }
    };
    let cpu = parse_cpu(t, key)?;
    Ok(NodePower { cpu, gpu })
}

/// The CPU part of a power model: `idle` and `peak`, or `points`.
fn parse_cpu(t: &Table, key: &str) -> Result<PowerModel, FieldError> {
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
            "expected either { idle = W, peak = W } or { points = [[utilisation, W], ...] } (optionally with gpu_idle = W, gpu_peak = W)",
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

    fn parse(s: &str) -> Result<NodePower, FieldError> {
        let doc: toml::Table = toml::from_str(&format!("power = {s}")).unwrap();
        parse_power(&doc["power"], "cluster.nodes[0].power")
    }

    #[test]
    fn accepts_both_forms() {
        assert_eq!(
            parse("{ idle = 100, peak = 250.5 }").unwrap(),
            NodePower::cpu(PowerModel::Linear {
                idle: 100.0,
                peak: 250.5
            })
        );
        assert_eq!(
            parse("{ points = [[0.0, 60], [0.5, 150], [1, 250]] }").unwrap(),
            NodePower::cpu(PowerModel::Table(vec![
                (0.0, 60.0),
                (0.5, 150.0),
                (1.0, 250.0)
            ]))
        );
    }

    #[test]
    fn accepts_a_gpu_term_beside_either_form() {
        let gpu = Some(GpuPower {
            idle: 30.0,
            peak: 300.0,
        });
        assert_eq!(
            parse("{ idle = 100, peak = 250, gpu_idle = 30, gpu_peak = 300 }").unwrap(),
            NodePower {
                cpu: PowerModel::Linear {
                    idle: 100.0,
                    peak: 250.0
                },
                gpu
            }
        );
        assert_eq!(
            parse("{ points = [[0, 60], [1, 250]], gpu_idle = 30, gpu_peak = 300.0 }").unwrap(),
            NodePower {
                cpu: PowerModel::Table(vec![(0.0, 60.0), (1.0, 250.0)]),
                gpu
            }
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
            (
                "{ idle = 1, peak = 2, gpu_idle = 30 }",
                "cluster.nodes[0].power.gpu_peak",
            ),
            (
                "{ idle = 1, peak = 2, gpu_peak = 30 }",
                "cluster.nodes[0].power.gpu_idle",
            ),
            (
                "{ idle = 1, peak = 2, gpu_idle = 30, gpu_peak = 20 }",
                "cluster.nodes[0].power.gpu_peak",
            ),
            (
                "{ idle = 1, peak = 2, gpu_idle = -1, gpu_peak = 20 }",
                "cluster.nodes[0].power.gpu_idle",
            ),
            (
                "{ idle = 1, peak = 2, gpu_idle = 1, gpu_peak = inf }",
                "cluster.nodes[0].power.gpu_peak",
            ),
            (
                "{ idle = 1, peak = 2, gpu_idle = nan, gpu_peak = 5 }",
                "cluster.nodes[0].power.gpu_idle",
            ),
            (
                "{ idle = 1, peak = 2, gpu_idle = \"30\", gpu_peak = 50 }",
                "cluster.nodes[0].power.gpu_idle",
            ),
            ("{ gpu_idle = 1, gpu_peak = 2 }", "cluster.nodes[0].power"),
        ];
        for (text, key) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.key, key, "{text}: {e}");
        }
    }
}

//! The `[docker]` table: how `simctl docker run` carries a scenario out on real containers. The
//! simulator reads only its health fault (`unhealthy`, detected by `health`'s probes), so that a
//! simulated run meets the same faults as its real twin; the rest is the runner's.
//!
//! ```toml
//! [docker]
//! time_scale = 0.5                 # real seconds per simulated second
//! health = { interval = "500ms", timeout = "300ms", failures = 2 }
//! unhealthy = { tasks = [4], after = "1s" }   # these tasks' first attempt turns unhealthy
//! ```

use serde::Serialize;
use toml::Table;

use crate::config::field::{self, as_str, as_table, as_u64, check_keys, opt, FieldError};
use crate::time::SimDuration;

const KEYS: &[&str] = &["time_scale", "image", "command", "health", "unhealthy"];
const HEALTH_KEYS: &[&str] = &["interval", "timeout", "failures"];
const UNHEALTHY_KEYS: &[&str] = &["tasks", "after"];

/// HTTP `/health` probing of every running task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthSpec {
    /// Time between two probes of one container (scenario time).
    pub interval: SimDuration,
    /// How long a probe may take (scenario time).
    pub timeout: SimDuration,
    /// Consecutive failed probes after which the attempt is failed over.
    pub failures: u32,
}

/// How a scenario runs on real containers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DockerSpec {
    /// Real seconds per simulated second (0.5 halves every duration).
    pub time_scale: f64,
    /// A local image to run instead of simctl's own burn image (never pulled).
    pub image: Option<String>,
    /// The command of that image (arguments, no shell).
    pub command: Vec<String>,
    /// Health probing, if any.
    pub health: Option<HealthSpec>,
    /// Task ids whose first attempt turns unhealthy, and after how long (scenario time).
    pub unhealthy: Option<(Vec<u64>, SimDuration)>,
}

impl Default for DockerSpec {
    fn default() -> Self {
        DockerSpec {
            time_scale: 1.0,
            image: None,
            command: Vec::new(),
            health: None,
            unhealthy: None,
        }
    }
}

fn positive_duration(v: &toml::Value, key: &str) -> Result<SimDuration, FieldError> {
    let d = field::sim_duration(v, key)?;
    if d.0 == 0 {
        return Err(FieldError::new(key, "must be positive"));
    }
    Ok(d)
}

/// Parses the `[docker]` table (absent: `None`).
pub fn parse_docker(doc: &Table) -> Result<Option<DockerSpec>, FieldError> {
    let Some(v) = doc.get("docker") else {
        return Ok(None);
    };
    let t = as_table(v, "docker")?;
    check_keys(t, KEYS, "docker")?;
    let time_scale = opt(t, "time_scale", "docker", field::positive_f64)?.unwrap_or(1.0);
    if !(0.01..=100.0).contains(&time_scale) {
        return Err(FieldError::new(
            "docker.time_scale",
            format!("must be between 0.01 and 100 (real seconds per simulated second), got {time_scale}"),
        ));
    }
    let image = opt(t, "image", "docker", |v, k| {
        as_str(v, k).map(str::to_string)
    })?;
    let command = match t.get("command") {
        None => Vec::new(),
        Some(toml::Value::Array(a)) => a
            .iter()
            .map(|x| as_str(x, "docker.command").map(str::to_string))
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(FieldError::new(
                "docker.command",
                "expected an array of strings (passed as arguments, never through a shell)",
            ))
        }
    };
    if !command.is_empty() && image.is_none() {
        return Err(FieldError::new(
            "docker.command",
            "only applies with docker.image (simctl's own image runs `simctl burn`)",
        ));
    }
    let health = match t.get("health") {
        None => None,
        Some(v) => {
            let h = as_table(v, "docker.health")?;
            check_keys(h, HEALTH_KEYS, "docker.health")?;
            let interval = opt(h, "interval", "docker.health", positive_duration)?
                .unwrap_or(SimDuration::from_secs(1));
            let timeout = opt(h, "timeout", "docker.health", positive_duration)?
                .unwrap_or(SimDuration::from_secs_f64(0.5));
            let failures = opt(h, "failures", "docker.health", as_u64)?.unwrap_or(3);
            if !(1..=100).contains(&failures) {
                return Err(FieldError::new(
                    "docker.health.failures",
                    format!("must be between 1 and 100, got {failures}"),
                ));
            }
            Some(HealthSpec {
                interval,
                timeout,
                failures: failures as u32,
            })
        }
    };
    let unhealthy = match t.get("unhealthy") {
        None => None,
        Some(v) => {
            let u = as_table(v, "docker.unhealthy")?;
            check_keys(u, UNHEALTHY_KEYS, "docker.unhealthy")?;
            let tasks = match u.get("tasks") {
                Some(toml::Value::Array(a)) => a
                    .iter()
                    .map(|x| as_u64(x, "docker.unhealthy.tasks"))
                    .collect::<Result<Vec<_>, _>>()?,
                _ => {
                    return Err(FieldError::new(
                        "docker.unhealthy.tasks",
                        "expected an array of task ids",
                    ))
                }
            };
            let after =
                opt(u, "after", "docker.unhealthy", positive_duration)?.ok_or_else(|| {
                    FieldError::new("docker.unhealthy.after", "is required (e.g. \"2s\")")
                })?;
            if health.is_none() {
                return Err(FieldError::new(
                    "docker.unhealthy",
                    "needs docker.health: nothing would notice that a task turned unhealthy",
                ));
            }
            Some((tasks, after))
        }
    };
    Ok(Some(DockerSpec {
        time_scale,
        image,
        command,
        health,
        unhealthy,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<DockerSpec>, FieldError> {
        parse_docker(&text.parse::<Table>().unwrap())
    }

    #[test]
    fn defaults_and_a_full_table() {
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("[docker]").unwrap(), Some(DockerSpec::default()));
        let d = parse(
            "[docker]\ntime_scale = 0.5\nhealth = { interval = \"500ms\", failures = 2 }\nunhealthy = { tasks = [4, 9], after = \"1s\" }",
        )
        .unwrap()
        .unwrap();
        assert_eq!(d.time_scale, 0.5);
        let h = d.health.unwrap();
        assert_eq!((h.interval.as_secs_f64(), h.failures), (0.5, 2));
        assert_eq!(d.unhealthy.unwrap().0, vec![4, 9]);
    }

    #[test]
    fn bad_values_name_their_key() {
        for (text, key) in [
            ("[docker]\ntime_scale = 0", "docker.time_scale"),
            ("[docker]\ntime_scale = 1000", "docker.time_scale"),
            (
                "[docker]\nhealth = { failures = 0 }",
                "docker.health.failures",
            ),
            (
                "[docker]\nhealth = { interval = \"0s\" }",
                "docker.health.interval",
            ),
            (
                "[docker]\nunhealthy = { tasks = [1], after = \"1s\" }",
                "docker.unhealthy",
            ),
            ("[docker]\ncommand = [\"x\"]", "docker.command"),
            ("[docker]\nimage = 3", "docker.image"),
            ("[docker]\nbogus = 1", "docker.bogus"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.to_string().contains(key), "{text}: {e}");
        }
    }
}

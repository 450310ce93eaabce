//! A task as a user submits it (`POST /tasks` JSON, or a `simctl submit` TOML file), and its
//! validation into a [`TaskDef`]: every field checked, errors naming the field at fault.
//!
//! A task that names no image runs the project's burn image for its `duration` with its CPU and
//! memory demands, so the same description means the same thing in simulation and for real.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::orchestrator::wire::HealthCheck;

/// A number or a string with a unit (`"256MiB"`, `"5s"`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum NumOrText {
    /// A plain number (bytes, seconds).
    Num(f64),
    /// A string with a unit.
    Text(String),
}

/// A health check as requested.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HealthRequest {
    /// HTTP path probed with `GET` (absent: the exit status alone decides).
    pub path: Option<String>,
    /// Container port the path is served on (default 8080).
    pub port: Option<u16>,
    /// Time between probes (default `"1s"`).
    pub interval: Option<NumOrText>,
    /// A probe's timeout (default `"1s"`).
    pub timeout: Option<NumOrText>,
    /// Consecutive failures that make the container unhealthy (default 3).
    pub threshold: Option<u32>,
    /// Time after the start before the first probe (default `"1s"`).
    pub grace: Option<NumOrText>,
}

/// `POST /tasks` as sent.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TaskRequest {
    /// A label for people (a plain token).
    pub name: Option<String>,
    /// A local image (`name[:tag]`); absent: the burn image.
    pub image: Option<String>,
    /// Arguments after the image's entrypoint, as a list (no shell ever sees them).
    pub command: Option<Vec<String>>,
    /// Environment variables.
    pub env: Option<BTreeMap<String, String>>,
    /// CPU cores (default 1).
    pub cpu: Option<f64>,
    /// Memory (`"256MiB"` or bytes; default 64MiB).
    pub memory: Option<NumOrText>,
    /// Disk (`"1GiB"` or bytes; default 0).
    pub disk: Option<NumOrText>,
    /// Run time (`"5s"` or seconds): required without an image (it is what the burn image runs);
    /// with an image, the estimate schedulers use (default 60 s).
    pub duration: Option<NumOrText>,
    /// Container ports to publish on 127.0.0.1.
    pub ports: Option<Vec<u16>>,
    /// `"on-failure"` (default: the manager's failover policy restarts it) or `"never"`.
    pub restart: Option<String>,
    /// The health check.
    pub health: Option<HealthRequest>,
    /// Larger is more important (default 0).
    pub priority: Option<i32>,
    /// Not to be started before this: Unix seconds, an RFC 3339 time
    /// (`"2026-12-03T10:00:00Z"`), or a delay after submission (`"30s"`).
    pub not_before: Option<NumOrText>,
    /// Refused when true: no privileged containers.
    pub privileged: Option<bool>,
    /// Refused when non-empty: no host mounts.
    pub mounts: Option<Vec<String>>,
}

/// What happens when an attempt fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Restart {
    /// The manager's failover policy decides (restart, backoff, give up).
    OnFailure,
    /// The task fails with its first failed attempt.
    Never,
}

/// A validated task, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskDef {
    /// Label for people.
    pub name: Option<String>,
    /// The image (`None`: burn).
    pub image: Option<String>,
    /// Arguments.
    pub command: Vec<String>,
    /// Environment.
    pub env: BTreeMap<String, String>,
    /// CPU, thousandths of a core.
    pub cpu_millis: u64,
    /// Memory, bytes.
    pub memory_bytes: u64,
    /// Disk, bytes.
    pub disk_bytes: u64,
    /// Seconds of work (burn) or the estimate.
    pub duration_s: f64,
    /// Ports to publish.
    pub ports: Vec<u16>,
    /// The restart policy.
    pub restart: Restart,
    /// The health check.
    pub health: Option<HealthCheck>,
    /// Priority.
    pub priority: i32,
    /// Not before this, milliseconds since the Unix epoch.
    pub not_before_ms: Option<u64>,
}

/// A field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The field.
    pub field: String,
    /// What was wrong and what was expected.
    pub message: String,
}

fn bad(field: &str, message: impl Into<String>) -> Invalid {
    Invalid {
        field: field.to_string(),
        message: message.into(),
    }
}

/// Largest CPU a task may ask for, cores.
const MAX_CPU: f64 = 1024.0;
/// Smallest memory limit the Docker engine accepts.
const MIN_MEMORY: u64 = 6 * 1024 * 1024;
/// Largest memory or disk a task may ask for (1 PiB).
const MAX_BYTES: f64 = 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0;
/// Longest duration (a year).
const MAX_SECONDS: f64 = 366.0 * 86400.0;
/// Most arguments, environment variables or ports.
const MAX_ITEMS: usize = 256;
/// Longest argument or environment value, bytes.
const MAX_ARG: usize = 4096;

impl TaskRequest {
    /// Checks every field; `now_ms` (Unix milliseconds) anchors a relative `not_before`.
    pub fn validate(&self, now_ms: u64) -> Result<TaskDef, Invalid> {
        if self.privileged == Some(true) {
            return Err(bad("privileged", "privileged containers are not allowed"));
        }
        if self.mounts.as_ref().is_some_and(|m| !m.is_empty()) {
            return Err(bad(
                "mounts",
                "host mounts are not allowed: tasks run with no access to the host's files",
            ));
        }
        if let Some(n) = &self.name {
            if !is_token(n) {
                return Err(bad(
                    "name",
                    format!("expected 1 to 64 letters, digits, '.', '_' or '-', got \"{n}\""),
                ));
            }
        }
        if let Some(img) = &self.image {
            check_image(img).map_err(|m| bad("image", m))?;
        }
        let command = self.command.clone().unwrap_or_default();
        if self.image.is_none() && !command.is_empty() {
            return Err(bad(
                "command",
                "a command needs an image; without one the burn image runs for `duration`",
            ));
        }
        check_strings("command", &command)?;
        let env = self.env.clone().unwrap_or_default();
        if env.len() > MAX_ITEMS {
            return Err(bad("env", format!("at most {MAX_ITEMS} variables")));
        }
        for (k, v) in &env {
            let ok_key = !k.is_empty()
                && k.len() <= 256
                && !k.starts_with(|c: char| c.is_ascii_digit())
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok_key {
                return Err(bad(
                    &format!("env.{k}"),
                    "variable names are letters, digits and '_', not starting with a digit",
                ));
            }
            if v.len() > MAX_ARG || v.contains('\0') {
                return Err(bad(
                    &format!("env.{k}"),
                    format!("values are at most {MAX_ARG} bytes without NUL"),
                ));
            }
        }
        let cpu = self.cpu.unwrap_or(1.0);
        if !(cpu.is_finite() && (0.01..=MAX_CPU).contains(&cpu)) {
            return Err(bad(
                "cpu",
                format!("expected cores between 0.01 and {MAX_CPU}, got {cpu}"),
            ));
        }
        let memory = match &self.memory {
            None => 64.0 * 1024.0 * 1024.0,
            Some(m) => size(m).map_err(|e| bad("memory", e))?,
        };
        if memory < MIN_MEMORY as f64 || memory > MAX_BYTES {
            return Err(bad(
                "memory",
                format!(
                    "expected between 6MiB (the engine's minimum) and 1PiB, got {memory} bytes"
                ),
            ));
        }
        let disk = match &self.disk {
            None => 0.0,
            Some(d) => size(d).map_err(|e| bad("disk", e))?,
        };
        if disk > MAX_BYTES {
            return Err(bad("disk", "at most 1PiB"));
        }
        let duration = match &self.duration {
            None if self.image.is_none() => {
                return Err(bad(
                    "duration",
                    "required without an image: the burn image runs this long",
                ))
            }
            None => 60.0,
            Some(d) => seconds(d).map_err(|e| bad("duration", e))?,
        };
        if !(duration > 0.0 && duration <= MAX_SECONDS) {
            return Err(bad(
                "duration",
                format!("expected more than 0 s and at most a year, got {duration} s"),
            ));
        }
        let ports = self.ports.clone().unwrap_or_default();
        if ports.len() > 16 || ports.contains(&0) {
            return Err(bad("ports", "at most 16 ports, each from 1 to 65535"));
        }
        let restart = match self.restart.as_deref() {
            None | Some("on-failure") => Restart::OnFailure,
            Some("never") => Restart::Never,
            Some(other) => {
                return Err(bad(
                    "restart",
                    format!("expected \"on-failure\" or \"never\", got \"{other}\""),
                ))
            }
        };
        let health = self.health.as_ref().map(check_health).transpose()?;
        let not_before_ms = match &self.not_before {
            None => None,
            Some(v) => Some(not_before(v, now_ms).map_err(|e| bad("not_before", e))?),
        };
        Ok(TaskDef {
            name: self.name.clone(),
            image: self.image.clone(),
            command,
            env,
            cpu_millis: (cpu * 1000.0).round() as u64,
            memory_bytes: memory.round() as u64,
            disk_bytes: disk.round() as u64,
            duration_s: duration,
            ports,
            restart,
            health,
            priority: self.priority.unwrap_or(0),
            not_before_ms,
        })
    }
}

/// Whether `s` is a plain token (letters, digits, `.`, `_`, `-`; 1 to 64).
pub fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn check_strings(field: &str, items: &[String]) -> Result<(), Invalid> {
    if items.len() > MAX_ITEMS {
        return Err(bad(field, format!("at most {MAX_ITEMS} items")));
    }
    for (i, a) in items.iter().enumerate() {
        if a.len() > MAX_ARG || a.contains('\0') {
            return Err(bad(
                &format!("{field}[{i}]"),
                format!("at most {MAX_ARG} bytes without NUL"),
            ));
        }
    }
    Ok(())
}

fn check_health(h: &HealthRequest) -> Result<HealthCheck, Invalid> {
    if let Some(p) = &h.path {
        let ok = p.starts_with('/') && p.len() <= 256 && p.chars().all(|c| c.is_ascii_graphic());
        if !ok {
            return Err(bad(
                "health.path",
                format!("expected an absolute path of printable characters, got \"{p}\""),
            ));
        }
    }
    let ms = |v: &Option<NumOrText>, field: &str, default: f64| -> Result<u64, Invalid> {
        let s = match v {
            None => default,
            Some(v) => seconds(v).map_err(|e| bad(field, e))?,
        };
        if !(0.01..=3600.0).contains(&s) {
            return Err(bad(field, format!("expected 10ms to 1h, got {s} s")));
        }
        Ok((s * 1000.0).round() as u64)
    };
    let threshold = h.threshold.unwrap_or(3);
    if !(1..=100).contains(&threshold) {
        return Err(bad("health.threshold", "expected 1 to 100"));
    }
    if h.port == Some(0) {
        return Err(bad("health.port", "expected 1 to 65535"));
    }
    let interval_ms = ms(&h.interval, "health.interval", 1.0)?;
    let timeout_ms = ms(&h.timeout, "health.timeout", 1.0)?;
    if timeout_ms > interval_ms {
        return Err(bad(
            "health.timeout",
            format!("a probe's timeout ({timeout_ms} ms) must not exceed the interval ({interval_ms} ms)"),
        ));
    }
    Ok(HealthCheck {
        http_path: h.path.clone(),
        port: h.port.unwrap_or(8080),
        interval_ms,
        timeout_ms,
        threshold,
        grace_ms: match &h.grace {
            None => 1000,
            Some(_) => ms(&h.grace, "health.grace", 1.0)?,
        },
    })
}

fn size(v: &NumOrText) -> Result<f64, String> {
    let b = match v {
        NumOrText::Num(n) => *n,
        NumOrText::Text(t) => crate::units::parse_size_bytes(t)?,
    };
    if b.is_finite() && b >= 0.0 {
        Ok(b)
    } else {
        Err(format!("expected a non-negative size, got {b}"))
    }
}

fn seconds(v: &NumOrText) -> Result<f64, String> {
    let s = match v {
        NumOrText::Num(n) => *n,
        NumOrText::Text(t) => crate::units::parse_duration_secs(t)?,
    };
    if s.is_finite() && s >= 0.0 {
        Ok(s)
    } else {
        Err(format!("expected a non-negative duration, got {s}"))
    }
}

/// Unix milliseconds of a `not_before` value.
fn not_before(v: &NumOrText, now_ms: u64) -> Result<u64, String> {
    let ms = match v {
        NumOrText::Num(secs) if secs.is_finite() && *secs >= 0.0 => secs * 1000.0,
        NumOrText::Num(secs) => return Err(format!("expected Unix seconds, got {secs}")),
        NumOrText::Text(t) if t.contains('T') => rfc3339_ms(t)? as f64,
        NumOrText::Text(t) => now_ms as f64 + 1000.0 * crate::units::parse_duration_secs(t)?,
    };
    if ms > 4.0e15 {
        return Err("too far in the future".into());
    }
    Ok(ms.round() as u64)
}

/// Unix milliseconds of an RFC 3339 time (`2026-12-03T10:00:00Z`, `...T10:00:00.5+01:00`).
pub fn rfc3339_ms(t: &str) -> Result<i64, String> {
    let err = || format!("expected an RFC 3339 time like \"2026-12-03T10:00:00Z\", got \"{t}\"");
    let (date, rest) = t.split_once(['T', 't']).ok_or_else(err)?;
    let d: Vec<i64> = date
        .split('-')
        .map(|p| p.parse().map_err(|_| err()))
        .collect::<Result<_, _>>()?;
    let [y, mo, da] = d[..] else {
        return Err(err());
    };
    let (clock, offset_s) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else {
        let i = rest.rfind(['+', '-']).ok_or_else(err)?;
        let (c, off) = rest.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..].split_once(':').ok_or_else(err)?;
        let (oh, om): (i64, i64) = (
            oh.parse().map_err(|_| err())?,
            om.parse().map_err(|_| err())?,
        );
        (c, sign * (oh * 3600 + om * 60))
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let [h, mi, s] = parts[..] else {
        return Err(err());
    };
    let (h, mi): (i64, i64) = (
        h.parse().map_err(|_| err())?,
        mi.parse().map_err(|_| err())?,
    );
    let s: f64 = s.parse().map_err(|_| err())?;
    if !((1..=12).contains(&mo)
        && (1..=31).contains(&da)
        && (0..24).contains(&h)
        && (0..60).contains(&mi)
        && (0.0..61.0).contains(&s))
    {
        return Err(err());
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + da - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    let secs = days * 86400 + h * 3600 + mi * 60 - offset_s;
    Ok(secs * 1000 + (s * 1000.0).round() as i64)
}

/// Checks an image reference (`name[:tag]`, name components of lower-case letters and digits
/// joined by `.`, `_`, `__` or `-`, separated by `/`; a tag of up to 128 word characters, `.`
/// and `-`). Digests are refused: no image is ever pulled, so a tag names a local image.
pub fn check_image(img: &str) -> Result<(), String> {
    let err = |why: &str| format!("invalid image reference \"{img}\": {why}");
    if img.is_empty() || img.len() > 255 {
        return Err(err("expected 1 to 255 characters"));
    }
    if img.contains('@') {
        return Err(err(
            "digests are not supported (images are local, never pulled)",
        ));
    }
    let (name, tag) = match img.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n, Some(t)),
        _ => (img, None),
    };
    if let Some(t) = tag {
        let ok = !t.is_empty()
            && t.len() <= 128
            && !t.starts_with(['.', '-'])
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !ok {
            return Err(err("the tag must be word characters, '.' and '-'"));
        }
    }
    for comp in name.split('/') {
        let ok = !comp.is_empty()
            && comp.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && comp.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && comp.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            })
            && !comp.contains("..")
            && !comp.contains("___");
        if !ok {
            return Err(err(
                "name components are lower-case letters and digits joined by '.', '_' or '-'",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(json: &str) -> Result<TaskDef, Invalid> {
        let r: TaskRequest = serde_json::from_str(json).unwrap();
        r.validate(1_000_000)
    }

    #[test]
    fn the_issue_example_is_a_burn_task() {
        let d =
            req(r#"{"cpu": 0.5, "memory": "256MiB", "duration": "5s", "priority": 1}"#).unwrap();
        assert_eq!(d.cpu_millis, 500);
        assert_eq!(d.memory_bytes, 256 << 20);
        assert_eq!(d.duration_s, 5.0);
        assert_eq!(d.priority, 1);
        assert_eq!(d.image, None);
        assert_eq!(d.restart, Restart::OnFailure);
    }

    #[test]
    fn every_bad_field_is_named() {
        let cases = [
            (r#"{"duration": 1, "cpu": 0}"#, "cpu"),
            (r#"{"duration": 1, "cpu": 5000}"#, "cpu"),
            (r#"{"duration": 1, "memory": "1KiB"}"#, "memory"),
            (r#"{"duration": 1, "memory": "lots"}"#, "memory"),
            (r#"{}"#, "duration"),
            (r#"{"duration": -1}"#, "duration"),
            (r#"{"image": "UPPER/case"}"#, "image"),
            (r#"{"image": "a@sha256:00"}"#, "image"),
            (r#"{"image": "busybox:"}"#, "image"),
            (r#"{"duration": 1, "command": ["x"]}"#, "command"),
            (r#"{"duration": 1, "privileged": true}"#, "privileged"),
            (r#"{"duration": 1, "mounts": ["/:/host"]}"#, "mounts"),
            (r#"{"duration": 1, "restart": "always"}"#, "restart"),
            (r#"{"duration": 1, "ports": [0]}"#, "ports"),
            (r#"{"duration": 1, "env": {"1X": "a"}}"#, "env.1X"),
            (
                r#"{"duration": 1, "health": {"path": "nope"}}"#,
                "health.path",
            ),
            (
                r#"{"duration": 1, "health": {"threshold": 0}}"#,
                "health.threshold",
            ),
            (
                r#"{"duration": 1, "not_before": "2026-13-01T00:00:00Z"}"#,
                "not_before",
            ),
            (r#"{"duration": 1, "name": "a b"}"#, "name"),
        ];
        for (json, field) in cases {
            let e = req(json).unwrap_err();
            assert_eq!(e.field, field, "{json}: {e:?}");
        }
    }

    #[test]
    fn images_follow_the_reference_grammar() {
        for ok in [
            "busybox",
            "simctl-burn:abc123",
            "my.reg/team/app_x:v1.2-rc",
            "a__b",
        ] {
            assert!(check_image(ok).is_ok(), "{ok}");
        }
        for no in ["", "Busybox", "a..b", "-a", "a/", "a:b c", "a;rm", "a:-x"] {
            assert!(check_image(no).is_err(), "{no}");
        }
    }

    #[test]
    fn not_before_takes_three_forms() {
        // 2026-12-03T10:00:00Z is 1796292000 s after the epoch (date -u -d @1796292000).
        assert_eq!(
            rfc3339_ms("2026-12-03T10:00:00Z").unwrap(),
            1_796_292_000_000
        );
        assert_eq!(
            rfc3339_ms("2026-12-03T11:00:00.5+01:00").unwrap(),
            1_796_292_000_500
        );
        assert_eq!(rfc3339_ms("1970-01-01T00:00:00Z").unwrap(), 0);
        let d = req(r#"{"duration": 1, "not_before": "30s"}"#).unwrap();
        assert_eq!(d.not_before_ms, Some(1_030_000));
        let d = req(r#"{"duration": 1, "not_before": 1796292000}"#).unwrap();
        assert_eq!(d.not_before_ms, Some(1_796_292_000_000));
    }

    #[test]
    fn unknown_fields_and_shell_strings_are_refused_by_the_parser() {
        assert!(serde_json::from_str::<TaskRequest>(r#"{"gpu": 1}"#).is_err());
        // A command is a list of arguments, never a string for a shell.
        assert!(serde_json::from_str::<TaskRequest>(r#"{"command": "rm -rf /"}"#).is_err());
    }
}

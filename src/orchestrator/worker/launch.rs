//! A [`Launch`] checked again on the worker (the manager checked it too, but the worker API is
//! reachable by itself) and turned into the [`ContainerSpec`] that runs it.

use crate::orchestrator::wire::{Capacity, HealthCheck, Launch, LABEL_LAUNCH, LABEL_WORKER};
use crate::runner::probe::is_request_path;
use crate::runner::spec::{
    check_env_key, check_token, ContainerSpec, Network, LABEL_ATTEMPT, LABEL_NODE, LABEL_RUN,
    LABEL_TASK,
};

/// The most ports one launch may publish.
pub const MAX_PORTS: usize = 16;
/// The most arguments one launch may pass.
pub const MAX_ARGS: usize = 256;
/// The longest single argument or environment value, bytes.
pub const MAX_ARG_LEN: usize = 4096;

/// A launch field that the worker refuses, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The JSON field at fault.
    pub field: &'static str,
    /// What was wrong.
    pub message: String,
}

fn bad(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// The container name of launch `launch` on worker `worker`.
pub fn container_name(worker: &str, launch: u64) -> String {
    format!("simctl-{worker}-l{launch}")
}

/// The launch id in a container name made by [`container_name`] for `worker`.
pub fn launch_of_name(worker: &str, name: &str) -> Option<u64> {
    let name = name.trim_start_matches('/');
    name.strip_prefix(&format!("simctl-{worker}-l"))?
        .parse()
        .ok()
}

/// Whether `image` is a plain local image reference: lowercase path components of letters,
/// digits and single separators (`.`, `_`, `-`, `/`), then an optional `:tag` of 1 to 128
/// letters, digits, `.`, `_`, `-`. No registry port, no digest, no scheme.
pub fn is_local_image(image: &str) -> bool {
    let (name, tag) = match image.rsplit_once(':') {
        Some((n, t)) => (n, Some(t)),
        None => (image, None),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 200
        && name.split('/').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                && part.as_bytes()[0].is_ascii_alphanumeric()
        });
    let tag_ok = tag.is_none_or(|t| {
        !t.is_empty()
            && t.len() <= 128
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    });
    name_ok && tag_ok
}

/// Checks a launch against the worker's capacity; the error names the field.
pub fn check_launch(l: &Launch, capacity: &Capacity) -> Result<(), FieldError> {
    if check_token("task", &l.task).is_err() {
        return Err(bad(
            "task",
            format!(
                "\"{}\" must be 1 to 64 letters, digits, '.', '_' or '-'",
                l.task
            ),
        ));
    }
    if l.attempt == 0 {
        return Err(bad("attempt", "attempts count from 1"));
    }
    if !(10..=capacity.cpu_millis).contains(&l.cpu_millis) {
        return Err(bad(
            "cpu_millis",
            format!(
                "must be between 10 and the worker's {}, got {}",
                capacity.cpu_millis, l.cpu_millis
            ),
        ));
    }
    if !((6 << 20)..=capacity.memory_bytes).contains(&l.memory_bytes) {
        return Err(bad(
            "memory_bytes",
            format!(
                "must be between 6MiB and the worker's {} bytes, got {}",
                capacity.memory_bytes, l.memory_bytes
            ),
        ));
    }
    match &l.image {
        Some(image) if !is_local_image(image) => {
            return Err(bad(
                "image",
                format!("\"{image}\" is not a plain local image reference (name[:tag])"),
            ))
        }
        Some(_) => {}
        None => match l.burn_seconds {
            Some(s) if s.is_finite() && (0.0..=366.0 * 86_400.0).contains(&s) => {}
            other => {
                return Err(bad(
                    "burn_seconds",
                    format!("a launch without image needs 0 to one year of seconds, got {other:?}"),
                ))
            }
        },
    }
    check_args(l)?;
    check_ports(&l.ports)?;
    if let Some(h) = &l.health {
        check_health(h)?;
    }
    Ok(())
}

fn check_args(l: &Launch) -> Result<(), FieldError> {
    if l.args.len() > MAX_ARGS {
        return Err(bad("args", format!("at most {MAX_ARGS} arguments")));
    }
    if l.args
        .iter()
        .any(|a| a.len() > MAX_ARG_LEN || a.contains('\0'))
    {
        return Err(bad(
            "args",
            format!("each argument must be at most {MAX_ARG_LEN} bytes without NUL"),
        ));
    }
    for (k, v) in &l.env {
        if check_env_key(k).is_err() {
            return Err(bad(
                "env",
                format!("\"{k}\" is not a variable name (letters, digits, '_'; not a digit first)"),
            ));
        }
        if v.len() > MAX_ARG_LEN || v.contains('\0') {
            return Err(bad(
                "env",
                format!("the value of {k} must be at most {MAX_ARG_LEN} bytes without NUL"),
            ));
        }
    }
    Ok(())
}

fn check_ports(ports: &[u16]) -> Result<(), FieldError> {
    if ports.len() > MAX_PORTS {
        return Err(bad("ports", format!("at most {MAX_PORTS} ports")));
    }
    let mut seen = std::collections::BTreeSet::new();
    for &p in ports {
        if p == 0 || !seen.insert(p) {
            return Err(bad("ports", format!("port {p} is 0 or listed twice")));
        }
    }
    Ok(())
}

fn check_health(h: &HealthCheck) -> Result<(), FieldError> {
    if let Some(path) = &h.http_path {
        if !is_request_path(path) {
            return Err(bad(
                "health.http_path",
                format!("\"{path}\" must start with '/' and hold no space"),
            ));
        }
        if h.port == 0 {
            return Err(bad("health.port", "must be a container port, not 0"));
        }
    }
    if !(50..=3_600_000).contains(&h.interval_ms) {
        return Err(bad("health.interval_ms", "must be between 50 and 3600000"));
    }
    if !(10..=h.interval_ms.max(10)).contains(&h.timeout_ms) {
        return Err(bad(
            "health.timeout_ms",
            "must be between 10 and interval_ms",
        ));
    }
    if !(1..=1000).contains(&h.threshold) {
        return Err(bad("health.threshold", "must be between 1 and 1000"));
    }
    if h.grace_ms > 86_400_000 {
        return Err(bad("health.grace_ms", "must be at most a day"));
    }
    Ok(())
}

/// The container port probed by `l`'s HTTP health check, if it has one.
pub fn health_port(l: &Launch) -> Option<u16> {
    l.health
        .as_ref()
        .filter(|h| h.http_path.is_some())
        .map(|h| h.port)
}

/// The container that runs a checked launch `l` on worker `worker`; `burn_image` runs launches
/// without an image.
pub fn container_spec(worker: &str, burn_image: &str, l: &Launch) -> ContainerSpec {
    let mut s = ContainerSpec::for_attempt(worker, worker, 0, l.attempt, burn_image);
    s.name = container_name(worker, l.launch);
    s.labels.insert(LABEL_RUN.into(), worker.into());
    s.labels.insert(LABEL_NODE.into(), worker.into());
    s.labels.insert(LABEL_TASK.into(), l.task.clone());
    s.labels.insert(LABEL_ATTEMPT.into(), l.attempt.to_string());
    s.labels.insert(LABEL_LAUNCH.into(), l.launch.to_string());
    s.labels.insert(LABEL_WORKER.into(), worker.into());
    s.cpus = l.cpu_millis as f64 / 1000.0;
    s.memory_bytes = l.memory_bytes;
    s.publish = l.ports.clone();
    let health = health_port(l);
    if let Some(p) = health.filter(|p| !s.publish.contains(p)) {
        s.publish.push(p);
    }
    match &l.image {
        Some(image) => {
            s.image = image.clone();
            s.args = l.args.clone();
            s.env = l.env.clone();
        }
        None => {
            // Half the memory limit is touched, as `simctl docker run` does: the burn process
            // itself and the page tables need the rest, so a task at its limit is not OOM-killed.
            s.args = vec![
                "burn".into(),
                "--cpu".into(),
                format!("{}", s.cpus),
                "--seconds".into(),
                format!("{:.3}", l.burn_seconds.unwrap_or(0.0)),
                "--memory".into(),
                (l.memory_bytes / 2).to_string(),
            ];
            if let Some(p) = health {
                s.args.push("--serve-health".into());
                s.args.push(format!("0.0.0.0:{p}"));
            }
        }
    }
    if !s.publish.is_empty() {
        s.network = Network::Bridge;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    type Edit = fn(&mut Launch);
    use std::collections::BTreeMap;

    fn cap() -> Capacity {
        Capacity {
            cpu_millis: 2000,
            memory_bytes: 2 << 30,
            disk_bytes: 10 << 30,
        }
    }

    pub(crate) fn burn_launch() -> Launch {
        Launch {
            launch: 42,
            task: "t-7".into(),
            attempt: 2,
            image: None,
            args: vec![],
            env: BTreeMap::new(),
            cpu_millis: 500,
            memory_bytes: 64 << 20,
            burn_seconds: Some(1.5),
            ports: vec![],
            health: None,
        }
    }

    #[test]
    fn a_burn_launch_becomes_a_limited_labelled_burn_container() {
        let l = burn_launch();
        check_launch(&l, &cap()).unwrap();
        let s = container_spec("w1", "simctl-burn:abc", &l);
        s.validate().unwrap();
        assert_eq!(s.name, "simctl-w1-l42");
        assert_eq!(launch_of_name("w1", "/simctl-w1-l42"), Some(42));
        assert_eq!(launch_of_name("w2", "simctl-w1-l42"), None);
        assert_eq!(s.image, "simctl-burn:abc");
        assert_eq!(s.cpus, 0.5);
        assert_eq!(s.memory_bytes, 64 << 20);
        assert_eq!(
            s.args.join(" "),
            format!("burn --cpu 0.5 --seconds 1.500 --memory {}", 32 << 20)
        );
        assert_eq!(s.network, Network::None);
        for (k, v) in [
            ("simctl.run", "w1"),
            ("simctl.node", "w1"),
            ("simctl.task", "t-7"),
            ("simctl.attempt", "2"),
            ("simctl.launch", "42"),
            ("simctl.worker", "w1"),
        ] {
            assert_eq!(s.labels.get(k).map(String::as_str), Some(v), "{k}");
        }
    }

    #[test]
    fn an_image_launch_keeps_its_args_env_and_publishes_the_health_port() {
        let mut l = burn_launch();
        l.image = Some("app/web:1.2".into());
        l.args = vec!["serve".into(), "--x; ls".into()];
        l.env.insert("MODE".into(), "prod".into());
        l.ports = vec![9000];
        l.health = Some(HealthCheck {
            http_path: Some("/ready".into()),
            port: 8080,
            interval_ms: 500,
            timeout_ms: 200,
            threshold: 3,
            grace_ms: 0,
        });
        check_launch(&l, &cap()).unwrap();
        let s = container_spec("w1", "simctl-burn:abc", &l);
        s.validate().unwrap();
        assert_eq!(s.image, "app/web:1.2");
        assert_eq!(s.args, l.args);
        assert_eq!(s.env["MODE"], "prod");
        assert_eq!(s.publish, vec![9000, 8080]);
        assert_eq!(s.network, Network::Bridge);
    }

    #[test]
    fn bad_launches_name_their_field() {
        let cases: [(Edit, &str); 12] = [
            (|l| l.task = "a/b".into(), "task"),
            (|l| l.attempt = 0, "attempt"),
            (|l| l.cpu_millis = 0, "cpu_millis"),
            (|l| l.cpu_millis = 3000, "cpu_millis"),
            (|l| l.memory_bytes = 0, "memory_bytes"),
            (|l| l.burn_seconds = None, "burn_seconds"),
            (|l| l.image = Some("registry.io:5000/x".into()), "image"),
            (|l| l.image = Some("Upper".into()), "image"),
            (|l| l.ports = vec![80, 80], "ports"),
            (|l| l.args = vec!["a\0b".into()], "args"),
            (
                |l| {
                    l.env.insert("A=B".into(), "v".into());
                },
                "env",
            ),
            (
                |l| {
                    l.health = Some(HealthCheck {
                        http_path: Some("x".into()),
                        port: 1,
                        interval_ms: 100,
                        timeout_ms: 50,
                        threshold: 1,
                        grace_ms: 0,
                    })
                },
                "health.http_path",
            ),
        ];
        for (edit, field) in cases {
            let mut l = burn_launch();
            edit(&mut l);
            assert_eq!(check_launch(&l, &cap()).unwrap_err().field, field);
        }
    }

    #[test]
    fn local_image_references() {
        for ok in ["simctl-burn:0123abcd", "app", "team/app_x:v1.0-rc"] {
            assert!(is_local_image(ok), "{ok}");
        }
        for bad in [
            "",
            "App",
            "x:",
            "a//b",
            "http://x/y",
            "-a",
            "a@sha256:00",
            "a:b c",
        ] {
            assert!(!is_local_image(bad), "{bad}");
        }
    }
}

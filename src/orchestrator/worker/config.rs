//! `simctl worker`'s command line, checked into a [`WorkerConfig`] before anything starts: every
//! error names the flag at fault and what was expected.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::orchestrator::wire::Capacity;
use crate::runner::spec::check_token;

/// The longest worker name: its containers are named `simctl-<name>-l<launch id>`, which must
/// stay a 64-character token with a 20-digit launch id.
pub const MAX_NAME_LEN: usize = 32;

/// The flags as typed (strings), before checking.
#[derive(Debug, Clone, Default)]
pub struct RawWorkerArgs {
    /// `--manager`: the manager's base URL.
    pub manager: String,
    /// `--listen`: the worker API's address.
    pub listen: String,
    /// `--cpu`: cores (fractional allowed).
    pub cpu: String,
    /// `--memory`: a size.
    pub memory: String,
    /// `--disk`: a size.
    pub disk: String,
    /// `--name`.
    pub name: Option<String>,
    /// `--token-file`.
    pub token_file: Option<PathBuf>,
    /// `--state-dir`.
    pub state_dir: Option<PathBuf>,
    /// `--heartbeat`: a duration.
    pub heartbeat: String,
    /// `--lease`: a duration.
    pub lease: String,
}

/// A checked worker configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerConfig {
    /// The manager's base URL, `http://host:port` (no trailing slash).
    pub manager: String,
    /// Where the worker API listens.
    pub listen: SocketAddr,
    /// The worker's name (a token of at most [`MAX_NAME_LEN`] characters).
    pub name: String,
    /// Its capacity budget.
    pub capacity: Capacity,
    /// The bearer token, sent to the manager and required on the worker API.
    pub token: Option<String>,
    /// Where `agent.pid`, `lease` and `fence.log` live.
    pub state_dir: PathBuf,
    /// Time between heartbeats.
    pub heartbeat: Duration,
    /// How long after the last acknowledged heartbeat was sent the fence kills the containers of
    /// a dead agent (see the fencing rule in docs/orchestrator.md).
    pub lease: Duration,
}

impl WorkerConfig {
    /// Checks every flag; the error names the flag and what was expected.
    pub fn from_raw(raw: &RawWorkerArgs) -> Result<WorkerConfig, String> {
        let manager = check_manager_url(&raw.manager)?;
        let listen: SocketAddr = raw.listen.parse().map_err(|_| {
            format!(
                "--listen: expected IP:PORT such as 127.0.0.2:7879, got \"{}\"",
                raw.listen
            )
        })?;
        if listen.port() == 0 {
            return Err("--listen: needs a fixed port (the manager calls the worker there)".into());
        }
        let name = match &raw.name {
            Some(n) => n.clone(),
            None => default_name(listen),
        };
        check_name(&name)?;
        let token = match &raw.token_file {
            Some(f) => Some(read_token(f)?),
            None => None,
        };
        if token.is_none() && !listen.ip().is_loopback() {
            return Err(format!(
                "--listen {listen} is not a loopback address: give a --token-file so that only \
                 the manager can start containers here"
            ));
        }
        let capacity = Capacity {
            cpu_millis: cores_to_millis(&raw.cpu)?,
            memory_bytes: size("--memory", &raw.memory, 6 << 20)?,
            disk_bytes: size("--disk", &raw.disk, 1)?,
        };
        let state_dir = raw
            .state_dir
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join(format!("simctl-worker-{name}")));
        Ok(WorkerConfig {
            manager,
            listen,
            name,
            capacity,
            token,
            state_dir,
            heartbeat: duration("--heartbeat", &raw.heartbeat, 0.05, 3600.0)?,
            lease: duration("--lease", &raw.lease, 0.1, 3600.0)?,
        })
    }
}

/// The default name of a worker listening on `listen`: `w-127.0.0.2-7879` (IPv6 colons become
/// `.`).
pub fn default_name(listen: SocketAddr) -> String {
    let ip = listen.ip().to_string().replace(':', ".");
    format!("w-{ip}-{}", listen.port())
}

fn check_name(name: &str) -> Result<(), String> {
    if check_token("--name", name).is_err() {
        return Err(format!(
            "--name \"{name}\" must be letters, digits, '.', '_' or '-' (it becomes a label and \
             container names)"
        ));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!(
            "--name \"{name}\" is longer than {MAX_NAME_LEN} characters (container names carry it)"
        ));
    }
    Ok(())
}

/// Checks `http://host:port` and strips a trailing slash.
pub fn check_manager_url(url: &str) -> Result<String, String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        format!("--manager: expected http://HOST:PORT such as http://127.0.0.1:7878, got \"{url}\"")
    })?;
    let hostport = rest.trim_end_matches('/');
    let ok = match hostport.rsplit_once(':') {
        Some((host, port)) => {
            !host.is_empty()
                && !hostport.contains('/')
                && !hostport.contains('@')
                && port.parse::<u16>().is_ok_and(|p| p > 0)
        }
        None => false,
    };
    if !ok {
        return Err(format!(
            "--manager: expected http://HOST:PORT (no path), got \"{url}\""
        ));
    }
    Ok(format!("http://{hostport}"))
}

fn read_token(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--token-file {}: {e}", path.display()))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(format!(
            "--token-file {}: the file is empty",
            path.display()
        ));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "--token-file {}: the token must be one line of visible ASCII",
            path.display()
        ));
    }
    Ok(token.to_string())
}

fn cores_to_millis(text: &str) -> Result<u64, String> {
    let cores: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("--cpu: expected a number of cores like 2 or 0.5, got \"{text}\""))?;
    if !(cores.is_finite() && (0.01..=4096.0).contains(&cores)) {
        return Err(format!(
            "--cpu: cores must be between 0.01 and 4096, got {text}"
        ));
    }
    Ok((cores * 1000.0).round() as u64)
}

fn size(flag: &str, text: &str, min: u64) -> Result<u64, String> {
    let v = crate::units::parse_size_bytes(text).map_err(|e| format!("{flag}: {e}"))?;
    if !(v.is_finite() && v >= min as f64 && v < u64::MAX as f64) {
        return Err(format!(
            "{flag}: must be at least {min} bytes, got \"{text}\""
        ));
    }
    Ok(v as u64)
}

fn duration(flag: &str, text: &str, min: f64, max: f64) -> Result<Duration, String> {
    let v = crate::units::parse_duration_secs(text).map_err(|e| format!("{flag}: {e}"))?;
    if !(min..=max).contains(&v) {
        return Err(format!(
            "{flag}: must be between {min}s and {max}s, got \"{text}\""
        ));
    }
    Ok(Duration::from_secs_f64(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Edit = fn(&mut RawWorkerArgs);

    fn raw() -> RawWorkerArgs {
        RawWorkerArgs {
            manager: "http://127.0.0.1:7878/".into(),
            listen: "127.0.0.2:7879".into(),
            cpu: "2".into(),
            memory: "2GiB".into(),
            disk: "10GiB".into(),
            heartbeat: "1s".into(),
            lease: "3s".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_plain_command_line_is_checked_into_units() {
        let c = WorkerConfig::from_raw(&raw()).unwrap();
        assert_eq!(c.manager, "http://127.0.0.1:7878");
        assert_eq!(c.name, "w-127.0.0.2-7879");
        assert_eq!(
            c.capacity,
            Capacity {
                cpu_millis: 2000,
                memory_bytes: 2 << 30,
                disk_bytes: 10 << 30
            }
        );
        assert_eq!(c.heartbeat, Duration::from_secs(1));
        assert_eq!(c.lease, Duration::from_secs(3));
        assert!(c.state_dir.ends_with("simctl-worker-w-127.0.0.2-7879"));
        assert_eq!(c.token, None);
    }

    #[test]
    fn each_bad_flag_is_named() {
        let cases: [(Edit, &str); 9] = [
            (|r| r.manager = "127.0.0.1:7878".into(), "--manager"),
            (|r| r.manager = "http://h:1/x".into(), "--manager"),
            (|r| r.listen = "localhost".into(), "--listen"),
            (|r| r.listen = "127.0.0.1:0".into(), "--listen"),
            (|r| r.cpu = "-1".into(), "--cpu"),
            (|r| r.memory = "1KiB".into(), "--memory"),
            (|r| r.heartbeat = "0s".into(), "--heartbeat"),
            (|r| r.name = Some("a b".into()), "--name"),
            (|r| r.name = Some("x".repeat(33)), "--name"),
        ];
        for (edit, flag) in cases {
            let mut r = raw();
            edit(&mut r);
            let e = WorkerConfig::from_raw(&r).unwrap_err();
            assert!(e.starts_with(flag), "{flag}: {e}");
        }
    }

    #[test]
    fn a_non_loopback_address_needs_a_token() {
        let mut r = raw();
        r.listen = "0.0.0.0:7879".into();
        let e = WorkerConfig::from_raw(&r).unwrap_err();
        assert!(e.contains("--token-file"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("token");
        std::fs::write(&f, "s3cret\n").unwrap();
        r.token_file = Some(f.clone());
        let c = WorkerConfig::from_raw(&r).unwrap();
        assert_eq!(c.token.as_deref(), Some("s3cret"));
        std::fs::write(&f, "  \n").unwrap();
        assert!(WorkerConfig::from_raw(&r).unwrap_err().contains("empty"));
    }

    #[test]
    fn ipv6_names_are_tokens() {
        assert_eq!(default_name("[::1]:80".parse().unwrap()), "w-..1-80");
    }
}

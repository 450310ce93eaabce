//! What a runner container is allowed to be, and its `docker run` arguments. Every container
//! gets hard limits (`--cpus`, `--memory` with `--memory-swap` equal to it, so no swap), the
//! `simctl.*` labels that make it findable and cleanable, no network unless asked, published
//! ports on 127.0.0.1 only, never `--privileged`, never a host mount, and never a pull.

use std::collections::BTreeMap;

use super::error::RuntimeError;

/// Label naming the run a container belongs to; [`super::clean`] removes by it.
pub const LABEL_RUN: &str = "simctl.run";
/// Label naming the scenario's (virtual) node a container runs on.
pub const LABEL_NODE: &str = "simctl.node";
/// Label naming the task a container is an attempt of.
pub const LABEL_TASK: &str = "simctl.task";
/// Label naming the attempt number.
pub const LABEL_ATTEMPT: &str = "simctl.attempt";

/// The network a container joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Network {
    /// No network at all (`--network none`), the default.
    None,
    /// The engine's default bridge, needed to publish a port (a health endpoint).
    Bridge,
}

/// A container to start.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerSpec {
    /// The container's name (unique in the engine).
    pub name: String,
    /// A local image (never pulled).
    pub image: String,
    /// Arguments to the image's entrypoint, passed as arguments (no shell ever sees them).
    pub args: Vec<String>,
    /// CPU limit in cores (`--cpus`).
    pub cpus: f64,
    /// Memory limit in bytes (`--memory` and `--memory-swap`).
    pub memory_bytes: u64,
    /// Labels; must include [`LABEL_RUN`].
    pub labels: BTreeMap<String, String>,
    /// The network.
    pub network: Network,
    /// Container ports to publish on 127.0.0.1 (an ephemeral host port each; needs
    /// [`Network::Bridge`]).
    pub publish: Vec<u16>,
    /// Environment variables (`--env KEY=VALUE`); keys must pass [`check_env_key`].
    pub env: BTreeMap<String, String>,
}

/// Checks an environment variable name: a letter or `_`, then letters, digits or `_`, at most
/// 128 characters (what a POSIX shell accepts, so no `=` and nothing the engine would split).
pub fn check_env_key(key: &str) -> Result<(), RuntimeError> {
    let mut chars = key.chars();
    let ok = key.len() <= 128
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(RuntimeError::InvalidSpec(format!(
            "environment variable name \"{key}\" must be a letter or '_' followed by letters, digits or '_' (at most 128)"
        )))
    }
}

/// Checks that a run id, node name or other label value is a plain token: letters, digits, `.`,
/// `_` and `-`, 1 to 64 characters (they end up in container names and filters).
pub fn check_token(what: &str, value: &str) -> Result<(), RuntimeError> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(RuntimeError::InvalidSpec(format!(
            "{what} \"{value}\" must be 1 to 64 letters, digits, '.', '_' or '-'"
        )))
    }
}

impl ContainerSpec {
    /// The container of attempt `attempt` of task `task` on node `node` in run `run`, with the
    /// four `simctl.*` labels, the name `simctl-<run>-t<task>-a<attempt>`, no network and no
    /// limits yet (set `cpus` and `memory_bytes` from the task's demands).
    pub fn for_attempt(run: &str, node: &str, task: u64, attempt: u32, image: &str) -> Self {
        let labels = BTreeMap::from([
            (LABEL_RUN.to_string(), run.to_string()),
            (LABEL_NODE.to_string(), node.to_string()),
            (LABEL_TASK.to_string(), task.to_string()),
            (LABEL_ATTEMPT.to_string(), attempt.to_string()),
        ]);
        ContainerSpec {
            name: format!("simctl-{run}-t{task}-a{attempt}"),
            image: image.to_string(),
            args: Vec::new(),
            cpus: 0.0,
            memory_bytes: 0,
            labels,
            network: Network::None,
            publish: Vec::new(),
            env: BTreeMap::new(),
        }
    }

    /// Checks what simctl refuses to start: no run label, limits that are not limits, ports
    /// without a network, names that are not plain tokens.
    pub fn validate(&self) -> Result<(), RuntimeError> {
        let run = self.labels.get(LABEL_RUN).ok_or_else(|| {
            RuntimeError::InvalidSpec(format!(
                "container \"{}\" has no {LABEL_RUN} label, so `simctl docker clean` could not find it",
                self.name
            ))
        })?;
        check_token("run id", run)?;
        check_token("container name", &self.name)?;
        if !(self.cpus.is_finite() && self.cpus >= 0.01) {
            return Err(RuntimeError::InvalidSpec(format!(
                "container \"{}\": cpus must be at least 0.01, got {}",
                self.name, self.cpus
            )));
        }
        // The engine's own minimum is 6 MiB.
        if self.memory_bytes < 6 * 1024 * 1024 {
            return Err(RuntimeError::InvalidSpec(format!(
                "container \"{}\": memory must be at least 6MiB, got {} bytes",
                self.name, self.memory_bytes
            )));
        }
        for (k, v) in &self.env {
            check_env_key(k)?;
            if v.contains('\0') {
                return Err(RuntimeError::InvalidSpec(format!(
                    "container \"{}\": environment variable {k} holds a NUL byte",
                    self.name
                )));
            }
        }
        if !self.publish.is_empty() && self.network == Network::None {
            return Err(RuntimeError::InvalidSpec(format!(
                "container \"{}\" publishes ports but has no network",
                self.name
            )));
        }
        Ok(())
    }

    /// The `docker` arguments that start this container detached (`run -d ...`), after
    /// [`ContainerSpec::validate`].
    pub fn run_args(&self) -> Vec<String> {
        let mut a: Vec<String> = vec!["run".into(), "-d".into(), "--pull".into(), "never".into()];
        a.extend(["--name".into(), self.name.clone()]);
        a.extend(["--cpus".into(), format!("{}", self.cpus)]);
        a.extend(["--memory".into(), self.memory_bytes.to_string()]);
        a.extend(["--memory-swap".into(), self.memory_bytes.to_string()]);
        let net = match self.network {
            Network::None => "none",
            Network::Bridge => "bridge",
        };
        a.extend(["--network".into(), net.into()]);
        for (k, v) in &self.labels {
            a.extend(["--label".into(), format!("{k}={v}")]);
        }
        for (k, v) in &self.env {
            a.extend(["--env".into(), format!("{k}={v}")]);
        }
        for port in &self.publish {
            a.extend(["--publish".into(), format!("127.0.0.1::{port}")]);
        }
        a.push(self.image.clone());
        a.extend(self.args.iter().cloned());
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ContainerSpec {
        let mut s = ContainerSpec::for_attempt("r1", "node-0", 7, 2, "simctl-burn:abc");
        s.cpus = 0.5;
        s.memory_bytes = 64 << 20;
        s.args = vec!["burn".into(), "--seconds".into(), "1; rm -rf /".into()];
        s
    }

    #[test]
    fn run_args_carry_limits_labels_and_no_privileges() {
        let s = spec();
        s.validate().unwrap();
        let a = s.run_args();
        let joined = a.join(" ");
        assert!(joined.contains("--cpus 0.5 --memory 67108864 --memory-swap 67108864"));
        assert!(joined.contains("--network none"));
        assert!(joined.contains("--pull never"));
        for l in [
            "simctl.run=r1",
            "simctl.node=node-0",
            "simctl.task=7",
            "simctl.attempt=2",
        ] {
            assert!(a.contains(&l.to_string()), "{l} missing from {joined}");
        }
        for forbidden in ["--privileged", "-v", "--volume", "--mount", "--cap-add"] {
            assert!(
                !a.contains(&forbidden.to_string()),
                "{forbidden} in {joined}"
            );
        }
        // The image comes right before the arguments, which stay single arguments (no shell).
        let i = a.iter().position(|x| x == "simctl-burn:abc").unwrap();
        assert_eq!(&a[i + 1..], &["burn", "--seconds", "1; rm -rf /"]);
        assert_eq!(s.name, "simctl-r1-t7-a2");
    }

    #[test]
    fn published_ports_bind_loopback_only() {
        let mut s = spec();
        s.publish = vec![8080];
        assert!(s.validate().is_err(), "ports without a network");
        s.network = Network::Bridge;
        s.validate().unwrap();
        let a = s.run_args();
        let i = a.iter().position(|x| x == "--publish").unwrap();
        assert_eq!(a[i + 1], "127.0.0.1::8080");
    }

    #[test]
    fn specs_without_run_label_or_limits_are_refused() {
        let mut s = spec();
        s.labels.remove(LABEL_RUN);
        assert!(s.validate().unwrap_err().to_string().contains("simctl.run"));
        let mut s = spec();
        s.cpus = 0.0;
        assert!(s.validate().unwrap_err().to_string().contains("cpus"));
        let mut s = spec();
        s.memory_bytes = 1024;
        assert!(s.validate().unwrap_err().to_string().contains("memory"));
        let mut s = spec();
        s.labels.insert(LABEL_RUN.into(), "a b".into());
        assert!(s.validate().unwrap_err().to_string().contains("run id"));
    }

    #[test]
    fn environment_variables_are_single_arguments_with_checked_names() {
        let mut s = spec();
        s.env.insert("MODE".into(), "a b; rm -rf /".into());
        s.validate().unwrap();
        let a = s.run_args();
        let i = a.iter().position(|x| x == "--env").unwrap();
        assert_eq!(a[i + 1], "MODE=a b; rm -rf /");
        for bad in ["", "1X", "A=B", "A B", "A-B"] {
            let mut s = spec();
            s.env.insert(bad.into(), "v".into());
            let e = s.validate().unwrap_err().to_string();
            assert!(e.contains("environment variable"), "{bad}: {e}");
        }
        check_env_key("_OK_2").unwrap();
    }
}

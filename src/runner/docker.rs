//! [`ContainerRuntime`] over the `docker` CLI (`std::process::Command`, arguments passed as
//! arguments, never through a shell). Measured on this project's machine, a start through the
//! CLI costs the same as through the API crate (the engine's container start dominates), and the
//! CLI adds no dependency; see the README's "Real containers" paragraph for the numbers.

use std::net::SocketAddr;
use std::process::{Command, Stdio};

use super::error::RuntimeError;
use super::event_stream;
use super::runtime::{ContainerRuntime, ContainerSummary, EventStream};
use super::spec::ContainerSpec;

/// The local Docker engine, through the `docker` CLI.
#[derive(Debug, Clone)]
pub struct DockerCli {
    docker: String,
}

impl DockerCli {
    /// Connects to the engine the `docker` CLI points at, failing with
    /// [`RuntimeError::EngineUnreachable`] when `docker info` fails.
    pub fn connect() -> Result<Self, RuntimeError> {
        Self::connect_with("docker")
    }

    /// As [`DockerCli::connect`], with the CLI at `docker` (a path or a name on `PATH`).
    pub fn connect_with(docker: &str) -> Result<Self, RuntimeError> {
        let out = Command::new(docker)
            .args(["info", "--format", "{{.ServerVersion}}"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| RuntimeError::EngineUnreachable(format!("cannot run `{docker}`: {e}")))?;
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !out.status.success() || version.is_empty() {
            let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
            return Err(RuntimeError::EngineUnreachable(stderr));
        }
        Ok(DockerCli {
            docker: docker.to_string(),
        })
    }

    /// Runs `docker <args>` and returns its stdout; a non-zero exit becomes
    /// [`RuntimeError::Command`] with the engine's message (or [`RuntimeError::ImageMissing`]).
    pub fn run<S: AsRef<str>>(&self, args: &[S]) -> Result<String, RuntimeError> {
        let args: Vec<&str> = args.iter().map(|a| a.as_ref()).collect();
        let out = Command::new(&self.docker)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| RuntimeError::io(format!("cannot run `docker {}`", args[0]), e))?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        Err(command_error(
            &args,
            out.status.code().unwrap_or(-1),
            stderr,
        ))
    }

    /// Whether the engine has image `tag`.
    pub fn image_exists(&self, tag: &str) -> bool {
        self.run(&["image", "inspect", "--format", "{{.Id}}", tag])
            .is_ok()
    }

    /// The `docker inspect` document of a container.
    pub fn inspect(&self, id: &str) -> Result<serde_json::Value, RuntimeError> {
        let out = self.run(&["container", "inspect", id])?;
        let mut docs: Vec<serde_json::Value> =
            serde_json::from_str(&out).map_err(|e| RuntimeError::Parse {
                command: "container inspect".into(),
                detail: e.to_string(),
            })?;
        docs.pop().ok_or_else(|| RuntimeError::Parse {
            command: "container inspect".into(),
            detail: format!("no document for {id}"),
        })
    }

    /// The 127.0.0.1 address that a published container port `port` is reachable on.
    pub fn host_port(&self, id: &str, port: u16) -> Result<SocketAddr, RuntimeError> {
        let out = self.run(&["port", id, &format!("{port}/tcp")])?;
        out.lines()
            .filter_map(|l| l.trim().parse::<SocketAddr>().ok())
            .find(|a| a.ip().is_loopback())
            .ok_or_else(|| RuntimeError::Parse {
                command: "port".into(),
                detail: format!("no 127.0.0.1 binding for port {port} of {id} in {out:?}"),
            })
    }
}

fn command_error(args: &[&str], status: i32, stderr: String) -> RuntimeError {
    if let Some(image) = missing_image(args, &stderr) {
        return RuntimeError::ImageMissing(image);
    }
    RuntimeError::Command {
        command: args.iter().take(2).copied().collect::<Vec<_>>().join(" "),
        status,
        stderr,
    }
}

/// The image a failed `docker run --pull never` could not find, from the engine's message.
fn missing_image(args: &[&str], stderr: &str) -> Option<String> {
    if args.first() != Some(&"run") || !stderr.contains("No such image") {
        return None;
    }
    let rest = stderr.split("No such image: ").nth(1)?;
    let image = rest.split_whitespace().next()?.trim_end_matches('.');
    Some(image.to_string())
}

impl ContainerRuntime for DockerCli {
    fn start(&self, spec: &ContainerSpec) -> Result<String, RuntimeError> {
        spec.validate()?;
        let id = self.run(&spec.run_args())?.trim().to_string();
        if id.is_empty() {
            return Err(RuntimeError::Parse {
                command: "run".into(),
                detail: "no container id printed".into(),
            });
        }
        Ok(id)
    }

    fn kill(&self, id: &str) -> Result<(), RuntimeError> {
        self.run(&["kill", "--signal", "KILL", id]).map(drop)
    }

    fn remove(&self, id: &str) -> Result<(), RuntimeError> {
        self.run(&["rm", "--force", id]).map(drop)
    }

    fn list(&self, key: &str, value: Option<&str>) -> Result<Vec<ContainerSummary>, RuntimeError> {
        let filter = match value {
            Some(v) => format!("label={key}={v}"),
            None => format!("label={key}"),
        };
        let out = self.run(&[
            "ps",
            "--all",
            "--no-trunc",
            "--filter",
            &filter,
            "--format",
            "{{json .}}",
        ])?;
        out.lines()
            .filter(|l| !l.trim().is_empty())
            .map(parse_ps_line)
            .collect()
    }

    fn events(&self, run_id: &str) -> Result<EventStream, RuntimeError> {
        event_stream::watch(&self.docker, run_id)
    }
}

/// Parses one line of `docker ps --format '{{json .}}'` (labels come as one `k=v,k=v` string).
pub fn parse_ps_line(line: &str) -> Result<ContainerSummary, RuntimeError> {
    #[derive(serde::Deserialize)]
    struct Ps {
        #[serde(rename = "ID")]
        id: String,
        #[serde(rename = "Names")]
        names: String,
        #[serde(rename = "Labels", default)]
        labels: String,
    }
    let ps: Ps = serde_json::from_str(line).map_err(|e| RuntimeError::Parse {
        command: "ps".into(),
        detail: format!("{e}: {line}"),
    })?;
    let labels = ps
        .labels
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Ok(ContainerSummary {
        id: ps.id,
        name: ps.names,
        labels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ps_lines_parse_with_their_labels() {
        let line = r#"{"Command":"\"/simctl burn\"","ID":"abc123","Image":"simctl-burn:1","Labels":"simctl.run=r1,simctl.node=n0,simctl.task=3","Names":"simctl-r1-t3-a1","State":"running"}"#;
        let c = parse_ps_line(line).unwrap();
        assert_eq!(c.id, "abc123");
        assert_eq!(c.name, "simctl-r1-t3-a1");
        assert_eq!(c.labels["simctl.run"], "r1");
        assert_eq!(c.labels["simctl.task"], "3");
        assert!(parse_ps_line("garbage").is_err());
    }

    #[test]
    fn a_missing_image_is_named() {
        // As the engine (20.10) and CLI (28.2) print it.
        let stderr = "docker: Error response from daemon: No such image: nope:1\n\nRun 'docker run --help' for more information";
        let e = command_error(&["run", "-d"], 125, stderr.into());
        assert!(
            matches!(&e, RuntimeError::ImageMissing(i) if i == "nope:1"),
            "{e}"
        );
        let e = command_error(&["kill", "x"], 1, "No such container: x".into());
        assert!(matches!(e, RuntimeError::Command { status: 1, .. }));
    }

    #[test]
    fn an_absent_cli_is_an_unreachable_engine() {
        let e = DockerCli::connect_with("/nonexistent/docker").unwrap_err();
        assert!(matches!(e, RuntimeError::EngineUnreachable(_)), "{e}");
        assert!(e.to_string().contains("docker info"), "{e}");
    }
}

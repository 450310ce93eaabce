//! What a (re)starting agent finds in the engine: the containers labelled with its worker's
//! name, running or exited with their status, read from one `docker ps`.

use crate::orchestrator::wire::{LaunchState, LABEL_LAUNCH, LABEL_WORKER};
use crate::runner::docker::DockerCli;

/// A container of this worker found in the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The container id.
    pub id: String,
    /// Its launch id.
    pub launch: u64,
    /// `Running`, or `Exited{code}` (a container that never ran counts as exited with -1).
    pub state: LaunchState,
}

/// The containers of worker `name`.
pub fn scan(docker: &DockerCli, name: &str) -> Result<Vec<Found>, String> {
    let out = docker
        .run(&[
            "ps",
            "--all",
            "--no-trunc",
            "--filter",
            &format!("label={LABEL_WORKER}={name}"),
            "--format",
            &format!(
                "{{{{.ID}}}}\t{{{{.State}}}}\t{{{{.Label \"{LABEL_LAUNCH}\"}}}}\t{{{{.Status}}}}"
            ),
        ])
        .map_err(|e| e.to_string())?;
    Ok(out.lines().filter_map(parse_line).collect())
}

/// Parses one `ID<TAB>State<TAB>launch<TAB>Status` line; lines without a launch id are skipped.
pub fn parse_line(line: &str) -> Option<Found> {
    let mut f = line.split('\t');
    let id = f.next()?.trim().to_string();
    let state = f.next()?.trim();
    let launch = f.next()?.trim().parse().ok()?;
    let status = f.next().unwrap_or("");
    let state = if state == "running" || state == "restarting" || state == "paused" {
        LaunchState::Running
    } else {
        LaunchState::Exited {
            code: exit_code_of_status(status).unwrap_or(-1),
        }
    };
    Some(Found { id, launch, state })
}

/// The exit code in a `docker ps` status such as `Exited (3) 5 seconds ago`.
pub fn exit_code_of_status(status: &str) -> Option<i64> {
    let rest = status.trim().strip_prefix("Exited (")?;
    rest.split(')').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ps_lines_give_state_and_exit_code() {
        let f = parse_line("abc\trunning\t42\tUp 3 seconds").unwrap();
        assert_eq!(f.launch, 42);
        assert_eq!(f.state, LaunchState::Running);
        let f = parse_line("def\texited\t7\tExited (3) 2 seconds ago").unwrap();
        assert_eq!(f.state, LaunchState::Exited { code: 3 });
        let f = parse_line("ghi\tcreated\t8\tCreated").unwrap();
        assert_eq!(f.state, LaunchState::Exited { code: -1 });
        assert_eq!(parse_line("x\trunning\t\tUp"), None, "no launch label");
    }
}

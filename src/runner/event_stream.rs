//! Streams the engine's events of one run: a `docker events` child process filtered by the
//! run's label, read line by line on a thread and sent, parsed, into a channel.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::error::RuntimeError;
use super::events::{parse_event_line, OomTracker};
use super::runtime::EventStream;
use super::spec::{check_token, LABEL_RUN};

/// The `docker events` arguments for run `run_id`'s container events since `since` (seconds
/// since the epoch, fractional): starting from a timestamp taken before any container is
/// started closes the race between subscribing and the first event.
pub fn events_args(run_id: &str, since: f64) -> Vec<String> {
    vec![
        "events".into(),
        "--format".into(),
        "{{json .}}".into(),
        "--filter".into(),
        "type=container".into(),
        "--filter".into(),
        format!("label={LABEL_RUN}={run_id}"),
        "--since".into(),
        format!("{since:.6}"),
    ]
}

/// Starts watching run `run_id`'s container events, from now.
pub fn watch(docker: &str, run_id: &str) -> Result<EventStream, RuntimeError> {
    check_token("run id", run_id)?;
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let mut child = Command::new(docker)
        .args(events_args(run_id, since))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| RuntimeError::io("cannot start `docker events`", e))?;
    let stdout = child.stdout.take().expect("stdout was piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut oom = OomTracker::default();
        for line in BufReader::new(stdout).lines() {
            let item = match line {
                Ok(l) => match parse_event_line(&l) {
                    Ok(Some(e)) => Ok(oom.fold(e)),
                    Ok(None) => continue,
                    Err(e) => Err(e),
                },
                Err(e) => Err(format!("reading `docker events`: {e}")),
            };
            if tx.send(item).is_err() {
                break;
            }
        }
    });
    Ok(EventStream::new(rx, Some(child)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_filtered_by_the_runs_label_from_a_timestamp() {
        let a = events_args("r42", 1700000000.25);
        let joined = a.join(" ");
        assert!(joined.contains("--filter label=simctl.run=r42"), "{joined}");
        assert!(joined.contains("--filter type=container"), "{joined}");
        assert!(joined.ends_with("--since 1700000000.250000"), "{joined}");
    }
}

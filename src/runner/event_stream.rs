//! Streams the engine's events of one run: a `docker events` child process filtered by the
//! run's label, read line by line on a thread and sent, parsed, into a channel.
//!
//! `docker events` never ends on its own, and a process whose parent dies is not told: a simctl
//! worker killed with SIGKILL (or by the OOM killer) would leave its watcher running for good, one
//! more after every restart. So the watcher runs under a small `sh` watchdog whose standard input
//! is a pipe from simctl. When that pipe closes (the stream is dropped, or simctl dies in any way),
//! the watchdog kills the watcher and exits.

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

/// The watchdog script, run as `sh -c WATCHDOG DOCKER ARGS...`: starts `DOCKER ARGS...` in the
/// background (its stdout is the pipe simctl reads; a background job's stdin is /dev/null), lets
/// go of its own copy of that pipe (so simctl sees the end of the stream when the watcher ends),
/// waits for the end of its standard input, then kills the watcher.
const WATCHDOG: &str = r#""$0" "$@" &
watcher=$!
exec >/dev/null
cat >/dev/null
kill -KILL "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
exit 0"#;

/// Starts watching run `run_id`'s container events, from now.
pub fn watch(docker: &str, run_id: &str) -> Result<EventStream, RuntimeError> {
    check_token("run id", run_id)?;
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg(docker)
        .args(events_args(run_id, since))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| RuntimeError::io("cannot start `docker events` (under `sh`)", e))?;
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
    use crate::orchestrator::worker::lease::ProcStamp;
    use std::path::Path;
    use std::time::{Duration, Instant};

    /// A stand-in for the docker CLI: writes its pid, prints one container event and then waits
    /// forever, as `docker events` does.
    fn fake_docker(dir: &Path) -> std::path::PathBuf {
        let script = dir.join("fake-docker");
        let event = r#"{"Type":"container","Action":"start","Actor":{"ID":"c1","Attributes":{"name":"x"}},"time":1,"timeNano":1000000000}"#;
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho $$ > '{}'\necho '{event}'\nexec sleep 1000\n",
                dir.join("pid").display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        script
    }

    /// The fake watcher's process, once it has written its pid (it runs then).
    fn watcher(dir: &Path) -> ProcStamp {
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            let read = std::fs::read_to_string(dir.join("pid"));
            if let Some(pid) = read.ok().and_then(|t| t.trim().parse().ok()) {
                return ProcStamp::of(pid).expect("the watcher runs once it has written its pid");
            }
            assert!(Instant::now() < until, "the fake watcher never started");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits up to 10 s for `process` to end; whether it did.
    fn ends(process: ProcStamp) -> bool {
        let until = Instant::now() + Duration::from_secs(10);
        while process.alive() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        !process.alive()
    }

    /// Not a test by itself: the process that `a_killed_owner_takes_its_watcher_along` starts
    /// (with `SIMCTL_TEST_WATCH_DIR` set) and kills. It watches, then waits to be killed.
    #[test]
    #[ignore = "started by a_killed_owner_takes_its_watcher_along in a process of its own"]
    fn watcher_owner_process() {
        let Ok(dir) = std::env::var("SIMCTL_TEST_WATCH_DIR") else {
            return;
        };
        let docker = fake_docker(Path::new(&dir));
        let _stream = watch(docker.to_str().unwrap(), "r2").unwrap();
        std::thread::sleep(Duration::from_secs(600));
    }

    /// An owner killed with SIGKILL runs no destructor, yet its watcher ends too.
    #[test]
    fn a_killed_owner_takes_its_watcher_along() {
        let dir = tempfile::tempdir().unwrap();
        let mut owner = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "runner::event_stream::tests::watcher_owner_process",
                "--ignored",
                "--test-threads=1",
            ])
            .env("SIMCTL_TEST_WATCH_DIR", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let process = watcher(dir.path());
        owner.kill().unwrap();
        owner.wait().unwrap();
        assert!(
            ends(process),
            "watcher {} outlived its owner, killed with SIGKILL",
            process.pid
        );
    }

    /// Dropping the stream ends the watcher, which never ends by itself.
    #[test]
    fn dropping_the_stream_stops_the_watcher() {
        let dir = tempfile::tempdir().unwrap();
        let docker = fake_docker(dir.path());
        let stream = watch(docker.to_str().unwrap(), "r1").unwrap();
        let first = stream.next_timeout(Duration::from_secs(10));
        assert!(matches!(first, Ok(Some(_))), "{first:?}");
        let process = watcher(dir.path());
        drop(stream);
        assert!(ends(process), "watcher {} outlived its stream", process.pid);
    }

    #[test]
    fn events_are_filtered_by_the_runs_label_from_a_timestamp() {
        let a = events_args("r42", 1700000000.25);
        let joined = a.join(" ");
        assert!(joined.contains("--filter label=simctl.run=r42"), "{joined}");
        assert!(joined.contains("--filter type=container"), "{joined}");
        assert!(joined.ends_with("--since 1700000000.250000"), "{joined}");
    }
}

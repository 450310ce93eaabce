//! The fence: a watchdog process (`simctl worker-fence`) that each agent starts in its own
//! process group, so that a SIGKILL of the agent does not take it along. While the agent lives
//! the fence does nothing; once the agent is gone (killed, crashed or stopped) it waits until
//! `lease_sent + lease` (the send time of the last heartbeat the manager acknowledged, plus
//! the lease) and then kills and removes every container labelled with the worker's name,
//! unless a new agent has taken the state directory over meanwhile. Since the manager counts
//! its detection delay from when it *received* that heartbeat, which is later than when it was
//! sent, the containers are gone before the manager requeues their tasks whenever
//! `lease + kill time < detection delay`: a task never runs twice at once.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::lease::{now_ms, read_lease, read_pid_file, ProcStamp};
use crate::orchestrator::wire::LABEL_WORKER;
use crate::runner::docker::DockerCli;

/// How often the fence looks at its agent.
pub const POLL: Duration = Duration::from_millis(100);
/// The fence's log, in the state directory.
pub const LOG_FILE: &str = "fence.log";

/// What the fence watches.
#[derive(Debug, Clone)]
pub struct FenceArgs {
    /// The agent.
    pub agent: ProcStamp,
    /// The worker's name (its containers' [`LABEL_WORKER`] label).
    pub name: String,
    /// The state directory holding `agent.pid` and `lease`.
    pub state_dir: PathBuf,
    /// The lease.
    pub lease: Duration,
}

/// Starts the fence of the current process: `simctl worker-fence ...` in a new process group,
/// its output appended to `fence.log` in the state directory.
pub fn spawn(args: &FenceArgs) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe()?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(args.state_dir.join(LOG_FILE))?;
    Command::new(exe)
        .arg("worker-fence")
        .args(["--agent-pid", &args.agent.pid.to_string()])
        .args(["--agent-start", &args.agent.start.to_string()])
        .args(["--name", &args.name])
        .arg("--state-dir")
        .arg(&args.state_dir)
        .args(["--lease-ms", &args.lease.as_millis().to_string()])
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()
}

/// Whether another agent than `mine` has written the pid file (it takes over the containers).
fn replaced(dir: &Path, mine: ProcStamp) -> bool {
    read_pid_file(dir).is_some_and(|p| p != mine)
}

/// The fence's loop; returns once it has nothing more to do.
pub fn run(args: &FenceArgs) -> Result<(), String> {
    let log = |m: &str| eprintln!("fence {} ({}): {m}", args.name, now_ms());
    while args.agent.alive() {
        if replaced(&args.state_dir, args.agent) {
            log("another agent took over; exiting");
            return Ok(());
        }
        std::thread::sleep(POLL);
    }
    let deadline = read_lease(&args.state_dir).unwrap_or(0) + args.lease.as_millis() as u64;
    log(&format!(
        "agent {} is gone; killing its containers at {deadline} unless a new agent takes over",
        args.agent.pid
    ));
    while now_ms() < deadline {
        if replaced(&args.state_dir, args.agent) {
            log("a new agent took over; exiting");
            return Ok(());
        }
        std::thread::sleep(POLL.min(Duration::from_millis(deadline - now_ms().min(deadline))));
    }
    if replaced(&args.state_dir, args.agent) {
        log("a new agent took over; exiting");
        return Ok(());
    }
    let n = kill_all(&args.name)?;
    log(&format!("lease expired: removed {n} container(s)"));
    Ok(())
}

/// Kills and removes every container of worker `name`, returning how many there were.
pub fn kill_all(name: &str) -> Result<usize, String> {
    let docker = DockerCli::connect().map_err(|e| e.to_string())?;
    let out = docker
        .run(&[
            "ps",
            "--all",
            "--quiet",
            "--no-trunc",
            "--filter",
            &format!("label={LABEL_WORKER}={name}"),
        ])
        .map_err(|e| e.to_string())?;
    let ids: Vec<&str> = out.split_whitespace().collect();
    if ids.is_empty() {
        return Ok(0);
    }
    let mut rm = vec!["rm", "--force"];
    rm.extend(&ids);
    docker.run(&rm).map_err(|e| e.to_string())?;
    Ok(ids.len())
}

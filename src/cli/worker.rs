//! `simctl worker` (the worker agent) and its hidden companion `simctl worker-fence`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Result;

use crate::orchestrator::worker::config::{RawWorkerArgs, WorkerConfig};
use crate::orchestrator::worker::{agent, fence, lease::ProcStamp};

/// Arguments of `simctl worker`.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerArgs {
    /// The manager's base URL.
    #[arg(long, value_name = "URL")]
    pub manager: String,
    /// Where this worker's API listens (the manager calls it there), IP:PORT.
    #[arg(long, value_name = "ADDR")]
    pub listen: String,
    /// CPU budget, cores (fractional allowed).
    #[arg(long)]
    pub cpu: String,
    /// Memory budget, e.g. 2GiB.
    #[arg(long)]
    pub memory: String,
    /// Disk budget, e.g. 10GiB.
    #[arg(long)]
    pub disk: String,
    /// The worker's name (default: from the listen address, `w-127.0.0.2-7879`); stable across
    /// restarts, so a restarted worker finds its containers again.
    #[arg(long)]
    pub name: Option<String>,
    /// A file holding the bearer token: sent to the manager, required on this worker's API.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Where the pid, lease and fence log files live (default: a directory named after the
    /// worker under the temporary directory).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Time between heartbeats.
    #[arg(long, default_value = "1s", value_name = "DURATION")]
    pub heartbeat: String,
    /// After the agent dies, its containers are removed this long after the last heartbeat the
    /// manager acknowledged was sent; keep it below the manager's detection delay minus the
    /// time to kill them.
    #[arg(long, default_value = "3s", value_name = "DURATION")]
    pub lease: String,
}

/// Arguments of the hidden `simctl worker-fence` (started by `simctl worker` itself).
#[derive(Debug, Clone, clap::Args)]
pub struct FenceCliArgs {
    /// The agent's pid.
    #[arg(long)]
    pub agent_pid: u32,
    /// The agent's start time (clock ticks after boot).
    #[arg(long)]
    pub agent_start: u64,
    /// The worker's name.
    #[arg(long)]
    pub name: String,
    /// The worker's state directory.
    #[arg(long)]
    pub state_dir: PathBuf,
    /// The lease, milliseconds.
    #[arg(long)]
    pub lease_ms: u64,
}

/// Runs `simctl worker`.
pub fn run(args: &WorkerArgs) -> Result<()> {
    let raw = RawWorkerArgs {
        manager: args.manager.clone(),
        listen: args.listen.clone(),
        cpu: args.cpu.clone(),
        memory: args.memory.clone(),
        disk: args.disk.clone(),
        name: args.name.clone(),
        token_file: args.token_file.clone(),
        state_dir: args.state_dir.clone(),
        heartbeat: args.heartbeat.clone(),
        lease: args.lease.clone(),
    };
    let cfg = WorkerConfig::from_raw(&raw).map_err(|e| anyhow::anyhow!(e))?;
    agent::run(cfg, stop_flag())
}

/// Runs `simctl worker-fence`.
pub fn fence(args: &FenceCliArgs) -> Result<()> {
    let f = fence::FenceArgs {
        agent: ProcStamp {
            pid: args.agent_pid,
            start: args.agent_start,
        },
        name: args.name.clone(),
        state_dir: args.state_dir.clone(),
        lease: Duration::from_millis(args.lease_ms),
    };
    fence::run(&f).map_err(|e| anyhow::anyhow!(e))
}

/// Set on SIGINT or SIGTERM.
fn stop_flag() -> &'static AtomicBool {
    static STOP: AtomicBool = AtomicBool::new(false);
    let _ = ctrlc::set_handler(|| STOP.store(true, Ordering::SeqCst));
    &STOP
}

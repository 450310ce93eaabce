//! `simctl serve`, `submit`, `tasks` and `stop`: the manager and its thin client.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, Result};

use crate::orchestrator::{client, manager};

/// Where the client finds the manager when `--manager` is not given.
const DEFAULT_MANAGER: &str = "http://127.0.0.1:7878";

/// `simctl serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address the API listens on (loopback unless --token-file is given).
    #[arg(long, default_value = "127.0.0.1:7878")]
    listen: String,
    /// Manager configuration: `[manager]` timings, one `[[scheduler]]`, `[failover]`.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The task store (SQLite), created if missing.
    #[arg(long, default_value = "simctl-manager.db")]
    db: PathBuf,
    /// File holding the bearer token every request (workers' included) must carry.
    #[arg(long)]
    token_file: Option<PathBuf>,
}

/// The client's connection options.
#[derive(Debug, clap::Args)]
pub struct ClientArgs {
    /// The manager's URL (default $SIMCTL_MANAGER, else http://127.0.0.1:7878).
    #[arg(long)]
    manager: Option<String>,
    /// File holding the manager's bearer token.
    #[arg(long)]
    token_file: Option<PathBuf>,
}

impl ClientArgs {
    fn connect(&self) -> Result<crate::http::Client> {
        let url = self
            .manager
            .clone()
            .or_else(|| std::env::var("SIMCTL_MANAGER").ok())
            .unwrap_or_else(|| DEFAULT_MANAGER.to_string());
        client::connect(&url, self.token_file.as_deref()).map_err(|e| anyhow!(e))
    }
}

/// Runs the manager until Ctrl-C or SIGTERM.
pub fn serve(args: &ServeArgs) -> Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    ctrlc::set_handler(move || s.store(true, Ordering::SeqCst))
        .map_err(|e| anyhow!("cannot handle Ctrl-C: {e}"))?;
    let opts = manager::ServeOptions {
        listen: args.listen.clone(),
        config: args.config.clone(),
        db: args.db.clone(),
        token_file: args.token_file.clone(),
    };
    manager::run(&opts, &stop).map_err(|e| anyhow!(e))
}

/// `simctl submit FILE`.
pub fn submit(file: &std::path::Path, c: &ClientArgs) -> Result<()> {
    let client = c.connect()?;
    for line in client::submit(&client, file).map_err(|e| anyhow!(e))? {
        println!("{line}");
    }
    Ok(())
}

/// `simctl tasks [ID]`.
pub fn tasks(id: Option<&str>, state: Option<&str>, c: &ClientArgs) -> Result<()> {
    let client = c.connect()?;
    let out = match id {
        Some(id) => client::show(&client, id),
        None => client::list(&client, state),
    };
    print!("{}", out.map_err(|e| anyhow!(e))?);
    Ok(())
}

/// `simctl stop ID`.
pub fn stop(id: &str, c: &ClientArgs) -> Result<()> {
    let client = c.connect()?;
    println!("{}", client::stop(&client, id).map_err(|e| anyhow!(e))?);
    Ok(())
}

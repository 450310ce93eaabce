//! `simctl serve`: the manager. It accepts tasks over its HTTP API ([`api`]), keeps them in the
//! task store ([`crate::orchestrator::store`]), decides with the shared control plane driven by
//! the wall clock ([`state`]), pushes launches to worker agents ([`outbound`]) and follows their
//! reports and heartbeats, declaring a silent worker down after the detection delay so the
//! failover policy moves its tasks.

pub mod api;
pub mod config;
pub mod outbound;
pub mod state;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::time::Duration;

use crate::http::{HttpServer, Limits};

use self::config::ManagerConfig;
use self::outbound::Outbound;
use self::state::Manager;
use super::store::Store;

/// How `simctl serve` was asked to run.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where the API listens.
    pub listen: String,
    /// The configuration file, if any.
    pub config: Option<PathBuf>,
    /// The task store's file.
    pub db: PathBuf,
    /// A file holding the bearer token every request must carry.
    pub token_file: Option<PathBuf>,
}

/// Longest the loop waits for an input before looking at its timers and workers again.
const TICK: Duration = Duration::from_millis(50);
/// Most inputs applied in one transaction.
const BATCH: usize = 512;
/// Largest request body the API accepts.
const MAX_BODY: usize = 256 * 1024;

/// Reads a bearer token from `path`: one line of at least 16 printable characters.
pub fn read_token(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--token-file {}: {e}", path.display()))?;
    let token = text.trim();
    if token.len() < 16 || !token.chars().all(|c| c.is_ascii_graphic()) {
        return Err(format!(
            "--token-file {}: expected one line of at least 16 printable characters without spaces",
            path.display()
        ));
    }
    Ok(token.to_string())
}

/// Refuses to serve a non-loopback address without a token.
pub fn check_exposure(
    listen: &str,
    token: &Option<String>,
    flag: &str,
) -> Result<SocketAddr, String> {
    let addr: SocketAddr = listen.parse().map_err(|_| {
        format!("{flag} {listen}: expected an IP address and port like 127.0.0.1:7878")
    })?;
    let loopback = match addr.ip() {
        IpAddr::V4(v) => v.is_loopback(),
        IpAddr::V6(v) => v.is_loopback(),
    };
    if !loopback && token.is_none() {
        return Err(format!(
            "{flag} {listen} is reachable from other machines: give --token-file so every request must carry a bearer token"
        ));
    }
    Ok(addr)
}

/// Runs the manager until `stop` is raised.
pub fn run(opts: &ServeOptions, stop: &AtomicBool) -> Result<(), String> {
    let config = match &opts.config {
        Some(p) => ManagerConfig::load(p)?,
        None => ManagerConfig::default(),
    };
    let token = opts.token_file.as_deref().map(read_token).transpose()?;
    check_exposure(&opts.listen, &token, "--listen")?;
    let store = Store::open(&opts.db)?;
    let (tx, rx) = channel();
    let outbound = Outbound::start(tx.clone(), token.clone());
    let mut manager = Manager::open(config, store, outbound)?;
    let limits = Limits {
        max_body: MAX_BODY,
        ..Limits::default()
    };
    let server = HttpServer::start(&opts.listen, limits, api::handler(tx.clone(), token))
        .map_err(|e| format!("--listen: {e}"))?;
    eprintln!(
        "simctl serve: listening on http://{} (task store {})",
        server.addr(),
        opts.db.display()
    );
    while !stop.load(Ordering::SeqCst) {
        let wait = manager.next_timer_in().map_or(TICK, |t| t.min(TICK));
        let mut batch = Vec::new();
        match rx.recv_timeout(wait) {
            Ok(m) => batch.push(m),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        manager.step(batch)?;
    }
    drop(server);
    eprintln!("simctl serve: stopped; tasks and launches stay in the task store");
    Ok(())
}

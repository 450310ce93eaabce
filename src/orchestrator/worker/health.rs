//! HTTP health checks of running launches: after the grace period, `GET path` on the published
//! host port every interval; `threshold` consecutive failures (no answer within the timeout, or
//! a status of 400 or more) are reported once as `Unhealthy`, and the manager decides (it stops
//! the launch and restarts the task by its policy).

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::agent::Agent;
use crate::orchestrator::wire::{HealthCheck, Launch, LaunchState};
use crate::runner::probe::probe_path;

/// The outcome of one probe: `Ok` when healthy, else what went wrong.
pub fn judge(result: std::io::Result<u16>) -> Result<(), String> {
    match result {
        Ok(status) if status < 400 => Ok(()),
        Ok(status) => Err(format!("status {status}")),
        Err(e) => Err(e.to_string()),
    }
}

/// Counts consecutive failures; says when the threshold is reached (once).
#[derive(Debug, Clone, Default)]
pub struct FailureCount {
    run: u32,
}

impl FailureCount {
    /// Adds a probe's outcome; true exactly when this failure reaches `threshold`.
    pub fn add(&mut self, healthy: bool, threshold: u32) -> bool {
        if healthy {
            self.run = 0;
            return false;
        }
        self.run += 1;
        self.run == threshold
    }
}

impl Agent {
    /// Starts probing `launch`'s container `id` (health port `port`) on a thread.
    pub fn watch_health(self: &Arc<Self>, launch: &Launch, id: &str, port: u16) {
        let Some(h) = launch.health.clone() else {
            return;
        };
        let addr = match self.docker.host_port(id, port) {
            Ok(a) => a,
            Err(e) => {
                self.report(
                    launch.launch,
                    LaunchState::Unhealthy {
                        detail: format!("health port {port} is not published: {e}"),
                    },
                    None,
                );
                return;
            }
        };
        let agent = Arc::clone(self);
        let id = launch.launch;
        std::thread::spawn(move || agent.probe_loop(id, addr, &h));
    }

    fn probe_loop(&self, launch: u64, addr: SocketAddr, h: &HealthCheck) {
        let path = h.http_path.as_deref().unwrap_or("/health");
        let timeout = Duration::from_millis(h.timeout_ms);
        std::thread::sleep(Duration::from_millis(h.grace_ms));
        let mut failures = FailureCount::default();
        while self.table.is_running(launch) && !self.stopping.load(Ordering::SeqCst) {
            if let Err(detail) = judge(probe_path(addr, path, timeout)) {
                if failures.add(false, h.threshold) {
                    let detail = format!("GET {path} on {addr}: {detail}");
                    self.report(launch, LaunchState::Unhealthy { detail }, None);
                    return;
                }
            } else {
                failures.add(true, h.threshold);
            }
            std::thread::sleep(Duration::from_millis(h.interval_ms));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_consecutive_failures_count_and_the_threshold_fires_once() {
        let mut f = FailureCount::default();
        let outcomes = [false, false, true, false, false, false, false];
        let fired: Vec<bool> = outcomes.iter().map(|&ok| f.add(ok, 3)).collect();
        assert_eq!(fired, [false, false, false, false, false, true, false]);
        assert!(judge(Ok(204)).is_ok());
        assert_eq!(judge(Ok(500)).unwrap_err(), "status 500");
        assert!(judge(Err(std::io::ErrorKind::TimedOut.into())).is_err());
    }
}

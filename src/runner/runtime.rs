//! The narrow interface between the runner and a container engine. The wall-clock driver only
//! ever starts, kills, removes and lists containers and reads their events; keeping it this
//! small lets unit tests use [`super::fake::FakeRuntime`] instead of a real engine.

use std::collections::BTreeMap;
use std::process::Child;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use super::error::RuntimeError;
use super::events::ContainerEvent;
use super::spec::ContainerSpec;

/// A container as listed by the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSummary {
    /// The container id.
    pub id: String,
    /// The container name.
    pub name: String,
    /// All its labels.
    pub labels: BTreeMap<String, String>,
}

/// A live stream of container events. Dropping it stops the underlying watcher.
pub struct EventStream {
    rx: Receiver<Result<ContainerEvent, String>>,
    child: Option<Child>,
}

impl EventStream {
    /// A stream fed by `rx`; `child` is the watching process, if any. On drop, a child with a
    /// piped stdin (the watchdog of [`super::event_stream::watch`]) has its stdin closed, which
    /// makes it stop its watcher and exit; any other child is killed. Either is then waited for.
    pub fn new(rx: Receiver<Result<ContainerEvent, String>>, child: Option<Child>) -> Self {
        EventStream { rx, child }
    }

    /// The next event, waiting at most `timeout`. `Ok(None)` on timeout; an error when a line
    /// could not be parsed or the watcher ended.
    pub fn next_timeout(&self, timeout: Duration) -> Result<Option<ContainerEvent>, String> {
        match self.rx.recv_timeout(timeout) {
            Ok(Ok(e)) => Ok(Some(e)),
            Ok(Err(e)) => Err(e),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err("the event watcher has ended".into()),
        }
    }

    /// Waits (at most `timeout` for each event) until `pred` holds for an event and returns
    /// it; events before it are passed to `skipped`.
    pub fn wait_for(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&ContainerEvent) -> bool,
        mut skipped: impl FnMut(ContainerEvent),
    ) -> Result<ContainerEvent, String> {
        loop {
            match self.next_timeout(timeout)? {
                Some(e) if pred(&e) => return Ok(e),
                Some(e) => skipped(e),
                None => return Err(format!("no matching container event within {timeout:?}")),
            }
        }
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            match child.stdin.take() {
                // Killing the watchdog itself would leave its watcher running.
                Some(stdin) => drop(stdin),
                None => {
                    let _ = child.kill();
                }
            }
            let _ = child.wait();
        }
    }
}

/// A container engine, as the runner sees it.
pub trait ContainerRuntime {
    /// Starts a container (refusing a spec that fails [`ContainerSpec::validate`]) and returns
    /// its id once the engine has started it.
    fn start(&self, spec: &ContainerSpec) -> Result<String, RuntimeError>;
    /// Sends SIGKILL to a running container.
    fn kill(&self, id: &str) -> Result<(), RuntimeError>;
    /// Removes a container, killing it first if it runs.
    fn remove(&self, id: &str) -> Result<(), RuntimeError>;
    /// Every container (running or not) that has label `key`, with value `value` if given.
    fn list(&self, key: &str, value: Option<&str>) -> Result<Vec<ContainerSummary>, RuntimeError>;
    /// The events of run `run_id`'s containers from now on.
    fn events(&self, run_id: &str) -> Result<EventStream, RuntimeError>;
}

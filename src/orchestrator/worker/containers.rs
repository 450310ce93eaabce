//! The agent's container work: starting a launch (on a thread of its own, so the API answers at
//! once), stopping one, and turning a container's death into an exit report.

use std::sync::Arc;

use super::agent::Agent;
use super::launch::{container_spec, health_port};
use super::table::{Started, StopOutcome};
use crate::orchestrator::wire::{Launch, LaunchState};
use crate::runner::runtime::ContainerRuntime;

impl Agent {
    /// Starts the container of a new (checked, recorded) launch on a thread; its `Running` or
    /// `StartFailed` report follows.
    pub fn start_launch(self: &Arc<Self>, launch: Launch) {
        let agent = Arc::clone(self);
        std::thread::spawn(move || agent.start_now(&launch));
    }

    fn start_now(self: &Arc<Self>, launch: &Launch) {
        let spec = container_spec(&self.cfg.name, &self.burn_image, launch);
        let id = match self.docker.start(&spec) {
            Ok(id) => id,
            Err(e) => {
                // `docker run` may fail after creating the container (a port already taken):
                // remove it, so the launch leaves nothing behind; but never a container that
                // was there before under the same name (the engine's conflict message).
                if !e.to_string().contains("already in use") {
                    let _ = self.docker.run(&["rm", "--force", &spec.name]);
                }
                if self.table.finish(launch.launch).is_some() {
                    self.report(
                        launch.launch,
                        LaunchState::StartFailed {
                            error: e.to_string(),
                        },
                        None,
                    );
                }
                return;
            }
        };
        match self.table.started(launch.launch, &id) {
            Started::Running => {
                self.report(launch.launch, LaunchState::Running, None);
                if let Some(port) = health_port(launch) {
                    self.watch_health(launch, &id, port);
                }
            }
            Started::Exited(code) => {
                self.report(launch.launch, LaunchState::Running, None);
                self.report(launch.launch, LaunchState::Exited { code }, Some(id));
            }
            Started::Remove | Started::Unknown => self.remove_quietly(&id),
        }
    }

    /// Stops `launch` (the manager's `DELETE` or stop list): kills and removes its container
    /// and reports `Stopped`.
    pub fn stop_launch(&self, launch: u64) -> StopOutcome {
        let outcome = self.table.stop(launch);
        match &outcome {
            StopOutcome::Remove(id) => {
                self.remove_quietly(id);
                self.report(launch, LaunchState::Stopped, None);
            }
            StopOutcome::Deferred => self.report(launch, LaunchState::Stopped, None),
            StopOutcome::Unknown | StopOutcome::AlreadyDone => {}
        }
        outcome
    }

    /// A container of this worker died with status `code`: reports the exit (once), and removes
    /// the container after the manager acknowledged it.
    pub fn on_death(&self, launch: u64, code: i64) {
        if let Some(id) = self.table.died(launch, code) {
            self.report(launch, LaunchState::Exited { code }, Some(id));
        }
    }

    /// Removes a container, logging a failure (the fence or the next scan removes it later).
    pub fn remove_quietly(&self, id: &str) {
        if let Err(e) = self.docker.remove(id) {
            eprintln!(
                "worker {}: cannot remove container {id}: {e}",
                self.cfg.name
            );
        }
    }
}

//! The manager's outbound calls to workers: launches (`POST /v1/launches`) and stops
//! (`DELETE /v1/launches/{id}`), sent by a few dispatcher threads so a slow or dead worker never
//! holds the manager's loop. Calls are queued during a step and released by [`Outbound::flush`]
//! after the step's commit. A launch that cannot be delivered after a few tries is reported back
//! as [`Msg::LaunchFailed`], and the failover policy takes it from there; a stop that cannot be
//! delivered is left to the worker's next heartbeat, whose answer lists it again.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::http::Client;
use crate::orchestrator::wire::Launch;

use super::state::Msg;

/// Dispatcher threads.
const THREADS: usize = 4;
/// Tries per launch.
const TRIES: u32 = 3;

/// One call to a worker.
enum Call {
    Launch(String, Box<Launch>),
    Kill(String, u64),
}

/// The dispatcher.
pub struct Outbound {
    queued: Vec<Call>,
    tx: Option<Sender<Call>>,
}

impl Outbound {
    /// Starts the dispatcher threads; failures go back to the manager on `manager`.
    pub fn start(manager: Sender<Msg>, token: Option<String>) -> Outbound {
        let (tx, rx) = channel::<Call>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..THREADS {
            let (rx, manager, token) = (rx.clone(), manager.clone(), token.clone());
            let _ = std::thread::Builder::new()
                .name(format!("dispatch {i}"))
                .spawn(move || dispatch(&rx, &manager, token));
        }
        Outbound {
            queued: Vec::new(),
            tx: Some(tx),
        }
    }

    /// A dispatcher that sends nothing (for tests of the manager's state alone).
    pub fn disconnected() -> Outbound {
        Outbound {
            queued: Vec::new(),
            tx: None,
        }
    }

    /// Queues a launch for the worker at `addr`.
    pub fn launch(&mut self, addr: &str, launch: Launch) {
        self.queued
            .push(Call::Launch(addr.to_string(), Box::new(launch)));
    }

    /// Queues a stop for the worker at `addr`.
    pub fn kill(&mut self, addr: &str, launch: u64) {
        self.queued.push(Call::Kill(addr.to_string(), launch));
    }

    /// Sends what was queued.
    pub fn flush(&mut self) {
        let Some(tx) = &self.tx else {
            self.queued.clear();
            return;
        };
        for c in self.queued.drain(..) {
            let _ = tx.send(c);
        }
    }
}

fn dispatch(rx: &Mutex<Receiver<Call>>, manager: &Sender<Msg>, token: Option<String>) {
    loop {
        let call = {
            let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
            match rx.recv() {
                Ok(c) => c,
                Err(_) => return,
            }
        };
        match call {
            Call::Launch(addr, launch) => {
                let id = launch.launch;
                let mut last = String::new();
                let mut delivered = false;
                for attempt in 0..TRIES {
                    if attempt > 0 {
                        std::thread::sleep(Duration::from_millis(200 << attempt));
                    }
                    match send(&addr, &token, |c| c.post_json("/v1/launches", &*launch)) {
                        Ok(()) => {
                            delivered = true;
                            break;
                        }
                        Err(e) => last = e,
                    }
                }
                if !delivered {
                    let _ = manager.send(Msg::LaunchFailed(id, last));
                }
            }
            Call::Kill(addr, id) => {
                let _ = send(&addr, &token, |c| c.delete(&format!("/v1/launches/{id}")));
            }
        }
    }
}

/// One call; Ok for a 2xx answer (or 404 to a stop: nothing to stop).
fn send(
    addr: &str,
    token: &Option<String>,
    call: impl Fn(&Client) -> Result<(u16, Vec<u8>), String>,
) -> Result<(), String> {
    let client = Client::new(
        &format!("http://{addr}"),
        token.clone(),
        Duration::from_secs(5),
    )?;
    let (status, body) = call(&client)?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(crate::http::error_message(status, &body))
    }
}

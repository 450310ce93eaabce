//! The agent's calls to the manager: registration, heartbeats and reports, each one JSON
//! `POST` with the bearer token, and their failures sorted into what the agent does next.

use std::time::Duration;

use crate::http::Client;
use crate::orchestrator::wire::{Heartbeat, HeartbeatReply, LaunchReport, Register, Registered};

/// Why a call to the manager failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// No answer (connection refused, timeout): retry later.
    Unreachable(String),
    /// The manager does not know this worker (404): register again.
    UnknownWorker,
    /// Any other refusal (401, 400, 5xx), with the status and body.
    Refused(u16, String),
}

impl CallError {
    /// A short name of the failure's kind, to log each kind once rather than every retry.
    pub fn kind(&self) -> String {
        match self {
            CallError::Unreachable(_) => "unreachable".into(),
            CallError::UnknownWorker => "unknown worker".into(),
            CallError::Refused(status, _) => format!("status {status}"),
        }
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Unreachable(e) => write!(f, "the manager is unreachable: {e}"),
            CallError::UnknownWorker => write!(f, "the manager does not know this worker"),
            CallError::Refused(s, body) => write!(f, "the manager answered {s}: {body}"),
        }
    }
}

/// The manager, as one worker sees it.
pub struct ManagerLink {
    client: Client,
    name: String,
}

impl ManagerLink {
    /// A link to the manager at `base_url` for worker `name`.
    pub fn new(base_url: &str, token: Option<String>, name: &str) -> Result<Self, String> {
        Ok(ManagerLink {
            client: Client::new(base_url, token, Duration::from_secs(5))?,
            name: name.to_string(),
        })
    }

    /// `POST /v1/workers`.
    pub fn register(&self, reg: &Register) -> Result<Registered, CallError> {
        self.post("/v1/workers", reg)
    }

    /// `POST /v1/workers/{name}/heartbeat`.
    pub fn heartbeat(&self, hb: &Heartbeat) -> Result<HeartbeatReply, CallError> {
        self.post(&format!("/v1/workers/{}/heartbeat", self.name), hb)
    }

    /// `POST /v1/workers/{name}/reports`.
    pub fn reports(&self, reports: &[LaunchReport]) -> Result<(), CallError> {
        let path = format!("/v1/workers/{}/reports", self.name);
        self.post_raw(&path, &reports).map(drop)
    }

    fn post<B: serde::Serialize, T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, CallError> {
        let bytes = self.post_raw(path, body)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| CallError::Refused(200, format!("unexpected answer to {path}: {e}")))
    }

    fn post_raw<B: serde::Serialize>(&self, path: &str, body: &B) -> Result<Vec<u8>, CallError> {
        let (status, bytes) = self
            .client
            .post_json(path, body)
            .map_err(CallError::Unreachable)?;
        match status {
            200..=299 => Ok(bytes),
            404 => Err(CallError::UnknownWorker),
            s => Err(CallError::Refused(
                s,
                String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned(),
            )),
        }
    }
}

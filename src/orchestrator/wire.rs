//! What the manager and its workers say to each other: JSON bodies of the worker protocol.
//!
//! The manager pushes work to a worker (`POST /v1/launches` on the worker's `--listen` address,
//! `DELETE /v1/launches/{id}` to stop one); the worker reports what happened to its launches
//! (`POST /v1/workers/{name}/reports` on the manager) as soon as it sees it, and heartbeats
//! (`POST /v1/workers/{name}/heartbeat`) with its node metrics and the launches it still runs. A
//! heartbeat's answer lists the launches the worker must stop because the manager no longer
//! counts them as its own (it declared the worker down meanwhile, or stopped the task), which is
//! how a worker that was cut off never keeps running work that was requeued elsewhere.
//!
//! Every launch has an id unique for the manager's whole life (it survives manager restarts, being
//! kept in the task store); containers carry it in the [`LABEL_LAUNCH`] label, so a restarted
//! worker finds its containers again and reports them in [`Register::launches`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Label carrying a container's launch id.
pub const LABEL_LAUNCH: &str = "simctl.launch";
/// Label carrying the name of the worker that started a container.
pub const LABEL_WORKER: &str = "simctl.worker";

/// Resources in the project's integer units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Capacity {
    /// CPU, thousandths of a core.
    pub cpu_millis: u64,
    /// Memory, bytes.
    pub memory_bytes: u64,
    /// Disk, bytes.
    pub disk_bytes: u64,
}

/// How a running container's health is checked, by the worker that runs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// `GET` this path on `port` of the container (published on 127.0.0.1); any status below 400
    /// is healthy. `None`: only the exit status counts (non-zero is a failure).
    pub http_path: Option<String>,
    /// The container port the path is served on.
    pub port: u16,
    /// Time between two probes, milliseconds.
    pub interval_ms: u64,
    /// A probe with no answer within this is a failure, milliseconds.
    pub timeout_ms: u64,
    /// Consecutive failures after which the container is reported unhealthy.
    pub threshold: u32,
    /// Probing starts this long after the container started, milliseconds.
    pub grace_ms: u64,
}

/// One container to start: the manager's [`crate::control::Command::Start`] on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Launch {
    /// Unique id of this launch (never reused by the manager).
    pub launch: u64,
    /// The task's id.
    pub task: String,
    /// The attempt number, from 1.
    pub attempt: u32,
    /// A local image; `None` runs the worker's own burn image (`simctl burn`) for `burn_seconds`
    /// with the task's CPU and memory demands, so a task means the same as in simulation.
    pub image: Option<String>,
    /// Arguments after the image's entrypoint (no shell ever sees them); ignored for the burn
    /// image.
    pub args: Vec<String>,
    /// Environment variables.
    pub env: BTreeMap<String, String>,
    /// CPU limit, thousandths of a core (hard limit `--cpus`).
    pub cpu_millis: u64,
    /// Memory limit, bytes (hard limit `--memory`, no swap).
    pub memory_bytes: u64,
    /// Seconds the burn image works (only without `image`).
    pub burn_seconds: Option<f64>,
    /// Container ports to publish on 127.0.0.1.
    pub ports: Vec<u16>,
    /// The health check, if any beyond the exit status.
    pub health: Option<HealthCheck>,
}

/// What became of a launch, as its worker saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LaunchState {
    /// The container runs.
    Running,
    /// The container exited by itself with this status.
    Exited {
        /// Exit status (137 after an OOM kill).
        code: i64,
    },
    /// The health check failed `threshold` times in a row; the container still runs until the
    /// manager stops it.
    Unhealthy {
        /// The last probe's result, for people.
        detail: String,
    },
    /// The container could not be started.
    StartFailed {
        /// Why.
        error: String,
    },
    /// The container was stopped on the manager's request.
    Stopped,
}

/// One report about one launch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchReport {
    /// The launch.
    pub launch: u64,
    /// Its state.
    #[serde(flatten)]
    pub state: LaunchState,
    /// When the worker saw it, milliseconds since the Unix epoch.
    pub at_ms: u64,
}

/// A worker's registration (`POST /v1/workers`), also sent again after a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Register {
    /// The worker's name: a plain token, unique in the cluster, stable across restarts.
    pub name: String,
    /// Where the worker's API listens (`127.0.0.2:7879`).
    pub addr: String,
    /// Its capacity budget.
    pub capacity: Capacity,
    /// The containers it found with its [`LABEL_WORKER`] label: running ones as `Running`,
    /// exited ones with their status.
    pub launches: Vec<LaunchReport>,
}

/// The manager's answer to a registration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registered {
    /// Heartbeat every this many milliseconds.
    pub heartbeat_ms: u64,
    /// Launches (among those reported) the worker must stop and remove: the manager does not
    /// count them as the worker's.
    pub stop: Vec<u64>,
}

/// A node's measured state, from `/proc` and the filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct NodeMetrics {
    /// CPU busy fraction (0..=1) over all cores since the previous heartbeat (two readings of
    /// `/proc/stat`); `None` on the first.
    pub cpu_busy: Option<f64>,
    /// `MemTotal`, bytes.
    pub memory_total_bytes: u64,
    /// `MemAvailable`, bytes.
    pub memory_available_bytes: u64,
    /// The 1-, 5- and 15-minute load averages.
    pub load: [f64; 3],
    /// Size of the filesystem holding the worker's state directory, bytes.
    pub disk_total_bytes: u64,
    /// Bytes free on it.
    pub disk_free_bytes: u64,
    /// Containers the worker runs now.
    pub containers: u32,
}

/// A heartbeat (`POST /v1/workers/{name}/heartbeat`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// Node metrics now.
    pub metrics: NodeMetrics,
    /// Launches whose containers run now.
    pub running: Vec<u64>,
}

/// The manager's answer to a heartbeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeartbeatReply {
    /// Launches the worker must stop and remove now.
    pub stop: Vec<u64>,
}

/// A JSON error body, from every endpoint of the manager and the worker: `{"error": "..."}`,
/// naming the field at fault when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What was wrong.
    pub error: String,
    /// The request field at fault, if one is.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_flat_json() {
        let r = LaunchReport {
            launch: 7,
            state: LaunchState::Exited { code: 3 },
            at_ms: 1,
        };
        let j = serde_json::to_string(&r).unwrap();
        assert_eq!(j, r#"{"launch":7,"state":"exited","code":3,"at_ms":1}"#);
        assert_eq!(serde_json::from_str::<LaunchReport>(&j).unwrap(), r);
    }
}

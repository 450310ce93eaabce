//! Newtype identifiers, so a node index can never be passed where a task index was meant.

use serde::{Deserialize, Serialize};

/// Index of a node in the cluster's node vector (stable for a whole run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NodeId(pub u32);

/// A task's identity: its arrival sequence number in the workload (0, 1, 2, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TaskId(pub u64);

/// A job groups tasks (trace replay); synthetic tasks are each their own job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct JobId(pub u64);

impl NodeId {
    /// The index into per-node vectors.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

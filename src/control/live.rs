//! Inputs only a live orchestrator needs (`simctl serve`): nodes joining while it runs, a user
//! stopping a task, and a restarted manager taking back attempts that kept running without it.
//! The simulator and `simctl docker run` never call these.

use std::collections::VecDeque;

use crate::cluster::NodeGroup;
use crate::ids::NodeId;
use crate::metrics::Outcome;
use crate::workload::{TaskKind, TaskSpec};

use super::tasks::Phase;
use super::{AttemptRef, Command, ControlPlane, NodeView};

/// Why a live input was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiveError {
    /// The control plane runs a scheduler architecture, whose actors are sized at the start.
    #[error("a live cluster needs the centralized architecture without decision times")]
    Architecture,
    /// Only batch tasks can be stopped or adopted here.
    #[error("only batch tasks are supported by a live control plane")]
    NotBatch,
    /// The task is not live (it ended, or was never submitted).
    #[error("no live task in slot {0} with that id")]
    NotLive(u32),
    /// The attempt does not fit on its node any more.
    #[error("the attempt does not fit on node {0}")]
    DoesNotFit(u32),
}

impl ControlPlane {
    /// Input: a node joined (a worker registered). It becomes a node group of its own, named after
    /// the worker, schedulable at once; its id follows the existing ones. Costs O(nodes) (the
    /// placement indexes are rebuilt), which a join can afford.
    pub fn add_node(&mut self, group: NodeGroup) -> Result<NodeId, LiveError> {
        if self.arch.is_some() {
            return Err(LiveError::Architecture);
        }
        let id = self.cluster.add_node(group);
        self.nodes.push(NodeView {
            detected: true,
            ..NodeView::default()
        });
        self.local_queues.push(VecDeque::new());
        self.metrics.add_node();
        self.capacity_freed = true;
        Ok(id)
    }

    /// Input: task slot `handle`, holding task `id`, is stopped for good (a user asked): it leaves
    /// its queue, or its attempt is killed ([`Command::Kill`]) and its resources freed; its row
    /// says `cancelled`. It counts as failed in the statistics (it did not complete).
    pub fn cancel(&mut self, handle: u32, id: crate::ids::TaskId) -> Result<(), LiveError> {
        if !self.tasks.is_live(handle, id) {
            return Err(LiveError::NotLive(handle));
        }
        if self.tasks.get(handle).spec.kind != TaskKind::Batch {
            return Err(LiveError::NotBatch);
        }
        if self.arch.is_some() {
            return Err(LiveError::Architecture);
        }
        let copies = self.tasks.get(handle).copies.clone();
        for c in copies {
            self.drop_member(c);
            self.tasks.discard(c);
        }
        let running = matches!(self.tasks.get(handle).phase, Phase::Running { .. });
        self.drop_member(handle);
        if !running {
            self.emit_record(handle, Outcome::Cancelled);
        }
        let done = self.tasks.remove(handle);
        self.metrics.failed += 1;
        self.unfinished -= 1;
        self.dependency_failed(done.spec.id);
        Ok(())
    }

    /// Takes one record out of wherever it is (running, a queue, or waiting), leaving it idle.
    fn drop_member(&mut self, handle: u32) {
        match self.tasks.get(handle).phase {
            Phase::Running { node, .. } => {
                self.stop_running(handle, Outcome::Cancelled);
                self.after_release(node);
            }
            Phase::Pending => {
                if let Some(i) = self
                    .pending
                    .as_slice()
                    .iter()
                    .position(|p| p.handle == handle)
                {
                    self.pending.remove(i);
                    if i < self.first_new {
                        self.first_new -= 1;
                    }
                }
            }
            Phase::Queued(node) => {
                let q = &mut self.local_queues[node.index()];
                q.retain(|&h| h != handle);
                let len = q.len() as u32;
                self.cluster.set_queued(node, len);
            }
            Phase::WaitingForNode(node) => {
                self.nodes[node.index()]
                    .waiting_services
                    .retain(|&h| h != handle);
            }
            Phase::Idle | Phase::Dead | Phase::Blocked(_) => {}
        }
        // Timers set for it (failover, backoff, not-before) are now stale.
        self.tasks.bump_generation(handle);
        self.tasks.get_mut(handle).phase = Phase::Idle;
    }

    /// Input (a restarted manager): batch task `spec` is already running as attempt `number` on
    /// `node`, started before this control plane existed. Its resources are allocated and it is
    /// tracked as running, without a [`Command::Start`] (it runs already); its end is reported
    /// with [`ControlPlane::attempt_exited`] as usual.
    pub fn adopt(
        &mut self,
        spec: TaskSpec,
        node: NodeId,
        number: u32,
    ) -> Result<AttemptRef, LiveError> {
        if self.arch.is_some() {
            return Err(LiveError::Architecture);
        }
        if spec.kind != TaskKind::Batch {
            return Err(LiveError::NotBatch);
        }
        let Ok(gpus) = self.cluster.allocate(node, &spec.demand) else {
            return Err(LiveError::DoesNotFit(node.0));
        };
        self.metrics.on_submit(spec.arrival, None);
        self.unfinished += 1;
        let handle = self.tasks.insert(spec);
        self.tasks.get_mut(handle).attempt = number.max(1);
        let before = self.commands.len();
        self.start(handle, node, gpus);
        let mut i = 0;
        self.commands.retain(|c| {
            i += 1;
            !(i > before && matches!(c, Command::Start { attempt, .. } if attempt.handle == handle))
        });
        Ok(self.attempt_ref(handle))
    }

    /// Whether slot `handle` holds live task `id` (it has not ended).
    pub fn is_live(&self, handle: u32, id: crate::ids::TaskId) -> bool {
        self.tasks.is_live(handle, id)
    }
}

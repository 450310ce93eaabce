//! Live task records, in a slab whose slots are reused when tasks end, so memory follows the number
//! of tasks alive at once, not the length of the workload. A generation counter per slot lets stale
//! events (for a stopped attempt, or a reused slot) be recognised and dropped.

use crate::cluster::GpuSet;
use crate::ids::NodeId;
use crate::time::{SimDuration, SimTime};
use crate::workload::TaskSpec;

/// Where a live task is. `Pending` and `Queued` are exact: a record is in one of them if and only if
/// one entry of the scheduler's queue or of that node's local queue refers to it, which is what lets
/// [`TaskTable::remove`] refuse to free a slot that a queue still points at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Phase {
    /// In the scheduler's queue (exactly one entry).
    Pending,
    /// In a node's local queue (immediate dispatch; exactly one entry).
    Queued(NodeId),
    /// Holding resources on a node.
    Running {
        /// Node.
        node: NodeId,
        /// Start of this attempt.
        start: SimTime,
        /// When the node died under it (it makes no progress since); None while healthy.
        stalled_at: Option<SimTime>,
        /// When it began making progress: its start, or later when the driver reports a start
        /// latency ([`super::ControlPlane::attempt_began`]).
        began: SimTime,
        /// The GPUs its GPU share is on.
        gpus: GpuSet,
    },
    /// In no queue and on no node: just arrived, or between attempts (its attempt ended and it
    /// waits for the failover decision or a retry backoff).
    Idle,
    /// A pinned service replica waiting for its node to be repaired.
    WaitingForNode(NodeId),
    /// A replica copy (or a primary whose copies still run) that died while others carry on.
    Dead,
    /// Waiting for this many dependencies to complete.
    Blocked(u32),
}

/// A live task.
#[derive(Debug, Clone)]
pub struct TaskRecord {
    /// What the workload said.
    pub spec: TaskSpec,
    /// Current attempt, from 1.
    pub attempt: u32,
    /// Where it is.
    pub phase: Phase,
    /// Work (at speed 1.0) saved by checkpoints.
    pub saved: SimDuration,
    /// When its last attempt died, until the next attempt starts.
    pub failed_at: Option<SimTime>,
    /// For a replica copy: the handle of the task's primary record.
    pub copy_of: Option<u32>,
    /// For a primary: handles of its extra copies still alive.
    pub copies: Vec<u32>,
    /// The node of its last attempt.
    pub last_node: Option<NodeId>,
    /// When its first attempt started (the end of its wait).
    pub first_start: Option<SimTime>,
}

/// A read-only view of a live task's current attempt, for drivers.
#[derive(Debug, Clone, Copy)]
pub struct AttemptView<'a> {
    /// What the workload said.
    pub spec: &'a TaskSpec,
    /// The attempt number, from 1.
    pub attempt: u32,
    /// The node it runs on, if it runs.
    pub node: Option<NodeId>,
    /// Whether it is a replica copy of another record.
    pub is_copy: bool,
}

/// Slab of live tasks.
#[derive(Debug, Default)]
pub struct TaskTable {
    slots: Vec<Option<TaskRecord>>,
    generations: Vec<u32>,
    free: Vec<u32>,
}

impl TaskTable {
    /// Stores a task (attempt 1, in no queue yet) and returns its handle.
    pub fn insert(&mut self, spec: TaskSpec) -> u32 {
        self.insert_record(TaskRecord {
            spec,
            attempt: 1,
            phase: Phase::Idle,
            saved: SimDuration::ZERO,
            failed_at: None,
            copy_of: None,
            copies: Vec::new(),
            last_node: None,
            first_start: None,
        })
    }

    /// Stores a record and returns its handle.
    pub fn insert_record(&mut self, rec: TaskRecord) -> u32 {
        match self.free.pop() {
            Some(h) => {
                self.slots[h as usize] = Some(rec);
                h
            }
            None => {
                self.slots.push(Some(rec));
                self.generations.push(0);
                (self.slots.len() - 1) as u32
            }
        }
    }

    /// The live task at `handle`.
    pub fn get(&self, handle: u32) -> &TaskRecord {
        self.slots[handle as usize]
            .as_ref()
            .expect("handle of an ended task")
    }

    /// The live task at `handle`, mutably.
    pub fn get_mut(&mut self, handle: u32) -> &mut TaskRecord {
        self.slots[handle as usize]
            .as_mut()
            .expect("handle of an ended task")
    }

    /// Frees the slot. A task that a queue still refers to cannot be removed (that entry would
    /// later start whatever task reuses the slot): this panics, in every build.
    pub fn remove(&mut self, handle: u32) -> TaskRecord {
        let rec = self.slots[handle as usize]
            .take()
            .expect("removed an ended task");
        assert_unqueued(&rec);
        self.bump_generation(handle);
        self.free.push(handle);
        rec
    }

    /// Frees the slot, as [`TaskTable::remove`] does, dropping the record where it lies instead
    /// of returning it (no copy of the record).
    pub fn discard(&mut self, handle: u32) {
        let slot = &mut self.slots[handle as usize];
        assert_unqueued(slot.as_ref().expect("removed an ended task"));
        *slot = None;
        self.bump_generation(handle);
        self.free.push(handle);
    }

    /// Number of slots, live or free (the table's size in records).
    pub fn slots(&self) -> usize {
        self.slots.len()
    }

    /// Starts loading the slot at `handle` into the cache (see [`crate::prefetch`]): for a
    /// driver that knows which task's event it handles next.
    pub fn prefetch(&self, handle: u32) {
        if let Some(slot) = self.slots.get(handle as usize) {
            crate::prefetch::prefetch(slot);
            crate::prefetch::prefetch(&self.generations[handle as usize]);
        }
    }

    /// A driver's view of the live task at `handle`.
    pub fn view(&self, handle: u32) -> AttemptView<'_> {
        let rec = self.get(handle);
        let node = match rec.phase {
            Phase::Running { node, .. } => Some(node),
            _ => None,
        };
        AttemptView {
            spec: &rec.spec,
            attempt: rec.attempt,
            node,
            is_copy: rec.copy_of.is_some(),
        }
    }

    /// The slot's generation.
    pub fn generation(&self, handle: u32) -> u32 {
        self.generations[handle as usize]
    }

    /// Invalidates events scheduled for the current attempt.
    pub fn bump_generation(&mut self, handle: u32) {
        self.generations[handle as usize] = self.generations[handle as usize].wrapping_add(1);
    }

    /// Whether an event tagged `generation` is for the task's current attempt.
    pub fn is_current(&self, handle: u32, generation: u32) -> bool {
        self.slots[handle as usize].is_some() && self.generations[handle as usize] == generation
    }

    /// Whether `handle` still holds the task `id` (slots are reused).
    pub fn is_live(&self, handle: u32, id: crate::ids::TaskId) -> bool {
        self.slots
            .get(handle as usize)
            .and_then(Option::as_ref)
            .is_some_and(|r| r.spec.id == id)
    }

    /// Handles of all live tasks, in slot order.
    pub fn handles(&self) -> Vec<u32> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some())
            .map(|(i, _)| i as u32)
            .collect()
    }
}

/// Panics if a queue still refers to `rec` (freeing its slot would let that entry start whatever
/// task reuses the slot).
fn assert_unqueued(rec: &TaskRecord) {
    assert!(
        !matches!(rec.phase, Phase::Pending | Phase::Queued(_)),
        "task {} removed while a queue still refers to it ({:?})",
        rec.spec.id.0,
        rec.phase
    );
}

//! The tasks running now, with an index of which of them run on each node.
//!
//! Completion-time placements and batch heuristics need a node's running tasks to build its profile
//! (see [`crate::sched::profile`]). Collecting them from the whole list costs O(running) per decision
//! point whatever the number of nodes looked at; with the per-node index a sampled placement builds
//! only the profiles of the nodes it samples, so its cost per decision no longer grows with the
//! cluster. The driver keeps the index in step with the list at O(1) per start and stop, but only for
//! schedulers that read it ([`crate::sched::Scheduler::reads_running_by_node`]): on a large cluster
//! its cache misses cost several percent of a run.

use crate::ids::NodeId;
use crate::resources::DIMS;
use crate::sched::RunningTask;
use crate::time::SimTime;

/// One task in a node's entry of the index: its position in the list, and the two facts a profile
/// needs (kept here so building a profile reads only the node's own entries, not the whole list).
#[derive(Debug, Clone, Copy)]
struct OnNode {
    pos: u32,
    expected_end: SimTime,
    demand: [u64; DIMS],
}

/// The running list, ordered as the driver keeps it (a stop moves the last task into the gap), and,
/// if asked for, for each node the positions of its tasks in that list.
#[derive(Debug, Clone, Default)]
pub struct RunningList {
    tasks: Vec<RunningTask>,
    /// Whether `on_node` and `slot` are kept.
    by_node: bool,
    /// Each node's tasks, in no particular order.
    on_node: Vec<Vec<OnNode>>,
    /// For each position in `tasks`, where it sits in its node's entry of `on_node`.
    slot: Vec<u32>,
    /// For each task handle, its position in `tasks` ([`NOT_RUNNING`] if none). Kept here, in 4
    /// bytes per handle, so that a stop finds its task and re-points the task moved into the gap
    /// without reading either task's record: on a large cluster those are cache misses.
    pos_of: Vec<u32>,
}

/// [`RunningList::pos_of`] of a handle that is not in the list.
const NOT_RUNNING: u32 = u32::MAX;

impl RunningList {
    /// An empty list, keeping the per-node index if `by_node`.
    pub fn new(by_node: bool) -> RunningList {
        RunningList {
            by_node,
            ..RunningList::default()
        }
    }

    /// A list holding `tasks` in this order, with the per-node index.
    pub fn from_tasks(tasks: Vec<RunningTask>) -> RunningList {
        let mut list = RunningList::new(true);
        for task in tasks {
            list.push(task);
        }
        list
    }

    /// Appends a task; returns its position. Its handle must not be in the list already.
    pub fn push(&mut self, task: RunningTask) -> usize {
        let pos = self.tasks.len();
        let handle = task.handle as usize;
        if self.pos_of.len() <= handle {
            self.pos_of.resize(handle + 1, NOT_RUNNING);
        }
        assert_eq!(
            self.pos_of[handle], NOT_RUNNING,
            "task handle {handle} pushed twice on the running list"
        );
        self.pos_of[handle] = pos as u32;
        if !self.by_node {
            self.tasks.push(task);
            return pos;
        }
        let node = task.node.index();
        if self.on_node.len() <= node {
            self.on_node.resize_with(node + 1, Vec::new);
        }
        self.slot.push(self.on_node[node].len() as u32);
        self.on_node[node].push(OnNode {
            pos: pos as u32,
            expected_end: task.expected_end,
            demand: task.demand.dims(),
        });
        self.tasks.push(task);
        pos
    }

    /// Removes the task with this handle, moving the last task into its place (as
    /// [`Vec::swap_remove`]). Without the per-node index this only writes the gap: the removed
    /// task itself is never read.
    pub fn remove(&mut self, handle: u32) {
        let pos = self.position_of(handle).unwrap_or_else(|| {
            panic!("task handle {handle} removed from the running list while not on it")
        });
        if self.by_node {
            self.swap_remove(pos);
            return;
        }
        self.pos_of[handle as usize] = NOT_RUNNING;
        let last = self.tasks.pop().expect("a task is on the list");
        if pos < self.tasks.len() {
            self.pos_of[last.handle as usize] = pos as u32;
            self.tasks[pos] = last;
        }
    }

    /// The position of the task with this handle, if it is on the list.
    pub fn position_of(&self, handle: u32) -> Option<usize> {
        match self.pos_of.get(handle as usize) {
            Some(&pos) if pos != NOT_RUNNING => Some(pos as usize),
            _ => None,
        }
    }

    /// Removes the task at `pos`, moving the last task into its place (as [`Vec::swap_remove`]).
    pub fn swap_remove(&mut self, pos: usize) -> RunningTask {
        let last = self.tasks.len() - 1;
        self.pos_of[self.tasks[pos].handle as usize] = NOT_RUNNING;
        if pos < last {
            self.pos_of[self.tasks[last].handle as usize] = pos as u32;
        }
        if !self.by_node {
            return self.tasks.swap_remove(pos);
        }
        let node = self.tasks[pos].node.index();
        let slot = self.slot[pos] as usize;
        let list = &mut self.on_node[node];
        list.swap_remove(slot);
        if let Some(moved) = list.get(slot) {
            self.slot[moved.pos as usize] = slot as u32;
        }
        let task = self.tasks.swap_remove(pos);
        self.slot.swap_remove(pos);
        if pos < last {
            // The task that was last now sits at `pos`.
            let moved = &self.tasks[pos];
            self.on_node[moved.node.index()][self.slot[pos] as usize].pos = pos as u32;
        }
        task
    }

    fn entries_on(&self, node: NodeId) -> &[OnNode] {
        self.on_node.get(node.index()).map_or(&[], Vec::as_slice)
    }

    /// The positions of the tasks running on `node`, ascending (from the index when it is kept,
    /// else by a scan of the list).
    pub fn positions_on(&self, node: NodeId) -> Vec<usize> {
        let mut positions: Vec<usize> = if self.by_node {
            self.entries_on(node)
                .iter()
                .map(|e| e.pos as usize)
                .collect()
        } else {
            (0..self.tasks.len())
                .filter(|&p| self.tasks[p].node == node)
                .collect()
        };
        positions.sort_unstable();
        positions
    }

    /// (expected end, demand per dimension) of each task running on `node`, in no particular order.
    pub fn releases_on(&self, node: NodeId) -> impl Iterator<Item = (SimTime, [u64; DIMS])> + '_ {
        self.entries_on(node)
            .iter()
            .map(|e| (e.expected_end, e.demand))
    }

    /// A read-only view, with the per-node index if it is kept.
    pub fn view(&self) -> RunningView<'_> {
        RunningView {
            tasks: &self.tasks,
            list: self.by_node.then_some(self),
        }
    }
}

impl std::ops::Deref for RunningList {
    type Target = [RunningTask];

    fn deref(&self) -> &[RunningTask] {
        &self.tasks
    }
}

/// The running tasks as schedulers see them: the list, and the per-node index when the driver keeps
/// one (without it, code that needs tasks by node collects them from the whole list once).
#[derive(Debug, Clone, Copy, Default)]
pub struct RunningView<'a> {
    tasks: &'a [RunningTask],
    list: Option<&'a RunningList>,
}

impl<'a> RunningView<'a> {
    /// The running tasks, in the driver's order.
    pub fn tasks(&self) -> &'a [RunningTask] {
        self.tasks
    }

    /// (expected end, demand per dimension) of each task running on `node`, in no particular order,
    /// when the per-node index is kept (`None` otherwise).
    pub fn releases_on(
        &self,
        node: NodeId,
    ) -> Option<impl Iterator<Item = (SimTime, [u64; DIMS])> + 'a> {
        Some(self.list?.releases_on(node))
    }
}

impl<'a> From<&'a [RunningTask]> for RunningView<'a> {
    fn from(tasks: &'a [RunningTask]) -> RunningView<'a> {
        RunningView { tasks, list: None }
    }
}

impl<'a> From<&'a Vec<RunningTask>> for RunningView<'a> {
    fn from(tasks: &'a Vec<RunningTask>) -> RunningView<'a> {
        RunningView { tasks, list: None }
    }
}

impl<'a, const N: usize> From<&'a [RunningTask; N]> for RunningView<'a> {
    fn from(tasks: &'a [RunningTask; N]) -> RunningView<'a> {
        RunningView { tasks, list: None }
    }
}

impl<'a> From<&'a RunningList> for RunningView<'a> {
    fn from(list: &'a RunningList) -> RunningView<'a> {
        list.view()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::GpuSet;
    use crate::ids::TaskId;
    use crate::resources::Resources;
    use crate::rng::{below, stream};
    use crate::time::SimTime;

    fn task(handle: u32, node: u32) -> RunningTask {
        RunningTask {
            handle,
            id: TaskId(handle as u64),
            node: NodeId(node),
            demand: Resources::new(1.0, 0, 0),
            gpus: GpuSet::default(),
            start: SimTime::ZERO,
            expected_end: SimTime::ZERO,
            priority: 0,
            user: 0,
        }
    }

    /// The index agrees with a scan of the list after 20,000 random pushes and removals.
    #[test]
    fn index_matches_a_scan_after_random_pushes_and_removals() {
        let mut rng = stream(3, "running");
        let mut list = RunningList::new(true);
        let mut mirror: Vec<RunningTask> = Vec::new();
        for handle in 0..20_000u32 {
            if !mirror.is_empty() && below(&mut rng, 2) == 0 {
                let pos = below(&mut rng, mirror.len() as u64) as usize;
                assert_eq!(list.swap_remove(pos).handle, mirror.swap_remove(pos).handle);
            } else {
                let t = task(handle, below(&mut rng, 7) as u32);
                assert_eq!(list.push(t.clone()), mirror.len());
                mirror.push(t);
            }
            let node = NodeId(below(&mut rng, 8) as u32);
            let mut indexed: Vec<u32> = list
                .positions_on(node)
                .into_iter()
                .map(|p| list[p].handle)
                .collect();
            let releases: Vec<_> = list.view().releases_on(node).unwrap().collect();
            assert_eq!(releases.len(), indexed.len());
            for p in list.positions_on(node) {
                assert!(releases.contains(&(list[p].expected_end, list[p].demand.dims())));
            }
            let mut scanned: Vec<u32> = mirror
                .iter()
                .filter(|t| t.node == node)
                .map(|t| t.handle)
                .collect();
            indexed.sort_unstable();
            scanned.sort_unstable();
            assert_eq!(indexed, scanned);
            assert_eq!(list.len(), mirror.len());
        }
        assert!(list.len() > 10, "the walk kept some tasks running");
    }

    /// Removal by handle leaves the list in the order `Vec::swap_remove` would, with or without
    /// the per-node index, and every task's position stays findable by its handle.
    #[test]
    fn removal_by_handle_matches_swap_remove_and_keeps_positions() {
        for by_node in [false, true] {
            let mut rng = stream(5, "running by handle");
            let mut list = RunningList::new(by_node);
            let mut mirror: Vec<RunningTask> = Vec::new();
            let mut removed = Vec::new();
            for handle in 0..5_000u32 {
                if !mirror.is_empty() && below(&mut rng, 2) == 0 {
                    let pos = below(&mut rng, mirror.len() as u64) as usize;
                    let gone = mirror.swap_remove(pos).handle;
                    list.remove(gone);
                    assert_eq!(list.position_of(gone), None);
                    removed.push(gone);
                } else {
                    let t = task(handle, below(&mut rng, 7) as u32);
                    list.push(t.clone());
                    mirror.push(t);
                }
                let order: Vec<u32> = list.iter().map(|t| t.handle).collect();
                let expected: Vec<u32> = mirror.iter().map(|t| t.handle).collect();
                assert_eq!(order, expected);
                for (pos, t) in mirror.iter().enumerate() {
                    assert_eq!(list.position_of(t.handle), Some(pos));
                }
            }
            assert!(removed.len() > 1_000 && list.len() > 10);
            // A removed handle can run again (slots are reused).
            list.push(task(removed[0], 0));
            assert_eq!(list.position_of(removed[0]), Some(list.len() - 1));
        }
    }

    #[test]
    #[should_panic(expected = "while not on it")]
    fn removing_a_task_not_on_the_list_panics() {
        let mut list = RunningList::new(false);
        list.push(task(3, 0));
        list.remove(4);
    }

    #[test]
    fn an_unindexed_list_scans() {
        let mut list = RunningList::new(false);
        for (handle, node) in [(0, 1), (1, 0), (2, 1), (3, 1)] {
            list.push(task(handle, node));
        }
        list.swap_remove(0);
        assert!(list.view().releases_on(NodeId(1)).is_none());
        assert_eq!(list.positions_on(NodeId(1)), vec![0, 2]);
    }

    #[test]
    fn a_plain_slice_has_no_index() {
        let tasks = vec![task(0, 0)];
        let view = RunningView::from(&tasks);
        assert!(view.releases_on(NodeId(0)).is_none());
        assert_eq!(view.tasks().len(), 1);
    }
}

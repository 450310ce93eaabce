//! The central scheduler's queue: pending tasks in queue order, with O(1) removal at the head and
//! a count of the queue's distinct demands.
//!
//! Under overload the queue grows long and nearly every decision takes tasks from its head (FIFO)
//! and finds nothing else fits. Two things keep such a decision from costing O(queue):
//! - **Removal at the head is O(1).** The entries live in a vector read from `head` on; taking the
//!   first `k` tasks moves `head`, and the dead prefix is dropped once it is half the vector
//!   (amortised O(1) per task). Removing from the middle still shifts the entries behind the first
//!   removed one.
//! - **Demand classes.** The queue counts its tasks per distinct demand (up to
//!   [`MAX_DEMAND_CLASSES`] of them; beyond that it stops counting and says so), so a scheduler can
//!   see in O(classes) that no queued demand fits anywhere, without looking at the tasks (see
//!   [`crate::sched::DemandClasses`]).

use crate::resources::Resources;
use crate::sched::{DemandClasses, PendingTask};

/// The most distinct demands the queue counts; a queue with more has no class counts (schedulers
/// then look at every task, as without them).
pub const MAX_DEMAND_CLASSES: usize = 64;

/// Pending tasks in queue order.
#[derive(Default)]
pub struct PendingQueue {
    /// `items[head..]` is the queue; entries before `head` are dead.
    items: Vec<PendingTask>,
    head: usize,
    /// Tasks per distinct demand, while there are at most [`MAX_DEMAND_CLASSES`] demands.
    classes: DemandClasses,
    /// Distinct demands that have ever exceeded the limit: counting stopped for good (a queue that
    /// once held that many kinds of demand will again).
    overflowed: bool,
    /// Scratch: the sorted indices of a removal.
    sorted: Vec<usize>,
}

impl PendingQueue {
    /// The queue, head first.
    pub fn as_slice(&self) -> &[PendingTask] {
        &self.items[self.head..]
    }

    /// Number of pending tasks.
    pub fn len(&self) -> usize {
        self.items.len() - self.head
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Tasks per distinct demand, or `None` when the queue has held too many distinct demands.
    pub fn classes(&self) -> Option<&DemandClasses> {
        (!self.overflowed).then_some(&self.classes)
    }

    /// Appends a task.
    pub fn push_back(&mut self, task: PendingTask) {
        self.count(&task.demand);
        self.items.push(task);
    }

    /// Puts a task at the head (O(1) when earlier head removals left room).
    pub fn push_front(&mut self, task: PendingTask) {
        self.count(&task.demand);
        if self.head > 0 {
            self.head -= 1;
            self.items[self.head] = task;
        } else {
            self.items.insert(0, task);
        }
    }

    /// Removes the task at `index` (into [`PendingQueue::as_slice`]).
    pub fn remove(&mut self, index: usize) -> PendingTask {
        let task = self.items.remove(self.head + index);
        self.uncount(&task.demand);
        task
    }

    /// Removes the tasks at `indices` (into [`PendingQueue::as_slice`], any order, no repeats),
    /// keeping the others in order. Taking the first `k` tasks costs O(k).
    pub fn remove_all(&mut self, indices: impl Iterator<Item = usize>) {
        let mut sorted = std::mem::take(&mut self.sorted);
        sorted.clear();
        sorted.extend(indices);
        sorted.sort_unstable();
        for &i in &sorted {
            let demand = self.items[self.head + i].demand;
            self.uncount(&demand);
        }
        // The leading run 0, 1, .., k-1 goes by moving the head.
        let prefix = sorted
            .iter()
            .enumerate()
            .take_while(|&(k, &i)| k == i)
            .count();
        let start = self.head;
        self.head += prefix;
        let rest = &sorted[prefix..];
        if let Some(&first) = rest.first() {
            // Shift the survivors behind the first removed entry down over the gaps.
            let mut write = start + first;
            let mut gaps = rest.iter().map(|&i| start + i).peekable();
            for read in start + first..self.items.len() {
                if gaps.peek() == Some(&read) {
                    gaps.next();
                    continue;
                }
                self.items.swap(write, read);
                write += 1;
            }
            self.items.truncate(write);
        }
        if self.head > 0 && self.head * 2 >= self.items.len() {
            self.items.drain(..self.head);
            self.head = 0;
        }
        self.sorted = sorted;
    }

    fn count(&mut self, demand: &Resources) {
        if self.overflowed {
            return;
        }
        let counts = &mut self.classes.counts;
        match counts.iter_mut().find(|(d, _)| d == demand) {
            Some((_, n)) => *n += 1,
            None => counts.push((*demand, 1)),
        }
        if counts.len() > MAX_DEMAND_CLASSES {
            self.overflowed = true;
            self.classes.counts = Vec::new();
        }
    }

    fn uncount(&mut self, demand: &Resources) {
        if self.overflowed {
            return;
        }
        let counts = &mut self.classes.counts;
        let at = counts
            .iter()
            .position(|(d, _)| d == demand)
            .expect("a queued demand is counted");
        counts[at].1 -= 1;
        if counts[at].1 == 0 {
            counts.swap_remove(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::placement::test_support::job;
    use std::collections::HashMap;

    fn ids(q: &PendingQueue) -> Vec<u64> {
        q.as_slice().iter().map(|t| t.id.0).collect()
    }

    /// Random pushes at both ends and removals of random index sets keep the same order as a plain
    /// vector, and the class counts match a recount.
    #[test]
    fn behaves_as_a_vector_and_counts_demands_exactly() {
        let mut rng = crate::rng::stream(3, "pending-test");
        let mut q = PendingQueue::default();
        let mut v: Vec<PendingTask> = Vec::new();
        let mut longest = 0;
        let below = |rng: &mut _, n| crate::rng::below(rng, n);
        for step in 0..20_000u32 {
            match below(&mut rng, 6) {
                0..=2 => {
                    let t = job(step, 1.0 + below(&mut rng, 4) as f64, 1);
                    q.push_back(t.clone());
                    v.push(t);
                }
                3 => {
                    let t = job(step, 1.0 + below(&mut rng, 4) as f64, 1);
                    q.push_front(t.clone());
                    v.insert(0, t);
                }
                _ if !v.is_empty() => {
                    // Either a head prefix or a random subset.
                    let mut picked: Vec<usize> = if below(&mut rng, 2) == 0 {
                        (0..1 + below(&mut rng, 3) as usize).collect()
                    } else {
                        (0..v.len()).filter(|_| below(&mut rng, 8) == 0).collect()
                    };
                    picked.retain(|&i| i < v.len());
                    let mut i = 0;
                    v.retain(|_| {
                        i += 1;
                        !picked.contains(&(i - 1))
                    });
                    picked.reverse();
                    q.remove_all(picked.into_iter());
                }
                _ => {}
            }
            assert_eq!(ids(&q), v.iter().map(|t| t.id.0).collect::<Vec<_>>());
            let mut recount: HashMap<Resources, u32> = HashMap::new();
            for t in &v {
                *recount.entry(t.demand).or_insert(0) += 1;
            }
            let counts = &q.classes().expect("few demands").counts;
            let counted: HashMap<Resources, u32> = counts.iter().copied().collect();
            assert_eq!(counted.len(), counts.len(), "a demand counted twice");
            assert!(counts.iter().all(|&(_, n)| n > 0), "a zero count kept");
            assert_eq!(counted, recount);
            longest = longest.max(q.len());
        }
        assert!(longest > 30, "the queue grew to {longest}");
    }

    #[test]
    fn too_many_distinct_demands_stop_the_counting() {
        let mut q = PendingQueue::default();
        for i in 0..=MAX_DEMAND_CLASSES as u32 {
            q.push_back(job(i, 1.0 + i as f64 / 100.0, 1));
        }
        assert!(q.classes().is_none());
        q.remove_all(0..q.len());
        assert!(q.is_empty() && q.classes().is_none());
    }
}

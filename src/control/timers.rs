//! The timers a wall-clock driver holds for the control plane ([`super::Command::SetTimer`]), due
//! in time order and, at equal times, in the order they were set (as the engine's future-event
//! list orders them).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::time::SimTime;

use super::Timer;

/// A [`Timer`] in the heap: ordered by (time, sequence) alone.
#[derive(Debug, Clone, Copy)]
struct Entry(SimTime, u64, Timer);

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        (self.0, self.1) == (o.0, o.1)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.0, self.1).cmp(&(o.0, o.1))
    }
}

/// Pending timers.
#[derive(Debug, Default)]
pub struct TimerQueue {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
}

impl TimerQueue {
    /// Holds `timer` until `at`.
    pub fn set(&mut self, at: SimTime, timer: Timer) {
        self.seq += 1;
        self.heap.push(Reverse(Entry(at, self.seq, timer)));
    }

    /// The next timer due at or before `now`, taken out of the queue.
    pub fn pop_due(&mut self, now: SimTime) -> Option<Timer> {
        let Reverse(Entry(at, _, _)) = self.heap.peek()?;
        if *at > now {
            return None;
        }
        self.heap.pop().map(|Reverse(Entry(_, _, t))| t)
    }

    /// When the next timer is due.
    pub fn next_at(&self) -> Option<SimTime> {
        self.heap.peek().map(|Reverse(Entry(at, _, _))| *at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::NodeId;
    use crate::time::SimDuration;

    #[test]
    fn due_in_time_then_setting_order() {
        let mut q = TimerQueue::default();
        let t = |n: u32| Timer::Detect {
            node: NodeId(n),
            epoch: 0,
        };
        let at = |s: u64| SimTime::ZERO + SimDuration::from_secs(s);
        q.set(at(5), t(0));
        q.set(at(2), t(1));
        q.set(at(2), t(2));
        assert_eq!(q.next_at(), Some(at(2)));
        assert_eq!(q.pop_due(at(1)), None);
        assert_eq!(q.pop_due(at(3)), Some(t(1)));
        assert_eq!(q.pop_due(at(3)), Some(t(2)));
        assert_eq!(q.pop_due(at(3)), None);
        assert_eq!(q.pop_due(at(5)), Some(t(0)));
        assert_eq!(q.next_at(), None);
    }
}

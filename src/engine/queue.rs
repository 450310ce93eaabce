//! The future-event list: a radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, "Faster algorithms for
//! the shortest path problem", JACM 1990) ordered by (time, sequence number).
//!
//! Ordering guarantee: events pop in non-decreasing time, and events at the same time pop in the
//! order they were scheduled (the sequence number is a global insertion counter). Nothing depends on
//! hashing or on the layout of the buckets, so a run is reproducible bit for bit, and the order is
//! exactly that of a binary heap keyed by (time, sequence) (the tests compare the two).
//!
//! **Why a radix heap.** A discrete-event simulation never schedules into the past, so the queue is
//! *monotone*: no key pushed is below the last key popped. A radix heap exploits that: an event
//! goes into the bucket named by the highest bit in which its time differs from the last popped
//! time, and a bucket is only sorted out (redistributed into lower buckets) when everything below
//! it is empty. Each event moves at most 64 times and in practice once or twice, and the buckets
//! are scanned sequentially, so at the hundreds of thousands of pending events of a large cluster
//! it beats a binary heap, whose every pop walks a path of cache misses from the root to a leaf.
//!
//! **Monotonicity contract.** [`EventQueue::push`] refuses (panics on) a time below the last
//! popped time: that would be an event in the past, a bug in the caller. Peeking never advances
//! the last popped time, so after a peek the caller may still push at the current time.

use std::collections::VecDeque;

use crate::time::SimTime;

struct Entry<E> {
    time: u64,
    seq: u64,
    event: E,
}

/// Number of buckets besides the current-time one: one per bit of a `u64` time.
const BUCKETS: usize = 64;

/// The largest allocation (in events) an emptied bucket keeps for reuse.
const KEEP_CAPACITY: usize = 4096;

/// A deterministic, monotone priority queue of timed events.
pub struct EventQueue<E> {
    /// Events at exactly `last`, in sequence order.
    current: VecDeque<Entry<E>>,
    /// `buckets[b]`: events whose time differs from `last` first in bit `b` (from the top: the
    /// highest set bit of `time ^ last` is `b`). All of them are later than `last`.
    buckets: Vec<Vec<Entry<E>>>,
    /// Bit `b` set when `buckets[b]` is not empty.
    occupied: u64,
    /// The time of the last popped event (zero before any): no event may be pushed below it.
    last: u64,
    /// The earliest time in the lowest occupied bucket and the index there of an event at that
    /// time, when known (a cache for peeks).
    lowest_min: Option<(u64, usize)>,
    len: usize,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            current: VecDeque::new(),
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            occupied: 0,
            last: 0,
            lowest_min: None,
            len: 0,
            next_seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `event` at `time`, which must not be earlier than the last popped event's time.
    pub fn push(&mut self, time: SimTime, event: E) {
        let time = time.0;
        assert!(
            time >= self.last,
            "event scheduled in the past: {time} µs after {} µs was handled",
            self.last
        );
        let entry = Entry {
            time,
            seq: self.next_seq,
            event,
        };
        self.next_seq += 1;
        self.len += 1;
        if time == self.last {
            // Every event already at `last` was scheduled earlier: sequence order is kept.
            self.current.push_back(entry);
            return;
        }
        let b = bucket_of(time, self.last);
        let lowest = self.occupied.trailing_zeros() as usize; // 64 when none is occupied
        if b < lowest {
            self.lowest_min = Some((time, self.buckets[b].len()));
        } else if b == lowest {
            if let Some((m, _)) = self.lowest_min {
                if time < m {
                    self.lowest_min = Some((time, self.buckets[b].len()));
                }
            }
        }
        self.buckets[b].push(entry);
        self.occupied |= 1 << b;
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if self.current.is_empty() {
            self.refill();
        }
        let e = self.current.pop_front()?;
        self.len -= 1;
        Some((SimTime(e.time), e.event))
    }

    /// Time of the earliest event.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        if !self.current.is_empty() {
            return Some(SimTime(self.last));
        }
        if self.occupied == 0 {
            return None;
        }
        Some(SimTime(self.lowest_bucket_min()))
    }

    /// The event that pops next unless something earlier is pushed first, when that is known
    /// without sorting anything out (after [`EventQueue::peek_time`], it is); at a tie in time it
    /// may be another event of the earliest time. A hint for prefetching, not an ordering
    /// guarantee.
    pub fn peek_hint(&self) -> Option<&E> {
        if let Some(e) = self.current.front() {
            return Some(&e.event);
        }
        let (_, index) = self.lowest_min?;
        let b = self.occupied.trailing_zeros() as usize;
        self.buckets.get(b)?.get(index).map(|e| &e.event)
    }

    /// Takes the next sequence number without scheduling anything, for an event the caller keeps
    /// outside the queue (the engine's buffered arrival): ordering it by (time, this number)
    /// against the queue's events gives exactly the order it would have had if pushed now.
    pub fn reserve_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// The sequence number of the earliest event, to break a tie in time with an event kept
    /// outside the queue. With nothing at the last popped time, this sorts the lowest bucket out
    /// as a pop does, which advances the last popped time to the earliest pending time: call it
    /// only when the next event handled, from this queue or from outside, is at that time.
    pub fn peek_seq(&mut self) -> Option<u64> {
        if self.current.is_empty() {
            self.refill();
        }
        self.current.front().map(|e| e.seq)
    }

    /// Number of scheduled events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The earliest time in the lowest occupied bucket (which must exist), cached until a push or a
    /// refill changes it.
    fn lowest_bucket_min(&mut self) -> u64 {
        if let Some((m, _)) = self.lowest_min {
            return m;
        }
        let b = self.occupied.trailing_zeros() as usize;
        let (index, m) = self.buckets[b]
            .iter()
            .map(|e| e.time)
            .enumerate()
            .min_by_key(|&(_, time)| time)
            .expect("an occupied bucket has events");
        self.lowest_min = Some((m, index));
        m
    }

    /// With nothing at `last`: advances `last` to the earliest pending time and sorts the lowest
    /// bucket out, its earliest events into `current` (in sequence order), the rest into lower
    /// buckets relative to the new `last`.
    fn refill(&mut self) {
        if self.occupied == 0 {
            return;
        }
        let min = self.lowest_bucket_min();
        let b = self.occupied.trailing_zeros() as usize;
        let mut bucket = std::mem::take(&mut self.buckets[b]);
        self.occupied &= !(1 << b);
        self.last = min;
        self.lowest_min = None;
        for entry in bucket.drain(..) {
            if entry.time == min {
                self.current.push_back(entry);
            } else {
                let to = bucket_of(entry.time, min);
                debug_assert!(to < b, "a redistributed event moves down");
                self.buckets[to].push(entry);
                self.occupied |= 1 << to;
            }
        }
        // Keep a small allocation for the next events of this bucket; give a large one back, so
        // that the buckets together hold about as much memory as the events pending (a bucket
        // that once held a burst would otherwise keep its peak size for the rest of the run).
        if bucket.capacity() <= KEEP_CAPACITY {
            self.buckets[b] = bucket;
        }
        if self.current.len() > 1 {
            self.current
                .make_contiguous()
                .sort_unstable_by_key(|e| e.seq);
        }
    }
}

/// The bucket of an event at `time` when the last popped time is `last` (`time > last`): the
/// highest bit in which the two differ.
fn bucket_of(time: u64, last: u64) -> usize {
    (BUCKETS - 1) - (time ^ last).leading_zeros() as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    #[test]
    fn ties_pop_in_insertion_order() {
        let mut q = EventQueue::new();
        q.push(SimTime(5), 'a');
        q.push(SimTime(1), 'b');
        q.push(SimTime(5), 'c');
        q.push(SimTime(1), 'd');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['b', 'd', 'a', 'c']);
    }

    /// A simulation-like workload (pops interleaved with pushes at or after the current time, many
    /// ties, some zero delays, peeks in between) pops in exactly a binary heap's (time, seq) order.
    #[test]
    fn pops_in_the_order_of_a_binary_heap_keyed_by_time_and_sequence() {
        let mut rng = crate::rng::stream(7, "queue-test");
        let mut q = EventQueue::new();
        let mut heap = BinaryHeap::new();
        let mut seq = 0u64;
        let mut now = 0u64;
        let mut popped = 0;
        let mut times = Vec::new();
        let mut hints = 0;
        for step in 0..200_000u64 {
            let pushes = crate::rng::below(&mut rng, 3);
            for _ in 0..pushes {
                let delay = match crate::rng::below(&mut rng, 4) {
                    0 => 0,
                    1 => crate::rng::below(&mut rng, 4),
                    2 => crate::rng::below(&mut rng, 1_000_000),
                    _ => crate::rng::below(&mut rng, 1 << 40),
                };
                q.push(SimTime(now + delay), seq);
                heap.push(Reverse((now + delay, seq)));
                times.push(now + delay);
                seq += 1;
            }
            if step % 3 == 0 {
                let earliest = heap.peek().map(|r| r.0 .0);
                assert_eq!(q.peek_time(), earliest.map(SimTime));
                // After a peek the hint is known, and it is an event of the earliest time.
                let hinted = q.peek_hint().map(|&s| times[s as usize]);
                assert_eq!(hinted, earliest, "hint at step {step}");
                hints += 1;
            }
            if crate::rng::below(&mut rng, 2) == 0 || q.len() > 1_000 {
                let got = q.pop();
                let want = heap.pop().map(|Reverse((t, s))| (SimTime(t), s));
                assert_eq!(got, want, "pop {popped}");
                if let Some((t, _)) = got {
                    now = t.0;
                    popped += 1;
                }
            }
            assert_eq!(q.len(), heap.len());
        }
        while let Some(Reverse((t, s))) = heap.pop() {
            assert_eq!(q.pop(), Some((SimTime(t), s)));
        }
        assert!(q.pop().is_none() && q.is_empty());
        assert!(popped > 50_000, "the test popped {popped} events");
        assert!(hints > 60_000, "the test checked {hints} hints");
    }

    /// An outside stream of events with reserved sequence numbers (the engine's arrivals), merged
    /// with the queue by (time, sequence) and using `peek_seq` only on ties, gives exactly the
    /// order of one binary heap holding both.
    #[test]
    fn an_outside_stream_merges_in_the_order_of_one_heap() {
        let mut rng = crate::rng::stream(11, "queue-merge-test");
        let mut q = EventQueue::new();
        let mut heap = BinaryHeap::new();
        // The outside stream holds one event at a time, as the engine's buffered arrival does.
        let mut outside: Option<(u64, u64)> = None;
        let mut now = 0u64;
        let mut ties = 0;
        for handled in 0..100_000 {
            if outside.is_none() {
                // Coarse times, so that ties with queued events are common.
                let t = now + 10 * crate::rng::below(&mut rng, 3);
                let seq = q.reserve_seq();
                outside = Some((t, seq));
                heap.push(Reverse((t, seq, true)));
            }
            for _ in 0..crate::rng::below(&mut rng, 3) {
                let t = now + 10 * crate::rng::below(&mut rng, 4);
                let seq = q.next_seq;
                q.push(SimTime(t), seq);
                heap.push(Reverse((t, seq, false)));
            }
            let (ot, oseq) = outside.expect("refilled above");
            let take_outside = match q.peek_time() {
                None => true,
                Some(qt) if ot < qt.0 => true,
                Some(qt) if ot > qt.0 => false,
                Some(_) => {
                    ties += 1;
                    oseq < q.peek_seq().expect("the queue has an event")
                }
            };
            let Reverse(want) = heap.pop().expect("the heap holds the outside event");
            let got = if take_outside {
                outside = None;
                (ot, oseq, true)
            } else {
                let (t, seq) = q.pop().expect("peeked");
                (t.0, seq, false)
            };
            assert_eq!(got, want, "event {handled}");
            now = got.0;
        }
        assert!(ties > 10_000, "only {ties} ties were tested");
    }

    #[test]
    #[should_panic(expected = "event scheduled in the past")]
    fn an_event_in_the_past_is_refused() {
        let mut q = EventQueue::new();
        q.push(SimTime(10), ());
        q.pop();
        q.push(SimTime(9), ());
    }

    /// Peeking does not move the clock: an event may still be pushed at the popped time.
    #[test]
    fn a_peek_leaves_room_for_events_at_the_current_time() {
        let mut q = EventQueue::new();
        q.push(SimTime(10), 'a');
        q.push(SimTime(50), 'b');
        assert_eq!(q.pop(), Some((SimTime(10), 'a')));
        assert_eq!(q.peek_time(), Some(SimTime(50)));
        q.push(SimTime(10), 'c');
        q.push(SimTime(20), 'd');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['c', 'd', 'b']);
    }
}

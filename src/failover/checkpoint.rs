//! Checkpointing arithmetic. An attempt computes in segments of `interval` (wall time), each followed
//! by a checkpoint that takes `cost`; no checkpoint is taken after the last segment. A failure loses
//! the work since the last completed checkpoint, so the waste per failure is below interval + cost.

use serde::Serialize;

use crate::time::SimDuration;

/// A validated checkpoint schedule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CheckpointPlan {
    /// Compute time between checkpoints (wall time on the node).
    pub interval: SimDuration,
    /// Time to write one checkpoint.
    pub cost: SimDuration,
}

impl CheckpointPlan {
    /// Young's approximation of the optimal interval: sqrt(2 x cost x MTBF).
    pub fn young(cost: SimDuration, mtbf: SimDuration) -> SimDuration {
        SimDuration::from_secs_f64((2.0 * cost.as_secs_f64() * mtbf.as_secs_f64()).sqrt())
    }

    /// Wall time to do `work` (at speed 1.0) at `speed`, checkpoints included.
    pub fn wall_time(&self, work: SimDuration, speed: f64) -> SimDuration {
        let compute = work.scaled_by_speed(speed);
        if self.interval.0 == 0 || compute.0 == 0 {
            return compute;
        }
        let checkpoints = (compute.0 - 1) / self.interval.0; // segments - 1
        SimDuration(compute.0 + checkpoints * self.cost.0)
    }

    /// Wall time of the completed (computed and checkpointed) segments within `elapsed`: time that
    /// was not thrown away when the attempt dies after `elapsed`.
    pub fn wall_secured(&self, elapsed: SimDuration) -> SimDuration {
        let segment = self.interval.0 + self.cost.0;
        if self.interval.0 == 0 || segment == 0 {
            return SimDuration::ZERO;
        }
        SimDuration(elapsed.0 / segment * segment)
    }

    /// Compute time (without checkpoint writing) within `elapsed` wall time of an attempt.
    pub fn compute_within(&self, elapsed: SimDuration) -> SimDuration {
        let segment = self.interval.0 + self.cost.0;
        if self.interval.0 == 0 || segment == 0 {
            return elapsed;
        }
        let done = elapsed.0 / segment;
        SimDuration(done * self.interval.0 + (elapsed.0 - done * segment).min(self.interval.0))
    }

    /// Work (at speed 1.0) safely checkpointed after running `elapsed` wall time at `speed`.
    pub fn work_saved(&self, elapsed: SimDuration, speed: f64) -> SimDuration {
        let segment = self.interval.0 + self.cost.0;
        if self.interval.0 == 0 || segment == 0 {
            return SimDuration::ZERO;
        }
        let done = elapsed.0 / segment;
        SimDuration::from_secs_f64(SimDuration(done * self.interval.0).as_secs_f64() * speed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_time_adds_one_cost_per_inner_checkpoint() {
        let p = CheckpointPlan {
            interval: SimDuration::from_secs(10),
            cost: SimDuration::from_secs(2),
        };
        // 35 s of work: segments 10,10,10,5 -> 3 checkpoints -> 41 s.
        assert_eq!(
            p.wall_time(SimDuration::from_secs(35), 1.0),
            SimDuration::from_secs(41)
        );
        // Exactly 30 s: 3 segments, 2 checkpoints.
        assert_eq!(
            p.wall_time(SimDuration::from_secs(30), 1.0),
            SimDuration::from_secs(34)
        );
    }

    #[test]
    fn waste_per_failure_is_below_interval_plus_cost() {
        let p = CheckpointPlan {
            interval: SimDuration::from_secs(10),
            cost: SimDuration::from_secs(2),
        };
        for e in 0..100u64 {
            let elapsed = SimDuration::from_secs(e);
            let thrown_away = elapsed.0 - p.wall_secured(elapsed).0;
            assert!(
                thrown_away < (p.interval + p.cost).0,
                "elapsed {e}: lost {thrown_away} us"
            );
            // Saved work is whole intervals, one per completed segment.
            assert_eq!(p.work_saved(elapsed, 1.0).0, e / 12 * 10 * 1_000_000);
        }
        assert_eq!(
            p.work_saved(SimDuration::from_secs(25), 1.0),
            SimDuration::from_secs(20)
        );
        // At speed 2 the same wall time saves twice the work.
        assert_eq!(
            p.work_saved(SimDuration::from_secs(25), 2.0),
            SimDuration::from_secs(40)
        );
    }

    #[test]
    fn compute_within_excludes_checkpoint_writing() {
        let p = CheckpointPlan {
            interval: SimDuration::from_secs(10),
            cost: SimDuration::from_secs(2),
        };
        // Segments of 10 s compute + 2 s writing: after 25 s, two segments (20 s compute) and
        // 1 s into the third; after 11 s, one segment's compute and 1 s of writing.
        assert_eq!(
            p.compute_within(SimDuration::from_secs(25)),
            SimDuration::from_secs(21)
        );
        assert_eq!(
            p.compute_within(SimDuration::from_secs(11)),
            SimDuration::from_secs(10)
        );
        // Finishing the whole 35 s job takes wall_time = 41 s, of which 35 s compute.
        assert_eq!(
            p.compute_within(p.wall_time(SimDuration::from_secs(35), 1.0)),
            SimDuration::from_secs(35)
        );
    }

    #[test]
    fn young_interval() {
        // sqrt(2 * 10 s * 3600 s) = 268.3 s
        let i = CheckpointPlan::young(SimDuration::from_secs(10), SimDuration::from_secs(3600));
        assert!((i.as_secs_f64() - 268.328).abs() < 0.01);
    }
}

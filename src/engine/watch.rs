//! Watching a run while it goes (live metrics, progress by simulated time) without changing it.
//!
//! The engine asks a [`Watcher`] whether a look is due only every [`CHECK_EVERY`] events, so a
//! watched run pays one comparison per event and one cheap call (typically a clock read) per
//! thousand; an unwatched run pays one comparison per event. A watcher only ever reads the run:
//! results are the same bytes whether a run is watched or not.

use crate::control::ControlPlane;
use crate::time::SimTime;

/// Events between two calls to [`Watcher::due`] (a power of two: the test is a mask).
pub const CHECK_EVERY: u64 = 1024;

/// What a watcher sees of a run.
pub struct RunView<'a> {
    /// Simulated time reached.
    pub now: SimTime,
    /// Events handled so far.
    pub events: u64,
    /// The control plane (read only).
    pub control: &'a ControlPlane,
    /// Whether the run has ended (the last look, taken once, before the run's statistics are
    /// finalised).
    pub finished: bool,
}

/// Looks at a run from time to time.
pub trait Watcher {
    /// Whether to look now; called every [`CHECK_EVERY`] events, so it must be cheap.
    fn due(&mut self) -> bool;
    /// Looks at the run.
    fn observe(&mut self, view: &RunView<'_>);
}

//! Virtual time: integer microseconds, so that event ordering never depends on floating-point rounding.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

use serde::{Deserialize, Serialize};

/// Microseconds in one second.
pub const MICROS_PER_SEC: u64 = 1_000_000;

/// An instant of simulated time, in microseconds since the start of the run.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct SimTime(pub u64);

/// A span of simulated time, in microseconds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct SimDuration(pub u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// A time later than any event (used for "no horizon").
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// This instant in seconds (for reporting only; the engine never computes with it).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SEC as f64
    }

    /// Time elapsed since `earlier`, saturating at zero.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// The empty span.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A span from seconds, rounded to the nearest microsecond; negative or NaN gives zero.
    pub fn from_secs_f64(secs: f64) -> SimDuration {
        // Negative and NaN give 0; spans of 2^64 microseconds and more saturate at `u64::MAX`.
        SimDuration(crate::rounding::round_to_u64(secs * MICROS_PER_SEC as f64))
    }

    /// The longest span a configuration may ask for: `u64::MAX` microseconds (about 584,542 years).
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    /// A span from seconds for a configured value, rounded to the nearest microsecond, or why it
    /// cannot be one: negative or not a number, too long for `u64` microseconds, or positive but
    /// shorter than half a microsecond (it would round to zero). Unlike
    /// [`SimDuration::from_secs_f64`], which the engine uses on sampled values, nothing is clamped.
    pub fn try_from_secs_f64(secs: f64) -> Result<SimDuration, DurationError> {
        if secs.is_nan() || secs < 0.0 {
            return Err(DurationError::Negative);
        }
        let micros = (secs * MICROS_PER_SEC as f64).round();
        if micros >= u64::MAX as f64 {
            return Err(DurationError::TooLong);
        }
        if secs > 0.0 && micros == 0.0 {
            return Err(DurationError::BelowResolution);
        }
        Ok(SimDuration(micros as u64))
    }

    /// A span of whole seconds.
    pub const fn from_secs(secs: u64) -> SimDuration {
        SimDuration(secs * MICROS_PER_SEC)
    }

    /// This span in seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SEC as f64
    }

    /// `self - other`, or zero if `other` is longer.
    pub fn saturating_sub(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(other.0))
    }

    /// This span divided by a processing speed (a task of `self` at speed 1.0 takes this long at `speed`).
    pub fn scaled_by_speed(self, speed: f64) -> SimDuration {
        SimDuration::from_secs_f64(self.as_secs_f64() / speed)
    }
}

/// Why a configured number of seconds is not a [`SimDuration`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Negative or not a number.
    #[error("must not be negative")]
    Negative,
    /// More microseconds than a `u64` holds.
    #[error("is longer than the longest simulated time (2^64 microseconds, about 584,542 years)")]
    TooLong,
    /// Positive but rounds to zero microseconds.
    #[error("is shorter than the time resolution (1 microsecond) and would round to zero")]
    BelowResolution,
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, rhs: SimDuration) {
        *self = *self + rhs;
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    fn sub(self, rhs: SimTime) -> SimDuration {
        self.since(rhs)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(rhs.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6}s", self.as_secs_f64())
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6}s", self.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_to_nearest_microsecond() {
        assert_eq!(SimDuration::from_secs_f64(1.5), SimDuration(1_500_000));
        assert_eq!(SimDuration::from_secs_f64(0.0000004), SimDuration(0));
        assert_eq!(SimDuration::from_secs_f64(0.0000006), SimDuration(1));
        assert_eq!(SimDuration::from_secs_f64(-3.0), SimDuration::ZERO);
    }

    #[test]
    fn configured_durations_are_never_clamped_or_rounded_to_zero() {
        assert_eq!(
            SimDuration::try_from_secs_f64(1.5),
            Ok(SimDuration(1_500_000))
        );
        assert_eq!(SimDuration::try_from_secs_f64(0.0), Ok(SimDuration::ZERO));
        assert_eq!(
            SimDuration::try_from_secs_f64(0.0000006),
            Ok(SimDuration(1))
        );
        assert_eq!(
            SimDuration::try_from_secs_f64(0.0000004),
            Err(DurationError::BelowResolution)
        );
        assert_eq!(
            SimDuration::try_from_secs_f64(99999999999999999.0 * 86400.0),
            Err(DurationError::TooLong)
        );
        assert_eq!(
            SimDuration::try_from_secs_f64(-1.0),
            Err(DurationError::Negative)
        );
        assert_eq!(
            SimDuration::try_from_secs_f64(f64::NAN),
            Err(DurationError::Negative)
        );
    }

    #[test]
    fn speed_scales_duration() {
        assert_eq!(
            SimDuration::from_secs(10).scaled_by_speed(2.0),
            SimDuration::from_secs(5)
        );
    }
}

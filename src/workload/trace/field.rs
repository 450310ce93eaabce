//! Numeric trace fields, parsed and range-checked in one place for every format.
//!
//! Each number a reader takes from a line goes through [`num`] with a [`Limit`] saying what its column
//! may hold. A value that is not a number, not finite (`inf`, `NaN`), below the limit's minimum or above
//! its maximum makes the line malformed, with a reason naming the column ("negative cpu_num",
//! "run_time too large"): a lenient replay counts and skips the line, a strict one stops at it. Values
//! computed from several fields (SWF memory = KB per processor × processors) are checked with
//! [`check`]. Because every accepted value is within its limit, nothing downstream saturates or wraps:
//! times stay far inside [`SimDuration`](crate::time::SimDuration)'s range and sizes inside `u64`.
//!
//! The limits are deliberately generous (they reject what no real trace holds, not what is merely
//! unusual): see the constants below.

use std::str::FromStr;

/// The largest number of seconds a time stamp or span may have: about 317 years.
pub const MAX_SECONDS: f64 = 1e10;
/// The most cores (or processors) one task or node may have.
pub const MAX_CORES: f64 = 1e6;
/// The most bytes one demand or capacity may have (1 EiB).
pub const MAX_BYTES: f64 = (1u64 << 60) as f64;
/// The largest normalised demand: this many times the reference node.
pub const MAX_NORMALISED: f64 = 1e3;
/// The most identical instances one record may stand for.
pub const MAX_INSTANCES: f64 = 1e6;
/// The most tokens one LLM request may have.
pub const MAX_TOKENS: f64 = 1e9;

/// The closed range of values a column may hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Smallest accepted value.
    pub min: f64,
    /// Largest accepted value.
    pub max: f64,
}

impl Limit {
    /// Values from `min` to `max`, both included.
    pub const fn new(min: f64, max: f64) -> Limit {
        Limit { min, max }
    }

    /// The same range with −1 ("unknown" in SWF) also accepted below it.
    pub const fn or_unknown(self) -> Limit {
        Limit::new(-1.0, self.max)
    }
}

/// Seconds that cannot be negative (spans, run times, times from a log's start).
pub const SECONDS: Limit = Limit::new(0.0, MAX_SECONDS);
/// Seconds that may be negative (Alibaba 2017 creates tasks before its trace starts).
pub const SIGNED_SECONDS: Limit = Limit::new(-MAX_SECONDS, MAX_SECONDS);
/// Microseconds (Google), up to its "after the window" marker 2^63 − 1.
pub const MICROS: Limit = Limit::new(0.0, i64::MAX as f64);
/// Identifiers: any non-negative integer of the column's type.
pub const ID: Limit = Limit::new(0.0, u64::MAX as f64);
/// Identifiers kept in an `f64` (SWF): exact integers only.
pub const ID_F64: Limit = Limit::new(0.0, (1u64 << 53) as f64);
/// Cores or processors.
pub const CORES: Limit = Limit::new(0.0, MAX_CORES);
/// CPU in hundredths of a core (Alibaba: 100 = one core).
pub const CENTI_CORES: Limit = Limit::new(0.0, 100.0 * MAX_CORES);
/// CPU in thousandths of a core.
pub const MILLI_CORES: Limit = Limit::new(0.0, 1000.0 * MAX_CORES);
/// Bytes.
pub const BYTES: Limit = Limit::new(0.0, MAX_BYTES);
/// Mebibytes.
pub const MIB: Limit = Limit::new(0.0, MAX_BYTES / (1u64 << 20) as f64);
/// A fraction of the reference node (Google, Alibaba 2017 memory).
pub const NORMALISED: Limit = Limit::new(0.0, MAX_NORMALISED);
/// A percentage of the reference node (Alibaba 2018 plan_mem, mem_size).
pub const PERCENT_OF_REFERENCE: Limit = Limit::new(0.0, 100.0 * MAX_NORMALISED);
/// Instances of one record.
pub const INSTANCES: Limit = Limit::new(0.0, MAX_INSTANCES);
/// Token counts.
pub const TOKENS: Limit = Limit::new(0.0, MAX_TOKENS);
/// Priorities of simctl's own CSV (any `i32`).
pub const PRIORITY: Limit = Limit::new(i32::MIN as f64, i32::MAX as f64);
/// A user number (any `u32`).
pub const USER: Limit = Limit::new(0.0, u32::MAX as f64);
/// The most GPUs one task or node may name (a node holds at most
/// [`MAX_GPUS`](crate::cluster::MAX_GPUS) in simctl: the node list checks that itself).
pub const MAX_GPU_COUNT: f64 = 1e6;
/// A GPU count.
pub const GPU_COUNT: Limit = Limit::new(0.0, MAX_GPU_COUNT);
/// GPU in thousandths of a GPU, per GPU (the GPU 2023 trace's `gpu_milli`: at most one GPU's worth
/// is meaningful, larger values are refused by the reader with their own reason).
pub const GPU_MILLI: Limit = Limit::new(0.0, 1e9);

/// A number type a field can be parsed into.
pub trait FieldValue: FromStr + Copy {
    /// The value as an `f64`, for the range check.
    fn to_f64(self) -> f64;
}

macro_rules! field_value {
    ($($t:ty),*) => {$(
        impl FieldValue for $t {
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
field_value!(f64, i64, u64, u32, i32, u8);

/// Checks a value already computed against `limit`, naming `column` in the reason.
pub fn check(x: f64, column: &str, limit: Limit) -> Result<f64, String> {
    if !x.is_finite() {
        Err(format!("non-finite {column}"))
    } else if x < limit.min {
        Err(if limit.min == 0.0 {
            format!("negative {column}")
        } else {
            format!("{column} below {}", limit.min)
        })
    } else if x > limit.max {
        Err(format!("{column} too large"))
    } else {
        Ok(x)
    }
}

/// Parses `text` (spaces around it ignored) as a `T` within `limit`; the error is the reason a line
/// is malformed, naming `column`.
pub fn num<T: FieldValue>(text: &str, column: &str, limit: Limit) -> Result<T, String> {
    let t = text.trim();
    match t.parse::<T>() {
        Ok(v) => check(v.to_f64(), column, limit).map(|_| v),
        // An integer column given a fraction, an exponent or a value out of its type's range:
        // classify it by its value so that the reason says what is wrong with it.
        Err(_) => match t.parse::<f64>() {
            Ok(x) => {
                check(x, column, limit)?;
                Err(format!("{column} is not an integer in range"))
            }
            Err(_) => Err(format!("non-numeric {column}")),
        },
    }
}

/// [`num`] for an optional column: an empty field is `None`.
pub fn opt_num<T: FieldValue>(text: &str, column: &str, limit: Limit) -> Result<Option<T>, String> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        num(text, column, limit).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_negative_and_absurd_values_are_rejected_with_the_column_named() {
        assert_eq!(
            num::<f64>("inf", "cpu", CORES),
            Err("non-finite cpu".into())
        );
        assert_eq!(
            num::<f64>("NaN", "cpu", CORES),
            Err("non-finite cpu".into())
        );
        assert_eq!(num::<f64>("-0.5", "cpu", CORES), Err("negative cpu".into()));
        assert_eq!(
            num::<f64>("1e308", "cpu", CORES),
            Err("cpu too large".into())
        );
        assert_eq!(num::<f64>("x", "cpu", CORES), Err("non-numeric cpu".into()));
        assert_eq!(num::<f64>(" 2.5 ", "cpu", CORES), Ok(2.5));
        assert_eq!(num::<f64>("-1", "run_time", SECONDS.or_unknown()), Ok(-1.0));
        assert_eq!(
            num::<f64>("-2", "run_time", SECONDS.or_unknown()),
            Err("run_time below -1".into())
        );
    }

    #[test]
    fn integer_columns_reject_fractions_and_values_beyond_their_type() {
        assert_eq!(num::<u64>("7", "job_id", ID), Ok(7));
        assert_eq!(num::<i64>("-1078", "t", SIGNED_SECONDS), Ok(-1078));
        assert_eq!(
            num::<u64>("-3", "job_id", ID),
            Err("negative job_id".into())
        );
        assert_eq!(
            num::<u64>("99999999999999999999", "job_id", ID),
            Err("job_id too large".into())
        );
        assert_eq!(
            num::<u32>("1.5", "instances", INSTANCES),
            Err("instances is not an integer in range".into())
        );
        assert_eq!(
            num::<i64>("1e11", "t", SIGNED_SECONDS),
            Err("t too large".into())
        );
        assert_eq!(
            num::<u64>(&i64::MAX.to_string(), "timestamp", MICROS),
            Ok(i64::MAX as u64),
            "Google's after-the-window marker is accepted"
        );
        assert_eq!(opt_num::<f64>("", "c", CORES), Ok(None));
    }
}

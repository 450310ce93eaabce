//! Azure LLM inference trace 2023 (header `TIMESTAMP,ContextTokens,GeneratedTokens`; timestamps
//! `YYYY-MM-DD HH:MM:SS.fffffff`, UTC wall clock).
//!
//! Each request is a one-task job arriving at its timestamp (simulated 0 = the first request, or
//! `window_start` in seconds since the Unix epoch). Service time follows the configurable rule
//! `seconds = llm_base + llm_per_context × context + llm_per_generated × generated` (defaults 0.05 s,
//! 0.2 ms per prompt token, 20 ms per generated token: prefill is cheap per token, decoding is not);
//! demand is `request_cpu` / `request_memory` (default one core, 1 GiB).

use crate::resources::Resources;
use crate::time::SimDuration;
use crate::workload::trace::field::{self, num};
use crate::workload::trace::input::{next_record, split_into, Lines};
use crate::workload::trace::pipeline::{RawSource, RawTask};
use crate::workload::trace::report::Reporter;
use crate::workload::trace::{LlmRule, TraceSpec};
use crate::workload::{TaskKind, WorkloadError};

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Microseconds since the Unix epoch of `YYYY-MM-DD HH:MM:SS[.fraction]`.
pub fn parse_timestamp(text: &str) -> Result<i64, String> {
    let bad = || "bad TIMESTAMP".to_string();
    let (date, time) = text.split_once(' ').ok_or_else(bad)?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().map_err(|_| bad()));
    let (y, mo, da) = (
        d.next().ok_or_else(bad)??,
        d.next().ok_or_else(bad)??,
        d.next().ok_or_else(bad)??,
    );
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.split(':').map(|p| p.parse::<i64>().map_err(|_| bad()));
    let (h, mi, s) = (
        t.next().ok_or_else(bad)??,
        t.next().ok_or_else(bad)??,
        t.next().ok_or_else(bad)??,
    );
    if !(1..=9999).contains(&y)
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&da)
        || !(0..=23).contains(&h)
        || !(0..=59).contains(&mi)
        || !(0..=60).contains(&s)
    {
        return Err(bad());
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let micros: i64 = format!("{frac:0<6}")[..6].parse().map_err(|_| bad())?;
    let secs = days_from_civil(y, mo, da) * 86_400 + h * 3600 + mi * 60 + s;
    Ok(secs * 1_000_000 + micros)
}

/// Streaming reader of one Azure LLM trace file.
pub struct Reader {
    lines: Lines,
    rep: Reporter,
    rule: LlmRule,
    request: Resources,
}

impl Reader {
    /// A reader of `lines` with the token rule and request size of `spec`.
    pub fn new(lines: Lines, rep: Reporter, spec: &TraceSpec) -> Reader {
        Reader {
            lines,
            rep,
            rule: spec.llm,
            request: spec.request,
        }
    }
}

impl RawSource for Reader {
    fn next_raw(&mut self) -> Result<Option<RawTask>, WorkloadError> {
        let (rule, request, rep) = (self.rule, self.request, &self.rep);
        let next = next_record(&mut self.lines, rep, |line, text| {
            let mut f = Vec::with_capacity(3);
            split_into(text, ',', &mut f);
            if f[0] == "TIMESTAMP" {
                return Ok(None);
            }
            if f.len() != 3 {
                return Err("wrong field count".into());
            }
            let arrival = parse_timestamp(f[0])?;
            let context: f64 = num(f[1], "ContextTokens", field::TOKENS)?;
            let generated: f64 = num(f[2], "GeneratedTokens", field::TOKENS)?;
            let secs = rule.base + rule.per_context * context + rule.per_generated * generated;
            let secs = field::check(secs, "service time", field::SECONDS)?;
            rep.submitted();
            Ok(Some(RawTask {
                line,
                key: line,
                job: line,
                arrival,
                duration: SimDuration::from_secs_f64(secs),
                requested: None,
                demand: request,
                priority: 0,
                user: 0,
                kind: TaskKind::Batch,
                deps: Vec::new(),
                observed: None,
                copies: 1,
            }))
        })?;
        Ok(next.map(|(_, raw)| raw))
    }
}

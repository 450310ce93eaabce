//! The manager's configuration file (`simctl serve --config manager.toml`): the same
//! `[[scheduler]]` and `[failover]` tables as a scenario, plus a `[manager]` table of timings.
//!
//! ```toml
//! [manager]
//! heartbeat = "1s"     # workers heartbeat this often
//! detection = "5s"     # a worker silent this long is declared down; its tasks fail over
//! dispatch = "central" # or "immediate" (per-node queues, for the load balancers of the zoo)
//! seed = 1             # the scheduler's random stream (random, power-of-d, ...)
//!
//! [[scheduler]]
//! name = "spread"
//! placement = "least-allocated"
//!
//! [failover]
//! policy = "resubmit"
//! max_attempts = 4
//! ```

use std::path::Path;
use std::time::Duration;

use toml::{Table, Value};

use crate::config::field::{as_str, as_table, as_u64, check_keys, duration_secs, FieldError};
use crate::failover::{parse_failover, Failover};
use crate::sched::{DispatchMode, SchedulerSpec};

/// What the manager runs with.
#[derive(Debug, Clone)]
pub struct ManagerConfig {
    /// Heartbeat interval asked of workers.
    pub heartbeat: Duration,
    /// Silence after which a worker is declared down.
    pub detection: Duration,
    /// How tasks reach workers.
    pub dispatch: DispatchMode,
    /// The scheduler's seed.
    pub seed: u64,
    /// The scheduler (filter, score, pick), as in a scenario.
    pub scheduler: SchedulerSpec,
    /// The failover policy, as in a scenario.
    pub failover: Failover,
}

impl Default for ManagerConfig {
    fn default() -> Self {
        let mut t = Table::new();
        t.insert("name".into(), Value::String("least-allocated".into()));
        t.insert("placement".into(), Value::String("least-allocated".into()));
        ManagerConfig {
            heartbeat: Duration::from_secs(1),
            detection: Duration::from_secs(5),
            dispatch: DispatchMode::Central,
            seed: 1,
            scheduler: SchedulerSpec::from_table(&t, "scheduler[0]")
                .expect("the default scheduler is valid"),
            failover: Failover::default(),
        }
    }
}

const TOP_KEYS: &[&str] = &["manager", "scheduler", "failover"];
const MANAGER_KEYS: &[&str] = &["heartbeat", "detection", "dispatch", "seed"];

impl ManagerConfig {
    /// Reads `path`; errors name the file and the key.
    pub fn load(path: &Path) -> Result<ManagerConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        ManagerConfig::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses the text of a configuration file.
    pub fn parse(text: &str) -> Result<ManagerConfig, String> {
        let doc: Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
        ManagerConfig::from_table(&doc).map_err(|e| format!("{}: {}", e.key, e.message))
    }

    fn from_table(doc: &Table) -> Result<ManagerConfig, FieldError> {
        check_keys(doc, TOP_KEYS, "")?;
        let mut c = ManagerConfig::default();
        if let Some(v) = doc.get("manager") {
            let m = as_table(v, "manager")?;
            check_keys(m, MANAGER_KEYS, "manager")?;
            if let Some(v) = m.get("heartbeat") {
                c.heartbeat = Duration::from_secs_f64(duration_secs(v, "manager.heartbeat")?);
            }
            if let Some(v) = m.get("detection") {
                c.detection = Duration::from_secs_f64(duration_secs(v, "manager.detection")?);
            }
            if let Some(v) = m.get("dispatch") {
                c.dispatch = match as_str(v, "manager.dispatch")? {
                    "central" => DispatchMode::Central,
                    "immediate" => DispatchMode::Immediate,
                    other => {
                        return Err(FieldError::new(
                            "manager.dispatch",
                            format!("expected \"central\" or \"immediate\", got \"{other}\""),
                        ))
                    }
                };
            }
            if let Some(v) = m.get("seed") {
                c.seed = as_u64(v, "manager.seed")?;
            }
        }
        if c.heartbeat < Duration::from_millis(10) {
            return Err(FieldError::new(
                "manager.heartbeat",
                "must be at least 10ms",
            ));
        }
        if c.detection < 2 * c.heartbeat {
            return Err(FieldError::new(
                "manager.detection",
                format!(
                    "must be at least two heartbeats ({:?}), or every late heartbeat declares a worker down",
                    2 * c.heartbeat
                ),
            ));
        }
        match doc.get("scheduler") {
            None => {}
            Some(Value::Array(list)) if list.len() == 1 => {
                c.scheduler =
                    SchedulerSpec::from_table(as_table(&list[0], "scheduler[0]")?, "scheduler[0]")?;
            }
            Some(_) => {
                return Err(FieldError::new(
                    "scheduler",
                    "expected exactly one [[scheduler]] table (the manager runs one scheduler)",
                ))
            }
        }
        if let Some(v) = doc.get("failover") {
            c.failover = parse_failover(as_table(v, "failover")?, None)?;
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses_and_bad_keys_are_named() {
        let c = ManagerConfig::parse(
            "[manager]\nheartbeat = \"200ms\"\ndetection = \"3s\"\n[[scheduler]]\nname = \"p2\"\nplacement = \"power-of-d\"\n[failover]\npolicy = \"resubmit\"\nmax_attempts = 3\n",
        )
        .unwrap();
        assert_eq!(c.heartbeat, Duration::from_millis(200));
        assert_eq!(c.detection, Duration::from_secs(3));
        assert_eq!(c.scheduler.name, "p2");
        let e = ManagerConfig::parse("[manager]\nheartbeats = 1\n").unwrap_err();
        assert!(e.contains("manager.heartbeats"), "{e}");
        let e = ManagerConfig::parse("[manager]\nheartbeat = \"1s\"\ndetection = \"1s\"\n")
            .unwrap_err();
        assert!(e.contains("manager.detection"), "{e}");
        let e = ManagerConfig::parse("[[scheduler]]\nname = \"a\"\n[[scheduler]]\nname = \"b\"\n")
            .unwrap_err();
        assert!(e.contains("exactly one"), "{e}");
        let e = ManagerConfig::parse("[cluster]\n").unwrap_err();
        assert!(e.contains("cluster"), "{e}");
    }
}

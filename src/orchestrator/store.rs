//! The manager's task store: an embedded SQLite database (through `rusqlite` with its bundled
//! library, so nothing needs installing, and `sqlite3` can read it). Every change of an accepted
//! task is committed before the API answers, in write-ahead-log mode with `synchronous = FULL`,
//! so a manager killed with SIGKILL (or a machine losing power) loses nothing it acknowledged.
//! Writes are grouped: the manager applies every request that arrived together in one transaction
//! (group commit), so one fsync covers many submissions.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::request::TaskDef;
use super::wire::Capacity;

/// The database.
pub struct Store {
    conn: Connection,
}

/// A task that has not ended, as the store has it (what a restarted manager resumes).
#[derive(Debug, Clone)]
pub struct LiveTask {
    /// Submission order, unique.
    pub seq: u64,
    /// Its id.
    pub id: String,
    /// What was asked.
    pub def: TaskDef,
    /// Launches made so far.
    pub attempts: u32,
    /// When it was submitted, Unix milliseconds.
    pub submitted_ms: u64,
    /// Its launch in progress, if it had one: (launch id, worker, attempt number).
    pub launch: Option<(u64, String, u32)>,
}

/// A task in a listing.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TaskSummary {
    /// Its id.
    pub id: String,
    /// Its label, if it has one.
    pub name: Option<String>,
    /// `pending`, `starting`, `running`, `completed`, `failed` or `stopped`.
    pub state: String,
    /// The worker of its current or last launch.
    pub node: Option<String>,
    /// Launches so far.
    pub attempts: u32,
    /// Priority.
    pub priority: i32,
    /// Submitted, RFC 3339.
    pub submitted: String,
    /// Last change, RFC 3339.
    pub updated: String,
}

/// One state change of a task.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct HistoryEntry {
    /// When, RFC 3339 (milliseconds).
    pub at: String,
    /// The state entered.
    pub state: String,
    /// The worker, if any.
    pub node: Option<String>,
    /// The attempt number, if any.
    pub attempt: Option<u32>,
    /// Why, for people.
    pub detail: Option<String>,
}

/// One launch of a task.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct LaunchEntry {
    /// Launch id.
    pub launch: u64,
    /// Attempt number.
    pub attempt: u32,
    /// Worker.
    pub node: String,
    /// `starting`, `running`, `exited`, `failed`, `stopped` or `lost`.
    pub state: String,
    /// Exit status, if it exited.
    pub exit_code: Option<i64>,
    /// Launched, RFC 3339.
    pub launched: String,
    /// Ended, RFC 3339.
    pub ended: Option<String>,
}

/// A task with everything known about it (`GET /tasks/{id}`).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TaskDetail {
    /// The summary fields.
    #[serde(flatten)]
    pub summary: TaskSummary,
    /// What was asked.
    pub spec: TaskDef,
    /// The last health-check result reported, if any.
    pub last_health: Option<String>,
    /// State changes, oldest first.
    pub history: Vec<HistoryEntry>,
    /// Launches, oldest first.
    pub launches: Vec<LaunchEntry>,
}

/// A worker as stored.
#[derive(Debug, Clone)]
pub struct StoredWorker {
    /// Name.
    pub name: String,
    /// API address.
    pub addr: String,
    /// Capacity.
    pub capacity: Capacity,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT, spec TEXT NOT NULL,
  state TEXT NOT NULL, node TEXT, attempts INTEGER NOT NULL DEFAULT 0, priority INTEGER NOT NULL,
  submitted_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, last_health TEXT);
CREATE INDEX IF NOT EXISTS tasks_state ON tasks(state);
CREATE TABLE IF NOT EXISTS history (
  task TEXT NOT NULL, at_ms INTEGER NOT NULL, state TEXT NOT NULL, node TEXT, attempt INTEGER,
  detail TEXT);
CREATE INDEX IF NOT EXISTS history_task ON history(task);
CREATE TABLE IF NOT EXISTS launches (
  launch INTEGER PRIMARY KEY, task TEXT NOT NULL, attempt INTEGER NOT NULL, node TEXT NOT NULL,
  state TEXT NOT NULL, exit_code INTEGER, launched_ms INTEGER NOT NULL, ended_ms INTEGER);
CREATE INDEX IF NOT EXISTS launches_task ON launches(task);
CREATE TABLE IF NOT EXISTS workers (
  name TEXT PRIMARY KEY, addr TEXT NOT NULL, cpu_millis INTEGER NOT NULL,
  memory_bytes INTEGER NOT NULL, disk_bytes INTEGER NOT NULL, registered_ms INTEGER NOT NULL);
";

/// Every state a task can be in, in the order of its life; the last three it never leaves.
pub const TASK_STATES: [&str; 7] = [
    "pending",
    "starting",
    "running",
    "failing",
    "completed",
    "failed",
    "stopped",
];

fn db(e: rusqlite::Error) -> String {
    format!("task store: {e}")
}

impl Store {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, String> {
        let conn = Connection::open(path)
            .map_err(|e| format!("cannot open the task store {}: {e}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(|e| {
            format!(
                "{} is not a simctl task store (or is damaged): {e}",
                path.display()
            )
        })?;
        Ok(Store { conn })
    }

    /// Starts a transaction (every write until [`Store::commit`] lands together).
    pub fn begin(&self) -> Result<(), String> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(db)
    }

    /// Commits the transaction: durable once this returns.
    pub fn commit(&self) -> Result<(), String> {
        self.conn.execute_batch("COMMIT").map_err(db)
    }

    /// A counter of the `meta` table (0 when never set).
    pub fn counter(&self, key: &str) -> Result<u64, String> {
        let v: Option<i64> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(db)?;
        Ok(v.unwrap_or(0) as u64)
    }

    /// Sets a counter of the `meta` table.
    pub fn set_counter(&self, key: &str, value: u64) -> Result<(), String> {
        self.conn
            .execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value as i64],
            )
            .map(|_| ())
            .map_err(db)
    }

    /// Records a newly accepted task as pending.
    pub fn insert_task(
        &self,
        seq: u64,
        id: &str,
        def: &TaskDef,
        now_ms: u64,
    ) -> Result<(), String> {
        let spec = serde_json::to_string(def).map_err(|e| e.to_string())?;
        self.conn
            .execute(
                "INSERT INTO tasks(seq, id, name, spec, state, priority, submitted_ms, updated_ms)
                 VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?6)",
                params![seq as i64, id, def.name, spec, def.priority, now_ms as i64],
            )
            .map_err(db)?;
        self.history(id, now_ms, "pending", None, None, Some("submitted"))
    }

    /// Moves a task to `state` (on `node`, attempt `attempt`), with a history entry.
    pub fn set_state(
        &self,
        id: &str,
        state: &str,
        node: Option<&str>,
        attempt: Option<u32>,
        detail: Option<&str>,
        now_ms: u64,
    ) -> Result<(), String> {
        self.conn
            .execute(
                "UPDATE tasks SET state = ?2, node = COALESCE(?3, node), updated_ms = ?4,
                 attempts = MAX(attempts, COALESCE(?5, 0)) WHERE id = ?1",
                params![id, state, node, now_ms as i64, attempt],
            )
            .map_err(db)?;
        self.history(id, now_ms, state, node, attempt, detail)
    }

    fn history(
        &self,
        id: &str,
        now_ms: u64,
        state: &str,
        node: Option<&str>,
        attempt: Option<u32>,
        detail: Option<&str>,
    ) -> Result<(), String> {
        self.conn
            .execute(
                "INSERT INTO history(task, at_ms, state, node, attempt, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, now_ms as i64, state, node, attempt, detail],
            )
            .map(|_| ())
            .map_err(db)
    }

    /// Records a health-check result of a task's current launch.
    pub fn set_health(&self, id: &str, result: &str) -> Result<(), String> {
        self.conn
            .execute(
                "UPDATE tasks SET last_health = ?2 WHERE id = ?1",
                params![id, result],
            )
            .map(|_| ())
            .map_err(db)
    }

    /// Records a launch being sent to a worker.
    pub fn insert_launch(
        &self,
        launch: u64,
        task: &str,
        attempt: u32,
        node: &str,
        now_ms: u64,
    ) -> Result<(), String> {
        self.conn
            .execute(
                "INSERT INTO launches(launch, task, attempt, node, state, launched_ms)
                 VALUES (?1, ?2, ?3, ?4, 'starting', ?5)",
                params![launch as i64, task, attempt, node, now_ms as i64],
            )
            .map(|_| ())
            .map_err(db)
    }

    /// Updates a launch's state (`ended`: it is over, with `exit_code` if it exited).
    pub fn set_launch(
        &self,
        launch: u64,
        state: &str,
        exit_code: Option<i64>,
        ended: bool,
        now_ms: u64,
    ) -> Result<(), String> {
        self.conn
            .execute(
                "UPDATE launches SET state = ?2, exit_code = COALESCE(?3, exit_code),
                 ended_ms = CASE WHEN ?4 THEN COALESCE(ended_ms, ?5) ELSE ended_ms END
                 WHERE launch = ?1",
                params![launch as i64, state, exit_code, ended, now_ms as i64],
            )
            .map(|_| ())
            .map_err(db)
    }

    /// Records a worker's registration.
    pub fn upsert_worker(
        &self,
        name: &str,
        addr: &str,
        c: &Capacity,
        now_ms: u64,
    ) -> Result<(), String> {
        self.conn
            .execute(
                "INSERT INTO workers(name, addr, cpu_millis, memory_bytes, disk_bytes, registered_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(name) DO UPDATE SET addr = excluded.addr",
                params![
                    name,
                    addr,
                    c.cpu_millis as i64,
                    c.memory_bytes as i64,
                    c.disk_bytes as i64,
                    now_ms as i64
                ],
            )
            .map(|_| ())
            .map_err(db)
    }

    /// Every worker ever registered, in registration order.
    pub fn workers(&self) -> Result<Vec<StoredWorker>, String> {
        let mut st = self
            .conn
            .prepare(
                "SELECT name, addr, cpu_millis, memory_bytes, disk_bytes FROM workers
                 ORDER BY registered_ms, name",
            )
            .map_err(db)?;
        let rows = st
            .query_map([], |r| {
                Ok(StoredWorker {
                    name: r.get(0)?,
                    addr: r.get(1)?,
                    capacity: Capacity {
                        cpu_millis: r.get::<_, i64>(2)? as u64,
                        memory_bytes: r.get::<_, i64>(3)? as u64,
                        disk_bytes: r.get::<_, i64>(4)? as u64,
                    },
                })
            })
            .map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)
    }

    /// Every task that has not ended, in submission order, with its launch in progress.
    pub fn live_tasks(&self) -> Result<Vec<LiveTask>, String> {
        let mut st = self
            .conn
            .prepare(
                "SELECT t.seq, t.id, t.spec, t.attempts, t.submitted_ms,
                        (SELECT l.launch || ' ' || l.attempt || ' ' || l.node FROM launches l
                          WHERE l.task = t.id AND l.ended_ms IS NULL
                          ORDER BY l.launch DESC LIMIT 1)
                 FROM tasks t WHERE t.state NOT IN ('completed', 'failed', 'stopped')
                 ORDER BY t.seq",
            )
            .map_err(db)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })
            .map_err(db)?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, id, spec, attempts, submitted, launch) = row.map_err(db)?;
            let def: TaskDef = serde_json::from_str(&spec)
                .map_err(|e| format!("task store: task {id} has an unreadable spec: {e}"))?;
            let launch = launch.and_then(|l| {
                let mut p = l.splitn(3, ' ');
                let launch = p.next()?.parse().ok()?;
                let attempt = p.next()?.parse().ok()?;
                Some((launch, p.next()?.to_string(), attempt))
            });
            out.push(LiveTask {
                seq: seq as u64,
                id,
                def,
                attempts: attempts as u32,
                submitted_ms: submitted as u64,
                launch,
            });
        }
        Ok(out)
    }

    /// Tasks, newest first, optionally only those in `state`, at most `limit`.
    pub fn list(&self, state: Option<&str>, limit: u32) -> Result<Vec<TaskSummary>, String> {
        let mut st = self
            .conn
            .prepare(
                "SELECT id, name, state, node, attempts, priority, submitted_ms, updated_ms
                 FROM tasks WHERE (?1 IS NULL OR state = ?1) ORDER BY seq DESC LIMIT ?2",
            )
            .map_err(db)?;
        let rows = st
            .query_map(params![state, limit], summary_of)
            .map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)
    }

    /// Tasks per state.
    pub fn counts(&self) -> Result<Vec<(String, u64)>, String> {
        let mut st = self
            .conn
            .prepare("SELECT state, COUNT(*) FROM tasks GROUP BY state ORDER BY state")
            .map_err(db)?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
            .map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)
    }

    /// One task with its history and launches.
    pub fn task(&self, id: &str) -> Result<Option<TaskDetail>, String> {
        let row = self
            .conn
            .query_row(
                "SELECT id, name, state, node, attempts, priority, submitted_ms, updated_ms,
                        spec, last_health FROM tasks WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        summary_of(r)?,
                        r.get::<_, String>(8)?,
                        r.get::<_, Option<String>>(9)?,
                    ))
                },
            )
            .optional()
            .map_err(db)?;
        let Some((summary, spec, last_health)) = row else {
            return Ok(None);
        };
        let spec: TaskDef = serde_json::from_str(&spec).map_err(|e| e.to_string())?;
        let mut st = self
            .conn
            .prepare(
                "SELECT at_ms, state, node, attempt, detail FROM history WHERE task = ?1
                 ORDER BY rowid",
            )
            .map_err(db)?;
        let history = st
            .query_map([id], |r| {
                Ok(HistoryEntry {
                    at: rfc3339(r.get::<_, i64>(0)? as u64),
                    state: r.get(1)?,
                    node: r.get(2)?,
                    attempt: r.get(3)?,
                    detail: r.get(4)?,
                })
            })
            .map_err(db)?
            .collect::<Result<_, _>>()
            .map_err(db)?;
        let mut st = self
            .conn
            .prepare(
                "SELECT launch, attempt, node, state, exit_code, launched_ms, ended_ms
                 FROM launches WHERE task = ?1 ORDER BY launch",
            )
            .map_err(db)?;
        let launches = st
            .query_map([id], |r| {
                Ok(LaunchEntry {
                    launch: r.get::<_, i64>(0)? as u64,
                    attempt: r.get(1)?,
                    node: r.get(2)?,
                    state: r.get(3)?,
                    exit_code: r.get(4)?,
                    launched: rfc3339(r.get::<_, i64>(5)? as u64),
                    ended: r.get::<_, Option<i64>>(6)?.map(|m| rfc3339(m as u64)),
                })
            })
            .map_err(db)?
            .collect::<Result<_, _>>()
            .map_err(db)?;
        Ok(Some(TaskDetail {
            summary,
            spec,
            last_health,
            history,
            launches,
        }))
    }
}

fn summary_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<TaskSummary> {
    Ok(TaskSummary {
        id: r.get(0)?,
        name: r.get(1)?,
        state: r.get(2)?,
        node: r.get(3)?,
        attempts: r.get(4)?,
        priority: r.get(5)?,
        submitted: rfc3339(r.get::<_, i64>(6)? as u64),
        updated: rfc3339(r.get::<_, i64>(7)? as u64),
    })
}

/// Unix milliseconds as an RFC 3339 UTC time with milliseconds.
pub fn rfc3339(ms: u64) -> String {
    let secs = (ms / 1000) as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    // Civil date from days (Howard Hinnant's algorithm).
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::request::TaskRequest;

    #[test]
    fn times_round_trip_with_the_parser() {
        for ms in [
            0u64,
            1_796_292_000_500,
            951_782_400_000, /* 2000-02-29 */
        ] {
            let s = rfc3339(ms);
            assert_eq!(
                super::super::request::rfc3339_ms(&s).unwrap() as u64,
                ms,
                "{s}"
            );
        }
        assert_eq!(rfc3339(1_796_292_000_500), "2026-12-03T10:00:00.500Z");
    }

    #[test]
    fn tasks_survive_reopening_and_keep_their_history() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let def = TaskRequest {
            duration: Some(super::super::request::NumOrText::Num(5.0)),
            ..TaskRequest::default()
        }
        .validate(0)
        .unwrap();
        {
            let s = Store::open(&path).unwrap();
            s.begin().unwrap();
            s.insert_task(1, "t1", &def, 1000).unwrap();
            s.insert_task(2, "t2", &def, 1001).unwrap();
            s.insert_launch(7, "t1", 1, "w1", 1100).unwrap();
            s.set_state("t1", "running", Some("w1"), Some(1), None, 1200)
                .unwrap();
            s.set_state("t2", "completed", Some("w1"), Some(1), None, 1300)
                .unwrap();
            s.set_counter("next_launch", 8).unwrap();
            s.commit().unwrap();
            s.begin().unwrap();
            s.insert_task(3, "t3", &def, 1400).unwrap();
            // Never committed: lost, as the API never answered for it.
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.counter("next_launch").unwrap(), 8);
        let live = s.live_tasks().unwrap();
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].id, "t1");
        assert_eq!(live[0].launch, Some((7, "w1".to_string(), 1)));
        let d = s.task("t1").unwrap().unwrap();
        let states: Vec<&str> = d.history.iter().map(|h| h.state.as_str()).collect();
        assert_eq!(states, ["pending", "running"]);
        assert_eq!(d.summary.attempts, 1);
        assert_eq!(s.list(Some("completed"), 10).unwrap().len(), 1);
        assert!(s.task("t3").unwrap().is_none());
    }
}

//! The files through which an agent and its fence talk: `agent.pid` (which process is the
//! agent, with its start time so a reused pid is not mistaken for it) and `lease` (when the last
//! heartbeat that the manager acknowledged was sent). Both are written atomically (a temporary
//! file renamed over the old one), so a reader never sees half a file.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// The agent's pid file in the state directory.
pub const PID_FILE: &str = "agent.pid";
/// The lease file in the state directory.
pub const LEASE_FILE: &str = "lease";

/// A process, told apart from a later one with the same pid by its start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStamp {
    /// The process id.
    pub pid: u32,
    /// Its start time, clock ticks after boot (field 22 of `/proc/<pid>/stat`).
    pub start: u64,
}

impl ProcStamp {
    /// The stamp of process `pid`, or `None` when it does not exist or is a zombie (dead,
    /// waiting for its parent to reap it).
    pub fn of(pid: u32) -> Option<ProcStamp> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let (state, start) = parse_proc_stat(&text)?;
        (state != 'Z' && state != 'X').then_some(ProcStamp { pid, start })
    }

    /// Whether this very process (same pid, same start time) still lives.
    pub fn alive(&self) -> bool {
        ProcStamp::of(self.pid) == Some(*self)
    }
}

/// The state letter and start time in a `/proc/<pid>/stat` line. The command name (field 2) is
/// in parentheses and may hold spaces and parentheses, so fields are counted after the last `)`.
pub fn parse_proc_stat(text: &str) -> Option<(char, u64)> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: field 3 (state) is fields[0], field 22 (starttime) is fields[19].
    let state = fields.first()?.chars().next()?;
    let start = fields.get(19)?.parse().ok()?;
    Some((state, start))
}

/// Writes `text` to `dir/name` atomically.
pub fn write_atomic(dir: &Path, name: &str, text: &str) -> std::io::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, dir.join(name))
}

/// Records `stamp` as the agent of state directory `dir`.
pub fn write_pid_file(dir: &Path, stamp: ProcStamp) -> std::io::Result<()> {
    write_atomic(dir, PID_FILE, &format!("{} {}\n", stamp.pid, stamp.start))
}

/// The agent recorded in `dir`, if the file is there and well formed.
pub fn read_pid_file(dir: &Path) -> Option<ProcStamp> {
    let text = std::fs::read_to_string(dir.join(PID_FILE)).ok()?;
    let mut it = text.split_whitespace();
    let pid = it.next()?.parse().ok()?;
    let start = it.next()?.parse().ok()?;
    Some(ProcStamp { pid, start })
}

/// Records that a heartbeat sent at `sent_ms` (milliseconds since the epoch) was acknowledged.
pub fn write_lease(dir: &Path, sent_ms: u64) -> std::io::Result<()> {
    write_atomic(dir, LEASE_FILE, &format!("{sent_ms}\n"))
}

/// The send time of the last acknowledged heartbeat, if any was recorded.
pub fn read_lease(dir: &Path) -> Option<u64> {
    std::fs::read_to_string(dir.join(LEASE_FILE))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Milliseconds since the Unix epoch now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_fields_are_counted_after_the_name() {
        let line =
            "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 987654 1000 10";
        assert_eq!(parse_proc_stat(line), Some(('S', 987654)));
        assert_eq!(parse_proc_stat("12 (x) R 1"), None);
        let me = ProcStamp::of(std::process::id()).unwrap();
        assert!(me.alive());
        assert!(
            !ProcStamp {
                start: me.start + 1,
                ..me
            }
            .alive(),
            "a reused pid is another process"
        );
    }

    #[test]
    fn pid_and_lease_files_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_pid_file(dir.path()), None);
        assert_eq!(read_lease(dir.path()), None);
        let s = ProcStamp { pid: 7, start: 99 };
        write_pid_file(dir.path(), s).unwrap();
        write_lease(dir.path(), 1234).unwrap();
        write_lease(dir.path(), 5678).unwrap();
        assert_eq!(read_pid_file(dir.path()), Some(s));
        assert_eq!(read_lease(dir.path()), Some(5678));
    }
}

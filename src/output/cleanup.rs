//! Removing run records, and nothing else. A results directory may be a directory the user also
//! keeps other files in (`output.dir = "."`), and its `.runs/` may hold files simctl did not write:
//! only files whose name is a run record's, task part's or their temporaries' *and* whose content is
//! what simctl writes there are deleted, and `.runs/` itself only once it is empty.

use std::path::Path;

use crate::output::record::{RunRecord, RUNS_DIR};
use crate::output::tasks::HEADER as TASKS_HEADER;

/// What [`clear_records`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleared {
    /// Files removed.
    pub removed: usize,
    /// Files left in `.runs/` because simctl did not write them (names, sorted).
    pub kept: Vec<String>,
}

/// Which of simctl's files a name in `.runs/` would be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `run-NNNNNN.json`.
    Record,
    /// `run-NNNNNN.tasks.csv`.
    TaskPart,
    /// `.run-NNNNNN.json.tmp-PID`, left by a write that was killed.
    Temporary,
}

fn run_number(text: &str) -> bool {
    text.len() >= 6 && text.bytes().all(|b| b.is_ascii_digit())
}

fn kind(name: &str) -> Option<Kind> {
    if let Some(rest) = name.strip_prefix(".run-") {
        let (file, pid) = rest.split_once(".json.tmp-")?;
        return (run_number(file) && run_number_or_pid(pid)).then_some(Kind::Temporary);
    }
    let rest = name.strip_prefix("run-")?;
    if let Some(n) = rest.strip_suffix(".tasks.csv") {
        return run_number(n).then_some(Kind::TaskPart);
    }
    rest.strip_suffix(".json")
        .filter(|n| run_number(n))
        .map(|_| Kind::Record)
}

fn run_number_or_pid(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// Whether the file at `path` has the content simctl writes under that kind of name.
fn is_ours(path: &Path, kind: Kind) -> bool {
    match kind {
        // Records are written atomically: a file that does not parse is not one of ours.
        Kind::Record => std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice::<RunRecord>(&b).ok())
            .is_some(),
        // Task parts are tasks.csv rows without the header: every line has the header's field count
        // (the only text fields, scheduler names, are quoted when they hold commas).
        Kind::TaskPart => first_line(path).is_some_and(|line| {
            line.is_empty() || csv_fields(&line) == TASKS_HEADER.split(',').count()
        }),
        // A temporary is a record cut short: its name alone (with a process id) is ours.
        Kind::Temporary => true,
    }
}

fn first_line(path: &Path) -> Option<String> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).ok()?;
    let mut line = String::new();
    std::io::BufReader::new(file).read_line(&mut line).ok()?;
    Some(line.trim_end_matches(['\n', '\r']).to_string())
}

fn csv_fields(line: &str) -> usize {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes())
        .records()
        .next()
        .and_then(Result::ok)
        .map_or(0, |r| r.len())
}

/// Deletes the run records (and task parts, and temporaries of interrupted writes) in `dir/.runs/`,
/// then `.runs/` itself if nothing else is left in it. A missing `.runs/` is not an error.
pub fn clear_records(dir: &Path) -> std::io::Result<Cleared> {
    let runs = dir.join(RUNS_DIR);
    let entries = match std::fs::read_dir(&runs) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Cleared::default()),
        Err(e) => return Err(with_path(e, &runs)),
    };
    let mut cleared = Cleared::default();
    for entry in entries {
        let entry = entry.map_err(|e| with_path(e, &runs))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let file = entry.file_type().is_ok_and(|t| t.is_file());
        match kind(&name).filter(|k| file && is_ours(&path, *k)) {
            Some(_) => {
                std::fs::remove_file(&path).map_err(|e| with_path(e, &path))?;
                cleared.removed += 1;
            }
            None => cleared.kept.push(name),
        }
    }
    cleared.kept.sort();
    if cleared.kept.is_empty() {
        std::fs::remove_dir(&runs).map_err(|e| with_path(e, &runs))?;
    }
    Ok(cleared)
}

fn with_path(e: std::io::Error, path: &Path) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_simctl_files_are_recognised_and_others_are_not() {
        assert_eq!(kind("run-000012.json"), Some(Kind::Record));
        assert_eq!(kind("run-1234567.json"), Some(Kind::Record));
        assert_eq!(kind("run-000012.tasks.csv"), Some(Kind::TaskPart));
        assert_eq!(kind(".run-000012.json.tmp-4711"), Some(Kind::Temporary));
        for other in [
            "run-12.json",
            "run-00001x.json",
            "notes.txt",
            "run-000012.json.bak",
            ".run-000012.json.tmp-",
            "my-run-000012.json",
        ] {
            assert_eq!(kind(other), None, "{other}");
        }
    }

    #[test]
    fn clearing_keeps_foreign_files_and_the_directory_holding_them() {
        let tmp = tempfile::tempdir().unwrap();
        let runs = tmp.path().join(RUNS_DIR);
        std::fs::create_dir(&runs).unwrap();
        // Right names, wrong content: a user's files, not ours.
        std::fs::write(runs.join("run-000001.json"), "{\"mine\": true}").unwrap();
        std::fs::write(runs.join("run-000001.tasks.csv"), "a,b\n").unwrap();
        std::fs::write(runs.join("notes.txt"), "keep me").unwrap();
        // Ours: a task part (21 fields) and an interrupted write's temporary.
        let row = vec!["x"; TASKS_HEADER.split(',').count()].join(",");
        std::fs::write(runs.join("run-000002.tasks.csv"), format!("{row}\n")).unwrap();
        std::fs::write(runs.join(".run-000003.json.tmp-99"), "{\"ind").unwrap();
        let cleared = clear_records(tmp.path()).unwrap();
        assert_eq!(cleared.removed, 2);
        assert_eq!(
            cleared.kept,
            vec!["notes.txt", "run-000001.json", "run-000001.tasks.csv"]
        );
        assert_eq!(
            std::fs::read_to_string(runs.join("notes.txt")).unwrap(),
            "keep me"
        );
        // Nothing of ours left, nothing to do; an absent .runs/ is fine too.
        assert_eq!(clear_records(tmp.path()).unwrap().removed, 0);
        assert_eq!(
            clear_records(&tmp.path().join("absent")).unwrap(),
            Cleared::default()
        );
    }
}

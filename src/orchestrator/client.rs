//! The thin client of the manager's API (`simctl submit`, `simctl tasks`, `simctl stop`), for
//! people who would rather not use curl.

use std::path::Path;
use std::time::Duration;

use crate::http::Client;
use crate::orchestrator::store::{TaskDetail, TaskSummary};

/// A client of the manager at `url`, with the token of `token_file` if given.
pub fn connect(url: &str, token_file: Option<&Path>) -> Result<Client, String> {
    let token = token_file
        .map(crate::orchestrator::manager::read_token)
        .transpose()?;
    Client::new(url, token, Duration::from_secs(30)).map_err(|e| format!("--manager: {e}"))
}

/// The tasks of a submission file: a TOML (or, with a `.json` name, JSON) file holding one task's
/// fields at the top level, or a `[[task]]` list of them.
pub fn read_tasks(path: &Path) -> Result<Vec<serde_json::Value>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value: serde_json::Value = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
    } else {
        let t: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| format!("{}: {e}", path.display()))?;
        serde_json::to_value(t).map_err(|e| format!("{}: {e}", path.display()))?
    };
    let tasks = match value {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(mut o) if o.contains_key("task") => match o.remove("task") {
            Some(serde_json::Value::Array(a)) if o.is_empty() => a,
            _ => {
                return Err(format!(
                    "{}: expected only [[task]] tables (or one task's fields at the top level)",
                    path.display()
                ))
            }
        },
        other => vec![other],
    };
    if tasks.is_empty() {
        return Err(format!("{}: no task in the file", path.display()));
    }
    // Check locally first, so a bad file is refused before anything is submitted.
    for (i, t) in tasks.iter().enumerate() {
        let r: crate::orchestrator::request::TaskRequest = serde_json::from_value(t.clone())
            .map_err(|e| format!("{}: task {}: {e}", path.display(), i + 1))?;
        r.validate(crate::orchestrator::manager::state::unix_ms())
            .map_err(|e| {
                format!(
                    "{}: task {}: {}: {}",
                    path.display(),
                    i + 1,
                    e.field,
                    e.message
                )
            })?;
    }
    Ok(tasks)
}

/// Submits every task of `path`; returns the lines to print (`id state`).
pub fn submit(client: &Client, path: &Path) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for t in read_tasks(path)? {
        let v: serde_json::Value = client.call("POST", "/tasks", Some(&t))?;
        out.push(format!(
            "{} {}",
            v["id"].as_str().unwrap_or("?"),
            v["state"].as_str().unwrap_or("?")
        ));
    }
    Ok(out)
}

/// A table of tasks (`simctl tasks`).
pub fn list(client: &Client, state: Option<&str>) -> Result<String, String> {
    let path = match state {
        Some(s) => format!("/tasks?state={s}"),
        None => "/tasks".to_string(),
    };
    let tasks: Vec<TaskSummary> = client.call("GET", &path, None)?;
    let mut s = format!(
        "{:<10} {:<10} {:<24} {:>8}  {}\n",
        "ID", "STATE", "NODE", "ATTEMPTS", "NAME"
    );
    for t in tasks {
        s += &format!(
            "{:<10} {:<10} {:<24} {:>8}  {}\n",
            t.id,
            t.state,
            t.node.as_deref().unwrap_or("-"),
            t.attempts,
            t.name.as_deref().unwrap_or("")
        );
    }
    Ok(s)
}

/// One task with its history (`simctl tasks ID`).
pub fn show(client: &Client, id: &str) -> Result<String, String> {
    check_id(id)?;
    let t: TaskDetail = client.call("GET", &format!("/tasks/{id}"), None)?;
    let mut s = format!(
        "{} {} on {} after {} attempt(s)\n",
        t.summary.id,
        t.summary.state,
        t.summary.node.as_deref().unwrap_or("-"),
        t.summary.attempts
    );
    for h in &t.history {
        s += &format!(
            "  {}  {:<10} {:<20} {}\n",
            h.at,
            h.state,
            h.node.as_deref().unwrap_or(""),
            h.detail.as_deref().unwrap_or("")
        );
    }
    Ok(s)
}

/// Stops a task (`simctl stop ID`).
pub fn stop(client: &Client, id: &str) -> Result<String, String> {
    check_id(id)?;
    let t: TaskSummary = client.call("DELETE", &format!("/tasks/{id}"), None)?;
    Ok(format!("{} {}", t.id, t.state))
}

fn check_id(id: &str) -> Result<(), String> {
    if crate::orchestrator::request::is_token(id) {
        Ok(())
    } else {
        Err(format!("\"{id}\" is not a task id (like t17)"))
    }
}

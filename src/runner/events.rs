//! Typed container events from the lines of `docker events --format '{{json .}}'`. The engine
//! reports an out-of-memory kill as a separate `oom` event before the `die`; [`OomTracker`] folds
//! it into the `die` so the driver sees one exit with `oom = true`.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;

use super::spec::{LABEL_ATTEMPT, LABEL_NODE, LABEL_RUN, LABEL_TASK};

/// What happened to a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// Created (not yet started).
    Created,
    /// Its process started.
    Started,
    /// Its process exited.
    Died {
        /// The exit status (137 after SIGKILL).
        exit_code: i32,
        /// Whether the kernel's OOM killer ended it (set by [`OomTracker`]).
        oom: bool,
    },
    /// A signal was sent to it (`docker kill`).
    Killed {
        /// The signal number.
        signal: i32,
    },
    /// The OOM killer hit it (a `die` follows).
    OutOfMemory,
    /// The image's HEALTHCHECK changed state.
    Health {
        /// Healthy or not.
        healthy: bool,
    },
    /// Removed.
    Destroyed,
    /// Any other action (kept by name, e.g. `attach`, `resize`).
    Other(String),
}

/// One container event with the container's simctl labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerEvent {
    /// The full container id.
    pub id: String,
    /// The container's name.
    pub name: String,
    /// The engine's time of the event, nanoseconds since the Unix epoch.
    pub time_nanos: i64,
    /// What happened.
    pub kind: EventKind,
    /// The `simctl.run` label.
    pub run: Option<String>,
    /// The `simctl.node` label.
    pub node: Option<String>,
    /// The `simctl.task` label.
    pub task: Option<u64>,
    /// The `simctl.attempt` label.
    pub attempt: Option<u32>,
}

#[derive(Deserialize)]
struct RawEvent {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "Action")]
    action: String,
    #[serde(rename = "Actor")]
    actor: RawActor,
    #[serde(rename = "timeNano")]
    time_nano: i64,
}

#[derive(Deserialize)]
struct RawActor {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "Attributes", default)]
    attributes: BTreeMap<String, String>,
}

fn int_attr(attrs: &BTreeMap<String, String>, key: &str, action: &str) -> Result<i32, String> {
    let v = attrs
        .get(key)
        .ok_or_else(|| format!("\"{action}\" event without its \"{key}\" attribute"))?;
    v.parse()
        .map_err(|_| format!("\"{action}\" event: \"{key}\" is not an integer: \"{v}\""))
}

fn kind_of(action: &str, attrs: &BTreeMap<String, String>) -> Result<EventKind, String> {
    Ok(match action {
        "create" => EventKind::Created,
        "start" => EventKind::Started,
        "die" => EventKind::Died {
            exit_code: int_attr(attrs, "exitCode", action)?,
            oom: false,
        },
        "kill" => EventKind::Killed {
            signal: int_attr(attrs, "signal", action)?,
        },
        "oom" => EventKind::OutOfMemory,
        "destroy" => EventKind::Destroyed,
        "health_status: healthy" => EventKind::Health { healthy: true },
        "health_status: unhealthy" => EventKind::Health { healthy: false },
        other => EventKind::Other(other.to_string()),
    })
}

/// Parses one line of `docker events --format '{{json .}}'`. Events about anything but a
/// container (images, networks) are `Ok(None)`; a line that is not an event is an error saying
/// what is wrong.
pub fn parse_event_line(line: &str) -> Result<Option<ContainerEvent>, String> {
    let raw: RawEvent = serde_json::from_str(line)
        .map_err(|e| format!("not a docker event ({e}): {}", truncate(line)))?;
    if raw.kind != "container" {
        return Ok(None);
    }
    let attrs = &raw.actor.attributes;
    let kind = kind_of(&raw.action, attrs)?;
    Ok(Some(ContainerEvent {
        id: raw.actor.id,
        name: attrs.get("name").cloned().unwrap_or_default(),
        time_nanos: raw.time_nano,
        kind,
        run: attrs.get(LABEL_RUN).cloned(),
        node: attrs.get(LABEL_NODE).cloned(),
        task: attrs.get(LABEL_TASK).and_then(|v| v.parse().ok()),
        attempt: attrs.get(LABEL_ATTEMPT).and_then(|v| v.parse().ok()),
    }))
}

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(120) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Remembers which containers had an `oom` event and marks their `die` as an OOM kill.
#[derive(Debug, Default)]
pub struct OomTracker {
    oom: HashSet<String>,
}

impl OomTracker {
    /// Passes `event` through, with `oom = true` on the `die` of a container seen OOM-killed.
    pub fn fold(&mut self, mut event: ContainerEvent) -> ContainerEvent {
        match &mut event.kind {
            EventKind::OutOfMemory => {
                self.oom.insert(event.id.clone());
            }
            EventKind::Died { oom, .. } => *oom = self.oom.remove(&event.id),
            _ => {}
        }
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines captured from the real engine (Docker 20.10.24) on this project's machine: a burn
    /// container's life, a kill, and an OOM kill.
    const FIXTURE: &str = include_str!("../../tests/fixtures/docker_events.jsonl");

    fn parsed() -> Vec<ContainerEvent> {
        FIXTURE
            .lines()
            .filter(|l| !l.trim().is_empty())
            .filter_map(|l| parse_event_line(l).unwrap())
            .collect()
    }

    #[test]
    fn captured_lines_parse_into_typed_events_with_labels() {
        let events = parsed();
        let start = events
            .iter()
            .find(|e| e.kind == EventKind::Started)
            .unwrap();
        assert_eq!(start.run.as_deref(), Some("fixture"));
        assert_eq!(start.node.as_deref(), Some("node-0"));
        assert_eq!(start.task, Some(1));
        assert_eq!(start.attempt, Some(1));
        assert!(start.time_nanos > 1_700_000_000_000_000_000);
        assert!(events.iter().any(|e| e.kind
            == EventKind::Died {
                exit_code: 3,
                oom: false
            }));
        assert!(events
            .iter()
            .any(|e| e.kind == EventKind::Killed { signal: 9 }));
        assert!(events.iter().any(|e| e.kind == EventKind::OutOfMemory));
        assert!(events.iter().any(|e| e.kind == EventKind::Destroyed));
    }

    #[test]
    fn oom_event_marks_the_following_die() {
        let mut tracker = OomTracker::default();
        let folded: Vec<_> = parsed().into_iter().map(|e| tracker.fold(e)).collect();
        let oom_id = &folded
            .iter()
            .find(|e| e.kind == EventKind::OutOfMemory)
            .unwrap()
            .id;
        let die = folded
            .iter()
            .find(|e| &e.id == oom_id && matches!(e.kind, EventKind::Died { .. }))
            .unwrap();
        assert!(matches!(die.kind, EventKind::Died { oom: true, .. }));
        // Every other die is a plain exit.
        let plain = folded
            .iter()
            .filter(|e| &e.id != oom_id && matches!(e.kind, EventKind::Died { oom: true, .. }))
            .count();
        assert_eq!(plain, 0);
    }

    #[test]
    fn health_actions_and_non_container_events() {
        let line = r#"{"Type":"container","Action":"health_status: unhealthy","Actor":{"ID":"abc","Attributes":{"name":"x"}},"timeNano":1}"#;
        let e = parse_event_line(line).unwrap().unwrap();
        assert_eq!(e.kind, EventKind::Health { healthy: false });
        assert_eq!(e.run, None);
        let image = r#"{"Type":"image","Action":"tag","Actor":{"ID":"sha256:1","Attributes":{}},"timeNano":1}"#;
        assert_eq!(parse_event_line(image).unwrap(), None);
    }

    #[test]
    fn malformed_lines_say_what_is_wrong() {
        let err = parse_event_line("Error response from daemon").unwrap_err();
        assert!(err.contains("not a docker event"), "{err}");
        let no_code = r#"{"Type":"container","Action":"die","Actor":{"ID":"a","Attributes":{}},"timeNano":1}"#;
        let err = parse_event_line(no_code).unwrap_err();
        assert!(err.contains("exitCode"), "{err}");
    }
}

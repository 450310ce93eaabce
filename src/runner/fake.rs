//! An in-memory [`ContainerRuntime`] for unit tests: containers are records, a start emits
//! `create` and `start` events, a kill emits `kill` and `die` (exit 137), and `exit` lets a test
//! end a container with any status. Specs are validated exactly as the real runtime does.

use std::collections::BTreeMap;
use std::sync::mpsc::Sender;
use std::sync::{mpsc, Mutex};

use super::error::RuntimeError;
use super::events::{ContainerEvent, EventKind};
use super::runtime::{ContainerRuntime, ContainerSummary, EventStream};
use super::spec::{ContainerSpec, LABEL_RUN};

#[derive(Default)]
struct State {
    containers: BTreeMap<String, (ContainerSpec, bool)>,
    watchers: Vec<(String, Sender<Result<ContainerEvent, String>>)>,
    next_id: u64,
    clock: i64,
}

/// A fake engine; `foreign` containers (without simctl labels) can be added to test cleanup.
#[derive(Default)]
pub struct FakeRuntime {
    state: Mutex<State>,
}

impl State {
    fn emit(&mut self, id: &str, kind: EventKind) {
        self.clock += 1;
        let Some((spec, _)) = self.containers.get(id) else {
            return;
        };
        let label = |k: &str| spec.labels.get(k).cloned();
        let event = ContainerEvent {
            id: id.to_string(),
            name: spec.name.clone(),
            time_nanos: self.clock,
            kind,
            run: label(LABEL_RUN),
            node: label(super::spec::LABEL_NODE),
            task: label(super::spec::LABEL_TASK).and_then(|v| v.parse().ok()),
            attempt: label(super::spec::LABEL_ATTEMPT).and_then(|v| v.parse().ok()),
        };
        self.watchers.retain(|(run, tx)| {
            Some(run) != event.run.as_ref() || tx.send(Ok(event.clone())).is_ok()
        });
    }
}

impl FakeRuntime {
    /// Adds a container that simctl did not create (any labels), returning its id.
    pub fn add_foreign(&self, name: &str, labels: BTreeMap<String, String>) -> String {
        let mut s = self.state.lock().unwrap();
        s.next_id += 1;
        let id = format!("foreign{}", s.next_id);
        let spec = ContainerSpec {
            name: name.into(),
            image: "foreign:1".into(),
            args: vec![],
            cpus: 1.0,
            memory_bytes: 0,
            labels,
            network: super::spec::Network::None,
            publish: vec![],
            env: Default::default(),
        };
        s.containers.insert(id.clone(), (spec, false));
        id
    }

    /// Ends running container `id` with `exit_code`, emitting its `die` event.
    pub fn exit(&self, id: &str, exit_code: i32) {
        let mut s = self.state.lock().unwrap();
        if let Some((_, running)) = s.containers.get_mut(id) {
            if std::mem::take(running) {
                s.emit(
                    id,
                    EventKind::Died {
                        exit_code,
                        oom: false,
                    },
                );
            }
        }
    }

    /// The ids of every container the fake holds.
    pub fn ids(&self) -> Vec<String> {
        self.state
            .lock()
            .unwrap()
            .containers
            .keys()
            .cloned()
            .collect()
    }
}

impl ContainerRuntime for FakeRuntime {
    fn start(&self, spec: &ContainerSpec) -> Result<String, RuntimeError> {
        spec.validate()?;
        let mut s = self.state.lock().unwrap();
        if s.containers.values().any(|(c, _)| c.name == spec.name) {
            return Err(RuntimeError::Command {
                command: "run -d".into(),
                status: 125,
                stderr: format!("the container name \"{}\" is already in use", spec.name),
            });
        }
        s.next_id += 1;
        let id = format!("fake{:04}", s.next_id);
        s.containers.insert(id.clone(), (spec.clone(), true));
        s.emit(&id, EventKind::Created);
        s.emit(&id, EventKind::Started);
        Ok(id)
    }

    fn kill(&self, id: &str) -> Result<(), RuntimeError> {
        let mut s = self.state.lock().unwrap();
        match s.containers.get_mut(id) {
            Some((_, running)) if *running => {
                *running = false;
                s.emit(id, EventKind::Killed { signal: 9 });
                s.emit(
                    id,
                    EventKind::Died {
                        exit_code: 137,
                        oom: false,
                    },
                );
                Ok(())
            }
            _ => Err(RuntimeError::Command {
                command: "kill".into(),
                status: 1,
                stderr: format!("container {id} is not running"),
            }),
        }
    }

    fn remove(&self, id: &str) -> Result<(), RuntimeError> {
        let mut s = self.state.lock().unwrap();
        if !s.containers.contains_key(id) {
            return Err(RuntimeError::Command {
                command: "rm --force".into(),
                status: 1,
                stderr: format!("No such container: {id}"),
            });
        }
        if s.containers[id].1 {
            s.emit(
                id,
                EventKind::Died {
                    exit_code: 137,
                    oom: false,
                },
            );
        }
        s.emit(id, EventKind::Destroyed);
        s.containers.remove(id);
        Ok(())
    }

    fn list(&self, key: &str, value: Option<&str>) -> Result<Vec<ContainerSummary>, RuntimeError> {
        let s = self.state.lock().unwrap();
        Ok(s.containers
            .iter()
            .filter(|(_, (c, _))| match (c.labels.get(key), value) {
                (Some(v), Some(want)) => v == want,
                (Some(_), None) => true,
                (None, _) => false,
            })
            .map(|(id, (c, _))| ContainerSummary {
                id: id.clone(),
                name: c.name.clone(),
                labels: c.labels.clone(),
            })
            .collect())
    }

    fn events(&self, run_id: &str) -> Result<EventStream, RuntimeError> {
        super::spec::check_token("run id", run_id)?;
        let (tx, rx) = mpsc::channel();
        self.state
            .lock()
            .unwrap()
            .watchers
            .push((run_id.to_string(), tx));
        Ok(EventStream::new(rx, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn spec(run: &str, task: u64) -> ContainerSpec {
        let mut s = ContainerSpec::for_attempt(run, "n0", task, 1, "img:1");
        s.cpus = 1.0;
        s.memory_bytes = 64 << 20;
        s
    }

    #[test]
    fn events_follow_the_lifecycle_of_the_watched_run_only() {
        let rt = FakeRuntime::default();
        let events = rt.events("r1").unwrap();
        let a = rt.start(&spec("r1", 1)).unwrap();
        let other = rt.start(&spec("r2", 1)).unwrap();
        rt.exit(&other, 0);
        rt.exit(&a, 3);
        let b = rt.start(&spec("r1", 2)).unwrap();
        rt.kill(&b).unwrap();
        let t = Duration::from_millis(10);
        let mut kinds = Vec::new();
        while let Some(e) = events.next_timeout(t).unwrap() {
            assert_eq!(e.run.as_deref(), Some("r1"));
            kinds.push((e.task.unwrap(), e.kind));
        }
        use EventKind::*;
        assert_eq!(
            kinds,
            vec![
                (1, Created),
                (1, Started),
                (
                    1,
                    Died {
                        exit_code: 3,
                        oom: false
                    }
                ),
                (2, Created),
                (2, Started),
                (2, Killed { signal: 9 }),
                (
                    2,
                    Died {
                        exit_code: 137,
                        oom: false
                    }
                ),
            ]
        );
    }

    #[test]
    fn invalid_specs_and_duplicate_names_are_refused() {
        let rt = FakeRuntime::default();
        let mut bad = spec("r1", 1);
        bad.cpus = 0.0;
        assert!(matches!(rt.start(&bad), Err(RuntimeError::InvalidSpec(_))));
        rt.start(&spec("r1", 1)).unwrap();
        assert!(rt.start(&spec("r1", 1)).is_err());
    }
}

//! Removing what simctl created, and nothing else: containers are found by their `simctl.run`
//! label and each one's labels are checked again before removal (so an engine that ignored the
//! filter could still not make simctl remove a foreign container).

use super::docker::DockerCli;
use super::error::RuntimeError;
use super::runtime::ContainerRuntime;
use super::spec::{check_token, LABEL_RUN};

/// Label on the images simctl builds ([`super::image`]).
pub const LABEL_IMAGE: &str = "simctl.image";

/// Which containers to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every container of every simctl run, except those of orchestrator workers (labelled
    /// `simctl.worker`): they are live work that a worker agent manages, removed only when named
    /// with [`Scope::Run`] (a worker's run id is its name).
    AllRuns,
    /// The containers of one run.
    Run(String),
}

/// Removes the containers in `scope` and returns the names removed. Every container whose
/// removal fails is reported in the error, after the others have been removed.
pub fn clean_containers(
    rt: &dyn ContainerRuntime,
    scope: &Scope,
) -> Result<Vec<String>, RuntimeError> {
    let want = match scope {
        Scope::AllRuns => None,
        Scope::Run(id) => {
            check_token("run id", id)?;
            Some(id.as_str())
        }
    };
    let mut removed = Vec::new();
    let mut failures = Vec::new();
    for c in rt.list(LABEL_RUN, want)? {
        let ours = match (c.labels.get(LABEL_RUN), want) {
            (Some(run), Some(w)) => run == w,
            (Some(run), None) => {
                !run.is_empty()
                    && !c
                        .labels
                        .contains_key(crate::orchestrator::wire::LABEL_WORKER)
            }
            (None, _) => false,
        };
        if !ours {
            continue;
        }
        match rt.remove(&c.id) {
            Ok(()) => removed.push(c.name),
            Err(e) => failures.push(format!("{}: {e}", c.name)),
        }
    }
    if failures.is_empty() {
        Ok(removed)
    } else {
        Err(RuntimeError::Cleanup(format!(
            "could not remove {} container(s): {}",
            failures.len(),
            failures.join("; ")
        )))
    }
}

/// Removes every image labelled `simctl.image=true` (after their containers are gone) and
/// returns their tags or ids. An image that cannot be removed (still used by a container that
/// simctl did not create) is reported in the error, after the others have been removed.
pub fn clean_images(docker: &DockerCli) -> Result<Vec<String>, RuntimeError> {
    let out = docker.run(&[
        "images",
        "--no-trunc",
        "--filter",
        &format!("label={LABEL_IMAGE}=true"),
        "--format",
        "{{.ID}}\t{{.Repository}}:{{.Tag}}",
    ])?;
    let mut removed = Vec::new();
    let mut failures = Vec::new();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let (id, name) = line.split_once('\t').unwrap_or((line, line));
        let label = docker.run(&[
            "image",
            "inspect",
            "--format",
            &format!("{{{{index .Config.Labels \"{LABEL_IMAGE}\"}}}}"),
            id,
        ])?;
        if label.trim() != "true" {
            continue;
        }
        // By name when tagged, so that an image also tagged otherwise keeps its other tags.
        let target = if name.contains("<none>") { id } else { name };
        match docker.run(&["rmi", target]) {
            Ok(_) => removed.push(target.to_string()),
            Err(e) => failures.push(format!("{target}: {e}")),
        }
    }
    if failures.is_empty() {
        Ok(removed)
    } else {
        Err(RuntimeError::Cleanup(format!(
            "could not remove {} image(s): {}",
            failures.len(),
            failures.join("; ")
        )))
    }
}

/// Removes one run's containers when dropped (on success, error or panic), so that a run or a
/// test never leaves its containers behind.
pub struct RunGuard<'a> {
    rt: &'a dyn ContainerRuntime,
    run_id: String,
}

impl<'a> RunGuard<'a> {
    /// Guards run `run_id`'s containers in `rt`.
    pub fn new(rt: &'a dyn ContainerRuntime, run_id: &str) -> Self {
        RunGuard {
            rt,
            run_id: run_id.to_string(),
        }
    }
}

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        if let Err(e) = clean_containers(self.rt, &Scope::Run(self.run_id.clone())) {
            eprintln!("warning: cleaning run {}: {e}", self.run_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::fake::FakeRuntime;
    use crate::runner::spec::ContainerSpec;
    use std::collections::BTreeMap;

    fn start(rt: &FakeRuntime, run: &str, task: u64) -> String {
        let mut s = ContainerSpec::for_attempt(run, "n0", task, 1, "img:1");
        s.cpus = 1.0;
        s.memory_bytes = 64 << 20;
        rt.start(&s).unwrap()
    }

    #[test]
    fn clean_removes_simctl_containers_and_never_foreign_ones() {
        let rt = FakeRuntime::default();
        let foreign = rt.add_foreign("db", BTreeMap::from([("app".into(), "db".into())]));
        // An empty simctl.run label is not a simctl run.
        let odd = rt.add_foreign("odd", BTreeMap::from([(LABEL_RUN.into(), String::new())]));
        start(&rt, "r1", 1);
        start(&rt, "r2", 1);
        let removed = clean_containers(&rt, &Scope::AllRuns).unwrap();
        assert_eq!(removed, vec!["simctl-r1-t1-a1", "simctl-r2-t1-a1"]);
        let mut left = rt.ids();
        left.sort();
        assert_eq!(left, vec![foreign, odd]);
    }

    #[test]
    fn a_worker_agents_containers_are_removed_only_by_name() {
        let rt = FakeRuntime::default();
        let mut s = ContainerSpec::for_attempt("w1", "w1", 7, 1, "img:1");
        s.cpus = 1.0;
        s.memory_bytes = 64 << 20;
        s.labels
            .insert(crate::orchestrator::wire::LABEL_WORKER.into(), "w1".into());
        let live = rt.start(&s).unwrap();
        start(&rt, "r1", 1);
        assert_eq!(
            clean_containers(&rt, &Scope::AllRuns).unwrap(),
            vec!["simctl-r1-t1-a1"]
        );
        assert_eq!(rt.ids(), vec![live]);
        assert_eq!(
            clean_containers(&rt, &Scope::Run("w1".into())).unwrap(),
            vec!["simctl-w1-t7-a1"]
        );
    }

    #[test]
    fn run_scope_removes_only_that_run() {
        let rt = FakeRuntime::default();
        start(&rt, "r1", 1);
        start(&rt, "r1", 2);
        let keep = start(&rt, "r2", 1);
        let removed = clean_containers(&rt, &Scope::Run("r1".into())).unwrap();
        assert_eq!(removed.len(), 2);
        assert_eq!(rt.ids(), vec![keep]);
        assert!(clean_containers(&rt, &Scope::Run("a b".into())).is_err());
    }

    #[test]
    fn run_guard_cleans_its_run_even_on_panic() {
        let rt = FakeRuntime::default();
        let keep = start(&rt, "other", 1);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _guard = RunGuard::new(&rt, "r1");
            start(&rt, "r1", 1);
            panic!("a failing test");
        }));
        assert!(result.is_err());
        assert_eq!(rt.ids(), vec![keep]);
    }
}

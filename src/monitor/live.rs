//! The simulated runs of one `simctl run` batch as they go: each run's [`RunWatch`] (an engine
//! [`Watcher`]) leaves its latest look on a shared [`LiveBoard`], from which the command draws the
//! progress bar and the `--metrics` endpoint its families.
//!
//! Cost: the engine asks the watch every 1,024 events whether a look is due (a clock read); a look
//! is due every [`LOOK_EVERY`], or less often when looks are slow (a huge cluster): the next one
//! waits at least 50 times as long as the last one took, so looking costs under 2% of a thread.
//! Per-node series are left out above [`PER_NODE_LIMIT`] nodes and once a run has ended.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::exposition::{Family, Kind};
use super::progress::{batch_fraction, Bound, RunProgress};
use crate::config::ScenarioFile;
use crate::engine::{RunView, Watcher};
use crate::sweep::RunSpec;

/// How often a run in flight is looked at (at most).
pub const LOOK_EVERY: Duration = Duration::from_millis(250);

/// Runs on clusters larger than this export no per-node series (they would dwarf the rest).
pub const PER_NODE_LIMIT: usize = 256;

/// A run's latest look.
struct Slot {
    progress: RunProgress,
    /// Its families, every sample labelled with the run (empty without `--metrics`).
    families: Vec<Family>,
}

/// The latest look at each run of a batch that has started.
pub struct LiveBoard {
    total: usize,
    metrics: bool,
    slots: Mutex<BTreeMap<usize, Slot>>,
}

impl LiveBoard {
    /// A board for a batch of `total` runs; `metrics`: also keep their metric families (for
    /// `--metrics`), else only their progress.
    pub fn new(total: usize, metrics: bool) -> LiveBoard {
        LiveBoard {
            total,
            metrics,
            slots: Mutex::new(BTreeMap::new()),
        }
    }

    /// The watch of run `spec` of `file`, reporting to this board.
    pub fn watch<'b>(&'b self, file: &ScenarioFile, spec: &RunSpec) -> RunWatch<'b> {
        let scenario = &file.points[spec.point].scenario;
        RunWatch {
            board: self,
            index: spec.index,
            labels: vec![
                ("run".into(), spec.index.to_string()),
                (
                    "scheduler".into(),
                    scenario.schedulers[spec.scheduler].name.clone(),
                ),
                ("point".into(), spec.point.to_string()),
                ("replication".into(), spec.replication.to_string()),
            ],
            bound: Bound::of(scenario),
            next: Instant::now(),
        }
    }

    /// The batch's fraction done (see [`batch_fraction`]) and the progress of the runs in flight.
    pub fn progress(&self) -> (f64, Vec<RunProgress>) {
        let slots = self.lock();
        let seen: Vec<RunProgress> = slots.values().map(|s| s.progress).collect();
        let fraction = batch_fraction(&seen, self.total);
        (fraction, seen.into_iter().filter(|p| !p.finished).collect())
    }

    /// The batch's metric families: `simctl_runs` by state, then each family with the samples
    /// of every run that has started (in run order; ended runs keep their last values).
    pub fn families(&self) -> Vec<Family> {
        let slots = self.lock();
        let done = slots.values().filter(|s| s.progress.finished).count();
        let running = slots.len() - done;
        let pending = self.total.saturating_sub(slots.len());
        let mut out = vec![Family::new(
            "simctl_runs",
            Kind::Gauge,
            "Runs of this simctl run by state (done, running, pending).",
        )
        .with(&[("state", "done")], done as f64)
        .with(&[("state", "running")], running as f64)
        .with(&[("state", "pending")], pending as f64)];
        for slot in slots.values() {
            for f in &slot.families {
                match out.iter_mut().find(|o| o.name == f.name) {
                    Some(o) => o.samples.extend(f.samples.iter().cloned()),
                    None => out.push(f.clone()),
                }
            }
        }
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<usize, Slot>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Watches one run for a [`LiveBoard`].
pub struct RunWatch<'b> {
    board: &'b LiveBoard,
    index: usize,
    labels: Vec<(String, String)>,
    bound: Bound,
    next: Instant,
}

impl RunWatch<'_> {
    /// The run's families now, each sample labelled with the run.
    fn families(&self, view: &RunView<'_>, progress: &RunProgress) -> Vec<Family> {
        let per_node = !view.finished && view.control.cluster().nodes().len() <= PER_NODE_LIMIT;
        let mut fams = super::plane_families(view.control, &[], None, view.events, per_node);
        fams.push(
            Family::new(
                "simctl_simulated_time_seconds",
                Kind::Gauge,
                "Simulated time the run has reached, seconds.",
            )
            .with(&[], progress.sim_s),
        );
        if let Some(f) = progress.fraction() {
            fams.push(
                Family::new(
                    "simctl_run_progress_ratio",
                    Kind::Gauge,
                    "Fraction of the run done: simulated time over horizon, or tasks arrived over max_tasks.",
                )
                .with(&[], f),
            );
        }
        for f in &mut fams {
            for s in &mut f.samples {
                // The run's scheduler is `scheduler`; an architecture's actors become `actor`.
                for (k, _) in &mut s.labels {
                    if k == "scheduler" {
                        *k = "actor".into();
                    }
                }
                let mut labels = self.labels.clone();
                labels.append(&mut s.labels);
                s.labels = labels;
            }
        }
        fams
    }
}

impl Watcher for RunWatch<'_> {
    fn due(&mut self) -> bool {
        Instant::now() >= self.next
    }

    fn observe(&mut self, view: &RunView<'_>) {
        let started = Instant::now();
        let progress = RunProgress {
            bound: self.bound,
            sim_s: view.now.as_secs_f64(),
            arrived: view.control.tasks_submitted(),
            finished: view.finished,
        };
        let families = if self.board.metrics {
            self.families(view, &progress)
        } else {
            Vec::new()
        };
        self.board
            .lock()
            .insert(self.index, Slot { progress, families });
        let took = started.elapsed();
        self.next = Instant::now() + LOOK_EVERY.max(took * 50);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scenario of one scheduler, two replications, a 1 h horizon.
    fn file() -> ScenarioFile {
        crate::config::parse(
            "[scenario]\nname = \"w\"\nhorizon = \"1h\"\nreplications = 2\n[[cluster.nodes]]\ncount = 2\ncpu = 2\nmemory = \"1GiB\"\n\
             [workload]\narrival = { process = \"poisson\", rate = 1 }\nduration = \"1s\"\n\
             [[scheduler]]\nname = \"ff\"\nplacement = \"first-fit\"\n",
            std::path::Path::new("w.toml"),
        )
        .unwrap()
    }

    #[test]
    fn a_watched_run_leaves_labelled_families_and_is_done_at_its_end() {
        let file = file();
        let runs = crate::sweep::plan(&file, None);
        let board = LiveBoard::new(runs.len(), true);
        let mut watch = board.watch(&file, &runs[1]);
        let plain = crate::sweep::run_one(&file, &runs[1], false, None).unwrap();
        let watched =
            crate::sweep::run_one_watched(&file, &runs[1], false, None, Some(&mut watch)).unwrap();
        // Watching changes nothing (but the wall time).
        let mut a = plain.summary.clone();
        a.wall_s = watched.summary.wall_s;
        assert_eq!(format!("{a:?}"), format!("{:?}", watched.summary));
        let (fraction, in_flight) = board.progress();
        // One of two runs done, the other not started.
        assert_eq!(fraction, 0.5);
        assert!(in_flight.is_empty());
        let text = super::super::exposition::render(&board.families());
        assert!(text.contains("simctl_runs{state=\"done\"} 1\n"), "{text}");
        assert!(
            text.contains("simctl_runs{state=\"pending\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("simctl_simulated_time_seconds{run=\"1\",scheduler=\"ff\",point=\"0\",replication=\"1\"} 3600\n"),
            "{text}"
        );
        let completed = format!(
            "simctl_tasks_completed_total{{run=\"1\",scheduler=\"ff\",point=\"0\",replication=\"1\"}} {}\n",
            watched.summary.tasks_completed
        );
        assert!(text.contains(&completed), "{text}");
        // An ended run keeps no per-node series.
        assert!(!text.contains("simctl_node_up{"), "{text}");
    }
}

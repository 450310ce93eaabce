//! `simctl bench`: every run of the named scenario files (replication 0 of each scheduler and
//! sweep point) in a child process of its own (`simctl bench-one`), so that each run's peak memory
//! is its own; then a table of time, CPU, events per CPU second, peak memory and the comparison
//! with a bare binary heap timed here, in the same sitting.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::bench::table::{self, Row};
use crate::bench::{bare_heap, BenchLine};
use crate::config::{self, ScenarioFile};
use crate::sweep::{self, RunSpec};

/// The scale suite `simctl bench` runs without files, relative to the current directory.
pub const DEFAULT_FILES: [&str; 3] = [
    "benches/mmc100.toml",
    "benches/overload.toml",
    "benches/google-scale.toml",
];

/// How long the bare heap is timed for each pending-event count.
const BARE_HEAP_TIME: Duration = Duration::from_millis(500);

/// The overrides `bench` hands on to each of its runs.
#[derive(Debug, Clone, clap::Args)]
pub struct Overrides {
    /// Cap every run at N tasks (a quick pass): sets `workload.max_tasks`, as `--set` would.
    #[arg(long, value_name = "N", value_parser = parse_tasks)]
    tasks: Option<u64>,
    /// Override a scenario key, as `run --set` does (repeatable; applied after --tasks).
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = check_set)]
    set: Vec<String>,
}

impl Overrides {
    /// The `(key, value)` list for [`config::load_with_overrides`]: `--tasks` first, then `--set`.
    fn list(&self) -> Vec<(String, toml::Value)> {
        let tasks = self.tasks.map(|n| {
            (
                "workload.max_tasks".to_string(),
                toml::Value::Integer(n as i64),
            )
        });
        tasks
            .into_iter()
            .chain(self.set.iter().map(|s| {
                config::parse_override(s).expect("checked when the arguments were parsed")
            }))
            .collect()
    }

    /// The same overrides as command-line arguments, for a child process.
    fn args(&self) -> Vec<String> {
        let tasks = self.tasks.map(|n| ["--tasks".to_string(), n.to_string()]);
        let sets = self.set.iter().map(|s| ["--set".to_string(), s.clone()]);
        tasks.into_iter().chain(sets).flatten().collect()
    }
}

fn parse_tasks(s: &str) -> std::result::Result<u64, String> {
    match s.parse::<u64>() {
        Ok(0) => Err("must be at least 1 (the number of tasks per run)".into()),
        Ok(n) if n > i64::MAX as u64 => Err(format!("{n} is too large")),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("expected a number of tasks, got \"{s}\"")),
    }
}

fn check_set(s: &str) -> std::result::Result<String, String> {
    config::parse_override(s).map(|_| s.to_string())
}

/// `simctl bench`'s arguments.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Scenario files (default: the scale suite, benches/mmc100.toml, benches/overload.toml and
    /// benches/google-scale.toml, relative to the current directory).
    files: Vec<PathBuf>,
    /// Only the runs of the scheduler of this name (repeatable).
    #[arg(long = "scheduler", value_name = "NAME")]
    schedulers: Vec<String>,
    #[command(flatten)]
    overrides: Overrides,
    /// Print one JSON line per run (each child's line plus `bare_heap_ops_per_s` and
    /// `x_bare_heap`) instead of the table.
    #[arg(long)]
    json: bool,
}

/// `simctl bench-one`'s arguments (run by `simctl bench`, not by people).
#[derive(Debug, clap::Args)]
pub struct BenchOneArgs {
    /// The scenario file.
    file: PathBuf,
    /// The run's index in the file's run list.
    #[arg(long)]
    run: usize,
    #[command(flatten)]
    overrides: Overrides,
}

/// `simctl bench [FILES...]`.
pub fn bench(args: &BenchArgs) -> Result<()> {
    let files = load_files(&args.files, &args.overrides)?;
    check_scheduler_names(&files, &args.schedulers)?;
    let mut runs: Vec<(&ScenarioFile, RunSpec)> = Vec::new();
    for file in &files {
        let selected = selected_runs(file, &args.schedulers);
        if selected.is_empty() {
            eprintln!(
                "note: {}: none of its schedulers is named by --scheduler; skipped",
                file.path.display()
            );
        }
        runs.extend(selected.into_iter().map(|r| (file, r)));
    }
    let exe = std::env::current_exe().context("cannot find simctl's own executable")?;
    let mut heap_rates: BTreeMap<usize, f64> = BTreeMap::new();
    let mut rows = Vec::with_capacity(runs.len());
    for (i, (file, spec)) in runs.iter().enumerate() {
        let name = &file.points[spec.point].scenario.schedulers[spec.scheduler].name;
        eprintln!(
            "bench [{}/{}]: {} run {} ({name})",
            i + 1,
            runs.len(),
            file.path.display(),
            spec.index
        );
        let line = run_child(&exe, &file.path, spec.index, &args.overrides)?;
        let pending = line.heap_size();
        let bare = *heap_rates
            .entry(pending)
            .or_insert_with(|| bare_heap::hold_rate(pending, BARE_HEAP_TIME));
        let row = Row {
            line,
            bare_heap_ops_per_s: bare,
        };
        eprintln!(
            "  {} events, {:.2} s wall, {} events/CPU s, bare heap at {pending} pending: {:.3e} ops/s",
            row.line.events,
            row.line.wall_s,
            row.line
                .events_per_cpu_s()
                .map_or("-".into(), |e| format!("{e:.3e}")),
            bare
        );
        rows.push(row);
    }
    if args.json {
        for row in &rows {
            println!("{}", json_line(row)?);
        }
    } else {
        print!("{}", table::render(&rows));
    }
    Ok(())
}

/// `simctl bench-one FILE --run K`: runs that one run and prints its [`BenchLine`] as JSON.
pub fn bench_one(args: &BenchOneArgs) -> Result<()> {
    let file = config::load_with_overrides(&args.file, &args.overrides.list())?;
    let plan = sweep::plan(&file, None);
    let Some(spec) = plan.get(args.run) else {
        bail!(
            "--run {}: {} has {} run(s), numbered from 0",
            args.run,
            args.file.display(),
            plan.len()
        );
    };
    let line = crate::bench::measure(&file, spec)
        .with_context(|| format!("{}: run {} failed", args.file.display(), args.run))?;
    println!("{}", serde_json::to_string(&line)?);
    Ok(())
}

/// The named files, or the default suite (which must be found from the current directory).
fn load_files(named: &[PathBuf], overrides: &Overrides) -> Result<Vec<ScenarioFile>> {
    let paths: Vec<PathBuf> = if named.is_empty() {
        let defaults: Vec<PathBuf> = DEFAULT_FILES.iter().map(PathBuf::from).collect();
        if let Some(missing) = defaults.iter().find(|p| !p.is_file()) {
            bail!(
                "{} not found (the default scale suite is looked for from the current directory): run from the repository root or name the files",
                missing.display()
            );
        }
        defaults
    } else {
        named.to_vec()
    };
    let list = overrides.list();
    paths
        .iter()
        .map(|p| config::load_with_overrides(p, &list).map_err(anyhow::Error::new))
        .collect()
}

/// Every `--scheduler` name must be a scheduler of some file.
fn check_scheduler_names(files: &[ScenarioFile], wanted: &[String]) -> Result<()> {
    let known: Vec<&str> = files
        .iter()
        .flat_map(|f| &f.points)
        .flat_map(|p| &p.scenario.schedulers)
        .map(|s| s.name.as_str())
        .collect();
    if let Some(bad) = wanted.iter().find(|w| !known.contains(&w.as_str())) {
        let mut names = known.clone();
        names.sort_unstable();
        names.dedup();
        bail!(
            "--scheduler {bad}: no scheduler of that name in {}; the schedulers are: {}",
            files
                .iter()
                .map(|f| f.path.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            names.join(", ")
        );
    }
    Ok(())
}

/// Replication 0 of every scheduler and sweep point of `file` (only the `wanted` schedulers when
/// any are named).
fn selected_runs(file: &ScenarioFile, wanted: &[String]) -> Vec<RunSpec> {
    sweep::plan(file, None)
        .into_iter()
        .filter(|r| r.replication == 0)
        .filter(|r| {
            let name = &file.points[r.point].scenario.schedulers[r.scheduler].name;
            wanted.is_empty() || wanted.contains(name)
        })
        .collect()
}

/// Runs `simctl bench-one` for run `index` of `path` and reads its line.
fn run_child(exe: &Path, path: &Path, index: usize, overrides: &Overrides) -> Result<BenchLine> {
    let output = Command::new(exe)
        .arg("bench-one")
        .arg(path)
        .arg("--run")
        .arg(index.to_string())
        .args(overrides.args())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot start {}", exe.display()))?;
    if !output.status.success() {
        bail!(
            "{}: run {index} failed in its child process ({})",
            path.display(),
            output.status
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().last().unwrap_or_default();
    serde_json::from_str(line).with_context(|| {
        format!(
            "{}: run {index}: unreadable result line \"{line}\"",
            path.display()
        )
    })
}

/// A run's JSON line with the parent's bare-heap figures added.
fn json_line(row: &Row) -> Result<String> {
    let mut value = serde_json::to_value(&row.line)?;
    let object = value.as_object_mut().expect("a BenchLine is a JSON object");
    object.insert(
        "bare_heap_ops_per_s".into(),
        serde_json::json!(row.bare_heap_ops_per_s),
    );
    object.insert("x_bare_heap".into(), serde_json::json!(row.x_bare_heap()));
    Ok(serde_json::to_string(&value)?)
}

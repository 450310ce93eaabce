//! `simctl run` and `simctl merge`: execute runs (resumable, shardable), then assemble the result
//! files, compare and plot.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::RunArgs;
use crate::config::{self, ScenarioFile};
use crate::output::assemble::{assemble, Assembled, Source};
use crate::output::record::{fingerprint, RunRecord, RUNS_DIR};
use crate::output::table;
use crate::sweep::{self, ExecOptions, RunSpec};

/// Raised by Ctrl-C: runs in progress finish and are recorded, no new run starts, no result file
/// is half-written.
fn stop_flag() -> &'static AtomicBool {
    static STOP: OnceLock<AtomicBool> = OnceLock::new();
    STOP.get_or_init(|| {
        let _ = ctrlc::set_handler(|| {
            eprintln!(
                "\ninterrupt: finishing the runs in progress; rerun with --resume to complete"
            );
            stop_flag().store(true, Ordering::SeqCst);
        });
        AtomicBool::new(false)
    })
}

/// `simctl run FILE...`.
pub fn run(args: &RunArgs) -> Result<()> {
    let mut files: Vec<ScenarioFile> = args
        .files
        .iter()
        .map(|f| config::load_with_overrides(f, &args.set))
        .collect::<Result<_, _>>()?;
    if args.strict {
        for file in &mut files {
            file.set_strict()?;
        }
    }
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let stop = stop_flag();
    for file in &files {
        run_file(file, args, jobs, stop)?;
    }
    Ok(())
}

fn results_dir(file: &ScenarioFile, out: Option<&Path>) -> PathBuf {
    match out {
        Some(base) => base.join(&file.base().name),
        None => file.base().output.dir.clone(),
    }
}

fn run_file(file: &ScenarioFile, args: &RunArgs, jobs: usize, stop: &AtomicBool) -> Result<()> {
    let dir = results_dir(file, args.out.as_deref());
    let runs_dir = dir.join(RUNS_DIR);
    let all = sweep::plan(file, args.seed);
    let fp = fingerprint(file, &all);
    let mine: Vec<RunSpec> = all
        .iter()
        .filter(|r| args.shard.is_none_or(|s| s.owns(r.index)))
        .copied()
        .collect();
    if mine.is_empty() {
        eprintln!(
            "note: {}: this shard has no runs (the scenario has {} runs)",
            file.path.display(),
            all.len()
        );
        return Ok(());
    }
    if args.resume {
        check_resumable(&dir, &fp)?;
    } else if runs_dir.exists() {
        std::fs::remove_dir_all(&runs_dir)
            .with_context(|| format!("cannot clear {}", runs_dir.display()))?;
    }
    let recorded: BTreeSet<usize> = RunRecord::indices(&dir)?.into_iter().collect();
    let todo: Vec<RunSpec> = mine
        .iter()
        .filter(|r| !recorded.contains(&r.index))
        .copied()
        .collect();
    let bar = progress_bar(todo.len() as u64, args.quiet, &file.base().name);
    let opts = ExecOptions {
        jobs,
        check_invariants: args.check_invariants,
        dir: &dir,
        tasks_csv: file.base().output.tasks_csv,
        total_runs: all.len(),
        fingerprint: &fp,
        stop,
    };
    sweep::execute(file, &todo, &opts, &|rec| {
        bar.set_message(format!(
            "{:.2} Mev/s",
            rec.summary.events as f64 / rec.summary.wall_s.max(1e-9) / 1e6
        ));
        bar.inc(1);
    })
    .with_context(|| format!("{}: run failed", file.path.display()))?;
    bar.finish_and_clear();
    let sources: Vec<Source> = mine.iter().map(|r| (dir.clone(), r.index)).collect();
    let assembled = assemble(&dir, &sources)
        .with_context(|| format!("cannot write results to {}", dir.display()))?;
    report_warnings(&file.path, &assembled);
    finish_dir(&dir, file.base().output.plots && args.shard.is_none())?;
    if args.shard.is_none() {
        std::fs::remove_dir_all(&runs_dir)
            .with_context(|| format!("cannot remove {}", runs_dir.display()))?;
    }
    if !args.quiet {
        let shard = args
            .shard
            .map(|s| format!(", shard {}/{}", s.k, s.n))
            .unwrap_or_default();
        println!(
            "\n{} ({} runs{shard}) -> {}",
            file.base().name,
            mine.len(),
            dir.display()
        );
        let rows: Vec<(RunSpec, _)> = assembled.runs.iter().map(|(i, s)| (all[*i], *s)).collect();
        print!("{}", table::render(file, &rows));
    }
    Ok(())
}

/// Refuses to resume into a directory whose records belong to another scenario or seed.
fn check_resumable(dir: &Path, fp: &str) -> Result<()> {
    if let Some(&first) = RunRecord::indices(dir)?.first() {
        let rec = RunRecord::load(dir, first)?.expect("listed record exists");
        if rec.fingerprint != fp {
            bail!(
                "{}: the recorded runs belong to a different scenario or seed; run without --resume to start over",
                dir.display()
            );
        }
    }
    Ok(())
}

fn report_warnings(path: &Path, assembled: &Assembled) {
    let unschedulable: u64 = assembled
        .runs
        .iter()
        .map(|(_, s)| s.tasks_unschedulable)
        .sum();
    if unschedulable > 0 {
        eprintln!(
            "warning: {}: {unschedulable} task(s) needed more than any node has and were rejected as unschedulable (column tasks_unschedulable)",
            path.display()
        );
    }
    if let Some(report) = &assembled.trace_report {
        eprintln!(
            "warning: {}: the trace reader skipped or dropped records:\n{report}",
            path.display()
        );
    }
}

/// Writes compare.csv and (optionally) the plots of a results directory.
fn finish_dir(dir: &Path, plots: bool) -> Result<()> {
    let comparison = crate::compare::compare_dir(dir, None)?;
    comparison.write_csv(dir)?;
    if plots {
        crate::plot::plot_dir(dir)
            .with_context(|| format!("cannot draw the plots of {}", dir.display()))?;
    }
    Ok(())
}

/// `simctl merge --out DIR SHARD_DIR...`: every run exactly once, all from one scenario and seed.
pub fn merge(out: &Path, dirs: &[PathBuf]) -> Result<()> {
    let mut sources: Vec<Source> = Vec::new();
    for d in dirs {
        // A shard may own no runs (more shards than runs): its directory is then empty or absent.
        sources.extend(RunRecord::indices(d)?.into_iter().map(|i| (d.clone(), i)));
    }
    if sources.is_empty() {
        bail!("no run records in any of the directories (expected {RUNS_DIR}/ folders written by `simctl run --shard`)");
    }
    sources.sort_by_key(|(_, i)| *i);
    if let Some(w) = sources.windows(2).find(|w| w[0].1 == w[1].1) {
        bail!(
            "run {} is recorded twice ({} and {})",
            w[0].1,
            w[0].0.display(),
            w[1].0.display()
        );
    }
    let (first_dir, first) = &sources[0];
    let total = RunRecord::load(first_dir, *first)?
        .expect("listed record exists")
        .total_runs;
    if let Some(missing) = (0..total).find(|i| sources.get(*i).is_none_or(|(_, j)| j != i)) {
        bail!("run {missing} of {total} is in none of the shard directories; is a shard missing?");
    }
    let assembled = assemble(out, &sources)
        .with_context(|| format!("cannot write results to {}", out.display()))?;
    report_warnings(out, &assembled);
    finish_dir(out, true)?;
    let comparison = crate::compare::compare_dir(out, None)?;
    print!("{}", comparison.render_table());
    println!(
        "merged {total} runs from {} shard(s) -> {}",
        dirs.len(),
        out.display()
    );
    Ok(())
}

fn progress_bar(total: u64, quiet: bool, name: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} runs, ETA {eta}, {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(name.to_string());
    bar
}

//! `simctl run` and `simctl merge`: execute runs (resumable, shardable), then assemble the result
//! files, compare and plot.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};

use super::watch::{self, progress_bar};
use super::RunArgs;
use crate::config::{self, ScenarioFile};
use crate::monitor::live::LiveBoard;
use crate::monitor::progress::by_simulated_time;
use crate::monitor::server::MetricsServer;
use crate::output::assemble::{assemble, Assembled, Source};
use crate::output::cleanup::clear_records;
use crate::output::record::{fingerprint, RunRecord, RUNS_DIR};
use crate::output::table;
use crate::sweep::{self, ExecOptions, RunSpec};

/// Raised by Ctrl-C: runs in progress finish and are recorded, no new run starts, no result file
/// is half-written.
pub(crate) fn stop_flag() -> &'static AtomicBool {
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
    // Every results directory is checked before any scenario runs: a refusal never comes after
    // an earlier file's work.
    for file in &files {
        let dir = results_dir(file, args.out.as_deref());
        let fp = fingerprint(file, &sweep::plan(file, args.seed));
        if args.resume {
            check_resumable(&dir, &fp)?;
        } else if !args.force {
            check_fresh(&dir, &fp)?;
        }
    }
    let server = start_metrics(args)?;
    let stop = stop_flag();
    for file in &files {
        run_file(file, args, jobs, stop, server.as_ref())?;
    }
    if let (Some(_), Some(linger)) = (&server, args.metrics_linger) {
        // The final state stays published while a scraper catches up.
        std::thread::sleep(linger);
    }
    Ok(())
}

/// The `--metrics` endpoint, its address said on stderr (unless `--quiet`).
fn start_metrics(args: &RunArgs) -> Result<Option<MetricsServer>> {
    let Some(addr) = &args.metrics else {
        return Ok(None);
    };
    let server = MetricsServer::start(addr).map_err(|e| anyhow::anyhow!(e))?;
    if !args.quiet {
        eprintln!(
            "metrics: http://{}/metrics (live page: http://{}/)",
            server.addr(),
            server.addr()
        );
    }
    Ok(Some(server))
}

fn results_dir(file: &ScenarioFile, out: Option<&Path>) -> PathBuf {
    match out {
        Some(base) => base.join(&file.base().name),
        None => file.base().output.dir.clone(),
    }
}

fn run_file(
    file: &ScenarioFile,
    args: &RunArgs,
    jobs: usize,
    stop: &AtomicBool,
    server: Option<&MetricsServer>,
) -> Result<()> {
    let dir = results_dir(file, args.out.as_deref());
    let all = sweep::plan(file, args.seed);
    let fp = fingerprint(file, &all);
    let mine: Vec<RunSpec> = match args.shard {
        Some(s) => s.select(file, &all),
        None => all.clone(),
    };
    if mine.is_empty() {
        eprintln!(
            "note: {}: this shard has no runs (the scenario has {} runs)",
            file.path.display(),
            all.len()
        );
        return Ok(());
    }
    if !args.resume {
        // Checked before any file ran (see `run`): what is left here is --force's to discard.
        remove_records(&dir)?;
    }
    let recorded: BTreeSet<usize> = RunRecord::indices(&dir)?.into_iter().collect();
    let todo: Vec<RunSpec> = mine
        .iter()
        .filter(|r| !recorded.contains(&r.index))
        .copied()
        .collect();
    let by_sim_time = by_simulated_time(todo.len(), jobs);
    let bar = progress_bar(
        todo.len() as u64,
        args.quiet,
        &file.base().name,
        by_sim_time,
    );
    // Runs are watched only when something looks: the endpoint, or a bar by simulated time.
    let watched = server.is_some() || (by_sim_time && !bar.is_hidden());
    let board = watched.then(|| LiveBoard::new(todo.len(), server.is_some()));
    let opts = ExecOptions {
        jobs,
        check_invariants: args.check_invariants,
        dir: &dir,
        tasks_csv: file.base().output.tasks_csv,
        total_runs: all.len(),
        fingerprint: &fp,
        stop,
        live: board.as_ref(),
    };
    let on_done = |rec: &RunRecord| {
        if !by_sim_time {
            bar.set_message(format!(
                "{:.2} Mev/s",
                rec.summary.events as f64 / rec.summary.wall_s.max(1e-9) / 1e6
            ));
            bar.inc(1);
        }
    };
    let title = format!("simctl run {}", file.base().name);
    let sim_bar = by_sim_time.then_some(&bar);
    let executed = watch::while_watching(board.as_ref(), sim_bar, server, &title, || {
        sweep::execute(file, &todo, &opts, &on_done)
    });
    executed.with_context(|| format!("{}: run failed", file.path.display()))?;
    bar.finish_and_clear();
    let sources: Vec<Source> = mine.iter().map(|r| (dir.clone(), r.index)).collect();
    let assembled = assemble(&dir, &sources)
        .with_context(|| format!("cannot write results to {}", dir.display()))?;
    crate::report::save_scenario_text(&dir, &file.path)
        .with_context(|| format!("cannot store the scenario text in {}", dir.display()))?;
    report_warnings(&file.path, &assembled);
    finish_dir(&dir, file.base().output.plots && args.shard.is_none())?;
    if args.report && args.shard.is_none() {
        crate::report::write_report(&dir)
            .with_context(|| format!("cannot write the report of {}", dir.display()))?;
    }
    if args.shard.is_none() {
        remove_records(&dir)?;
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
                "{}: the recorded runs belong to a different scenario or seed; rerun with --force instead of --resume to discard them and start over",
                dir.display()
            );
        }
    }
    Ok(())
}

/// Without `--resume` or `--force`, refuses to discard the runs an interrupted (or sharded) run
/// recorded in `dir`, saying how many there are and what to do.
fn check_fresh(dir: &Path, fp: &str) -> Result<()> {
    let recorded = RunRecord::indices(dir)?;
    let Some(&first) = recorded.first() else {
        return Ok(());
    };
    let whose = match RunRecord::load(dir, first) {
        Ok(Some(rec)) if rec.fingerprint == fp => {
            format!("of this scenario, of {} in all", rec.total_runs)
        }
        _ => "of a different scenario or seed".to_string(),
    };
    bail!(
        "{}: {} run(s) {whose} are recorded in {} from an earlier, unfinished or sharded run; \
rerun with --resume to keep them and run only the missing ones, or with --force to discard them and start over",
        dir.display(),
        recorded.len(),
        dir.join(RUNS_DIR).display()
    )
}

/// Removes simctl's run records from `dir`, saying so if files it did not write keep `.runs/` alive.
pub(crate) fn remove_records(dir: &Path) -> Result<()> {
    let runs = dir.join(RUNS_DIR);
    let cleared = clear_records(dir)
        .with_context(|| format!("cannot remove the run records in {}", runs.display()))?;
    if !cleared.kept.is_empty() {
        eprintln!(
            "note: {} left in place: it holds files simctl did not write ({})",
            runs.display(),
            cleared.kept.join(", ")
        );
    }
    Ok(())
}

pub(crate) fn report_warnings(path: &Path, assembled: &Assembled) {
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
pub(crate) fn finish_dir(dir: &Path, plots: bool) -> Result<()> {
    let comparison = crate::compare::compare_dir(dir, None)?;
    comparison.write_csv(dir)?;
    if plots {
        crate::plot::plot_dir(dir)
            .with_context(|| format!("cannot draw the plots of {}", dir.display()))?;
    }
    Ok(())
}

/// `simctl merge --out DIR SHARD_DIR...`: every run exactly once, all from one scenario and seed,
/// written to `DIR/<scenario>/` as `run --out DIR` would have. A shard directory is either the
/// `--out` directory of `run --shard` or the scenario directory inside it.
pub fn merge(out: &Path, dirs: &[PathBuf]) -> Result<()> {
    let mut sources: Vec<Source> = Vec::new();
    for d in dirs {
        // A shard may own no runs (more shards than runs): its directory is then empty or absent.
        if let Some(scenario_dir) = shard_scenario_dir(d)? {
            sources.extend(
                RunRecord::indices(&scenario_dir)?
                    .into_iter()
                    .map(|i| (scenario_dir.clone(), i)),
            );
        }
    }
    if sources.is_empty() {
        bail!("no run records in any of the directories (expected the --out directories of `simctl run --shard`, holding <scenario>/{RUNS_DIR}/)");
    }
    let name = scenario_name(&sources)?;
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
    let dest = out.join(&name);
    let assembled = assemble(&dest, &sources)
        .with_context(|| format!("cannot write results to {}", dest.display()))?;
    report_warnings(&dest, &assembled);
    copy_scenario_text(&sources, &dest)?;
    finish_dir(&dest, true)?;
    let comparison = crate::compare::compare_dir(&dest, None)?;
    print!("{}", comparison.render_table());
    println!(
        "merged {total} runs from {} shard(s) -> {}",
        dirs.len(),
        dest.display()
    );
    Ok(())
}

/// Copies the scenario text a shard stored (`scenario.toml`, the same in every shard) into the
/// merged directory; nothing when no shard has one (shards run by an older simctl).
fn copy_scenario_text(sources: &[Source], dest: &Path) -> Result<()> {
    let name = crate::report::SCENARIO_TOML;
    let Some(from) = sources
        .iter()
        .map(|(d, _)| d.join(name))
        .find(|p| p.exists())
    else {
        return Ok(());
    };
    if from == dest.join(name) {
        return Ok(());
    }
    let text = std::fs::read(&from).with_context(|| format!("cannot read {}", from.display()))?;
    crate::output::atomic::write_atomic(&dest.join(name), |w| w.write_all(&text))
        .with_context(|| format!("cannot write {}", dest.join(name).display()))
}

/// The directory holding a shard's run records: `dir` itself (a scenario directory) or its one
/// subdirectory that holds records (`dir` is a `run --out` directory); `None` if there are none.
fn shard_scenario_dir(dir: &Path) -> Result<Option<PathBuf>> {
    let own = !RunRecord::indices(dir)?.is_empty();
    let mut inner: Vec<PathBuf> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() && !RunRecord::indices(&path)?.is_empty() {
                inner.push(path);
            }
        }
    }
    inner.sort();
    match (own, inner.len()) {
        (true, 0) => Ok(Some(dir.to_path_buf())),
        (false, 0) => Ok(None),
        (false, 1) => Ok(inner.pop()),
        _ => {
            let mut found: Vec<String> = inner.iter().map(|p| p.display().to_string()).collect();
            if own {
                found.insert(0, dir.display().to_string());
            }
            bail!(
                "{}: ambiguous shard directory: run records of several scenarios are in {}; name the scenario directory to merge",
                dir.display(),
                found.join(", ")
            )
        }
    }
}

/// The scenario every source's records belong to; an error naming two that differ.
fn scenario_name(sources: &[Source]) -> Result<String> {
    let mut seen: Vec<(String, PathBuf)> = Vec::new();
    for (dir, index) in sources {
        if seen.iter().any(|(_, d)| d == dir) {
            continue;
        }
        let rec = RunRecord::load(dir, *index)?.expect("listed record exists");
        if let Some((name, other)) = seen.iter().find(|(n, _)| *n != rec.scenario) {
            bail!(
                "the shard directories hold different scenarios: \"{name}\" in {} and \"{}\" in {}",
                other.display(),
                rec.scenario,
                dir.display()
            );
        }
        seen.push((rec.scenario, dir.clone()));
    }
    Ok(seen.remove(0).0)
}

//! The command line: `simctl run`, `simctl validate`. Exit status 0 on success, 1 for user errors
//! (bad scenario, bad trace), 2 for usage errors (clap's own).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::{self, ScenarioFile};
use crate::output;
use crate::sweep;

/// Deterministic discrete-event cluster simulator for comparing load-balancing and failover strategies.
#[derive(Debug, Parser)]
#[command(name = "simctl", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run scenarios and write results under results/<scenario>/ (or --out DIR/<scenario>/).
    Run(RunArgs),
    /// Parse and check scenarios; print how many runs each expands into.
    Validate {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Trace utilities.
    #[command(subcommand)]
    Trace(TraceCommand),
    /// (Re)draw the plots of a results directory from its CSV files (into DIR/plots/).
    Plot {
        /// Results directory (holding summary.csv).
        dir: PathBuf,
    },
    /// Compare schedulers in a results directory: mean and 95% CI over replications, ranked;
    /// writes DIR/compare.csv.
    Compare {
        /// Results directory (holding summary.csv).
        dir: PathBuf,
        /// Also show each metric as a ratio to this scheduler.
        #[arg(long)]
        baseline: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum TraceCommand {
    /// Summarise a trace file: rows, tasks, time span, demand distribution, skipped lines by reason.
    Info {
        /// The trace file (plain or gzip).
        file: PathBuf,
        /// Its format: google2011, alibaba2017, alibaba2018, alibaba2018-machines, gpu2023,
        /// gpu2023-nodes, swf, azure-llm, csv.
        #[arg(long)]
        format: String,
        /// Stop at the first malformed line (exit 1, naming file and line) instead of skipping it.
        #[arg(long)]
        strict: bool,
    },
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Scenario files (shell globs work: scenarios/*.toml).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Base directory for results: each scenario writes to DIR/<scenario-name>/.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Override every scenario's master seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// No progress bar and no table.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Check capacity invariants after every scheduling decision (slower).
    #[arg(long)]
    check_invariants: bool,
    /// Trace replays: stop at the first malformed line (exit 1, naming file and line) instead of
    /// skipping and counting it.
    #[arg(long)]
    strict: bool,
}

/// Parses arguments, runs the command, and returns the process exit status.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(&args),
        Command::Validate { files } => validate(&files),
        Command::Trace(TraceCommand::Info {
            file,
            format,
            strict,
        }) => trace_info(&file, &format, strict),
        Command::Plot { dir } => plot(&dir),
        Command::Compare { dir, baseline } => compare(&dir, baseline.as_deref()),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}

fn trace_info(file: &Path, format: &str, strict: bool) -> Result<()> {
    let format = crate::workload::trace::TraceFormat::parse(format).map_err(anyhow::Error::msg)?;
    let info = crate::workload::trace::trace_info(file, format, strict)?;
    print!("{info}");
    Ok(())
}

fn plot(dir: &Path) -> Result<()> {
    let written = crate::plot::plot_dir(dir)?;
    for p in &written {
        println!("{}", p.display());
    }
    Ok(())
}

fn compare(dir: &Path, baseline: Option<&str>) -> Result<()> {
    let comparison = crate::compare::compare_dir(dir, baseline)?;
    let path = comparison.write_csv(dir)?;
    print!("{}", comparison.render_table());
    println!("-> {}", path.display());
    Ok(())
}

fn load_all(files: &[PathBuf]) -> Result<Vec<ScenarioFile>> {
    files
        .iter()
        .map(|f| config::load(f).map_err(anyhow::Error::from))
        .collect()
}

fn validate(files: &[PathBuf]) -> Result<()> {
    let mut failed = 0;
    for f in files {
        match config::load(f) {
            Ok(sf) => {
                let s = sf.base();
                println!(
                    "{}: ok, scenario \"{}\": {} sweep point(s) x {} scheduler(s) x {} replication(s) = {} runs",
                    f.display(),
                    s.name,
                    sf.points.len(),
                    s.schedulers.len(),
                    s.replications,
                    sf.run_count()
                );
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} scenario file(s) invalid", files.len());
    }
    Ok(())
}

fn run(args: &RunArgs) -> Result<()> {
    let mut files = load_all(&args.files)?;
    if args.strict {
        files.iter_mut().for_each(ScenarioFile::set_strict);
    }
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    for file in &files {
        run_file(file, args, jobs)?;
    }
    Ok(())
}

fn results_dir(file: &ScenarioFile, out: Option<&Path>) -> PathBuf {
    match out {
        Some(base) => base.join(&file.base().name),
        None => file.base().output.dir.clone(),
    }
}

fn run_file(file: &ScenarioFile, args: &RunArgs, jobs: usize) -> Result<()> {
    let dir = results_dir(file, args.out.as_deref());
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create results directory {}", dir.display()))?;
    let runs = sweep::plan(file, args.seed);
    let tasks_dir = file
        .base()
        .output
        .tasks_csv
        .then(|| dir.join(".tasks-parts"));
    if let Some(t) = &tasks_dir {
        std::fs::create_dir_all(t).with_context(|| format!("cannot create {}", t.display()))?;
    }
    let bar = progress_bar(runs.len() as u64, args.quiet, &file.base().name);
    let results = sweep::execute(
        file,
        &runs,
        jobs,
        args.check_invariants,
        tasks_dir.as_deref(),
        &|r| {
            bar.set_message(format!(
                "{:.1} Mev/s",
                r.summary.events as f64 / r.summary.wall_s.max(1e-9) / 1e6
            ));
            bar.inc(1);
        },
    )
    .with_context(|| format!("{}: run failed", file.path.display()))?;
    bar.finish_and_clear();
    output::write_results(&dir, file, &results)
        .with_context(|| format!("cannot write results to {}", dir.display()))?;
    if let Some(t) = &tasks_dir {
        output::tasks::merge_parts(t, &runs, &dir.join("tasks.csv"))
            .context("cannot write tasks.csv")?;
    }
    warn_unschedulable(file, &results);
    if let Some(report) = results.iter().find_map(|r| r.trace_report.as_ref()) {
        eprintln!(
            "warning: {}: the trace reader skipped or dropped records:\n{report}",
            file.path.display()
        );
    }
    let comparison = crate::compare::compare_dir(&dir, None)?;
    comparison.write_csv(&dir)?;
    if file.base().output.plots {
        crate::plot::plot_dir(&dir)
            .with_context(|| format!("cannot draw the plots of {}", dir.display()))?;
    }
    if !args.quiet {
        println!(
            "\n{} ({} runs) -> {}",
            file.base().name,
            results.len(),
            dir.display()
        );
        print!("{}", output::table::render(file, &results));
    }
    Ok(())
}

fn warn_unschedulable(file: &ScenarioFile, results: &[sweep::RunResult]) {
    let n: u64 = results.iter().map(|r| r.summary.tasks_unschedulable).sum();
    if n > 0 {
        eprintln!(
            "warning: {}: {n} task(s) needed more than any node has and were rejected as unschedulable (column tasks_unschedulable)",
            file.path.display()
        );
    }
}

fn progress_bar(total: u64, quiet: bool, name: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} runs, ETA {eta} {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(name.to_string());
    bar
}

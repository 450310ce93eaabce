//! The command line. Exit status 0 on success, 1 for user errors (bad scenario, bad trace, an
//! interrupted run), 2 for usage errors (clap's own).

mod bench;
mod docker;
mod docker_run;
mod orch;
mod run;
mod validate;
mod watch;
mod worker;

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::config;
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
    /// Measure the simulator: each run (replication 0 of every scheduler and sweep point) in a
    /// process of its own; prints wall and CPU time, events per CPU second, peak memory, and the
    /// speed relative to a bare binary heap. Without files: benches/mmc100.toml,
    /// benches/overload.toml and benches/google-scale.toml (run from the repository root).
    Bench(bench::BenchArgs),
    /// One run of `simctl bench`, measured in this process (started by `simctl bench`).
    #[command(hide = true)]
    BenchOne(bench::BenchOneArgs),
    /// Parse and check scenarios; print how many runs each expands into.
    Validate {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Override a scenario key, as `run --set` does.
        #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_set)]
        set: Vec<(String, toml::Value)>,
        /// Also show how `run --shard K/N` would split the runs over N shards: estimated cost per
        /// shard and the planned imbalance (slowest shard over the mean), by cost and by count.
        #[arg(long, value_name = "N", value_parser = parse_shards)]
        shards: Option<usize>,
    },
    /// Trace utilities.
    #[command(subcommand)]
    Trace(TraceCommand),
    /// Combine the results of `run --shard K/N` runs into the files one machine would have
    /// written, in DIR/<scenario>/ (as `run --out DIR`).
    Merge {
        /// Base directory for the merged results: they go to DIR/<scenario>/.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The shards' `--out` directories (or the <scenario> directories inside them).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
    /// (Re)draw the plots of a results directory from its CSV files (into DIR/plots/).
    Plot {
        /// Results directory (holding summary.csv).
        dir: PathBuf,
    },
    /// Write DIR/report.html: one self-contained HTML page with the scenario, the comparison
    /// table, every plot, failure, simulated-vs-real and trace results, and the run cost.
    Report {
        /// Results directory (holding summary.csv).
        dir: PathBuf,
    },
    /// Compare schedulers (and swept scheduler/failover settings) in a results directory: mean and
    /// 95% CI over replications, rows ranked, best marked only when Welch's t-test against the
    /// runner-up is significant at 5%; writes DIR/compare.csv.
    Compare {
        /// Results directory (holding summary.csv).
        dir: PathBuf,
        /// Also show each metric as a ratio to this scheduler.
        #[arg(long)]
        baseline: Option<String>,
    },
    /// Real containers: run a scenario on them; clean, image, calibrate.
    #[command(subcommand)]
    Docker(docker::DockerCommand),
    /// Consume CPU and memory for a while (the workload of the runner's containers).
    Burn(crate::runner::burn::BurnArgs),
    /// The orchestrator's manager: an HTTP API, a task store, scheduling with the control plane.
    Serve(orch::ServeArgs),
    /// Submit the task(s) of a TOML or JSON file to a manager.
    Submit {
        /// One task's fields at the top level, or `[[task]]` tables.
        file: PathBuf,
        #[command(flatten)]
        client: orch::ClientArgs,
    },
    /// List a manager's tasks, or show one with its history.
    Tasks {
        /// A task id (t17): show it with its history.
        id: Option<String>,
        /// Only tasks in this state.
        #[arg(long)]
        state: Option<String>,
        #[command(flatten)]
        client: orch::ClientArgs,
    },
    /// Stop a task (its container is stopped; it is not restarted).
    Stop {
        /// The task id.
        id: String,
        #[command(flatten)]
        client: orch::ClientArgs,
    },
    /// The worker agent: registers with a manager, runs its launches as containers.
    Worker(worker::WorkerArgs),
    /// The fence of a worker agent (started by `simctl worker`, not by people).
    #[command(hide = true)]
    WorkerFence(worker::FenceCliArgs),
}

#[derive(Debug, Subcommand)]
enum TraceCommand {
    /// Summarise a trace file: rows, tasks, time span, demand distribution, skipped lines by reason.
    Info {
        /// The trace file (plain or gzip).
        file: PathBuf,
        /// Its format: google2011, alibaba2017, alibaba2018, alibaba2018-machines, gpu2023,
        /// gpu2023-nodes, swf, azure-llm, csv.
        #[arg(long, value_parser = parse_format)]
        format: crate::workload::trace::TraceFormat,
        /// Stop at the first malformed line (exit 1, naming file and line) instead of skipping it.
        #[arg(long)]
        strict: bool,
    },
}

fn parse_format(s: &str) -> std::result::Result<crate::workload::trace::TraceFormat, String> {
    crate::workload::trace::TraceFormat::parse(s)
}

fn parse_jobs(s: &str) -> std::result::Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1 (the number of worker threads)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("expected a number of worker threads, got \"{s}\"")),
    }
}

fn parse_shards(s: &str) -> std::result::Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1 (the number of shards)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("expected a number of shards, got \"{s}\"")),
    }
}

fn parse_set(s: &str) -> std::result::Result<(String, toml::Value), String> {
    config::parse_override(s)
}

fn parse_shard(s: &str) -> std::result::Result<sweep::Shard, String> {
    sweep::Shard::parse(s)
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
    /// Worker threads, at least 1 (default: all cores). Results do not depend on it.
    #[arg(long, short = 'j', value_parser = parse_jobs)]
    jobs: Option<usize>,
    /// No progress bar and no table.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Check capacity invariants after every scheduling decision (slower).
    #[arg(long)]
    check_invariants: bool,
    /// Keep the runs already recorded in the results directory (after an interrupt, a kill or a
    /// crash) and run only the missing ones.
    #[arg(long)]
    resume: bool,
    /// Discard the runs recorded by an earlier unfinished run and start over (without it, `run`
    /// refuses to discard them).
    #[arg(long, conflicts_with = "resume")]
    force: bool,
    /// Run only this deterministic share of the runs: the runs are split over N shards by their
    /// estimated cost (longest first, each to the least loaded shard; `validate --shards N` shows
    /// the plan), the same on every machine; combine the shards' directories with `simctl merge`.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    shard: Option<sweep::Shard>,
    /// Trace replays: stop at the first malformed line (exit 1, naming file and line) instead of
    /// skipping and counting it.
    #[arg(long)]
    strict: bool,
    /// Override a scenario key for this run, with the dotted paths of `[sweep]`
    /// (`--set scenario.horizon=10m --set workload.arrival.rate=3`); repeatable, recorded in
    /// runs.json.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_set)]
    set: Vec<(String, toml::Value)>,
    /// Also write DIR/report.html at the end (as `simctl report DIR`; not with --shard: the
    /// report of a sharded sweep is made after `simctl merge`).
    #[arg(long)]
    report: bool,
    /// Serve live Prometheus metrics of the runs in flight at http://ADDR/metrics (simulated
    /// time, events, runs done, the control plane's figures, labelled by run) and a live page at
    /// http://ADDR/ (e.g. 127.0.0.1:9184; port 0 picks a free one, printed on stderr).
    #[arg(long, value_name = "ADDR")]
    metrics: Option<String>,
    /// With --metrics: keep serving the final state this long after the runs end (e.g. "5s").
    #[arg(long, value_name = "DURATION", value_parser = docker_run::parse_linger, requires = "metrics")]
    metrics_linger: Option<std::time::Duration>,
}

/// Parses arguments, runs the command, and returns the process exit status.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Bench(args) => bench::bench(&args),
        Command::BenchOne(args) => bench::bench_one(&args),
        Command::Merge { out, dirs } => run::merge(&out, &dirs),
        Command::Validate { files, set, shards } => validate(&files, &set, shards),
        Command::Trace(TraceCommand::Info {
            file,
            format,
            strict,
        }) => trace_info(&file, format, strict),
        Command::Plot { dir } => plot(&dir),
        Command::Report { dir } => report(&dir),
        Command::Compare { dir, baseline } => compare(&dir, baseline.as_deref()),
        Command::Docker(cmd) => docker::run(cmd),
        Command::Burn(args) => return crate::runner::burn::run(&args),
        Command::Serve(args) => orch::serve(&args),
        Command::Submit { file, client } => orch::submit(&file, &client),
        Command::Tasks { id, state, client } => {
            orch::tasks(id.as_deref(), state.as_deref(), &client)
        }
        Command::Stop { id, client } => orch::stop(&id, &client),
        Command::Worker(args) => worker::run(&args),
        Command::WorkerFence(args) => worker::fence(&args),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}

fn trace_info(
    file: &Path,
    format: crate::workload::trace::TraceFormat,
    strict: bool,
) -> Result<()> {
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

fn report(dir: &Path) -> Result<()> {
    let path = crate::report::write_report(dir)?;
    let stale = crate::report::staleness::stale_plots(dir)?;
    if let Some((_, newer)) = stale.first() {
        eprintln!(
            "warning: {}: {} plot(s) are older than {newer} and are marked stale in the report; redraw them with `simctl plot {}`",
            dir.display(),
            stale.len(),
            dir.display()
        );
    }
    println!("{}", path.display());
    Ok(())
}

fn compare(dir: &Path, baseline: Option<&str>) -> Result<()> {
    let comparison = crate::compare::compare_dir(dir, baseline)?;
    let path = comparison.write_csv(dir)?;
    print!("{}", comparison.render_table());
    println!("-> {}", path.display());
    Ok(())
}

fn validate(files: &[PathBuf], set: &[(String, toml::Value)], shards: Option<usize>) -> Result<()> {
    let mut failed = 0;
    for f in files {
        match config::load_with_overrides(f, set) {
            Ok(sf) => {
                let (report, warnings) = validate::report(&sf);
                print!("{report}");
                if let Some(n) = shards {
                    print!("{}", validate::shard_plan(&sf, n));
                }
                for w in warnings {
                    eprintln!("warning: {w}");
                }
            }
            Err(e) => {
                eprintln!("error: {:#}", anyhow::Error::new(e));
                failed += 1;
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} scenario file(s) invalid", files.len());
    }
    Ok(())
}

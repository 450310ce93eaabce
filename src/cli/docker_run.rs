//! `simctl docker run FILE`: a scenario on real containers, every (scheduler, replication) run
//! after the other, written like `simctl run`'s results (with `mode = docker`) to
//! `<output.dir>-docker/`, and compared with the simulator's runs of the same scenario.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::config::{self, ScenarioFile};
use crate::output::assemble::{assemble, Source};
use crate::output::record::{fingerprint, Mode, RunRecord, RUNS_DIR};
use crate::runner::clean::RunGuard;
use crate::runner::docker::DockerCli;
use crate::runner::drive::{run_real, RealRun};
use crate::runner::runtime::ContainerRuntime;
use crate::runner::spec::LABEL_RUN;
use crate::runner::{calibrate, image, static_bin};
use crate::sweep::{self, RunResult, RunSpec};

use super::run::{finish_dir, remove_records, report_warnings, stop_flag};

/// Arguments of `simctl docker run`.
#[derive(Debug, Clone, clap::Args)]
pub struct DockerRunArgs {
    /// The scenario file (small: every task is a container).
    pub file: PathBuf,
    /// Write to DIR/<scenario>-docker/ instead of <output.dir>-docker/.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Override a scenario key, as with `simctl run` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = config::parse_override)]
    pub set: Vec<(String, toml::Value)>,
    /// Print nothing but errors.
    #[arg(long)]
    pub quiet: bool,
    /// Serve live Prometheus metrics at http://ADDR/metrics and a live page at http://ADDR/
    /// while the runs go on (e.g. 127.0.0.1:9184; bind to loopback unless it must be reached from
    /// elsewhere).
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<String>,
    /// With --metrics: keep serving the final state this long after the runs end (e.g. "5s"),
    /// so that a scraper sees every task accounted for.
    #[arg(long, value_name = "DURATION", value_parser = parse_linger, requires = "metrics")]
    pub metrics_linger: Option<std::time::Duration>,
}

/// A `--metrics-linger` duration ("5s", "500ms"), at most an hour.
pub(crate) fn parse_linger(text: &str) -> std::result::Result<std::time::Duration, String> {
    let secs = crate::units::parse_duration_secs(text).map_err(|e| e.to_string())?;
    if !(0.0..=3600.0).contains(&secs) {
        return Err(format!("expected a duration of at most 1h, got \"{text}\""));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

/// What the runs measured of the runner itself.
#[derive(Default)]
struct RunnerStats {
    latencies: Vec<f64>,
    overheads: Vec<f64>,
    /// The most containers that started within one second of each other, per run.
    peak_per_second: usize,
    decisions: Vec<f64>,
    starts: usize,
    start_wall: f64,
}

/// Runs `simctl docker run`.
pub fn run(args: &DockerRunArgs) -> Result<()> {
    let file = config::load_with_overrides(&args.file, &args.set)?;
    if file.points.len() > 1 {
        bail!(
            "{}: `simctl docker run` runs one configuration; this file sweeps {} points",
            file.path.display(),
            file.points.len()
        );
    }
    if file
        .base()
        .node_groups
        .iter()
        .any(|g| g.capacity.gpu_milli > 0)
    {
        bail!(
            "{}: `simctl docker run` does not hand out GPUs (the node groups have gpu = N); simulate GPU scenarios with `simctl run`",
            file.path.display()
        );
    }
    let runs = sweep::plan(&file, None);
    // Every run's plan is checked before any container starts.
    for r in &runs {
        let s = &file.points[r.point].scenario;
        let cluster = crate::cluster::Cluster::new(&s.node_groups);
        crate::runner::plan::plan(s, &cluster, r.seed)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.path.display()))?;
    }
    let docker = DockerCli::connect()?;
    let leftovers = clean_orphans(&docker)?;
    if !leftovers.is_empty() && !args.quiet {
        eprintln!(
            "removed {} container(s) left by an earlier run that was killed",
            leftovers.len()
        );
    }
    let image = match file.base().docker.as_ref().and_then(|d| d.image.clone()) {
        Some(own) => {
            if !docker.image_exists(&own) {
                bail!(
                    "{}: docker.image \"{own}\" is not in the local engine (it is never pulled)",
                    file.path.display()
                );
            }
            own
        }
        None => image::ensure_image(&docker, &static_bin::find_or_build()?)?.tag,
    };
    let dir = results_dir(&file, args.out.as_deref());
    std::fs::create_dir_all(dir.join(RUNS_DIR))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let fp = fingerprint(&file, &runs);
    let server = match &args.metrics {
        Some(addr) => {
            let s = crate::monitor::server::MetricsServer::start(addr)
                .map_err(|e| anyhow::anyhow!(e))?;
            if !args.quiet {
                eprintln!(
                    "metrics: http://{}/metrics (live page: http://{}/)",
                    s.addr(),
                    s.addr()
                );
            }
            Some(s)
        }
        None => None,
    };
    let stop = stop_flag();
    let mut stats = RunnerStats::default();
    let mut real_summaries = Vec::new();
    for spec in &runs {
        let run_id = format!("{}-{}-{}", std::process::id(), now_millis(), spec.index);
        let real = {
            let _guard = RunGuard::new(&docker, &run_id);
            let scenario = &file.points[spec.point].scenario;
            run_real(
                &docker,
                &image,
                scenario,
                spec,
                &run_id,
                stop,
                server.as_ref(),
            )
            .map_err(|e| anyhow::anyhow!("{}: run {}: {e}", file.path.display(), spec.index))?
        };
        stats.latencies.extend(&real.start_latencies);
        stats.overheads.extend(&real.overheads);
        stats.peak_per_second = stats.peak_per_second.max(peak_per_second(&real.started_at));
        stats.decisions.extend(&real.decision_seconds);
        stats.starts += real.placements.len();
        stats.start_wall += real.wall_s;
        real_summaries.push(save(&file, spec, &dir, &fp, runs.len(), real)?);
    }
    // The simulator's twins of the same runs (same seeds: same tasks, crashes and faults).
    let sims = sweep::run_in_memory(&file, &runs, 1, false)
        .with_context(|| format!("{}: simulating the same runs", file.path.display()))?;
    let sim_summaries: Vec<_> = sims.into_iter().map(|r| r.summary).collect();
    let versus = crate::runner::versus::compare(&sim_summaries, &real_summaries);
    let sources: Vec<Source> = runs.iter().map(|r| (dir.clone(), r.index)).collect();
    let assembled = assemble(&dir, &sources)
        .with_context(|| format!("cannot write results to {}", dir.display()))?;
    crate::report::save_scenario_text(&dir, &file.path)
        .with_context(|| format!("cannot store the scenario text in {}", dir.display()))?;
    report_warnings(&file.path, &assembled);
    finish_dir(&dir, file.base().output.plots)?;
    remove_records(&dir)?;
    let versus_path = dir.join("sim-vs-real.csv");
    crate::output::atomic::write_atomic(&versus_path, |w| {
        w.write_all(crate::runner::versus::to_csv(&versus).as_bytes())
    })
    .with_context(|| format!("cannot write {}", versus_path.display()))?;
    if !args.quiet {
        println!(
            "simulated against real ({} run(s), same seeds):",
            runs.len()
        );
        print!("{}", crate::runner::versus::render(&versus));
        let scale = file.base().docker.as_ref().map_or(1.0, |d| d.time_scale);
        print_stats(&stats, scale);
        println!("{} real run(s) -> {}", runs.len(), dir.display());
    }
    if let (Some(_), Some(linger)) = (&server, args.metrics_linger) {
        // The last run's final state stays published while a scraper catches up.
        std::thread::sleep(linger);
    }
    Ok(())
}

fn results_dir(file: &ScenarioFile, out: Option<&Path>) -> PathBuf {
    let name = format!("{}-docker", file.base().name);
    match out {
        Some(base) => base.join(name),
        None => {
            let d = &file.base().output.dir;
            d.with_file_name(format!(
                "{}-docker",
                d.file_name()
                    .map_or("results".into(), |f| f.to_string_lossy())
            ))
        }
    }
}

/// Removes the containers of earlier `simctl docker run`s whose process is gone (killed with
/// SIGKILL: no guard ran). A run id starts with its process id; a run whose process still lives
/// (another study running beside this one) is left alone, and so is every container without the
/// `simctl.run` label.
fn clean_orphans(docker: &DockerCli) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    for c in docker.list(LABEL_RUN, None)? {
        let pid = c
            .labels
            .get(LABEL_RUN)
            .and_then(|run| run.split('-').next())
            .and_then(|p| p.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            docker.remove(&c.id)?;
            removed.push(c.name);
        }
    }
    Ok(removed)
}

fn now_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// Writes one real run's record and task rows, as a simulated run's; returns its summary.
fn save(
    file: &ScenarioFile,
    spec: &RunSpec,
    dir: &Path,
    fp: &str,
    total: usize,
    real: RealRun,
) -> Result<crate::metrics::Summary> {
    let mut summary = real.output.summary;
    summary.wall_s = real.wall_s;
    let result = RunResult {
        spec: *spec,
        summary,
        quantiles: real.output.metrics.quantile_rows(),
        samples: real.output.metrics.samples.clone(),
        trace_report: None,
        trace_sha256: crate::sweep::trace_sha256(&file.points[spec.point].scenario)?,
        schedulers: real.output.schedulers.clone(),
        mean_pending_events: real.output.mean_pending_events,
    };
    crate::output::tasks::write_rows(
        file,
        spec,
        &real.rows,
        &RunRecord::tasks_path(dir, spec.index),
    )
    .with_context(|| format!("cannot write task rows in {}", dir.display()))?;
    let record = RunRecord::new(file, &result, total, fp, true, Mode::Docker);
    record
        .save(dir)
        .with_context(|| format!("cannot write a run record in {}", dir.display()))?;
    Ok(result.summary)
}

/// The most start events within any one-second window (`at` in event order).
fn peak_per_second(at: &[f64]) -> usize {
    let mut peak = 0;
    let mut from = 0;
    for (i, &t) in at.iter().enumerate() {
        while t - at[from] > 1.0 {
            from += 1;
        }
        peak = peak.max(i + 1 - from);
    }
    peak
}

fn print_stats(s: &RunnerStats, time_scale: f64) {
    if !s.latencies.is_empty() {
        let lat = calibrate::summarize(&s.latencies);
        println!(
            "containers started: {} ({:.2} per second of run, at most {} within one second); start latency (docker run -> start event) mean {:.3} s, p95 {:.3} s",
            s.starts,
            s.starts as f64 / s.start_wall.max(1e-9),
            s.peak_per_second,
            lat.mean,
            lat.p95
        );
    }
    if !s.overheads.is_empty() {
        // What the simulator should assume, in scenario time, as measured under this run's load:
        // everything a completed container took beyond its work (start latency and exit lag).
        let scaled: Vec<f64> = s.overheads.iter().map(|l| l / time_scale).collect();
        println!(
            "per-attempt overhead (docker run -> die event, less the work) for the node groups: {}",
            calibrate::scenario_key(&calibrate::summarize(&scaled))
        );
    }
    if !s.decisions.is_empty() {
        let mut dec = s.decisions.clone();
        dec.sort_by(f64::total_cmp);
        println!(
            "control plane per decision (scheduler included): mean {:.1} us, p99 {:.1} us over {} decisions",
            calibrate::summarize(&dec).mean * 1e6,
            calibrate::nearest_rank(&dec, 0.99) * 1e6,
            dec.len()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::peak_per_second;

    #[test]
    fn peak_counts_the_busiest_one_second_window() {
        assert_eq!(peak_per_second(&[]), 0);
        assert_eq!(peak_per_second(&[5.0]), 1);
        // 0.1 .. 1.0 are within one second of each other; 2.5 is alone.
        assert_eq!(peak_per_second(&[0.1, 0.5, 0.9, 1.0, 2.5]), 4);
        assert_eq!(peak_per_second(&[0.0, 1.5, 3.0, 4.5]), 1);
    }
}

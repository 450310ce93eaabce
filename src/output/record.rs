//! Run records: everything one finished run contributes to the result files, already rendered as
//! CSV text, saved atomically as `DIR/.runs/run-NNNNNN.json` the moment the run ends. Result files are
//! assembled from records alone, which is what makes `--resume` (skip runs whose record exists),
//! `--shard K/N` and `simctl merge` (assemble records from several directories) produce exactly the
//! files of one uninterrupted run, and keeps memory flat however many runs a sweep has.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::config::sweep::value_text;
use crate::config::ScenarioFile;
use crate::metrics::{GpuSummary, Metric, Summary};
use crate::output::atomic::write_atomic;
use crate::output::tasks::csv_field;
use crate::rng::label_hash;
use crate::sweep::{RunResult, RunSpec};

/// Directory of run records inside a results directory.
pub const RUNS_DIR: &str = ".runs";

/// One finished run, rendered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Position in the scenario's run list.
    pub index: usize,
    /// Total runs of the scenario (for checking that merged shards are complete).
    pub total_runs: usize,
    /// Fingerprint of the scenario (resolved documents and seed): records of different scenarios never mix.
    pub fingerprint: String,
    /// Scenario name.
    pub scenario: String,
    /// Swept keys, in order (the extra columns of summary.csv).
    pub sweep_keys: Vec<String>,
    /// `scheduler,sweep_point,replication` as CSV.
    pub run_id: String,
    /// summary.csv header (all columns).
    pub summary_header: Vec<String>,
    /// summary.csv row.
    pub summary_row: Vec<String>,
    /// quantiles.csv rows (without header).
    pub quantile_lines: Vec<String>,
    /// timeseries.csv rows (without header).
    pub timeseries_lines: Vec<String>,
    /// Whether the scenario models power: summary.csv has the energy columns and timeseries.csv
    /// a `power_w` column.
    #[serde(default)]
    pub power: bool,
    /// Whether the scenario has a `[power]` table: timeseries.csv has a `nodes_on` column (after
    /// `power_w`).
    #[serde(default)]
    pub power_policy: bool,
    /// Whether the cluster has GPUs: summary.csv has the GPU columns and timeseries.csv the
    /// [`crate::metrics::GpuSample::COLUMNS`] (last, after `power_w` and `nodes_on` when present).
    #[serde(default)]
    pub gpu: bool,
    /// schedulers.csv header (runs with a scheduler architecture only).
    #[serde(default)]
    pub scheduler_header: String,
    /// schedulers.csv rows, one per scheduler actor (without header).
    #[serde(default)]
    pub scheduler_lines: Vec<String>,
    /// This run's element of runs.json.
    pub run_json: serde_json::Value,
    /// timing.csv row.
    pub timing_line: String,
    /// Whether a tasks part file accompanies the record.
    pub has_tasks: bool,
    /// Trace reader's skip report, if any.
    pub trace_report: Option<String>,
    /// Summary values for the terminal table.
    pub summary: SummaryLite,
}

/// The few summary numbers the end-of-run table shows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SummaryLite {
    /// Tasks completed.
    pub tasks_completed: u64,
    /// Tasks rejected as unschedulable.
    pub tasks_unschedulable: u64,
    /// Mean wait (NaN as null).
    pub mean_wait_s: Option<f64>,
    /// p99 response.
    pub p99_response_s: Option<f64>,
    /// Mean slowdown.
    pub mean_slowdown: Option<f64>,
    /// CPU utilisation.
    pub util_cpu: f64,
    /// Imbalance.
    pub imbalance_cv: f64,
    /// Events.
    pub events: u64,
    /// Wall seconds.
    pub wall_s: f64,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

impl SummaryLite {
    fn of(s: &Summary) -> SummaryLite {
        SummaryLite {
            tasks_completed: s.tasks_completed,
            tasks_unschedulable: s.tasks_unschedulable,
            mean_wait_s: finite(s.mean_wait_s),
            p99_response_s: finite(s.p99_response_s),
            mean_slowdown: finite(s.mean_slowdown),
            util_cpu: s.util_cpu,
            imbalance_cv: s.imbalance_cv,
            events: s.events,
            wall_s: s.wall_s,
        }
    }
}

/// A stable fingerprint of a scenario file's runs (documents, seeds and run count).
pub fn fingerprint(file: &ScenarioFile, runs: &[RunSpec]) -> String {
    let mut h = 0u64;
    for p in &file.points {
        h = crate::rng::mix64(h ^ label_hash(&p.document.to_string()));
    }
    for r in runs {
        h = crate::rng::mix64(h ^ r.seed);
    }
    format!("{h:016x}-{}", runs.len())
}

fn num(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        x.to_string()
    }
}

/// The peak resident set size of this process so far (`VmHWM` in `/proc/self/status`), in bytes;
/// `None` where that file is absent (not Linux) or has no such line. Runs share one process, so
/// this is the process's peak when a run ended, not the run's own.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Where a run's numbers come from: the simulator, or real containers (`simctl docker run`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The discrete-event simulator.
    Sim,
    /// Real containers on a Docker engine.
    Docker,
}

impl Mode {
    /// The `mode` column's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Sim => "sim",
            Mode::Docker => "docker",
        }
    }
}

impl RunRecord {
    /// Renders a finished run.
    pub fn new(
        file: &ScenarioFile,
        result: &RunResult,
        total_runs: usize,
        fingerprint: &str,
        has_tasks: bool,
        mode: Mode,
    ) -> RunRecord {
        let spec = &result.spec;
        let point = &file.points[spec.point];
        let scheduler = &point.scenario.schedulers[spec.scheduler].name;
        let run_id = format!(
            "{},{},{}",
            csv_field(scheduler),
            spec.point,
            spec.replication
        );
        let mut summary_header: Vec<String> = [
            "scenario",
            "mode",
            "scheduler",
            "sweep_point",
            "replication",
            "seed",
        ]
        .map(String::from)
        .to_vec();
        summary_header.extend(file.axes.iter().map(|a| csv_field(&a.key)));
        let columns = result.summary.columns();
        summary_header.extend(columns.iter().map(|(n, _)| n.to_string()));
        // Decided for the whole file, so that every run of a sweep has the same columns.
        let power = file
            .points
            .iter()
            .any(|p| p.scenario.node_groups.iter().any(|g| g.power.is_some()));
        if power {
            summary_header.extend(Summary::ENERGY_COLUMNS.map(String::from));
        }
        let extra = ExtraColumns::of(file);
        summary_header.extend(extra.header());
        let gpu = file.points.iter().any(|p| {
            p.scenario
                .node_groups
                .iter()
                .any(|g| g.capacity.gpu_milli > 0)
        });
        if gpu {
            summary_header.extend(GpuSummary::COLUMNS.map(String::from));
        }
        let mut summary_row = vec![
            csv_field(&point.scenario.name),
            mode.as_str().to_string(),
            run_id.clone(),
            spec.seed.to_string(),
        ];
        summary_row.extend(point.values.iter().map(|(_, v)| csv_field(&value_text(v))));
        summary_row.extend(columns.iter().map(|(_, m)| m.to_csv()));
        if power {
            summary_row.extend(result.summary.energy_columns().map(Metric::to_csv));
        }
        summary_row.extend(extra.row(&result.summary));
        let power_policy = extra.policy;
        if gpu {
            summary_row.extend(result.summary.gpu_columns().map(Metric::to_csv));
        }
        let quantile_lines = result
            .quantiles
            .iter()
            .map(|(m, q, v)| format!("{run_id},{m},{q},{}", num(*v)))
            .collect();
        let timeseries_lines = result
            .samples
            .iter()
            .map(|s| {
                // Measured columns are empty in simulated runs.
                let measured = s.measured.map_or_else(
                    || ",,,,,".to_string(),
                    |m| {
                        format!(
                            "{},{},{},{},{},{}",
                            m.host_cpu_busy,
                            m.host_memory_used_bytes,
                            m.host_load1,
                            m.containers_cpu_cores,
                            m.containers_memory_bytes,
                            m.containers_cpu_util
                        )
                    },
                );
                let line = format!(
                    "{run_id},{},{},{},{},{},{},{},{measured}",
                    s.time_s,
                    s.util_cpu,
                    s.util_memory,
                    s.util_disk,
                    s.queue_length,
                    s.running,
                    s.nodes_up
                );
                let line = match (power, s.power_w) {
                    (false, _) => line,
                    (true, Some(w)) => format!("{line},{w}"),
                    (true, None) => format!("{line},"),
                };
                let line = match (power_policy, s.nodes_on) {
                    (false, _) => line,
                    (true, Some(n)) => format!("{line},{n}"),
                    (true, None) => format!("{line},"),
                };
                match (gpu, s.gpu) {
                    (false, _) => line,
                    (true, Some(g)) => {
                        format!("{line},{},{},{}", g.util_gpu, g.gpu_frag, g.arrived_gpu)
                    }
                    (true, None) => format!("{line},,,"),
                }
            })
            .collect();
        let sweep_values: Vec<String> = point
            .values
            .iter()
            .map(|(_, v)| csv_field(&value_text(v)))
            .collect();
        let mut scheduler_header = String::new();
        let scheduler_lines = result
            .schedulers
            .iter()
            .map(|s| {
                let columns = s.columns();
                if scheduler_header.is_empty() {
                    let mut h: Vec<String> = ["scheduler", "sweep_point", "replication"]
                        .map(String::from)
                        .to_vec();
                    h.extend(file.axes.iter().map(|a| csv_field(&a.key)));
                    h.extend(["architecture", "actor", "classes"].map(String::from));
                    h.extend(columns.iter().map(|(n, _)| n.to_string()));
                    scheduler_header = h.join(",");
                }
                let mut row = vec![run_id.clone()];
                row.extend(sweep_values.iter().cloned());
                row.push(s.architecture.to_string());
                row.push(csv_field(&s.name));
                row.push(csv_field(&s.classes));
                row.extend(columns.iter().map(|(_, m)| m.to_csv()));
                row.join(",")
            })
            .collect();
        let sweep: serde_json::Map<String, serde_json::Value> = point
            .values
            .iter()
            .map(|(k, v)| (k.clone(), json!(value_text(v))))
            .collect();
        let run_json = json!({
            "run": spec.index,
            "scenario": point.scenario.name,
            "mode": mode.as_str(),
            "scheduler": scheduler,
            "sweep_point": spec.point,
            "replication": spec.replication,
            "seed": spec.seed,
            "sweep": sweep,
            "overrides": file
                .overrides
                .iter()
                .map(|(k, v)| (k.clone(), json!(value_text(v))))
                .collect::<serde_json::Map<String, serde_json::Value>>(),
            "config": point.document,
        });
        let mut run_json = run_json;
        if let Some(report) = &result.trace_report {
            // What the trace reader skipped or dropped: kept in runs.json for `simctl report`.
            run_json["trace_report"] = json!(report);
        }
        if let Some(sums) = &result.trace_sha256 {
            // Which bytes were replayed, for the report's provenance.
            run_json["trace_sha256"] = json!(sums);
        }
        let s = &result.summary;
        let rate = if s.wall_s > 0.0 {
            s.events as f64 / s.wall_s
        } else {
            0.0
        };
        RunRecord {
            index: spec.index,
            total_runs,
            fingerprint: fingerprint.to_string(),
            scenario: point.scenario.name.clone(),
            sweep_keys: file.axes.iter().map(|a| a.key.clone()).collect(),
            timing_line: format!(
                "{run_id},{},{},{rate:.0},{}",
                s.events,
                s.wall_s,
                peak_rss_bytes().map_or(String::new(), |b| b.to_string())
            ),
            run_id,
            summary_header,
            summary_row,
            quantile_lines,
            timeseries_lines,
            power,
            power_policy,
            gpu,
            scheduler_header,
            scheduler_lines,
            run_json,
            has_tasks,
            trace_report: result.trace_report.clone(),
            summary: SummaryLite::of(s),
        }
    }

    /// Where run `index`'s record lives in results directory `dir`.
    pub fn path(dir: &Path, index: usize) -> PathBuf {
        dir.join(RUNS_DIR).join(format!("run-{index:06}.json"))
    }

    /// Saves the record atomically.
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        let path = RunRecord::path(dir, self.index);
        write_atomic(&path, |w| {
            serde_json::to_writer(&mut *w, self)?;
            Ok(())
        })
    }

    /// Loads a record; `None` if the file does not exist.
    pub fn load(dir: &Path, index: usize) -> std::io::Result<Option<RunRecord>> {
        let path = RunRecord::path(dir, index);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                std::io::Error::other(format!("{}: corrupt run record: {e}", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Indices of the runs recorded in `dir`, ascending.
    pub fn indices(dir: &Path) -> std::io::Result<Vec<usize>> {
        let runs = dir.join(RUNS_DIR);
        let entries = match std::fs::read_dir(&runs) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("{}: {e}", runs.display()),
                ))
            }
        };
        let mut indices = Vec::new();
        for entry in entries {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if let Some(i) = name
                .strip_prefix("run-")
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(|n| n.parse().ok())
            {
                indices.push(i);
            }
        }
        indices.sort_unstable();
        Ok(indices)
    }

    /// Where run `index`'s task rows live in results directory `dir`.
    pub fn tasks_path(dir: &Path, index: usize) -> PathBuf {
        dir.join(RUNS_DIR).join(format!("run-{index:06}.tasks.csv"))
    }
}

/// The summary columns a power model or a `[power]` table adds after the energy columns, decided
/// for the whole file so that every run of a sweep has the same columns:
/// `energy_kwh_<group>` per node group with a power model (groups named in first-seen order over
/// the sweep points; empty for a point without that group), `power_offs` and `boots` with a
/// `[power]` table, `carbon_g` with `[power] carbon`.
struct ExtraColumns {
    groups: Vec<String>,
    policy: bool,
    carbon: bool,
}

impl ExtraColumns {
    fn of(file: &ScenarioFile) -> ExtraColumns {
        let mut groups: Vec<String> = Vec::new();
        for p in &file.points {
            for g in p.scenario.node_groups.iter().filter(|g| g.power.is_some()) {
                if !groups.contains(&g.name) {
                    groups.push(g.name.clone());
                }
            }
        }
        let policy = file.points.iter().any(|p| p.scenario.power.is_some());
        let carbon = file.points.iter().any(|p| {
            p.scenario
                .power
                .as_ref()
                .is_some_and(|w| w.carbon.is_some())
        });
        ExtraColumns {
            groups,
            policy,
            carbon,
        }
    }

    fn header(&self) -> Vec<String> {
        let mut h: Vec<String> = self
            .groups
            .iter()
            .map(|g| csv_field(&format!("energy_kwh_{g}")))
            .collect();
        if self.policy {
            h.extend(["power_offs", "boots"].map(String::from));
        }
        if self.carbon {
            h.push("carbon_g".into());
        }
        h
    }

    fn row(&self, s: &Summary) -> Vec<String> {
        let mut row: Vec<String> = self
            .groups
            .iter()
            .map(|g| {
                let kwh = s.energy_groups.iter().find(|(n, _)| n == g).map(|e| e.1);
                Metric::Real(kwh.unwrap_or(f64::NAN)).to_csv()
            })
            .collect();
        if self.policy {
            let c = s.power.unwrap_or_default();
            row.extend([c.power_offs, c.boots].map(|n| Metric::Count(n).to_csv()));
        }
        if self.carbon {
            row.push(Metric::Real(s.carbon_g.unwrap_or(f64::NAN)).to_csv());
        }
        row
    }
}

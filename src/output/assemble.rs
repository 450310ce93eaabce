//! Assembling result files from run records, in run order, in one streaming pass: each record is
//! read once and its lines go to every file's temporary, then all files are renamed into place. The
//! output depends only on the records, not on which machine, thread or session produced them.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::output::atomic::temp_path;
use crate::output::record::{RunRecord, SummaryLite};
use crate::output::tasks::HEADER as TASKS_HEADER;

/// Where one record comes from: a results directory and a run index.
pub type Source = (PathBuf, usize);

/// What assembling found, for the terminal table and warnings.
#[derive(Debug, Clone, Default)]
pub struct Assembled {
    /// (run index, summary numbers) per run, in run order.
    pub runs: Vec<(usize, SummaryLite)>,
    /// The first trace skip report seen.
    pub trace_report: Option<String>,
    /// Files written.
    pub files: Vec<PathBuf>,
}

struct Out {
    path: PathBuf,
    tmp: PathBuf,
    w: BufWriter<File>,
}

impl Out {
    fn create(dir: &Path, name: &str) -> std::io::Result<Out> {
        let path = dir.join(name);
        let tmp = temp_path(&path);
        let w = BufWriter::new(File::create(&tmp)?);
        Ok(Out { path, tmp, w })
    }

    fn finish(self) -> std::io::Result<PathBuf> {
        let file = self.w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&self.tmp, &self.path)?;
        Ok(self.path)
    }
}

/// Writes summary.csv, quantiles.csv, timeseries.csv, schedulers.csv (runs with a scheduler
/// architecture), runs.json, timing.csv and tasks.csv into
/// `dir` from the records at `sources` (which must share one fingerprint), in the order given.
pub fn assemble(dir: &Path, sources: &[Source]) -> std::io::Result<Assembled> {
    std::fs::create_dir_all(dir)?;
    let mut outs: Vec<Out> = Vec::new();
    let result = write_all(dir, sources, &mut outs);
    if result.is_err() {
        for o in &outs {
            let _ = std::fs::remove_file(&o.tmp);
        }
    }
    let mut assembled = result?;
    for o in outs {
        assembled.files.push(o.finish()?);
    }
    Ok(assembled)
}

const SUMMARY: usize = 0;
const QUANTILES: usize = 1;
const RUNS_JSON: usize = 2;
const TIMING: usize = 3;

const TIMESERIES_HEADER: &str =
    "scheduler,sweep_point,replication,time_s,util_cpu,util_memory,util_disk,queue_length,running,nodes_up,host_cpu_busy,host_memory_used_bytes,host_load1,containers_cpu_cores,containers_memory_bytes,containers_cpu_util";

/// The index in `outs` of an optional file, created with its header the first time it is needed.
fn open_once(
    slot: &mut Option<usize>,
    outs: &mut Vec<Out>,
    dir: &Path,
    name: &str,
    header: &str,
) -> std::io::Result<usize> {
    if let Some(k) = *slot {
        return Ok(k);
    }
    let mut out = Out::create(dir, name)?;
    writeln!(out.w, "{header}")?;
    outs.push(out);
    *slot = Some(outs.len() - 1);
    Ok(outs.len() - 1)
}

fn write_all(dir: &Path, sources: &[Source], outs: &mut Vec<Out>) -> std::io::Result<Assembled> {
    let mut assembled = Assembled::default();
    let mut fingerprint: Option<String> = None;
    let (mut timeseries, mut tasks): (Option<usize>, Option<usize>) = (None, None);
    let mut schedulers: Option<usize> = None;
    for (i, (src, index)) in sources.iter().enumerate() {
        let rec = RunRecord::load(src, *index)?.ok_or_else(|| {
            std::io::Error::other(format!("{}: run {index} has no record", src.display()))
        })?;
        match &fingerprint {
            None => fingerprint = Some(rec.fingerprint.clone()),
            Some(f) if *f != rec.fingerprint => {
                return Err(std::io::Error::other(format!(
                "{}: run {index} belongs to a different scenario or seed (fingerprint {} vs {f})",
                src.display(),
                rec.fingerprint
            )))
            }
            Some(_) => {}
        }
        if i == 0 {
            for name in ["summary.csv", "quantiles.csv", "runs.json", "timing.csv"] {
                outs.push(Out::create(dir, name)?);
            }
            writeln!(outs[SUMMARY].w, "{}", rec.summary_header.join(","))?;
            writeln!(
                outs[QUANTILES].w,
                "scheduler,sweep_point,replication,metric,quantile,value"
            )?;
            writeln!(outs[RUNS_JSON].w, "[")?;
            writeln!(
                outs[TIMING].w,
                "scheduler,sweep_point,replication,events,wall_s,events_per_s,peak_rss_bytes"
            )?;
        }
        writeln!(outs[SUMMARY].w, "{}", rec.summary_row.join(","))?;
        for l in &rec.quantile_lines {
            writeln!(outs[QUANTILES].w, "{l}")?;
        }
        let sep = if i + 1 < sources.len() { "," } else { "" };
        writeln!(
            outs[RUNS_JSON].w,
            "{}{sep}",
            serde_json::to_string_pretty(&rec.run_json)?
        )?;
        writeln!(outs[TIMING].w, "{}", rec.timing_line)?;
        if !rec.timeseries_lines.is_empty() {
            let mut header = if rec.power {
                format!("{TIMESERIES_HEADER},power_w")
            } else {
                TIMESERIES_HEADER.to_string()
            };
            if rec.power_policy {
                header.push_str(",nodes_on");
            }
            if rec.gpu {
                for c in crate::metrics::GpuSample::COLUMNS {
                    header.push(',');
                    header.push_str(c);
                }
            }
            let k = open_once(&mut timeseries, outs, dir, "timeseries.csv", &header)?;
            for l in &rec.timeseries_lines {
                writeln!(outs[k].w, "{l}")?;
            }
        }
        if !rec.scheduler_lines.is_empty() {
            let k = open_once(
                &mut schedulers,
                outs,
                dir,
                "schedulers.csv",
                &rec.scheduler_header,
            )?;
            for l in &rec.scheduler_lines {
                writeln!(outs[k].w, "{l}")?;
            }
        }
        if rec.has_tasks {
            let k = open_once(&mut tasks, outs, dir, "tasks.csv", TASKS_HEADER)?;
            let mut part = File::open(RunRecord::tasks_path(src, *index))?;
            std::io::copy(&mut part, &mut outs[k].w)?;
        }
        if assembled.trace_report.is_none() {
            assembled.trace_report = rec.trace_report.clone();
        }
        assembled.runs.push((rec.index, rec.summary));
    }
    if let Some(o) = outs.get_mut(RUNS_JSON) {
        writeln!(o.w, "]")?;
    }
    Ok(assembled)
}

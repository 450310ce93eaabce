//! The node metrics of a heartbeat: CPU busy fraction, memory and load from `/proc`
//! ([`NodeSampler`]), disk size and free space of the state directory's filesystem (from
//! `df -B1 --output=size,avail DIR`, which needs no new dependency), and the container count.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::orchestrator::wire::NodeMetrics;
use crate::runner::procfs::NodeSampler;

/// Samples a node's metrics between heartbeats.
#[derive(Debug)]
pub struct MetricsSampler {
    proc: NodeSampler,
    dir: PathBuf,
}

impl MetricsSampler {
    /// A sampler of the host, measuring the disk that holds `dir`.
    pub fn new(dir: &Path) -> Self {
        MetricsSampler {
            proc: NodeSampler::host(),
            dir: dir.to_path_buf(),
        }
    }

    /// The metrics now, with `containers` as the container count. A part that cannot be read
    /// stays zero (a heartbeat is never held back by a metric).
    pub fn sample(&mut self, containers: u32) -> NodeMetrics {
        let mut m = NodeMetrics {
            containers,
            ..Default::default()
        };
        if let Ok(s) = self.proc.sample() {
            m.cpu_busy = s.cpu_busy;
            m.memory_total_bytes = s.memory.total;
            m.memory_available_bytes = s.memory.available;
            m.load = s.load;
        }
        if let Ok((total, free)) = disk_usage(&self.dir) {
            m.disk_total_bytes = total;
            m.disk_free_bytes = free;
        }
        m
    }
}

/// Size and free bytes of the filesystem holding `dir`.
pub fn disk_usage(dir: &Path) -> Result<(u64, u64), String> {
    let out = Command::new("df")
        .args(["-B1", "--output=size,avail"])
        .arg(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run df: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "df {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    parse_df(&String::from_utf8_lossy(&out.stdout))
}

/// Parses `df -B1 --output=size,avail` output: a header line, then `SIZE AVAIL` in bytes.
pub fn parse_df(text: &str) -> Result<(u64, u64), String> {
    let line = text
        .lines()
        .nth(1)
        .ok_or_else(|| format!("df printed no data line: {text:?}"))?;
    let mut it = line.split_whitespace().map(str::parse::<u64>);
    match (it.next(), it.next()) {
        (Some(Ok(size)), Some(Ok(avail))) => Ok((size, avail)),
        _ => Err(format!("df printed \"{line}\", expected two byte counts")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn df_output_parses() {
        let text = "     1B-blocks        Avail\n 105089261568 60412620800\n";
        assert_eq!(parse_df(text).unwrap(), (105089261568, 60412620800));
        assert!(parse_df("1B-blocks Avail\n").is_err());
        assert!(parse_df("h\nx y\n").is_err());
    }

    #[test]
    fn the_hosts_metrics_are_plausible() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = MetricsSampler::new(dir.path());
        let m = s.sample(3);
        assert_eq!(m.containers, 3);
        assert_eq!(m.cpu_busy, None, "one reading gives no CPU fraction");
        assert!(m.memory_total_bytes >= m.memory_available_bytes && m.memory_total_bytes > 0);
        assert!(m.disk_total_bytes >= m.disk_free_bytes && m.disk_total_bytes > 0);
        std::thread::sleep(std::time::Duration::from_millis(50));
        let busy = s.sample(0).cpu_busy;
        assert!(busy.is_none_or(|b| (0.0..=1.0).contains(&b)), "{busy:?}");
    }
}

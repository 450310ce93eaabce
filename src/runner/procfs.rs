//! Node metrics from the kernel: CPU busy % from two readings of `/proc/stat`, memory from
//! `/proc/meminfo`, load from `/proc/loadavg`. The parsers are pure functions over the files'
//! text (tested on fixtures); [`NodeSampler`] reads the files.

use std::path::{Path, PathBuf};

/// Cumulative CPU time of the `cpu` line of `/proc/stat`, in jiffies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTimes {
    /// Idle plus iowait.
    pub idle: u64,
    /// Every other state except guest time (already counted in user and nice).
    pub busy: u64,
}

/// Memory figures of `/proc/meminfo`, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemInfo {
    /// MemTotal.
    pub total: u64,
    /// MemAvailable (what can be allocated without swapping).
    pub available: u64,
}

/// One sample of the node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeSample {
    /// CPU busy fraction 0..=1 of all cores since the previous sample (`None` on the first).
    pub cpu_busy: Option<f64>,
    /// Memory.
    pub memory: MemInfo,
    /// The 1-, 5- and 15-minute load averages.
    pub load: [f64; 3],
}

/// Parses the aggregate `cpu` line of `/proc/stat` (user nice system idle iowait irq softirq
/// steal guest guest_nice).
pub fn parse_stat(text: &str) -> Result<CpuTimes, String> {
    let line = text
        .lines()
        .find(|l| l.starts_with("cpu "))
        .ok_or("no aggregate \"cpu \" line in /proc/stat")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse::<u64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("non-numeric field in /proc/stat line \"{line}\""))?;
    if v.len() < 4 {
        return Err(format!("too few fields in /proc/stat line \"{line}\""));
    }
    let field = |i: usize| v.get(i).copied().unwrap_or(0);
    let idle = field(3) + field(4);
    // Fields 8 and 9 (guest, guest_nice) are already included in user and nice.
    let busy = field(0) + field(1) + field(2) + field(5) + field(6) + field(7);
    Ok(CpuTimes { idle, busy })
}

/// The busy fraction between two readings: non-idle jiffies over all jiffies. `None` when no
/// time passed (or the counters went backwards).
pub fn cpu_busy_fraction(before: CpuTimes, after: CpuTimes) -> Option<f64> {
    let busy = after.busy.checked_sub(before.busy)?;
    let idle = after.idle.checked_sub(before.idle)?;
    let total = busy + idle;
    (total > 0).then(|| busy as f64 / total as f64)
}

/// Parses MemTotal and MemAvailable (kB in the file) of `/proc/meminfo`.
pub fn parse_meminfo(text: &str) -> Result<MemInfo, String> {
    let field = |name: &str| -> Result<u64, String> {
        let line = text
            .lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(':'))
            .ok_or_else(|| format!("no {name} line in /proc/meminfo"))?;
        let kb: u64 = line[name.len() + 1..]
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("unreadable /proc/meminfo line \"{line}\""))?;
        Ok(kb * 1024)
    };
    Ok(MemInfo {
        total: field("MemTotal")?,
        available: field("MemAvailable")?,
    })
}

/// Parses the three load averages of `/proc/loadavg`.
pub fn parse_loadavg(text: &str) -> Result<[f64; 3], String> {
    let v: Vec<f64> = text
        .split_whitespace()
        .take(3)
        .map(|f| f.parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("unreadable /proc/loadavg \"{}\"", text.trim()))?;
    v.try_into()
        .map_err(|_| format!("too few fields in /proc/loadavg \"{}\"", text.trim()))
}

/// Samples a node's `/proc` (the host's, or a fixture directory's in tests).
#[derive(Debug)]
pub struct NodeSampler {
    root: PathBuf,
    prev: Option<CpuTimes>,
}

impl NodeSampler {
    /// A sampler of the host's `/proc`.
    pub fn host() -> Self {
        Self::at(Path::new("/proc"))
    }

    /// A sampler of the `stat`, `meminfo` and `loadavg` files under `root`.
    pub fn at(root: &Path) -> Self {
        NodeSampler {
            root: root.to_path_buf(),
            prev: None,
        }
    }

    /// Reads the three files; the CPU fraction is over the time since the previous call.
    pub fn sample(&mut self) -> Result<NodeSample, String> {
        let read = |name: &str| {
            let p = self.root.join(name);
            std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))
        };
        let cpu = parse_stat(&read("stat")?)?;
        let memory = parse_meminfo(&read("meminfo")?)?;
        let load = parse_loadavg(&read("loadavg")?)?;
        let cpu_busy = self.prev.and_then(|p| cpu_busy_fraction(p, cpu));
        self.prev = Some(cpu);
        Ok(NodeSample {
            cpu_busy,
            memory,
            load,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured from this project's machine (2 cores, Linux 6.x), first lines only.
    const STAT_1: &str =
        "cpu  4705 356 584 3699 23 0 9 0 0 0\ncpu0 2352 178 292 1850 12 0 5 0 0 0\nintr 1462898\n";
    const STAT_2: &str =
        "cpu  4905 356 604 3779 23 0 9 0 0 0\ncpu0 2452 178 302 1890 12 0 5 0 0 0\nintr 1462999\n";
    const MEMINFO: &str = "MemTotal:        8141596 kB\nMemFree:          259336 kB\nMemAvailable:    5427940 kB\nBuffers:          193212 kB\n";

    #[test]
    fn cpu_busy_is_non_idle_over_all_jiffies_between_readings() {
        let a = parse_stat(STAT_1).unwrap();
        assert_eq!(
            a,
            CpuTimes {
                idle: 3699 + 23,
                busy: 4705 + 356 + 584 + 9
            }
        );
        let b = parse_stat(STAT_2).unwrap();
        // Between the readings: busy +200 user +20 system = 220, idle +80: 220 / 300.
        let f = cpu_busy_fraction(a, b).unwrap();
        assert!((f - 220.0 / 300.0).abs() < 1e-12, "{f}");
        assert_eq!(cpu_busy_fraction(a, a), None);
        assert_eq!(cpu_busy_fraction(b, a), None);
    }

    #[test]
    fn meminfo_and_loadavg_parse() {
        let m = parse_meminfo(MEMINFO).unwrap();
        assert_eq!(m.total, 8141596 * 1024);
        assert_eq!(m.available, 5427940 * 1024);
        assert_eq!(
            parse_loadavg("1.52 0.98 0.40 3/412 98765\n").unwrap(),
            [1.52, 0.98, 0.40]
        );
    }

    #[test]
    fn malformed_proc_text_is_an_error_naming_the_file() {
        assert!(parse_stat("intr 5\n").unwrap_err().contains("/proc/stat"));
        assert!(parse_stat("cpu  1 x 3 4\n")
            .unwrap_err()
            .contains("non-numeric"));
        assert!(parse_meminfo("MemTotal: 5 kB\n")
            .unwrap_err()
            .contains("MemAvailable"));
        assert!(parse_loadavg("0.1 0.2").unwrap_err().contains("too few"));
    }

    #[test]
    fn sampler_reads_a_proc_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("stat"), STAT_1).unwrap();
        std::fs::write(dir.path().join("meminfo"), MEMINFO).unwrap();
        std::fs::write(dir.path().join("loadavg"), "0.5 0.25 0.125 1/2 3\n").unwrap();
        let mut s = NodeSampler::at(dir.path());
        let first = s.sample().unwrap();
        assert_eq!(first.cpu_busy, None);
        std::fs::write(dir.path().join("stat"), STAT_2).unwrap();
        let second = s.sample().unwrap();
        assert!((second.cpu_busy.unwrap() - 220.0 / 300.0).abs() < 1e-12);
        assert_eq!(second.load, [0.5, 0.25, 0.125]);
        // The host's own /proc parses too.
        let host = NodeSampler::host().sample().unwrap();
        assert!(host.memory.total >= host.memory.available && host.memory.total > 0);
    }
}

//! What the current process has used, from `/proc/self`: CPU time (user + system) and peak
//! resident memory. Each figure is parsed by a pure function over the file's text (tested on
//! fixtures) and is `None` where the file cannot be read (not Linux).
//!
//! CPU time is the first field of `/proc/thread-self/schedstat`: the nanoseconds the calling
//! thread has spent on a CPU, in user and system mode alike, as the scheduler counts them (it
//! brings a running thread's count up to date at every timer tick, so a reading lags by up to one
//! tick, 4 ms at 250 Hz). It covers the calling thread only, which is the whole of a `simctl
//! bench-one` process (a run is single-threaded). Where that file is missing (a kernel without `CONFIG_SCHED_INFO`),
//! fields 14 and 15 (`utime`, `stime`) of `/proc/self/stat` are used instead: all threads, in
//! clock ticks of `USER_HZ`, which is 100 on every Linux architecture simctl builds for
//! (`getconf CLK_TCK` says 100), so [`CLOCK_TICKS_PER_S`] is fixed at 100 rather than read with
//! `sysconf` (which would need libc): a resolution of 10 ms. Peak memory is `VmHWM` of
//! `/proc/self/status`, the resident set's high-water mark.

/// Clock ticks per second of `/proc/<pid>/stat` (the kernel's `USER_HZ`).
pub const CLOCK_TICKS_PER_S: f64 = 100.0;

/// CPU seconds (user + system) the calling thread has used so far (see the module's documentation
/// for the source).
pub fn cpu_seconds() -> Option<f64> {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    read("/proc/thread-self/schedstat")
        .and_then(|t| parse_schedstat_ns(&t))
        .map(|ns| ns as f64 / 1e9)
        .or_else(|| {
            read("/proc/self/stat")
                .and_then(|t| parse_cpu_ticks(&t))
                .map(|ticks| ticks as f64 / CLOCK_TICKS_PER_S)
        })
}

/// Peak resident set size of this process so far, in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm_kib(&text).map(|kib| kib as f64 / 1024.0)
}

/// The first field of `/proc/<pid>/schedstat`: nanoseconds spent on a CPU.
pub fn parse_schedstat_ns(schedstat: &str) -> Option<u64> {
    schedstat.split_whitespace().next()?.parse().ok()
}

/// `utime + stime` (clock ticks) of a `/proc/<pid>/stat` line. The command name (field 2) is in
/// parentheses and may hold spaces and parentheses itself, so fields are counted from the last
/// `)`: `utime` and `stime` are the 12th and 13th fields after it.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// The `VmHWM` line of `/proc/<pid>/status`, in KiB (the file says "kB").
pub fn parse_vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real line (bash), with a command name holding a space and a parenthesis: utime = 1234,
    /// stime = 56.
    #[test]
    fn cpu_ticks_are_utime_plus_stime_after_the_command_name() {
        let stat = "4242 (a b) c) S 1 4242 4242 0 -1 4194560 1179 0 0 0 1234 56 0 0 20 0 1 0 \
                    123456 10000000 500 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        assert_eq!(parse_cpu_ticks(stat), Some(1290));
        assert_eq!(parse_cpu_ticks("4242 (x) S 1"), None);
    }

    /// Fields: time on CPU (ns), time waiting to run (ns), time slices.
    #[test]
    fn schedstat_gives_the_time_on_cpu() {
        assert_eq!(parse_schedstat_ns("123456789 5000 42\n"), Some(123_456_789));
        assert_eq!(parse_schedstat_ns(""), None);
    }

    #[test]
    fn peak_rss_is_the_vmhwm_line() {
        let status =
            "Name:\tsimctl\nVmPeak:\t  999999 kB\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\n";
        assert_eq!(parse_vm_hwm_kib(status), Some(20480));
        assert_eq!(parse_vm_hwm_kib("Name:\tsimctl\n"), None);
    }

    #[test]
    fn this_process_has_figures() {
        assert!(cpu_seconds().is_some_and(|s| s >= 0.0));
        assert!(peak_rss_mib().is_some_and(|m| m > 0.0));
    }
}

//! `simctl burn`: the workload of the runner's containers. It really consumes `--cpu` cores for
//! `--seconds` (a fractional share is a duty-cycled busy loop per thread), keeps `--memory` resident
//! (one write per page, so the kernel must back every page), optionally answers `GET /health`, and
//! exits with `--exit-code`, so that exits, failures, OOM kills and health failures can all be
//! produced on demand by a real container.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::health::HealthServer;

/// The busy/idle period of the duty cycle. Short enough that the engine's CFS quota (100 ms
/// periods) sees a steady share, long enough that the loop's own overhead is negligible.
pub const DUTY_PERIOD: Duration = Duration::from_millis(20);

/// The page size assumed when touching memory (x86-64 and aarch64 base pages).
pub const PAGE_SIZE: usize = 4096;

/// Arguments of `simctl burn`.
#[derive(Debug, Clone, clap::Args)]
pub struct BurnArgs {
    /// Cores to consume, fractional allowed (1.5 = two threads each busy 75% of the time).
    #[arg(long, default_value_t = 1.0, value_parser = parse_cpu)]
    pub cpu: f64,
    /// How long to run, in seconds (fractional allowed).
    #[arg(long, value_parser = parse_seconds)]
    pub seconds: f64,
    /// Memory to keep resident, e.g. 64MiB (every page is written once).
    #[arg(long, default_value = "0", value_parser = parse_size)]
    pub memory: u64,
    /// Answer HTTP `GET /health` on this address (e.g. 0.0.0.0:8080 inside a container).
    #[arg(long, value_name = "ADDR:PORT")]
    pub serve_health: Option<SocketAddr>,
    /// Answer 500 instead of 200 once this many seconds have passed since the start.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub unhealthy_after: Option<f64>,
    /// Exit status at the end.
    #[arg(long, default_value_t = 0)]
    pub exit_code: i32,
}

fn parse_cpu(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("expected a number of cores like 0.5 or 2, got \"{s}\""))?;
    if v.is_finite() && (0.0..=1024.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("cores must be between 0 and 1024, got {s}"))
    }
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    let v = crate::units::parse_duration_secs(s)?;
    if v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("expected a non-negative duration, got \"{s}\""))
    }
}

fn parse_size(s: &str) -> Result<u64, String> {
    let v = crate::units::parse_size_bytes(s)?;
    if (0.0..=u64::MAX as f64).contains(&v) {
        Ok(v as u64)
    } else {
        Err(format!("expected a non-negative size, got \"{s}\""))
    }
}

/// The duty of each busy thread for `cpu` cores: `ceil(cpu)` threads sharing the load equally
/// (1.5 cores -> two threads at 0.75; 0 cores -> no thread).
pub fn thread_duties(cpu: f64) -> Vec<f64> {
    let n = cpu.ceil() as usize;
    vec![cpu / n.max(1) as f64; n]
}

/// How long a thread with `duty` (0..=1) spins in each `period`; it sleeps for the rest.
pub fn busy_slice(duty: f64, period: Duration) -> Duration {
    period.mul_f64(duty.clamp(0.0, 1.0))
}

/// The number of pages that hold `bytes` bytes.
pub fn pages_for(bytes: u64) -> usize {
    (bytes as usize).div_ceil(PAGE_SIZE)
}

/// Allocates `bytes` and writes one byte in every page, so that every page is resident (a zeroed
/// allocation alone maps pages lazily and costs no memory).
pub fn touch_memory(bytes: u64) -> Vec<u8> {
    let mut buf = vec![0u8; bytes as usize];
    for page in 0..pages_for(bytes) {
        buf[page * PAGE_SIZE] = 1;
    }
    std::hint::black_box(&mut buf);
    buf
}

/// Spins for `duty` of every [`DUTY_PERIOD`] and sleeps for the rest, until `stop` is set. The
/// duty is measured on the wall clock: on a contended machine (or under a lower `--cpus` limit)
/// the thread gets less CPU than asked, as a real task would.
fn burn_thread(duty: f64, stop: &AtomicBool) {
    let busy = busy_slice(duty, DUTY_PERIOD);
    let mut x = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let start = Instant::now();
        while start.elapsed() < busy {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        if let Some(rest) = DUTY_PERIOD.checked_sub(start.elapsed()) {
            std::thread::sleep(rest);
        }
    }
}

/// Runs `simctl burn` and returns its exit status (the requested one, or 1 if the health server
/// cannot bind).
pub fn run(args: &BurnArgs) -> i32 {
    let started = Instant::now();
    if let Some(addr) = args.serve_health {
        let unhealthy = args.unhealthy_after.map(Duration::from_secs_f64);
        if let Err(e) = HealthServer::spawn(addr, started, unhealthy) {
            eprintln!("error: cannot serve /health on {addr}: {e}");
            return 1;
        }
    }
    let memory = touch_memory(args.memory);
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = thread_duties(args.cpu)
        .into_iter()
        .map(|duty| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || burn_thread(duty, &stop))
        })
        .collect();
    if let Some(rest) = Duration::from_secs_f64(args.seconds).checked_sub(started.elapsed()) {
        std::thread::sleep(rest);
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    drop(std::hint::black_box(memory));
    args.exit_code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractional_cores_split_evenly_over_ceil_threads() {
        assert_eq!(thread_duties(1.5), vec![0.75, 0.75]);
        assert_eq!(thread_duties(2.0), vec![1.0, 1.0]);
        assert_eq!(thread_duties(0.25), vec![0.25]);
        assert!(thread_duties(0.0).is_empty());
        // The duties always add up to the requested cores.
        for cpu in [0.1, 0.5, 1.0, 1.3, 2.7, 3.0] {
            let sum: f64 = thread_duties(cpu).iter().sum();
            assert!((sum - cpu).abs() < 1e-12, "{cpu}: {sum}");
        }
    }

    #[test]
    fn busy_slice_is_duty_times_period() {
        let p = Duration::from_millis(20);
        assert_eq!(busy_slice(0.75, p), Duration::from_millis(15));
        assert_eq!(busy_slice(1.0, p), p);
        assert_eq!(busy_slice(0.0, p), Duration::ZERO);
    }

    #[test]
    fn memory_is_counted_in_whole_pages_and_every_page_is_written() {
        assert_eq!(pages_for(0), 0);
        assert_eq!(pages_for(1), 1);
        assert_eq!(pages_for(4096), 1);
        assert_eq!(pages_for(4097), 2);
        assert_eq!(pages_for(64 * 1024 * 1024), 16384);
        let buf = touch_memory(3 * 4096 + 5);
        assert_eq!(buf.len(), 3 * 4096 + 5);
        let written: Vec<usize> = (0..buf.len()).filter(|&i| buf[i] != 0).collect();
        assert_eq!(written, vec![0, 4096, 8192, 12288]);
    }

    #[test]
    fn burn_returns_the_requested_exit_code() {
        let args = BurnArgs {
            cpu: 0.1,
            seconds: 0.05,
            memory: 8192,
            serve_health: None,
            unhealthy_after: None,
            exit_code: 3,
        };
        assert_eq!(run(&args), 3);
    }
}

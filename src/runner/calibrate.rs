//! `simctl docker calibrate`: starts short burn containers one after another and measures each
//! one's start latency, from issuing `docker run -d` to the engine's `start` event (both read on
//! this host's wall clock), then prints the `start_delay` scenario key to paste.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::clean::RunGuard;
use super::docker::DockerCli;
use super::error::RuntimeError;
use super::events::EventKind;
use super::runtime::ContainerRuntime;
use super::spec::ContainerSpec;

/// Summary statistics of start latencies, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencyStats {
    /// Number of samples.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (0 with one sample).
    pub std: f64,
    /// Median (nearest rank).
    pub p50: f64,
    /// 95th percentile (nearest rank).
    pub p95: f64,
}

/// What one calibration measured.
#[derive(Debug, Clone)]
pub struct Calibration {
    /// Start latencies, issue to `start` event, seconds, in start order.
    pub latencies: Vec<f64>,
    /// Containers started per second, issuing one `docker run -d` after another.
    pub starts_per_sec: f64,
}

/// The nearest-rank `q`-quantile (0 < q <= 1) of sorted values.
pub fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Mean, standard deviation, p50 and p95 of `samples` (at least one).
pub fn summarize(samples: &[f64]) -> LatencyStats {
    assert!(!samples.is_empty(), "summarize needs at least one sample");
    let n = samples.len();
    let mean = samples.iter().sum::<f64>() / n as f64;
    let var = if n > 1 {
        samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64
    } else {
        0.0
    };
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    LatencyStats {
        n,
        mean,
        std: var.sqrt(),
        p50: nearest_rank(&sorted, 0.5),
        p95: nearest_rank(&sorted, 0.95),
    }
}

/// The scenario key for these statistics (a lognormal with the measured mean and standard
/// deviation; durations in milliseconds' precision).
pub fn scenario_key(s: &LatencyStats) -> String {
    format!(
        "start_delay = {{ dist = \"lognormal\", mean = \"{:.3}s\", std = \"{:.3}s\" }}",
        s.mean, s.std
    )
}

fn unix_nanos(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Starts `samples` burn containers of image `image` one after another (run id `run_id`,
/// removed afterwards whatever happens) and measures their start latencies.
pub fn calibrate(
    docker: &DockerCli,
    image: &str,
    run_id: &str,
    samples: usize,
) -> Result<Calibration, RuntimeError> {
    let _guard = RunGuard::new(docker, run_id);
    let events = docker.events(run_id)?;
    let mut issued: HashMap<String, i64> = HashMap::new();
    let mut order = Vec::new();
    let t0 = Instant::now();
    for i in 0..samples {
        let mut spec = ContainerSpec::for_attempt(run_id, "calibrate", i as u64, 1, image);
        spec.cpus = 0.25;
        spec.memory_bytes = 16 << 20;
        spec.args = ["burn", "--cpu", "0.1", "--seconds", "0.2"]
            .map(String::from)
            .to_vec();
        let at = unix_nanos(SystemTime::now());
        let id = docker.start(&spec)?;
        issued.insert(id.clone(), at);
        order.push(id);
    }
    let starts_per_sec = samples as f64 / t0.elapsed().as_secs_f64();
    let mut started: HashMap<String, i64> = HashMap::new();
    while started.len() < samples {
        let e = events
            .wait_for(
                Duration::from_secs(30),
                |e| e.kind == EventKind::Started && issued.contains_key(&e.id),
                drop,
            )
            .map_err(|detail| RuntimeError::Parse {
                command: "events".into(),
                detail,
            })?;
        started.insert(e.id.clone(), e.time_nanos);
    }
    let latencies = order
        .iter()
        .map(|id| (started[id] - issued[id]) as f64 / 1e9)
        .collect();
    Ok(Calibration {
        latencies,
        starts_per_sec,
    })
}

/// The report `simctl docker calibrate` prints.
pub fn report(c: &Calibration) -> String {
    let s = summarize(&c.latencies);
    format!(
        "container start latency over {} starts (issue -> engine start event): mean {:.3}s, std {:.3}s, p50 {:.3}s, p95 {:.3}s\n\
         sequential starts: {:.2} containers/s\n\
         scenario key to paste under the node group (read by the simulator, and by the Docker runner once issue 10 lands):\n{}\n",
        s.n,
        s.mean,
        s.std,
        s.p50,
        s.p95,
        c.starts_per_sec,
        scenario_key(&s)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_of_known_samples() {
        // 1..=20 (tenths of a second): mean 1.05, p50 = 10th value = 1.0, p95 = 19th = 1.9,
        // sample std = sqrt(20 * 21 / 12 * 0.01) = sqrt(0.35).
        let xs: Vec<f64> = (1..=20).map(|i| i as f64 / 10.0).collect();
        let s = summarize(&xs);
        assert_eq!(s.n, 20);
        assert!((s.mean - 1.05).abs() < 1e-12);
        assert!((s.std - 0.35f64.sqrt()).abs() < 1e-12, "{}", s.std);
        assert_eq!(s.p50, 1.0);
        assert_eq!(s.p95, 1.9);
        let one = summarize(&[0.2]);
        assert_eq!((one.std, one.p50, one.p95), (0.0, 0.2, 0.2));
    }

    #[test]
    fn scenario_key_is_a_lognormal_with_units() {
        let s = summarize(&[0.17, 0.21, 0.25]);
        assert_eq!(
            scenario_key(&s),
            "start_delay = { dist = \"lognormal\", mean = \"0.210s\", std = \"0.040s\" }"
        );
    }
}

//! Real usage during a run, sampled on a thread of its own (one `docker stats` call takes about a
//! second, far longer than the driver's loop may wait): the host's CPU, memory and load from
//! `/proc`, and the run's containers' CPU and memory from the engine. The driver reads the latest
//! reading at each time-series sample.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::metrics::Measured;

use super::docker::DockerCli;
use super::procfs::NodeSampler;
use super::runtime::ContainerRuntime;
use super::spec::LABEL_RUN;
use super::stats::container_usage;

/// A running sampler; dropping it stops the thread.
pub struct UsageSampler {
    latest: Arc<Mutex<Option<Measured>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl UsageSampler {
    /// Samples every `every` (real time) until dropped; `capacity_cores` is the cluster's CPU
    /// capacity (the denominator of `containers_cpu_util`).
    pub fn start(
        docker: DockerCli,
        run_id: String,
        every: Duration,
        capacity_cores: f64,
    ) -> UsageSampler {
        let latest = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let (l, s) = (latest.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut host = NodeSampler::host();
            let _ = host.sample(); // the first reading only sets the CPU baseline
            while !s.load(Ordering::SeqCst) {
                std::thread::sleep(every);
                if let Some(m) = measure(&docker, &run_id, &mut host, capacity_cores) {
                    *l.lock().expect("usage lock") = Some(m);
                }
            }
        });
        UsageSampler {
            latest,
            stop,
            thread: Some(thread),
        }
    }

    /// The latest reading, if any yet.
    pub fn latest(&self) -> Option<Measured> {
        *self.latest.lock().expect("usage lock")
    }
}

impl Drop for UsageSampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One reading (`None` when `/proc` cannot be read).
fn measure(
    docker: &DockerCli,
    run_id: &str,
    host: &mut NodeSampler,
    capacity_cores: f64,
) -> Option<Measured> {
    let node = host.sample().ok()?;
    let ids: Vec<String> = docker
        .list(LABEL_RUN, Some(run_id))
        .map(|cs| cs.into_iter().map(|c| c.id).collect())
        .unwrap_or_default();
    // Containers that exit between listing and reading are simply not counted.
    let usage = container_usage(docker, &ids).unwrap_or_default();
    let cores: f64 = usage.iter().map(|u| u.cpu_percent / 100.0).sum();
    Some(Measured {
        host_cpu_busy: node.cpu_busy.unwrap_or(f64::NAN),
        host_memory_used_bytes: node.memory.total.saturating_sub(node.memory.available),
        host_load1: node.load[0],
        containers_cpu_cores: cores,
        containers_memory_bytes: usage.iter().map(|u| u.memory_bytes).sum(),
        containers_cpu_util: cores / capacity_cores.max(1e-9),
    })
}

//! Live monitoring: what a run looks like now, as Prometheus metrics (`--metrics ADDR` of
//! `simctl docker run` and `simctl run`) and as a small page that refreshes itself. [`families`]
//! turns the control plane's state into metric families; [`server`] serves them; [`live`] collects
//! the simulated runs in flight of `simctl run` (labelled by run) and [`progress`] measures how far
//! they are.

pub mod exposition;
pub mod live;
pub mod progress;
pub mod server;

use crate::control::ControlPlane;
use crate::metrics::Measured;
use exposition::{Family, Kind};

/// The metric families of `cp` now; `node_names` labels the nodes, `measured` (real runs) is the
/// latest reading of the host and the run's containers, `events` counts the inputs handled.
pub fn families(
    cp: &ControlPlane,
    node_names: &[String],
    measured: Option<Measured>,
    events: u64,
) -> Vec<Family> {
    let mut out = plane_families(cp, node_names, measured, events, true);
    out.push(
        Family::new(
            "simctl_time_seconds",
            Kind::Gauge,
            "The run's time (scenario seconds since its start).",
        )
        .with(&[], cp.live().now_s),
    );
    out
}

/// The families of [`families`] but the run's clock (a simulated run reports its own,
/// `simctl_simulated_time_seconds`); the per-node ones only when `per_node`.
pub fn plane_families(
    cp: &ControlPlane,
    node_names: &[String],
    measured: Option<Measured>,
    events: u64,
    per_node: bool,
) -> Vec<Family> {
    let live = cp.live();
    let cluster = cp.cluster();
    let mut out = Vec::new();
    let up = live.nodes_up.iter().filter(|u| **u).count();
    out.push(
        Family::new(
            "simctl_nodes_up",
            Kind::Gauge,
            "Nodes the control plane considers up.",
        )
        .with(&[], up as f64),
    );
    let mut node_up = Family::new(
        "simctl_node_up",
        Kind::Gauge,
        "1 when the node is up, else 0.",
    );
    let mut cap_cpu = Family::new(
        "simctl_node_cpu_capacity_cores",
        Kind::Gauge,
        "CPU capacity of the node, cores.",
    );
    let mut alloc_cpu = Family::new(
        "simctl_node_cpu_allocated_cores",
        Kind::Gauge,
        "CPU allocated to tasks on the node, cores.",
    );
    let mut alloc_mem = Family::new(
        "simctl_node_memory_allocated_bytes",
        Kind::Gauge,
        "Memory allocated to tasks on the node, bytes.",
    );
    let mut alloc_disk = Family::new(
        "simctl_node_disk_allocated_bytes",
        Kind::Gauge,
        "Disk allocated to tasks on the node, bytes.",
    );
    if per_node {
        for (i, n) in cluster.nodes().iter().enumerate() {
            let name = node_names
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("node-{i}"));
            let l = [("node", name.as_str())];
            node_up = node_up.with(&l, if live.nodes_up[i] { 1.0 } else { 0.0 });
            cap_cpu = cap_cpu.with(&l, n.capacity.cpu_cores());
            alloc_cpu = alloc_cpu.with(&l, n.allocated.cpu_cores());
            alloc_mem = alloc_mem.with(&l, n.allocated.memory as f64);
            alloc_disk = alloc_disk.with(&l, n.allocated.disk as f64);
        }
        out.extend([node_up, cap_cpu, alloc_cpu, alloc_mem, alloc_disk]);
    }
    if let Some(m) = measured {
        out.extend([
            Family::new(
                "simctl_containers_cpu_used_cores",
                Kind::Gauge,
                "CPU the run's containers use, cores (docker stats).",
            )
            .with(&[], m.containers_cpu_cores),
            Family::new(
                "simctl_containers_memory_used_bytes",
                Kind::Gauge,
                "Memory the run's containers use, bytes (docker stats).",
            )
            .with(&[], m.containers_memory_bytes as f64),
            Family::new(
                "simctl_host_cpu_busy_ratio",
                Kind::Gauge,
                "The host's CPU busy fraction (/proc/stat).",
            )
            .with(&[], m.host_cpu_busy),
            Family::new(
                "simctl_host_memory_used_bytes",
                Kind::Gauge,
                "The host's memory in use (/proc/meminfo).",
            )
            .with(&[], m.host_memory_used_bytes as f64),
            Family::new(
                "simctl_host_load1",
                Kind::Gauge,
                "The host's 1-minute load average (/proc/loadavg).",
            )
            .with(&[], m.host_load1),
        ]);
    }
    out.push(
        Family::new("simctl_tasks", Kind::Gauge, "Live tasks by state.")
            .with(&[("state", "queued")], live.queued as f64)
            .with(&[("state", "running")], live.running as f64),
    );
    out.push(
        Family::new(
            "simctl_queue_length",
            Kind::Gauge,
            "Tasks waiting for a scheduler, a node queue or capacity.",
        )
        .with(&[], live.queued as f64),
    );
    out.push(
        Family::new(
            "simctl_tasks_submitted_total",
            Kind::Counter,
            "Tasks submitted.",
        )
        .with(&[], live.submitted as f64),
    );
    out.push(
        Family::new(
            "simctl_tasks_completed_total",
            Kind::Counter,
            "Tasks completed.",
        )
        .with(&[], live.completed as f64),
    );
    out.push(
        Family::new(
            "simctl_tasks_failed_total",
            Kind::Counter,
            "Tasks that ended without completing.",
        )
        .with(&[], live.failed as f64),
    );
    out.push(
        Family::new(
            "simctl_task_restarts_total",
            Kind::Counter,
            "Task attempts restarted after a failure.",
        )
        .with(&[], live.restarts as f64),
    );
    out.push(
        Family::new(
            "simctl_health_check_failures_total",
            Kind::Counter,
            "Attempts given up by their health checks.",
        )
        .with(&[], live.health_failures as f64),
    );
    out.push(
        Family::new("simctl_node_failures_total", Kind::Counter, "Node crashes.")
            .with(&[], live.node_failures as f64),
    );
    out.push(
        Family::new(
            "simctl_scheduler_decisions_total",
            Kind::Counter,
            "Scheduler calls (decisions).",
        )
        .with(&[], cp.scheduler_calls() as f64),
    );
    let mut busy = Family::new(
        "simctl_scheduler_busy_seconds_total",
        Kind::Counter,
        "Time each scheduler of the architecture spent deciding, seconds.",
    );
    for (name, secs) in &live.busy {
        busy = busy.with(&[("scheduler", name.as_str())], *secs);
    }
    if !live.busy.is_empty() {
        out.push(busy);
    }
    out.push(
        Family::new(
            "simctl_events_total",
            Kind::Counter,
            "Inputs the control plane handled.",
        )
        .with(&[], events as f64),
    );
    out
}

/// Every metric family [`families`] and `simctl run --metrics` ([`live`]) can export (the
/// `containers_`/`host_` ones and `time_seconds` in real runs only, `simulated_time_seconds`,
/// `run_progress_ratio` and `runs` in simulated ones only, `scheduler_busy_seconds_total` with
/// a scheduler architecture only). The Grafana dashboard in `deploy/monitoring/` may query only
/// these (a test checks it).
pub const METRIC_NAMES: &[&str] = &[
    "simctl_nodes_up",
    "simctl_node_up",
    "simctl_node_cpu_capacity_cores",
    "simctl_node_cpu_allocated_cores",
    "simctl_node_memory_allocated_bytes",
    "simctl_node_disk_allocated_bytes",
    "simctl_containers_cpu_used_cores",
    "simctl_containers_memory_used_bytes",
    "simctl_host_cpu_busy_ratio",
    "simctl_host_memory_used_bytes",
    "simctl_host_load1",
    "simctl_tasks",
    "simctl_queue_length",
    "simctl_tasks_submitted_total",
    "simctl_tasks_completed_total",
    "simctl_tasks_failed_total",
    "simctl_task_restarts_total",
    "simctl_health_check_failures_total",
    "simctl_node_failures_total",
    "simctl_scheduler_decisions_total",
    "simctl_scheduler_busy_seconds_total",
    "simctl_events_total",
    "simctl_time_seconds",
    "simctl_simulated_time_seconds",
    "simctl_run_progress_ratio",
    "simctl_runs",
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use super::*;
    use crate::cluster::{Cluster, NodeGroup};
    use crate::control::arch::spec::{ArchitectureSpec, DecisionTime};
    use crate::control::{ControlConfig, ControlPlane};
    use crate::resources::Resources;
    use crate::workload::dist::DistSpec;

    /// A control plane over two nodes with a centralized architecture that takes time to decide.
    fn plane() -> ControlPlane {
        let groups = [NodeGroup {
            name: "n".into(),
            count: 2,
            capacity: Resources::new(2.0, 1 << 30, 0),
            speed: 1.0,
            domain: "n".into(),
            start_delay: None,
            power: None,
            gpu_model: None,
        }];
        let spec = crate::config::parse(
            "[scenario]\nname = \"m\"\nhorizon = \"1h\"\n[[cluster.nodes]]\ncount = 2\ncpu = 2\nmemory = \"1GiB\"\n\
             [workload]\narrival = { process = \"poisson\", rate = 1 }\nduration = \"1s\"\n\
             [[scheduler]]\nname = \"ff\"\nplacement = \"first-fit\"\n",
            std::path::Path::new("m.toml"),
        )
        .unwrap();
        let runs = crate::sweep::plan(&spec, None);
        let config: ControlConfig =
            crate::sweep::engine_config(spec.base(), &runs[0], true).control(false);
        let sched = || {
            crate::sched::build_scheduler(&spec.base().schedulers[0], crate::rng::stream(1, "s"))
        };
        let mut arch = ArchitectureSpec::centralized(vec!["default".into()]);
        arch.decision = vec![DecisionTime {
            job: DistSpec::Constant { value: 1.0 },
            task: DistSpec::Constant { value: 0.0 },
            node: 0.0,
        }];
        ControlPlane::new(config, Cluster::new(&groups), sched(), false).with_architecture(
            Arc::new(arch),
            vec![sched()],
            1,
        )
    }

    #[test]
    fn the_exported_families_are_exactly_the_listed_names() {
        let cp = plane();
        let mut names: BTreeSet<&str> =
            families(&cp, &["a".into(), "b".into()], Some(Measured::default()), 0)
                .iter()
                .map(|f| f.name)
                .collect();
        // With those of a simulated run watched by `simctl run --metrics`.
        let file = crate::config::parse(
            "[scenario]\nname = \"m\"\nhorizon = \"10m\"\n[[cluster.nodes]]\ncount = 2\ncpu = 2\nmemory = \"1GiB\"\n\
             [workload]\narrival = { process = \"poisson\", rate = 1 }\nduration = \"1s\"\n\
             [[scheduler]]\nname = \"ff\"\nplacement = \"first-fit\"\n",
            std::path::Path::new("m.toml"),
        )
        .unwrap();
        let runs = crate::sweep::plan(&file, None);
        let board = live::LiveBoard::new(1, true);
        let mut watch = board.watch(&file, &runs[0]);
        crate::sweep::run_one_watched(&file, &runs[0], false, None, Some(&mut watch)).unwrap();
        names.extend(board.families().iter().map(|f| f.name));
        assert_eq!(names, METRIC_NAMES.iter().copied().collect::<BTreeSet<_>>());
        // A simulated run without an architecture has no measured and no busy families.
        let text = exposition::render(&families(&cp, &[], None, 0));
        assert!(!text.contains("simctl_host_load1"));
    }

    #[test]
    fn every_dashboard_query_names_an_exported_metric_and_panels_have_grafanas_fields() {
        let dash: serde_json::Value = serde_json::from_str(include_str!(
            "../../deploy/monitoring/grafana-dashboard.json"
        ))
        .expect("the dashboard is JSON");
        assert!(dash["title"].is_string() && dash["schemaVersion"].is_u64());
        let panels = dash["panels"].as_array().expect("panels");
        assert!(panels.len() >= 5);
        let mut queried = BTreeSet::new();
        for p in panels {
            assert!(
                p["id"].is_u64() && p["type"].is_string() && p["title"].is_string(),
                "{p}"
            );
            for k in ["h", "w", "x", "y"] {
                assert!(p["gridPos"][k].is_u64(), "{p}: gridPos.{k}");
            }
            let targets = p["targets"].as_array().expect("targets");
            assert!(!targets.is_empty());
            for t in targets {
                assert!(t["refId"].is_string());
                let expr = t["expr"].as_str().expect("expr");
                // Every identifier that starts with simctl_ is a metric name.
                for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                    if word.starts_with("simctl_") {
                        assert!(
                            METRIC_NAMES.contains(&word),
                            "{expr}: {word} is not exported"
                        );
                        queried.insert(word);
                    }
                }
            }
        }
        // The dashboard covers nodes, utilisation allocated and used, queue, tasks, restarts.
        for m in [
            "simctl_nodes_up",
            "simctl_node_cpu_allocated_cores",
            "simctl_containers_cpu_used_cores",
            "simctl_queue_length",
            "simctl_tasks",
            "simctl_task_restarts_total",
        ] {
            assert!(queried.contains(m), "the dashboard does not show {m}");
        }
    }
}

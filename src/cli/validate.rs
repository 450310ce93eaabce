//! `simctl validate`: what a valid scenario would do, before running it — where results go, how
//! many runs, the workload classes (when there are `[[workload.class]]` tables), the offered load
//! per resource and the work and memory estimate of each run — with warnings for loads at or above
//! 1 and for demands that can exceed every node; with `--shards N`, how `run --shard K/N` would
//! split the runs.

use crate::cluster::largest_capacity;
use crate::config::budget::{size, Estimate};
use crate::config::synthetic::class_key;
use crate::config::{Scenario, ScenarioFile, SweepPoint, WorkloadSpec};
use crate::sweep::{self, shard};
use crate::workload::dist::DistSpec;

/// The report on stdout, and the warnings (for stderr), of one valid scenario file.
pub fn report(sf: &ScenarioFile) -> (String, Vec<String>) {
    let s = sf.base();
    let mut out = format!(
        "{}: ok, scenario \"{}\": {} sweep point(s) x {} scheduler(s) x {} replication(s) = {} runs\n",
        sf.path.display(),
        s.name,
        sf.points.len(),
        s.schedulers.len(),
        s.replications,
        sf.run_count()
    );
    out += &format!(
        "  results: {} (run --out DIR writes DIR/{} instead)\n",
        s.output.dir.display(),
        s.name
    );
    if let WorkloadSpec::Synthetic(w) = &s.workload {
        if !w.classes.is_empty() {
            out += &format!("  classes: {}\n", w.class_names().join(", "));
        }
    }
    // Schedulers that do not decide synchronously in zero time, and their actors.
    for (spec, arch) in s.schedulers.iter().zip(&s.architectures) {
        if !arch.is_trivial() {
            let actors: Vec<String> = arch.actors().into_iter().map(|(n, _)| n).collect();
            out += &format!(
                "  scheduler {}: {} architecture, schedulers {}\n",
                spec.name,
                arch.kind.name(),
                actors.join(", ")
            );
        }
    }
    let mut warnings = Vec::new();
    for p in &sf.points {
        let (indent, at) = if sf.points.len() == 1 {
            ("  ", String::new())
        } else {
            let label = label(p);
            out += &format!("  sweep point {label}:\n");
            ("    ", format!(" at sweep point {label}"))
        };
        let est = Estimate::of(&p.scenario);
        out += &format!("{indent}per run: {}\n", est.render());
        match est.load {
            Some(load) => {
                out += &format!("{indent}offered load: {}\n", load.render());
                for (i, name) in crate::resources::DIM_NAMES.iter().enumerate() {
                    if load.0[i] >= 1.0 {
                        warnings.push(format!(
                            "{}: offered {name} load {:.3} is at or above 1{at}: the queue grows without bound",
                            sf.path.display(),
                            load.0[i]
                        ));
                    }
                }
            }
            None => {
                out += &format!(
                    "{indent}offered load: unknown for a trace replay (see simctl trace info)\n"
                )
            }
        }
        for w in unbounded_demands(&p.scenario) {
            warnings.push(format!("{}: {w}{at}", sf.path.display()));
        }
    }
    (out, warnings)
}

/// How `run --shard K/N` splits the runs of `sf` over `n` shards: runs and share of the estimated
/// cost per shard, and the planned imbalance (largest shard over the mean) by cost and, for
/// comparison, dealt by count.
pub fn shard_plan(sf: &ScenarioFile, n: usize) -> String {
    let runs = sweep::plan(sf, None);
    let costs = shard::costs(sf, &runs);
    let by_cost = shard::assign(&costs, n);
    let by_count = shard::assign_by_count(runs.len(), n);
    let total: f64 = costs.iter().map(|c| *c as f64).sum();
    let as_f64 = |owner: &[usize]| -> Vec<f64> {
        shard::loads(&costs, owner, n)
            .iter()
            .map(|l| *l as f64)
            .collect()
    };
    let (cost_loads, count_loads) = (as_f64(&by_cost), as_f64(&by_count));
    let mut out = format!(
        "  shards: {n} (run --shard K/{n}), runs split by estimated cost (tasks x (1 + decision class factor x nodes)):\n"
    );
    for (k, load) in cost_loads.iter().enumerate() {
        out += &format!(
            "    shard {}/{n}: {} runs, {:.1}% of the estimated work\n",
            k + 1,
            by_cost.iter().filter(|s| **s == k).count(),
            100.0 * load / total
        );
    }
    out += &format!(
        "  planned imbalance (largest shard / mean): {:.3} by cost; {:.3} if dealt by count (run i -> shard i mod {n} + 1)\n",
        shard::imbalance(&cost_loads),
        shard::imbalance(&count_loads)
    );
    out
}

/// `workload.arrival.rate = 2, scheduler.d = 3`.
fn label(p: &SweepPoint) -> String {
    let parts: Vec<String> = p.values.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    parts.join(", ")
}

/// Demands drawn from an unbounded distribution can exceed the largest node; such tasks are
/// unschedulable (bounded ones that can were refused when the file was read).
fn unbounded_demands(s: &Scenario) -> Vec<String> {
    let WorkloadSpec::Synthetic(w) = &s.workload else {
        return Vec::new();
    };
    let largest = largest_capacity(&s.node_groups);
    let mut out = Vec::new();
    for (i, c) in w.batch_classes().iter().enumerate() {
        let prefix = class_key(w, i);
        let dims: [(&str, &DistSpec, String); 3] = [
            ("cpu", &c.cpu, format!("{} cores", largest.cpu_cores())),
            ("memory", &c.memory, size(largest.memory as f64)),
            ("disk", &c.disk, size(largest.disk as f64)),
        ];
        out.extend(dims.iter().filter(|(_, d, _)| d.max_value().is_none()).map(|(name, _, cap)| {
            format!("{prefix}.{name} is unbounded: tasks that draw more than the largest node's {cap} can never fit and are counted as unschedulable")
        }));
    }
    out
}

//! `[[workload.class]]`, `tasks_per_job` and `delay` in scenario files: what they parse to, the
//! offered load and task estimate they imply, and the combinations refused with a clear message.

mod common;

use common::{scenario, simctl};
use simctl::config::budget::Estimate;
use simctl::config::WorkloadSpec;
use simctl::workload::dist::DistSpec;

/// 10 nodes of 4 cores. Defaults in [workload]: 2 cores, 20 s. Class "batch" overrides cpu (1
/// core) and duration (10 s) and has jobs of 2 tasks; class "service" inherits both defaults.
const CLASSES: &str = r#"
[scenario]
name = "classes"
horizon = "100s"

[[cluster.nodes]]
count = 10
cpu = 4
memory = "8GiB"

[workload]
cpu = 2
duration = "20s"
users = 5

[[workload.class]]
name = "batch"
arrival = { process = "poisson", rate = 2.0 }
duration = "10s"
cpu = 1
tasks_per_job = 2
delay = { dist = "uniform", low = "1s", high = "3s" }

[[workload.class]]
name = "service"
arrival = { process = "poisson", rate = 0.5 }

[[scheduler]]
name = "ff"
placement = "first-fit"
"#;

#[test]
fn classes_inherit_the_workload_keys_they_do_not_set() {
    let s = scenario(CLASSES).base().clone();
    assert_eq!(s.workload.class_names(), ["batch", "service"]);
    let WorkloadSpec::Synthetic(w) = &s.workload else {
        panic!("synthetic")
    };
    let (batch, service) = (&w.classes[0], &w.classes[1]);
    assert!(matches!(batch.cpu, DistSpec::Constant { value } if value == 1.0));
    assert!(matches!(service.cpu, DistSpec::Constant { value } if value == 2.0));
    assert!(matches!(service.duration, DistSpec::Constant { value } if value == 20.0));
    assert!(matches!(batch.tasks_per_job, Some(DistSpec::Constant { value }) if value == 2.0));
    assert!(service.tasks_per_job.is_none() && service.delay.is_none());
    assert_eq!((batch.users, service.users), (5, 5));
}

#[test]
fn a_workload_without_classes_has_one_class_named_default() {
    let start = CLASSES.find("[[workload.class]]").unwrap();
    let end = CLASSES.find("[[scheduler]]").unwrap();
    let text = format!(
        "{}arrival = {{ process = \"poisson\", rate = 1 }}\n{}",
        &CLASSES[..start],
        &CLASSES[end..]
    );
    assert_eq!(scenario(&text).base().workload.class_names(), ["default"]);
}

#[test]
fn offered_load_and_task_estimate_sum_over_classes_and_tasks_per_job() {
    // batch: 2 jobs/s x 2 tasks x 1 core x 10 s = 40 busy cores; service: 0.5 x 1 x 2 x 20 = 20;
    // 60 over 10 x 4 = 40 cores: 1.5. Tasks in 100 s: 2 x 2 x 100 + 0.5 x 100 = 450.
    let e = Estimate::of(scenario(CLASSES).base());
    let load = e.load.unwrap();
    assert!((load.0[0] - 1.5).abs() < 1e-12, "{load:?}");
    assert_eq!(e.tasks, Some(450.0));
    // A class's max_tasks caps that class (50 -> 10), the top-level one the whole workload.
    let capped = CLASSES.replace("rate = 0.5 }", "rate = 0.5 }\nmax_tasks = 10");
    assert_eq!(Estimate::of(scenario(&capped).base()).tasks, Some(410.0));
    let capped = capped.replace("users = 5", "users = 5\nmax_tasks = 300");
    assert_eq!(Estimate::of(scenario(&capped).base()).tasks, Some(300.0));
}

#[test]
fn validate_prints_the_summed_offered_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, CLASSES).unwrap();
    let out = simctl().arg("validate").arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("offered load: cpu 1.5,"), "{stdout}");
    assert!(stdout.contains("tasks ~450,"), "{stdout}");
    assert!(stdout.contains("classes: batch, service"), "{stdout}");
}

#[test]
fn a_class_can_be_swept() {
    let text = format!("{CLASSES}\n[sweep]\n\"workload.class[1].arrival.rate\" = [0.5, 1.5]\n");
    let file = scenario(&text);
    let loads: Vec<f64> = file
        .points
        .iter()
        .map(|p| Estimate::of(&p.scenario).load.unwrap().0[0])
        .collect();
    // service at 1.5 jobs/s: 1.5 x 2 x 20 = 60, plus batch's 40, over 40 cores: 2.5.
    assert_eq!(loads.len(), 2);
    assert!((loads[1] - 2.5).abs() < 1e-12, "{loads:?}");
}

/// `simctl validate` on `text` fails with exit 1 and one error line holding every needle.
fn rejects(text: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    let out = simctl().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert_eq!(out.status.code(), Some(1), "expected exit 1: {stderr}");
    assert!(stderr.contains("scenario.toml"), "no file name: {stderr}");
    for n in needles {
        assert!(stderr.contains(n), "message lacks {n:?}: {stderr}");
    }
    assert_eq!(
        stderr.lines().count(),
        2,
        "one error line expected: {stderr}"
    );
}

/// CLASSES with `from` replaced by `to` (which must occur).
fn edit(from: &str, to: &str) -> String {
    assert!(CLASSES.contains(from), "test bug: {from:?}");
    CLASSES.replacen(from, to, 1)
}

#[test]
fn tasks_per_job_must_round_to_at_least_one() {
    rejects(
        &edit("tasks_per_job = 2", "tasks_per_job = 0"),
        &["workload.class[0].tasks_per_job", "at least 1 task"],
    );
    // An exponential can draw values near 0.
    rejects(
        &edit(
            "tasks_per_job = 2",
            "tasks_per_job = { dist = \"exponential\", mean = 3 }",
        ),
        &["workload.class[0].tasks_per_job", "rounds to 0"],
    );
}

#[test]
fn tasks_per_job_and_chain_are_refused_together() {
    let text = r#"
[scenario]
name = "x"
horizon = "1m"
[[cluster.nodes]]
count = 1
cpu = 4
memory = "1GiB"
[workload]
arrival = { process = "poisson", rate = 1 }
duration = "1s"
chain = 3
tasks_per_job = 2
[[scheduler]]
name = "ff"
placement = "first-fit"
"#;
    rejects(text, &["workload.tasks_per_job", "workload.chain"]);
}

#[test]
fn class_names_must_be_unique_and_plain() {
    // The error names the line of the second class's name, not the first's.
    let text = edit("name = \"service\"", "name = \"batch\"");
    let line = CLASSES
        .lines()
        .position(|l| l == "name = \"service\"")
        .unwrap()
        + 1;
    rejects(
        &text,
        &[
            &format!("scenario.toml:{line}: workload.class[1].name"),
            "\"batch\" is used twice",
        ],
    );
    rejects(
        &edit("name = \"service\"", "name = \"my service\""),
        &["workload.class[1].name", "letters, digits"],
    );
    rejects(
        &edit("name = \"service\"", "name = \"\""),
        &["workload.class[1].name"],
    );
}

#[test]
fn chain_and_services_are_refused_in_and_beside_classes() {
    rejects(
        &edit("name = \"service\"", "name = \"service\"\nchain = 2"),
        &["workload.class[1].chain", "not allowed"],
    );
    rejects(
        &edit(
            "name = \"service\"",
            "name = \"service\"\nservices = { count = 1, cpu = 1 }",
        ),
        &["workload.class[1].services", "not allowed"],
    );
    rejects(
        &edit("users = 5", "users = 5\nchain = 2"),
        &["workload.chain", "[[workload.class]]"],
    );
    rejects(
        &edit("users = 5", "users = 5\nservices = { count = 1, cpu = 1 }"),
        &["workload.services", "[[workload.class]]"],
    );
}

#[test]
fn classes_with_a_trace_source_are_refused() {
    rejects(
        &edit("users = 5", "users = 5\nsource = \"trace\""),
        &["workload.class", "synthetic source"],
    );
}

#[test]
fn a_class_without_an_arrival_process_is_refused() {
    rejects(
        &edit("arrival = { process = \"poisson\", rate = 0.5 }\n", ""),
        &["workload.class[1].arrival", "is required"],
    );
}

#[test]
fn an_unknown_key_in_a_class_is_named() {
    rejects(
        &edit("name = \"service\"", "name = \"service\"\nrate = 2"),
        &["workload.class[1].rate", "unknown key"],
    );
}

#[test]
fn validate_warns_about_an_unbounded_demand_naming_the_class() {
    let text = edit(
        "cpu = 1\ntasks_per_job",
        "cpu = { dist = \"exponential\", mean = 1 }\ntasks_per_job",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    let out = simctl().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("workload.class[0].cpu is unbounded"),
        "{stderr}"
    );
    assert!(!stderr.contains("workload.class[1].cpu"), "{stderr}");
}

//! Jobs of several tasks, delayed submission and workload classes in the synthetic workload.

use crate::rng::stream;
use crate::time::{SimDuration, SimTime};
use crate::workload::arrival::ArrivalSpec;
use crate::workload::dist::DistSpec;
use crate::workload::synthetic::{ClassSpec, SyntheticSpec, SyntheticWorkload};
use crate::workload::{TaskSpec, WorkloadSource};

fn constant(value: f64) -> DistSpec {
    DistSpec::Constant { value }
}

/// One task per second on average, 30 s mean, 1 or 2 cores: the golden test's workload, unbounded.
fn base() -> SyntheticSpec {
    SyntheticSpec {
        arrival: Some(ArrivalSpec::Poisson { rate: 1.0 }),
        services: None,
        duration: DistSpec::Exponential { mean: 30.0 },
        cpu: DistSpec::Choice {
            values: vec![1.0, 2.0],
            weights: vec![1.0, 1.0],
        },
        memory: constant(1e9),
        disk: constant(0.0),
        priority: constant(0.0),
        users: 4,
        max_tasks: None,
        chain: None,
        tasks_per_job: None,
        delay: None,
        gpu: None,
        classes: Vec::new(),
    }
}

fn class(name: &str, rate: f64) -> ClassSpec {
    ClassSpec {
        name: name.into(),
        arrival: ArrivalSpec::Poisson { rate },
        duration: DistSpec::Exponential { mean: 10.0 },
        cpu: constant(1.0),
        memory: constant(0.0),
        disk: constant(0.0),
        priority: constant(0.0),
        users: 3,
        max_tasks: None,
        tasks_per_job: None,
        delay: None,
        gpu: None,
    }
}

fn with_classes(classes: Vec<ClassSpec>) -> SyntheticSpec {
    SyntheticSpec {
        arrival: None,
        classes,
        ..base()
    }
}

/// The first `n` tasks of `spec` with `seed`.
fn take(spec: SyntheticSpec, seed: u64, n: usize) -> Vec<TaskSpec> {
    let mut w = SyntheticWorkload::new(spec, seed);
    (0..n).map_while(|_| w.next_task().unwrap()).collect()
}

/// Tasks grouped into jobs by consecutive equal job ids (a job's tasks are consecutive).
fn jobs(tasks: &[TaskSpec]) -> Vec<&[TaskSpec]> {
    tasks.chunk_by(|a, b| a.job == b.job).collect()
}

#[test]
fn merged_classes_arrive_in_order_with_consecutive_ids_and_jobs_named_by_their_first_task() {
    let mut a = class("a", 2.0);
    a.tasks_per_job = Some(DistSpec::Uniform {
        low: 1.0,
        high: 5.0,
    });
    let b = class("b", 0.5);
    let mut c = class("c", 1.0);
    c.arrival = ArrivalSpec::Constant { rate: 1.0 }; // ties with nothing else: whole seconds
    let tasks = take(with_classes(vec![a, b, c]), 3, 20_000);
    assert_eq!(tasks.len(), 20_000);
    for (i, t) in tasks.iter().enumerate() {
        assert_eq!(t.id.0, i as u64, "ids are 0, 1, 2, ... in merged order");
    }
    for w in tasks.windows(2) {
        assert!(w[0].arrival <= w[1].arrival, "{:?} before {:?}", w[0], w[1]);
        if w[0].arrival == w[1].arrival {
            assert!(w[0].class <= w[1].class, "ties: lower class index first");
        }
    }
    for job in jobs(&tasks) {
        assert_eq!(job[0].job.0, job[0].id.0, "a job's id is its first task's");
        assert!(job.iter().all(|t| t.class == job[0].class));
    }
    let per_class = |k: u16| tasks.iter().filter(|t| t.class == k).count();
    assert!(per_class(0) > 0 && per_class(1) > 0 && per_class(2) > 0);
}

#[test]
fn a_jobs_tasks_share_arrival_and_id_and_jobs_average_the_mean_task_count() {
    // choice {1, 2, 6} with weights 1:1:2: E[K] = (1 + 2 + 2 x 6) / 4 = 3.75,
    // E[K^2] = (1 + 4 + 2 x 36) / 4 = 19.25, Var[K] = 19.25 - 3.75^2 = 5.1875.
    let mut spec = base();
    spec.tasks_per_job = Some(DistSpec::Choice {
        values: vec![1.0, 2.0, 6.0],
        weights: vec![1.0, 1.0, 2.0],
    });
    let tasks = take(spec, 11, 80_000);
    let all = jobs(&tasks);
    let complete = &all[..all.len() - 1]; // the last job may be cut by `take`
    for job in complete {
        assert!([1, 2, 6].contains(&job.len()), "job of {} tasks", job.len());
        assert!(job.iter().all(|t| t.arrival == job[0].arrival));
        assert!(job.iter().all(|t| t.job.0 == job[0].id.0));
        assert!(job.iter().all(|t| t.user == job[0].user), "users per job");
    }
    // Different tasks of a job draw different durations (exponential: ties have probability 0).
    let six = complete.iter().find(|j| j.len() == 6).unwrap();
    assert!(six.windows(2).all(|w| w[0].duration != w[1].duration));
    let n = complete.len() as f64;
    let mean = complete.iter().map(|j| j.len() as f64).sum::<f64>() / n;
    let se = 5.1875f64.sqrt() / n.sqrt();
    assert!(n > 20_000.0, "{n} jobs");
    assert!(
        (mean - 3.75).abs() < 4.0 * se,
        "mean {mean} tasks per job, expected 3.75 +- {}",
        4.0 * se
    );
    assert_eq!(
        crate::workload::jobs::mean_tasks_per_job(Some(&DistSpec::Choice {
            values: vec![1.0, 2.0, 6.0],
            weights: vec![1.0, 1.0, 2.0],
        })),
        3.75
    );
}

#[test]
fn each_class_arrives_at_its_own_poisson_rate() {
    // Arrivals in [0, T) of a Poisson process of rate r: mean r T, standard deviation sqrt(r T).
    let horizon = 10_000.0;
    let rates = [2.0, 0.5, 0.05];
    let classes = rates
        .iter()
        .enumerate()
        .map(|(i, r)| class(&format!("c{i}"), *r))
        .collect();
    let mut w = SyntheticWorkload::new(with_classes(classes), 5);
    let end = SimTime::ZERO + SimDuration::from_secs_f64(horizon);
    let mut counts = [0.0; 3];
    while let Some(t) = w.next_task().unwrap().filter(|t| t.arrival < end) {
        counts[t.class as usize] += 1.0;
    }
    for (c, r) in rates.iter().enumerate() {
        let (mean, sd) = (r * horizon, (r * horizon).sqrt());
        assert!(
            (counts[c] - mean).abs() < 4.0 * sd,
            "class {c}: {} arrivals, expected {mean} +- {}",
            counts[c],
            4.0 * sd
        );
    }
}

#[test]
fn a_class_draws_the_same_tasks_whatever_the_other_classes_are() {
    // Class 0's streams derive from the seed and its index only: alone or beside a busy class 1,
    // its tasks (times and draws) are the same.
    let key = |t: &TaskSpec| (t.arrival, t.duration, t.demand, t.user);
    let alone: Vec<_> = take(with_classes(vec![class("a", 1.0)]), 9, 500)
        .iter()
        .map(key)
        .collect();
    let mixed: Vec<_> = take(
        with_classes(vec![class("a", 1.0), class("b", 3.0)]),
        9,
        4000,
    )
    .iter()
    .filter(|t| t.class == 0)
    .take(500)
    .map(key)
    .collect();
    assert_eq!(alone, mixed);
    // ... and class 1 does not replay class 0's samples.
    let two = take(with_classes(vec![class("a", 1.0), class("b", 1.0)]), 9, 200);
    let first = |k: u16| two.iter().find(|t| t.class == k).map(|t| t.duration);
    assert_ne!(first(0), first(1));
}

#[test]
fn not_before_is_arrival_plus_the_jobs_delay_draw() {
    // Without classes the delay stream is "delay"; one draw per job, in job order.
    let mut spec = base();
    spec.tasks_per_job = Some(constant(3.0));
    spec.delay = Some(DistSpec::Uniform {
        low: 0.0,
        high: 100.0,
    });
    let tasks = take(spec.clone(), 21, 300);
    let sampler = spec.delay.as_ref().unwrap().sampler();
    let mut rng = stream(21, "delay");
    for job in jobs(&tasks) {
        assert_eq!(job.len(), 3);
        let delay = SimDuration::from_secs_f64(sampler.sample(&mut rng));
        for t in job {
            assert_eq!(t.not_before, Some(t.arrival + delay));
        }
    }
    // Class 1's delay stream is "class1.delay".
    let mut b = class("b", 1.0);
    b.delay = spec.delay.clone();
    let tasks = take(with_classes(vec![class("a", 1.0), b]), 21, 300);
    let mut rng = stream(21, "class1.delay");
    for t in &tasks {
        if t.class == 0 {
            assert_eq!(t.not_before, None);
        } else {
            let delay = SimDuration::from_secs_f64(sampler.sample(&mut rng));
            assert_eq!(t.not_before, Some(t.arrival + delay));
        }
    }
}

#[test]
fn one_task_jobs_and_delays_leave_every_other_draw_unchanged() {
    // tasks_per_job = 1 and a delay draw from their own streams: the tasks are those of the
    // plain workload (the golden test pins the plain workload's first tasks).
    let key = |t: &TaskSpec| {
        (
            t.id, t.job, t.arrival, t.duration, t.demand, t.priority, t.user, t.class,
        )
    };
    let plain: Vec<_> = take(base(), 42, 1000).iter().map(key).collect();
    let mut spec = base();
    spec.tasks_per_job = Some(constant(1.0));
    spec.delay = Some(DistSpec::Exponential { mean: 5.0 });
    let jobs: Vec<_> = take(spec, 42, 1000).iter().map(key).collect();
    assert_eq!(plain, jobs);
}

#[test]
fn max_tasks_bounds_the_whole_workload_and_each_class() {
    let mut a = class("a", 1.0);
    a.max_tasks = Some(7);
    let b = class("b", 1.0);
    let mut spec = with_classes(vec![a, b]);
    let tasks = take(spec.clone(), 1, 1000);
    assert_eq!(tasks.iter().filter(|t| t.class == 0).count(), 7);
    assert_eq!(tasks.len(), 1000, "class b is unbounded");
    spec.max_tasks = Some(50);
    assert_eq!(take(spec, 1, 1000).len(), 50);
}

#[test]
fn class_names_are_the_classes_in_order_or_default() {
    assert_eq!(base().class_names(), ["default"]);
    let spec = with_classes(vec![class("batch", 1.0), class("service", 1.0)]);
    assert_eq!(spec.class_names(), ["batch", "service"]);
}

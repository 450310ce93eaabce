//! The simulator against closed-form queueing theory that nobody here chose.

mod common;

use common::{mean_over, run_all, scenario, std_over};
use simctl::sweep::RunResult;

/// Erlang C: probability that an arrival waits in an M/M/c queue with offered load a = lambda/mu.
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        sum += term;
        term *= a / (k + 1) as f64;
    }
    // term is now a^c / c!
    let tail = term * c as f64 / (c as f64 - a);
    tail / (sum + tail)
}

#[test]
fn mmc_mean_wait_matches_erlang_c() {
    // c = 4 single-slot nodes, lambda = 3.2/s, mu = 1/s: utilisation 0.8.
    // Wq = C(c, a) / (c mu - lambda) = 0.5964 / 0.8 = 0.7455 s.
    // 10 replications x 5 simulated days ~ 13.8 million tasks; the spread between replications is
    // about 2%, so the standard error of the mean is ~0.6%, well under the 3% tolerance (the test
    // asserts that too, so a lucky pass on too little data cannot happen).
    let file = scenario(
        r#"
        [scenario]
        name = "mmc-test"
        seed = 11
        horizon = "5d"
        warmup = "1h"
        replications = 10
        [[cluster.nodes]]
        count = 4
        cpu = 1
        memory = "1GiB"
        [workload]
        arrival = { process = "poisson", rate = 3.2 }
        duration = { dist = "exponential", mean = "1s" }
        cpu = 1
        [[scheduler]]
        name = "fifo"
        placement = "first-fit"
        "#,
    );
    let results = run_all(&file);
    let expected = erlang_c(4, 3.2) / (4.0 - 3.2);
    assert!(
        (expected - 0.7455).abs() < 1e-3,
        "Erlang C formula itself is off: {expected}"
    );
    let mean = mean_over(&results, 0, |r| r.summary.mean_wait_s);
    let stderr = std_over(&results, 0, |r| r.summary.mean_wait_s) / (results.len() as f64).sqrt();
    assert!(
        stderr / expected < 0.01,
        "statistical error {:.4} too large to judge a 3% tolerance",
        stderr / expected
    );
    let rel = (mean - expected).abs() / expected;
    eprintln!(
        "M/M/4: simulated {mean:.4} s, Erlang C {expected:.4} s, std error {:.2}%",
        100.0 * stderr / expected
    );
    assert!(
        rel < 0.03,
        "simulated mean wait {mean:.4} s vs Erlang C {expected:.4} s ({:.2}% off)",
        rel * 100.0
    );
    // Little's law cross-check on the same runs: utilisation = lambda / (c mu) = 0.8.
    let util = mean_over(&results, 0, |r| r.summary.util_cpu);
    assert!((util - 0.8).abs() < 0.01, "cpu utilisation {util} vs 0.8");
}

/// Mean time in system of the supermarket model (Mitzenmacher 2001), in units of the mean service time.
fn supermarket(lambda: f64, d: u32) -> f64 {
    if d == 1 {
        return 1.0 / (1.0 - lambda);
    }
    let d = d as f64;
    (1..60)
        .map(|i| lambda.powf((d.powi(i) - d) / (d - 1.0)))
        .take_while(|t| *t > 1e-15)
        .sum()
}

/// `n` single-slot nodes under immediate dispatch at 0.9 load per node (mean service 1 s), with
/// power-of-d schedulers for each `d` given.
fn supermarket_scenario(n: u32, ds: &[u32], horizon: &str, warmup: &str, reps: u32) -> String {
    let mut text = format!(
        r#"
        [scenario]
        name = "supermarket-test"
        seed = 5
        horizon = "{horizon}"
        warmup = "{warmup}"
        replications = {reps}
        [[cluster.nodes]]
        count = {n}
        cpu = 1
        memory = "1GiB"
        [workload]
        dispatch = "immediate"
        arrival = {{ process = "poisson", rate = {rate} }}
        duration = {{ dist = "exponential", mean = "1s" }}
        cpu = 1
        "#,
        rate = 0.9 * f64::from(n)
    );
    for d in ds {
        text += &format!(
            "[[scheduler]]\nname = \"power-of-{d}\"\nplacement = \"power-of-d\"\nd = {d}\n"
        );
    }
    text
}

/// Mean response time of scheduler `i` over the runs, with its standard error across replications.
fn mean_and_stderr(results: &[RunResult], i: usize) -> (f64, f64) {
    let mean = mean_over(results, i, |r| r.summary.mean_response_s);
    let n = results.iter().filter(|r| r.spec.scheduler == i).count();
    let sd = std_over(results, i, |r| r.summary.mean_response_s);
    (mean, sd / (n as f64).sqrt())
}

#[test]
fn power_of_d_matches_the_supermarket_model() {
    // Mitzenmacher's formula is the N -> infinity limit: d = 2 at load 0.9 gives
    // sum_i 0.9^(2^i - 2) = 2.614 s. A finite cluster sits above it by O(1/N) (the N queues are not
    // exactly independent; propagation of chaos holds at rate 1/N): measured +1.4% +- 0.4% at
    // N = 100 (4 x 3 h runs), so comparing N = 100 with the limit would let a +3% bug pass a
    // 5% tolerance. This test runs N = 1000, where the same 1/N bias is ~0.15%, ten times under the
    // 1.5% tolerance; the standard error across replications (measured 0.30%) must be at most a
    // quarter of the tolerance, so a lucky pass on too little data cannot happen; a +3% error would land
    // over 5 standard errors outside the tolerance.
    let t2 = supermarket(0.9, 2);
    assert!(
        (t2 - 2.614).abs() < 0.001,
        "supermarket formula itself is off: {t2}"
    );
    let large = run_all(&scenario(&supermarket_scenario(1000, &[2], "20m", "2m", 6)));
    let (got2, se2) = mean_and_stderr(&large, 0);
    eprintln!(
        "power-of-2, N = 1000: {got2:.4} s vs {t2:.4} s ({:+.2}%), std error {:.2}%",
        100.0 * (got2 - t2) / t2,
        100.0 * se2 / t2
    );
    let tolerance = 0.015;
    assert!(
        se2 / t2 <= tolerance / 4.0,
        "statistical error {:.4} too large to judge a {tolerance} tolerance",
        se2 / t2
    );
    assert!(
        (got2 - t2).abs() / t2 < tolerance,
        "power-of-2 at N = 1000: {got2:.4} s vs {t2:.4} s"
    );

    // d = 1 is random assignment: Poisson splitting makes every node an exact M/M/1 at any N, so
    // there is no finite-N bias and N = 100 suffices: 1/(1 - 0.9) = 10 s. Its response times are
    // correlated over ~1/(1 - sqrt(0.9))^2 ~ 380 s, hence the long runs.
    let small = run_all(&scenario(&supermarket_scenario(100, &[1], "3h", "30m", 4)));
    let (got1, se1) = mean_and_stderr(&small, 0);
    let t1 = supermarket(0.9, 1);
    eprintln!(
        "random, N = 100: {got1:.4} s vs M/M/1 {t1:.4} s, std error {:.2}%",
        100.0 * se1 / t1
    );
    let tolerance = 0.05;
    assert!(
        se1 / t1 <= tolerance / 4.0,
        "statistical error {:.4} too large to judge a {tolerance} tolerance",
        se1 / t1
    );
    assert!(
        (got1 - t1).abs() / t1 < tolerance,
        "random (d=1): {got1:.3} s vs M/M/1 {t1:.3} s"
    );
    // The whole point of the model: two choices beat one by a wide margin.
    assert!(got2 < got1 / 3.0);
}

#[test]
fn mg1_mean_wait_matches_pollaczek_khinchine() {
    // One single-slot node, Poisson arrivals lambda = 0.7/s, uniform service on [0.5, 1.5] s (mean 1,
    // E[S^2] = 1 + 1/12). P-K: Wq = lambda E[S^2] / (2 (1 - rho)) = 0.7 * 1.08333 / 0.6 = 1.2639 s.
    let file = scenario(
        r#"
        [scenario]
        name = "mg1-test"
        seed = 3
        horizon = "3d"
        warmup = "1h"
        replications = 8
        [[cluster.nodes]]
        count = 1
        cpu = 1
        memory = "1GiB"
        [workload]
        arrival = { process = "poisson", rate = 0.7 }
        duration = { dist = "uniform", low = "0.5s", high = "1.5s" }
        cpu = 1
        [[scheduler]]
        name = "fifo"
        placement = "first-fit"
        "#,
    );
    let results = run_all(&file);
    let (lambda, es2) = (0.7, 1.0 + 1.0 / 12.0);
    let expected = lambda * es2 / (2.0 * (1.0 - lambda));
    let got = mean_over(&results, 0, |r| r.summary.mean_wait_s);
    assert!(
        (got - expected).abs() / expected < 0.03,
        "M/G/1 wait {got:.4} vs P-K {expected:.4}"
    );
}

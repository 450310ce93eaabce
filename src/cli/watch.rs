//! What `simctl run` shows while its runs go: the progress bar (runs done, or simulated time when
//! there are fewer runs than threads) and, with `--metrics`, the live endpoint. Both read the
//! [`LiveBoard`] the runs leave their looks on, from a thread of their own every
//! [`REFRESH_EVERY`]; the runs never wait for them.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::monitor::live::LiveBoard;
use crate::monitor::progress::{Bound, RunProgress};
use crate::monitor::server::MetricsServer;

/// How often the bar and the endpoint are refreshed from the board.
pub const REFRESH_EVERY: Duration = Duration::from_millis(250);

/// Steps of the simulated-time bar per run (its length is runs x this).
const STEPS_PER_RUN: u64 = 1000;

/// The progress bar of a batch of `total` runs: by runs done, or by simulated time when
/// `by_sim_time`; hidden under `--quiet` or when stderr is not a terminal.
pub fn progress_bar(total: u64, quiet: bool, name: &str, by_sim_time: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let (len, template) = if by_sim_time {
        (
            total * STEPS_PER_RUN,
            "{prefix} [{bar:30}] {percent}% of simulated time, ETA {eta}, {msg}",
        )
    } else {
        (
            total,
            "{prefix} [{bar:30}] {pos}/{len} runs, ETA {eta}, {msg}",
        )
    };
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(name.to_string());
    bar
}

/// Runs `work` while a thread refreshes `bar` and `server` from `board` (nothing is refreshed
/// without a board), then refreshes them once more with the final state.
pub fn while_watching<T>(
    board: Option<&LiveBoard>,
    bar: Option<&ProgressBar>,
    server: Option<&MetricsServer>,
    title: &str,
    work: impl FnOnce() -> T,
) -> T {
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        if let Some(board) = board {
            let done = &done;
            scope.spawn(move || refresh_until(done, board, bar, server, title));
        }
        let out = work();
        done.store(true, Ordering::SeqCst);
        out
    })
}

/// Until `done` is raised, refreshes `bar` (when it counts simulated time) and `server` from
/// `board` every [`REFRESH_EVERY`]; then once more, with the final state.
fn refresh_until(
    done: &AtomicBool,
    board: &LiveBoard,
    bar: Option<&ProgressBar>,
    server: Option<&MetricsServer>,
    title: &str,
) {
    loop {
        let last = done.load(Ordering::SeqCst);
        if let Some(bar) = bar {
            let (fraction, in_flight) = board.progress();
            let len = bar.length().unwrap_or(0);
            bar.set_position((fraction * len as f64).round() as u64);
            bar.set_message(in_flight_message(&in_flight));
        }
        if let Some(server) = server {
            let state = if last { " (finished)" } else { "" };
            server.publish(&board.families(), &format!("{title}{state}"));
        }
        if last {
            return;
        }
        std::thread::sleep(REFRESH_EVERY);
    }
}

/// "sim 2.5h of 6h" for each run in flight (the first three).
fn in_flight_message(runs: &[RunProgress]) -> String {
    let mut parts: Vec<String> = runs
        .iter()
        .take(3)
        .map(|r| match r.bound {
            Bound::Horizon(h) => format!("sim {} of {}", human_secs(r.sim_s), human_secs(h)),
            Bound::Tasks(n) => format!("sim {}, {} of {n} tasks", human_secs(r.sim_s), r.arrived),
            Bound::Unknown => format!("sim {}, {} tasks", human_secs(r.sim_s), r.arrived),
        })
        .collect();
    if runs.len() > 3 {
        parts.push(format!("{} more in flight", runs.len() - 3));
    }
    parts.join("; ")
}

/// Simulated seconds in the largest unit that keeps the figure readable.
fn human_secs(s: f64) -> String {
    match s {
        s if s < 120.0 => format!("{s:.0}s"),
        s if s < 7_200.0 => format!("{:.1}m", s / 60.0),
        s if s < 172_800.0 => format!("{:.1}h", s / 3_600.0),
        s => format!("{:.1}d", s / 86_400.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_in_flight_read_as_simulated_time_against_their_bound() {
        let run = |bound, sim_s, arrived| RunProgress {
            bound,
            sim_s,
            arrived,
            finished: false,
        };
        assert_eq!(
            in_flight_message(&[run(Bound::Horizon(21_600.0), 9_000.0, 0)]),
            "sim 2.5h of 6.0h"
        );
        assert_eq!(
            in_flight_message(&[run(Bound::Tasks(500), 90.0, 120)]),
            "sim 90s, 120 of 500 tasks"
        );
        let many = vec![run(Bound::Unknown, 3.0 * 86_400.0, 7); 5];
        assert_eq!(
            in_flight_message(&many),
            "sim 3.0d, 7 tasks; sim 3.0d, 7 tasks; sim 3.0d, 7 tasks; 2 more in flight"
        );
    }
}

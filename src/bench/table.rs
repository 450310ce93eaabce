//! The table `simctl bench` prints: one row per measured run, with the bare-heap comparison.

use super::line::BenchLine;

/// A measured run with the bare heap's speed at the run's mean number of pending events.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// What the run's own process measured.
    pub line: BenchLine,
    /// Hold operations per CPU second of [`super::bare_heap::hold_rate`] holding
    /// [`BenchLine::heap_size`] entries, timed by the parent.
    pub bare_heap_ops_per_s: f64,
}

impl Row {
    /// The run's events per CPU second over the bare heap's operations per second: the share of
    /// the heap-only speed the whole engine reaches (`None` without a CPU time).
    pub fn x_bare_heap(&self) -> Option<f64> {
        self.line
            .events_per_cpu_s()
            .map(|e| e / self.bare_heap_ops_per_s)
    }
}

const HEADER: [&str; 10] = [
    "scenario",
    "scheduler",
    "tasks",
    "events",
    "wall s",
    "CPU s",
    "events/s",
    "peak RSS MiB",
    "pending",
    "x bare heap",
];

/// The rows as an aligned text table (names left, figures right), with a header and a rule.
pub fn render(rows: &[Row]) -> String {
    let cells: Vec<[String; 10]> = rows.iter().map(cells).collect();
    let widths: Vec<usize> = (0..HEADER.len())
        .map(|i| {
            cells
                .iter()
                .map(|r| r[i].len())
                .chain([HEADER[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |row: &[String]| {
        let padded: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, &w))| match i {
                0 | 1 => format!("{c:<w$}"),
                _ => format!("{c:>w$}"),
            })
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(&HEADER.map(String::from));
    out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
    out.push('\n');
    for r in &cells {
        out.push_str(&line(r));
    }
    out
}

/// One row's cells, in [`HEADER`]'s order.
fn cells(row: &Row) -> [String; 10] {
    let l = &row.line;
    let scenario = if l.point.is_empty() {
        l.scenario.clone()
    } else {
        format!("{} [{}]", l.scenario, l.point)
    };
    [
        scenario,
        l.scheduler.clone(),
        l.tasks.to_string(),
        l.events.to_string(),
        format!("{:.2}", l.wall_s),
        l.cpu_s.map_or("-".into(), |s| format!("{s:.2}")),
        l.events_per_cpu_s()
            .map_or("-".into(), |e| format!("{e:.3e}")),
        l.peak_rss_mib.map_or("-".into(), |m| format!("{m:.1}")),
        l.heap_size().to_string(),
        row.x_bare_heap().map_or("-".into(), |x| format!("{x:.3}")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cpu_s: Option<f64>) -> Row {
        Row {
            line: BenchLine {
                scenario: "mmc100".into(),
                point: String::new(),
                scheduler: "first-fit".into(),
                run: 0,
                tasks: 1000,
                events: 2000,
                wall_s: 0.5,
                cpu_s,
                peak_rss_mib: Some(12.34),
                mean_pending_events: 90.6,
            },
            bare_heap_ops_per_s: 40_000.0,
        }
    }

    /// 2000 events in 0.5 CPU s = 4000 events/s, a tenth of the heap's 40,000 operations/s.
    #[test]
    fn a_row_divides_events_per_cpu_second_by_the_heap_rate() {
        assert_eq!(row(Some(0.5)).x_bare_heap(), Some(0.1));
        let table = render(&[row(Some(0.5))]);
        let last = table.lines().last().unwrap();
        let cells: Vec<&str> = last.split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "mmc100",
                "first-fit",
                "1000",
                "2000",
                "0.50",
                "0.50",
                "4.000e3",
                "12.3",
                "91",
                "0.100"
            ]
        );
    }

    #[test]
    fn no_cpu_time_shows_dashes() {
        let table = render(&[row(None)]);
        let last = table.lines().last().unwrap();
        assert_eq!(last.split_whitespace().filter(|c| *c == "-").count(), 3);
    }
}

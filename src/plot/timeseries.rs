//! CPU utilisation and queue length (and, with a `[power]` table, the nodes switched on) over
//! simulated time for one representative run per scheduler (replication 0 at the first sweep
//! point), stacked on a shared time axis. Value axes start at zero
//! and end just above the largest sample (utilisation at 100% at most); a panel whose samples are all
//! zero says so. Long runs are decimated to [`BINS`] time bins (mean line, min-max band). With more
//! than [`data::MAX_OVERLAID`] schedulers the figure is a grid of small multiples, one per scheduler.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::{self, RunSeries, Series};
use super::style::{self, DrawResult, Figure};
use crate::compare::{CompareError, Summary};

/// The time-series figure.
pub struct TimeseriesFigure {
    title: String,
    subtitle: String,
    names: Vec<String>,
    runs: RunSeries,
    /// (divisor from seconds, unit name) of the time axis.
    unit: (f64, &'static str),
    t_max: f64,
}

impl TimeseriesFigure {
    /// Loads `dir/timeseries.csv`; `None` when the file is absent or has no replication-0 rows at the
    /// first sweep point.
    pub fn load(dir: &Path, summary: &Summary) -> Result<Option<TimeseriesFigure>, CompareError> {
        let Some(point) = summary.sweep_points().into_iter().next() else {
            return Ok(None);
        };
        let Some(runs) = data::representative_timeseries(dir, summary, point.id)? else {
            return Ok(None);
        };
        let t_max = runs
            .util
            .iter()
            .flat_map(|s| &s.points)
            .map(|p| p.0)
            .fold(0.0, f64::max);
        let label = point.label(&summary.sweep_keys);
        let at = if label.is_empty() {
            String::new()
        } else {
            format!(", {label}")
        };
        let mut names = summary.schedulers();
        for s in &runs.util {
            if !names.contains(&s.label) {
                names.push(s.label.clone());
            }
        }
        let many = !data::overlay_fits(runs.util.len());
        let unit = style::time_unit(t_max);
        let mut notes = Vec::new();
        let mut runs = runs;
        if many {
            notes.push(format!(
                "one cell per scheduler, shared axes, time in {}",
                unit.1
            ));
            if data::all_zero(&runs.queue) {
                notes.push("queue length 0 throughout in every run".to_string());
                runs.queue.clear();
            }
        } else {
            let same = data::same_as_earlier(&runs);
            for (i, j) in same.iter().enumerate() {
                if let Some(j) = j {
                    let (a, b) = (&runs.util[i].label, &runs.util[*j].label);
                    notes.push(format!("{a} identical to {b}"));
                }
            }
            let keep = |v: &mut Vec<Series>| {
                let mut k = 0;
                v.retain(|_| {
                    k += 1;
                    same[k - 1].is_none()
                });
            };
            keep(&mut runs.util);
            keep(&mut runs.queue);
            if runs.nodes_on.len() == same.len() {
                keep(&mut runs.nodes_on);
            }
        }
        if many {
            runs.used.clear();
            runs.nodes_on.clear();
        } else if !runs.used.is_empty() {
            // A real run: the containers' measured CPU beside the allocated share, in colours of
            // their own (the legend names both).
            for s in &mut runs.used {
                if let Some(n) = names.get_mut(s.index) {
                    *n = format!("{}: allocated", s.label);
                }
                s.index = names.len();
                names.push(format!("{}: used (measured)", s.label));
            }
            notes.push(
                "real run: allocated share, and the containers' measured use (docker stats, each reading spans about a second)"
                    .to_string(),
            );
        }
        if runs.util.iter().any(|s| s.points.len() > BINS) {
            notes.push(format!(
                "{BINS} time bins: line = bin mean, shaded = bin min to max"
            ));
        }
        let what = if runs.nodes_on.is_empty() {
            "Utilisation and queue"
        } else {
            "Utilisation, queue and nodes on"
        };
        Ok(Some(TimeseriesFigure {
            title: format!("{what} over time (replication 0{at})"),
            subtitle: notes.join("; "),
            names,
            runs,
            unit,
            t_max,
        }))
    }
}

/// Series with more points than this are decimated to this many time bins ([`data::decimate`]).
const BINS: usize = 600;
/// Columns of the small-multiples grid (many schedulers).
const GRID_COLS: usize = 5;

impl TimeseriesFigure {
    /// The legend's entries, by palette index.
    #[cfg(test)]
    pub fn legend_names(&self) -> &[String] {
        &self.names
    }

    /// Whether the figure is a grid of small multiples, one cell per scheduler.
    pub fn is_small_multiples(&self) -> bool {
        !data::overlay_fits(self.runs.util.len())
    }

    fn grid(&self) -> (usize, usize) {
        let n = self.runs.util.len().max(1);
        (n.div_ceil(GRID_COLS), GRID_COLS)
    }
}

impl Figure for TimeseriesFigure {
    fn size(&self) -> (u32, u32) {
        if self.is_small_multiples() {
            let cell = if self.runs.queue.is_empty() { 240 } else { 420 };
            return (1600, 170 + cell * self.grid().0 as u32);
        }
        if self.runs.nodes_on.is_empty() {
            (1400, 1040)
        } else {
            // Wider too: the longer title names two swept keys in a power study.
            (1600, 1400)
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = style::frame(root, &self.title, &self.subtitle)?;
        if self.is_small_multiples() {
            let cells = area.split_evenly(self.grid());
            let util_end = self.y_end(&self.runs.util, true);
            let queue_end = self.y_end(&self.runs.queue, false);
            for (i, cell) in cells.iter().enumerate().take(self.runs.util.len()) {
                let cell = cell.titled(&self.runs.util[i].label, style::text(style::TICK))?;
                // One colour per metric: the cell title names the scheduler.
                let util = [Series {
                    index: 0,
                    ..self.runs.util[i].clone()
                }];
                let Some(queue) = self.runs.queue.get(i) else {
                    self.panel(&cell, &util, UTIL, util_end, true)?;
                    continue;
                };
                let queue = [Series {
                    index: 3,
                    ..queue.clone()
                }];
                let (top, bottom) = cell.split_vertically(cell.dim_in_pixel().1 / 2);
                self.panel(&top, &util, UTIL, util_end, true)?;
                self.panel(&bottom, &queue, QUEUE, queue_end, true)?;
            }
            return Ok(());
        }
        let area = style::legend_row(&area, &self.names)?;
        let rows = if self.runs.nodes_on.is_empty() { 2 } else { 3 };
        let (top, rest) = area.split_vertically(area.dim_in_pixel().1 / rows);
        let (bottom, last) = rest.split_vertically(rest.dim_in_pixel().1 / (rows - 1));
        let util: Vec<Series> = self
            .runs
            .util
            .iter()
            .chain(&self.runs.used)
            .cloned()
            .collect();
        let util_end = self.y_end(&util, true);
        self.panel(&top, &util, UTIL, util_end, false)?;
        let queue_end = self.y_end(&self.runs.queue, false);
        self.panel(&bottom, &self.runs.queue, QUEUE, queue_end, false)?;
        if !self.runs.nodes_on.is_empty() {
            let on_end = self.y_end(&self.runs.nodes_on, false);
            self.panel(&last, &self.runs.nodes_on, NODES_ON, on_end, false)?;
        }
        Ok(())
    }
}

/// Axis label of the nodes-on panel.
const NODES_ON: &str = "Nodes on (switched on or booting, up)";

/// Axis label of the utilisation panel.
const UTIL: &str = "CPU utilisation (%)";
/// Axis label of the queue panel.
const QUEUE: &str = "Queue length (tasks waiting)";

impl TimeseriesFigure {
    /// Top of a zero-based value axis fitted to `series` (a utilisation axis ends at 100% at most), so a
    /// lightly loaded run is not a flat line at the bottom of a 0-100% axis.
    fn y_end(&self, series: &[Series], percent: bool) -> f64 {
        let top = series
            .iter()
            .flat_map(|s| &s.points)
            .map(|p| p.1)
            .fold(0.0, f64::max);
        let end = if top > 0.0 { top * 1.08 } else { 1.0 };
        if percent {
            end.min(100.0)
        } else {
            end
        }
    }

    fn panel<DB>(
        &self,
        area: &DrawingArea<DB, Shift>,
        series: &[Series],
        y_desc: &str,
        y1: f64,
        small: bool,
    ) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let (div, unit) = self.unit;
        let x1 = if self.t_max > 0.0 {
            self.t_max / div
        } else {
            1.0
        };
        let mut chart = ChartBuilder::on(area)
            .margin(if small { 6 } else { 14 })
            .margin_right(if small { 14 } else { 30 })
            .x_label_area_size(if small { 34 } else { 70 })
            .y_label_area_size(if small { 56 } else { 100 })
            .build_cartesian_2d(0.0..x1, 0.0..y1)?;
        let x_desc = format!("Simulated time ({unit})");
        let mut mesh = chart.configure_mesh();
        mesh.x_labels(if small { 4 } else { 10 })
            .y_labels(if small { 4 } else { 6 })
            .x_label_formatter(&|v| style::fmt_num(*v))
            .y_label_formatter(&|v| style::fmt_num(*v))
            .label_style(style::text(if small { 16 } else { style::TICK }))
            .axis_desc_style(style::text(if small { 16 } else { style::AXIS }))
            .light_line_style(TRANSPARENT)
            .bold_line_style(style::GRID)
            .axis_style(style::INK);
        if small {
            mesh.y_desc(if y_desc == UTIL { "CPU %" } else { "queue" });
        } else {
            mesh.x_desc(x_desc).y_desc(y_desc);
        }
        mesh.draw()?;
        let plot = chart.plotting_area();
        for s in series {
            let c = style::color(s.index);
            let pts: Vec<(f64, f64)> = s.points.iter().map(|&(t, v)| (t / div, v)).collect();
            if pts.len() > BINS {
                let bins = data::decimate(&pts, BINS, (0.0, x1));
                let upper = bins.iter().map(|b| (b.t, b.max));
                let lower = bins.iter().rev().map(|b| (b.t, b.min));
                plot.draw(&Polygon::new(
                    upper.chain(lower).collect::<Vec<_>>(),
                    c.mix(0.3).filled(),
                ))?;
                let mean: Vec<(f64, f64)> = bins.iter().map(|b| (b.t, b.mean)).collect();
                style::draw_polyline(plot, &mean, c, 2)?;
            } else if pts.len() == 1 {
                style::draw_marker(plot, s.index, pts[0], 7, c)?;
            } else {
                style::draw_polyline(plot, &pts, c, 2)?;
            }
        }
        let values = series.iter().flat_map(|s| &s.points).map(|p| p.1);
        let note = match values.clone().next() {
            None => Some("no samples"),
            Some(_) if values.clone().all(|v| v == 0.0) => Some("every sample is 0"),
            Some(_) => None,
        };
        if let Some(note) = note {
            style::draw_note(plot, note)?;
        }
        Ok(())
    }
}

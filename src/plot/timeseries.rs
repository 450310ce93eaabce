//! CPU utilisation and queue length over simulated time for one representative run per scheduler
//! (replication 0 at the first sweep point), stacked on a shared time axis.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::{self, RunSeries, Series};
use super::style::{self, DrawResult, Figure};
use crate::compare::{CompareError, Summary};

/// The time-series figure.
pub struct TimeseriesFigure {
    title: String,
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
        Ok(Some(TimeseriesFigure {
            title: format!("Utilisation and queue over time (replication 0{at})"),
            names,
            runs,
            unit: style::time_unit(t_max),
            t_max,
        }))
    }
}

impl Figure for TimeseriesFigure {
    fn size(&self) -> (u32, u32) {
        (1400, 1000)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = style::frame(root, &self.title)?;
        let area = style::legend_row(&area, &self.names)?;
        let (top, bottom) = area.split_vertically(area.dim_in_pixel().1 / 2);
        self.panel(&top, &self.runs.util, "CPU utilisation (%)", Some(100.0))?;
        self.panel(
            &bottom,
            &self.runs.queue,
            "Queue length (tasks waiting)",
            None,
        )?;
        Ok(())
    }
}

impl TimeseriesFigure {
    fn panel<DB>(
        &self,
        area: &DrawingArea<DB, Shift>,
        series: &[Series],
        y_desc: &str,
        y_max: Option<f64>,
    ) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let (div, unit) = self.unit;
        let top = series
            .iter()
            .flat_map(|s| &s.points)
            .map(|p| p.1)
            .fold(0.0, f64::max);
        let y1 = y_max.unwrap_or(if top > 0.0 { top * 1.08 } else { 1.0 });
        let x1 = if self.t_max > 0.0 {
            self.t_max / div
        } else {
            1.0
        };
        let mut chart = ChartBuilder::on(area)
            .margin(14)
            .margin_right(30)
            .x_label_area_size(70)
            .y_label_area_size(100)
            .build_cartesian_2d(0.0..x1, 0.0..y1)?;
        let x_desc = format!("Simulated time ({unit})");
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_labels(10)
            .y_labels(6)
            .x_label_formatter(&|v| style::fmt_num(*v))
            .y_label_formatter(&|v| style::fmt_num(*v))
            .label_style(style::text(style::TICK))
            .axis_desc_style(style::text(style::AXIS))
            .light_line_style(TRANSPARENT)
            .bold_line_style(style::GRID)
            .axis_style(style::INK)
            .draw()?;
        for s in series {
            let c = style::color(s.index);
            let pts = s.points.iter().map(|&(t, v)| (t / div, v));
            chart.draw_series(LineSeries::new(pts, c.stroke_width(2)))?;
        }
        Ok(())
    }
}

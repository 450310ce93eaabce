//! CDF of response time per scheduler, from `quantiles.csv` (one panel per sweep point).
//!
//! The x axis is logarithmic when the values span more than 50x: response times are heavy-tailed and
//! on a linear axis every curve would hug the y axis. A log axis starts at the data's first percentile
//! ([`data::CDF_LOG_FIRST_Q`]). Lines join neighbouring quantiles only where they are close
//! ([`data::cdf_runs`]); across a wider gap nothing is known, so the points are drawn as dots.
//! Markers sit at the median, p90 and p99. With more than [`data::MAX_OVERLAID`] schedulers each panel
//! is a ranked dot plot of those three quantiles instead, a labelled row per scheduler.

use std::path::Path;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::{self, Series};
use super::ranked::{Mark, RankedPanel};
use super::style::{self, DrawResult, Figure};
use crate::compare::{CompareError, Summary};

/// At most this many panels (sweep points) are drawn.
const MAX_PANELS: usize = 12;
/// Quantiles marked on each curve.
const MARKED: [f64; 3] = [0.5, 0.9, 0.99];

/// Legend name of a marked quantile.
fn quantile_name(q: f64) -> String {
    if q == 0.5 {
        "median".to_string()
    } else {
        format!("p{}", style::fmt_num(q * 100.0))
    }
}

/// The response-time CDF figure.
pub struct CdfFigure {
    title: String,
    subtitle: String,
    names: Vec<String>,
    panels: Vec<(String, Vec<Series>)>,
    log_x: bool,
    x_range: (f64, f64),
}

impl CdfFigure {
    /// Loads `dir/quantiles.csv`; `None` when the file is absent or has no response times.
    pub fn load(dir: &Path, summary: &Summary) -> Result<Option<CdfFigure>, CompareError> {
        let Some(curves) = data::response_quantiles(dir, summary)? else {
            return Ok(None);
        };
        let points = summary.sweep_points();
        let mut panels: Vec<(String, Vec<Series>)> = curves
            .into_iter()
            .take(MAX_PANELS)
            .map(|(id, s)| {
                let label = points
                    .iter()
                    .find(|p| p.id == id)
                    .map(|p| p.label(&summary.sweep_keys));
                (label.unwrap_or_else(|| format!("sweep point {id}")), s)
            })
            .collect();
        let xs: Vec<f64> = panels
            .iter()
            .flat_map(|p| &p.1)
            .flat_map(|s| &s.points)
            .map(|p| p.0)
            .collect();
        let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let min_pos = xs
            .iter()
            .copied()
            .filter(|v| *v > 0.0)
            .fold(f64::INFINITY, f64::min);
        let log_x = max.is_finite() && min_pos.is_finite() && max / min_pos > 50.0;
        if log_x {
            for s in panels.iter_mut().flat_map(|p| &mut p.1) {
                s.points
                    .retain(|p| p.0 > 0.0 && p.1 >= data::CDF_LOG_FIRST_Q - 1e-9);
            }
        }
        let lo = if log_x {
            let first = panels.iter().flat_map(|p| &p.1).flat_map(|s| &s.points);
            first.map(|p| p.0).fold(f64::INFINITY, f64::min)
        } else {
            xs.iter().copied().fold(f64::INFINITY, f64::min).min(0.0)
        };
        let hi = if max > lo { max } else { lo + 1.0 };
        let mut names = summary.schedulers();
        for s in panels.iter().flat_map(|p| &p.1) {
            if !names.contains(&s.label) {
                names.push(s.label.clone());
            }
        }
        let mut notes = vec!["mean of replications' quantiles"];
        if log_x {
            notes.push("log axis from p1");
        }
        notes.push("no line across gaps in the data");
        Ok(Some(CdfFigure {
            title: "Response time distribution".to_string(),
            subtitle: notes.join("; "),
            names,
            panels,
            log_x,
            x_range: (lo, hi),
        }))
    }

    #[cfg(test)]
    /// The value axis range: on a log axis it starts at the smallest first percentile.
    pub fn x_range(&self) -> (f64, f64) {
        self.x_range
    }

    /// Whether the panels are ranked dot plots (too many schedulers to overlay).
    pub fn is_ranked(&self) -> bool {
        !data::overlay_fits(self.names.len())
    }

    /// One ranked panel per sweep point: schedulers by p99, marks at the median, p90 and p99.
    fn ranked_panels(&self) -> Vec<RankedPanel> {
        self.panels
            .iter()
            .map(|(caption, series)| {
                let at = |s: &Series, q: f64| {
                    s.points
                        .iter()
                        .find(|p| (p.1 - q).abs() < 1e-9)
                        .map(|p| p.0)
                };
                let key: Vec<Option<f64>> = series.iter().map(|s| at(s, 0.99)).collect();
                let order = data::rank_order(&key, false);
                let marks = order
                    .iter()
                    .map(|&i| {
                        MARKED
                            .iter()
                            .enumerate()
                            .filter_map(|(k, q)| {
                                Some(Mark {
                                    series: k,
                                    value: at(&series[i], *q)?,
                                    ci: None,
                                })
                            })
                            .collect()
                    })
                    .collect();
                let scale = if self.log_x { ", log scale" } else { "" };
                RankedPanel {
                    caption: if caption.is_empty() {
                        "Response time quantiles (best p99 first)".to_string()
                    } else {
                        format!("{caption} (best p99 first)")
                    },
                    x_desc: format!("Response time (s{scale})"),
                    rows: order.iter().map(|&i| series[i].label.clone()).collect(),
                    marks,
                    x_range: self.x_range,
                    log_x: self.log_x,
                    connect: true,
                }
            })
            .collect()
    }

    fn grid(&self) -> (usize, usize) {
        let n = self.panels.len().max(1);
        if self.is_ranked() {
            let cols = if n == 1 { 1 } else { 2 };
            return (n.div_ceil(cols), cols);
        }
        let cols = match n {
            1 => 1,
            2 | 4 => 2,
            _ => 3,
        };
        (n.div_ceil(cols), cols)
    }
}

impl Figure for CdfFigure {
    fn size(&self) -> (u32, u32) {
        let (rows, cols) = self.grid();
        if self.is_ranked() {
            let h = self.ranked_panels().first().map_or(400, |p| p.height());
            return (if cols == 1 { 1100 } else { 1600 }, 180 + h * rows as u32);
        }
        let width = if cols == 1 { 1100 } else { 800 * cols as u32 };
        (width, 130 + 620 * rows as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = style::frame(root, &self.title, &self.subtitle)?;
        if self.is_ranked() {
            let legend: Vec<String> = MARKED.iter().map(|q| quantile_name(*q)).collect();
            let area = style::legend_row(&area, &legend)?;
            for (panel, sub) in self
                .ranked_panels()
                .iter()
                .zip(area.split_evenly(self.grid()))
            {
                panel.draw(&sub)?;
            }
            return Ok(());
        }
        let area = style::legend_row(&area, &self.names)?;
        let (lo, hi) = self.x_range;
        for ((caption, series), sub) in self.panels.iter().zip(area.split_evenly(self.grid())) {
            if self.log_x {
                self.panel(&sub, (lo..hi).log_scale(), caption, series)?;
            } else {
                self.panel(&sub, lo..hi, caption, series)?;
            }
        }
        Ok(())
    }
}

impl CdfFigure {
    fn panel<DB, X>(
        &self,
        area: &DrawingArea<DB, Shift>,
        x: X,
        caption: &str,
        series: &[Series],
    ) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
        X: AsRangedCoord<Value = f64>,
        X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let mut builder = ChartBuilder::on(area);
        builder
            .margin(14)
            .margin_right(30)
            .x_label_area_size(70)
            .y_label_area_size(90);
        if !caption.is_empty() {
            builder.caption(caption, style::text(style::CAPTION));
        }
        let mut chart = builder.build_cartesian_2d(x, 0.0..1.0)?;
        let x_desc = if self.log_x {
            "Response time (s, log scale)"
        } else {
            "Response time (s)"
        };
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc("Fraction of tasks completed within x")
            .x_label_formatter(&|v| style::fmt_num(*v))
            .y_label_formatter(&|v| style::fmt_num(*v))
            .y_labels(11)
            .label_style(style::text(style::TICK))
            .axis_desc_style(style::text(style::AXIS))
            .light_line_style(TRANSPARENT)
            .bold_line_style(style::GRID)
            .axis_style(style::INK)
            .draw()?;
        let span = self.x_range;
        for s in series {
            let c = style::color(s.index);
            for run in data::cdf_runs(&s.points, self.log_x, span) {
                if run.len() > 1 {
                    style::draw_polyline(chart.plotting_area(), &run, c, style::LINE)?;
                } else {
                    chart
                        .plotting_area()
                        .draw(&Circle::new(run[0], 3, c.filled()))?;
                }
            }
            for q in MARKED {
                if let Some(p) = s.points.iter().find(|p| (p.1 - q).abs() < 1e-9) {
                    style::draw_marker(chart.plotting_area(), s.index, *p, 8, c)?;
                }
            }
        }
        Ok(())
    }
}

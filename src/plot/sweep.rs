//! One swept key against p99 response time and CPU utilisation, a line per scheduler with its 95%
//! confidence band. With several swept keys the others are held at the first sweep point's values.
//! Non-numeric keys (e.g. `failover.policy`) get a categorical axis with dodged dots and whiskers.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{self, DrawResult, Figure};
use crate::compare::metrics;
use crate::compare::{Comparison, Summary};

/// A point of a scheduler's line: x, mean and CI, scaled for display.
type Point = (f64, f64, Option<(f64, f64)>);

/// The figure for one swept key.
pub struct SweepFigure {
    title: String,
    key: String,
    names: Vec<String>,
    /// `Some(labels)` for a categorical key (x = 0, 1, ...).
    categories: Option<Vec<String>>,
    /// Where to put x tick labels, and their text: every sweep value when there are few of them.
    ticks: Option<Vec<(f64, String)>>,
    /// (metric caption, axis label, per-scheduler points).
    panels: Vec<(String, String, Vec<Vec<Point>>)>,
}

impl SweepFigure {
    /// Builds the figure for swept key number `key`; `None` when it takes fewer than two values.
    pub fn new(summary: &Summary, cmp: &Comparison, key: usize) -> Option<SweepFigure> {
        let all = summary.sweep_points();
        let first = all.first()?;
        let points: Vec<_> = all
            .iter()
            .filter(|p| (0..p.values.len()).all(|k| k == key || p.values[k] == first.values[k]))
            .collect();
        if points.len() < 2 {
            return None;
        }
        let numbers: Option<Vec<f64>> = points.iter().map(|p| p.values[key].parse().ok()).collect();
        let xs = numbers
            .clone()
            .unwrap_or_else(|| (0..points.len()).map(|i| i as f64).collect());
        let mut panels = Vec::new();
        for name in ["p99_response_s", "util_cpu"] {
            let Some(info) = metrics::info(name).filter(|_| cmp.metrics.iter().any(|m| m == name))
            else {
                continue;
            };
            let percent = info.unit == "fraction";
            let scale = if percent { 100.0 } else { 1.0 };
            let lines = cmp
                .schedulers
                .iter()
                .map(|s| {
                    let cells = points
                        .iter()
                        .zip(&xs)
                        .filter_map(|(p, x)| Some((x, cmp.cell(s, p.id, name)?)));
                    cells
                        .filter_map(|(x, c)| {
                            let ci = c.estimate.ci95().map(|(l, h)| (l * scale, h * scale));
                            Some((*x, c.estimate.mean? * scale, ci))
                        })
                        .collect()
                })
                .collect();
            let unit = if percent { "%" } else { info.unit };
            panels.push((
                info.label.to_string(),
                format!("{} ({unit})", info.label),
                lines,
            ));
        }
        let key_name = summary.sweep_keys[key].clone();
        let n = cmp.cells.iter().map(|c| c.estimate.n).max().unwrap_or(0);
        let mut title = format!("Effect of {key_name} (mean and 95% CI over {n} replications)");
        let others: Vec<String> = (0..first.values.len())
            .filter(|&k| k != key)
            .map(|k| format!("{}={}", summary.sweep_keys[k], first.values[k]))
            .collect();
        if !others.is_empty() {
            title = format!("{title}; {}", others.join(", "));
        }
        let ticks = (points.len() <= 12).then(|| {
            let labels = points.iter().map(|p| p.values[key].clone());
            xs.iter().copied().zip(labels).collect()
        });
        Some(SweepFigure {
            ticks,
            title,
            key: key_name,
            names: cmp.schedulers.clone(),
            categories: numbers
                .is_none()
                .then(|| points.iter().map(|p| p.values[key].clone()).collect()),
            panels,
        })
    }

    fn x_range(&self) -> (f64, f64) {
        let xs = self.panels.iter().flat_map(|p| &p.2).flatten().map(|p| p.0);
        let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
        if !(lo.is_finite() && hi.is_finite()) {
            return (0.0, 1.0);
        }
        if self.categories.is_some() {
            return (lo - 0.5, hi + 0.5);
        }
        let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 };
        (lo - pad, hi + pad)
    }
}

impl Figure for SweepFigure {
    fn size(&self) -> (u32, u32) {
        (1600, 760)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = style::frame(root, &self.title)?;
        let area = style::legend_row(&area, &self.names)?;
        let cols = self.panels.len().max(1);
        for (panel, sub) in self.panels.iter().zip(area.split_evenly((1, cols))) {
            self.panel(&sub, panel)?;
        }
        Ok(())
    }
}

impl SweepFigure {
    fn panel<DB>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &(String, String, Vec<Vec<Point>>),
    ) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let (caption, y_desc, lines) = panel;
        let top = lines
            .iter()
            .flatten()
            .map(|p| p.2.map_or(p.1, |c| c.1))
            .fold(0.0, f64::max);
        let (x0, x1) = self.x_range();
        let y1 = if top > 0.0 { top * 1.1 } else { 1.0 };
        let mut chart = ChartBuilder::on(area)
            .caption(caption, style::text(style::CAPTION))
            .margin(14)
            .margin_right(30)
            .x_label_area_size(80)
            .y_label_area_size(100)
            .build_cartesian_2d(x0..x1, 0.0..y1)?;
        let categorical = self.categories.is_some();
        chart
            .configure_mesh()
            .x_desc(style::key_label(&self.key))
            .y_desc(y_desc.as_str())
            .x_labels(if self.ticks.is_some() { 0 } else { 8 })
            .y_labels(8)
            .x_label_formatter(&|v| style::fmt_num(*v))
            .y_label_formatter(&|v| style::fmt_num(*v))
            .label_style(style::text(style::TICK))
            .axis_desc_style(style::text(style::AXIS))
            .light_line_style(TRANSPARENT)
            .bold_line_style(style::GRID)
            .axis_style(style::INK)
            .draw()?;
        let plot = chart.plotting_area();
        let k = lines.len().max(1) as f64;
        let dodged = |i: usize| -> Vec<Point> {
            let dodge = if categorical {
                (i as f64 - (k - 1.0) / 2.0) * 0.08
            } else {
                0.0
            };
            lines[i]
                .iter()
                .map(|&(x, m, ci)| (x + dodge, m, ci))
                .collect()
        };
        // Bands first, so no band tints another scheduler's line.
        for i in (0..lines.len()).filter(|_| !categorical) {
            let pts = dodged(i);
            let upper = pts.iter().filter_map(|p| p.2.map(|c| (p.0, c.1)));
            let lower = pts.iter().rev().filter_map(|p| p.2.map(|c| (p.0, c.0)));
            let band: Vec<(f64, f64)> = upper.chain(lower).collect();
            plot.draw(&Polygon::new(band, style::color(i).mix(0.12).filled()))?;
        }
        for i in 0..lines.len() {
            let (c, pts) = (style::color(i), dodged(i));
            if categorical {
                for &(x, _, ci) in &pts {
                    if let Some((lo, hi)) = ci {
                        style::draw_error_bar(plot, x, lo, hi, 6)?;
                    }
                }
            } else {
                let path: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1)).collect();
                plot.draw(&PathElement::new(path, c.stroke_width(style::LINE)))?;
            }
            for &(x, m, _) in &pts {
                style::draw_marker(plot, i, (x, m), 8, c)?;
            }
        }
        let style = style::text(style::TICK).pos(Pos::new(HPos::Center, VPos::Top));
        for (x, label) in self.ticks.iter().flatten() {
            let tick = PathElement::new(vec![(0, 0), (0, 6)], style::INK.stroke_width(1));
            plot.draw(
                &(EmptyElement::at((*x, 0.0))
                    + tick
                    + Text::new(label.clone(), (0, 12), style.clone())),
            )?;
        }
        Ok(())
    }
}

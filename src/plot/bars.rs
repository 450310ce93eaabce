//! Panels of per-scheduler means with 95% confidence intervals: bars from zero for the main metrics,
//! dots with whiskers on a fitted axis for failover fractions (where bars from zero would hide the
//! differences that matter, e.g. 98.5% vs 99.1% availability).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{self, DrawResult, Figure};
use crate::compare::metrics::{self, MetricInfo, FAILOVER_METRICS};
use crate::compare::Comparison;

/// One panel: a metric, the factor its values are shown with, and how.
struct Panel {
    info: &'static MetricInfo,
    scale: f64,
    unit: &'static str,
    zero_based: bool,
}

impl Panel {
    fn new(name: &str, zero_based: bool) -> Option<Panel> {
        let info = metrics::info(name)?;
        let percent = info.unit.starts_with("fraction");
        Some(Panel {
            info,
            scale: if percent { 100.0 } else { 1.0 },
            unit: if percent { "%" } else { info.unit },
            zero_based,
        })
    }
}

/// A grid of metric panels, one bar (or dot) per scheduler, grouped by sweep point.
pub struct MetricBars<'a> {
    title: String,
    cmp: &'a Comparison,
    panels: Vec<Panel>,
}

impl<'a> MetricBars<'a> {
    /// Mean and p99 response time, CPU utilisation and load imbalance.
    pub fn main(cmp: &'a Comparison) -> Self {
        let names = [
            "mean_response_s",
            "p99_response_s",
            "util_cpu",
            "imbalance_cv",
        ];
        Self::with(cmp, "Scheduler comparison", &names, true)
    }

    /// The failover metrics present in the comparison.
    pub fn failover(cmp: &'a Comparison) -> Self {
        Self::with(cmp, "Failover", FAILOVER_METRICS, false)
    }

    fn with(cmp: &'a Comparison, what: &str, names: &[&str], zero_based: bool) -> Self {
        let panels = names
            .iter()
            .filter(|n| cmp.metrics.iter().any(|m| m == *n))
            .filter_map(|n| {
                Panel::new(n, zero_based || n.ends_with("_s") || n.starts_with("tasks"))
            })
            .collect();
        let n = cmp.cells.iter().map(|c| c.estimate.n).max().unwrap_or(0);
        let title = format!("{what}: mean and 95% confidence interval over {n} replications");
        MetricBars { title, cmp, panels }
    }

    fn grid(&self) -> (usize, usize) {
        let cols = if self.panels.len() > 1 { 2 } else { 1 };
        (self.panels.len().div_ceil(cols).max(1), cols)
    }
}

impl Figure for MetricBars<'_> {
    fn size(&self) -> (u32, u32) {
        let (rows, cols) = self.grid();
        (if cols == 2 { 1600 } else { 900 }, 130 + 540 * rows as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = style::frame(root, &self.title)?;
        let area = style::legend_row(&area, &self.cmp.schedulers)?;
        for (panel, sub) in self.panels.iter().zip(area.split_evenly(self.grid())) {
            self.draw_panel(&sub, panel)?;
        }
        Ok(())
    }
}

/// One bar: series index, x centre, mean and CI, already scaled.
type Bar = (usize, f64, f64, Option<(f64, f64)>);

impl MetricBars<'_> {
    /// Every scheduler's bar, grouped by sweep point: group g spans x = g..g+1.
    fn bars(&self, p: &Panel) -> Vec<Bar> {
        let w = self.bar_width();
        let mut out = Vec::new();
        for (g, point) in self.cmp.sweep_points.iter().enumerate() {
            for (i, s) in self.cmp.schedulers.iter().enumerate() {
                let Some(cell) = self.cmp.cell(s, point.id, p.info.name) else {
                    continue;
                };
                let Some(mean) = cell.estimate.mean else {
                    continue;
                };
                let x = g as f64 + 0.1 + w * (i as f64 + 0.5);
                let ci = cell
                    .estimate
                    .ci95()
                    .map(|(l, h)| (l * p.scale, h * p.scale));
                out.push((i, x, mean * p.scale, ci));
            }
        }
        out
    }

    fn bar_width(&self) -> f64 {
        0.8 / self.cmp.schedulers.len().max(1) as f64
    }

    fn y_range(p: &Panel, bars: &[Bar]) -> (f64, f64) {
        let lows = bars.iter().map(|b| b.3.map_or(b.2, |c| c.0));
        let highs = bars.iter().map(|b| b.3.map_or(b.2, |c| c.1));
        let hi = highs.fold(f64::NEG_INFINITY, f64::max);
        if p.zero_based {
            return (0.0, if hi > 0.0 { hi * 1.12 } else { 1.0 });
        }
        let lo = lows.fold(f64::INFINITY, f64::min);
        let pad = if hi > lo {
            0.15 * (hi - lo)
        } else {
            0.01 * hi.abs().max(1.0)
        };
        (lo - pad, hi + pad)
    }

    fn draw_panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, p: &Panel) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let bars = self.bars(p);
        if bars.is_empty() {
            return Ok(());
        }
        let (y0, y1) = Self::y_range(p, &bars);
        let groups = self.cmp.sweep_points.len();
        let mut chart = ChartBuilder::on(area)
            .caption(p.info.label, style::text(style::CAPTION))
            .margin(14)
            .x_label_area_size(if groups > 1 { 70 } else { 50 })
            .y_label_area_size(100)
            .build_cartesian_2d(0.0..groups as f64, y0..y1)?;
        let y_desc = format!("{} ({})", p.info.label, p.unit);
        let x_desc = match self.cmp.sweep_keys.as_slice() {
            [key] if groups > 1 => style::key_label(key),
            _ if groups > 1 => "sweep point".to_string(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(8)
            .y_desc(y_desc)
            .x_desc(x_desc)
            .y_label_formatter(&|v| style::fmt_num(*v))
            .label_style(style::text(style::TICK))
            .axis_desc_style(style::text(style::AXIS))
            .light_line_style(TRANSPARENT)
            .bold_line_style(style::GRID)
            .axis_style(style::INK)
            .draw()?;
        let half = self.bar_width() * 0.42;
        let plot = chart.plotting_area();
        for &(i, x, mean, ci) in &bars {
            let c = style::color(i);
            if p.zero_based {
                plot.draw(&Rectangle::new(
                    [(x - half, y0), (x + half, mean)],
                    c.filled(),
                ))?;
            }
            if let Some((lo, hi)) = ci {
                style::draw_error_bar(plot, x, lo, hi, 8)?;
            }
            if !p.zero_based {
                style::draw_marker(plot, i, (x, mean), 9, c)?;
            }
        }
        let label = style::text(style::TICK).pos(Pos::new(HPos::Center, VPos::Top));
        if groups > 1 {
            for (g, point) in self.cmp.sweep_points.iter().enumerate() {
                let text = Text::new(point.values.join(", "), (0, 10), label.clone());
                plot.draw(&(EmptyElement::at((g as f64 + 0.5, y0)) + text))?;
            }
            return Ok(());
        }
        // One group: name each bar when every name fits under its bar (else the legend does it).
        let slot = (plot.get_pixel_range().0.len() as f64 * self.bar_width()) as u32;
        let widths = self
            .cmp
            .schedulers
            .iter()
            .map(|s| plot.estimate_text_size(s, &label));
        if widths
            .collect::<Result<Vec<_>, _>>()?
            .iter()
            .all(|(w, _)| *w + 6 <= slot)
        {
            for &(i, x, _, _) in &bars {
                let text = Text::new(self.cmp.schedulers[i].clone(), (0, 10), label.clone());
                plot.draw(&(EmptyElement::at((x, y0)) + text))?;
            }
        }
        Ok(())
    }
}

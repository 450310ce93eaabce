//! Panels of per-scheduler means with 95% confidence intervals (main metrics, and failover metrics
//! when something failed). Every axis starts at zero, counts and times alike, and fractions are shown
//! in percent with their CIs clipped to [0, 100%] ([`data::shown`]).
//!
//! With at most [`data::MAX_OVERLAID`] schedulers whose names fit under their bars: vertical bars
//! grouped by sweep point, each bar labelled with its scheduler. Otherwise a ranked dot plot
//! ([`RankedPanel`]): a labelled row per scheduler, best first, a marker per sweep point.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{self, Shown};
use super::ranked::{self, Mark, RankedPanel};
use super::style::{self, DrawResult, Figure};
use crate::compare::metrics::{self, MetricInfo, FAILOVER_METRICS};
use crate::compare::{Comparison, Direction};

/// Figure width (px).
const WIDTH: u32 = 1600;
/// Approximate plot width of one of two panel columns, for fitting bar labels before drawing.
const PLOT_WIDTH: f64 = 620.0;
/// Bar labels may wrap onto this many lines.
const LABEL_LINES: usize = 3;

/// One panel: a metric and the factor its values are shown with.
struct Panel {
    info: &'static MetricInfo,
    scale: f64,
    unit: &'static str,
}

impl Panel {
    fn new(name: &str) -> Option<Panel> {
        let info = metrics::info(name)?;
        let percent = data::is_fraction(info);
        Some(Panel {
            info,
            scale: if percent { 100.0 } else { 1.0 },
            unit: if percent { "%" } else { info.unit },
        })
    }

    fn y_desc(&self) -> String {
        format!("{} ({})", self.info.label, self.unit)
    }

    /// Zero-based axis end for values up to `hi`: a fraction's axis ends at 100% at most.
    fn axis_end(&self, hi: f64) -> f64 {
        let end = if hi > 0.0 { hi * 1.12 } else { 1.0 };
        if data::is_fraction(self.info) {
            end.min(100.0)
        } else {
            end
        }
    }
}

/// A grid of metric panels, one bar (or dot) per scheduler and sweep point.
pub struct MetricBars<'a> {
    title: String,
    subtitle: String,
    cmp: &'a Comparison,
    panels: Vec<Panel>,
    /// Wrapped name of each scheduler under its bars; `None` for the ranked layout.
    bar_labels: Option<Vec<Vec<String>>>,
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
        Self::with(cmp, "Scheduler comparison", &names)
    }

    /// The GPU metrics present in the comparison (clusters with GPUs).
    pub fn gpu(cmp: &'a Comparison) -> Self {
        Self::with(cmp, "GPUs", crate::compare::metrics::GPU_METRICS)
    }

    /// The failover metrics present in the comparison.
    pub fn failover(cmp: &'a Comparison) -> Self {
        Self::with(cmp, "Failover", FAILOVER_METRICS)
    }

    fn with(cmp: &'a Comparison, title: &str, names: &[&str]) -> Self {
        let panels: Vec<Panel> = names
            .iter()
            .filter(|n| cmp.metrics.iter().any(|m| m == *n))
            .filter_map(|n| Panel::new(n))
            .collect();
        let mut subtitle = data::ci_subtitle(cmp);
        let clipped = panels.iter().any(|p| {
            cmp.cells
                .iter()
                .filter(|c| c.metric == p.info.name)
                .filter_map(|c| data::shown(&c.estimate, p.info, p.scale))
                .any(|s| s.clipped)
        });
        if clipped {
            subtitle = format!("{subtitle}; {}", data::CLIP_NOTE);
        }
        MetricBars {
            title: title.to_string(),
            subtitle,
            cmp,
            bar_labels: bar_labels(cmp),
            panels,
        }
    }

    /// Whether the figure uses the ranked dot plot layout.
    pub fn is_ranked(&self) -> bool {
        self.bar_labels.is_none()
    }

    #[cfg(test)]
    /// The row labels of each ranked panel, top to bottom (empty for the bar layout).
    pub fn ranked_rows(&self) -> Vec<Vec<String>> {
        if !self.is_ranked() {
            return Vec::new();
        }
        self.panels
            .iter()
            .map(|p| self.ranked_panel(p).rows)
            .collect()
    }

    #[cfg(test)]
    /// The subtitle: what the whiskers mean and whether some were clipped.
    pub fn subtitle(&self) -> &str {
        &self.subtitle
    }

    fn grid(&self) -> (usize, usize) {
        let cols = if self.panels.len() > 1 { 2 } else { 1 };
        (self.panels.len().div_ceil(cols).max(1), cols)
    }

    /// Legend entries: schedulers for bars, sweep points for the ranked layout (none for one point).
    fn legend(&self) -> Vec<String> {
        if !self.is_ranked() {
            return self.cmp.schedulers.clone();
        }
        if self.cmp.sweep_points.len() < 2 {
            return Vec::new();
        }
        let keys = &self.cmp.sweep_keys;
        self.cmp
            .sweep_points
            .iter()
            .map(|p| p.label(keys))
            .collect()
    }

    /// The ranked panel of metric `p`: schedulers ordered by their mean at the first sweep point.
    fn ranked_panel(&self, p: &Panel) -> RankedPanel {
        let cmp = self.cmp;
        let first = cmp.sweep_points.first().map(|s| s.id);
        let key: Vec<Option<f64>> = cmp
            .schedulers
            .iter()
            .map(|s| first.and_then(|id| cmp.cell(s, id, p.info.name)?.estimate.mean))
            .collect();
        let order = data::rank_order(&key, p.info.direction == Direction::Higher);
        let marks: Vec<Vec<Mark>> = order
            .iter()
            .map(|&i| {
                cmp.sweep_points
                    .iter()
                    .enumerate()
                    .filter_map(|(g, point)| {
                        let cell = cmp.cell(&cmp.schedulers[i], point.id, p.info.name)?;
                        let s = data::shown(&cell.estimate, p.info, p.scale)?;
                        Some(Mark {
                            series: g,
                            value: s.mean,
                            ci: s.ci,
                        })
                    })
                    .collect()
            })
            .collect();
        let hi = ranked::highest(&marks);
        RankedPanel {
            caption: format!("{} (best first)", p.info.label),
            x_desc: p.y_desc(),
            rows: order.iter().map(|&i| cmp.schedulers[i].clone()).collect(),
            marks,
            x_range: (0.0, p.axis_end(hi)),
            log_x: false,
            connect: false,
        }
    }
}

/// Each scheduler's name wrapped to fit under its bar, or `None` when there are too many schedulers
/// for bars or a name does not fit (then the figure uses the ranked layout, whose rows are labelled).
fn bar_labels(cmp: &Comparison) -> Option<Vec<Vec<String>>> {
    let n = cmp.schedulers.len();
    if !data::overlay_fits(n) {
        return None;
    }
    if n == 1 && cmp.sweep_points.len() > 1 {
        // One scheduler: the legend names it; the bars are labelled by sweep value.
        return Some(vec![Vec::new()]);
    }
    let slot = PLOT_WIDTH * 0.8 / (n * cmp.sweep_points.len().max(1)) as f64;
    cmp.schedulers
        .iter()
        .map(|s| style::wrap_label(s, (slot - 6.0).max(0.0) as u32, LABEL_LINES))
        .collect()
}

impl Figure for MetricBars<'_> {
    fn size(&self) -> (u32, u32) {
        let (rows, cols) = self.grid();
        let width = if cols == 2 { WIDTH } else { 900 };
        if self.is_ranked() {
            let panel = self
                .panels
                .first()
                .map_or(300, |p| self.ranked_panel(p).height());
            return (width, 160 + panel * rows as u32);
        }
        (width, 160 + 560 * rows as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = style::frame(root, &self.title, &self.subtitle)?;
        let area = style::legend_row(&area, &self.legend())?;
        for (panel, sub) in self.panels.iter().zip(area.split_evenly(self.grid())) {
            if self.is_ranked() {
                self.ranked_panel(panel).draw(&sub)?;
            } else {
                self.draw_panel(&sub, panel)?;
            }
        }
        Ok(())
    }
}

/// One bar: series index, x centre and its mean and CI.
type Bar = (usize, f64, Shown);

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
                if let Some(shown) = data::shown(&cell.estimate, p.info, p.scale) {
                    out.push((i, g as f64 + 0.1 + w * (i as f64 + 0.5), shown));
                }
            }
        }
        out
    }

    fn bar_width(&self) -> f64 {
        0.8 / self.cmp.schedulers.len().max(1) as f64
    }

    fn label_lines(&self) -> usize {
        self.bar_labels
            .iter()
            .flatten()
            .map(|l| l.len())
            .max()
            .unwrap_or(0)
    }

    fn draw_panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, p: &Panel) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let bars = self.bars(p);
        let groups = self.cmp.sweep_points.len().max(1);
        let hi = bars
            .iter()
            .map(|b| b.2.ci.map_or(b.2.mean, |c| c.1))
            .fold(0.0, f64::max);
        let y1 = p.axis_end(hi);
        let lines = self.label_lines() as u32;
        let group_row = if groups > 1 { 30 } else { 0 };
        let mut chart = ChartBuilder::on(area)
            .caption(p.info.label, style::text(style::CAPTION))
            .margin(14)
            .x_label_area_size(20 + 24 * lines + group_row + 40)
            .y_label_area_size(100)
            .build_cartesian_2d(0.0..groups as f64, 0.0..y1)?;
        let x_desc = match self.cmp.sweep_keys.as_slice() {
            [key] if groups > 1 => style::key_label(key),
            _ if groups > 1 => "sweep point".to_string(),
            _ => "scheduler".to_string(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(8)
            .y_desc(p.y_desc())
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
        let label = style::text(style::TICK).pos(Pos::new(HPos::Center, VPos::Top));
        for &(i, x, s) in &bars {
            plot.draw(&Rectangle::new(
                [(x - half, 0.0), (x + half, s.mean)],
                style::color(i).filled(),
            ))?;
            if let Some((lo, hi)) = s.ci {
                style::draw_error_bar(plot, x, lo, hi, 8)?;
            }
            for (k, line) in self
                .bar_labels
                .iter()
                .flatten()
                .nth(i)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let text = Text::new(line.clone(), (0, 8 + 24 * k as i32), label.clone());
                plot.draw(&(EmptyElement::at((x, 0.0)) + text))?;
            }
        }
        if bars.is_empty() || bars.iter().all(|b| b.2.mean == 0.0 && b.2.ci.is_none()) {
            let note = if bars.is_empty() {
                "no data"
            } else {
                "every value is 0"
            };
            style::draw_note(plot, note)?;
        }
        if groups > 1 {
            let y = 8 + 24 * lines as i32 + 4;
            for (g, point) in self.cmp.sweep_points.iter().enumerate() {
                let text = Text::new(point.values.join(", "), (0, y), label.clone());
                plot.draw(&(EmptyElement::at((g as f64 + 0.5, 0.0)) + text))?;
            }
        }
        Ok(())
    }
}

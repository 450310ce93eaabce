//! One swept key against mean and p99 response time and CPU utilisation, a line per scheduler with its 95%
//! confidence band. With several swept keys the figure has one row of panels (a facet) per
//! combination of the other keys' values ([`data::facets`]), so no slice of the sweep is dropped.
//! Non-numeric keys (e.g. `failover.policy`) get a categorical axis with dodged dots and whiskers.
//! With more than [`data::MAX_OVERLAID`] schedulers each panel is a ranked dot plot instead: a row per
//! scheduler, a marker per value of the key, joined by a line.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data;
use super::ranked::{self, Mark, RankedPanel};
use super::style::{self, DrawResult, Figure};
use crate::compare::metrics::{self, MetricInfo};
use crate::compare::{Comparison, Direction, Summary, SweepPoint};

/// At most this many facets are drawn (the subtitle says when more were left out).
const MAX_FACETS: usize = 6;

/// A point of a scheduler's line: x, mean and CI, scaled for display.
type Point = (f64, f64, Option<(f64, f64)>);

/// One panel: metric caption, axis label, per-scheduler points (overlaid layout).
type Panel = (String, String, Vec<Vec<Point>>);

/// The figure for one swept key.
pub struct SweepFigure {
    title: String,
    subtitle: String,
    key: String,
    names: Vec<String>,
    /// `Some(labels)` for a categorical key (x = 0, 1, ...).
    categories: Option<Vec<String>>,
    /// Where to put x tick labels, and their text: every sweep value when there are few of them.
    ticks: Option<Vec<(f64, String)>>,
    /// Overlaid layout: a row of panels (one per metric) per facet.
    facets: Vec<Vec<Panel>>,
    /// Ranked layout (many schedulers): a row of ranked panels per facet, and the legend.
    ranked: Option<(Vec<Vec<RankedPanel>>, Vec<String>)>,
}

impl SweepFigure {
    /// Builds the figure for swept key number `key`; `None` when no facet has two values of it.
    pub fn new(summary: &Summary, cmp: &Comparison, key: usize) -> Option<SweepFigure> {
        let title = format!("Effect of {}", summary.sweep_keys.get(key)?);
        SweepFigure::with_metrics(
            summary,
            cmp,
            key,
            &["mean_response_s", "p99_response_s", "util_cpu"],
            title,
        )
    }

    /// The figure of swept key number `key` for `wanted` metrics (those the comparison has with
    /// at least one value), titled `title`. A numeric key whose positive values span 100x or more
    /// gets a logarithmic axis.
    pub fn with_metrics(
        summary: &Summary,
        cmp: &Comparison,
        key: usize,
        wanted: &[&str],
        title: String,
    ) -> Option<SweepFigure> {
        let keys = &summary.sweep_keys;
        let all = summary.sweep_points();
        let mut facets: Vec<data::Facet> = data::facets(keys, &all, key)
            .into_iter()
            .filter(|f| f.points.len() >= 2)
            .collect();
        if facets.is_empty() {
            return None;
        }
        let total = facets.len();
        facets.truncate(MAX_FACETS);
        let numbers: Option<Vec<f64>> = all.iter().map(|p| p.values[key].parse().ok()).collect();
        let log_x = numbers.as_ref().is_some_and(|xs| {
            let (lo, hi) = xs
                .iter()
                .fold((f64::INFINITY, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
            lo > 0.0 && hi / lo >= 100.0
        });
        let mut values: Vec<String> = Vec::new();
        for p in &all {
            if !values.contains(&p.values[key]) {
                values.push(p.values[key].clone());
            }
        }
        let x_of = |p: &SweepPoint| -> f64 {
            match &numbers {
                Some(_) if log_x => p.values[key].parse::<f64>().map_or(f64::NAN, f64::log10),
                Some(_) => p.values[key].parse().unwrap_or(f64::NAN),
                None => values.iter().position(|v| *v == p.values[key]).unwrap_or(0) as f64,
            }
        };
        let metrics: Vec<&'static MetricInfo> = wanted
            .iter()
            .filter(|n| cmp.metrics.iter().any(|m| m == *n))
            .filter(|n| {
                summary.metric(n).is_some_and(|i| {
                    summary
                        .runs
                        .iter()
                        .any(|r| r.values[i].is_finite() && r.values[i] != 0.0)
                })
            })
            .filter_map(|n| metrics::info(n))
            .collect();
        if metrics.is_empty() {
            return None;
        }
        let scale = |info: &MetricInfo| if data::is_fraction(info) { 100.0 } else { 1.0 };
        let unit = |info: &'static MetricInfo| {
            if data::is_fraction(info) {
                "%"
            } else {
                info.unit
            }
        };
        let caption = |info: &MetricInfo, f: &data::Facet| {
            if f.label.is_empty() {
                info.label.to_string()
            } else {
                format!("{} at {}", info.label, f.label)
            }
        };
        let mut clipped = false;
        let mut overlaid = Vec::new();
        for f in &facets {
            let mut row = Vec::new();
            for &info in &metrics {
                let lines = cmp
                    .schedulers
                    .iter()
                    .map(|s| {
                        f.points
                            .iter()
                            .filter_map(|p| {
                                let c = cmp.cell(s, p.id, info.name)?;
                                let shown = data::shown(&c.estimate, info, scale(info))?;
                                clipped |= shown.clipped;
                                Some((x_of(p), shown.mean, shown.ci))
                            })
                            .collect()
                    })
                    .collect();
                let axis = format!("{} ({})", info.label, unit(info));
                row.push((caption(info, f), axis, lines));
            }
            overlaid.push(row);
        }
        let ranked = (!data::overlay_fits(cmp.schedulers.len())).then(|| {
            let panels = facets
                .iter()
                .zip(&overlaid)
                .map(|(f, row)| {
                    metrics
                        .iter()
                        .zip(row)
                        .map(|(info, panel)| ranked_panel(cmp, info, f, panel))
                        .collect()
                })
                .collect();
            let legend = facets[0]
                .points
                .iter()
                .map(|p| format!("{}={}", keys[key], p.values[key]));
            (panels, legend.collect())
        });
        let mut notes = vec![data::ci_subtitle(cmp)];
        if log_x {
            notes.push("logarithmic x axis".to_string());
        }
        if clipped {
            notes.push(data::CLIP_NOTE.to_string());
        }
        if total > facets.len() {
            notes.push(format!("first {} of {total} facets", facets.len()));
        }
        let ticks = (values.len() <= 12).then(|| {
            let mut t: Vec<(f64, String)> = Vec::new();
            for p in &all {
                if !t.iter().any(|(_, v)| *v == p.values[key]) {
                    t.push((x_of(p), p.values[key].clone()));
                }
            }
            t
        });
        Some(SweepFigure {
            ticks,
            title,
            subtitle: notes.join("; "),
            key: keys[key].clone(),
            names: cmp.schedulers.clone(),
            categories: numbers.is_none().then_some(values),
            facets: overlaid,
            ranked,
        })
    }

    #[cfg(test)]
    /// The caption of every panel, facet by facet.
    pub fn captions(&self) -> Vec<Vec<String>> {
        self.facets
            .iter()
            .map(|row| row.iter().map(|p| p.0.clone()).collect())
            .collect()
    }

    #[cfg(test)]
    /// The subtitle: what the bands and whiskers mean.
    pub fn subtitle(&self) -> &str {
        &self.subtitle
    }

    fn x_range(&self) -> (f64, f64) {
        let xs = self
            .facets
            .iter()
            .flatten()
            .flat_map(|p| &p.2)
            .flatten()
            .map(|p| p.0);
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

/// A panel's lines on a logarithmic y axis (log10 of each value) when its positive values span
/// 1000x or more and it is not a percentage; points at or below zero cannot be drawn there and are
/// left out (their lines join the neighbouring points).
fn log_scaled(lines: &[Vec<Point>], y_desc: &str) -> (Vec<Vec<Point>>, bool) {
    let positive = lines
        .iter()
        .flatten()
        .flat_map(|p| [Some(p.1), p.2.map(|c| c.0), p.2.map(|c| c.1)])
        .flatten()
        .filter(|v| *v > 0.0 && v.is_finite());
    let (lo, hi) = positive.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    if y_desc.ends_with("(%)") || !(lo.is_finite() && hi / lo >= 1000.0) {
        return (lines.to_vec(), false);
    }
    let scaled = lines
        .iter()
        .map(|line| {
            line.iter()
                .filter(|p| p.1 > 0.0)
                .map(|&(x, m, ci)| {
                    let ci = ci.map(|(a, b)| (a.max(lo).log10(), b.max(lo).log10()));
                    (x, m.log10(), ci)
                })
                .collect()
        })
        .collect();
    (scaled, true)
}

/// The ranked panel of one facet and metric: schedulers ordered by the metric at the facet's first
/// point, a mark per value of the key.
fn ranked_panel(
    cmp: &Comparison,
    info: &MetricInfo,
    facet: &data::Facet,
    (caption, axis, lines): &Panel,
) -> RankedPanel {
    let first = |line: &Vec<Point>| line.first().map(|p| p.1);
    let firsts: Vec<Option<f64>> = lines.iter().map(first).collect();
    let order = data::rank_order(&firsts, info.direction == Direction::Higher);
    let marks: Vec<Vec<Mark>> = order
        .iter()
        .map(|&i| {
            let s = &cmp.schedulers[i];
            facet
                .points
                .iter()
                .enumerate()
                .filter_map(|(k, p)| {
                    let c = cmp.cell(s, p.id, info.name)?;
                    let scale = if data::is_fraction(info) { 100.0 } else { 1.0 };
                    let shown = data::shown(&c.estimate, info, scale)?;
                    Some(Mark {
                        series: k,
                        value: shown.mean,
                        ci: shown.ci,
                    })
                })
                .collect()
        })
        .collect();
    let hi = ranked::highest(&marks);
    let mut end = if hi > 0.0 { hi * 1.1 } else { 1.0 };
    if data::is_fraction(info) {
        end = end.min(100.0);
    }
    RankedPanel {
        caption: format!("{caption} (best first)"),
        x_desc: axis.clone(),
        rows: order.iter().map(|&i| cmp.schedulers[i].clone()).collect(),
        marks,
        x_range: (0.0, end),
        log_x: false,
        connect: true,
    }
}

impl Figure for SweepFigure {
    fn size(&self) -> (u32, u32) {
        let rows = self.facets.len().max(1) as u32;
        if let Some((panels, _)) = &self.ranked {
            let h = panels
                .first()
                .and_then(|r| r.first())
                .map_or(400, |p| p.height());
            return (1600, 180 + h * rows);
        }
        (1600, 180 + 600 * rows)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = style::frame(root, &self.title, &self.subtitle)?;
        if let Some((panels, legend)) = &self.ranked {
            let area = style::legend_row(&area, legend)?;
            let cols = panels.first().map_or(1, |r| r.len().max(1));
            let grid = area.split_evenly((panels.len().max(1), cols));
            for (panel, sub) in panels.iter().flatten().zip(grid) {
                panel.draw(&sub)?;
            }
            return Ok(());
        }
        let area = style::legend_row(&area, &self.names)?;
        let cols = self.facets.first().map_or(1, |r| r.len().max(1));
        let grid = area.split_evenly((self.facets.len().max(1), cols));
        for (panel, sub) in self.facets.iter().flatten().zip(grid) {
            self.panel(&sub, panel)?;
        }
        Ok(())
    }
}

impl SweepFigure {
    fn panel<DB>(&self, area: &DrawingArea<DB, Shift>, panel: &Panel) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let (caption, y_desc, lines) = panel;
        let (lines, log_y) = log_scaled(lines, y_desc);
        let lines = &lines;
        let top = lines
            .iter()
            .flatten()
            .map(|p| p.2.map_or(p.1, |c| c.1))
            .fold(if log_y { f64::NEG_INFINITY } else { 0.0 }, f64::max);
        let bottom = lines
            .iter()
            .flatten()
            .map(|p| p.2.map_or(p.1, |c| c.0))
            .fold(f64::INFINITY, f64::min);
        let (x0, x1) = self.x_range();
        let (y0, mut y1) = if log_y {
            (bottom.floor(), top.ceil().max(bottom.floor() + 1.0))
        } else {
            (0.0, if top > 0.0 { top * 1.1 } else { 1.0 })
        };
        if y_desc.ends_with("(%)") {
            y1 = y1.min(100.0);
        }
        let y_desc = if log_y {
            format!("{y_desc}, log scale")
        } else {
            y_desc.clone()
        };
        let mut chart = ChartBuilder::on(area)
            .caption(caption, style::text(style::CAPTION))
            .margin(14)
            .margin_right(30)
            .x_label_area_size(80)
            .y_label_area_size(100)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        let categorical = self.categories.is_some();
        chart
            .configure_mesh()
            .x_desc(style::key_label(&self.key))
            .y_desc(y_desc.as_str())
            .x_labels(if self.ticks.is_some() { 0 } else { 8 })
            .y_labels(if log_y { (y1 - y0) as usize + 1 } else { 8 })
            .x_label_formatter(&|v| style::fmt_num(*v))
            .y_label_formatter(&|v| {
                if log_y {
                    style::fmt_num(10f64.powf(*v))
                } else {
                    style::fmt_num(*v)
                }
            })
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
                style::draw_polyline(plot, &path, c, style::LINE)?;
            }
            for &(x, m, _) in &pts {
                style::draw_marker(plot, i, (x, m), 8, c)?;
            }
        }
        let style = style::text(style::TICK).pos(Pos::new(HPos::Center, VPos::Top));
        // A label closer than 7% of the axis to the last one drawn would overlap it: its tick
        // stays, its label is left out.
        let mut last_label: Option<f64> = None;
        for (x, label) in self.ticks.iter().flatten() {
            let tick = PathElement::new(vec![(0, 0), (0, 6)], style::INK.stroke_width(1));
            let crowded = last_label.is_some_and(|l| (x - l).abs() < 0.07 * (x1 - x0));
            let text = if crowded {
                String::new()
            } else {
                label.clone()
            };
            if !crowded {
                last_label = Some(*x);
            }
            plot.draw(
                &(EmptyElement::at((*x, y0)) + tick + Text::new(text, (0, 12), style.clone())),
            )?;
        }
        Ok(())
    }
}

//! The ranked dot plot: one labelled row per scheduler, best first, with a marker (and its 95% CI
//! whisker) per series along a zero-based (or log) value axis. Figures use it when more schedulers
//! than [`MAX_OVERLAID`](super::data::MAX_OVERLAID) would have to share one axis and the palette.

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{self, DrawResult};

/// Pixels per row (at least; more when several series are offset within a row).
pub const ROW: u32 = 34;
/// Pixels of a ranked panel that are not rows (caption, x axis, its label).
pub const CHROME: u32 = 150;

/// One marker in a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mark {
    /// Series (colour and marker), e.g. the sweep point or the quantile.
    pub series: usize,
    /// Position on the value axis.
    pub value: f64,
    /// 95% CI whisker, when there is one.
    pub ci: Option<(f64, f64)>,
}

/// The largest value or whisker end over rows of marks (0 when there is none), for the axis end.
pub fn highest(marks: &[Vec<Mark>]) -> f64 {
    marks
        .iter()
        .flatten()
        .map(|m| m.ci.map_or(m.value, |c| c.1))
        .fold(0.0, f64::max)
}

/// A ranked panel ready to draw.
#[derive(Debug, Clone)]
pub struct RankedPanel {
    /// Caption above the panel.
    pub caption: String,
    /// Value axis description, with unit.
    pub x_desc: String,
    /// Row labels, top (best) to bottom.
    pub rows: Vec<String>,
    /// The marks of each row.
    pub marks: Vec<Vec<Mark>>,
    /// Value axis range.
    pub x_range: (f64, f64),
    /// Logarithmic value axis.
    pub log_x: bool,
    /// Join a row's marks with a thin line (the same scheduler at several sweep values or quantiles)
    /// instead of offsetting them vertically.
    pub connect: bool,
}

impl RankedPanel {
    /// Number of series (markers a row can hold).
    fn series(&self) -> usize {
        self.marks
            .iter()
            .flatten()
            .map(|m| m.series + 1)
            .max()
            .unwrap_or(1)
    }

    /// Height of one row: room for every series' marker when they are offset vertically.
    fn row_height(&self) -> u32 {
        if self.connect {
            ROW
        } else {
            ROW.max(10 + 14 * self.series() as u32)
        }
    }

    /// Height of the panel in pixels.
    pub fn height(&self) -> u32 {
        CHROME + self.row_height() * self.rows.len().max(1) as u32
    }

    /// Draws the panel on `area`.
    pub fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (lo, hi) = self.x_range;
        if self.log_x {
            self.draw_on(area, (lo..hi).log_scale())
        } else {
            self.draw_on(area, lo..hi)
        }
    }

    fn draw_on<DB, X>(&self, area: &DrawingArea<DB, Shift>, x: X) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
        X: AsRangedCoord<Value = f64>,
        X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let n = self.rows.len().max(1);
        let label_w = self
            .rows
            .iter()
            .map(|r| style::text_width(r, style::TICK))
            .max()
            .unwrap_or(0);
        let mut chart = ChartBuilder::on(area)
            .caption(&self.caption, style::text(style::CAPTION))
            .margin(14)
            .margin_right(30)
            .x_label_area_size(70)
            .y_label_area_size(label_w + 24)
            .build_cartesian_2d(x, 0.0..n as f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(8)
            .x_desc(self.x_desc.as_str())
            .x_label_formatter(&|v| style::fmt_num(*v))
            .label_style(style::text(style::TICK))
            .axis_desc_style(style::text(style::AXIS))
            .light_line_style(TRANSPARENT)
            .bold_line_style(style::GRID)
            .axis_style(style::INK)
            .draw()?;
        let plot = chart.plotting_area();
        let (x0, x1) = (plot.get_x_range().start, plot.get_x_range().end);
        let label = style::text(style::TICK).pos(Pos::new(HPos::Right, VPos::Center));
        let series = self.series();
        for (r, (name, marks)) in self.rows.iter().zip(&self.marks).enumerate() {
            let y = n as f64 - r as f64 - 0.5;
            plot.draw(&PathElement::new(
                vec![(x0, y), (x1, y)],
                style::GRID.stroke_width(1),
            ))?;
            plot.draw(
                &(EmptyElement::at((x0, y)) + Text::new(name.clone(), (-10, 0), label.clone())),
            )?;
            if self.connect && marks.len() > 1 {
                let (a, b) = marks
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), m| {
                        (a.min(m.value), b.max(m.value))
                    });
                plot.draw(&PathElement::new(
                    vec![(a, y), (b, y)],
                    style::INK.mix(0.5).stroke_width(2),
                ))?;
            }
            for m in marks {
                // The first series on top.
                let dy = if self.connect || series < 2 {
                    0.0
                } else {
                    ((series as f64 - 1.0) / 2.0 - m.series as f64) * 0.7 / series as f64
                };
                if let Some((l, h)) = m.ci {
                    let ink = style::INK.stroke_width(2);
                    plot.draw(&PathElement::new(vec![(l, y + dy), (h, y + dy)], ink))?;
                    for v in [l, h] {
                        plot.draw(
                            &(EmptyElement::at((v, y + dy))
                                + PathElement::new(vec![(0, -5), (0, 5)], ink)),
                        )?;
                    }
                }
                let c = style::color(m.series);
                style::draw_marker(plot, m.series, (m.value, y + dy), 8, c)?;
            }
        }
        Ok(())
    }
}

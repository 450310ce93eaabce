//! The one place for how plots look: font, palette, sizes, number formatting, the shared legend
//! row, and rendering a figure to PNG and SVG.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::PlotError;
use crate::compare::csvfile::write_atomic;

/// The font every plot uses; shipped in the repo so no system font is needed.
pub const FONT: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Result of drawing a figure.
pub type DrawResult = Result<(), Box<dyn Error>>;

/// Okabe & Ito (2008) colour-blind-safe palette, in the order series get them.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(240, 228, 66),  // yellow (last: weak on white)
];
/// Axis, text and error-bar colour.
pub const INK: RGBColor = RGBColor(30, 30, 30);
/// Light grid lines.
pub const GRID: RGBColor = RGBColor(225, 225, 225);

/// Figure title size (px).
pub const TITLE: u32 = 34;
/// Panel caption size (px).
pub const CAPTION: u32 = 26;
/// Axis description size (px).
pub const AXIS: u32 = 24;
/// Tick label and legend size (px).
pub const TICK: u32 = 20;
/// Series line width (px).
pub const LINE: u32 = 3;

/// Colour of series `i`.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A font of `size` px in ink colour.
pub fn text(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&INK)
}

/// Registers the shipped font with plotters (once per process).
pub fn register_font() -> Result<(), PlotError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    ok.then_some(()).ok_or(PlotError::Font)
}

/// A figure that can draw itself on any plotters backend.
pub trait Figure {
    /// Size in pixels (the SVG uses the same units).
    fn size(&self) -> (u32, u32);
    /// Draws the whole figure on `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// Renders `fig` to `dir/stem.png` and `dir/stem.svg` (each written atomically).
pub fn save(fig: &impl Figure, dir: &Path, stem: &str) -> Result<Vec<PathBuf>, PlotError> {
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    let draw_err = |path: &Path, e: Box<dyn Error>| PlotError::Draw {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    // The bitmap backend picks the encoder from the extension, so the temporary name ends in .png.
    let tmp = dir.join(format!(".{stem}.tmp-{}.png", std::process::id()));
    let drawn = (|| -> DrawResult {
        let root = BitMapBackend::new(&tmp, fig.size()).into_drawing_area();
        fig.draw(&root)?;
        root.present()?;
        Ok(())
    })();
    if let Err(e) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(draw_err(&png, e));
    }
    std::fs::rename(&tmp, &png).map_err(|source| PlotError::Io {
        path: png.clone(),
        source,
    })?;
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, fig.size()).into_drawing_area();
        fig.draw(&root).map_err(|e| draw_err(&svg, e))?;
        root.present().map_err(|e| draw_err(&svg, e.into()))?;
    }
    write_atomic(&svg, buf.as_bytes())?;
    Ok(vec![png, svg])
}

/// Fills the background and draws the figure title and, when not empty, a subtitle line under it
/// (what the whiskers mean, notes); returns the area below them.
pub fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> Result<DrawingArea<DB, Shift>, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let area = root.margin(10, 10, 16, 16);
    let area = area.titled(title, text(TITLE))?;
    if subtitle.is_empty() {
        return Ok(area);
    }
    Ok(area.titled(subtitle, text(AXIS))?)
}

/// Width in pixels of `s` in the figure font at `size` px (for layout decided before drawing).
pub fn text_width(s: &str, size: u32) -> u32 {
    (FONT, size)
        .into_font()
        .box_size(s)
        .map(|(w, _)| w)
        .unwrap_or(size * s.chars().count() as u32 * 3 / 5)
}

/// Breaks a label after `-` or `_` into lines no wider than `width` px at tick size, at most
/// `max_lines`; `None` when it cannot fit.
pub fn wrap_label(label: &str, width: u32, max_lines: usize) -> Option<Vec<String>> {
    let mut pieces: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in label.chars() {
        cur.push(c);
        if c == '-' || c == '_' {
            pieces.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        pieces.push(cur);
    }
    let mut lines: Vec<String> = Vec::new();
    for piece in pieces {
        match lines.last_mut() {
            Some(line) if text_width(&format!("{line}{piece}"), TICK) <= width => {
                line.push_str(&piece)
            }
            _ => lines.push(piece),
        }
    }
    let fits = lines.iter().all(|l| text_width(l, TICK) <= width);
    (fits && lines.len() <= max_lines).then_some(lines)
}

/// Draws a line through `points` as separate two-point segments. One long thick path would be
/// polygonised with mitred joins, and at the sharp reversals of a dense series those joins shoot
/// spikes far outside the plot (across the title); separate segments have no joins. Repeated points
/// are skipped.
pub fn draw_polyline<DB, X, Y>(
    area: &DrawingArea<DB, Cartesian2d<X, Y>>,
    points: &[(f64, f64)],
    color: RGBColor,
    width: u32,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let px: Vec<(i32, i32)> = points.iter().map(|p| area.map_coordinate(p)).collect();
    let mut last: Option<usize> = None;
    for i in 0..points.len() {
        if let Some(j) = last {
            if px[i] == px[j] {
                continue;
            }
            area.draw(&PathElement::new(
                vec![points[j], points[i]],
                color.stroke_width(width),
            ))?;
        }
        last = Some(i);
    }
    Ok(())
}

/// Writes `note` centred in the plotting area (e.g. "every value is 0"), so an empty-looking panel
/// says why.
pub fn draw_note<DB, X, Y>(area: &DrawingArea<DB, Cartesian2d<X, Y>>, note: &str) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged,
    Y: Ranged,
{
    let (w, h) = area.dim_in_pixel();
    let style = text(AXIS).pos(Pos::new(HPos::Center, VPos::Center));
    let base = area.strip_coord_spec();
    base.draw(&Text::new(
        note.to_string(),
        (w as i32 / 2, h as i32 / 2),
        style,
    ))?;
    Ok(())
}

/// Draws a centred legend (colour swatch + marker + name per series) at the top of `area`, wrapping
/// onto more lines when the names do not fit one, and returns the area below it.
pub fn legend_row<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    names: &[String],
) -> Result<DrawingArea<DB, Shift>, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    const LINE_HEIGHT: i32 = 40;
    if names.is_empty() {
        return Ok(area.clone());
    }
    const SWATCH: i32 = 36;
    let style = text(TICK).pos(Pos::new(HPos::Left, VPos::Center));
    let widths: Vec<i32> = names
        .iter()
        .map(|n| {
            area.estimate_text_size(n, &style)
                .map(|(w, _)| w as i32 + SWATCH + 40)
        })
        .collect::<Result<_, _>>()?;
    let width = area.dim_in_pixel().0 as i32;
    // Greedy line breaking: (first index, last index + 1, line width) per line.
    let mut lines: Vec<(usize, usize, i32)> = Vec::new();
    for (i, w) in widths.iter().enumerate() {
        match lines.last_mut() {
            Some(line) if line.2 + w <= width => *line = (line.0, i + 1, line.2 + w),
            _ => lines.push((i, i + 1, *w)),
        }
    }
    let height = LINE_HEIGHT * lines.len().max(1) as i32 + 4;
    let (row, rest) = area.split_vertically(height);
    for (k, &(first, end, total)) in lines.iter().enumerate() {
        let mut x = (width - total).max(0) / 2;
        let y = LINE_HEIGHT * k as i32 + LINE_HEIGHT / 2;
        for i in first..end {
            let c = color(i);
            let swatch = vec![(x, y), (x + SWATCH, y)];
            row.draw(&PathElement::new(swatch, c.stroke_width(LINE + 1)))?;
            draw_marker(&row, i, (x + SWATCH / 2, y), 8, c)?;
            row.draw(&Text::new(
                names[i].clone(),
                (x + SWATCH + 8, y),
                style.clone(),
            ))?;
            x += widths[i];
        }
    }
    Ok(rest)
}

/// Draws the marker of series `i` (circle, triangle, square, diamond, inverted triangle, plus;
/// repeating) centred at `at`,
/// `size` px from centre to edge.
pub fn draw_marker<DB, CT>(
    area: &DrawingArea<DB, CT>,
    i: usize,
    at: CT::From,
    size: i32,
    color: RGBColor,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    CT: CoordTranslate,
{
    let s = size;
    let style = ShapeStyle::from(color).filled();
    let edge = ShapeStyle::from(WHITE).stroke_width(1);
    let origin = EmptyElement::at(at);
    match i % 6 {
        0 => area.draw(&(origin + Circle::new((0, 0), s, style) + Circle::new((0, 0), s, edge)))?,
        1 => {
            let h = s * 6 / 5;
            area.draw(
                &(origin + Polygon::new(vec![(0, -h), (h, h * 3 / 4), (-h, h * 3 / 4)], style)),
            )?
        }
        2 => area.draw(&(origin + Rectangle::new([(-s + 1, -s + 1), (s - 1, s - 1)], style)))?,
        4 => {
            let h = s * 6 / 5;
            area.draw(
                &(origin + Polygon::new(vec![(0, h), (h, -h * 3 / 4), (-h, -h * 3 / 4)], style)),
            )?
        }
        5 => {
            let (h, w) = (s, s / 3 + 1);
            let bar = |v: Vec<(i32, i32)>| Polygon::new(v, style);
            let arm = bar(vec![(-h, -w), (h, -w), (h, w), (-h, w)]);
            let stem = bar(vec![(-w, -h), (w, -h), (w, h), (-w, h)]);
            area.draw(&(origin + arm + stem))?
        }
        _ => {
            let h = s * 5 / 4;
            area.draw(&(origin + Polygon::new(vec![(0, -h), (h, 0), (0, h), (-h, 0)], style)))?
        }
    }
    Ok(())
}

/// Draws a vertical 95% CI whisker from `lo` to `hi` at `x`, with caps `cap` px to each side.
pub fn draw_error_bar<DB, X, Y>(
    area: &DrawingArea<DB, Cartesian2d<X, Y>>,
    x: X::ValueType,
    lo: Y::ValueType,
    hi: Y::ValueType,
    cap: i32,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged,
    Y: Ranged,
    X::ValueType: Clone,
    Y::ValueType: Clone,
{
    let ink = INK.stroke_width(2);
    area.draw(&PathElement::new(
        vec![(x.clone(), lo.clone()), (x.clone(), hi.clone())],
        ink,
    ))?;
    for y in [lo, hi] {
        area.draw(
            &(EmptyElement::at((x.clone(), y)) + PathElement::new(vec![(-cap, 0), (cap, 0)], ink)),
        )?;
    }
    Ok(())
}

/// A short, readable rendering of a number for tick labels (no float noise like 0.30000000000000004).
pub fn fmt_num(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        return format!("{v:.0e}");
    }
    let decimals = (2 - a.log10().floor() as i64).clamp(0, 4) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Chooses a time unit for an axis spanning `max_s` seconds: (divisor, unit name).
pub fn time_unit(max_s: f64) -> (f64, &'static str) {
    if max_s >= 3.0 * 3600.0 {
        (3600.0, "h")
    } else if max_s >= 3.0 * 60.0 {
        (60.0, "min")
    } else {
        (1.0, "s")
    }
}

/// Turns a dotted key or label into a file-name-safe stem part.
pub fn file_stem(key: &str) -> String {
    key.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// An axis label for a swept key: the key, with its unit when the key is one simctl knows.
pub fn key_label(key: &str) -> String {
    let last = key.rsplit('.').next().unwrap_or(key);
    let unit = match last {
        // An arrival is a task, or a job of `tasks_per_job` tasks.
        "rate" | "mean_rate" | "rate_on" | "rate_off" => Some("arrivals/s"),
        "count" => Some("nodes"),
        "t_job" | "t_task" | "t_node" => Some("s"),
        "probe_ratio" => Some("probes per task"),
        "cpu" => Some("cores"),
        "d" => Some("nodes sampled"),
        "replicas" => Some("copies"),
        "max_attempts" => Some("attempts"),
        "amplitude" | "sample" | "task_failure_prob" | "permanent_fraction" => Some("fraction"),
        _ => None,
    };
    match unit {
        Some(u) => format!("{key} ({u})"),
        None => key.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_without_float_noise() {
        assert_eq!(fmt_num(0.30000000000000004), "0.3");
        assert_eq!(fmt_num(12.5), "12.5");
        assert_eq!(fmt_num(250.0), "250");
        assert_eq!(fmt_num(0.0125), "0.0125");
        assert_eq!(fmt_num(2.0e7), "2e7");
        assert_eq!(file_stem("workload.arrival.rate"), "workload_arrival_rate");
    }
}

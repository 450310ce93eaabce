//! The GPU fragmentation figure of a cluster with GPUs, drawn as the main figure of Weng et al.
//! (USENIX ATC 2023): per scheduler, the GPU capacity left unallocated (left panel) and the part of
//! it the workload cannot use (fragmented, right panel) against the GPU demand that has arrived, both
//! in percent of the cluster's GPU capacity. From `timeseries.csv`'s `arrived_gpu`, `util_gpu` and
//! `gpu_frag` columns at the first sweep point; each curve is the mean over the replications at each
//! sample time (every scheduler sees the same tasks, so the arrived demand at a time is shared).

use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, DrawResult, Figure};
use crate::compare::csvfile::CsvTable;
use crate::compare::{CompareError, Summary};

/// One scheduler's curves: (arrived %, unallocated %, fragmented %) per sample time.
struct Curve {
    label: String,
    points: Vec<(f64, f64, f64)>,
}

/// The figure.
pub struct GpuFigure {
    subtitle: String,
    curves: Vec<Curve>,
    x_end: f64,
}

impl GpuFigure {
    /// Loads the GPU columns of `dir/timeseries.csv`; `None` when the file or its GPU columns are
    /// absent.
    pub fn load(dir: &Path, summary: &Summary) -> Result<Option<GpuFigure>, CompareError> {
        let Some(point) = summary.sweep_points().into_iter().next() else {
            return Ok(None);
        };
        let id = point.id.to_string();
        let keep: [(&str, &[&str]); 1] = [("sweep_point", &[&id])];
        let Some(table) = CsvTable::read_optional(&dir.join("timeseries.csv"), &keep)? else {
            return Ok(None);
        };
        let Some(arrived) = table.find("arrived_gpu") else {
            return Ok(None);
        };
        let [sched, rep, time, util, frag] =
            ["scheduler", "replication", "time_s", "util_gpu", "gpu_frag"].map(|c| table.column(c));
        let (sched, rep, time, util, frag) = (sched?, rep?, time?, util?, frag?);
        // scheduler -> time (as bits, sorted) -> sums of (arrived, unallocated, fragmented), count.
        let mut sums: BTreeMap<usize, BTreeMap<u64, ([f64; 3], u32)>> = BTreeMap::new();
        let mut names = summary.schedulers();
        let mut reps = std::collections::BTreeSet::new();
        for row in &table.rows {
            let name = &row.fields[sched];
            let s = match names.iter().position(|n| n == name) {
                Some(s) => s,
                None => {
                    names.push(name.clone());
                    names.len() - 1
                }
            };
            reps.insert(table.integer(row, rep)?);
            let t = table.number(row, time)?;
            let v = [
                table.number(row, arrived)? * 100.0,
                (1.0 - table.number(row, util)?) * 100.0,
                table.number(row, frag)? * 100.0,
            ];
            if !t.is_finite() || v.iter().any(|x| !x.is_finite()) {
                continue;
            }
            let e = sums
                .entry(s)
                .or_default()
                .entry(t.to_bits())
                .or_insert(([0.0; 3], 0));
            for (acc, x) in e.0.iter_mut().zip(v) {
                *acc += x;
            }
            e.1 += 1;
        }
        if sums.is_empty() {
            return Ok(None);
        }
        let mut curves = Vec::new();
        let mut x_end: f64 = 0.0;
        for (s, by_time) in sums {
            let mut points: Vec<(f64, f64, f64, f64)> = by_time
                .into_iter()
                .map(|(t, (v, n))| {
                    let n = f64::from(n);
                    (f64::from_bits(t), v[0] / n, v[1] / n, v[2] / n)
                })
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            x_end = points.iter().map(|p| p.1).fold(x_end, f64::max);
            curves.push(Curve {
                label: names[s].clone(),
                points: points.into_iter().map(|p| (p.1, p.2, p.3)).collect(),
            });
        }
        let label = point.label(&summary.sweep_keys);
        let at = if label.is_empty() {
            String::new()
        } else {
            format!(", {label}")
        };
        let n = reps.len();
        let subtitle = if n > 1 {
            format!("mean over {n} replications at each sample time{at}")
        } else {
            format!("1 replication{at}")
        };
        Ok(Some(GpuFigure {
            subtitle,
            curves,
            x_end: if x_end > 0.0 { x_end * 1.02 } else { 1.0 },
        }))
    }

    fn panel<DB>(&self, area: &DrawingArea<DB, Shift>, which: usize, y_desc: &str) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let y_end = self
            .curves
            .iter()
            .flat_map(|c| &c.points)
            .map(|p| if which == 1 { p.1 } else { p.2 })
            .fold(0.0, f64::max);
        let y_end = if y_end > 0.0 {
            (y_end * 1.08).min(100.0)
        } else {
            1.0
        };
        let mut chart = ChartBuilder::on(area)
            .margin(14)
            .margin_right(30)
            .x_label_area_size(70)
            .y_label_area_size(100)
            .build_cartesian_2d(0.0..self.x_end, 0.0..y_end)?;
        chart
            .configure_mesh()
            .x_labels(8)
            .y_labels(6)
            .x_label_formatter(&|v| style::fmt_num(*v))
            .y_label_formatter(&|v| style::fmt_num(*v))
            .label_style(style::text(style::TICK))
            .axis_desc_style(style::text(style::AXIS))
            .light_line_style(TRANSPARENT)
            .bold_line_style(style::GRID)
            .axis_style(style::INK)
            .x_desc("Arrived GPU demand (% of GPU capacity)")
            .y_desc(y_desc)
            .draw()?;
        let plot = chart.plotting_area();
        for (i, c) in self.curves.iter().enumerate() {
            let pts: Vec<(f64, f64)> = c
                .points
                .iter()
                .map(|p| (p.0, if which == 1 { p.1 } else { p.2 }))
                .collect();
            style::draw_polyline(plot, &pts, style::color(i), style::LINE)?;
            // Markers at a few points, so curves are told apart without colour.
            let step = (pts.len() / 6).max(1);
            for (k, &p) in pts.iter().enumerate() {
                if k % step == step / 2 {
                    style::draw_marker(plot, i, p, 7, style::color(i))?;
                }
            }
        }
        Ok(())
    }
}

impl Figure for GpuFigure {
    fn size(&self) -> (u32, u32) {
        (1800, 800)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = style::frame(
            root,
            "GPU capacity left unallocated and fragmented as GPU demand arrives",
            &self.subtitle,
        )?;
        let names: Vec<String> = self.curves.iter().map(|c| c.label.clone()).collect();
        let area = style::legend_row(&area, &names)?;
        let (left, right) = area.split_horizontally(area.dim_in_pixel().0 / 2);
        self.panel(&left, 1, "Unallocated GPUs (% of capacity)")?;
        self.panel(&right, 2, "Fragmented GPUs (% of capacity)")?;
        Ok(())
    }
}

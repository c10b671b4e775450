//! Heatmaps: matrices of values (NUMA latency and bandwidth, core to
//! core), several panels side by side on one colour scale, so measured and
//! firmware (HMAT) figures read against each other.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::Layout;
use super::style::{axis_font, shorten, small_font, title_font, GUIDE};
use super::{Area, PlotError};
use crate::format;

/// One matrix.
#[derive(Debug, Clone)]
pub struct Panel {
    pub title: String,
    pub rows: Vec<String>,
    pub cols: Vec<String>,
    /// cells[row][col]; `None` where nothing was measured or published.
    pub cells: Vec<Vec<Option<f64>>>,
}

/// A heatmap chart.
#[derive(Debug, Clone)]
pub struct Heatmap {
    pub title: String,
    /// What the colour means, with unit: "latency (ns)".
    pub value_label: String,
    /// What rows and columns are: "CPU node", "memory node".
    pub row_label: String,
    pub col_label: String,
    pub panels: Vec<Panel>,
}

/// Width of the colour-scale column.
const SCALE_WIDTH: u32 = 150;
/// Values are printed in cells at least this wide.
const TEXT_CELL: u32 = 40;

/// Draws the chart as SVG text.
pub fn render(chart: &Heatmap) -> Result<String, PlotError> {
    let values: Vec<f64> = chart.panels.iter().flat_map(|p| p.cells.iter().flatten().flatten().copied()).collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let most_cols = chart.panels.iter().map(|p| p.cols.len()).max().unwrap_or(1).max(1) as u32;
    let most_rows = chart.panels.iter().map(|p| p.rows.len()).max().unwrap_or(1).max(1) as u32;
    let cell = (900 / (most_cols * chart.panels.len().max(1) as u32)).clamp(12, 64);
    let panel_width = 110 + most_cols * cell;
    let width = panel_width * chart.panels.len().max(1) as u32 + SCALE_WIDTH;
    // Tall enough for the grid and for the colour scale.
    let height = (150 + most_rows * cell).max(320);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(&chart.title, title_font())?;
        let (panels_area, scale_area) = root.split_horizontally(width - SCALE_WIDTH);
        let areas = panels_area.split_evenly((1, chart.panels.len().max(1)));
        for (panel, area) in chart.panels.iter().zip(&areas) {
            draw_panel(chart, panel, area, (lo, hi), cell >= TEXT_CELL)?;
        }
        draw_scale(&scale_area, &chart.value_label, (lo, hi))?;
        root.present()?;
    }
    Ok(svg)
}

fn draw_panel(chart: &Heatmap, panel: &Panel, area: &Area<'_>, span: (f64, f64), text: bool) -> Result<(), PlotError> {
    let (rows, cols) = (panel.rows.len(), panel.cols.len());
    let centres = |n: usize| Layout {
        range: 0.0..n.max(1) as f64,
        major: (0..n).map(|i| i as f64 + 0.5).collect(),
        minor: Vec::new(),
    };
    let mut ctx = ChartBuilder::on(area)
        .caption(&panel.title, axis_font())
        .margin(8)
        .x_label_area_size(44)
        .y_label_area_size(60)
        .build_cartesian_2d(centres(cols), centres(rows))?;
    let col_name = |p: &f64| panel.cols.get(p.floor() as usize).map(|s| shorten(s, 10)).unwrap_or_default();
    // Row 0 is drawn at the top.
    let row_name = |p: &f64| {
        let from_top = rows as f64 - p.floor() - 1.0;
        panel.rows.get(from_top as usize).map(|s| shorten(s, 10)).unwrap_or_default()
    };
    ctx.configure_mesh()
        .disable_mesh()
        .x_desc(chart.col_label.as_str())
        .y_desc(chart.row_label.as_str())
        .axis_desc_style(small_font())
        .label_style(small_font())
        .x_label_formatter(&col_name)
        .y_label_formatter(&row_name)
        .draw()?;
    for (r, row) in panel.cells.iter().enumerate() {
        let y = (rows - r - 1) as f64;
        for (c, value) in row.iter().enumerate() {
            let x = c as f64;
            let fill = value.map_or(RGBColor(0xF2, 0xF2, 0xF2), |v| ramp(fraction(v, span)));
            ctx.draw_series(std::iter::once(Rectangle::new([(x, y), (x + 1.0, y + 1.0)], fill.filled())))?;
            ctx.draw_series(std::iter::once(Rectangle::new([(x, y), (x + 1.0, y + 1.0)], WHITE.stroke_width(1))))?;
            if text {
                let (label, colour) = match value {
                    Some(v) if fraction(*v, span) > 0.55 => (format::value(*v), WHITE),
                    Some(v) => (format::value(*v), BLACK),
                    None => ("n/a".to_string(), GUIDE),
                };
                let style = small_font().color(&colour).pos(Pos::new(HPos::Center, VPos::Center));
                ctx.draw_series(std::iter::once(Text::new(label, (x + 0.5, y + 0.5), style)))?;
            }
        }
    }
    Ok(())
}

/// The colour scale: a ramp with its end values and the unit.
fn draw_scale(area: &Area<'_>, label: &str, (lo, hi): (f64, f64)) -> Result<(), PlotError> {
    const STEPS: i32 = 20;
    const TOP: i32 = 60;
    const STEP_PX: i32 = 10;
    area.draw(&Text::new(shorten(label, 22), (10, TOP - 30), small_font().color(&BLACK)))?;
    for i in 0..STEPS {
        // Highest value at the top.
        let t = 1.0 - f64::from(i) / f64::from(STEPS - 1);
        let y = TOP + i * STEP_PX;
        area.draw(&Rectangle::new([(20, y), (44, y + STEP_PX)], ramp(t).filled()))?;
    }
    if lo.is_finite() {
        area.draw(&Text::new(format::value(hi), (50, TOP), small_font().color(&BLACK)))?;
        area.draw(&Text::new(format::value(lo), (50, TOP + STEPS * STEP_PX - 12), small_font().color(&BLACK)))?;
    }
    area.draw(&Text::new("grey: none", (10, TOP + STEPS * STEP_PX + 12), small_font().color(&GUIDE)))?;
    Ok(())
}

/// Where `v` sits between `lo` and `hi`, 0..1.
fn fraction(v: f64, (lo, hi): (f64, f64)) -> f64 {
    if hi > lo {
        ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
    } else {
        0.5
    }
}

/// Light yellow through teal to dark blue (after ColorBrewer YlGnBu).
fn ramp(t: f64) -> RGBColor {
    const STOPS: [(f64, [f64; 3]); 3] =
        [(0.0, [255.0, 247.0, 188.0]), (0.5, [65.0, 182.0, 196.0]), (1.0, [37.0, 52.0, 148.0])];
    let t = t.clamp(0.0, 1.0);
    let k = if t <= 0.5 { 0 } else { 1 };
    let (t0, a) = STOPS[k];
    let (t1, b) = STOPS[k + 1];
    let f = (t - t0) / (t1 - t0);
    let mix = |i: usize| (a[i] + (b[i] - a[i]) * f).round() as u8;
    RGBColor(mix(0), mix(1), mix(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_runs_light_to_dark() {
        assert_eq!(ramp(0.0), RGBColor(255, 247, 188));
        assert_eq!(ramp(1.0), RGBColor(37, 52, 148));
        assert_eq!(fraction(5.0, (0.0, 10.0)), 0.5);
        assert_eq!(fraction(5.0, (5.0, 5.0)), 0.5);
    }
}

//! Grouped bar charts: one group per category, one bar per series.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{Axis, Layout};
use super::legend::{self, Swatch};
use super::style::{axis_font, series_colour, shorten, small_font, HEIGHT, LEGEND_WIDTH, WIDTH};
use super::{cartesian, PlotError};

/// One series of bars: a value (or nothing) per category.
#[derive(Debug, Clone)]
pub struct BarSeries {
    pub label: String,
    pub values: Vec<Option<f64>>,
}

/// A grouped bar chart.
#[derive(Debug, Clone)]
pub struct BarChart {
    pub title: String,
    /// Description of the categories.
    pub x_label: String,
    pub categories: Vec<String>,
    pub y: Axis,
    pub series: Vec<BarSeries>,
}

/// Characters of a category label before it is cut.
const CATEGORY_CHARS: usize = 40;
/// Estimated pixels per label character.
const CHAR_PX: u32 = 7;

/// Draws the chart as SVG text.
pub fn render(chart: &BarChart) -> Result<String, PlotError> {
    let values: Vec<f64> = chart.series.iter().flat_map(|s| s.values.iter().flatten().copied()).collect();
    let y_layout = chart.y.layout(&values, true);
    let n = chart.categories.len().max(1);
    let bars = n * chart.series.len().max(1);
    let width = WIDTH.max(LEGEND_WIDTH + 140 + bars as u32 * 14).min(4000);
    let plot_width = width - LEGEND_WIDTH - 90;
    let labels: Vec<String> = chart.categories.iter().map(|c| shorten(c, CATEGORY_CHARS)).collect();
    let longest = labels.iter().map(|l| l.chars().count() as u32).max().unwrap_or(1);
    // Rotate category labels when they would not fit side by side.
    let rotate = longest * CHAR_PX * n as u32 > plot_width;
    let label_area = if rotate { 45 + longest * CHAR_PX } else { 50 };
    let height = (HEIGHT + label_area - 50).max(legend::height(chart.series.len()));
    // No plotters ticks on x: the category labels are drawn below.
    let x_layout = Layout { range: -0.5..n as f64 - 0.5, major: Vec::new(), minor: Vec::new() };
    let bottom = y_layout.range.start;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let (plot_area, legend_area) = root.split_horizontally(width - LEGEND_WIDTH);
        let mut ctx = cartesian(&plot_area, &chart.title, label_area, x_layout, y_layout.clone())?;
        ctx.configure_mesh()
            .disable_x_mesh()
            .x_desc(chart.x_label.as_str())
            .y_desc(chart.y.label.as_str())
            .axis_desc_style(axis_font())
            .label_style(small_font())
            .y_label_formatter(&|p| chart.y.tick_label(*p))
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .draw()?;
        for (c, label) in labels.iter().enumerate() {
            let (x, y) = ctx.backend_coord(&(c as f64, bottom));
            let text = if rotate {
                Text::new(
                    label.clone(),
                    (x, y + 8),
                    small_font()
                        .transform(FontTransform::Rotate90)
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                )
            } else {
                Text::new(label.clone(), (x, y + 8), small_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Top)))
            };
            plot_area.draw(&text)?;
        }
        let width_each = 0.8 / chart.series.len().max(1) as f64;
        for (s, series) in chart.series.iter().enumerate() {
            let colour = series_colour(s);
            let rects = series.values.iter().enumerate().filter_map(|(c, v)| {
                let top = chart.y.to_plot((*v)?)?;
                let left = c as f64 - 0.4 + s as f64 * width_each;
                Some(Rectangle::new([(left, bottom), (left + width_each * 0.92, top)], colour.filled()))
            });
            ctx.draw_series(rects)?;
        }
        let names: Vec<String> = chart.series.iter().map(|s| s.label.clone()).collect();
        legend::draw(&legend_area, &names, Swatch::Box)?;
        root.present()?;
    }
    Ok(svg)
}

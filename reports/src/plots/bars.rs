//! Grouped bar charts: one group per category, one bar per series.

use plotters::prelude::*;

use super::axis::Axis;
use super::categories::Categories;
use super::legend::{self, Swatch};
use super::style::{series_colour, LEGEND_WIDTH, WIDTH};
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

/// Draws the chart as SVG text.
pub fn render(chart: &BarChart) -> Result<String, PlotError> {
    let values: Vec<f64> = chart.series.iter().flat_map(|s| s.values.iter().flatten().copied()).collect();
    let y_layout = chart.y.layout(&values, true);
    let n = chart.categories.len().max(1);
    let bars = n * chart.series.len().max(1);
    let width = WIDTH.max(LEGEND_WIDTH + 140 + bars as u32 * 14).min(4000);
    let categories = Categories::new(&chart.categories, width - LEGEND_WIDTH - 90);
    let height = categories.height().max(legend::height(chart.series.len()));
    let bottom = y_layout.range.start;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let (plot_area, legend_area) = root.split_horizontally(width - LEGEND_WIDTH);
        let mut ctx =
            cartesian(&plot_area, &chart.title, categories.label_area, categories.layout(), y_layout.clone())?;
        categories.frame(&plot_area, &mut ctx, &chart.x_label, &chart.y)?;
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

//! Drawing: one file per kind of chart (lines, grouped bars, boxes, heatmaps),
//! each turning a small description into SVG text with plotters.

pub mod axis;
pub mod bars;
pub mod boxes;
mod categories;
pub mod heatmap;
mod legend;
pub mod line;
mod style;

pub use axis::{Axis, Scale, TickFormat};

/// How a vertical guide of a line chart is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guide {
    /// Solid grey, labelled at the top (a best ratio).
    Solid,
    /// Dashed grey, labelled at the top (a declared size).
    Dashed,
    /// Solid in the colour of series `i` of the palette, labelled at the
    /// bottom (a size measured on that series).
    Series(usize),
}

impl Guide {
    /// Its colour.
    pub fn colour(self) -> plotters::style::RGBColor {
        match self {
            Guide::Solid | Guide::Dashed => style::GUIDE,
            Guide::Series(i) => style::series_colour(i),
        }
    }

    /// Its line width, px: measured sizes stand out from the grid.
    pub fn width(self) -> u32 {
        if matches!(self, Guide::Series(_)) {
            2
        } else {
            1
        }
    }

    /// True when drawn dashed.
    pub fn dashed(self) -> bool {
        self == Guide::Dashed
    }

    /// True when labelled at the bottom of the plot.
    pub fn at_bottom(self) -> bool {
        matches!(self, Guide::Series(_))
    }
}

/// A pixel-addressed area of an SVG chart.
type Area<'a> = plotters::drawing::DrawingArea<plotters::backend::SVGBackend<'a>, plotters::coord::Shift>;

/// The plot frame line and bar charts share: title, margins, axis label
/// areas, on this module's own tick layouts.
fn cartesian<'a, 'b>(
    area: &'a Area<'b>,
    title: &str,
    x_label_area: u32,
    x: axis::Layout,
    y: axis::Layout,
) -> Result<
    plotters::chart::ChartContext<
        'a,
        plotters::backend::SVGBackend<'b>,
        plotters::coord::cartesian::Cartesian2d<axis::Layout, axis::Layout>,
    >,
    PlotError,
> {
    Ok(plotters::chart::ChartBuilder::on(area)
        .caption(title, style::title_font())
        .margin(12)
        .x_label_area_size(x_label_area)
        .y_label_area_size(72)
        .build_cartesian_2d(x, y)?)
}

/// A chart that could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PlotError(String);

impl<E: std::error::Error + Send + Sync> From<plotters::drawing::DrawingAreaErrorKind<E>> for PlotError {
    fn from(e: plotters::drawing::DrawingAreaErrorKind<E>) -> Self {
        PlotError(e.to_string())
    }
}

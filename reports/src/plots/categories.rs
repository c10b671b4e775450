//! An x axis of named categories (bar groups, boxes): positions 0..n with
//! their names drawn under the plot, turned upright when they would not
//! fit side by side.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{Axis, Layout};
use super::style::{axis_font, shorten, small_font, HEIGHT};
use super::{Area, PlotError};

/// Characters of a category label before it is cut.
const CATEGORY_CHARS: usize = 40;
/// Estimated pixels per label character.
const CHAR_PX: u32 = 7;

/// The chart's context on category positions (x) and a value layout (y).
pub type Context<'a, 'b> =
    plotters::chart::ChartContext<'a, SVGBackend<'b>, plotters::coord::cartesian::Cartesian2d<Layout, Layout>>;

/// Category labels laid out for a plot of a given width.
#[derive(Debug, Clone)]
pub struct Categories {
    labels: Vec<String>,
    rotate: bool,
    /// Pixels below the plot that the labels take.
    pub label_area: u32,
}

impl Categories {
    /// Lays out `names` under a plot `plot_width` pixels wide.
    pub fn new(names: &[String], plot_width: u32) -> Self {
        let labels: Vec<String> = names.iter().map(|c| shorten(c, CATEGORY_CHARS)).collect();
        let longest = labels.iter().map(|l| l.chars().count() as u32).max().unwrap_or(1);
        let rotate = longest * CHAR_PX * labels.len().max(1) as u32 > plot_width;
        let label_area = if rotate { 45 + longest * CHAR_PX } else { 50 };
        Self { labels, rotate, label_area }
    }

    /// The x layout: one unit per category, no plotters ticks (the labels
    /// are drawn by [`Categories::draw`]).
    pub fn layout(&self) -> Layout {
        Layout { range: -0.5..self.labels.len().max(1) as f64 - 0.5, major: Vec::new(), minor: Vec::new() }
    }

    /// The chart height that leaves room for the labels.
    pub fn height(&self) -> u32 {
        HEIGHT + self.label_area - 50
    }

    /// Draws the frame of a category chart: grid lines and ticks of the
    /// value axis `y`, the axis descriptions, and the category labels.
    pub fn frame(
        &self,
        plot_area: &Area<'_>,
        ctx: &mut Context<'_, '_>,
        x_label: &str,
        y: &Axis,
    ) -> Result<(), PlotError> {
        ctx.configure_mesh()
            .disable_x_mesh()
            .x_desc(x_label)
            .y_desc(y.label.as_str())
            .axis_desc_style(axis_font())
            .label_style(small_font())
            .y_label_formatter(&|p| y.tick_label(*p))
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .draw()?;
        let bottom = ctx.y_range().start;
        self.draw(plot_area, ctx, bottom)
    }

    /// Draws each label under its position; `bottom` is the y the plot starts at.
    fn draw(&self, plot_area: &Area<'_>, ctx: &Context<'_, '_>, bottom: f64) -> Result<(), PlotError> {
        for (c, label) in self.labels.iter().enumerate() {
            let (x, y) = ctx.backend_coord(&(c as f64, bottom));
            let text = if self.rotate {
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
        Ok(())
    }
}

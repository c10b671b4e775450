//! The legend column drawn at the right of line and bar charts.

use plotters::prelude::*;

use super::style::{series_colour, shorten, small_font, LEGEND_CHARS, LEGEND_ROW};
use super::Guide;
use super::{Area, PlotError};

/// How an entry's swatch looks.
#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    /// A line with a point, for line charts.
    Line,
    /// A dashed line with a cross, for a line chart's dashed series.
    Dashed,
    /// A filled box, for bars.
    Box,
    /// A line alone, as the chart draws a kind of vertical guide.
    Guide(Guide),
}

/// Height the legend needs for `entries` labels.
pub fn height(entries: usize) -> u32 {
    60 + entries as u32 * LEGEND_ROW
}

/// Draws one entry per label, coloured like series `i`.
pub fn draw(area: &Area<'_>, labels: &[String], swatch: Swatch) -> Result<(), PlotError> {
    let entries: Vec<(String, usize, Swatch)> =
        labels.iter().enumerate().map(|(i, l)| (l.clone(), i, swatch)).collect();
    draw_styled(area, &entries)
}

/// Draws one entry per (label, palette index, swatch); a guide's swatch
/// takes the guide's own colour.
pub fn draw_styled(area: &Area<'_>, entries: &[(String, usize, Swatch)]) -> Result<(), PlotError> {
    let font = small_font().color(&BLACK);
    for (i, (label, colour, swatch)) in entries.iter().enumerate() {
        let y = 50 + (i as u32 * LEGEND_ROW) as i32;
        let colour = series_colour(*colour);
        match swatch {
            Swatch::Guide(guide) => {
                let style = guide.colour().stroke_width(2);
                if guide.dashed() {
                    area.draw(&PathElement::new(vec![(8, y), (16, y)], style))?;
                    area.draw(&PathElement::new(vec![(24, y), (32, y)], style))?;
                } else {
                    area.draw(&PathElement::new(vec![(8, y), (32, y)], style))?;
                }
            }
            Swatch::Line => {
                area.draw(&PathElement::new(vec![(8, y), (32, y)], colour.stroke_width(2)))?;
                area.draw(&Circle::new((20, y), 3, colour.filled()))?;
            }
            Swatch::Dashed => {
                area.draw(&PathElement::new(vec![(8, y), (15, y)], colour.stroke_width(2)))?;
                area.draw(&PathElement::new(vec![(22, y), (32, y)], colour.stroke_width(2)))?;
                area.draw(&Cross::new((20, y), 3, colour.stroke_width(1)))?;
            }
            Swatch::Box => area.draw(&Rectangle::new([(10, y - 6), (30, y + 6)], colour.filled()))?,
        }
        area.draw(&Text::new(shorten(label, LEGEND_CHARS), (38, y - 7), font.clone()))?;
    }
    Ok(())
}

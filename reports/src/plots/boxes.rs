//! Box plots of distributions: one box per category (quartiles, whiskers
//! from the 5th to the 95th percentile, the median as a line), optional
//! bounds drawn as ticks beside each box, and named marks for the values
//! that matter one by one (flagged nodes).

use plotters::prelude::*;

use super::axis::Axis;
use super::categories::Categories;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{series_colour, shorten, small_font, GUIDE};
use super::{cartesian, PlotError};

/// Colour of marks and bounds: the values singled out.
pub const MARK: RGBColor = RGBColor(0xC0, 0x39, 0x2B);

/// Characters of a mark's label before it is cut.
const MARK_CHARS: usize = 24;
/// Width of a chart of few boxes, pixels.
const NARROWEST: u32 = 560;

/// A value singled out in a box, with its name.
#[derive(Debug, Clone)]
pub struct Mark {
    pub value: f64,
    pub label: String,
}

/// One box: a distribution's percentiles in data units.
#[derive(Debug, Clone)]
pub struct BoxPlot {
    /// Name under the box.
    pub category: String,
    /// Lower whisker end (5th percentile).
    pub low: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    /// Upper whisker end (95th percentile).
    pub high: f64,
    /// Lower and upper bound, drawn as ticks beside the box.
    pub bounds: Option<(f64, f64)>,
    /// Drawn grey: a distribution shown but not judged.
    pub muted: bool,
    pub marks: Vec<Mark>,
}

/// A box chart.
#[derive(Debug, Clone)]
pub struct BoxChart {
    pub title: String,
    /// Description of the categories.
    pub x_label: String,
    pub y: Axis,
    pub boxes: Vec<BoxPlot>,
}

/// Draws the chart as SVG text.
pub fn render(chart: &BoxChart) -> Result<String, PlotError> {
    let values: Vec<f64> = chart
        .boxes
        .iter()
        .flat_map(|b| {
            let bounds = b.bounds.map(|(lo, hi)| [lo, hi]).into_iter().flatten();
            [b.low, b.high].into_iter().chain(bounds).chain(b.marks.iter().map(|m| m.value))
        })
        .collect();
    let y_layout = chart.y.layout(&values, false);
    let width = (160 + chart.boxes.len() as u32 * 48).clamp(NARROWEST, 4000);
    let names: Vec<String> = chart.boxes.iter().map(|b| b.category.clone()).collect();
    let categories = Categories::new(&names, width - 90);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, categories.height())).into_drawing_area();
        root.fill(&WHITE)?;
        let mut ctx = cartesian(&root, &chart.title, categories.label_area, categories.layout(), y_layout)?;
        categories.frame(&root, &mut ctx, &chart.x_label, &chart.y)?;
        let y = |v: f64| chart.y.to_plot(v);
        for (c, b) in chart.boxes.iter().enumerate() {
            let x = c as f64;
            let colour = if b.muted { GUIDE } else { series_colour(0) };
            let (Some(low), Some(q1), Some(median), Some(q3), Some(high)) =
                (y(b.low), y(b.q1), y(b.median), y(b.q3), y(b.high))
            else {
                continue;
            };
            let whisker = colour.stroke_width(1);
            ctx.draw_series([
                PathElement::new(vec![(x, low), (x, q1)], whisker),
                PathElement::new(vec![(x, q3), (x, high)], whisker),
                PathElement::new(vec![(x - 0.12, low), (x + 0.12, low)], whisker),
                PathElement::new(vec![(x - 0.12, high), (x + 0.12, high)], whisker),
            ])?;
            ctx.draw_series([Rectangle::new([(x - 0.25, q1), (x + 0.25, q3)], colour.mix(0.35).filled())])?;
            ctx.draw_series([
                Rectangle::new([(x - 0.25, q1), (x + 0.25, q3)], colour.stroke_width(1)),
                Rectangle::new([(x - 0.25, median), (x + 0.25, median)], BLACK.stroke_width(2)),
            ])?;
            if let Some((lo, hi)) = b.bounds {
                let ticks = [lo, hi]
                    .into_iter()
                    .filter_map(y)
                    .map(|v| PathElement::new(vec![(x - 0.42, v), (x - 0.34, v)], MARK.stroke_width(2)));
                ctx.draw_series(ticks)?;
            }
            // Names to the right of the dots, to the left on the last box.
            let last = c + 1 == chart.boxes.len() && c > 0;
            let (side, offset) = if last { (HPos::Right, -8) } else { (HPos::Left, 8) };
            let font = small_font().color(&MARK).pos(Pos::new(side, VPos::Center));
            let marks = b.marks.iter().filter_map(|m| {
                let at = (x, y(m.value)?);
                Some(
                    EmptyElement::at(at)
                        + Circle::new((0, 0), 5, MARK.filled())
                        + Text::new(shorten(&m.label, MARK_CHARS), (offset, 0), font.clone()),
                )
            });
            ctx.draw_series(marks)?;
        }
        root.present()?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(category: &str, marks: Vec<Mark>, muted: bool) -> BoxPlot {
        BoxPlot {
            category: category.into(),
            low: 0.96,
            q1: 0.99,
            median: 1.0,
            q3: 1.01,
            high: 1.04,
            bounds: Some((0.93, 1.07)),
            muted,
            marks,
        }
    }

    #[test]
    fn draws_every_box_and_names_every_mark() {
        let chart = BoxChart {
            title: "memory.bandwidth bandwidth".into(),
            x_label: "kernel".into(),
            y: Axis::linear("relative to the cohort median"),
            boxes: vec![
                boxed("copy", vec![Mark { value: 0.75, label: "node-07".into() }], false),
                boxed("triad", vec![], true),
            ],
        };
        let svg = render(&chart).unwrap();
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("node-07").count(), 1, "the mark is named");
        assert!(svg.contains("copy") && svg.contains("triad"));
        assert_eq!(svg.matches("<circle").count(), 1);
        assert!(svg.contains("#C0392B"), "marks and bounds in the mark colour");
    }
}

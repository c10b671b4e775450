//! Line charts: one line per series (solid, or dashed for a second
//! statistic of the same series, which then shares its colour), optional
//! vertical markers (cache sizes declared and measured, a best ratio), the
//! legend at the right.

use plotters::prelude::*;

use super::axis::Axis;
use super::legend::{self, Swatch};
use super::style::{axis_font, series_colour, small_font, HEIGHT, LEGEND_WIDTH, WIDTH};
use super::{cartesian, Guide, PlotError};

/// One line.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// (x, y) in data units, drawn in this order.
    pub points: Vec<(f64, f64)>,
    /// Palette index of its colour; None: the series' own index.
    pub colour: Option<usize>,
    /// Drawn dashed (a second statistic of a solid series).
    pub dashed: bool,
}

impl Series {
    /// A solid line in the series' own colour.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series { label: label.into(), points, colour: None, dashed: false }
    }
}

/// Dash and gap of a dashed line, px.
const DASH: (u32, u32) = (7, 5);

/// A labelled vertical guide at an x value.
#[derive(Debug, Clone)]
pub struct Marker {
    pub x: f64,
    pub label: String,
    /// How it is drawn: its line, and where its label sits.
    pub guide: Guide,
    /// What this kind of guide means, for the legend: markers with the same
    /// words share one entry, drawn like the first of them.
    pub legend: Option<String>,
}

impl Marker {
    /// A solid grey guide labelled at the top, with no legend entry.
    pub fn plain(x: f64, label: impl Into<String>) -> Marker {
        Marker { x, label: label.into(), guide: Guide::Solid, legend: None }
    }
}

/// A line chart.
#[derive(Debug, Clone)]
pub struct LineChart {
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    pub series: Vec<Series>,
    pub markers: Vec<Marker>,
}

/// One legend entry per distinct legend text of the markers, in order.
fn guide_entries(markers: &[Marker]) -> Vec<(String, usize, Swatch)> {
    let mut entries: Vec<(String, usize, Swatch)> = Vec::new();
    for m in markers {
        if let Some(text) = m.legend.as_ref().filter(|t| !entries.iter().any(|e| &e.0 == *t)) {
            entries.push((text.clone(), 0, Swatch::Guide(m.guide)));
        }
    }
    entries
}

/// Draws the chart as SVG text.
pub fn render(chart: &LineChart) -> Result<String, PlotError> {
    let xs: Vec<f64> = chart.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).collect();
    let ys: Vec<f64> = chart.series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect();
    let x_layout = chart.x.layout(&xs, false);
    let y_layout = chart.y.layout(&ys, false);
    let height = HEIGHT.max(legend::height(chart.series.len() + guide_entries(&chart.markers).len()));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let (plot_area, legend_area) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let mut ctx = cartesian(&plot_area, &chart.title, 50, x_layout.clone(), y_layout.clone())?;
        ctx.configure_mesh()
            .x_desc(chart.x.label.as_str())
            .y_desc(chart.y.label.as_str())
            .axis_desc_style(axis_font())
            .label_style(small_font())
            .x_label_formatter(&|p| chart.x.tick_label(*p))
            .y_label_formatter(&|p| chart.y.tick_label(*p))
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .draw()?;
        let x_range = &x_layout.range;
        let (top, bottom) = (y_layout.range.end, y_layout.range.start);
        // Labels at the top (grey guides) and at the bottom (coloured
        // ones), staggered so neighbouring markers do not overprint.
        let (mut at_top, mut at_bottom) = (0usize, 0usize);
        for marker in &chart.markers {
            // Inclusive of the end: a best ratio of all pages on one node sits there.
            let Some(x) = chart.x.to_plot(marker.x).filter(|x| (x_range.start..=x_range.end).contains(x)) else {
                continue;
            };
            let style = marker.guide.colour().stroke_width(marker.guide.width());
            let line = [(x, bottom), (x, top)];
            if marker.guide.dashed() {
                ctx.draw_series(DashedLineSeries::new(line, DASH.0, DASH.1, style))?;
            } else {
                ctx.draw_series(std::iter::once(PathElement::new(line.to_vec(), style)))?;
            }
            let step = (top - bottom) * 0.05;
            let y = if marker.guide.at_bottom() {
                at_bottom += 1;
                bottom + step * (1 + (at_bottom - 1) % 3) as f64
            } else {
                at_top += 1;
                top - step * ((at_top - 1) % 3) as f64
            };
            let font = small_font().color(&marker.guide.colour());
            ctx.draw_series(std::iter::once(Text::new(format!(" {}", marker.label), (x, y), font)))?;
        }
        for (i, series) in chart.series.iter().enumerate() {
            let colour = series_colour(series.colour.unwrap_or(i));
            let points: Vec<(f64, f64)> =
                series.points.iter().filter_map(|&(x, y)| Some((chart.x.to_plot(x)?, chart.y.to_plot(y)?))).collect();
            if series.dashed {
                let line = DashedLineSeries::new(points.iter().copied(), DASH.0, DASH.1, colour.stroke_width(2));
                ctx.draw_series(line)?;
                ctx.draw_series(points.iter().map(|p| Cross::new(*p, 3, colour.stroke_width(1))))?;
            } else {
                ctx.draw_series(LineSeries::new(points.iter().copied(), colour.stroke_width(2)))?;
                ctx.draw_series(points.iter().map(|p| Circle::new(*p, 3, colour.filled())))?;
            }
        }
        let mut entries: Vec<(String, usize, Swatch)> = chart
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (s.label.clone(), s.colour.unwrap_or(i), if s.dashed { Swatch::Dashed } else { Swatch::Line })
            })
            .collect();
        entries.extend(guide_entries(&chart.markers));
        legend::draw_styled(&legend_area, &entries)?;
        root.present()?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Polylines of the SVG drawn in `colour` at `width` px.
    fn strokes(svg: &str, colour: &str, width: u32) -> usize {
        svg.matches(&format!("stroke=\"{colour}\" stroke-width=\"{width}\"")).count()
    }

    #[test]
    fn declared_guides_are_dashed_grey_and_measured_ones_solid_in_their_series_colour() {
        let guide = |x: f64, label: &str, guide: Guide, legend: &str| Marker {
            x,
            label: label.into(),
            guide,
            legend: Some(legend.into()),
        };
        let chart = LineChart {
            title: "t".into(),
            x: Axis::bytes("working set (bytes)"),
            y: Axis::auto("latency (ns)", &[1.0, 100.0]),
            series: vec![Series::new("run", vec![(4096.0, 1.0), (1e6, 5.0), (1e9, 100.0)])],
            markers: vec![
                guide(49152.0, "L1d 48 KiB", Guide::Dashed, "declared"),
                guide(2097152.0, "L2 2 MiB", Guide::Dashed, "declared"),
                guide(1.2e7, "L3→DRAM 11 MiB", Guide::Series(1), "measured"),
            ],
        };
        let svg = render(&chart).unwrap();
        for text in ["L1d 48 KiB", "L2 2 MiB", "L3→DRAM 11 MiB", "declared", "measured"] {
            assert!(svg.contains(text), "{text}");
        }
        // Solid: one line across the plot and one legend swatch, 2 px in series 1's colour.
        assert_eq!(strokes(&svg, "#F28E2B", 2), 2, "{svg}");
        // Dashed: each declared guide in many grey pieces; its legend swatch in two.
        assert!(strokes(&svg, "#888888", 1) > 20, "{svg}");
        assert_eq!(strokes(&svg, "#888888", 2), 2);
        // One legend entry per kind: the series, declared, measured.
        assert_eq!(svg.matches(">\ndeclared\n</text>").count() + svg.matches(">declared</text>").count(), 1);
    }
}

//! Which charts a report has: each module looks for its benchmark ids in
//! the runs and describes a chart only when there is data for it.

mod bandwidth;
mod c2c;
mod energy;
mod gpu;
mod interference;
mod interleave;
mod latency;
mod llm;
mod loaded;
mod migrate;
mod mlp;
mod numa;
mod relative;
mod select;
mod threads;

use select::{Curve, Found, Groups};

use crate::plots::bars::{self, BarChart, BarSeries};
use crate::plots::heatmap::{self, Heatmap};
use crate::plots::line::{self, LineChart, Marker};
use crate::plots::Axis;
use crate::relative::Relative;
use crate::runs::RunSet;
use crate::ReportError;

/// A chart description, before drawing.
#[derive(Debug, Clone)]
pub enum Plot {
    Line(LineChart),
    Bars(BarChart),
    Heatmap(Heatmap),
}

/// A chart to draw: where it goes, what it says, what it shows.
#[derive(Debug, Clone)]
pub struct Planned {
    /// File name under plots/ (fixed text and numbers only, never labels).
    pub file: String,
    /// A sentence under the chart: what is plotted and how it was chosen.
    pub caption: String,
    pub plot: Plot,
}

/// A drawn chart.
#[derive(Debug, Clone)]
pub struct Chart {
    pub file: String,
    pub title: String,
    pub caption: String,
    /// The SVG document.
    pub svg: String,
}

impl Plot {
    /// The chart title.
    pub fn title(&self) -> &str {
        match self {
            Plot::Line(c) => &c.title,
            Plot::Bars(c) => &c.title,
            Plot::Heatmap(c) => &c.title,
        }
    }
}

/// The words of a chart: its file under plots/, title and caption.
pub struct Words {
    pub file: String,
    pub title: String,
    pub caption: String,
}

impl Words {
    /// Words from any text.
    pub fn new(file: impl Into<String>, title: impl Into<String>, caption: impl Into<String>) -> Self {
        Self { file: file.into(), title: title.into(), caption: caption.into() }
    }
}

/// Grouped bars of ready `groups`; nothing when there are no categories.
fn bars(words: Words, x_label: &str, y_label: String, groups: Groups) -> Option<Planned> {
    if groups.categories.is_empty() {
        return None;
    }
    let values: Vec<f64> = groups.values.iter().flatten().flatten().copied().collect();
    let series =
        groups.series.into_iter().zip(groups.values).map(|(label, values)| BarSeries { label, values }).collect();
    Some(Planned {
        file: words.file,
        caption: words.caption,
        plot: Plot::Bars(BarChart {
            title: words.title,
            x_label: x_label.into(),
            categories: groups.categories,
            y: Axis::auto(y_label, &values),
            series,
        }),
    })
}

/// Lines of `metric` along `curves`, the y axis named `y_name` with the
/// metric's unit; nothing when there are no curves.
fn lines(
    words: Words,
    x: Axis,
    y_name: &str,
    found: &[Found<'_>],
    metric: &str,
    curves: &[Curve<'_>],
    markers: Vec<Marker>,
) -> Option<Planned> {
    if curves.is_empty() {
        return None;
    }
    let series = select::series_of(curves, metric);
    let y = Axis::auto(format!("{y_name} ({})", select::units(found, metric)), &select::ys(&series));
    Some(Planned {
        file: words.file,
        caption: words.caption,
        plot: Plot::Line(LineChart { title: words.title, x, y, series, markers }),
    })
}

/// The benchmark ids some chart draws.
pub fn charted_ids() -> Vec<&'static str> {
    [
        bandwidth::IDS,
        c2c::IDS,
        gpu::IDS,
        interference::IDS,
        interleave::IDS,
        latency::IDS,
        llm::IDS,
        loaded::IDS,
        migrate::IDS,
        mlp::IDS,
        numa::IDS,
    ]
    .concat()
}

/// Benchmark ids no chart draws, and why: their records are in the
/// report's tables and data files only.
pub const CHARTLESS: &[(&str, &str)] = &[];

/// Every chart the runs have data for, in report order.
pub fn plan(runs: &RunSet, relative: &Relative) -> Vec<Planned> {
    let mut planned = Vec::new();
    planned.extend(relative::plan(runs, relative));
    planned.extend(latency::plan(runs));
    planned.extend(bandwidth::plan(runs));
    planned.extend(threads::plan(runs));
    planned.extend(loaded::plan(runs));
    planned.extend(mlp::plan(runs));
    planned.extend(interference::plan(runs));
    planned.extend(interleave::plan(runs));
    planned.extend(migrate::plan(runs));
    planned.extend(numa::plan(runs));
    planned.extend(c2c::plan(runs));
    planned.extend(gpu::plan(runs));
    planned.extend(llm::plan(runs));
    planned.extend(energy::plan(runs));
    planned
}

/// Draws a planned chart.
pub fn draw(planned: &Planned) -> Result<Chart, ReportError> {
    let svg = match &planned.plot {
        Plot::Line(c) => line::render(c),
        Plot::Bars(c) => bars::render(c),
        Plot::Heatmap(c) => heatmap::render(c),
    }
    .map_err(|e| ReportError::Plot { chart: planned.file.clone(), detail: e.to_string() })?;
    Ok(Chart {
        file: planned.file.clone(),
        title: planned.plot.title().to_string(),
        caption: planned.caption.clone(),
        svg,
    })
}

//! Axes: scale (linear or log), tick placement and tick labels. Values are
//! mapped to plot coordinates here (log10 for log axes), so every chart
//! uses one coordinate type with ticks chosen by this module.

use std::ops::Range;

use hwbench_schema::units::format_bytes;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// Linear or logarithmic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Linear,
    Log,
}

/// How tick labels read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TickFormat {
    /// Plain numbers.
    Number,
    /// Byte sizes with binary suffixes; log ticks at powers of two.
    Bytes,
}

/// One axis of a chart.
#[derive(Debug, Clone)]
pub struct Axis {
    /// Description with unit, e.g. "latency (ns)".
    pub label: String,
    pub scale: Scale,
    pub format: TickFormat,
}

/// Where an axis runs and where its ticks are, in plot coordinates; also
/// the plotters coordinate the chart is built on.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub range: Range<f64>,
    /// Labelled ticks.
    pub major: Vec<f64>,
    /// Unlabelled grid lines.
    pub minor: Vec<f64>,
}

impl Ranged for Layout {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        let t = if span == 0.0 { 0.5 } else { (value - self.range.start) / span };
        limit.0 + (f64::from(limit.1 - limit.0) * t).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.major.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// Data spanning at least this ratio (max/min) gets a log axis.
pub const DECADE: f64 = 10.0;

impl Axis {
    /// A linear number axis.
    pub fn linear(label: impl Into<String>) -> Self {
        Self { label: label.into(), scale: Scale::Linear, format: TickFormat::Number }
    }

    /// A log axis of byte sizes.
    pub fn bytes(label: impl Into<String>) -> Self {
        Self { label: label.into(), scale: Scale::Log, format: TickFormat::Bytes }
    }

    /// A number axis, logarithmic when the positive data span a decade or more.
    pub fn auto(label: impl Into<String>, values: &[f64]) -> Self {
        let finite = values.iter().copied().filter(|v| v.is_finite());
        let (min, max) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let scale = if min > 0.0 && max / min >= DECADE { Scale::Log } else { Scale::Linear };
        Self { label: label.into(), scale, format: TickFormat::Number }
    }

    /// A value in plot coordinates; `None` when a log axis cannot show it.
    pub fn to_plot(&self, v: f64) -> Option<f64> {
        match self.scale {
            _ if !v.is_finite() => None,
            Scale::Linear => Some(v),
            Scale::Log if v > 0.0 => Some(v.log10()),
            Scale::Log => None,
        }
    }

    /// The range and ticks that show `values`. For `bars`, a linear range
    /// starts at 0 with headroom above the tallest, and a log range leaves
    /// room below the shortest.
    pub fn layout(&self, values: &[f64], bars: bool) -> Layout {
        let plotted: Vec<f64> = values.iter().filter_map(|v| self.to_plot(*v)).collect();
        let lo = plotted.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = plotted.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        match (self.scale, self.format) {
            // Bars start at zero and get headroom above the tallest.
            (Scale::Linear, _) if bars => linear_layout(lo.min(0.0), hi.max(0.0) + (hi - lo.min(0.0)).abs() * 0.03),
            (Scale::Linear, _) => linear_layout(lo, hi),
            // Log bars start a decade below a minimum close to a decade,
            // so that the shortest bar still shows.
            (Scale::Log, TickFormat::Number) if bars && lo - lo.floor() < 0.5 => decade_layout(lo - 1.0, hi),
            (Scale::Log, TickFormat::Number) => decade_layout(lo, hi),
            (Scale::Log, TickFormat::Bytes) => power_of_two_layout(lo, hi),
        }
    }

    /// The label of a tick at plot coordinate `p`.
    pub fn tick_label(&self, p: f64) -> String {
        let v = match self.scale {
            Scale::Linear => p,
            Scale::Log => 10f64.powf(p),
        };
        match self.format {
            TickFormat::Bytes => format_bytes(v.round() as u64),
            TickFormat::Number => number_label(v),
        }
    }
}

/// Ticks at 1, 2 or 5 times a power of ten, about six of them.
fn linear_layout(lo: f64, hi: f64) -> Layout {
    let (lo, hi) = if hi - lo < f64::EPSILON * hi.abs().max(1.0) {
        let pad = (hi.abs() * 0.1).max(1.0);
        (lo - pad, hi + pad)
    } else {
        (lo, hi)
    };
    let rough = (hi - lo) / 6.0;
    let exponent = rough.log10().floor() as i32;
    let power = 10f64.powi(exponent);
    let mantissa = [1.0, 2.0, 5.0, 10.0].into_iter().find(|m| m * power >= rough).unwrap_or(10.0);
    // i * mantissa * 10^exponent, divided rather than multiplied by a
    // fraction so that ticks come out as the decimal numbers they are.
    let tick = |i: i64| {
        let units = i as f64 * mantissa;
        if exponent < 0 {
            units / 10f64.powi(-exponent)
        } else {
            units * power
        }
    };
    let step = mantissa * power;
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    let major: Vec<f64> = (first..=last).map(tick).collect();
    Layout { range: major[0]..major[major.len() - 1], major, minor: Vec::new() }
}

/// floor and ceil that treat values within rounding noise of an integer as
/// that integer (log10(1000) is 2.9999999999999996).
fn snap_floor(v: f64) -> i32 {
    if (v - v.round()).abs() < 1e-9 {
        v.round() as i32
    } else {
        v.floor() as i32
    }
}

fn snap_ceil(v: f64) -> i32 {
    if (v - v.round()).abs() < 1e-9 {
        v.round() as i32
    } else {
        v.ceil() as i32
    }
}

/// Ticks at powers of ten (every few decades when many), grid lines at
/// 2..9 times them when the span is short.
fn decade_layout(lo: f64, hi: f64) -> Layout {
    let first = snap_floor(lo);
    let last = snap_ceil(hi).max(first + 1);
    let step = ((last - first + 7) / 8).max(1);
    let major: Vec<f64> = (first..=last).filter(|d| (d - first) % step == 0).map(f64::from).collect();
    let minor = if last - first <= 4 {
        (first..last).flat_map(|d| (2..10).map(move |k| f64::from(d) + f64::from(k).log10())).collect()
    } else {
        (first..=last).map(f64::from).filter(|d| !major.contains(d)).collect()
    };
    Layout { range: f64::from(first)..f64::from(last), major, minor }
}

/// Ticks at powers of two (every few when many), for byte sizes.
fn power_of_two_layout(lo: f64, hi: f64) -> Layout {
    let log2_10 = std::f64::consts::LOG2_10;
    let first = snap_floor(lo * log2_10);
    let last = snap_ceil(hi * log2_10).max(first + 1);
    let step = ((last - first + 11) / 12).max(1);
    let start = first - first.rem_euclid(step);
    let end = last + (step - last.rem_euclid(step)) % step;
    let to_plot = |e: i32| f64::from(e) / log2_10;
    let major: Vec<f64> = (start..=end).step_by(step as usize).map(to_plot).collect();
    let minor: Vec<f64> = (start..=end).filter(|e| (e - start) % step != 0).map(to_plot).collect();
    Layout { range: to_plot(start)..to_plot(end), major, minor }
}

/// A tick number without trailing zeros or float noise ("0.001", "250", "1e6").
fn number_label(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10();
    if !(-4.0..7.0).contains(&magnitude) {
        return format!("{v:.0e}");
    }
    let text = format!("{v:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_goes_log_when_data_span_a_decade() {
        assert_eq!(Axis::auto("x", &[1.2, 4.0, 95.0]).scale, Scale::Log);
        assert_eq!(Axis::auto("x", &[10.0, 40.0, 95.0]).scale, Scale::Linear);
        assert_eq!(Axis::auto("x", &[0.0, 40.0, 950.0]).scale, Scale::Linear);
    }

    #[test]
    fn linear_ticks_are_round_and_cover_the_data() {
        let l = Axis::linear("y").layout(&[3.0, 47.0], true);
        assert_eq!(l.major, vec![0.0, 10.0, 20.0, 30.0, 40.0, 50.0]);
        assert_eq!(l.range, 0.0..50.0);
        let l = Axis::linear("y").layout(&[0.8, 1.0], true);
        assert_eq!(l.range, 0.0..1.2, "headroom above the tallest bar");
        let l = Axis::linear("y").layout(&[3.0, 47.0], false);
        assert_eq!(l.range, 0.0..50.0);
        let single = Axis::linear("y").layout(&[5.0], false);
        assert!(single.range.start < 5.0 && single.range.end > 5.0);
    }

    #[test]
    fn decade_ticks_label_as_plain_numbers() {
        let axis = Axis::auto("latency (ns)", &[1.2, 95.0]);
        let l = axis.layout(&[1.2, 95.0], false);
        assert_eq!(l.major, vec![0.0, 1.0, 2.0]);
        assert_eq!(l.minor.len(), 16);
        let labels: Vec<String> = l.major.iter().map(|p| axis.tick_label(*p)).collect();
        assert_eq!(labels, ["1", "10", "100"]);
    }

    #[test]
    fn byte_ticks_are_powers_of_two() {
        let axis = Axis::bytes("working set");
        let l = axis.layout(&[4096.0, 1073741824.0], false);
        let labels: Vec<String> = l.major.iter().map(|p| axis.tick_label(*p)).collect();
        assert_eq!(
            labels,
            ["4 KiB", "16 KiB", "64 KiB", "256 KiB", "1 MiB", "4 MiB", "16 MiB", "64 MiB", "256 MiB", "1 GiB"]
        );
        assert_eq!(l.minor.len(), 9);
    }

    #[test]
    fn number_labels_have_no_float_noise() {
        assert_eq!(number_label(0.1 + 0.2), "0.3");
        assert_eq!(number_label(250.0), "250");
        assert_eq!(number_label(1e8), "1e8");
    }
}

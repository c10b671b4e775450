//! Comparison of two sides (one run or several runs each) per (id, params,
//! metric), with repetitions or whole runs as the unit of variance: a
//! hierarchical bootstrap interval, a test on unit figures, the baseline's
//! run-to-run spread, and a verdict. Records the baseline measured and the
//! new side did not are gate failures. Method: results/SCHEMA.md, "How
//! comparisons are made".

mod interference;
mod join;
pub mod render;
mod units;
mod verdict;

use hwbench_schema::{Better, ResultDocument};
use serde::Serialize;

pub use interference::InterferenceDiff;
pub use units::Level;

use crate::key::PointKey;
use crate::stats::{Bootstrap, Interval};

/// How to compare.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Relative change a significant difference must exceed to count, and
    /// the widest run-to-run spread a gated metric may have, as a fraction
    /// (0.10 for 10 %, the default).
    pub threshold: f64,
    /// Significance level of the test.
    pub alpha: f64,
    /// Bootstrap settings for the confidence interval.
    pub bootstrap: Bootstrap,
}

impl Default for Options {
    fn default() -> Self {
        Self { threshold: 0.10, alpha: 0.05, bootstrap: Bootstrap::default() }
    }
}

impl Options {
    /// The default options with a threshold given in percent (`--threshold
    /// PCT`), or why it is not one.
    pub fn with_threshold_percent(percent: f64) -> Result<Self, String> {
        if !(percent.is_finite() && percent >= 0.0) {
            return Err(format!("--threshold {percent}: must be a percentage of 0 or more"));
        }
        Ok(Self { threshold: percent / 100.0, ..Self::default() })
    }
}

/// What a comparison concluded about one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Gated: significantly better, beyond the threshold.
    Improved,
    /// Gated: significantly worse, beyond the threshold.
    Regressed,
    /// Gated: not significant, or within the threshold.
    Unchanged,
    /// Not gated: the baseline's run-to-run spread is above the threshold.
    Unstable,
    /// Not gated: the baseline has one unit, so no run-to-run estimate.
    NoEstimate,
    /// Not gated: too few units for the test ever to reach significance.
    TooFewUnits,
}

impl Verdict {
    /// The verdict as a word.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Improved => "improved",
            Verdict::Regressed => "regressed",
            Verdict::Unchanged => "unchanged",
            Verdict::Unstable => "unstable",
            Verdict::NoEstimate => "no estimate",
            Verdict::TooFewUnits => "too few units",
        }
    }

    /// True for the verdicts of gated metrics.
    pub fn gated(self) -> bool {
        matches!(self, Verdict::Improved | Verdict::Regressed | Verdict::Unchanged)
    }
}

/// The test behind a row's p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    /// Mann-Whitney U on the unit figures of both sides.
    MannWhitney,
    /// One new unit against the baseline's units (Student t prediction).
    Prediction,
}

/// One compared metric.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Benchmark id and params.
    #[serde(flatten)]
    pub key: PointKey,
    /// Metric name.
    pub metric: String,
    /// Metric unit.
    pub unit: String,
    /// Which direction is better.
    pub better: Better,
    /// Median of the base units' figures.
    pub base_median: f64,
    /// Median of the new units' figures.
    pub new_median: f64,
    /// new_median / base_median - 1.
    pub change: f64,
    /// Bootstrap confidence interval of `change` (both sides two units or more).
    pub ci: Option<Interval>,
    /// Two-sided p-value of `test`.
    pub p_value: Option<f64>,
    /// The test behind `p_value`.
    pub test: Option<Test>,
    /// Units on each side, those set aside not counted.
    pub base_units: usize,
    pub new_units: usize,
    /// The figure of the base unit set aside as an outlier (Grubbs' test).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_set_aside: Option<f64>,
    /// The figure of the new unit set aside as an outlier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_set_aside: Option<f64>,
    /// The baseline's run-to-run spread (two standard deviations of the
    /// natural logarithms of its unit figures), when it has two units or more.
    pub spread: Option<f64>,
    /// The conclusion.
    pub verdict: Verdict,
    /// Why a metric is not gated, or how it was judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A record or metric listed apart from the rows, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Unmatched {
    /// Benchmark id and params.
    #[serde(flatten)]
    pub key: PointKey,
    /// The metric, when the record itself matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// Why it is listed here.
    pub reason: String,
}

/// The comparison of two sides.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Run ids of the base side.
    pub base: Vec<String>,
    /// Run ids of the new side.
    pub new: Vec<String>,
    /// The unit of variance: repetitions (one run a side) or runs.
    pub level: Level,
    /// Threshold used, as a fraction.
    pub threshold: f64,
    /// Significance level used.
    pub alpha: f64,
    /// Coverage of the intervals.
    pub confidence: f64,
    /// Compared metrics, in base document order.
    pub rows: Vec<Row>,
    /// Records ok on the base side but failed, skipped or missing on the new
    /// side: each fails the gate.
    pub gate_failures: Vec<Unmatched>,
    /// Records or metrics only the base has (and that do not fail the gate).
    pub only_in_base: Vec<Unmatched>,
    /// Records or metrics only the new side has.
    pub only_in_new: Vec<Unmatched>,
    /// Present on both sides but not comparable (not ok in the base, unit
    /// changed, ...).
    pub not_compared: Vec<Unmatched>,
    /// Records measured under interference on one side only.
    pub interference: Vec<InterferenceDiff>,
}

impl Comparison {
    /// How many rows have this verdict.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.rows.iter().filter(|r| r.verdict == verdict).count()
    }

    /// How many rows were gated (improved, regressed or unchanged).
    pub fn gated(&self) -> usize {
        self.rows.iter().filter(|r| r.verdict.gated()).count()
    }

    /// True when the gate fails: a metric regressed, or a record the base
    /// measured failed, was skipped or is missing on the new side.
    pub fn fails_gate(&self) -> bool {
        self.count(Verdict::Regressed) > 0 || !self.gate_failures.is_empty()
    }
}

/// Compares the `new` side against the `base` side; each side is one run
/// or several runs of one machine (then whole runs are the units).
pub fn compare(base: &[ResultDocument], new: &[ResultDocument], options: &Options) -> Comparison {
    let level = Level::of(base.len(), new.len());
    let mut comparison = Comparison {
        base: base.iter().map(|d| d.run.id.clone()).collect(),
        new: new.iter().map(|d| d.run.id.clone()).collect(),
        level,
        threshold: options.threshold,
        alpha: options.alpha,
        confidence: options.bootstrap.confidence,
        rows: Vec::new(),
        gate_failures: Vec::new(),
        only_in_base: Vec::new(),
        only_in_new: Vec::new(),
        not_compared: Vec::new(),
        interference: Vec::new(),
    };
    join::join(base, new, options, &mut comparison);
    comparison
}

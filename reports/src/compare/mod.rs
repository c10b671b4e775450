//! Comparison of two runs per (id, params, metric): medians, relative
//! change, bootstrap interval, Mann-Whitney p-value and a verdict.

mod join;
pub mod render;

use hwbench_schema::{Better, Metric, ResultDocument};
use serde::Serialize;

use crate::key::PointKey;
use crate::stats::{self, Bootstrap, Interval};

/// Below this many samples on a side the Mann-Whitney test has little
/// power (Google Benchmark's compare.py warns the same way).
pub const FEW_SAMPLES: usize = 9;

/// How to compare.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Relative change a significant difference must exceed to count, as a
    /// fraction (0.05 for 5 %).
    pub threshold: f64,
    /// Significance level of the Mann-Whitney test.
    pub alpha: f64,
    /// Bootstrap settings for the confidence interval.
    pub bootstrap: Bootstrap,
}

impl Default for Options {
    fn default() -> Self {
        Self { threshold: 0.05, alpha: 0.05, bootstrap: Bootstrap::default() }
    }
}

/// What a comparison concluded about one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Significantly better, beyond the threshold.
    Improved,
    /// Significantly worse, beyond the threshold.
    Regressed,
    /// Not significant, or within the threshold.
    Unchanged,
}

impl Verdict {
    /// The verdict as a word.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Improved => "improved",
            Verdict::Regressed => "regressed",
            Verdict::Unchanged => "unchanged",
        }
    }
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
    /// Median of the base samples.
    pub base_median: f64,
    /// Median of the new samples.
    pub new_median: f64,
    /// new_median / base_median - 1.
    pub change: f64,
    /// Bootstrap confidence interval of `change`.
    pub ci: Option<Interval>,
    /// Two-sided Mann-Whitney U p-value.
    pub p_value: Option<f64>,
    /// Samples on each side.
    pub base_samples: usize,
    pub new_samples: usize,
    /// The conclusion.
    pub verdict: Verdict,
    /// A caveat, e.g. too few samples for the test to mean much.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A record or metric that could not be compared, and why.
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

/// The comparison of two runs.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Base run id.
    pub base: String,
    /// New run id.
    pub new: String,
    /// Threshold used, as a fraction.
    pub threshold: f64,
    /// Significance level used.
    pub alpha: f64,
    /// Compared metrics, in base document order.
    pub rows: Vec<Row>,
    /// Records or metrics only the base has.
    pub only_in_base: Vec<Unmatched>,
    /// Records or metrics only the new run has.
    pub only_in_new: Vec<Unmatched>,
    /// Present on both sides but not comparable (skipped, failed, unit
    /// changed, ...).
    pub not_compared: Vec<Unmatched>,
}

impl Comparison {
    /// How many rows have this verdict.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.rows.iter().filter(|r| r.verdict == verdict).count()
    }

    /// True when anything regressed.
    pub fn has_regression(&self) -> bool {
        self.count(Verdict::Regressed) > 0
    }
}

/// Compares `new` against `base`.
pub fn compare(base: &ResultDocument, new: &ResultDocument, options: &Options) -> Comparison {
    let mut comparison = Comparison {
        base: base.run.id.clone(),
        new: new.run.id.clone(),
        threshold: options.threshold,
        alpha: options.alpha,
        rows: Vec::new(),
        only_in_base: Vec::new(),
        only_in_new: Vec::new(),
        not_compared: Vec::new(),
    };
    join::join(base, new, options, &mut comparison);
    comparison
}

/// Compares one metric present on both sides with the same unit.
fn compare_metric(key: &PointKey, base: &Metric, new: &Metric, options: &Options) -> Result<Row, String> {
    let base_samples = samples(base);
    let new_samples = samples(new);
    let base_median = stats::median(base_samples).unwrap_or(base.value);
    let new_median = stats::median(new_samples).unwrap_or(new.value);
    if base_median == 0.0 {
        return Err("base median is 0, so there is no relative change".into());
    }
    let change = new_median / base_median - 1.0;
    // One sample a side carries no spread to resample: no interval.
    let spread = base_samples.len() > 1 && new_samples.len() > 1;
    let ci = spread.then(|| stats::relative_change_ci(base_samples, new_samples, &options.bootstrap)).flatten();
    let p_value = stats::mann_whitney_u(base_samples, new_samples).map(|m| m.p_value);
    let significant = p_value.is_some_and(|p| p < options.alpha);
    let gain = match base.better {
        Better::Higher => change,
        Better::Lower => -change,
    };
    let verdict = match (significant && change.abs() > options.threshold, gain > 0.0) {
        (true, true) => Verdict::Improved,
        (true, false) => Verdict::Regressed,
        (false, _) => Verdict::Unchanged,
    };
    let fewest = base_samples.len().min(new_samples.len());
    let note = (fewest < FEW_SAMPLES)
        .then(|| format!("{fewest} samples on one side: the significance test has little power below {FEW_SAMPLES}"));
    Ok(Row {
        key: key.clone(),
        metric: base.name.clone(),
        unit: base.unit.clone(),
        better: base.better,
        base_median,
        new_median,
        change,
        ci,
        p_value,
        base_samples: base_samples.len(),
        new_samples: new_samples.len(),
        verdict,
        note,
    })
}

/// The raw samples, or the headline value alone when none were kept.
fn samples(metric: &Metric) -> &[f64] {
    if metric.samples.is_empty() {
        std::slice::from_ref(&metric.value)
    } else {
        &metric.samples
    }
}

//! The verdict on one metric from its units on both sides.

use hwbench_schema::{Better, Metric};

use super::{Level, Options, Row, Test, Verdict};
use crate::format;
use crate::key::PointKey;
use crate::stats::{self, Interval, Unit};

/// Compares one metric's units. Err: why the metric has no relative change.
///
/// The rule: first, one outlying unit a side (Grubbs' test at 1%, five
/// units or more) is set aside from everything below, so that one transient
/// repetition neither hides a change nor fakes one. Then the baseline needs
/// two units or more (else no run-to-run estimate); its run-to-run spread s
/// (with whole runs as units, at least what their repetitions imply,
/// [`stats::headline_spread_floor`]) must be within the threshold (else
/// the metric is unstable here); the test must be able to reach
/// significance with these unit counts. Then a change is called when it is
/// beyond the threshold and significant: Mann-Whitney p < alpha on the unit
/// figures and the whole bootstrap interval beyond the band
/// [e^-s - 1, e^s - 1] the baseline's own units spread over; with one new
/// unit, the prediction test (which scales with s) p < alpha.
pub(super) fn judge(
    key: &PointKey,
    metric: &Metric,
    base: &[Unit],
    new: &[Unit],
    level: Level,
    options: &Options,
) -> Result<Row, String> {
    if base.iter().chain(new).any(|u| !(u.figure.is_finite() && u.figure > 0.0)) {
        return Err("a figure is zero, negative or not finite: no relative change".into());
    }
    let (base, base_set_aside) = stats::without_outlier(base);
    let (new, new_set_aside) = stats::without_outlier(new);
    let base_figures: Vec<f64> = base.iter().map(|u| u.figure).collect();
    let new_figures: Vec<f64> = new.iter().map(|u| u.figure).collect();
    let (Some(base_median), Some(new_median)) = (stats::median(&base_figures), stats::median(&new_figures)) else {
        return Err("no units on a side".into());
    };
    let change = new_median / base_median - 1.0;
    // Whole runs as units: their spread is at least what their repetitions imply.
    let floor = stats::headline_spread_floor(&base);
    let spread = stats::run_to_run_spread(&base_figures).map(|s| s.max(floor.unwrap_or(0.0)));
    let (m, n) = (base.len(), new.len());
    let mut row = Row {
        key: key.clone(),
        metric: metric.name.clone(),
        unit: metric.unit.clone(),
        better: metric.better,
        base_median,
        new_median,
        change,
        ci: None,
        p_value: None,
        test: None,
        base_units: m,
        new_units: n,
        spread,
        base_set_aside,
        new_set_aside,
        verdict: Verdict::Unchanged,
        note: None,
    };
    if m < 2 {
        row.verdict = Verdict::NoEstimate;
        row.note = Some(format!("one {}: no run-to-run estimate (base)", level.unit_name()));
        return Ok(row);
    }
    let significant = if n >= 2 {
        let p = stats::mann_whitney_u(&base_figures, &new_figures).map(|t| t.p_value);
        row.ci = stats::ratio_interval(&base, &new, &options.bootstrap);
        row.p_value = p;
        row.test = Some(Test::MannWhitney);
        let s = spread.unwrap_or(0.0);
        let beyond_spread = |ci: Interval| ci.lower > s.exp() - 1.0 || ci.upper < (-s).exp() - 1.0;
        p.is_some_and(|p| p < options.alpha) && row.ci.is_some_and(beyond_spread)
    } else {
        let p = stats::prediction_test(&base_figures, new_median, floor.unwrap_or(0.0) / 2.0);
        row.p_value = p;
        row.test = Some(Test::Prediction);
        if p.is_none() && spread == Some(0.0) {
            row.verdict = Verdict::NoEstimate;
            row.note = Some(format!(
                "base {}s all equal (to their resolution): no spread to judge one new {} against",
                level.unit_name(),
                level.unit_name()
            ));
            return Ok(row);
        }
        row.note = Some(format!("one {} in the new side: judged against the base's spread", level.unit_name()));
        p.is_some_and(|p| p < options.alpha)
    };
    let spread = spread.unwrap_or(0.0);
    if spread > options.threshold {
        row.verdict = Verdict::Unstable;
        row.note = Some(format!("unstable here (run-to-run spread {})", format::percent_unsigned(spread)));
    } else if n >= 2 && stats::smallest_p_value(m, n) >= options.alpha {
        row.verdict = Verdict::TooFewUnits;
        row.note = Some(format!("{m} and {n} units: Mann-Whitney cannot reach p < {}", options.alpha));
    } else if significant && change.abs() > options.threshold {
        let better = match metric.better {
            Better::Higher => change > 0.0,
            Better::Lower => change < 0.0,
        };
        row.verdict = if better { Verdict::Improved } else { Verdict::Regressed };
    }
    Ok(row)
}

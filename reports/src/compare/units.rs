//! A side's units of one metric: its repetitions when the side is one run,
//! its runs when a side has several.

use hwbench_schema::Metric;
use serde::Serialize;

use crate::stats::{Parts, Statistic, Unit};

/// The unit of variance of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Each side is one run: its repetitions are the units.
    Repetitions,
    /// A side has several runs: whole runs are the units on both sides.
    Runs,
}

impl Level {
    /// Runs as soon as a side has more than one.
    pub fn of(base_runs: usize, new_runs: usize) -> Self {
        if base_runs > 1 || new_runs > 1 {
            Level::Runs
        } else {
            Level::Repetitions
        }
    }

    /// The unit's name, singular.
    pub fn unit_name(self) -> &'static str {
        match self {
            Level::Repetitions => "repetition",
            Level::Runs => "run",
        }
    }
}

/// The units of one metric on one side: one metric per run of the side.
/// Err names what is malformed.
pub fn of_side(metrics: &[&Metric], level: Level) -> Result<Vec<Unit>, String> {
    match level {
        Level::Repetitions => metrics.iter().map(|m| repetitions(m)).collect::<Result<Vec<_>, _>>().map(|v| v.concat()),
        Level::Runs => metrics.iter().map(|m| whole_run(m)).collect(),
    }
}

/// One unit per repetition, each over its own samples.
fn repetitions(metric: &Metric) -> Result<Vec<Unit>, String> {
    let split = metric.repetition_samples().ok_or_else(|| {
        format!(
            "repetitions' sample counts add up to {}, but the metric has {} samples",
            metric.repetitions.iter().map(|r| r.sample_count).sum::<usize>(),
            metric.samples.len()
        )
    })?;
    Ok(split.into_iter().map(|(figure, samples)| Unit { figure, parts: parts(samples, &metric.statistic) }).collect())
}

/// The run as one unit: its headline over its repetitions.
fn whole_run(metric: &Metric) -> Result<Unit, String> {
    let mut reps = repetitions(metric)?;
    if reps.len() == 1 {
        return Ok(reps.remove(0));
    }
    Ok(Unit { figure: metric.value, parts: Parts::Units(reps) })
}

/// What a repetition's figure can be recomputed from.
fn parts(samples: &[f64], statistic: &str) -> Parts {
    match Statistic::parse(statistic) {
        Some(statistic) if !samples.is_empty() => Parts::Samples { values: samples.to_vec(), statistic },
        _ => Parts::Fixed,
    }
}

#[cfg(test)]
mod tests {
    use hwbench_schema::{Better, Repetition};

    use super::*;

    fn metric(samples: Vec<f64>, repetitions: Vec<(f64, usize)>) -> Metric {
        let mut m = Metric::new("bandwidth", "GB/s", 0.0, "max", samples, Better::Higher);
        m.repetitions =
            repetitions.into_iter().map(|(value, sample_count)| Repetition { value, sample_count }).collect();
        m.value = 2.0;
        m
    }

    #[test]
    fn repetitions_take_their_own_samples() {
        let m = metric(vec![1.0, 2.0, 3.0, 4.0, 5.0], vec![(2.0, 2), (5.0, 3)]);
        let units = of_side(&[&m], Level::Repetitions).unwrap();
        assert_eq!(units.len(), 2);
        assert_eq!(units[0].figure, 2.0);
        assert_eq!(units[1].parts, Parts::Samples { values: vec![3.0, 4.0, 5.0], statistic: Statistic::Max });
    }

    #[test]
    fn figures_without_samples_are_fixed_units() {
        let mut m = metric(vec![], vec![(3.0, 0), (4.0, 0), (5.0, 0)]);
        m.statistic = "total".into();
        let units = of_side(&[&m], Level::Repetitions).unwrap();
        assert_eq!(units, [3.0, 4.0, 5.0].map(Unit::fixed));
    }

    #[test]
    fn runs_are_units_over_their_repetitions() {
        let repeated = metric(vec![1.0, 2.0, 3.0], vec![(1.0, 1), (2.0, 1), (3.0, 1)]);
        let once = Metric::new("bandwidth", "GB/s", 7.0, "max", vec![6.0, 7.0], Better::Higher);
        let units = of_side(&[&repeated, &once], Level::Runs).unwrap();
        assert_eq!(units[0].figure, 2.0);
        assert!(matches!(&units[0].parts, Parts::Units(reps) if reps.len() == 3));
        assert_eq!(units[1].figure, 7.0);
        assert!(matches!(units[1].parts, Parts::Samples { .. }));
    }

    #[test]
    fn sample_counts_that_do_not_add_up_are_named() {
        let m = metric(vec![1.0, 2.0], vec![(1.0, 1), (2.0, 2)]);
        let err = of_side(&[&m], Level::Repetitions).unwrap_err();
        assert!(err.contains("add up to 3") && err.contains("2 samples"), "{err}");
    }
}

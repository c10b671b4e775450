//! A figure's standing among the same SKU's references: its percentile
//! among them, and a flag when it lies beyond all of them by more than
//! their run-to-run spread (README.md, "Trusting the numbers").
//!
//! The units are the reference runs' headlines; with one reference run
//! measured several times, its repetitions. Their spread is the fleet's
//! robust one (1.4826 x MAD over the median, at least 0.5%, widened for
//! the median's own uncertainty), never below what the runs' own
//! repetitions imply for a headline (1.2533 x their robust spread /
//! sqrt(repetitions)): a few runs whose headlines happen to agree cannot
//! claim less. The margin is twice that, the band about 95% of unchanged
//! runs fall in, as in comparisons ("spread", results/SCHEMA.md).

use hwbench_schema::Better;
use serde::Serialize;

use crate::fleet::judge::RESOLUTION;
use crate::format;
use crate::stats::{Summary, MEDIAN_SD_FACTOR};

/// One reference run's figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// Its headline (with repetitions, their median).
    pub value: f64,
    /// Each repetition's figure; empty when measured once.
    pub repetitions: Vec<f64>,
}

/// What a figure is ranked among.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Units {
    /// The reference runs' headlines.
    Runs,
    /// The repetitions of the one reference run.
    Repetitions,
}

/// Which side of the references' range a figure lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Below,
    Above,
}

/// Where a figure stands among its references.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standing {
    /// What it is ranked among.
    pub units: Units,
    /// How many units.
    pub n: usize,
    /// How many reference runs measured it.
    pub runs: usize,
    /// Median, least and greatest of the units' figures.
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// Share of the units below it (ties counted half), in percent.
    pub percentile: f64,
    /// The margin: twice the run-to-run spread relative to the median;
    /// `None` without an estimate (one run measured once) or for figures
    /// that are not all positive.
    pub spread: Option<f64>,
    /// Outside the range: which side, and how far relative to the nearest
    /// end (value / min - 1 below, value / max - 1 above).
    pub beyond: Option<(Side, f64)>,
    /// Beyond the range by more than `spread`.
    pub flagged: bool,
    /// For a flagged figure: true when it is worse than the references (by
    /// the metric's `better`), false when better.
    pub worse: Option<bool>,
}

/// The standing of `value` among `references` (each the same figure of
/// one reference run); `None` when there is none.
pub fn standing(value: f64, better: Better, references: &[Measured]) -> Option<Standing> {
    let (units, figures, floor) = match references {
        [one] if one.repetitions.len() >= 2 => (Units::Repetitions, one.repetitions.clone(), None),
        _ => (Units::Runs, references.iter().map(|r| r.value).collect(), repetition_floor(references)),
    };
    let summary = Summary::of(&figures)?;
    if !value.is_finite() {
        return None;
    }
    let positive = value > 0.0 && summary.min > 0.0;
    let spread = (positive && figures.len() >= 2)
        .then(|| summary.judging_spread(RESOLUTION))
        .flatten()
        .map(|s| 2.0 * s.max(floor.unwrap_or(0.0)));
    let beyond = if !positive {
        None
    } else if value < summary.min {
        Some((Side::Below, value / summary.min - 1.0))
    } else if value > summary.max {
        Some((Side::Above, value / summary.max - 1.0))
    } else {
        None
    };
    let flagged = matches!((beyond, spread), (Some((_, by)), Some(s)) if by.abs() > s);
    let worse = flagged.then(|| {
        matches!(
            (beyond.map(|b| b.0), better),
            (Some(Side::Below), Better::Higher) | (Some(Side::Above), Better::Lower)
        )
    });
    let below = figures.iter().filter(|f| **f < value).count() as f64;
    let equal = figures.iter().filter(|f| **f == value).count() as f64;
    Some(Standing {
        units,
        n: figures.len(),
        runs: references.len(),
        median: summary.median,
        min: summary.min,
        max: summary.max,
        percentile: 100.0 * (below + equal / 2.0) / figures.len() as f64,
        spread,
        beyond,
        flagged,
        worse,
    })
}

/// The least spread of a headline the runs' own repetitions imply: 1.2533
/// x the root mean square of their robust relative spreads / sqrt(their
/// mean count). `None` when no run was measured twice or more.
fn repetition_floor(references: &[Measured]) -> Option<f64> {
    let spreads: Vec<(f64, usize)> = references
        .iter()
        .filter(|r| r.repetitions.len() >= 2)
        .filter_map(|r| Some((Summary::of(&r.repetitions)?.relative_spread()?, r.repetitions.len())))
        .collect();
    if spreads.is_empty() {
        return None;
    }
    let k = spreads.len() as f64;
    let sigma = (spreads.iter().map(|(s, _)| s * s).sum::<f64>() / k).sqrt();
    let n = spreads.iter().map(|(_, n)| *n as f64).sum::<f64>() / k;
    Some(MEDIAN_SD_FACTOR * sigma / n.sqrt())
}

impl Standing {
    /// "every reference run", or "every repetition of the reference run".
    fn every(&self) -> &'static str {
        match self.units {
            Units::Runs => "every reference run",
            Units::Repetitions => "every repetition of the one reference run",
        }
    }

    /// The units counted: "5 reference runs", "the 5 repetitions of the one
    /// reference run".
    fn among(&self) -> String {
        match self.units {
            Units::Runs => format!("{} reference run{}", self.n, if self.n == 1 { "" } else { "s" }),
            Units::Repetitions => format!("the {} repetitions of the one reference run", self.n),
        }
    }

    /// The standing in words: "12% below every reference run (run-to-run
    /// spread 3.1%)", "at the 40th percentile of 5 reference runs", ...
    pub fn words(&self) -> String {
        let spread = self.spread.map(format::percent_unsigned);
        match (self.beyond, &spread) {
            (Some((side, by)), Some(s)) => {
                let side = if side == Side::Below { "below" } else { "above" };
                let amount = format::percent_rounded(by.abs());
                if self.flagged {
                    format!("{amount} {side} {} (run-to-run spread {s})", self.every())
                } else {
                    format!("{amount} {side} {}, within their run-to-run spread ({s})", self.every())
                }
            }
            (_, None) => format!(
                "at the {} percentile of {}; not judged: {}",
                format::ordinal(self.percentile),
                self.among(),
                if self.n == 1 {
                    "one run measured once has no run-to-run spread"
                } else {
                    "relative changes need positive figures"
                }
            ),
            (None, Some(s)) => format!(
                "at the {} percentile of {} (run-to-run spread {s})",
                format::ordinal(self.percentile),
                self.among()
            ),
        }
    }

    /// The short form for a table cell: "p40 of 5", "12% below all".
    pub fn short(&self) -> String {
        match self.beyond {
            Some((side, by)) if self.flagged => {
                format!("{} {} all {}", format::percent_rounded(by.abs()), side.as_str(), self.n)
            }
            _ => format!("p{:.0} of {}", self.percentile, self.n),
        }
    }
}

impl Side {
    /// "below" or "above".
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Below => "below",
            Side::Above => "above",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(values: &[f64]) -> Vec<Measured> {
        values.iter().map(|&value| Measured { value, repetitions: Vec::new() }).collect()
    }

    #[test]
    fn beyond_the_range_by_more_than_the_spread_is_flagged_with_its_direction() {
        // Five runs 100..104: median 102, MAD 1, sigma 1.4826 / 102 widened
        // by sqrt(1 + pi / 10); spread twice that: 3.33%.
        let refs = runs(&[100.0, 101.0, 102.0, 103.0, 104.0]);
        let s = standing(80.0, Better::Higher, &refs).unwrap();
        let want = 2.0 * 1.4826 / 102.0 * (1.0 + std::f64::consts::PI / 10.0).sqrt();
        assert!((s.spread.unwrap() - want).abs() < 1e-12, "{s:?}");
        assert_eq!((s.units, s.n, s.runs, s.percentile), (Units::Runs, 5, 5, 0.0));
        assert_eq!(s.beyond.map(|b| b.0), Some(Side::Below));
        assert!((s.beyond.unwrap().1 + 0.2).abs() < 1e-12);
        assert!(s.flagged && s.worse == Some(true));
        assert_eq!(s.words(), "20% below every reference run (run-to-run spread 3.3%)");
        assert_eq!(s.short(), "20% below all 5");
        // Lower is better: the same figure below them is better.
        assert_eq!(standing(80.0, Better::Lower, &refs).unwrap().worse, Some(false));
        // Just outside, within the spread: not flagged, said so.
        let near = standing(99.0, Better::Higher, &refs).unwrap();
        assert!(!near.flagged && near.worse.is_none());
        assert_eq!(near.words(), "1.0% below every reference run, within their run-to-run spread (3.3%)");
        // Inside: its percentile, ties counted half.
        let inside = standing(102.0, Better::Higher, &refs).unwrap();
        assert_eq!((inside.percentile, inside.beyond), (50.0, None));
        assert_eq!(inside.words(), "at the 50th percentile of 5 reference runs (run-to-run spread 3.3%)");
        assert_eq!(inside.short(), "p50 of 5");
        assert!(standing(150.0, Better::Lower, &refs).unwrap().flagged);
    }

    #[test]
    fn repetitions_give_a_spread_to_one_run_and_a_floor_to_several() {
        // One run of five repetitions: they are the units.
        let one = [Measured { value: 10.0, repetitions: vec![9.8, 9.9, 10.0, 10.1, 10.2] }];
        let s = standing(8.0, Better::Higher, &one).unwrap();
        assert_eq!((s.units, s.n, s.runs), (Units::Repetitions, 5, 1));
        assert!(s.flagged);
        assert_eq!(s.words(), "18% below every repetition of the one reference run (run-to-run spread 3.4%)");
        // One run measured once: a percentile, no spread, no flag.
        let once = standing(5.0, Better::Higher, &runs(&[10.0])).unwrap();
        assert!(once.spread.is_none() && !once.flagged);
        assert_eq!(
            once.words(),
            "at the 0th percentile of 1 reference run; not judged: one run measured once has no run-to-run spread"
        );
        // Three runs whose headlines agree exactly, each with repetitions
        // 5% apart: the floor from the repetitions, not the 0.5% resolution.
        let reps = vec![0.95, 1.0, 1.05, 1.0, 0.95];
        let agreeing: Vec<Measured> = (0..3).map(|_| Measured { value: 1.0, repetitions: reps.clone() }).collect();
        let s = standing(0.93, Better::Higher, &agreeing).unwrap();
        let floor = 1.2533 * 1.4826 * 0.05 / 5f64.sqrt();
        assert!((s.spread.unwrap() - 2.0 * floor).abs() < 1e-12, "{s:?}");
        assert!(!s.flagged, "7% below, within 2 x {floor}");
        assert!(standing(0.9, Better::Higher, &agreeing).unwrap().flagged);
    }

    #[test]
    fn figures_that_are_not_positive_are_ranked_never_flagged() {
        let s = standing(-5.0, Better::Lower, &runs(&[-1.0, 0.0, 1.0])).unwrap();
        assert_eq!((s.percentile, s.spread, s.flagged), (0.0, None, false));
        assert!(s.words().ends_with("not judged: relative changes need positive figures"), "{}", s.words());
        assert_eq!(standing(1.0, Better::Lower, &[]), None);
    }
}

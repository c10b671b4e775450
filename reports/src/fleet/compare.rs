//! Cohort against cohort (SKU A against SKU B): per metric the change of
//! the median over nodes, with a bootstrap interval from resampling nodes.

use hwbench_schema::Better;

use super::node::MetricInfo;
use super::{Cohort, Node};
use crate::stats::{median, ratio_interval, Bootstrap, Interval, Unit};

/// Cohorts with fewer nodes are not compared: an interval from resampling
/// two nodes says nothing.
pub const MIN_NODES: usize = 3;
/// At most this many cohorts are compared with the largest.
pub const MAX_COMPARED: usize = 20;

/// One metric of two cohorts.
#[derive(Debug, Clone)]
pub struct Row {
    pub metric: u32,
    /// Nodes of each cohort (reference, other) that measured it.
    pub nodes: (usize, usize),
    /// Medians over those nodes (reference, other).
    pub medians: (f64, f64),
    /// other / reference - 1.
    pub change: f64,
    /// Bootstrap 95% interval of `change`, nodes resampled on both sides.
    pub interval: Option<Interval>,
    /// "better" or "worse" for the other cohort when the interval excludes
    /// no change, else "no clear difference".
    pub verdict: &'static str,
}

/// One cohort against the reference (the largest).
#[derive(Debug, Clone)]
pub struct Comparison {
    pub reference: usize,
    pub other: usize,
    pub rows: Vec<Row>,
}

/// Every other cohort of at least [`MIN_NODES`] nodes against the largest,
/// over the metrics both measured on at least that many nodes.
pub fn against_largest(nodes: &[Node], cohorts: &[Cohort], metrics: &[MetricInfo]) -> Vec<Comparison> {
    if cohorts.len() < 2 || cohorts[0].members.len() < MIN_NODES {
        return Vec::new();
    }
    let values =
        |c: &Cohort, metric: u32| -> Vec<f64> { c.members.iter().filter_map(|&n| nodes[n].value(metric)).collect() };
    let config = Bootstrap::default();
    (1..cohorts.len())
        .filter(|&c| cohorts[c].members.len() >= MIN_NODES)
        .take(MAX_COMPARED)
        .map(|other| {
            let rows = (0..metrics.len() as u32)
                .filter_map(|metric| {
                    let a = values(&cohorts[0], metric);
                    let b = values(&cohorts[other], metric);
                    if a.len() < MIN_NODES || b.len() < MIN_NODES {
                        return None;
                    }
                    let medians = (median(&a)?, median(&b)?);
                    if medians.0 == 0.0 {
                        return None;
                    }
                    let units = |values: &[f64]| values.iter().copied().map(Unit::fixed).collect::<Vec<_>>();
                    let interval = ratio_interval(&units(&a), &units(&b), &config);
                    let verdict = match interval {
                        Some(ci) if ci.lower > 0.0 || ci.upper < 0.0 => {
                            let up = ci.lower > 0.0;
                            match (metrics[metric as usize].better, up) {
                                (Better::Higher, true) | (Better::Lower, false) => "better",
                                _ => "worse",
                            }
                        }
                        _ => "no clear difference",
                    };
                    Some(Row {
                        metric,
                        nodes: (a.len(), b.len()),
                        change: medians.1 / medians.0 - 1.0,
                        medians,
                        interval,
                        verdict,
                    })
                })
                .collect();
            Comparison { reference: 0, other, rows }
        })
        .collect()
}

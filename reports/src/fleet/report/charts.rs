//! A cohort's distribution plots: one box chart per (benchmark, metric)
//! with a box per benchmark point, or, for a benchmark of one point, one
//! chart with a box per metric; every value divided by the cohort median so
//! that figures of different magnitude share an axis; flagged nodes marked
//! and named.

use std::collections::BTreeMap;

use super::super::judge::{Distribution, Verdict};
use super::super::Fleet;
use crate::charts::Chart;
use crate::plots::boxes::{self, BoxChart, BoxPlot, Mark};
use crate::plots::Axis;
use crate::ReportError;

/// Cohorts with fewer nodes get no plots: a box of two values says nothing.
pub const MIN_NODES: usize = 3;

/// The charts of cohort `c`, in metric order of first appearance.
pub fn cohort(fleet: &Fleet, c: usize) -> Result<Vec<Chart>, ReportError> {
    if fleet.cohorts[c].members.len() < MIN_NODES {
        return Ok(Vec::new());
    }
    let j = &fleet.judgement;
    let mut marks: BTreeMap<usize, Vec<Mark>> = BTreeMap::new();
    for t in j.tests.iter().filter(|t| t.flagged && t.cohort == c) {
        let median = j.distributions[c][t.distribution].summary.median;
        marks
            .entry(t.distribution)
            .or_default()
            .push(Mark { value: t.value / median, label: fleet.nodes[t.node].name.clone() });
    }
    let dists = &j.distributions[c];
    let key = |d: usize| &fleet.metrics[dists[d].metric as usize].key;
    let mut points: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for d in 0..dists.len() {
        let seen = points.entry(key(d).id.as_str()).or_default();
        if !seen.contains(&key(d).params.as_str()) {
            seen.push(&key(d).params);
        }
    }
    // (id, metric name or "" for every metric of a one-point benchmark).
    let mut groups: Vec<((&str, &str), Vec<usize>)> = Vec::new();
    for d in 0..dists.len() {
        let id = key(d).id.as_str();
        let group = (id, if points[id].len() == 1 { "" } else { key(d).metric.as_str() });
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, members)) => members.push(d),
            None => groups.push((group, vec![d])),
        }
    }
    groups
        .into_iter()
        .map(|((id, metric), members)| {
            let dists: Vec<&Distribution> = members.iter().map(|&d| &j.distributions[c][d]).collect();
            let (x_label, names) = if metric.is_empty() {
                ("metric".to_string(), dists.iter().map(|d| fleet.metrics[d.metric as usize].key.metric.clone()).collect())
            } else {
                categories(fleet, &dists)
            };
            let info = &fleet.metrics[dists[0].metric as usize];
            let boxes = members
                .iter()
                .zip(&dists)
                .zip(names)
                .map(|((d, dist), category)| {
                    let s = &dist.summary;
                    let m = s.median;
                    BoxPlot {
                        category,
                        low: s.p5 / m,
                        q1: s.q1 / m,
                        median: 1.0,
                        q3: s.q3 / m,
                        high: s.p95 / m,
                        bounds: dist.bounds.map(|(lo, hi)| (lo / m, hi / m)),
                        muted: dist.verdict != Verdict::Judged,
                        marks: marks.remove(d).unwrap_or_default(),
                    }
                })
                .filter(|b| b.low.is_finite() && b.high.is_finite())
                .collect();
            let title = if metric.is_empty() {
                format!("{id} ({})", info.key.params)
            } else {
                format!("{id} {metric} ({}, {} is better)", info.unit, better(info.better))
            };
            let chart = BoxChart { title: title.clone(), x_label, y: Axis::linear("value / cohort median"), boxes };
            let file = format!("cohort-{}-{}.svg", c + 1, file_safe(format!("{id}-{metric}").trim_end_matches('-')));
            let svg = boxes::render(&chart).map_err(|e| ReportError::Plot { chart: file.clone(), detail: e.to_string() })?;
            let caption = format!(
                "{title} over the cohort's {} nodes: one box per benchmark point or metric, each value divided by its cohort median \
                 (box: quartiles; whiskers: 5th to 95th percentile; red ticks: the robust bounds; red dots: flagged nodes, named; \
                 grey: not judged).",
                fleet.cohorts[c].members.len()
            );
            Ok(Chart { file, title, caption, svg })
        })
        .collect()
}

/// The names of the boxes: the params that differ between the points (all
/// params when only one point), and what they are.
fn categories(fleet: &Fleet, dists: &[&Distribution]) -> (String, Vec<String>) {
    let params = |d: &Distribution| &fleet.metrics[d.metric as usize].param_values;
    let first = params(dists[0]);
    let varying: Vec<&str> = first
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| {
            dists.iter().any(|d| params(d).iter().find(|(n, _)| n == name) != first.iter().find(|(n, _)| n == name))
        })
        .collect();
    let shown = |d: &Distribution| -> String {
        params(d)
            .iter()
            .filter(|(name, _)| dists.len() == 1 || varying.contains(&name.as_str()))
            .map(|(name, value)| match (name.as_str(), value.parse::<u64>()) {
                ("bytes", Ok(b)) => hwbench_schema::units::format_bytes(b),
                _ if varying.len() == 1 && dists.len() > 1 => value.clone(),
                _ => format!("{name}={value}"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let x_label = if dists.len() == 1 || varying.is_empty() { "point".to_string() } else { varying.join(", ") };
    (x_label, dists.iter().map(|d| shown(d)).collect())
}

fn better(b: hwbench_schema::Better) -> &'static str {
    match b {
        hwbench_schema::Better::Lower => "lower",
        hwbench_schema::Better::Higher => "higher",
    }
}

/// Letters, digits, dots and dashes only.
fn file_safe(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect()
}

//! Interleave ratios: bandwidth and latency against the share of pages on
//! the first node, the best ratio marked.

use hwbench_schema::Record;

use super::select::{self, Found};
use super::{Planned, Plot};
use crate::key::param_text;
use crate::plots::line::{LineChart, Marker, Series};
use crate::plots::Axis;
use crate::runs::RunSet;

/// The benchmark ids this module draws.
pub const IDS: &[&str] = &["memory.interleave", "memory.interleave.best"];

/// The kernel whose best ratio is marked.
const MARKED: &str = "triad";

/// Per run and split (nodes, mechanism): bandwidth per kernel and latency
/// against the fraction of pages counted on the first node.
pub fn plan(runs: &RunSet) -> Vec<Planned> {
    let found = select::records(runs, "memory.interleave");
    let best = select::records(runs, "memory.interleave.best");
    let mut out = Vec::new();
    for (run, named) in runs.runs.iter().enumerate() {
        let mine = select::of_run(&found, run);
        let mut splits: Vec<(String, String)> = mine
            .iter()
            .map(|(_, r)| (param_text(r, "nodes").unwrap_or_default(), param_text(r, "mechanism").unwrap_or_default()))
            .collect();
        splits.sort();
        splits.dedup();
        for (index, (nodes, mechanism)) in splits.iter().enumerate() {
            let split: Vec<&Record> = mine
                .iter()
                .map(|(_, r)| *r)
                .filter(|r| param_text(r, "nodes").as_ref() == Some(nodes))
                .filter(|r| param_text(r, "mechanism").as_ref() == Some(mechanism))
                .collect();
            let first = nodes.split(',').next().unwrap_or_default();
            let markers = marker(&select::of_run(&best, run), nodes, mechanism, &split);
            out.extend(bandwidth_chart(run, index, named_title(&named.name, nodes, mechanism), first, &split, markers));
            out.extend(latency_chart(run, index, named_title(&named.name, nodes, mechanism), first, &split));
        }
    }
    out
}

fn named_title(run: &str, nodes: &str, mechanism: &str) -> String {
    format!("nodes {nodes} ({mechanism}), {run}")
}

/// (first-node fraction counted, metric) of each record, in order.
fn along(records: &[&Record], metric: &str) -> Vec<(f64, f64)> {
    let mut points: Vec<(f64, f64)> = records
        .iter()
        .filter_map(|r| Some((select::value(r, "first_node_fraction")?, select::value(r, metric)?)))
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    points
}

/// The best triad ratio of this split, from the summary record.
fn marker(best: &[Found<'_>], nodes: &str, mechanism: &str, split: &[&Record]) -> Vec<Marker> {
    best.iter()
        .map(|(_, r)| *r)
        .filter(|r| param_text(r, "nodes").as_deref() == Some(nodes))
        .filter(|r| param_text(r, "mechanism").as_deref() == Some(mechanism))
        .filter(|r| param_text(r, "kernel").as_deref() == Some(MARKED))
        .filter_map(|r| {
            let ratio = r.info.get("best_ratio")?.as_str()?.to_string();
            let x = select::value(r, "first_node_fraction")?;
            Some(Marker::plain(x, format!("best {MARKED}: {ratio}")))
        })
        .take(usize::from(!split.is_empty()))
        .collect()
}

fn bandwidth_chart(
    run: usize,
    index: usize,
    title: String,
    first: &str,
    split: &[&Record],
    markers: Vec<Marker>,
) -> Option<Planned> {
    let mut kernels: Vec<String> = Vec::new();
    for name in split.iter().flat_map(|r| r.metrics.iter().filter_map(|m| m.name.strip_prefix("bandwidth_"))) {
        if !kernels.iter().any(|k| k == name) {
            kernels.push(name.to_string());
        }
    }
    let series: Vec<Series> = kernels
        .iter()
        .map(|k| Series::new(k.clone(), along(split, &format!("bandwidth_{k}"))))
        .filter(|s| !s.points.is_empty())
        .collect();
    if series.is_empty() {
        return None;
    }
    Some(Planned {
        file: format!("memory-interleave-bandwidth-run{}-split{}.svg", run + 1, index + 1),
        caption: format!(
            "Bandwidth of each kernel with the pages of its arrays split between the nodes, against the fraction of pages counted on node {first} (1: all there); the line marks the ratio with the most {MARKED} bandwidth."
        ),
        plot: Plot::Line(LineChart {
            title: format!("Interleave ratio: bandwidth, {title}"),
            x: Axis::linear(format!("fraction of pages on node {first}")),
            y: Axis::auto("bandwidth (GB/s)", &select::ys(&series)),
            series,
            markers,
        }),
    })
}

fn latency_chart(run: usize, index: usize, title: String, first: &str, split: &[&Record]) -> Option<Planned> {
    let series: Vec<Series> = [("p50", "latency_p50", false), ("p99", "latency_p99", true)]
        .into_iter()
        .map(|(label, metric, dashed)| Series { colour: Some(0), dashed, ..Series::new(label, along(split, metric)) })
        .filter(|s| !s.points.is_empty())
        .collect();
    if series.is_empty() {
        return None;
    }
    Some(Planned {
        file: format!("memory-interleave-latency-run{}-split{}.svg", run + 1, index + 1),
        caption: format!(
            "Pointer-chase latency over a buffer split the same way, against the fraction of pages on node {first}: median (solid) and p99 (dashed) of batches of 16 dependent loads."
        ),
        plot: Plot::Line(LineChart {
            title: format!("Interleave ratio: latency, {title}"),
            x: Axis::linear(format!("fraction of pages on node {first}")),
            y: Axis::auto("latency (ns)", &select::ys(&series)),
            series,
            markers: Vec::new(),
        }),
    })
}

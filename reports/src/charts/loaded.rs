//! Loaded latency: latency against achieved bandwidth as the injected
//! delay of the traffic threads falls. Records with tails (latency_p50,
//! latency_p99) make one chart per run and node: the curve family, one
//! colour per traffic mix, p50 solid and p99 dashed. Records without them
//! (older documents) make the one overview chart of median latency.

use hwbench_schema::{ParamValue, Record};

use super::select::{self, Found};
use super::{Planned, Plot};
use crate::key::param_text;
use crate::plots::line::{LineChart, Series};
use crate::plots::Axis;
use crate::runs::RunSet;

/// The benchmark ids this module draws.
pub const IDS: &[&str] = &["memory.loaded_latency"];

/// The mixes in the order the benchmark sweeps them; others after.
const MIX_ORDER: &[&str] = &["read", "3:1", "2:1", "1:1", "nt_write"];

/// Position along a curve: the injected delay (zero load: endless).
fn delay(r: &Record) -> Option<f64> {
    match r.params.get("delay") {
        Some(ParamValue::Str(s)) if s == "none" => Some(f64::INFINITY),
        _ => crate::key::param_f64(r, "delay"),
    }
}

fn has_tails(r: &Record) -> bool {
    select::value(r, "latency_p50").is_some() && select::value(r, "latency_p99").is_some()
}

/// The family charts, then the overview of records without tails.
pub fn plan(runs: &RunSet) -> Vec<Planned> {
    let found = select::records(runs, "memory.loaded_latency");
    let (tailed, plain): (Vec<Found<'_>>, Vec<Found<'_>>) = found.iter().partition(|(_, r)| has_tails(r));
    let mut out = families(runs, &tailed);
    out.extend(overview(runs, &plain));
    out
}

/// One chart per run and node: per mix, p50 solid and p99 dashed.
fn families(runs: &RunSet, found: &[Found<'_>]) -> Vec<Planned> {
    let mut out = Vec::new();
    for (run, named) in runs.runs.iter().enumerate() {
        let mine = select::of_run(found, run);
        let mut nodes: Vec<String> = mine.iter().filter_map(|(_, r)| param_text(r, "node")).collect();
        nodes.sort_by_key(|n| n.parse::<i64>().unwrap_or(i64::MAX));
        nodes.dedup();
        for node in nodes {
            let on_node: Vec<Found<'_>> =
                mine.iter().copied().filter(|(_, r)| param_text(r, "node").as_deref() == Some(&node)).collect();
            let mut mixes: Vec<String> =
                on_node.iter().map(|(_, r)| param_text(r, "mix").unwrap_or_else(|| "read".into())).collect();
            mixes.sort_by_key(|m| (MIX_ORDER.iter().position(|x| x == m).unwrap_or(MIX_ORDER.len()), m.clone()));
            mixes.dedup();
            let mut series = Vec::new();
            for (colour, mix) in mixes.iter().enumerate() {
                let mut curve: Vec<&Record> = on_node
                    .iter()
                    .map(|(_, r)| *r)
                    .filter(|r| param_text(r, "mix").unwrap_or_else(|| "read".into()) == *mix)
                    .collect();
                // Largest delay (least traffic) first, so the line follows the sweep.
                curve.sort_by(|a, b| delay(b).unwrap_or(0.0).total_cmp(&delay(a).unwrap_or(0.0)));
                for (statistic, dashed) in [("latency_p50", false), ("latency_p99", true)] {
                    let points: Vec<(f64, f64)> = curve
                        .iter()
                        .filter_map(|r| Some((select::value(r, "bandwidth")?, select::value(r, statistic)?)))
                        .collect();
                    let label = format!("{mix} {}", if dashed { "p99" } else { "p50" });
                    series.push(Series { colour: Some(colour), dashed, ..Series::new(label, points) });
                }
            }
            let tier = on_node
                .iter()
                .find_map(|(_, r)| r.info.get("tier")?.get("tier")?.as_str().map(str::to_string))
                .map(|t| format!(" ({t})"))
                .unwrap_or_default();
            out.push(Planned {
                file: format!("memory-loaded-family-run{}-node{node}.svg", run + 1),
                caption: format!(
                    "Latency of one pointer-chasing thread against the bandwidth the traffic threads achieve on node {node}{tier}, one colour per traffic mix (reads:writes; nt_write: non-temporal stores), from zero load (left) to no injected delay; solid: median (p50), dashed: p99 of batches of 16 dependent loads."
                ),
                plot: Plot::Line(LineChart {
                    title: format!("Latency-bandwidth curves: node {node}, {}", named.name),
                    x: Axis::linear(format!("achieved bandwidth ({})", select::units(&on_node, "bandwidth"))),
                    y: Axis::auto(format!("latency ({})", select::units(&on_node, "latency_p50")), &select::ys(&series)),
                    series,
                    markers: Vec::new(),
                }),
            });
        }
    }
    out
}

/// The curves of records without tails, one per run and node (and mix).
fn overview(runs: &RunSet, found: &[Found<'_>]) -> Option<Planned> {
    // The zero-load point has no traffic threads: threads does not split curves.
    let curves = select::curves_by(runs, found, "delay", &["threads"], delay);
    if curves.is_empty() {
        return None;
    }
    let series: Vec<Series> = curves
        .iter()
        .map(|c| {
            // Node always named: the chart is per run and node.
            let label = match c.points.first().and_then(|(_, r)| r.params.get("node")) {
                Some(node) if !c.label.contains("node=") => format!("{} · node={node}", c.label),
                _ => c.label.clone(),
            };
            // Largest delay (least traffic) first, so the line follows the sweep.
            let points = c
                .points
                .iter()
                .rev()
                .filter_map(|(_, r)| Some((select::value(r, "bandwidth")?, select::value(r, "latency")?)))
                .collect();
            Series::new(label, points)
        })
        .collect();
    Some(Planned {
        file: "memory-loaded-latency.svg".into(),
        caption: "Latency of one pointer-chasing thread while the others generate traffic, against the bandwidth they achieve; each point is one injected delay, from the largest (left) to none.".into(),
        plot: Plot::Line(LineChart {
            title: "Loaded latency".into(),
            x: Axis::linear(format!("achieved bandwidth ({})", select::units(found, "bandwidth"))),
            y: Axis::auto(format!("latency ({})", select::units(found, "latency")), &select::ys(&series)),
            series,
            markers: Vec::new(),
        }),
    })
}

//! Loaded latency: latency against achieved bandwidth as the injected
//! delay of the traffic threads falls.

use super::select;
use super::{Planned, Plot};
use crate::plots::line::{LineChart, Series};
use crate::plots::Axis;
use crate::runs::RunSet;

/// The benchmark ids this module draws.
pub const IDS: &[&str] = &["memory.loaded_latency"];

/// The curves, one per run and node (and mix), when measured.
pub fn plan(runs: &RunSet) -> Option<Planned> {
    let found = select::records(runs, "memory.loaded_latency");
    // delay=none is the zero-load point: an endless delay.
    let delay = |r: &hwbench_schema::Record| match r.params.get("delay") {
        Some(hwbench_schema::ParamValue::Str(s)) if s == "none" => Some(f64::INFINITY),
        _ => crate::key::param_f64(r, "delay"),
    };
    // The zero-load point has no traffic threads: threads does not split curves.
    let curves = select::curves_by(runs, &found, "delay", &["threads"], delay);
    if curves.is_empty() {
        return None;
    }
    let series: Vec<Series> = curves
        .iter()
        .map(|c| Series {
            // Node always named: the chart is per run and node.
            label: match c.points.first().and_then(|(_, r)| r.params.get("node")) {
                Some(node) if !c.label.contains("node=") => format!("{} · node={node}", c.label),
                _ => c.label.clone(),
            },
            // Largest delay (least traffic) first, so the line follows the sweep.
            points: c
                .points
                .iter()
                .rev()
                .filter_map(|(_, r)| Some((select::value(r, "bandwidth")?, select::value(r, "latency")?)))
                .collect(),
        })
        .collect();
    Some(Planned {
        file: "memory-loaded-latency.svg".into(),
        caption: "Latency of one pointer-chasing thread while the others generate traffic, against the bandwidth they achieve; each point is one injected delay, from the largest (left) to none.".into(),
        plot: Plot::Line(LineChart {
            title: "Loaded latency".into(),
            x: Axis::linear(format!("achieved bandwidth ({})", select::units(&found, "bandwidth"))),
            y: Axis::auto(format!("latency ({})", select::units(&found, "latency")), &select::ys(&series)),
            series,
            markers: Vec::new(),
        }),
    })
}

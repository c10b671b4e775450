//! Interference between tiers: per run, the victim node's loss while each
//! aggressor node is saturated, as a heatmap.

use super::numa::matrix;
use super::select;
use super::{Planned, Plot};
use crate::plots::heatmap::{Heatmap, Panel};
use crate::runs::RunSet;

/// The benchmark ids this module draws.
pub const IDS: &[&str] = &["memory.interference"];

/// One heatmap per run: bandwidth loss and p99 latency increase, in percent.
pub fn plan(runs: &RunSet) -> Vec<Planned> {
    let found = select::records(runs, "memory.interference");
    let mut out = Vec::new();
    for (run, named) in runs.runs.iter().enumerate() {
        let mine = select::of_run(&found, run);
        let loss = matrix(&mine, "victim", "aggressor", |r| select::value(r, "bandwidth_loss"));
        if loss.cells.iter().flatten().all(Option::is_none) {
            continue;
        }
        let p99 = matrix(&mine, "victim", "aggressor", |r| select::value(r, "latency_p99_increase"));
        out.push(Planned {
            file: format!("memory-interference-run{}.svg", run + 1),
            caption: "Loss of each victim node (rows) while traffic threads saturate an aggressor node (columns), against the victim alone in the same measurement: its read bandwidth lost, and its chase's p99 latency added, in percent.".into(),
            plot: Plot::Heatmap(Heatmap {
                title: format!("Interference between memory nodes: {}", named.name),
                value_label: "loss (%)".into(),
                row_label: "victim node".into(),
                col_label: "aggressor node".into(),
                panels: vec![
                    Panel { title: "bandwidth lost".into(), ..loss },
                    Panel { title: "p99 latency added".into(), ..p99 },
                ],
            }),
        });
    }
    out
}

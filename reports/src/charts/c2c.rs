//! Core-to-core latency matrices per run.

use super::numa::matrix;
use super::select;
use super::{Planned, Plot};
use crate::plots::heatmap::{Heatmap, Panel};
use crate::runs::RunSet;

/// The benchmark ids this module draws.
pub const IDS: &[&str] = &["memory.c2c"];

/// One heatmap per run that measured memory.c2c.
pub fn plan(runs: &RunSet) -> Vec<Planned> {
    let found = select::records(runs, "memory.c2c");
    let mut out = Vec::new();
    for (run, named) in runs.runs.iter().enumerate() {
        let mine = select::of_run(&found, run);
        let panel = matrix(&mine, "cpu_a", "cpu_b", |r| select::value(r, "latency"));
        if panel.cells.iter().flatten().all(Option::is_none) {
            continue;
        }
        out.push(Planned {
            file: format!("c2c-latency-run{}.svg", run + 1),
            caption: "Cache-line ping-pong latency between two pinned threads, per pair of CPUs.".into(),
            plot: Plot::Heatmap(Heatmap {
                title: format!("Core-to-core latency: {}", named.name),
                value_label: format!("latency ({})", select::units(&mine, "latency")),
                row_label: "CPU".into(),
                col_label: "CPU".into(),
                panels: vec![Panel { title: "measured".into(), ..panel }],
            }),
        });
    }
    out
}

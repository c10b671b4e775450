//! NUMA latency and bandwidth matrices per run (initiator CPU node x memory
//! node), with the firmware's HMAT figures beside the measured ones.

use hwbench_schema::{HmatFigures, Topology};

use super::select::{self, Found};
use super::{Planned, Plot};
use crate::plots::heatmap::{Heatmap, Panel};
use crate::runs::RunSet;

/// The matrices of one metric: what it is called, its HMAT counterpart.
struct Kind {
    metric: &'static str,
    title: &'static str,
    hmat: fn(&HmatFigures) -> Option<f64>,
}

const KINDS: [Kind; 2] = [
    Kind { metric: "latency", title: "latency", hmat: |h| h.read_latency_ns.map(|v| v as f64) },
    // The kernel gives HMAT bandwidth in MB/s; the chart shows GB/s.
    Kind { metric: "bandwidth", title: "bandwidth", hmat: |h| h.read_bandwidth_mbps.map(|v| v as f64 / 1000.0) },
];

/// Two heatmaps per run that measured memory.matrix.
pub fn plan(runs: &RunSet) -> Vec<Planned> {
    let found = select::records(runs, "memory.matrix");
    let mut out = Vec::new();
    for (run, named) in runs.runs.iter().enumerate() {
        let mine = select::of_run(&found, run);
        for kind in &KINDS {
            let measured = matrix(&mine, "cpu_node", "node", kind.metric);
            if measured.cells.iter().flatten().all(Option::is_none) {
                continue;
            }
            let unit = select::units(&mine, kind.metric);
            let hmat = hmat_panel(&measured, &named.doc.topology, kind.hmat);
            let mut panels = vec![Panel { title: "measured".into(), ..measured }];
            panels.extend(hmat);
            out.push(Planned {
                file: format!("numa-{}-run{}.svg", kind.metric, run + 1),
                caption: format!(
                    "{} from each CPU node (rows) to each memory node (columns), CPU-less (CXL) nodes included; beside it the firmware's ACPI HMAT read figures for the same pairs where it publishes them (its best-initiator pairs only).",
                    capitalised(kind.title)
                ),
                plot: Plot::Heatmap(Heatmap {
                    title: format!("NUMA {} matrix: {}", kind.title, named.name),
                    value_label: format!("{} ({unit})", kind.title),
                    row_label: "CPU node".into(),
                    col_label: "memory node".into(),
                    panels,
                }),
            });
        }
    }
    out
}

/// A matrix of `metric` over two integer params, rows and columns sorted.
pub fn matrix(found: &[Found<'_>], row_param: &str, col_param: &str, metric: &str) -> Panel {
    let mut rows: Vec<i64> = Vec::new();
    let mut cols: Vec<i64> = Vec::new();
    let mut entries = Vec::new();
    for (_, record) in found {
        let (Some(r), Some(c)) = (int_param(record, row_param), int_param(record, col_param)) else { continue };
        if let Some(v) = select::value(record, metric) {
            entries.push((r, c, v));
            rows.push(r);
            cols.push(c);
        }
    }
    for list in [&mut rows, &mut cols] {
        list.sort_unstable();
        list.dedup();
    }
    let mut cells = vec![vec![None; cols.len()]; rows.len()];
    for (r, c, v) in entries {
        let (Ok(i), Ok(j)) = (rows.binary_search(&r), cols.binary_search(&c)) else { continue };
        cells[i][j] = Some(v);
    }
    Panel {
        title: String::new(),
        rows: rows.iter().map(ToString::to_string).collect(),
        cols: cols.iter().map(ToString::to_string).collect(),
        cells,
    }
}

fn int_param(record: &hwbench_schema::Record, name: &str) -> Option<i64> {
    crate::key::param_f64(record, name).map(|v| v as i64)
}

/// The HMAT panel on the measured grid, or nothing when HMAT has no figure
/// for any of its pairs. Access class 1 (CPU initiators) is preferred.
fn hmat_panel(measured: &Panel, topology: &Topology, figure: fn(&HmatFigures) -> Option<f64>) -> Option<Panel> {
    let lookup = |initiator: &str, target: &str| -> Option<f64> {
        let (initiator, target) = (initiator.parse::<u32>().ok()?, target.parse::<u32>().ok()?);
        let node = topology.nodes.iter().find(|n| n.os_index == target)?;
        let mut classes: Vec<&HmatFigures> = node.hmat.iter().filter(|h| h.initiators.contains(&initiator)).collect();
        classes.sort_by_key(|h| std::cmp::Reverse(h.access_class));
        classes.into_iter().find_map(figure)
    };
    let cells: Vec<Vec<Option<f64>>> =
        measured.rows.iter().map(|r| measured.cols.iter().map(|c| lookup(r, c)).collect()).collect();
    if cells.iter().flatten().all(Option::is_none) {
        return None;
    }
    Some(Panel { title: "firmware (HMAT)".into(), rows: measured.rows.clone(), cols: measured.cols.clone(), cells })
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

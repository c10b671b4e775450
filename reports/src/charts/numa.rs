//! NUMA latency and bandwidth matrices per run (initiator CPU node x memory
//! node), with the firmware's HMAT figures beside the measured ones.

use hwbench_schema::{HmatFigures, Record, Topology};

use super::select::{self, Found};
use super::{Planned, Plot};
use crate::plots::heatmap::{Heatmap, Panel};
use crate::runs::RunSet;

/// The benchmark ids this module draws.
pub const IDS: &[&str] = &["memory.matrix"];

/// The matrices of one metric: what it is called, its HMAT counterpart.
struct Kind {
    metric: &'static str,
    /// The record's `info` key with the HMAT figure, and its scale to the
    /// chart's unit (the kernel gives bandwidth in MB/s, the chart GB/s).
    info: &'static str,
    scale: f64,
    hmat: fn(&HmatFigures) -> Option<u64>,
}

const KINDS: [Kind; 2] = [
    Kind { metric: "latency", info: "hmat_read_latency_ns", scale: 1.0, hmat: |h| h.read_latency_ns },
    Kind { metric: "bandwidth", info: "hmat_read_bandwidth_mbps", scale: 1e-3, hmat: |h| h.read_bandwidth_mbps },
];

/// Two heatmaps per run that measured memory.matrix.
pub fn plan(runs: &RunSet) -> Vec<Planned> {
    let found = select::records(runs, "memory.matrix");
    let mut out = Vec::new();
    for (run, named) in runs.runs.iter().enumerate() {
        let mine = select::of_run(&found, run);
        for kind in &KINDS {
            let measured = matrix(&mine, "cpu_node", "node", |r| select::value(r, kind.metric));
            if measured.cells.iter().flatten().all(Option::is_none) {
                continue;
            }
            let unit = select::units(&mine, kind.metric);
            let topology = &named.doc.topology;
            let hmat = matrix(&mine, "cpu_node", "node", |r| hmat_figure(r, topology, kind));
            let mut panels = vec![Panel { title: "measured".into(), ..measured }];
            if hmat.cells.iter().flatten().any(Option::is_some) {
                panels.push(Panel { title: "firmware (HMAT)".into(), ..hmat });
            }
            out.push(Planned {
                file: format!("numa-{}-run{}.svg", kind.metric, run + 1),
                caption: format!(
                    "{} from each CPU node (rows) to each memory node (columns), CPU-less (CXL) nodes included; beside it the firmware's ACPI HMAT read figures for the same pairs where it publishes them (its best-initiator pairs only).",
                    capitalised(kind.metric)
                ),
                plot: Plot::Heatmap(Heatmap {
                    title: format!("NUMA {} matrix: {}", kind.metric, named.name),
                    value_label: format!("{} ({unit})", kind.metric),
                    row_label: "CPU node".into(),
                    col_label: "memory node".into(),
                    panels,
                }),
            });
        }
    }
    out
}

/// A matrix of `figure` over two integer params, rows and columns sorted;
/// a cell is empty where the figure is missing.
pub fn matrix(found: &[Found<'_>], row_param: &str, col_param: &str, figure: impl Fn(&Record) -> Option<f64>) -> Panel {
    let mut rows: Vec<i64> = Vec::new();
    let mut cols: Vec<i64> = Vec::new();
    let mut entries = Vec::new();
    for (_, record) in found {
        let (Some(r), Some(c)) = (int_param(record, row_param), int_param(record, col_param)) else { continue };
        // Every record places its row and column, so that matrices of
        // different figures over the same records share one grid.
        rows.push(r);
        cols.push(c);
        if let Some(v) = figure(record) {
            entries.push((r, c, v));
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

fn int_param(record: &Record, name: &str) -> Option<i64> {
    crate::key::param_f64(record, name).map(|v| v as i64)
}

/// The firmware's read figure for a record's (CPU node, memory node) pair:
/// the one the benchmark recorded in `info`, else the topology's (the
/// highest access class whose initiators hold the CPU node).
fn hmat_figure(record: &Record, topology: &Topology, kind: &Kind) -> Option<f64> {
    if let Some(v) = record.info.get(kind.info).and_then(|v| v.as_f64()) {
        return Some(v * kind.scale);
    }
    let initiator = u32::try_from(int_param(record, "cpu_node")?).ok()?;
    let target = u32::try_from(int_param(record, "node")?).ok()?;
    let node = topology.nodes.iter().find(|n| n.os_index == target)?;
    let figures = node.hmat.iter().filter(|h| h.initiators.contains(&initiator)).max_by_key(|h| h.access_class)?;
    (kind.hmat)(figures).map(|v| v as f64 * kind.scale)
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

//! Memory latency against working set (log x, cache sizes marked), and
//! latency per cache level.

use hwbench_schema::{CacheKind, Topology};

use super::select::{self, Found, Groups};
use super::{bars, lines, Planned, Words};
use crate::plots::line::Marker;
use crate::plots::Axis;
use crate::runs::RunSet;
use hwbench_schema::units::format_bytes;

/// The benchmark ids this module draws.
pub const IDS: &[&str] = &["memory.latency", "memory.latency.levels"];

/// The latency curve and the per-level bars, when measured.
pub fn plan(runs: &RunSet) -> Vec<Planned> {
    let mut out = Vec::new();
    let found = select::records(runs, "memory.latency");
    let curves = select::curves(runs, &found, "bytes", &[]);
    let words = Words::new(
        "memory-latency.svg",
        "Memory latency against working set",
        "Median load-to-use latency of a dependent pointer chase against the working set; one line per run (and per page size, node or CPU where those vary). Grey lines: cache sizes per instance from each run's topology.",
    );
    out.extend(lines(
        words,
        Axis::bytes("working set (bytes)"),
        "latency",
        &found,
        "latency",
        &curves,
        cache_markers(runs),
    ));
    out.extend(levels(runs, &select::records(runs, "memory.latency.levels")));
    out
}

/// One marker per distinct data or unified cache size across the runs.
fn cache_markers(runs: &RunSet) -> Vec<Marker> {
    let mut markers: Vec<(u8, u64, String)> = Vec::new();
    for topology in runs.runs.iter().map(|r| &r.doc.topology) {
        for (level, size, label) in caches(topology) {
            if !markers.iter().any(|(l, s, _)| *l == level && *s == size) {
                markers.push((level, size, label));
            }
        }
    }
    markers.sort();
    markers.into_iter().map(|(_, size, label)| Marker { x: size as f64, label }).collect()
}

fn caches(topology: &Topology) -> Vec<(u8, u64, String)> {
    topology
        .caches
        .iter()
        .filter(|c| c.kind != CacheKind::Instruction && c.size_bytes > 0)
        .map(|c| {
            let kind = if c.kind == CacheKind::Data { "d" } else { "" };
            (c.level, c.size_bytes, format!("L{}{kind} {}", c.level, format_bytes(c.size_bytes)))
        })
        .collect()
}

/// memory.latency.levels: one bar per level and run.
fn levels(runs: &RunSet, found: &[Found<'_>]) -> Option<Planned> {
    const LEVELS: [&str; 4] = ["l1", "l2", "l3", "dram"];
    let categories: Vec<&str> =
        LEVELS.iter().copied().filter(|l| found.iter().any(|(_, r)| select::value(r, l).is_some())).collect();
    if categories.is_empty() {
        return None;
    }
    let names = select::varying(found, &[]);
    let groups = Groups {
        categories: categories.iter().map(|l| l.to_uppercase()).collect(),
        series: found.iter().map(|(run, r)| select::series_label(runs, *run, r, &names)).collect(),
        values: found.iter().map(|(_, r)| categories.iter().map(|l| select::value(r, l)).collect()).collect(),
    };
    let unit = found.iter().flat_map(|(_, r)| &r.metrics).map(|m| m.unit.clone()).next().unwrap_or_default();
    let words = Words::new(
        "memory-latency-levels.svg",
        "Latency per cache level",
        "Median latency of the sweep points well inside each cache level and in DRAM, per run.",
    );
    bars(words, "level", format!("latency ({unit})"), groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_labels_name_level_kind_and_size() {
        let topology: Topology = serde_json::from_value(serde_json::json!({
            "source": "t", "packages": 1, "cores": [], "nodes": [],
            "caches": [
                { "level": 1, "kind": "data", "size_bytes": 49152, "line_bytes": 64, "associativity": 12, "shared_by_pus": [0] },
                { "level": 1, "kind": "instruction", "size_bytes": 32768, "line_bytes": 64, "associativity": 8, "shared_by_pus": [0] },
                { "level": 3, "kind": "unified", "size_bytes": 31457280, "line_bytes": 64, "associativity": 12, "shared_by_pus": [0, 1] }
            ]
        }))
        .unwrap();
        let labels: Vec<String> = caches(&topology).into_iter().map(|c| c.2).collect();
        assert_eq!(labels, ["L1d 48 KiB", "L3 30 MiB"]);
    }
}

//! Memory latency against working set (log x; the declared cache sizes
//! and the measured level boundaries marked), and latency per cache level.

use hwbench_schema::{CacheKind, Record, Topology};

use super::select::{self, Found, Groups};
use super::{bars, lines, Planned, Words};
use crate::plots::line::Marker;
use crate::plots::{Axis, Guide};
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
        "Median load-to-use latency of a dependent pointer chase against the working set; one line per run (and per page size, node or CPU where those vary). Dashed grey lines: cache sizes per instance as each run's topology declares them. Solid lines in a curve's colour: where its latency steps from one measured plateau to the next (memory.latency.levels), labelled with the levels on each side.",
    );
    let levels_found = select::records(runs, "memory.latency.levels");
    let mut markers = cache_markers(runs);
    markers.extend(measured_markers(runs, &found, &levels_found));
    out.extend(lines(words, Axis::bytes("working set (bytes)"), "latency", &found, "latency", &curves, markers));
    out.extend(levels(runs, &levels_found));
    out
}

/// Legend words of the declared and the measured markers.
const DECLARED: &str = "declared cache size (topology)";
const MEASURED: &str = "measured level boundary";

/// One dashed marker per distinct data or unified cache size across the runs.
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
    markers
        .into_iter()
        .map(|(_, size, label)| Marker { x: size as f64, label, guide: Guide::Dashed, legend: Some(DECLARED.into()) })
        .collect()
}

/// One solid marker per measured boundary of each levels record, in the
/// colour of the curve it was measured on ("L3→DRAM 11.6 MiB").
fn measured_markers(runs: &RunSet, sweep: &[Found<'_>], levels: &[Found<'_>]) -> Vec<Marker> {
    let names = select::varying(sweep, &["bytes"]);
    let curves: Vec<String> =
        select::series_of(&select::curves(runs, sweep, "bytes", &[]), "latency").into_iter().map(|s| s.label).collect();
    let mut markers = Vec::new();
    for &(run, record) in levels {
        let label = select::series_label(runs, run, record, &names);
        let colour = curves.iter().position(|c| *c == label).unwrap_or(0);
        for (bytes, from, to) in boundaries(record) {
            markers.push(Marker {
                x: bytes as f64,
                label: format!("{from}→{to} {}", format_bytes(bytes)),
                guide: Guide::Series(colour),
                legend: Some(MEASURED.into()),
            });
        }
    }
    markers
}

/// The measured boundaries a levels record states: (bytes, level below,
/// level above), the levels as "L1" ... "DRAM", "?" when unnamed. None in
/// documents from before levels were measured.
fn boundaries(record: &Record) -> Vec<(u64, String, String)> {
    let level = |v: &serde_json::Value| v.as_str().map_or("?".to_string(), str::to_uppercase);
    let Some(list) = record.info.get("measured_boundaries").and_then(|v| v.as_array()) else { return Vec::new() };
    list.iter().filter_map(|b| Some((b.get("bytes")?.as_u64()?, level(&b["from"]), level(&b["to"])))).collect()
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
        "Median latency of the points on each plateau the sweep measured, named after the declared cache levels and DRAM, per run; a declared level with no plateau of its own has no bar (the record's info.absent_levels says why).",
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

    #[test]
    fn measured_boundaries_are_read_with_the_levels_on_each_side() {
        let mut record = Record::new("memory.latency.levels", Default::default());
        assert!(boundaries(&record).is_empty(), "documents from before levels were measured have none");
        record.info.insert(
            "measured_boundaries".into(),
            serde_json::json!([
                { "bytes": 50700, "between_bytes": [44224, 51968], "from": "l1", "to": "l2" },
                { "bytes": 12144776, "between_bytes": [10568960, 13316032], "from": null, "to": "dram" },
                { "between_bytes": [1, 2] }
            ]),
        );
        let got = boundaries(&record);
        assert_eq!(got, [(50700, "L1".to_string(), "L2".to_string()), (12144776, "?".to_string(), "DRAM".to_string())]);
    }
}

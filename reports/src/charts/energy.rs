//! Energy per operation and power, wherever a record carries them.

use hwbench_schema::Metric;

use super::select::{self, index_of, Found, Groups};
use super::{bars, Planned, Words};
use crate::runs::RunSet;

/// Energy-per-operation metrics: gross and net of idle power.
const PER_OP: [&str; 2] = ["energy_per_op", "energy_per_op_net"];
/// Power metrics: gross and net of idle power.
const POWER: [&str; 2] = ["power", "power_net"];

/// One chart per energy-per-op unit (J/GB, pJ/FLOP, ...) and one of power.
pub fn plan(runs: &RunSet) -> Vec<Planned> {
    let mut units: Vec<String> = Vec::new();
    for run in &runs.runs {
        for m in run.ok_records().flat_map(|r| &r.metrics).filter(|m| PER_OP.contains(&m.name.as_str())) {
            index_of(&mut units, m.unit.clone());
        }
    }
    let mut out = Vec::new();
    for (i, unit) in units.iter().enumerate() {
        let words = Words::new(
            format!("energy-per-op-{}.svg", i + 1),
            format!("Energy per operation ({unit})"),
            "Energy of the summed meter domains over each record's window divided by the work done in it; \"net\" subtracts idle power measured before the suite.",
        );
        out.extend(bars(
            words,
            "benchmark point",
            format!("energy per operation ({unit})"),
            collect(runs, &PER_OP, Some(unit)),
        ));
    }
    let words = Words::new(
        "power.svg",
        "Power",
        "Mean power of the summed meter domains over each record's window; \"net\" subtracts idle power.",
    );
    out.extend(bars(words, "benchmark point", "power (W)".into(), collect(runs, &POWER, None)));
    out
}

/// Bars of the `names` metrics (with `unit`, when given): one category per
/// benchmark point (its id and the params that vary within that id), one
/// series per run and metric.
fn collect(runs: &RunSet, names: &[&str], unit: Option<&str>) -> Groups {
    let mut entries: Vec<(Found<'_>, &Metric)> = Vec::new();
    for (r, run) in runs.runs.iter().enumerate() {
        for record in run.ok_records() {
            for m in record.metrics.iter().filter(|m| names.contains(&m.name.as_str())) {
                if unit.is_none_or(|u| u == m.unit) {
                    entries.push(((r, record), m));
                }
            }
        }
    }
    let mut out = Groups::default();
    let mut points = Vec::new();
    for &((run, record), m) in &entries {
        let same_id: Vec<Found<'_>> = entries.iter().map(|e| e.0).filter(|(_, r)| r.id == record.id).collect();
        let varying = select::varying(&same_id, &[]);
        let params: Vec<String> =
            varying.iter().filter_map(|n| record.params.get(n).map(|v| format!("{n}={v}"))).collect();
        let category = index_of(&mut out.categories, format!("{} {}", record.id, params.join(" ")).trim().to_string());
        let net = if m.name.ends_with("_net") { " · net" } else { "" };
        let series = index_of(&mut out.series, format!("{}{net}", runs.runs[run].name));
        points.push((series, category, m.value));
    }
    out.values = vec![vec![None; out.categories.len()]; out.series.len()];
    for (s, c, v) in points {
        out.values[s][c] = Some(v);
    }
    out
}

//! Picking chart data out of the runs: records by id, series labels, curves
//! along one param, and bar groups.

use std::collections::BTreeSet;

use hwbench_schema::Record;

use crate::key::{param_f64, param_text};
use crate::plots::line::Series;
use crate::runs::RunSet;

/// A record with the index of its run.
pub type Found<'a> = (usize, &'a Record);

/// The ok records with this id, run by run, in document order.
pub fn records<'a>(runs: &'a RunSet, id: &str) -> Vec<Found<'a>> {
    runs.runs
        .iter()
        .enumerate()
        .flat_map(|(i, run)| run.ok_records().filter(|r| r.id == id).map(move |r| (i, r)))
        .collect()
}

/// The records of one run.
pub fn of_run<'a>(found: &[Found<'a>], run: usize) -> Vec<Found<'a>> {
    found.iter().copied().filter(|(r, _)| *r == run).collect()
}

/// The headline value of a metric of a record.
pub fn value(record: &Record, metric: &str) -> Option<f64> {
    record.metrics.iter().find(|m| m.name == metric).map(|m| m.value)
}

/// The distinct units `metric` has in `found`, joined: "GB/s", "GFLOP/s, GIOP/s".
pub fn units(found: &[Found<'_>], metric: &str) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for m in found.iter().flat_map(|(_, r)| &r.metrics).filter(|m| m.name == metric) {
        if !seen.contains(&m.unit.as_str()) {
            seen.push(&m.unit);
        }
    }
    seen.join(", ")
}

/// Param names, other than `exclude`, whose values differ among `found`:
/// the ones a series label must name to tell series apart.
pub fn varying(found: &[Found<'_>], exclude: &[&str]) -> Vec<String> {
    let names: BTreeSet<&String> = found.iter().flat_map(|(_, r)| r.params.keys()).collect();
    names
        .into_iter()
        .filter(|n| !exclude.contains(&n.as_str()))
        .filter(|n| {
            let values: BTreeSet<Option<String>> = found.iter().map(|(_, r)| param_text(r, n)).collect();
            values.len() > 1
        })
        .cloned()
        .collect()
}

/// A param as shown: GPU records carry the adapter's index as the param
/// and its name in `info.adapter.name`, which is what a reader knows.
pub fn shown(record: &Record, name: &str) -> Option<String> {
    let name_of_adapter = || record.info.get("adapter")?.get("name")?.as_str().map(str::to_string);
    match name {
        "adapter" => name_of_adapter().or_else(|| param_text(record, name)),
        _ => param_text(record, name),
    }
}

/// "run · node=1 page=2m": the run name and the named params of a record.
pub fn series_label(runs: &RunSet, run: usize, record: &Record, names: &[String]) -> String {
    let params: Vec<String> = names.iter().filter_map(|n| shown(record, n).map(|v| format!("{n}={v}"))).collect();
    let name = &runs.runs[run].name;
    if params.is_empty() {
        name.clone()
    } else {
        format!("{name} · {}", params.join(" "))
    }
}

/// Records of one series along a numeric param.
#[derive(Debug)]
pub struct Curve<'a> {
    pub label: String,
    /// (param value, record), sorted by the param.
    pub points: Vec<(f64, &'a Record)>,
}

/// Curves of `found` along the numeric param `along`: one per run and
/// combination of the other params (those in `exclude` ignored), labelled
/// by what varies.
pub fn curves<'a>(runs: &RunSet, found: &[Found<'a>], along: &str, exclude: &[&str]) -> Vec<Curve<'a>> {
    curves_by(runs, found, along, exclude, |r| param_f64(r, along))
}

/// As [`curves`], with the position along the curve given by `position`
/// (records it returns `None` for are left out).
pub fn curves_by<'a>(
    runs: &RunSet,
    found: &[Found<'a>],
    along: &str,
    exclude: &[&str],
    position: impl Fn(&Record) -> Option<f64>,
) -> Vec<Curve<'a>> {
    let mut skip = vec![along];
    skip.extend_from_slice(exclude);
    let names = varying(found, &skip);
    let mut curves: Vec<(usize, Curve<'a>)> = Vec::new();
    for &(run, record) in found {
        let Some(x) = position(record) else { continue };
        let label = series_label(runs, run, record, &names);
        match curves.iter_mut().find(|(r, c)| *r == run && c.label == label) {
            Some((_, curve)) => curve.points.push((x, record)),
            None => curves.push((run, Curve { label, points: vec![(x, record)] })),
        }
    }
    let mut curves: Vec<Curve<'a>> = curves.into_iter().map(|(_, c)| c).collect();
    for curve in &mut curves {
        curve.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    curves
}

/// Line series of `metric` along each curve's param; curves without the
/// metric are left out.
pub fn series_of(curves: &[Curve<'_>], metric: &str) -> Vec<Series> {
    curves
        .iter()
        .map(|c| {
            Series::new(c.label.clone(), c.points.iter().filter_map(|(x, r)| Some((*x, value(r, metric)?))).collect())
        })
        .filter(|s| !s.points.is_empty())
        .collect()
}

/// Every y value of some line series.
pub fn ys(series: &[Series]) -> Vec<f64> {
    series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect()
}

/// Values for a grouped bar chart.
#[derive(Debug, Default)]
pub struct Groups {
    pub categories: Vec<String>,
    pub series: Vec<String>,
    /// values[series][category].
    pub values: Vec<Vec<Option<f64>>>,
}

/// Bars of `metric`: categories named by the `category` params, series by
/// run and whatever else varies (params in `reduce` aside). Where several
/// records fall on one bar, the one with the largest `reduce` params wins
/// (e.g. the most threads, the largest array).
pub fn groups(runs: &RunSet, found: &[Found<'_>], metric: &str, category: &[&str], reduce: &[&str]) -> Groups {
    let mut skip = category.to_vec();
    skip.extend_from_slice(reduce);
    let names = varying(found, &skip);
    let mut out = Groups::default();
    // The winning record's reduce params per (series, category).
    let mut best: Vec<Vec<Option<Vec<f64>>>> = Vec::new();
    for &(run, record) in found {
        let Some(v) = value(record, metric) else { continue };
        let cat = category_label(record, category);
        let ser = series_label(runs, run, record, &names);
        let c = index_of(&mut out.categories, cat);
        let s = index_of(&mut out.series, ser);
        if best.len() <= s {
            best.resize(s + 1, Vec::new());
            out.values.resize(s + 1, Vec::new());
        }
        for row in best.iter_mut() {
            row.resize(out.categories.len(), None);
        }
        for row in out.values.iter_mut() {
            row.resize(out.categories.len(), None);
        }
        let rank: Vec<f64> = reduce.iter().map(|p| param_f64(record, p).unwrap_or(f64::NEG_INFINITY)).collect();
        if best[s][c].as_ref().is_none_or(|b| rank.as_slice() > b.as_slice()) {
            best[s][c] = Some(rank);
            out.values[s][c] = Some(v);
        }
    }
    out
}

/// "f32 width=4": the first param's value, then the others by name.
fn category_label(record: &Record, params: &[&str]) -> String {
    let mut parts = Vec::new();
    for (i, p) in params.iter().enumerate() {
        match shown(record, p) {
            Some(v) if i == 0 => parts.push(v),
            Some(v) => parts.push(format!("{p}={v}")),
            None => {}
        }
    }
    parts.join(" ")
}

/// Position of `item` in `list`, appending it when new.
pub fn index_of(list: &mut Vec<String>, item: String) -> usize {
    match list.iter().position(|x| *x == item) {
        Some(i) => i,
        None => {
            list.push(item);
            list.len() - 1
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use hwbench_schema::ParamValue;

    use super::*;
    use crate::inputs::Loaded;

    #[test]
    fn bars_take_the_most_threads_and_curves_follow_the_param() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/results/report-a.json");
        let doc = hwbench_schema::load(&path).unwrap();
        let runs = RunSet::new(vec![Loaded { path, doc }], None).unwrap();
        let found = records(&runs, "memory.bandwidth");
        let g = groups(&runs, &found, "bandwidth", &["kernel"], &["threads", "bytes"]);
        assert_eq!(g.categories, ["copy", "scale", "add", "triad", "read", "write", "nt_copy"]);
        assert_eq!(g.series, ["SKU A"]);
        let at_16 = found
            .iter()
            .find(|(_, r)| {
                r.params["kernel"] == ParamValue::Str("copy".into()) && r.params["threads"] == ParamValue::Int(16)
            })
            .map(|(_, r)| value(r, "bandwidth").unwrap());
        assert_eq!(g.values[0][0], at_16);
        let c = curves(&runs, &found, "threads", &[]);
        assert_eq!(c.len(), 7, "six kernels swept, nt_copy at 16 threads only");
        assert_eq!(c[0].label, "SKU A · kernel=copy");
        let xs: Vec<f64> = c[0].points.iter().map(|p| p.0).collect();
        assert_eq!(xs, [1.0, 2.0, 4.0, 8.0, 16.0]);
    }
}

//! The LLM-serving view of a machine: the CPU and GPU rooflines on one
//! chart with their measured ceilings and the GEMM and GEMV points placed
//! on them, GEMM throughput against tokens per layer shape (and as a
//! fraction of the same run's compute peak), GEMV weight bandwidth as a
//! fraction of the device's against batch, the decode bound, and transfer
//! bandwidth per host memory node.

use hwbench_schema::{ParamValue, Record, Topology};

use super::select::{self, Curve, Found};
use super::{bars, lines, Planned, Plot, Words};
use crate::key::param_f64;
use crate::plots::line::{LineChart, Series};
use crate::plots::Axis;
use crate::runs::RunSet;

/// The benchmark ids this module draws.
pub const IDS: &[&str] = &[
    "gpu.roofline",
    "gpu.roofline.ceilings",
    "cpu.roofline",
    "cpu.roofline.ceilings",
    "gpu.gemm",
    "gpu.gemm.efficiency",
    "gpu.gemv",
    "gpu.gemv.efficiency",
    "gpu.gemv.decode",
];

/// Every LLM-serving chart there is data for.
pub fn plan(runs: &RunSet) -> Vec<Planned> {
    let mut out = Vec::new();
    out.extend(roofline(runs));
    let gemm = select::records(runs, "gpu.gemm");
    let words = Words::new(
        "llm-gemm.svg",
        "GEMM throughput against tokens",
        "C = A x B for m tokens through each weight shape (n x k), validated on sampled elements; one line per shape, precision, adapter and run.",
    );
    out.extend(lines(
        words,
        Axis::auto("tokens m", &m_values(&gemm)),
        "throughput",
        &gemm,
        "throughput",
        &along(runs, &gemm, "m"),
        Vec::new(),
    ));
    let efficiency = select::records(runs, "gpu.gemm.efficiency");
    let words = Words::new(
        "llm-gemm-peak.svg",
        "GEMM as a fraction of the compute peak",
        "gpu.gemm throughput divided by the highest gpu.compute throughput of the same adapter and precision in the same run.",
    );
    out.extend(lines(
        words,
        Axis::auto("tokens m", &m_values(&efficiency)),
        "fraction of peak",
        &efficiency,
        "of_compute_peak",
        &along(runs, &efficiency, "m"),
        Vec::new(),
    ));
    let gemv = select::records(runs, "gpu.gemv");
    let words = Words::new(
        "llm-gemv.svg",
        "GEMV weight bandwidth against batch",
        "Weights streamed per second by the decode GEMV y = W x for a batch of token vectors, per weight shape, precision, adapter and run.",
    );
    out.extend(lines(
        words,
        Axis::linear("batch (token vectors)"),
        "weights streamed",
        &gemv,
        "bandwidth",
        &along(runs, &gemv, "batch"),
        Vec::new(),
    ));
    let fraction = select::records(runs, "gpu.gemv.efficiency");
    let words = Words::new(
        "llm-gemv-fraction.svg",
        "GEMV bandwidth as a fraction of the device's",
        "gpu.gemv weights streamed per second divided by the highest gpu.memory bandwidth of the same adapter in the same run, against batch.",
    );
    out.extend(lines(
        words,
        Axis::linear("batch (token vectors)"),
        "fraction of gpu.memory",
        &fraction,
        "of_memory_bandwidth",
        &along(runs, &fraction, "batch"),
        Vec::new(),
    ));
    let decode = select::records(runs, "gpu.gemv.decode");
    let words = Words::new(
        "llm-decode.svg",
        "Decode tokens per second: an upper bound from the GEMV bandwidth",
        "batch x the measured weight-streaming rate / the model's bytes, per model size: a bound computed from measured figures, not a measurement of a model (attention, KV-cache reads and launches not counted).",
    );
    out.extend(lines(
        words,
        Axis::linear("batch (token vectors)"),
        "tokens/s bound",
        &decode,
        "tokens_per_s",
        &along(runs, &decode, "batch"),
        Vec::new(),
    ));
    out.extend(transfer_nodes(runs));
    out
}

fn m_values(found: &[Found<'_>]) -> Vec<f64> {
    found.iter().filter_map(|(_, r)| param_f64(r, "m")).collect()
}

/// Curves along `param`; the other params (shape, precision, ...) tell the
/// lines apart.
fn along<'a>(runs: &RunSet, found: &[Found<'a>], param: &str) -> Vec<Curve<'a>> {
    select::curves(runs, found, param, &[])
}

/// Bytes per operand element of a record's precision.
fn element_bytes(record: &Record) -> f64 {
    match record.params.get("precision") {
        Some(ParamValue::Str(p)) if p == "f16" => 2.0,
        Some(ParamValue::Str(p)) if p == "f64" => 8.0,
        _ => 4.0,
    }
}

/// A GEMM's or GEMV's arithmetic intensity at its minimal memory traffic:
/// 2 m n k FLOP over A and B read once and C (f32) written once.
fn matmul_point(record: &Record, rows: &str) -> Option<(f64, f64)> {
    let (m, n, k) = (param_f64(record, rows)?, param_f64(record, "n")?, param_f64(record, "k")?);
    let e = element_bytes(record);
    let flops = 2.0 * m * n * k;
    let bytes = e * (m * k + n * k) + 4.0 * m * n;
    let gflops = match record.id.as_str() {
        "gpu.gemm" => select::value(record, "throughput")? * 1e3,
        _ => select::value(record, "bandwidth")? * 1e9 / (e * n * k) * flops / 1e9,
    };
    Some((flops / bytes, gflops))
}

/// Who measured a roofline, briefly: "CPU avx512" or the adapter's name up
/// to its first parenthesis ("llvmpipe", "NVIDIA H200").
fn processor(record: &Record) -> String {
    if record.id.starts_with("cpu.") {
        return format!("CPU {}", select::shown(record, "isa").unwrap_or_default());
    }
    let name = select::shown(record, "adapter").unwrap_or_else(|| "GPU".into());
    name.split(" (").next().unwrap_or(&name).to_string()
}

/// "run · roof llvmpipe f32".
fn label(runs: &RunSet, run: usize, what: &str, record: &Record) -> String {
    let precision = select::shown(record, "precision").unwrap_or_default();
    let what = if what.is_empty() { String::new() } else { format!("{what} ") };
    format!("{} · {what}{} {precision}", runs.runs[run].name, processor(record))
}

/// The roofline chart: attained FLOP/s against intensity for every CPU and
/// GPU roofline, each one's measured roof (the lower of its compute ceiling
/// and bandwidth ceiling x intensity), and the GEMM and GEMV points.
fn roofline(runs: &RunSet) -> Option<Planned> {
    let mut series = Vec::new();
    for id in ["cpu.roofline", "gpu.roofline"] {
        let found = select::records(runs, id);
        for curve in select::curves(runs, &found, "intensity", &[]) {
            let Some(&(_, first)) = curve.points.first() else { continue };
            let run = found.iter().find(|(_, r)| std::ptr::eq(*r, first)).map_or(0, |(run, _)| *run);
            let points = curve.points.iter().filter_map(|(x, r)| Some((*x, select::value(r, "throughput")?))).collect();
            series.push(Series::new(label(runs, run, "", first), points));
        }
    }
    if series.is_empty() {
        return None;
    }
    let xs: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).collect();
    let (lo, hi) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    for id in ["cpu.roofline.ceilings", "gpu.roofline.ceilings"] {
        for (run, r) in select::records(runs, id) {
            let (Some(compute), Some(bandwidth)) =
                (select::value(r, "compute_ceiling"), select::value(r, "bandwidth_ceiling"))
            else {
                continue;
            };
            let ridge = compute / bandwidth;
            let mut points = vec![(lo.min(ridge), bandwidth * lo.min(ridge)), (ridge, compute)];
            if hi > ridge {
                points.push((hi, compute));
            }
            series.push(Series::new(label(runs, run, "roof", r), points));
        }
    }
    for (id, rows) in [("gpu.gemm", "m"), ("gpu.gemv", "batch")] {
        let found = select::records(runs, id);
        for curve in along(runs, &found, rows) {
            let points: Vec<(f64, f64)> = curve.points.iter().filter_map(|(_, r)| matmul_point(r, rows)).collect();
            if !points.is_empty() {
                series.push(Series::new(format!("{} · {id}", curve.label), points));
            }
        }
    }
    let ys = select::ys(&series);
    Some(Planned {
        file: "llm-roofline.svg".into(),
        caption: "Attained GFLOP/s against arithmetic intensity (FLOP per byte read) of the CPU and GPU roofline kernels, each with its measured roof: the lower of its compute ceiling and bandwidth ceiling x intensity (both the highest figures measured, not vendor peaks). GEMM and GEMV points sit at their minimal-traffic intensity (A and B read once, C written once).".into(),
        plot: Plot::Line(LineChart {
            title: "Roofline: CPU and GPU, with GEMM and GEMV".into(),
            x: Axis::auto("arithmetic intensity (FLOP/byte)", &xs),
            y: Axis::auto("attained GFLOP/s", &ys),
            series,
            markers: Vec::new(),
        }),
    })
}

/// Host-node transfer bandwidth: one bar per node (its tier from the run's
/// topology), a series per direction, the largest transfer size each.
fn transfer_nodes(runs: &RunSet) -> Option<Planned> {
    let found: Vec<Found<'_>> =
        select::records(runs, "gpu.transfer").into_iter().filter(|(_, r)| r.params.contains_key("host_node")).collect();
    let mut groups = select::groups(runs, &found, "bandwidth", &["host_node"], &["bytes"]);
    for category in &mut groups.categories {
        let tier = runs.runs.iter().find_map(|run| tier_of(&run.doc.topology, category));
        *category = match tier {
            Some(t) => format!("node {category} ({t})"),
            None => format!("node {category}"),
        };
    }
    let words = Words::new(
        "llm-transfer-nodes.svg",
        "Host-device transfer bandwidth per host memory node",
        "KV-cache offload: bandwidth of transfers whose host buffer is bound to each memory node (CPU-less CXL nodes included; placement verified, the driver's staging memory located: see each record), largest size measured, per direction, adapter and run.",
    );
    bars(words, "host memory node", format!("bandwidth ({})", select::units(&found, "bandwidth")), groups)
}

fn tier_of(topology: &Topology, node: &str) -> Option<String> {
    let node: u32 = node.parse().ok()?;
    let n = topology.nodes.iter().find(|n| n.os_index == node)?;
    let tier = serde_json::to_value(n.tier.as_ref()?.tier).ok()?;
    tier.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use hwbench_schema::{Better, Metric};

    use super::*;
    use crate::inputs::Loaded;

    /// The two committed runs of a 2-core VM (lavapipe and its CPU) give
    /// every LLM chart; the roofline holds both processors' attained
    /// curves and measured roofs, and the GEMM and GEMV points.
    #[test]
    fn a_measured_llm_run_draws_every_chart() {
        let loaded = ["llm-gpu.json", "llm-cpu.json"]
            .iter()
            .map(|name| {
                let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/results").join(name);
                Loaded { doc: hwbench_schema::load(&path).unwrap(), path }
            })
            .collect();
        let runs = RunSet::new(loaded, None).unwrap();
        let planned = plan(&runs);
        let files: Vec<&str> = planned.iter().map(|p| p.file.as_str()).collect();
        assert_eq!(
            files,
            [
                "llm-roofline.svg",
                "llm-gemm.svg",
                "llm-gemm-peak.svg",
                "llm-gemv.svg",
                "llm-gemv-fraction.svg",
                "llm-decode.svg",
                "llm-transfer-nodes.svg"
            ]
        );
        let Plot::Line(roof) = &planned[0].plot else { panic!("the roofline is a line chart") };
        let labels: Vec<&str> = roof.series.iter().map(|s| s.label.as_str()).collect();
        assert!(
            labels.contains(&"2-core VM · CPU avx512 f32") || labels.iter().any(|l| l.starts_with("2-core VM · CPU")),
            "{labels:?}"
        );
        assert!(labels.contains(&"lavapipe · llvmpipe f32"), "{labels:?}");
        assert!(labels.contains(&"lavapipe · roof llvmpipe f32"), "{labels:?}");
        assert!(
            labels.iter().any(|l| l.ends_with("gpu.gemm")) && labels.iter().any(|l| l.ends_with("gpu.gemv")),
            "{labels:?}"
        );
        // A roof rises with intensity to the ridge, then stays flat.
        let roof_points = &roof.series.iter().find(|s| s.label.contains("roof llvmpipe")).unwrap().points;
        assert!(roof_points.windows(2).all(|w| w[1].1 >= w[0].1 && w[1].0 > w[0].0), "{roof_points:?}");
        let super::Plot::Bars(nodes) = &planned[6].plot else { panic!("bars") };
        assert_eq!(nodes.categories, ["node 0 (local_dram)"]);
    }

    fn record(id: &str, params: &[(&str, ParamValue)], metric: &str, value: f64) -> Record {
        let params: BTreeMap<String, ParamValue> = params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        let mut r = Record::new(id, params);
        r.metrics.push(Metric::new(metric, "x", value, "median", vec![value], Better::Higher));
        r
    }

    #[test]
    fn matmul_points_sit_at_their_minimal_traffic_intensity() {
        let int = |v: i64| ParamValue::Int(v);
        let f32_ = ("precision", ParamValue::Str("f32".into()));
        let gemm =
            record("gpu.gemm", &[("m", int(64)), ("n", int(64)), ("k", int(64)), f32_.clone()], "throughput", 0.5);
        let (x, y) = matmul_point(&gemm, "m").unwrap();
        assert_eq!(x, 2.0 * 64f64.powi(3) / (4.0 * 3.0 * 64.0 * 64.0));
        assert_eq!(y, 500.0);
        // A GEMV at batch 1 streams each weight for 2 FLOP: y = bandwidth x 2 / 4.
        let gemv =
            record("gpu.gemv", &[("batch", int(1)), ("n", int(4096)), ("k", int(4096)), f32_], "bandwidth", 100.0);
        let (x, y) = matmul_point(&gemv, "batch").unwrap();
        assert!((x - 0.5).abs() < 1e-3, "{x}");
        assert!((y - 50.0).abs() < 1e-9, "{y}");
    }
}

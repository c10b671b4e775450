//! The machine at a glance: the figures a report opens with. Per memory
//! tier, seen from the reference node ([`targets`]): idle latency
//! (memory.latency.levels `dram`, else memory.matrix, else the zero-load
//! point of memory.loaded_latency), loaded latency at
//! saturation (memory.loaded_latency at its smallest delay, read traffic
//! first) and peak bandwidth (the highest of memory.bandwidth and
//! memory.matrix); the CPU's and each GPU's peaks (cpu.roofline.ceilings,
//! gpu.compute, gpu.memory); each with the energy per operation of its
//! record where a meter counted. What a run did not measure is absent and
//! named as not measured, never estimated.

pub mod targets;

use hwbench_schema::{Metric, ParamValue, Record, RecordStatus, ResultDocument};

use crate::key::{param_f64, param_text, params_text};
use targets::{tier_name, tier_order, Target};

/// What a row of the glance shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    IdleLatency,
    LoadedLatency,
    PeakBandwidth,
    CpuFlops,
    CpuBandwidth,
    GpuFlops,
    GpuMemory,
}

impl Kind {
    /// Its name in report.json: "idle_latency", "gpu_flops", ...
    pub fn id(self) -> &'static str {
        match self {
            Kind::IdleLatency => "idle_latency",
            Kind::LoadedLatency => "loaded_latency",
            Kind::PeakBandwidth => "peak_bandwidth",
            Kind::CpuFlops => "cpu_flops",
            Kind::CpuBandwidth => "cpu_bandwidth",
            Kind::GpuFlops => "gpu_flops",
            Kind::GpuMemory => "gpu_memory",
        }
    }

    /// The figure in words.
    pub fn what(self) -> &'static str {
        match self {
            Kind::IdleLatency => "idle latency",
            Kind::LoadedLatency => "loaded latency at saturation",
            Kind::PeakBandwidth => "peak bandwidth",
            Kind::CpuFlops | Kind::GpuFlops => "peak FLOP/s",
            Kind::CpuBandwidth => "roofline bandwidth ceiling",
            Kind::GpuMemory => "memory bandwidth",
        }
    }
}

/// The kinds a first screen answers for, with the benchmarks that measure
/// them, named when a run has none.
const EXPECTED: [(&[Kind], &str); 5] = [
    (
        &[Kind::IdleLatency],
        "DRAM idle latency (memory.latency.levels dram: a point at 4x the last-level cache or more; memory.matrix; \
         memory.loaded_latency delay=none)",
    ),
    (&[Kind::LoadedLatency], "loaded latency (memory.loaded_latency)"),
    (&[Kind::PeakBandwidth], "memory bandwidth (memory.bandwidth, memory.matrix)"),
    (&[Kind::CpuFlops, Kind::CpuBandwidth], "CPU peaks (cpu.roofline)"),
    (&[Kind::GpuFlops, Kind::GpuMemory], "GPU peaks (gpu.compute, gpu.memory)"),
];

/// One figure of the glance.
#[derive(Debug, Clone)]
pub struct Row {
    /// What it is, the same text in every run: "local DRAM · idle latency".
    pub label: String,
    pub kind: Kind,
    /// Index of its record in the document's `benchmarks`, and of the
    /// metric in the record.
    pub record: usize,
    pub metric: usize,
    /// Index of the record's `energy_per_op` metric, where a meter counted.
    pub energy: Option<usize>,
    /// Where it comes from: "memory.bandwidth kernel=triad threads=2".
    pub source: String,
    /// A fact that goes with it: the traffic of a loaded latency.
    pub note: Option<String>,
    /// The kind of limit it is set beside, in words ("DRAM limit").
    pub limit_name: &'static str,
    /// Rows sort by it: memory tiers nearest first, then CPU, then GPUs.
    order: (u8, u32, Kind, String),
}

/// The glance of one run.
#[derive(Debug, Clone)]
pub struct Glance {
    /// The node the memory tiers are seen from.
    pub home: Option<u32>,
    pub rows: Vec<Row>,
    /// What the run did not measure, in words.
    pub not_measured: Vec<&'static str>,
}

impl Glance {
    /// True when some row's record has energy per operation.
    pub fn metered(&self) -> bool {
        self.rows.iter().any(|r| r.energy.is_some())
    }
}

/// A candidate for a row: the lowest `score` wins, the first among equals.
struct Candidate {
    row: Row,
    score: f64,
}

/// The glance of a run's document.
pub fn of(doc: &ResultDocument) -> Glance {
    let home = targets::reference_node(doc);
    let mut candidates: Vec<Candidate> = Vec::new();
    for (r, record) in doc.benchmarks.iter().enumerate().filter(|(_, r)| r.status == RecordStatus::Ok) {
        for (kind, metric, score) in figures_of(record) {
            let Some(row) = row(doc, home, r, record, kind, metric) else { continue };
            match candidates.iter_mut().find(|c| c.row.order == row.order) {
                Some(c) if score < c.score => *c = Candidate { row, score },
                Some(_) => {}
                None => candidates.push(Candidate { row, score }),
            }
        }
    }
    let mut rows: Vec<Row> = candidates.into_iter().map(|c| c.row).collect();
    rows.sort_by(|a, b| a.order.cmp(&b.order));
    let not_measured =
        EXPECTED.iter().filter(|(kinds, _)| !rows.iter().any(|r| kinds.contains(&r.kind))).map(|(_, w)| *w).collect();
    Glance { home, rows, not_measured }
}

/// The glance figures a record offers: (kind, metric index, score).
fn figures_of(record: &Record) -> Vec<(Kind, usize, f64)> {
    let metric = |name: &str| record.metrics.iter().position(|m| m.name == name && m.value.is_finite());
    let peak = |kind, name: &str| metric(name).map(|i| (kind, i, -record.metrics[i].value));
    let found = match record.id.as_str() {
        "memory.latency.levels" => vec![metric("dram").map(|i| (Kind::IdleLatency, i, 0.0))],
        "memory.matrix" => {
            vec![metric("latency").map(|i| (Kind::IdleLatency, i, 1.0)), peak(Kind::PeakBandwidth, "bandwidth")]
        }
        "memory.bandwidth" => vec![peak(Kind::PeakBandwidth, "bandwidth")],
        "memory.loaded_latency" => match loaded_score(record) {
            Some(s) => vec![metric("latency").map(|i| (Kind::LoadedLatency, i, s))],
            // The zero-load point: idle latency, where nothing better measured it.
            None => vec![metric("latency").map(|i| (Kind::IdleLatency, i, 2.0))],
        },
        "cpu.roofline.ceilings" => {
            vec![peak(Kind::CpuFlops, "compute_ceiling"), peak(Kind::CpuBandwidth, "bandwidth_ceiling")]
        }
        "gpu.compute" => vec![peak(Kind::GpuFlops, "throughput")],
        "gpu.memory" => vec![peak(Kind::GpuMemory, "bandwidth")],
        _ => Vec::new(),
    };
    found.into_iter().flatten().collect()
}

/// The highest load first: read traffic before other mixes, then the
/// smallest injected delay. The zero-load point (`delay=none`) has none.
fn loaded_score(record: &Record) -> Option<f64> {
    let delay = param_f64(record, "delay")?;
    let other_mix = param_text(record, "mix").is_some_and(|m| m != "read");
    Some(delay + if other_mix { 1e12 } else { 0.0 })
}

/// The row a record's figure makes, when it belongs on the glance.
fn row(doc: &ResultDocument, home: Option<u32>, r: usize, record: &Record, kind: Kind, metric: usize) -> Option<Row> {
    let (place, order, limit_name) = match kind {
        Kind::IdleLatency | Kind::LoadedLatency | Kind::PeakBandwidth => {
            let Target { tier, node } = targets::of(doc, record, home)?;
            let shown = node.filter(|n| Some(*n) != home);
            let place = match shown {
                Some(n) => format!("{} (node {n})", tier_name(tier)),
                None => tier_name(tier).to_string(),
            };
            let group = u32::from(tier_order(tier)) << 16 | shown.map_or(0, |n| n + 1);
            (place, (0, group, kind, String::new()), targets::limit_name(tier))
        }
        Kind::CpuFlops | Kind::CpuBandwidth => {
            let precision = if kind == Kind::CpuFlops { precision(record) } else { String::new() };
            (format!("CPU{precision}"), (1, 0, kind, precision), "limit")
        }
        Kind::GpuFlops | Kind::GpuMemory => {
            let adapter = param_text(record, "adapter").unwrap_or_default();
            let precision = if kind == Kind::GpuFlops { precision(record) } else { String::new() };
            let group = adapter.parse().unwrap_or(u32::MAX);
            (format!("GPU {adapter}{precision}"), (2, group, kind, precision), "part's published limit")
        }
    };
    // i32 throughput counts integer operations.
    let what = if record.metrics[metric].unit.contains("IOP") { "peak IOP/s" } else { kind.what() };
    Some(Row {
        label: format!("{place} · {what}"),
        kind,
        record: r,
        metric,
        energy: record.metrics.iter().position(|m| m.name == "energy_per_op" && m.value.is_finite()),
        source: format!("{} {}", record.id, params_text(&record.params)).trim().to_string(),
        note: (kind == Kind::LoadedLatency).then(|| traffic(record)).flatten(),
        limit_name,
        order,
    })
}

/// " f32": the precision param, for labels.
fn precision(record: &Record) -> String {
    match record.params.get("precision") {
        Some(ParamValue::Str(p)) => format!(" {p}"),
        _ => String::new(),
    }
}

/// "with 30.21 GB/s of read traffic": what loaded the memory.
fn traffic(record: &Record) -> Option<String> {
    let m: &Metric = record.metrics.iter().find(|m| m.name == "bandwidth")?;
    let mix = param_text(record, "mix").unwrap_or_else(|| "read".into());
    Some(format!("with {} {} of {mix} traffic", crate::format::value(m.value), m.unit))
}

//! `gpu.gemv`: the decode step of an LLM, y = W x for a batch of 1 to 64
//! token vectors over layer-shaped weights (gemv.wgsl), validated against
//! the host; GB/s of weights streamed. Its summaries: `gpu.gemv.efficiency`
//! (that bandwidth as a fraction of the same run's `gpu.memory`) and
//! `gpu.gemv.decode` (a tokens-per-second bound for a model size).

use std::collections::BTreeMap;

use hwbench_probes::energy::Work;
use hwbench_schema::{Better, Record};
use serde::Serialize;

use super::device::GpuDevice;
use super::fma::Precision;
use super::matmul::{self, Operands, Shape, PRECISION, PRECISIONS, SHAPES};
use super::pass::{grid, Binding, Pipeline, TimedPass};
use super::point::{self, choices, ADAPTER};
use super::timing::{self, sample, GpuSamples, Headline};
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::harness::SamplerConfig;
use crate::host::Host;
use crate::params::{Param, ParamKind, Settings, Unset};
use crate::registry::{erase, Benchmark, BenchmarkSpec, Measured};
use crate::same_run::{self, same_param};
use crate::session::Session;

const ID: &str = "gpu.gemv";
/// Id of the bandwidth-fraction summary.
pub const EFFICIENCY_ID: &str = "gpu.gemv.efficiency";
const TEMPLATE: &str = include_str!("gemv.wgsl");
const ROWS: &str = include_str!("gemv_rows.wgsl");
/// The uniforms and bindings of both kernels (the `{{BINDINGS}}` of
/// gemv.wgsl and gemv_rows.wgsl).
const BINDINGS: &str = "struct Uniforms {
    // Weight rows (outputs per vector).
    n: u32,
    // vec4s per row (k / 4).
    k4: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Uniforms;
@group(0) @binding(1) var<storage, read> w: array<vec4<{{T}}>>;
@group(0) @binding(2) var<storage, read> x: array<vec4<{{T}}>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;";
/// Invocations per workgroup (one workgroup per weight row).
pub const WORKGROUP: u32 = 64;
/// The largest batch (rows of x).
pub const MAX_BATCH: u32 = 64;
/// Products each invocation adds in f16 before adding into f32 (one vec4 dot).
pub const F16_PARTIAL: u32 = 4;

const BATCH: Param<String> = Param::new(
    "batch",
    ParamKind::Text,
    Unset::Value("1,2,4,8,16,32,64"),
    "token vectors per step (1 to 64), comma separated",
);

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "decode GEMV y = W x over LLM layer shapes for batch 1 to 64, validated; GB/s of weights streamed",
    metrics: "bandwidth GB/s (weights streamed, median), bandwidth_host; summaries gpu.gemv.efficiency (fraction of gpu.memory), gpu.gemv.decode (tokens/s bound)",
    params: &[ADAPTER.spec, PRECISION.spec, SHAPES.spec, BATCH.spec, super::decode::MODEL_BYTES.spec],
    uses_gpu: true,
    summaries: &[EFFICIENCY_ID, super::decode::DECODE_ID],
    make: || erase(GemvBench::default()),
};

/// The benchmark; keeps the model sizes the decode summary is asked for.
#[derive(Default)]
pub struct GemvBench {
    model_bytes: Vec<u64>,
}

/// One point: a batch over one weight shape in one precision on one adapter.
#[derive(Debug, Clone, Serialize)]
pub struct GemvPoint {
    /// The adapter's index; None when there is no adapter (skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter: Option<usize>,
    /// "f32" or "f16".
    pub precision: String,
    /// Output features.
    pub n: u32,
    /// Input features.
    pub k: u32,
    /// Token vectors.
    pub batch: u32,
}

impl Benchmark for GemvBench {
    type Point = GemvPoint;

    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<GemvPoint>, BenchError> {
        let shapes = matmul::shapes(settings)?;
        let batches = matmul::counts(settings, &BATCH, 1..=MAX_BATCH)?;
        self.model_bytes = super::decode::model_bytes(settings)?;
        let mut points = Vec::new();
        for adapter in point::adapters(settings, host)? {
            for precision in choices(&PRECISION, &PRECISIONS, settings)? {
                for shape in &shapes {
                    for &batch in &batches {
                        points.push(GemvPoint { adapter, precision: precision.clone(), n: shape.n, k: shape.k, batch });
                    }
                }
            }
        }
        Ok(points)
    }

    fn measure(&mut self, p: &GemvPoint, session: &mut Session) -> Result<Measured, BenchError> {
        let gpu = point::device_of(p.adapter, session)?;
        let precision = Precision::parse(&p.precision).unwrap_or(Precision::F32);
        let operands = Operands::new(&gpu, precision, p.batch, Shape { n: p.n, k: p.k })?;
        let cfg = timing::sampler(session);
        let gemv = Gemv::new(&gpu, &operands)?;
        let samples = gemv.sample(&gpu, session, cfg, &operands)?;
        let mut measured = finish(&gpu, &gemv, &operands, &samples)?;
        measured.info.extend(point::provenance(&gpu));
        Ok(measured)
    }

    /// The weights are made and uploaded, the kernel compiled, the product
    /// sampled and read back and checked.
    fn estimate(&self, p: &GemvPoint, _previous: Option<&GemvPoint>, cost: &CostModel) -> f64 {
        if !cost.has_gpu(p.adapter) {
            return 0.0;
        }
        let element = if p.precision == "f16" { 2.0 } else { 4.0 };
        let (n, k, batch) = (f64::from(p.n), f64::from(p.k), f64::from(p.batch));
        let weights = n * k * element;
        cost.transfer(weights)
            + cost.gpu_compile(p.adapter)
            + cost.gpu_phase(p.adapter, weights + (n + k) * batch * 4.0, 2.0 * n * k * batch)
    }

    fn summarize(&self, own: &[Record], all: &[Record], _session: &mut Session) -> Vec<Record> {
        let mut out: Vec<Record> =
            own.iter().filter(|r| r.params.contains_key("adapter")).map(|r| efficiency(r, all)).collect();
        out.extend(super::decode::bounds(own, &self.model_bytes));
        out
    }
}

/// `gpu.gemv.efficiency` of one gpu.gemv record: its bandwidth as a
/// fraction of the highest gpu.memory bandwidth of the same adapter in the
/// run, or skipped saying why there is none.
fn efficiency(record: &Record, all: &[Record]) -> Record {
    let adapter = record.params.get("adapter");
    let wanted = format!("adapter {}", adapter.map_or_else(String::new, ToString::to_string));
    let mut params = record.params.clone();
    params.retain(|k, _| k != "model_bytes");
    let Some(bandwidth) = record.metrics.iter().find(|m| m.name == "bandwidth") else {
        let why = record.reason.clone().unwrap_or_else(|| "the gpu.gemv record has no bandwidth".into());
        return same_run::skipped(EFFICIENCY_ID, params, format!("gpu.gemv {}: {why}", describe_status(record)));
    };
    let mut out = match same_run::best(all, "gpu.memory", "bandwidth", &wanted, |r| same_param(r, "adapter", adapter)) {
        Ok(reference) => {
            let mut out = Record::new(EFFICIENCY_ID, params);
            out.metrics.push(same_run::ratio(bandwidth, reference.value, "of_memory_bandwidth", "fraction"));
            out.info.insert("reference".into(), reference.to_json());
            out.info.insert(
                "definition".into(),
                "weights streamed per second by gpu.gemv / the highest bandwidth any gpu.memory kernel reached on the same adapter in this run".into(),
            );
            out
        }
        Err(why) => same_run::skipped(EFFICIENCY_ID, params, why),
    };
    same_run::carry_adapter(&mut out, std::iter::once(record));
    out
}

fn describe_status(record: &Record) -> String {
    format!("{:?}", record.status).to_lowercase()
}

/// A GEMV pipeline for one batch, shape and precision.
pub struct Gemv {
    pipeline: Pipeline,
    /// Products added in the operand precision before f32 (1 for f32).
    pub partial: u32,
    /// How the workgroup adds its partial sums.
    pub reduction: &'static str,
}

/// The uniform block (matches `Uniforms` in gemv.wgsl).
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct GemvUniforms {
    n: u32,
    k4: u32,
    pad: [u32; 2],
}

/// How a GEMV kernel lays its work out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A workgroup per row, invocations along it (gemv.wgsl); sums through
    /// subgroups when `subgroups`, else workgroup memory.
    AlongRows {
        /// Use subgroupAdd.
        subgroups: bool,
    },
    /// A row per invocation, x shared by broadcasts in subgroups of this
    /// fixed size (gemv_rows.wgsl).
    RowPerInvocation {
        /// The subgroup size.
        subgroup: u32,
    },
}

impl Gemv {
    /// Compiles the kernel for `operands` (their rows are the batch) in the
    /// layout that suits the device: a row per invocation on a software
    /// adapter with fixed-size subgroups (lavapipe: loads from computed
    /// addresses are loops over the lanes, so x is better shared than
    /// loaded), else along rows (consecutive invocations read consecutive
    /// weights, as GPUs need), with subgroup sums where there are subgroups.
    pub fn new(gpu: &GpuDevice, operands: &Operands) -> Result<Self, BenchError> {
        let layout = match gpu.fixed_subgroup(WORKGROUP) {
            Some(subgroup) if gpu.adapter.is_software() => Layout::RowPerInvocation { subgroup },
            _ => Layout::AlongRows { subgroups: gpu.has(wgpu::Features::SUBGROUP) },
        };
        Self::with_layout(gpu, operands, layout)
    }

    /// As [`Gemv::new`], in `layout`.
    pub fn with_layout(gpu: &GpuDevice, operands: &Operands, layout: Layout) -> Result<Self, BenchError> {
        let (text, groups, reduction) = match layout {
            Layout::AlongRows { subgroups } => (
                source(operands.precision, operands.rows, subgroups),
                grid(gpu, u64::from(operands.shape.n), 1)?,
                if subgroups {
                    "a workgroup per row: subgroupAdd within each subgroup, then the subgroups' sums through workgroup memory"
                } else {
                    "a workgroup per row: sums through workgroup memory (no subgroup operations on this device)"
                },
            ),
            Layout::RowPerInvocation { subgroup } => (
                rows_source(operands.precision, operands.rows, subgroup),
                grid(gpu, u64::from(operands.shape.n), WORKGROUP)?,
                "a row per invocation, x shared by subgroupBroadcast: no sums across invocations",
            ),
        };
        let module = gpu.shader(ID, &text)?;
        let params = gpu.buffer(
            "gpu.gemv params",
            std::mem::size_of::<GemvUniforms>() as u64,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        let u = GemvUniforms { n: operands.shape.n, k4: operands.shape.k / 4, pad: [0; 2] };
        gpu.queue.write_buffer(&params, 0, bytemuck::bytes_of(&u));
        let bindings = [
            Binding::Uniform(&params),
            Binding::StorageRead(&operands.w),
            Binding::StorageRead(&operands.a),
            Binding::Storage(&operands.c),
        ];
        let pipeline = Pipeline::new(gpu, &module, "main", &bindings, groups)?;
        let partial = if operands.precision == Precision::F16 { F16_PARTIAL } else { 1 };
        Ok(Gemv { pipeline, partial, reduction })
    }

    /// The pipeline (one dispatch is one product).
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The pipeline, keeping nothing else.
    pub fn into_pipeline(self) -> Pipeline {
        self.pipeline
    }

    /// Clears C, then samples the product with `cfg`.
    pub fn sample(
        &self,
        gpu: &GpuDevice,
        session: &mut Session,
        cfg: SamplerConfig,
        operands: &Operands,
    ) -> Result<GpuSamples, BenchError> {
        operands.clear(gpu);
        let work = Work { amount: operands.weight_bytes() as f64 / 1e9, unit: "GB" };
        sample(session, cfg, &mut TimedPass::new(gpu, &self.pipeline).with_work(work))
    }
}

/// The WGSL of a GEMV of `batch` vectors in `precision`.
pub fn source(precision: Precision, batch: u32, subgroups: bool) -> String {
    let t = precision.name();
    let accumulate: Vec<String> = (0..batch)
        .map(|b| {
            let product = format!("dot(wv, x[{b}u * params.k4 + i])");
            let product = if precision == Precision::F16 { format!("f32({product})") } else { product };
            format!("        acc[{b}] += {product};")
        })
        .collect();
    let (builtins, reduce, parts) = if subgroups {
        let reduce: Vec<String> = (0..batch)
            .map(|b| format!("    let s{b} = subgroupAdd(acc[{b}]);\n    if sg_lane == 0u {{ partial[{b}u * WG + sg_id] = s{b}; }}"))
            .collect();
        (
            "\n    @builtin(subgroup_invocation_id) sg_lane: u32,\n    @builtin(subgroup_id) sg_id: u32,\n    @builtin(num_subgroups) sg_count: u32,",
            reduce.join("\n"),
            "sg_count",
        )
    } else {
        let reduce: Vec<String> = (0..batch).map(|b| format!("    partial[{b}u * WG + t] = acc[{b}];")).collect();
        ("", reduce.join("\n"), "WG")
    };
    let mut enable = Vec::new();
    if precision == Precision::F16 {
        enable.push("enable f16;");
    }
    TEMPLATE
        .replace("{{BINDINGS}}", BINDINGS)
        .replace("{{ENABLE}}", &enable.join("\n"))
        .replace("{{REDUCTION}}", if subgroups { "subgroupAdd, then workgroup memory" } else { "workgroup memory" })
        .replace("{{WORKGROUP}}", &WORKGROUP.to_string())
        .replace("{{BATCH}}", &batch.to_string())
        .replace("{{T}}", t)
        .replace("{{SUBGROUP_BUILTINS}}", builtins)
        .replace("{{ACCUMULATE}}", &accumulate.join("\n"))
        .replace("{{REDUCE}}", &reduce)
        .replace("{{PARTS}}", parts)
}

/// The WGSL of the row-per-invocation GEMV of `batch` vectors in
/// `precision`, for subgroups of `subgroup`.
pub fn rows_source(precision: Precision, batch: u32, subgroup: u32) -> String {
    let t = precision.name();
    let f16 = precision == Precision::F16;
    let declare: Vec<String> = (0..batch).map(|b| format!("    var acc{b} = 0.0;")).collect();
    let load_x: Vec<String> = (0..batch).map(|b| format!("        let xs{b} = x[{b}u * params.k4 + mine];")).collect();
    let mut steps = Vec::new();
    for j in 0..subgroup {
        // The step is the same for every invocation: uniform control flow.
        steps.push(format!("        if kc + {j}u < params.k4 {{"));
        steps.push(format!("            let wv = w[base + kc + {j}u];"));
        for b in 0..batch {
            let dot = format!("dot(wv, subgroupBroadcast(xs{b}, {j}u))");
            let dot = if f16 { format!("f32({dot})") } else { dot };
            steps.push(format!("            acc{b} += {dot};"));
        }
        steps.push("        }".into());
    }
    let store: Vec<String> = (0..batch).map(|b| format!("        y[{b}u * params.n + row] = acc{b};")).collect();
    ROWS.replace("{{BINDINGS}}", BINDINGS)
        .replace("{{ENABLE}}", if f16 { "enable f16;" } else { "" })
        .replace("{{WORKGROUP}}", &WORKGROUP.to_string())
        .replace("{{SUBGROUP}}", &subgroup.to_string())
        .replace("{{T}}", t)
        .replace("{{DECLARE}}", &declare.join("\n"))
        .replace("{{LOAD_X}}", &load_x.join("\n"))
        .replace("{{STEPS}}", &steps.join("\n"))
        .replace("{{STORE}}", &store.join("\n"))
}

/// Validates the product, then makes the record's figures: weights
/// streamed per second.
pub fn finish(gpu: &GpuDevice, gemv: &Gemv, operands: &Operands, samples: &GpuSamples) -> Result<Measured, BenchError> {
    operands.validate(gpu, gemv.partial)?;
    let streamed = operands.weight_bytes() as f64 * samples.iterations as f64;
    let metrics = samples.metrics("bandwidth", "GB/s", Better::Higher, Headline::Median, |secs| streamed / secs / 1e9);
    let mut info: BTreeMap<String, serde_json::Value> = samples.info();
    info.insert("weight_bytes".into(), operands.weight_bytes().into());
    info.insert("flop_per_dispatch".into(), operands.flops().into());
    info.insert(
        "byte_counting".into(),
        "weights only (n x k x element size), read once per dispatch; the batch vectors (cached) and y are not counted"
            .into(),
    );
    info.insert("reduction".into(), gemv.reduction.into());
    info.insert("workgroup_size".into(), WORKGROUP.into());
    if operands.precision == Precision::F16 {
        info.insert("arithmetic".into(), "f16 vec4 dot products, added into f32 sums".into());
    }
    info.insert("validated".into(), operands.check_described("y", gemv.partial).into());
    Ok(Measured { metrics, placement: None, info })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_accumulates_every_vector_and_reduces_it() {
        for subgroups in [false, true] {
            let src = source(Precision::F16, 3, subgroups);
            assert!(!src.contains("{{"));
            assert!(src.contains("acc[2] += f32(dot(wv, x[2u * params.k4 + i]));"));
            assert_eq!(src.contains("subgroupAdd(acc[2])"), subgroups);
            assert!(src.contains("const BATCH: u32 = 3u;") && src.contains("enable f16;"));
        }
        assert!(source(Precision::F32, 1, false).contains("acc[0] += dot(wv, x[0u * params.k4 + i]);"));
        let rows = rows_source(Precision::F16, 2, 8);
        assert!(!rows.contains("{{") && rows.contains("acc1 += f32(dot(wv, subgroupBroadcast(xs1, 7u)));"));
        assert_eq!(rows.matches("let wv = w[base + kc + ").count(), 8);
    }
}

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

    fn summarize(&self, own: &[Record], all: &[Record], _host: &Host) -> Vec<Record> {
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

impl Gemv {
    /// Compiles the kernel for `operands` (their rows are the batch), with
    /// subgroup sums where the device has them.
    pub fn new(gpu: &GpuDevice, operands: &Operands) -> Result<Self, BenchError> {
        Self::with_subgroups(gpu, operands, gpu.has(wgpu::Features::SUBGROUP))
    }

    /// As [`Gemv::new`], choosing whether to use subgroup operations.
    pub fn with_subgroups(gpu: &GpuDevice, operands: &Operands, subgroups: bool) -> Result<Self, BenchError> {
        let module = gpu.shader(ID, &source(operands.precision, operands.rows, subgroups))?;
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
        let groups = grid(gpu, u64::from(operands.shape.n), 1)?;
        let pipeline = Pipeline::new(gpu, &module, "main", &bindings, groups)?;
        let partial = if operands.precision == Precision::F16 { F16_PARTIAL } else { 1 };
        let reduction = if subgroups {
            "subgroupAdd within each subgroup, then the subgroups' sums through workgroup memory"
        } else {
            "through workgroup memory (no subgroup operations on this device)"
        };
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
    }
}

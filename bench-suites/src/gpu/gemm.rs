//! `gpu.gemm`: C = A x B over LLM layer shapes (m tokens x k features times
//! k x n weights) per precision, validated against the host on sampled
//! elements, in TFLOP/s; and `gpu.gemm.efficiency`, each figure as a
//! fraction of the same run's `gpu.compute` peak of that precision.
//!
//! Kernels: `tiled` (gemm.wgsl: workgroup-memory tiles of A and B, a block
//! of C per invocation in registers), `subgroup` (gemm_subgroup.wgsl: A's
//! tile held in the registers of a subgroup and shared by subgroup
//! broadcasts), `skinny` for a few tokens (the GEMV kernel of gemv.rs with
//! the tokens as its batch: subgroup sums where the adapter has them), and
//! `coop` through wgpu's experimental cooperative matrices (gemm_coop.wgsl)
//! where the adapter offers a configuration that fits. `auto` takes coop
//! when it fits, else skinny up to [`SKINNY_MAX`] tokens, else on a
//! software adapter with fixed-size subgroups the subgroup kernel, else
//! tiled. (On lavapipe every load whose address is not a compile-time
//! constant runs as a scalar loop over the lanes, workgroup memory
//! included, so the kernel that loads least per multiply-add wins there;
//! on GPUs workgroup memory is what tiles are for.)

use std::collections::BTreeMap;

use hwbench_probes::energy::Work;
use hwbench_schema::{Better, Record};
use serde::Serialize;

use super::device::GpuDevice;
use super::fma::Precision;
use super::gemv::Gemv;
use super::matmul::{self, Operands, Shape, PRECISION, PRECISIONS, SHAPES};
use super::pass::{Binding, Pipeline, TimedPass};
use super::point::{self, choices, ADAPTER};
use super::timing::{self, sample, GpuSamples, Headline};
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::host::Host;
use crate::params::{Param, ParamKind, Settings, Unset};
use crate::registry::{erase, Benchmark, BenchmarkSpec, Measured};
use crate::same_run::{self, same_param};
use crate::session::Session;

const ID: &str = "gpu.gemm";
/// Id of the peak-fraction summary.
pub const EFFICIENCY_ID: &str = "gpu.gemm.efficiency";
const TILED: &str = include_str!("gemm.wgsl");
const COOP: &str = include_str!("gemm_coop.wgsl");
const SUBGROUP: &str = include_str!("gemm_subgroup.wgsl");
/// The uniforms and bindings of the tiled and subgroup kernels (the
/// `{{BINDINGS}}` of gemm.wgsl and gemm_subgroup.wgsl).
const VEC4_BINDINGS: &str = "struct Uniforms {
    m: u32,
    n: u32,
    // vec4s per row of A and B (k / 4).
    k4: u32,
    k_tiles: u32,
}

@group(0) @binding(0) var<uniform> params: Uniforms;
@group(0) @binding(1) var<storage, read> a: array<vec4<{{T}}>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<{{T}}>>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;";
/// The k-tile of the tiled kernel (its `TK`).
pub const TILE_K: u32 = 8;
/// Rows of C per workgroup of the tiled kernel (its `TM`).
pub const TILE_M: u32 = 16;
/// Invocations per workgroup of the tiled kernel (its `WG`).
pub const TILED_WORKGROUP: u32 = 64;
/// Token counts up to which `auto` takes the skinny kernel.
pub const SKINNY_MAX: u32 = 16;
/// The largest m.
pub const MAX_M: u32 = 16384;
/// Kernel choices.
pub const KERNELS: [&str; 5] = ["auto", "tiled", "subgroup", "skinny", "coop"];

const M: Param<String> =
    Param::new("m", ParamKind::Text, Unset::Value("1,8,32,128,512,2048"), "tokens (rows of A and C), comma separated");
const KERNEL: Param<String> = Param::new(
    "kernel",
    ParamKind::Choice(&KERNELS),
    Unset::Value("auto"),
    "GEMM kernel (auto: coop, skinny, subgroup or tiled)",
);

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "GEMM C = A x B over LLM layer shapes and token counts, validated on sampled elements; TFLOP/s",
    metrics: "throughput TFLOP/s (median), throughput_host; summary gpu.gemm.efficiency: of_compute_peak (fraction of gpu.compute in the same run)",
    params: &[ADAPTER.spec, PRECISION.spec, SHAPES.spec, M.spec, KERNEL.spec],
    uses_gpu: true,
    summaries: &[EFFICIENCY_ID],
    make: || erase(Gemm),
};

/// The benchmark (stateless: operands are made per point).
pub struct Gemm;

/// One point: m tokens through one weight shape in one precision on one
/// adapter, with the kernel asked for.
#[derive(Debug, Clone, Serialize)]
pub struct GemmPoint {
    /// The adapter's index; None when there is no adapter (skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter: Option<usize>,
    /// "f32" or "f16".
    pub precision: String,
    /// Tokens.
    pub m: u32,
    /// Output features.
    pub n: u32,
    /// Input features.
    pub k: u32,
    /// The kernel asked for ("auto" resolves when measuring; info.kernel
    /// says which ran).
    pub kernel: String,
}

impl Benchmark for Gemm {
    type Point = GemmPoint;

    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<GemmPoint>, BenchError> {
        let shapes = matmul::shapes(settings)?;
        let ms = matmul::counts(settings, &M, 1..=MAX_M)?;
        let kernel = KERNEL.value(settings)?;
        let mut points = Vec::new();
        for adapter in point::adapters(settings, host)? {
            for precision in choices(&PRECISION, &PRECISIONS, settings)? {
                for shape in &shapes {
                    for &m in &ms {
                        points.push(GemmPoint {
                            adapter,
                            precision: precision.clone(),
                            m,
                            n: shape.n,
                            k: shape.k,
                            kernel: kernel.clone(),
                        });
                    }
                }
            }
        }
        Ok(points)
    }

    fn measure(&mut self, p: &GemmPoint, session: &mut Session) -> Result<Measured, BenchError> {
        let gpu = point::device_of(p.adapter, session)?;
        let precision = Precision::parse(&p.precision).unwrap_or(Precision::F32);
        let shape = Shape { n: p.n, k: p.k };
        let choice = choose(&gpu, &p.kernel, precision, p.m, shape)?;
        let operands = Operands::new(&gpu, precision, p.m, shape)?;
        let kernel = GemmKernel::new(&gpu, &operands, &choice)?;
        operands.clear(&gpu);
        let work = Work { amount: operands.flops(), unit: "FLOP" };
        let cfg = timing::sampler(session);
        let samples = sample(session, cfg, &mut TimedPass::new(&gpu, kernel.pipeline()).with_work(work))?;
        let mut measured = finish(&gpu, &kernel, &operands, &samples)?;
        if let Some(why) = choice.coop_note {
            measured.info.insert("cooperative_matrix".into(), why.into());
        }
        measured.info.extend(point::provenance(&gpu));
        Ok(measured)
    }

    /// The operands are made and uploaded, the kernel compiled, the
    /// product sampled and C read back and checked.
    fn estimate(&self, p: &GemmPoint, _previous: Option<&GemmPoint>, cost: &CostModel) -> f64 {
        if !cost.has_gpu(p.adapter) {
            return 0.0;
        }
        let element = if p.precision == "f16" { 2.0 } else { 4.0 };
        let (m, n, k) = (f64::from(p.m), f64::from(p.n), f64::from(p.k));
        let operands = (m * k + k * n) * element;
        cost.transfer(operands + m * n * 4.0)
            + cost.gpu_compile(p.adapter)
            + cost.gpu_phase(p.adapter, operands + m * n * 4.0, 2.0 * m * n * k)
    }

    fn summarize(&self, own: &[Record], all: &[Record], _session: &mut Session) -> Vec<Record> {
        own.iter().filter(|r| r.params.contains_key("adapter")).map(|r| efficiency(r, all)).collect()
    }
}

/// `gpu.gemm.efficiency` of one gpu.gemm record.
fn efficiency(record: &Record, all: &[Record]) -> Record {
    let (adapter, precision) = (record.params.get("adapter"), record.params.get("precision"));
    let Some(throughput) = record.metrics.iter().find(|m| m.name == "throughput") else {
        let why = record.reason.clone().unwrap_or_else(|| "no throughput".into());
        return same_run::skipped(
            EFFICIENCY_ID,
            record.params.clone(),
            format!("the gpu.gemm record has no figure: {why}"),
        );
    };
    let wanted = format!(
        "adapter {} and precision {}",
        adapter.map_or_else(String::new, ToString::to_string),
        precision.map_or_else(String::new, ToString::to_string)
    );
    let found = same_run::best(all, "gpu.compute", "throughput", &wanted, |r| {
        same_param(r, "adapter", adapter) && same_param(r, "precision", precision)
    });
    let mut out = match found {
        Ok(reference) => {
            // gpu.compute is in GFLOP/s, gpu.gemm in TFLOP/s.
            let mut out = Record::new(EFFICIENCY_ID, record.params.clone());
            out.metrics.push(same_run::ratio(throughput, reference.value / 1e3, "of_compute_peak", "fraction"));
            out.info.insert("reference".into(), reference.to_json());
            out.info.insert(
                "definition".into(),
                "gpu.gemm throughput / the highest gpu.compute throughput of the same adapter and precision in this run (with kernel coop, tensor units gpu.compute does not use: the fraction may exceed 1)".into(),
            );
            if let Some(kernel) = record.info.get("kernel") {
                out.info.insert("kernel".into(), kernel.clone());
            }
            out
        }
        Err(why) => same_run::skipped(EFFICIENCY_ID, record.params.clone(), why),
    };
    same_run::carry_adapter(&mut out, std::iter::once(record));
    out
}

/// Which kernel runs a point.
#[derive(Debug, Clone, PartialEq)]
pub enum KernelKind {
    /// gemm.wgsl with `columns` columns of C per invocation.
    Tiled {
        /// Columns of C each invocation computes (1 or 4).
        columns: u32,
    },
    /// gemm_subgroup.wgsl: A's rows shared by subgroup broadcasts, subgroups
    /// of `size`, `groups` x `size` rows and `columns` columns of C per
    /// invocation.
    Subgroup {
        /// The adapter's (fixed) subgroup size.
        size: u32,
        /// Rows of A each invocation loads (so `groups` x `size` rows of C
        /// per workgroup).
        groups: u32,
        /// Columns of C each invocation computes.
        columns: u32,
    },
    /// The GEMV kernel with the tokens as its batch.
    Skinny,
    /// Cooperative matrices of `size` x `size`, one subgroup of `subgroup`
    /// invocations per tile.
    Coop {
        /// Tile side (8 or 16).
        size: u32,
        /// Invocations per workgroup: the adapter's largest subgroup.
        subgroup: u32,
    },
}

/// The kernel chosen and, when cooperative matrices were not used, why.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The kernel.
    pub kind: KernelKind,
    /// Why not cooperative matrices, when another kernel runs.
    pub coop_note: Option<String>,
}

/// The cooperative configuration that fits, or why none does.
pub fn coop_fit(gpu: &GpuDevice, precision: Precision, m: u32, shape: Shape) -> Result<KernelKind, String> {
    if let Some(note) = &gpu.cooperative_note {
        return Err(note.clone());
    }
    let ab = match precision {
        Precision::F16 => wgpu::CooperativeScalarType::F16,
        _ => wgpu::CooperativeScalarType::F32,
    };
    let offered: Vec<String> = gpu
        .cooperative
        .iter()
        .map(|c| format!("{}x{}x{} {:?}->{:?}", c.m_size, c.n_size, c.k_size, c.ab_type, c.cr_type))
        .collect();
    let fit = gpu
        .cooperative
        .iter()
        .filter(|c| c.ab_type == ab && c.cr_type == wgpu::CooperativeScalarType::F32)
        .filter(|c| c.m_size == c.n_size && c.n_size == c.k_size)
        .map(|c| c.m_size)
        .max();
    let Some(size) = fit else {
        return Err(format!(
            "{}: no square cooperative configuration with {} inputs and f32 sums (offered: {})",
            gpu.adapter.name,
            precision.name(),
            if offered.is_empty() { "none".into() } else { offered.join(", ") }
        ));
    };
    if !m.is_multiple_of(size) || !shape.n.is_multiple_of(size) || !shape.k.is_multiple_of(size) {
        return Err(format!("m={m}, n={}, k={} are not all multiples of the {size}x{size} tiles", shape.n, shape.k));
    }
    Ok(KernelKind::Coop { size, subgroup: gpu.subgroup_sizes.1.max(1) })
}

/// The subgroup kernel's layout, or why this adapter cannot run it: it
/// needs subgroup operations with one fixed size that divides the workgroup.
pub fn subgroup_fit(gpu: &GpuDevice) -> Result<KernelKind, String> {
    let size = gpu.fixed_subgroup(SUBGROUP_WORKGROUP).ok_or_else(|| {
        let (least, most) = gpu.subgroup_sizes;
        if gpu.has(wgpu::Features::SUBGROUP) {
            format!(
                "{}: subgroups of {least} to {most} invocations: the kernel needs one fixed size dividing {SUBGROUP_WORKGROUP}",
                gpu.adapter.name
            )
        } else {
            format!("{}: no subgroup operations", gpu.adapter.name)
        }
    })?;
    // At least 16 rows per subgroup and about 48 sums per invocation: on
    // lavapipe (subgroups of 8) 2 rows of A loaded and 16 x 3 of C per
    // invocation measured best (each load from a computed address is a
    // loop over the lanes; the sums that spill cost plain vector loads).
    let groups = (16 / size).max(1);
    Ok(KernelKind::Subgroup { size, groups, columns: (48 / (size * groups)).clamp(1, 4) })
}

/// The kernel for `asked` at this point; a kernel that cannot run here is
/// unavailable with the reason.
pub fn choose(gpu: &GpuDevice, asked: &str, precision: Precision, m: u32, shape: Shape) -> Result<Choice, BenchError> {
    let fallback = if m <= SKINNY_MAX {
        KernelKind::Skinny
    } else if gpu.adapter.is_software() {
        subgroup_fit(gpu).unwrap_or(tiled_for(gpu))
    } else {
        tiled_for(gpu)
    };
    match asked {
        "coop" => coop_fit(gpu, precision, m, shape)
            .map(|kind| Choice { kind, coop_note: None })
            .map_err(|why| BenchError::Unavailable(format!("cooperative matrices: {why}"))),
        "tiled" => Ok(Choice { kind: tiled_for(gpu), coop_note: None }),
        "subgroup" => subgroup_fit(gpu)
            .map(|kind| Choice { kind, coop_note: None })
            .map_err(|why| BenchError::Unavailable(format!("the subgroup kernel: {why}"))),
        "skinny" if m > super::gemv::MAX_BATCH => Err(BenchError::Unavailable(format!(
            "the skinny kernel keeps one sum per token in registers: at most {} tokens",
            super::gemv::MAX_BATCH
        ))),
        "skinny" => Ok(Choice { kind: KernelKind::Skinny, coop_note: None }),
        _ => Ok(match coop_fit(gpu, precision, m, shape) {
            Ok(kind) if m > SKINNY_MAX => Choice { kind, coop_note: None },
            Ok(_) => Choice { kind: fallback, coop_note: Some(format!("not used: {m} tokens take the skinny kernel")) },
            Err(why) => Choice { kind: fallback, coop_note: Some(format!("not used: {why}")) },
        }),
    }
}

/// Invocations per workgroup of the subgroup kernel.
pub const SUBGROUP_WORKGROUP: u32 = 64;

/// The tiled kernel's columns per invocation: one on a software adapter
/// (lavapipe runs invocations as the lanes of CPU vectors, so each
/// invocation's values take a vector register: 16 sums fit, 64 spill),
/// four elsewhere (GPU registers hold a 16 x 4 block, and one 16-byte load
/// of B serves 64 multiply-adds).
fn tiled_for(gpu: &GpuDevice) -> KernelKind {
    KernelKind::Tiled { columns: if gpu.adapter.is_software() { 1 } else { 4 } }
}

/// The uniform block of the tiled and cooperative kernels.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct GemmUniforms {
    m: u32,
    n: u32,
    k: u32,
    k_tiles: u32,
}

/// A compiled GEMM over some operands.
pub struct GemmKernel {
    kind: KernelKind,
    pipeline: Pipeline,
    /// The skinny kernel keeps its own uniforms; the others keep these.
    params: Option<(wgpu::Buffer, GemmUniforms)>,
    _zeros: Option<wgpu::Buffer>,
    /// Products added in the operand precision before f32.
    pub partial: u32,
    /// What the kernel is, for the record.
    pub description: String,
}

impl GemmKernel {
    /// Compiles `choice` for `operands`.
    pub fn new(gpu: &GpuDevice, operands: &Operands, choice: &Choice) -> Result<Self, BenchError> {
        let (m, shape, precision) = (operands.rows, operands.shape, operands.precision);
        let f16 = precision == Precision::F16;
        let arithmetic = |p: u32| {
            if f16 {
                format!("f16 multiply-adds over {p} products at a time, added into f32")
            } else {
                "f32 multiply-adds".to_string()
            }
        };
        let in_vec4s = GemmUniforms { m, n: shape.n, k: shape.k / 4, k_tiles: shape.k.div_ceil(TILE_K) };
        let (source, uniforms, groups, partial, description, zeros) = match choice.kind {
            KernelKind::Skinny => {
                let gemv = Gemv::new(gpu, operands)?;
                let description =
                    format!("skinny: the GEMV kernel with the {m} tokens as its batch; sums {}", gemv.reduction);
                let partial = gemv.partial;
                return Ok(GemmKernel {
                    kind: choice.kind.clone(),
                    pipeline: gemv.into_pipeline(),
                    params: None,
                    _zeros: None,
                    partial,
                    description,
                });
            }
            KernelKind::Tiled { columns } => {
                let partial = if f16 { TILE_K } else { 1 };
                let description = format!(
                    "tiled: {TILE_M}x{} tiles of C per workgroup of {TILED_WORKGROUP}, k-tiles of {TILE_K} in workgroup memory, {TILE_M}x{columns} of C per invocation in registers (A's values broadcast); {}",
                    TILED_WORKGROUP * columns,
                    arithmetic(partial)
                );
                let groups = [shape.n.div_ceil(TILED_WORKGROUP * columns), m.div_ceil(TILE_M), 1];
                (tiled_source(precision, columns), in_vec4s, groups, partial, description, None)
            }
            KernelKind::Subgroup { size, groups: row_groups, columns } => {
                let partial = if f16 { 4 } else { 1 };
                let rows = size * row_groups;
                let description = format!(
                    "subgroup: {rows}x{} tiles of C per workgroup of {SUBGROUP_WORKGROUP}; A's {rows} rows held {row_groups} per invocation and shared by subgroupBroadcast, {rows}x{columns} of C per invocation in registers; {}",
                    SUBGROUP_WORKGROUP * columns,
                    arithmetic(partial)
                );
                let groups = [shape.n.div_ceil(SUBGROUP_WORKGROUP * columns), m.div_ceil(rows), 1];
                (subgroup_source(precision, size, row_groups, columns), in_vec4s, groups, partial, description, None)
            }
            KernelKind::Coop { size, subgroup } => {
                let uniforms = GemmUniforms { m, n: shape.n, k: shape.k, k_tiles: shape.k / size };
                let zeros = gpu.buffer(
                    "gpu.gemm zeros",
                    u64::from(size * size) * 4,
                    wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                );
                let description = format!(
                    "coop: wgpu cooperative matrices {size}x{size}x{size}, {} inputs, f32 sums, one subgroup of {subgroup} per tile",
                    precision.name()
                );
                let groups = [shape.n / size, m / size, 1];
                (coop_source(precision, size, subgroup), uniforms, groups, 1, description, Some(zeros))
            }
        };
        check_grid(gpu, groups)?;
        let params = uniform_buffer(gpu, &uniforms);
        let mut bindings = vec![
            Binding::Uniform(&params),
            Binding::StorageRead(&operands.a),
            Binding::StorageRead(&operands.w),
            Binding::Storage(&operands.c),
        ];
        if let Some(zeros) = &zeros {
            bindings.push(Binding::StorageRead(zeros));
        }
        let module = gpu.shader(ID, &source)?;
        let pipeline = Pipeline::new(gpu, &module, "main", &bindings, groups)?;
        drop(bindings);
        Ok(GemmKernel {
            kind: choice.kind.clone(),
            pipeline,
            params: Some((params, uniforms)),
            _zeros: zeros,
            partial,
            description,
        })
    }

    /// The pipeline; one dispatch is one product.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The kernel.
    pub fn kind(&self) -> &KernelKind {
        &self.kind
    }

    /// Computes only the first `tiles` k-tiles from now on (tests: a
    /// product missing a tile must fail validation). No effect on the
    /// skinny kernel.
    pub fn set_k_tiles(&mut self, gpu: &GpuDevice, tiles: u32) {
        if let Some((buffer, uniforms)) = &mut self.params {
            uniforms.k_tiles = tiles;
            gpu.queue.write_buffer(buffer, 0, bytemuck::bytes_of(uniforms));
        }
    }
}

fn uniform_buffer(gpu: &GpuDevice, uniforms: &GemmUniforms) -> wgpu::Buffer {
    let buffer = gpu.buffer(
        "gpu.gemm params",
        std::mem::size_of::<GemmUniforms>() as u64,
        wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
    );
    gpu.queue.write_buffer(&buffer, 0, bytemuck::bytes_of(uniforms));
    buffer
}

fn check_grid(gpu: &GpuDevice, groups: [u32; 3]) -> Result<(), BenchError> {
    let max = gpu.limits.max_compute_workgroups_per_dimension;
    if groups.iter().any(|&g| g > max) {
        return Err(BenchError::Unavailable(format!("{groups:?} workgroups exceed the device's {max} per dimension")));
    }
    Ok(())
}

/// The tiled kernel's WGSL: [`TILE_M`] rows by `columns` (1 or 4) columns
/// of C per invocation.
pub fn tiled_source(precision: Precision, columns: u32) -> String {
    let t = precision.name();
    let f16 = precision == Precision::F16;
    let vector = columns == 4;
    let (acc, part) = if vector { ("vec4<f32>", format!("vec4<{t}>")) } else { ("f32", t.to_string()) };
    let target = if f16 { "part" } else { "acc" };
    let mut multiply = Vec::new();
    for g in 0..TILE_M / 4 {
        multiply.push(format!("            let a{g} = As[kk * (TM / 4u) + {g}u];"));
        for (i, lane) in ["x", "y", "z", "w"].iter().enumerate() {
            let r = 4 * g + i as u32;
            let factor = match (vector, f16) {
                (true, true) => format!("vec4<f16>(a{g}.{lane})"),
                (true, false) => format!("vec4<f32>(a{g}.{lane})"),
                (false, _) => format!("a{g}.{lane}"),
            };
            multiply.push(format!("            {target}[{r}] = fma({factor}, bk, {target}[{r}]);"));
        }
    }
    let (declare, flush) = if f16 {
        (
            format!("    var part: array<{part}, RM>;"),
            format!("        for (var i = 0u; i < RM; i++) {{\n            acc[i] += {acc}(part[i]);\n            part[i] = {part}();\n        }}"),
        )
    } else {
        (String::new(), String::new())
    };
    let (bs_type, layout, store_b, load_b, store_c) = if vector {
        (
            "array<vec4<{{T}}>, TK * TN / 4u>",
            "Bs[kk * TN / 4 + j] holds columns 4j .. 4j+3.",
            "                Bs[(4u * q + i) * (TN / 4u) + col / 4u][col % 4u] = bv[i];",
            "Bs[kk * (TN / 4u) + t]",
            "            for (var j = 0u; j < 4u; j++) {\n                let col = col0 + 4u * t + j;\n                if col < params.n {\n                    c[row * params.n + col] = acc[i][j];\n                }\n            }",
        )
    } else {
        (
            "array<{{T}}, TK * TN>",
            "Bs[kk * TN + j] holds column j.",
            "                Bs[(4u * q + i) * TN + col] = bv[i];",
            "Bs[kk * TN + t]",
            "            let col = col0 + t;\n            if col < params.n {\n                c[row * params.n + col] = acc[i];\n            }",
        )
    };
    let accumulation = if f16 {
        "f16: the products of each k-tile are multiply-added in f16, then added into the f32 block."
    } else {
        "f32 multiply-adds into the f32 block."
    };
    TILED
        .replace("{{BINDINGS}}", VEC4_BINDINGS)
        .replace("{{ENABLE}}", if f16 { "enable f16;" } else { "" })
        .replace("{{ACCUMULATION}}", accumulation)
        .replace("{{BS_TYPE}}", bs_type)
        .replace("{{BS_LAYOUT}}", layout)
        .replace("{{STORE_B}}", store_b)
        .replace("{{LOAD_B}}", load_b)
        .replace("{{STORE_C}}", store_c)
        .replace("{{CN}}", &columns.to_string())
        .replace("{{ACC}}", acc)
        .replace("{{T}}", t)
        .replace("{{DECLARE_PARTIAL}}", &declare)
        .replace("{{MULTIPLY}}", &multiply.join("\n"))
        .replace("{{FLUSH_PARTIAL}}", &flush)
}

/// The subgroup kernel's WGSL for subgroups of `size`, `groups` rows of A
/// loaded per invocation and `columns` columns of C per invocation.
pub fn subgroup_source(precision: Precision, size: u32, groups: u32, columns: u32) -> String {
    let f16 = precision == Precision::F16;
    let rows = size * groups;
    let cols = 0..columns;
    let mut column_lines = Vec::new();
    let mut declare = Vec::new();
    let mut load_b = Vec::new();
    let mut multiply = Vec::new();
    let mut store = Vec::new();
    let row_lines: Vec<String> = (0..groups)
        .map(|g| format!("    let ra{g} = min(row0 + {g}u * S + lane, params.m - 1u) * params.k4;"))
        .collect();
    let load_a: Vec<String> = (0..groups).map(|g| format!("        let al{g} = a[ra{g} + kq];")).collect();
    for j in cols.clone() {
        column_lines.push(format!("    let col{j} = wid.x * (WG * CN) + {j}u * WG + t;"));
        column_lines.push(format!("    let rb{j} = min(col{j}, params.n - 1u) * params.k4;"));
        load_b.push(format!("        let bv{j} = b[rb{j} + kq];"));
        store.push(format!("    if col{j} < params.n {{"));
        for r in 0..rows {
            declare.push(format!("    var acc{r}_{j} = 0.0;"));
            store.push(format!(
                "        if row0 + {r}u < params.m {{ c[(row0 + {r}u) * params.n + col{j}] = acc{r}_{j}; }}"
            ));
        }
        store.push("    }".into());
    }
    for r in 0..rows {
        multiply.push(format!("        let ar{r} = subgroupBroadcast(al{}, {}u);", r / size, r % size));
        for j in cols.clone() {
            let (x, y) = (format!("ar{r}"), format!("bv{j}"));
            multiply.push(if f16 {
                format!("        acc{r}_{j} += f32(fma({x}.x, {y}.x, fma({x}.y, {y}.y, fma({x}.z, {y}.z, {x}.w * {y}.w))));")
            } else {
                format!("        acc{r}_{j} = fma({x}.x, {y}.x, fma({x}.y, {y}.y, fma({x}.z, {y}.z, fma({x}.w, {y}.w, acc{r}_{j}))));")
            });
        }
    }
    let accumulation = if f16 {
        "f16: each vec4 of k is multiply-added in f16, then added into the f32 block."
    } else {
        "f32 multiply-adds into the f32 block."
    };
    SUBGROUP
        .replace("{{BINDINGS}}", VEC4_BINDINGS)
        .replace("{{ENABLE}}", if f16 { "enable f16;" } else { "" })
        .replace("{{ACCUMULATION}}", accumulation)
        .replace("{{WORKGROUP}}", &SUBGROUP_WORKGROUP.to_string())
        .replace("{{SUBGROUP}}", &size.to_string())
        .replace("{{GROUPS}}", &groups.to_string())
        .replace("{{ROWS}}", &row_lines.join("\n"))
        .replace("{{LOAD_A}}", &load_a.join("\n"))
        .replace("{{CN}}", &columns.to_string())
        .replace("{{T}}", precision.name())
        .replace("{{COLUMNS}}", &column_lines.join("\n"))
        .replace("{{DECLARE}}", &declare.join("\n"))
        .replace("{{LOAD_B}}", &load_b.join("\n"))
        .replace("{{MULTIPLY}}", &multiply.join("\n"))
        .replace("{{STORE}}", &store.join("\n"))
}

/// The cooperative kernel's WGSL.
pub fn coop_source(precision: Precision, size: u32, subgroup: u32) -> String {
    COOP.replace("{{ENABLE}}", if precision == Precision::F16 { "enable f16;" } else { "" })
        .replace("{{SIZE}}", &size.to_string())
        .replace("{{SUBGROUP}}", &subgroup.to_string())
        .replace("{{T}}", precision.name())
}

/// Validates C, then makes the record's figures.
pub fn finish(
    gpu: &GpuDevice,
    kernel: &GemmKernel,
    operands: &Operands,
    samples: &GpuSamples,
) -> Result<Measured, BenchError> {
    operands.validate(gpu, kernel.partial)?;
    let flops = operands.flops() * samples.iterations as f64;
    let metrics =
        samples.metrics("throughput", "TFLOP/s", Better::Higher, Headline::Median, |secs| flops / secs / 1e12);
    let mut info: BTreeMap<String, serde_json::Value> = samples.info();
    let name = match kernel.kind() {
        KernelKind::Tiled { .. } => "tiled",
        KernelKind::Subgroup { .. } => "subgroup",
        KernelKind::Skinny => "skinny",
        KernelKind::Coop { .. } => "coop",
    };
    info.insert("kernel".into(), name.into());
    info.insert("kernel_detail".into(), kernel.description.clone().into());
    info.insert("flop_per_dispatch".into(), operands.flops().into());
    info.insert("operations".into(), "2 x m x n x k per product (a multiply-add counts 2)".into());
    info.insert("validated".into(), operands.check_described("C", kernel.partial).into());
    Ok(Measured { metrics, placement: None, info })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tiled_source_multiplies_every_row_of_the_block() {
        for (precision, columns) in [(Precision::F32, 1), (Precision::F16, 4), (Precision::F16, 1), (Precision::F32, 4)]
        {
            let src = tiled_source(precision, columns);
            assert!(!src.contains("{{"), "unfilled placeholder");
            let target = if precision == Precision::F16 { "part" } else { "acc" };
            for r in 0..TILE_M {
                assert_eq!(src.matches(&format!("{target}[{r}] = fma(")).count(), 1, "row {r}");
            }
            assert!(src.contains(&format!("const CN: u32 = {columns}u;")));
            assert!(
                src.contains(&format!("const TK: u32 = {TILE_K}u;"))
                    && src.contains(&format!("const RM: u32 = {TILE_M}u;"))
            );
            let flush = if columns == 4 { "acc[i] += vec4<f32>(part[i]);" } else { "acc[i] += f32(part[i]);" };
            assert_eq!(src.contains(flush), precision == Precision::F16);
        }
        let sub = subgroup_source(Precision::F16, 8, 2, 2);
        assert!(!sub.contains("{{") && sub.contains("let ar15 = subgroupBroadcast(al1, 7u);"));
        assert_eq!(sub.matches("acc15_1 += f32(fma(").count(), 1);
        assert!(sub.contains("let ra1 = min(row0 + 1u * S + lane"));
        let coop = coop_source(Precision::F16, 16, 32);
        assert!(coop.contains("coop_mat16x16<f16, A>") && coop.contains("@workgroup_size(32)") && !coop.contains("{{"));
    }
}

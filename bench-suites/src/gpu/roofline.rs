//! `gpu.roofline`: attained FLOP/s and bytes/s of kernels of arithmetic
//! intensity 1/8 to 256 FLOP per byte read (roofline.wgsl; the work per
//! element and its closed form: crate::roofline::work), per precision, and
//! `gpu.roofline.ceilings`, the measured compute and bandwidth ceilings and
//! the ridge point beside the same run's `gpu.compute` peak and
//! `gpu.memory` bandwidth.

use std::collections::BTreeMap;
use std::time::Duration;

use hwbench_probes::energy::Work as EnergyWork;
use hwbench_schema::{units::format_bytes, Better, ParamValue, Record};
use serde::Serialize;

use super::device::GpuDevice;
use super::fma::Precision;
use super::memory::largest_array;
use super::pass::{grid, Binding, Pipeline, TimedPass};
use super::point::{self, choices, ADAPTER};
use super::timing::{self, sample, Headline};
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::harness::{best_metric, SamplerConfig, Workload};
use crate::host::Host;
use crate::params::{Param, ParamKind, Settings, Unset};
use crate::registry::{erase, Benchmark, BenchmarkSpec, Measured};
use crate::roofline::summary::{self, BANDWIDTH, BANDWIDTH_BEST, THROUGHPUT};
use crate::roofline::work::{chain_end, Bits, Work, CHAINS, CHAIN_BOUND, MULTIPLIERS};
use crate::roofline::{intensities, INTENSITY};
use crate::same_run::{self, same_param};
use crate::session::Session;

const ID: &str = "gpu.roofline";
/// Id of the summary record.
pub const CEILINGS_ID: &str = "gpu.roofline.ceilings";
const TEMPLATE: &str = include_str!("roofline.wgsl");
/// Invocations per workgroup.
pub const WORKGROUP: u32 = 256;
/// Invocations of a dispatch at most (each reads CHAINS chains, each chain
/// several elements): enough to fill the largest GPUs.
pub const MAX_INVOCATIONS: u64 = 1 << 18;
/// Elements per chain the data allow at least, before the invocations are
/// capped (so the sparse work has whole groups).
pub const MIN_ELEMENTS: u64 = 16;
/// A dispatch lasting longer than this reads less of the data, down to
/// [`MIN_BYTES`].
pub const DISPATCH_TARGET: Duration = Duration::from_millis(50);
/// The data a dispatch reads at least (or all of it, when smaller): large
/// enough to leave the caches of current GPUs.
pub const MIN_BYTES: u64 = 256 << 20;
/// Invocations whose output is checked at most (evenly spread, first and
/// last included).
const CHECKED: u64 = 4096;
/// The precisions measured.
const PRECISIONS: [&str; 2] = ["f32", "f16"];

const PRECISION: Param<String> =
    Param::new("precision", ParamKind::Choice(&PRECISIONS), Unset::Derived("both"), "arithmetic and data type");
const BYTES: Param<u64> = Param::new(
    "bytes",
    ParamKind::Bytes,
    Unset::Derived("as gpu.memory's arrays: the binding limit, at most 4 GiB"),
    "data read by the low-intensity kernels",
);

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "GPU roofline: attained FLOP/s and GB/s from 1/8 to 256 FLOP per byte read, validated",
    metrics: "throughput GFLOP/s, bandwidth GB/s (median), _host; summary gpu.roofline.ceilings: compute_ceiling, bandwidth_ceiling, ridge, fractions of gpu.compute and gpu.memory",
    params: &[ADAPTER.spec, PRECISION.spec, INTENSITY.spec, BYTES.spec],
    uses_gpu: true,
    summaries: &[CEILINGS_ID],
    make: || erase(Roofline::default()),
};

/// The benchmark; keeps the data of the last adapter, precision and size.
#[derive(Default)]
pub struct Roofline {
    data: Option<((usize, &'static str, u64), RoofData)>,
}

/// One point: an intensity in one precision on one adapter.
#[derive(Debug, Clone, Serialize)]
pub struct RooflinePoint {
    /// The adapter's index; None when there is no adapter (skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter: Option<usize>,
    /// "f32" or "f16".
    pub precision: &'static str,
    /// FLOP per byte read.
    pub intensity: f64,
    /// Bytes of data; None without an adapter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

impl Benchmark for Roofline {
    type Point = RooflinePoint;

    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<RooflinePoint>, BenchError> {
        let asked = BYTES.get(settings)?;
        let precisions = choices(&PRECISION, &PRECISIONS, settings)?;
        let lanes: Vec<u32> = precisions.iter().map(|p| lane_bytes(p)).collect();
        let intensities = intensities(settings, &lanes)?;
        let mut points = Vec::new();
        for adapter in point::adapters(settings, host)? {
            let bytes = match adapter.and_then(|i| point::described(host, i)) {
                Some(a) => Some(data_bytes(asked, &a.limits).map_err(|why| BenchError::bad_param(ID, "bytes", why))?),
                None => None,
            };
            for precision in &precisions {
                let precision = PRECISIONS.iter().copied().find(|p| p == precision).unwrap_or("f32");
                for &intensity in &intensities {
                    points.push(RooflinePoint { adapter, precision, intensity, bytes });
                }
            }
        }
        Ok(points)
    }

    fn measure(&mut self, p: &RooflinePoint, session: &mut Session) -> Result<Measured, BenchError> {
        let gpu = point::device_of(p.adapter, session)?;
        let precision = Precision::parse(p.precision).unwrap_or(Precision::F32);
        if let Some((_, name)) = precision.feature().filter(|(f, _)| !gpu.has(*f)) {
            return Err(BenchError::Unavailable(format!(
                "{}: {} needs the {name} feature, which this adapter lacks",
                gpu.adapter.name, p.precision
            )));
        }
        let bytes = match p.bytes {
            Some(b) => b,
            None => data_bytes(None, &super::adapter::key_limits(&gpu.limits)).map_err(BenchError::Unavailable)?,
        };
        let key = (gpu.adapter.index, p.precision, bytes);
        if !matches!(&self.data, Some((k, _)) if *k == key) {
            self.data = None;
            self.data = Some((key, RoofData::new(&gpu, precision, bytes)?));
        }
        let Some((_, data)) = &self.data else {
            return Err(BenchError::Failed("the data were not made".into()));
        };
        let work = Work::for_intensity(p.intensity, lane_bytes(p.precision)).map_err(BenchError::BadInput)?;
        let cfg = timing::sampler(session);
        let mut measured = measure(&gpu, session, cfg, data, work, p.intensity)?;
        measured.info.extend(point::provenance(&gpu));
        Ok(measured)
    }

    /// The data are made when the adapter, precision or size changes;
    /// every point compiles its kernel and samples it over them.
    fn estimate(&self, p: &RooflinePoint, previous: Option<&RooflinePoint>, cost: &CostModel) -> f64 {
        let Some(bytes) = p.bytes.filter(|_| cost.has_gpu(p.adapter)) else { return 0.0 };
        let shared =
            previous.is_some_and(|q| q.adapter == p.adapter && q.precision == p.precision && q.bytes == p.bytes);
        let data = if shared { 0.0 } else { cost.transfer(bytes as f64) };
        let bytes = bytes as f64;
        data + cost.gpu_compile(p.adapter) + cost.gpu_phase(p.adapter, bytes, bytes * p.intensity)
    }

    fn release(&mut self) {
        self.data = None;
    }

    fn summarize(&self, own: &[Record], all: &[Record], _session: &mut Session) -> Vec<Record> {
        summary::group(own, &["adapter", "precision"])
            .into_iter()
            .filter(|(params, _)| params.contains_key("adapter"))
            .map(|(params, points)| {
                let (adapter, precision) = (params.get("adapter"), params.get("precision"));
                let wanted = format!("adapter {} and precision {}", show(adapter), show(precision));
                let compute = same_run::best(all, "gpu.compute", "throughput", &wanted, |r| {
                    same_param(r, "adapter", adapter) && same_param(r, "precision", precision)
                });
                let memory =
                    same_run::best(all, "gpu.memory", "bandwidth", &format!("adapter {}", show(adapter)), |r| {
                        same_param(r, "adapter", adapter)
                    });
                let mut record = summary::ceilings(CEILINGS_ID, params.clone(), &points, compute, memory);
                same_run::carry_adapter(&mut record, points.iter().copied());
                record
            })
            .collect()
    }
}

fn show(v: Option<&ParamValue>) -> String {
    v.map_or_else(|| "none".into(), ToString::to_string)
}

/// Bytes per lane of a precision.
fn lane_bytes(precision: &str) -> u32 {
    if precision == "f16" {
        2
    } else {
        4
    }
}

/// The data size for an adapter: `asked`, checked against what one binding
/// holds, or the largest array gpu.memory would use.
fn data_bytes(asked: Option<u64>, limits: &super::adapter::KeyLimits) -> Result<u64, String> {
    let largest = largest_array(limits);
    let granule = u64::from(WORKGROUP) * CHAINS as u64 * MIN_ELEMENTS * 16;
    match asked {
        Some(b) if b > largest => Err(format!(
            "{} is more than this adapter allows in one binding ({})",
            format_bytes(b),
            format_bytes(largest)
        )),
        Some(b) if b < granule => {
            Err(format!("{b} bytes is less than one workgroup's chains of {MIN_ELEMENTS} elements ({granule} bytes)"))
        }
        Some(b) => Ok(b / granule * granule),
        None => Ok(largest / granule * granule),
    }
}

/// The uniform block (matches `Uniforms` in roofline.wgsl).
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct RoofUniforms {
    invocations: u32,
    elements: u32,
    trip: u32,
    pad: u32,
    muls: [f32; 8],
}

/// The data, outputs and layout of one precision on one adapter.
pub struct RoofData {
    precision: Precision,
    data: wgpu::Buffer,
    sums: wgpu::Buffer,
    folded: wgpu::Buffer,
    params: wgpu::Buffer,
    /// Invocations of every dispatch.
    pub invocations: u32,
    /// Elements each chain can read: all of the data.
    pub max_elements: u32,
}

impl RoofData {
    /// Allocates `bytes` of data on `gpu` and writes the pattern the closed
    /// form assumes.
    pub fn new(gpu: &GpuDevice, precision: Precision, bytes: u64) -> Result<Self, BenchError> {
        let element_bytes = u64::from(lane_bytes(precision.name())) * 4;
        let elements = bytes / element_bytes;
        let per_invocation = CHAINS as u64;
        let invocations = (elements / per_invocation / MIN_ELEMENTS).min(MAX_INVOCATIONS) / u64::from(WORKGROUP)
            * u64::from(WORKGROUP);
        if invocations == 0 {
            return Err(BenchError::BadInput(format!("{ID}: {bytes} bytes is less than one workgroup's chains")));
        }
        let max_elements = u32::try_from(elements / (invocations * per_invocation)).unwrap_or(u32::MAX);
        let used = u64::from(max_elements) * invocations * per_invocation * element_bytes;
        let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let scope = gpu.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let data = gpu.buffer("gpu.roofline data", used, storage);
        let sums = gpu.buffer("gpu.roofline sums", invocations * 16, storage);
        let folded = gpu.buffer("gpu.roofline folded", invocations * 4, storage);
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(BenchError::Unavailable(format!("{}: {} of data: {e}", gpu.adapter.name, format_bytes(used))));
        }
        let params = gpu.buffer(
            "gpu.roofline params",
            std::mem::size_of::<RoofUniforms>() as u64,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        let roof = RoofData { precision, data, sums, folded, params, invocations: invocations as u32, max_elements };
        roof.set(gpu, max_elements, 0);
        let module = gpu.shader(ID, &source(precision, Work::Add))?;
        let init = Pipeline::new(gpu, &module, "init", &roof.bindings(), grid(gpu, used / element_bytes, WORKGROUP)?)?;
        init.run(gpu, 1)?;
        Ok(roof)
    }

    fn bindings(&self) -> [Binding<'_>; 4] {
        [
            Binding::Uniform(&self.params),
            Binding::Storage(&self.data),
            Binding::Storage(&self.sums),
            Binding::Storage(&self.folded),
        ]
    }

    /// Sets the elements each chain reads and the periods of 8 multiply-adds.
    pub fn set(&self, gpu: &GpuDevice, elements: u32, trip: u32) {
        let u =
            RoofUniforms { invocations: self.invocations, elements, trip, pad: 0, muls: MULTIPLIERS.map(|m| m as f32) };
        gpu.queue.write_buffer(&self.params, 0, bytemuck::bytes_of(&u));
    }

    /// The kernel of `work` over this data.
    pub fn kernel(&self, gpu: &GpuDevice, work: Work) -> Result<Pipeline, BenchError> {
        let module = gpu.shader(ID, &source(self.precision, work))?;
        Pipeline::new(gpu, &module, "main", &self.bindings(), grid(gpu, u64::from(self.invocations), WORKGROUP)?)
    }

    /// Bytes of data one dispatch reads when each chain reads `elements`.
    pub fn bytes_read(&self, elements: u32) -> u64 {
        u64::from(elements)
            * u64::from(self.invocations)
            * CHAINS as u64
            * 4
            * u64::from(lane_bytes(self.precision.name()))
    }

    /// Checks the sums and folded bits of the invocations checked (all, or
    /// [`CHECKED`] spread evenly) against the closed form for chains of
    /// `elements` elements of `work`.
    pub fn validate(&self, gpu: &GpuDevice, work: Work, elements: u32) -> Result<(), BenchError> {
        let sums = gpu.download(&self.sums, self.sums.size())?;
        let sums: &[[f32; 4]] = bytemuck::cast_slice(&sums);
        let folded = gpu.download(&self.folded, self.folded.size())?;
        let folded: &[u32] = bytemuck::cast_slice(&folded);
        let f16 = self.precision == Precision::F16;
        let (bits, shift): (Bits, u32) =
            if f16 { (crate::roofline::work::bits_f16, 16) } else { (crate::roofline::work::bits_f32, 0) };
        // Additive work is exact; multiply-adds round at every step, the
        // error shrinking by the multipliers (at most 0.875) as it goes.
        let tolerance = match work {
            Work::Fma { .. } => {
                let unit = if f16 { HALF_UNIT_ROUNDOFF } else { f64::from(f32::EPSILON) / 2.0 };
                unit * CHAIN_BOUND / (1.0 - 0.875) * CHAINS as f64
            }
            _ => 0.0,
        };
        let n = u64::from(self.invocations);
        let step = n.div_ceil(CHECKED).max(1);
        let ids = (0..n).step_by(step as usize).chain(std::iter::once(n - 1));
        for id in ids {
            let mut want_sum = [0.0f64; 4];
            let mut want_bits = 0u32;
            for k in 0..CHAINS as u64 {
                for (l, sum) in want_sum.iter_mut().enumerate() {
                    let end = chain_end(work, id % 8 + k + l as u64, u64::from(elements), bits);
                    *sum += end.acc;
                    want_bits ^= (end.bits as u32) << (shift * (l as u32 % 2));
                }
            }
            let got = sums[id as usize];
            for l in 0..4 {
                if (f64::from(got[l]) - want_sum[l]).abs() > tolerance {
                    return Err(BenchError::Failed(format!(
                        "{}: {} {}: invocation {id} lane {l} summed {}, expected {} (tolerance {tolerance:e}) after {elements} elements",
                        gpu.adapter.name,
                        self.precision.name(),
                        work.describe(),
                        got[l],
                        want_sum[l]
                    )));
                }
            }
            if folded[id as usize] != want_bits {
                return Err(BenchError::Failed(format!(
                    "{}: {}: invocation {id} folded bits {:#x}, expected {want_bits:#x}",
                    gpu.adapter.name,
                    self.precision.name(),
                    folded[id as usize]
                )));
            }
        }
        Ok(())
    }
}

/// f16's unit roundoff (2^-11).
const HALF_UNIT_ROUNDOFF: f64 = 1.0 / 2048.0;

/// One period of 8 multiply-add steps of every chain with the multipliers
/// named `m0`..`m7` (or `n0`..`n7`), each line indented.
fn period(m: &str, indent: &str) -> Vec<String> {
    (0..8).flat_map(|s| (0..CHAINS).map(move |k| format!("{indent}acc{k} = fma(acc{k}, {m}{s}, v{k});"))).collect()
}

/// The WGSL of `work` in `precision`.
pub fn source(precision: Precision, work: Work) -> String {
    let t = precision.name();
    let chains = 0..CHAINS;
    let vector = |k: usize| format!("load(base + {k}u * stride)");
    let mut body = Vec::new();
    let mut declare: Vec<String> = chains.clone().map(|k| format!("    var acc{k} = vec4<{t}>();")).collect();
    let (bits_type, fold) =
        if precision == Precision::F16 { ("vec2<u32>", "f.x ^ f.y") } else { ("vec4<u32>", "f.x ^ f.y ^ f.z ^ f.w") };
    let mut multipliers = String::new();
    match work {
        Work::Sparse { group } => {
            declare.extend(chains.clone().map(|k| format!("    var bits{k} = {bits_type}();")));
            body.push(format!("    for (var e = 0u; e < params.elements; e += {group}u) {{"));
            body.push("        let base = e * CHAINS * stride + id;".into());
            body.extend(chains.clone().map(|k| format!("        acc{k} += {};", vector(k))));
            for j in 1..group {
                body.push(format!("        let base{j} = base + {j}u * CHAINS * stride;"));
                body.extend(chains.clone().map(|k| format!("        bits{k} ^= raw(base{j} + {k}u * stride);")));
            }
            body.push("    }".into());
        }
        Work::Add => {
            body.push("    for (var e = 0u; e < params.elements; e++) {".into());
            body.push("        let base = e * CHAINS * stride + id;".into());
            body.extend(chains.clone().map(|k| format!("        acc{k} += {};", vector(k))));
            body.push("    }".into());
        }
        Work::Fma { steps } => {
            multipliers = (0..8)
                .map(|s| {
                    format!("    let m{s} = vec4<{t}>({t}(params.muls[{}][{}]));\n    let n{s} = -m{s};", s / 4, s % 4)
                })
                .collect::<Vec<_>>()
                .join("\n");
            body.push("    for (var e = 0u; e < params.elements; e++) {".into());
            body.push("        let base = e * CHAINS * stride + id;".into());
            body.extend(chains.clone().map(|k| format!("        let v{k} = {};", vector(k))));
            // Periods of 8 steps alternate the multipliers m and n = -m.
            // Up to two periods are unrolled (a lone period in a loop with
            // a branch ran far slower than its neighbours on lavapipe).
            if steps < 16 {
                let mut steps_left = steps as usize * CHAINS;
                for m in ["m", "n"] {
                    let take = steps_left.min(8 * CHAINS);
                    body.extend(period(m, "        ").into_iter().take(take));
                    steps_left -= take;
                }
            } else {
                body.push("        for (var t = 0u; t + 1u < params.trip; t += 2u) {".into());
                body.extend(period("m", "            "));
                body.extend(period("n", "            "));
                body.push("        }".into());
                body.push("        if (params.trip & 1u) == 1u {".into());
                body.extend(period("m", "            "));
                body.push("        }".into());
            }
            body.push("    }".into());
        }
    }
    let sum = chains.clone().map(|k| format!("vec4<f32>(acc{k})")).collect::<Vec<_>>().join(" + ");
    let fold_all = if matches!(work, Work::Sparse { .. }) {
        let all = chains.map(|k| format!("bits{k}")).collect::<Vec<_>>().join(" ^ ");
        format!("fold({all})")
    } else {
        "0u".into()
    };
    let fold_fn = format!("fn fold(f: {bits_type}) -> u32 {{\n    return {fold};\n}}\n");
    let (element, load, raw, pack) = if precision == Precision::F16 {
        (
            "vec2<u32>",
            "let w = data[i];\n    return vec4<f16>(vec2<f16>(unpack2x16float(w.x)), vec2<f16>(unpack2x16float(w.y)));",
            "return data[i];",
            "vec2<u32>(pack2x16float(v.xy), pack2x16float(v.zw))",
        )
    } else {
        ("vec4<f32>", "return data[i];", "return bitcast<vec4<u32>>(data[i]);", "v")
    };
    TEMPLATE
        .replace("{{ENABLE}}", if precision == Precision::F16 { "enable f16;" } else { "" })
        .replace("{{ELEMENT}}", element)
        .replace("{{LOAD}}", load)
        .replace("{{RAW}}", raw)
        .replace("{{BITS}}", bits_type)
        .replace("{{PACK}}", pack)
        .replace("{{WORK}}", &work.describe())
        .replace("{{WORKGROUP}}", &WORKGROUP.to_string())
        .replace("{{CHAINS}}", &CHAINS.to_string())
        .replace("{{T}}", t)
        .replace("{{MULTIPLIERS}}", &multipliers)
        .replace("{{DECLARE}}", &declare.join("\n"))
        .replace("{{BODY}}", &body.join("\n"))
        .replace("{{SUM}}", &sum)
        .replace("{{FOLD}}", &fold_all)
        + &fold_fn
}

/// Measures `work` over `data`: the elements per chain are halved while a
/// dispatch lasts longer than [`DISPATCH_TARGET`] (never below
/// [`MIN_BYTES`] read), then sampled, then every checked output validated.
pub fn measure(
    gpu: &GpuDevice,
    session: &mut Session,
    cfg: SamplerConfig,
    data: &RoofData,
    work: Work,
    intensity: f64,
) -> Result<Measured, BenchError> {
    let kernel = data.kernel(gpu, work)?;
    let trip = match work {
        Work::Fma { steps } if steps >= 8 => steps / 8,
        _ => 0,
    };
    let granule = work.granule() as u32;
    let mut elements = data.max_elements / granule * granule;
    if elements == 0 {
        return Err(BenchError::BadInput(format!("{ID}: the data hold fewer elements per chain than {granule}")));
    }
    let floor = MIN_BYTES.min(data.bytes_read(elements));
    data.set(gpu, elements, trip);
    kernel.run(gpu, 1)?;
    loop {
        let took = TimedPass::new(gpu, &kernel).run(1)?;
        let half = elements / 2 / granule * granule;
        if took <= DISPATCH_TARGET || half == 0 || data.bytes_read(half) < floor {
            break;
        }
        elements = half;
        data.set(gpu, elements, trip);
    }
    let bytes = data.bytes_read(elements) as f64;
    let flops = bytes * intensity;
    let energy = EnergyWork { amount: flops, unit: "FLOP" };
    let samples = sample(session, cfg, &mut TimedPass::new(gpu, &kernel).with_work(energy))?;
    data.validate(gpu, work, elements)?;
    let n = samples.iterations as f64;
    let mut metrics = samples.metrics(THROUGHPUT, "GFLOP/s", Better::Higher, Headline::Median, |s| flops * n / s / 1e9);
    metrics.extend(samples.metrics(BANDWIDTH, "GB/s", Better::Higher, Headline::Median, |s| bytes * n / s / 1e9));
    metrics.push(best_metric(BANDWIDTH_BEST, "GB/s", samples.primary_values(|s| bytes * n / s / 1e9), Better::Higher));
    let mut info: BTreeMap<String, serde_json::Value> = samples.info();
    info.insert("work".into(), work.describe().into());
    info.insert("invocations".into(), data.invocations.into());
    info.insert("chains_per_invocation".into(), CHAINS.into());
    info.insert("elements_per_chain".into(), elements.into());
    info.insert("bytes_read_per_dispatch".into(), (bytes as u64).into());
    info.insert("flop_per_dispatch".into(), flops.into());
    info.insert(
        "byte_counting".into(),
        "bytes of data read (each element once); the 20 bytes each invocation writes (its sums and bits) are not counted".into(),
    );
    info.insert(
        "validated".into(),
        format!("every lane sum and folded xor of up to {CHECKED} invocations against the closed form").into(),
    );
    Ok(Measured { metrics, placement: None, info })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_has_every_chain_and_no_placeholder() {
        for work in [Work::Sparse { group: 4 }, Work::Add, Work::Fma { steps: 2 }, Work::Fma { steps: 64 }] {
            for precision in [Precision::F32, Precision::F16] {
                let src = source(precision, work);
                assert!(!src.contains("{{"), "{work:?}: unfilled placeholder");
                assert_eq!(src.contains("enable f16;"), precision == Precision::F16);
                for k in 0..CHAINS {
                    assert!(src.contains(&format!("acc{k}")), "{work:?}: chain {k}");
                }
            }
        }
        let fma = source(Precision::F32, Work::Fma { steps: 64 });
        assert_eq!(fma.matches("acc3 = fma(acc3, m5, v3);").count(), 2, "a period of m in the loop and after it");
        assert_eq!(fma.matches("acc3 = fma(acc3, n5, v3);").count(), 1, "a period of -m in the loop");
        assert!(fma.contains("t + 1u < params.trip") && fma.contains("(params.trip & 1u) == 1u"));
        let short = source(Precision::F32, Work::Fma { steps: 2 });
        assert!(short.contains("acc0 = fma(acc0, m1, v0);") && !short.contains("m2, v0"));
        let eight = source(Precision::F32, Work::Fma { steps: 8 });
        assert!(
            !eight.contains("params.trip") && eight.contains("acc7 = fma(acc7, m7, v7);") && !eight.contains("n0, v0")
        );
        let sparse = source(Precision::F16, Work::Sparse { group: 4 });
        assert!(sparse.contains("e += 4u") && sparse.contains("bits3 ^= raw(base2 + 3u * stride);"));
        assert!(sparse.contains("array<vec2<u32>>") && sparse.contains("unpack2x16float"));
    }

    #[test]
    fn data_sizes_fit_the_binding_and_whole_workgroups() {
        let limits = super::super::adapter::key_limits(&wgpu::Limits::default());
        let granule = u64::from(WORKGROUP) * CHAINS as u64 * MIN_ELEMENTS * 16;
        assert_eq!(data_bytes(Some(granule * 3 + 5), &limits).unwrap(), granule * 3);
        assert!(data_bytes(Some(1 << 40), &limits).unwrap_err().contains("one binding"));
        assert!(data_bytes(Some(100), &limits).is_err());
        assert_eq!(data_bytes(None, &limits).unwrap() % granule, 0);
    }
}

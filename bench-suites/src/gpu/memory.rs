//! `gpu.memory`: device memory bandwidth by the BabelStream kernels (copy,
//! mul, add, triad, dot; memory.wgsl) over three f32 arrays as large as the
//! binding limit allows. Every record's output is read back and checked
//! element by element against the host's gold value before a figure is kept.

use hwbench_probes::energy::Work;
use hwbench_schema::{units::format_bytes, Better};
use serde::Serialize;

use super::device::GpuDevice;
use super::pass::{grid, Binding, Pipeline, TimedPass};
use super::point::{self, choices, ADAPTER};
use super::timing::{self, sample, GpuSamples, Headline};
use crate::cost::CostModel;
use crate::error::BenchError;
use crate::harness::SamplerConfig;
use crate::host::{physical_memory_bytes, Host};
use crate::params::{Param, ParamKind, Settings, Unset};
use crate::registry::{erase, Benchmark, BenchmarkSpec, Measured};
use crate::session::Session;

const ID: &str = "gpu.memory";
const SOURCE: &str = include_str!("memory.wgsl");
/// Workgroup size of memory.wgsl (its `WG`).
pub const WORKGROUP: u32 = 256;
/// Start values of the arrays and the scalar (BabelStream's a, b and
/// scalar; c starts at 0.7 so that every kernel changes its output).
const START: [f32; 3] = [0.1, 0.2, 0.7];
const SCALAR: f32 = 0.4;
/// Workgroups of the dot kernel, which stride over the arrays: enough to
/// fill a large GPU (BabelStream uses 256 blocks of 1024 threads).
pub const DOT_GROUPS: u32 = 1024;

/// An array of the kernels' bind group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Array {
    A,
    B,
    C,
    Sums,
}

/// A BabelStream kernel: name (its WGSL entry point), arrays of `n`
/// elements it moves (STREAM counting), the array it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamKernel {
    /// Param value and entry point.
    pub name: &'static str,
    /// Arrays read plus written per element.
    pub arrays_moved: u32,
    output: Array,
}

/// The kernels, in BabelStream's order.
pub const KERNELS: [StreamKernel; 5] = [
    StreamKernel { name: "copy", arrays_moved: 2, output: Array::C },
    StreamKernel { name: "mul", arrays_moved: 2, output: Array::B },
    StreamKernel { name: "add", arrays_moved: 3, output: Array::C },
    StreamKernel { name: "triad", arrays_moved: 3, output: Array::A },
    StreamKernel { name: "dot", arrays_moved: 2, output: Array::Sums },
];

/// The kernel names, for the param.
pub const KERNEL_NAMES: [&str; 5] = ["copy", "mul", "add", "triad", "dot"];

/// Written as its name, the param value.
impl Serialize for StreamKernel {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name)
    }
}

impl StreamKernel {
    /// The kernel of this name.
    pub fn named(name: &str) -> Option<StreamKernel> {
        KERNELS.iter().copied().find(|k| k.name == name)
    }

    /// Every output element's expected value (f32 arithmetic as the kernel
    /// does it), or the whole sum for dot.
    fn gold(&self, n: u32) -> f64 {
        let [a, b, c] = START;
        match self.name {
            "copy" => f64::from(a),
            "mul" => f64::from(SCALAR * c),
            "add" => f64::from(a + b),
            "triad" => f64::from(b + SCALAR * c),
            _ => f64::from(a * b) * f64::from(n),
        }
    }
}

const KERNEL: Param<String> =
    Param::new("kernel", ParamKind::Choice(&KERNEL_NAMES), Unset::Derived("all"), "BabelStream kernel");
const BYTES: Param<u64> =
    Param::new("bytes", ParamKind::Bytes, Unset::Derived("the binding limit"), "size of each of the three arrays");

/// The table row.
pub const SPEC: BenchmarkSpec = BenchmarkSpec {
    id: ID,
    summary: "GPU device memory bandwidth: BabelStream copy, mul, add, triad, dot, validated on the host",
    metrics: "bandwidth GB/s (max of samples), bandwidth_host",
    params: &[ADAPTER.spec, KERNEL.spec, BYTES.spec],
    uses_gpu: true,
    summaries: &[],
    make: || erase(Memory::default()),
};

/// The benchmark; keeps the arrays of the last adapter and size.
#[derive(Default)]
pub struct Memory {
    arrays: Option<(usize, u64, Stream)>,
}

/// One point: a kernel over arrays of some size on one adapter.
#[derive(Debug, Clone, Serialize)]
pub struct MemoryPoint {
    /// The adapter's index; None when there is no adapter (skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter: Option<usize>,
    /// The BabelStream kernel.
    pub kernel: StreamKernel,
    /// Bytes of each array; None without an adapter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

/// The largest array a device allows: one binding, one buffer, and an
/// eighth of host memory (the host reads it back); whole workgroups.
pub fn largest_array(limits: &super::adapter::KeyLimits) -> u64 {
    let bytes = limits
        .max_storage_buffer_binding_size
        .min(limits.max_buffer_size)
        .min(physical_memory_bytes() / 8)
        .min(u64::from(u32::MAX));
    bytes / (u64::from(WORKGROUP) * 4) * (u64::from(WORKGROUP) * 4)
}

/// The array size for an adapter: `asked`, checked against what it allows,
/// or the largest it allows.
fn array_bytes(asked: Option<u64>, adapter: &super::adapter::AdapterInfo) -> Result<u64, BenchError> {
    let largest = largest_array(&adapter.limits);
    match asked {
        Some(b) if b > largest => Err(BenchError::bad_param(
            ID,
            "bytes",
            format!(
                "{} is more than adapter {} ({}) allows per array: {}",
                format_bytes(b),
                adapter.index,
                adapter.name,
                format_bytes(largest)
            ),
        )),
        Some(b) if b < u64::from(WORKGROUP) * 4 => {
            Err(BenchError::bad_param(ID, "bytes", format!("{b} is less than one workgroup of {WORKGROUP} floats")))
        }
        Some(b) => Ok(b / 4 * 4),
        None => Ok(largest),
    }
}

impl Benchmark for Memory {
    type Point = MemoryPoint;

    fn plan(&mut self, settings: &Settings, host: &Host) -> Result<Vec<MemoryPoint>, BenchError> {
        let asked = BYTES.get(settings)?;
        let mut points = Vec::new();
        for adapter in point::adapters(settings, host)? {
            let bytes = match adapter.and_then(|i| point::described(host, i)) {
                Some(described) => Some(array_bytes(asked, described)?),
                None => None,
            };
            for name in choices(&KERNEL, &KERNEL_NAMES, settings)? {
                let kernel = StreamKernel::named(&name)
                    .ok_or_else(|| BenchError::bad_param(ID, "kernel", format!("'{name}' is not a kernel")))?;
                points.push(MemoryPoint { adapter, kernel, bytes });
            }
        }
        Ok(points)
    }

    fn measure(&mut self, p: &MemoryPoint, session: &mut Session) -> Result<Measured, BenchError> {
        let gpu = point::device_of(p.adapter, session)?;
        let bytes = p.bytes.unwrap_or_else(|| largest_array(&super::adapter::key_limits(&gpu.limits)));
        let index = gpu.adapter.index;
        if !matches!(&self.arrays, Some((i, b, _)) if *i == index && *b == bytes) {
            // The old arrays go before the new ones are made.
            self.arrays = None;
            self.arrays = Some((index, bytes, Stream::new(&gpu, bytes)?));
        }
        let Some((_, _, stream)) = &self.arrays else {
            return Err(BenchError::Failed("the arrays were not made".into()));
        };
        let cfg = timing::sampler(session);
        let samples = stream.sample(&gpu, session, cfg, p.kernel)?;
        let mut measured = stream.finish(&gpu, p.kernel, &samples)?;
        measured.info.extend(point::provenance(&gpu));
        Ok(measured)
    }

    /// Three arrays are made and filled when the adapter or size changes;
    /// every point samples its kernel over them and reads the output back.
    fn estimate(&self, p: &MemoryPoint, previous: Option<&MemoryPoint>, cost: &CostModel) -> f64 {
        let Some(bytes) = p.bytes.filter(|_| cost.has_gpu(p.adapter)) else { return 0.0 };
        let shared = previous.is_some_and(|q| q.adapter == p.adapter && q.bytes == p.bytes);
        let arrays = if shared {
            0.0
        } else {
            KERNELS.len() as f64 * cost.gpu_compile(p.adapter) + cost.transfer(3.0 * bytes as f64)
        };
        let moved = f64::from(p.kernel.arrays_moved) * bytes as f64;
        arrays + cost.gpu_phase(p.adapter, moved, 0.0) + cost.transfer(bytes as f64)
    }

    fn release(&mut self) {
        self.arrays = None;
    }
}

/// The three arrays, the partial sums, and a pipeline per entry point.
pub struct Stream {
    n: u32,
    a: wgpu::Buffer,
    b: wgpu::Buffer,
    c: wgpu::Buffer,
    sums: wgpu::Buffer,
    init: Pipeline,
    pipelines: Vec<Pipeline>,
}

impl Stream {
    /// Allocates three arrays of `bytes` bytes (rounded down to whole f32)
    /// on `gpu` and builds the kernels.
    pub fn new(gpu: &GpuDevice, bytes: u64) -> Result<Self, BenchError> {
        let n = u32::try_from(bytes / 4)
            .map_err(|_| BenchError::Unavailable(format!("{bytes} bytes is more than 2^32 floats")))?;
        let groups = grid(gpu, u64::from(n), WORKGROUP)?;
        let size = u64::from(n) * 4;
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let scope = gpu.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let [a, b, c] = ["gpu.memory a", "gpu.memory b", "gpu.memory c"].map(|label| gpu.buffer(label, size, usage));
        let dot_groups = [DOT_GROUPS.min(gpu.limits.max_compute_workgroups_per_dimension), 1, 1];
        let sums = gpu.buffer("gpu.memory sums", u64::from(dot_groups[0]) * 4, usage);
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(BenchError::Unavailable(format!(
                "{}: three arrays of {}: {e}",
                gpu.adapter.name,
                format_bytes(size)
            )));
        }
        /// The uniform block (matches `Uniforms` in memory.wgsl).
        #[repr(C)]
        #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
        struct StreamUniforms {
            n: u32,
            scalar: f32,
            start: [f32; 3],
            _pad: [u32; 3],
        }
        let params = gpu.buffer(
            "gpu.memory params",
            std::mem::size_of::<StreamUniforms>() as u64,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        gpu.queue.write_buffer(
            &params,
            0,
            bytemuck::bytes_of(&StreamUniforms { n, scalar: SCALAR, start: START, _pad: [0; 3] }),
        );
        let module = gpu.shader(ID, SOURCE)?;
        let bindings = [
            Binding::Uniform(&params),
            Binding::Storage(&a),
            Binding::Storage(&b),
            Binding::Storage(&c),
            Binding::Storage(&sums),
        ];
        let init = Pipeline::new(gpu, &module, "init", &bindings, groups)?;
        let pipelines = KERNELS
            .iter()
            .map(|k| {
                Pipeline::new(
                    gpu,
                    &module,
                    k.name,
                    &bindings,
                    if k.output == Array::Sums { dot_groups } else { groups },
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Stream { n, a, b, c, sums, init, pipelines })
    }

    /// Elements per array.
    pub fn elements(&self) -> u32 {
        self.n
    }

    /// The buffer `kernel` writes.
    pub fn output(&self, kernel: StreamKernel) -> &wgpu::Buffer {
        match kernel.output {
            Array::A => &self.a,
            Array::B => &self.b,
            Array::C => &self.c,
            Array::Sums => &self.sums,
        }
    }

    fn pipeline(&self, kernel: StreamKernel) -> &Pipeline {
        let index = KERNELS.iter().position(|k| *k == kernel).unwrap_or(0);
        &self.pipelines[index]
    }

    /// Bytes one dispatch of `kernel` moves (STREAM counting).
    pub fn bytes_moved(&self, kernel: StreamKernel) -> f64 {
        f64::from(kernel.arrays_moved) * f64::from(self.n) * 4.0
    }

    /// Resets the arrays to their start values, then samples `kernel`.
    pub fn sample(
        &self,
        gpu: &GpuDevice,
        session: &mut Session,
        cfg: SamplerConfig,
        kernel: StreamKernel,
    ) -> Result<GpuSamples, BenchError> {
        self.init.run(gpu, 1)?;
        let work = Work { amount: self.bytes_moved(kernel) / 1e9, unit: "GB" };
        sample(session, cfg, &mut TimedPass::new(gpu, self.pipeline(kernel)).with_work(work))
    }

    /// Checks every element `kernel` wrote against the gold value: within
    /// 4 ulp (a fused triad differs from the host's by at most 1); the dot
    /// product within the rounding bound of its f32 sums (epsilon times the
    /// terms each invocation adds plus the reduction's steps).
    pub fn validate(&self, gpu: &GpuDevice, kernel: StreamKernel) -> Result<(), BenchError> {
        let gold = kernel.gold(self.n);
        let out = self.output(kernel);
        let bytes = gpu.download(out, out.size())?;
        let values: &[f32] = bytemuck::cast_slice(&bytes);
        let fail = |what: String| {
            Err(BenchError::Failed(format!("{}: {} output {what} (gold {gold})", gpu.adapter.name, kernel.name)))
        };
        if kernel.output == Array::Sums {
            let sum: f64 = values.iter().map(|&v| f64::from(v)).sum();
            let invocations = values.len() as u64 * u64::from(WORKGROUP);
            let terms = u64::from(self.n).div_ceil(invocations) + u64::from(WORKGROUP.ilog2()) + 1;
            if ((sum - gold) / gold).abs() > f64::from(f32::EPSILON) * terms as f64 {
                return fail(format!("sums to {sum}"));
            }
            return Ok(());
        }
        let tolerance = 4.0 * f64::from(f32::EPSILON) * gold.abs();
        match values.iter().position(|&v| (f64::from(v) - gold).abs() > tolerance) {
            Some(i) => fail(format!("element {i} of {} is {}", self.n, values[i])),
            None => Ok(()),
        }
    }

    /// Validates `kernel`'s output, then makes the record's figures.
    pub fn finish(&self, gpu: &GpuDevice, kernel: StreamKernel, samples: &GpuSamples) -> Result<Measured, BenchError> {
        self.validate(gpu, kernel)?;
        let moved = self.bytes_moved(kernel) * samples.iterations as f64;
        let metrics = samples.metrics("bandwidth", "GB/s", Better::Higher, Headline::Best, |secs| moved / secs / 1e9);
        let mut info = samples.info();
        info.insert("elements".into(), self.n.into());
        info.insert("bytes_per_array".into(), (u64::from(self.n) * 4).into());
        info.insert("workgroup_size".into(), WORKGROUP.into());
        info.insert("max_storage_buffer_binding_size".into(), gpu.limits.max_storage_buffer_binding_size.into());
        info.insert(
            "byte_counting".into(),
            "BabelStream/STREAM: arrays read plus written x elements x 4 bytes (copy, mul, dot 2; add, triad 3); GB/s = 1e9 B/s".into(),
        );
        info.insert("validated".into(), "every output element against the host's gold value".into());
        Ok(Measured { metrics, placement: None, info })
    }
}

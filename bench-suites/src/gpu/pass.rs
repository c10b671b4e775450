//! A compute pipeline with its buffers bound, run as `k` back-to-back
//! dispatches in one compute pass: timed on the host around submit and
//! wait, and on the device by timestamps at the pass's start and end when
//! the device has them.

use std::time::{Duration, Instant};

use hwbench_probes::energy::Work;

use super::device::GpuDevice;
use crate::error::BenchError;
use crate::harness::Workload;

/// How a buffer is bound (declared the same way in the WGSL).
pub enum Binding<'a> {
    /// `var<uniform>`.
    Uniform(&'a wgpu::Buffer),
    /// `var<storage, read_write>`.
    Storage(&'a wgpu::Buffer),
    /// `var<storage, read>` (drivers may then load through read-only caches).
    StorageRead(&'a wgpu::Buffer),
}

/// A pipeline, its bind group (group 0, bindings in order) and its grid.
pub struct Pipeline {
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
    /// Workgroups dispatched in x, y, z.
    pub groups: [u32; 3],
}

impl Pipeline {
    /// Builds entry point `entry` of `module` with `bindings` at 0, 1, ...
    pub fn new(
        gpu: &GpuDevice,
        module: &wgpu::ShaderModule,
        entry: &str,
        bindings: &[Binding],
        groups: [u32; 3],
    ) -> Result<Self, BenchError> {
        let scope = gpu.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let layout_entries: Vec<wgpu::BindGroupLayoutEntry> = bindings
            .iter()
            .zip(0..)
            .map(|(b, binding)| wgpu::BindGroupLayoutEntry {
                binding,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: wgpu::BindingType::Buffer {
                    ty: match b {
                        Binding::Uniform(_) => wgpu::BufferBindingType::Uniform,
                        Binding::Storage(_) => wgpu::BufferBindingType::Storage { read_only: false },
                        Binding::StorageRead(_) => wgpu::BufferBindingType::Storage { read_only: true },
                    },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            })
            .collect();
        let bind_layout = gpu.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some(entry),
            entries: &layout_entries,
        });
        let layout = gpu.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(entry),
            bind_group_layouts: &[Some(&bind_layout)],
            immediate_size: 0,
        });
        let pipeline = gpu.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(entry),
            layout: Some(&layout),
            module,
            entry_point: Some(entry),
            compilation_options: Default::default(),
            cache: None,
        });
        let entries: Vec<wgpu::BindGroupEntry> = bindings
            .iter()
            .zip(0..)
            .map(|(b, binding)| wgpu::BindGroupEntry {
                binding,
                resource: match b {
                    Binding::Uniform(buf) | Binding::Storage(buf) | Binding::StorageRead(buf) => {
                        buf.as_entire_binding()
                    }
                },
            })
            .collect();
        let bind_group = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(entry),
            layout: &bind_layout,
            entries: &entries,
        });
        match pollster::block_on(scope.pop()) {
            None => Ok(Pipeline { pipeline, bind_group, groups }),
            Some(e) => Err(BenchError::Failed(format!("{}: pipeline {entry}: {e}", gpu.adapter.name))),
        }
    }

    fn record(&self, pass: &mut wgpu::ComputePass, dispatches: u64) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        for _ in 0..dispatches {
            pass.dispatch_workgroups(self.groups[0], self.groups[1], self.groups[2]);
        }
    }

    /// Runs `dispatches` dispatches in one pass and waits (untimed).
    pub fn run(&self, gpu: &GpuDevice, dispatches: u64) -> Result<(), BenchError> {
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        self.record(&mut encoder.begin_compute_pass(&Default::default()), dispatches);
        gpu.wait(gpu.queue.submit([encoder.finish()]))
    }
}

/// The grid that runs at least `invocations` invocations in workgroups of
/// `workgroup`: x up to the per-dimension limit, the rest in y. Kernels
/// index with `gid.x + gid.y * num_workgroups.x * workgroup` and skip
/// indices past their element count.
pub fn grid(gpu: &GpuDevice, invocations: u64, workgroup: u32) -> Result<[u32; 3], BenchError> {
    let groups = invocations.div_ceil(u64::from(workgroup)).max(1);
    let max = u64::from(gpu.limits.max_compute_workgroups_per_dimension);
    let x = groups.min(max);
    let y = groups.div_ceil(x);
    if y > max {
        return Err(BenchError::Unavailable(format!(
            "{invocations} invocations exceed the device's {max}x{max} workgroup grid"
        )));
    }
    Ok([x as u32, y as u32, 1])
}

/// Timestamp queries at the start and end of a pass, and their read-back.
struct Queries {
    set: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    readback: wgpu::Buffer,
    period_ns: f64,
}

impl Queries {
    fn new(gpu: &GpuDevice) -> Option<Self> {
        let period_ns = gpu.timestamp_period_ns()?;
        let set = gpu.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("hwbench timestamps"),
            ty: wgpu::QueryType::Timestamp,
            count: 2,
        });
        let resolve =
            gpu.buffer("hwbench timestamps", 16, wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC);
        let readback =
            gpu.buffer("hwbench timestamps read-back", 16, wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
        Some(Queries { set, resolve, readback, period_ns })
    }

    fn elapsed(&self, gpu: &GpuDevice) -> Result<Duration, BenchError> {
        let ticks = gpu.read_mapped(&self.readback, |b| {
            let t: &[u64] = bytemuck::cast_slice(b);
            t[1].wrapping_sub(t[0])
        })?;
        Ok(Duration::from_secs_f64(ticks as f64 * self.period_ns * 1e-9))
    }
}

/// A pipeline as a [`Workload`]: `run(k)` is one pass of `k` dispatches.
/// It returns the host time (submit to finished) and keeps the device
/// time of the same pass in [`TimedPass::device`].
pub struct TimedPass<'a> {
    gpu: &'a GpuDevice,
    pipeline: &'a Pipeline,
    queries: Option<Queries>,
    /// Device time of the last run, when timestamps work.
    pub device: Option<Duration>,
    /// The work of one dispatch, for energy per operation.
    work: Option<Work>,
}

impl<'a> TimedPass<'a> {
    /// Times `pipeline` on `gpu`, by timestamps too when the device has them.
    pub fn new(gpu: &'a GpuDevice, pipeline: &'a Pipeline) -> Self {
        TimedPass { gpu, pipeline, queries: Queries::new(gpu), device: None, work: None }
    }

    /// Declares the work one dispatch does (FLOP, GB, ...).
    pub fn with_work(mut self, work: Work) -> Self {
        self.work = Some(work);
        self
    }

    /// Nanoseconds per timestamp tick, when timestamps are taken.
    pub fn timestamp_period_ns(&self) -> Option<f64> {
        self.queries.as_ref().map(|q| q.period_ns)
    }
}

impl Workload for TimedPass<'_> {
    fn run(&mut self, iterations: u64) -> Result<Duration, BenchError> {
        let gpu = self.gpu;
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        {
            let timestamp_writes = self.queries.as_ref().map(|q| wgpu::ComputePassTimestampWrites {
                query_set: &q.set,
                beginning_of_pass_write_index: Some(0),
                end_of_pass_write_index: Some(1),
            });
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes });
            self.pipeline.record(&mut pass, iterations);
        }
        if let Some(q) = &self.queries {
            encoder.resolve_query_set(&q.set, 0..2, &q.resolve, 0);
            encoder.copy_buffer_to_buffer(&q.resolve, 0, &q.readback, 0, 16);
        }
        let commands = encoder.finish();
        let started = Instant::now();
        let submission = gpu.queue.submit([commands]);
        gpu.wait(submission)?;
        let host = started.elapsed();
        self.device = self.queries.as_ref().map(|q| q.elapsed(gpu)).transpose()?;
        Ok(host)
    }

    fn work_per_iteration(&self) -> Option<Work> {
        self.work
    }
}

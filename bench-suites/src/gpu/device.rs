//! A device opened on one adapter (once per run: [`super::Gpus`] keeps it
//! for every GPU benchmark): the adapter's own limits, the wanted features
//! it has, errors captured instead of panicking, and blocking helpers for
//! submit and read-back.

use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use super::adapter::{self, AdapterInfo, COOPERATIVE, WANTED_FEATURES};
use crate::error::BenchError;

/// The longest hwbench waits for the device to finish one submission.
pub const GPU_TIMEOUT: Duration = Duration::from_secs(120);

/// An opened device and what it offers.
pub struct GpuDevice {
    /// The adapter, as records describe it.
    pub adapter: AdapterInfo,
    /// The device, with [`Self::features`] and [`Self::limits`] enabled.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// Features enabled: the wanted ones the adapter has.
    pub features: wgpu::Features,
    /// Limits enabled: the adapter's own.
    pub limits: wgpu::Limits,
    /// Subgroup sizes the adapter may use (smallest, largest).
    pub subgroup_sizes: (u32, u32),
    /// Cooperative matrix configurations the adapter offers (empty without
    /// the feature).
    pub cooperative: Vec<wgpu::CooperativeMatrixProperties>,
    /// Why the cooperative matrix feature is not enabled, when it is not.
    pub cooperative_note: Option<String>,
    errors: Arc<Mutex<Vec<String>>>,
}

impl GpuDevice {
    /// Opens `adapter` (number `index` of the enumeration) with its own
    /// limits and the wanted features it has. When opening with wgpu's
    /// experimental cooperative matrix feature fails, the device is opened
    /// without it and [`Self::cooperative_note`] says why.
    pub fn open(index: usize, adapter: &wgpu::Adapter) -> Result<Self, BenchError> {
        let wanted = adapter.features() & WANTED_FEATURES;
        match Self::open_with(index, adapter, wanted) {
            Err(e) if wanted.contains(COOPERATIVE) => {
                let mut gpu = Self::open_with(index, adapter, wanted - COOPERATIVE)?;
                gpu.cooperative_note = Some(format!("the device did not open with wgpu-cooperative-matrix: {e}"));
                Ok(gpu)
            }
            opened => opened,
        }
    }

    /// Opens `adapter` with its own limits and exactly `features` (tests
    /// take features away to see the fallbacks).
    pub fn open_with(index: usize, adapter: &wgpu::Adapter, features: wgpu::Features) -> Result<Self, BenchError> {
        let info = adapter::describe(index, adapter);
        let limits = adapter.limits();
        let cooperative_on = features.contains(COOPERATIVE);
        let desc = wgpu::DeviceDescriptor {
            label: Some("hwbench"),
            required_features: features,
            required_limits: limits.clone(),
            // SAFETY: wgpu's experimental features may hold bugs it has not
            // found yet; only the cooperative matrix one is requested, only
            // where the adapter offers it, and gpu.gemm validates what its
            // cooperative kernel computes before keeping a figure.
            experimental_features: if cooperative_on {
                unsafe { wgpu::ExperimentalFeatures::enabled() }
            } else {
                wgpu::ExperimentalFeatures::disabled()
            },
            ..Default::default()
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&desc)).map_err(|e| {
            BenchError::Unavailable(format!("adapter {index} ({}): cannot open a device: {e}", info.name))
        })?;
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&errors);
        device
            .on_uncaptured_error(Arc::new(move |e: wgpu::Error| sink.lock().expect("error sink").push(e.to_string())));
        let sink = Arc::clone(&errors);
        device.set_device_lost_callback(move |reason, message| {
            sink.lock().expect("error sink").push(format!("device lost ({reason:?}): {message}"));
        });
        let raw = adapter.get_info();
        let (cooperative, cooperative_note) = if cooperative_on {
            (adapter.cooperative_matrix_properties(), None)
        } else {
            (Vec::new(), Some(adapter::cooperative_absent(adapter)))
        };
        Ok(GpuDevice {
            adapter: info,
            device,
            queue,
            features,
            limits,
            subgroup_sizes: (raw.subgroup_min_size, raw.subgroup_max_size),
            cooperative,
            cooperative_note,
            errors,
        })
    }

    /// The subgroup size, when the device has subgroup operations with one
    /// fixed size that divides `workgroup` (kernels that broadcast across a
    /// subgroup by lane index need it at compile time).
    pub fn fixed_subgroup(&self, workgroup: u32) -> Option<u32> {
        let (least, most) = self.subgroup_sizes;
        (self.has(wgpu::Features::SUBGROUP) && least == most && least > 0 && workgroup.is_multiple_of(least))
            .then_some(least)
    }

    /// True when the device has `feature` enabled.
    pub fn has(&self, feature: wgpu::Features) -> bool {
        self.features.contains(feature)
    }

    /// Nanoseconds per timestamp tick, when timestamp queries work.
    pub fn timestamp_period_ns(&self) -> Option<f64> {
        let period = f64::from(self.queue.get_timestamp_period());
        (self.has(wgpu::Features::TIMESTAMP_QUERY) && period > 0.0).then_some(period)
    }

    /// Fails with every device error raised since the last check.
    pub fn check(&self) -> Result<(), BenchError> {
        let mut errors = self.errors.lock().expect("error sink");
        if errors.is_empty() {
            return Ok(());
        }
        let all = std::mem::take(&mut *errors).join("; ");
        Err(BenchError::Failed(format!("{}: {all}", self.adapter.name)))
    }

    /// Blocks until `submission` has finished on the device.
    pub fn wait(&self, submission: wgpu::SubmissionIndex) -> Result<(), BenchError> {
        self.device
            .poll(wgpu::PollType::Wait { submission_index: Some(submission), timeout: Some(GPU_TIMEOUT) })
            .map_err(|e| BenchError::Failed(format!("{}: waiting for the device: {e}", self.adapter.name)))?;
        self.check()
    }

    /// Maps a MAP_READ buffer, hands its bytes to `read`, and unmaps it.
    pub fn read_mapped<T>(&self, buffer: &wgpu::Buffer, read: impl FnOnce(&[u8]) -> T) -> Result<T, BenchError> {
        self.map(buffer, wgpu::MapMode::Read)?;
        let out = {
            let view = buffer
                .get_mapped_range(..)
                .map_err(|e| BenchError::Failed(format!("{}: reading a mapped buffer: {e}", self.adapter.name)))?;
            read(&view)
        };
        buffer.unmap();
        Ok(out)
    }

    /// Maps a MAP_WRITE buffer, hands its bytes to `write`, and unmaps it
    /// (what `write` left there goes to the device with the next copy).
    pub fn write_mapped<T>(
        &self,
        buffer: &wgpu::Buffer,
        write: impl FnOnce(&mut wgpu::BufferViewMut) -> T,
    ) -> Result<T, BenchError> {
        self.map(buffer, wgpu::MapMode::Write)?;
        let out = {
            let mut view = buffer
                .get_mapped_range_mut(..)
                .map_err(|e| BenchError::Failed(format!("{}: writing a mapped buffer: {e}", self.adapter.name)))?;
            write(&mut view)
        };
        buffer.unmap();
        Ok(out)
    }

    /// Maps `buffer` for `mode` and waits until it is mapped.
    fn map(&self, buffer: &wgpu::Buffer, mode: wgpu::MapMode) -> Result<(), BenchError> {
        let (tx, rx) = mpsc::channel();
        buffer.map_async(mode, .., move |r| {
            let _ = tx.send(r);
        });
        // Another thread polling the same device may be the one that runs
        // the callback, a moment after this thread's poll returns.
        let deadline = Instant::now() + GPU_TIMEOUT;
        let mapped = loop {
            self.device
                .poll(wgpu::PollType::Wait { submission_index: None, timeout: Some(GPU_TIMEOUT) })
                .map_err(|e| BenchError::Failed(format!("{}: waiting for a buffer map: {e}", self.adapter.name)))?;
            match rx.recv_timeout(Duration::from_millis(10)) {
                Ok(r) => break r,
                Err(_) if Instant::now() < deadline => continue,
                Err(_) => {
                    return Err(BenchError::Failed(format!("{}: a buffer map never completed", self.adapter.name)))
                }
            }
        };
        self.check()?;
        mapped.map_err(|e| BenchError::Failed(format!("{}: mapping a buffer: {e}", self.adapter.name)))
    }

    /// Copies `bytes` bytes of `source` (COPY_SRC) to the host.
    pub fn download(&self, source: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>, BenchError> {
        let staging =
            self.buffer("hwbench download", bytes, wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
        let mut encoder = self.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(source, 0, &staging, 0, bytes);
        self.wait(self.queue.submit([encoder.finish()]))?;
        self.read_mapped(&staging, <[u8]>::to_vec)
    }

    /// Creates a buffer that is not mapped at creation.
    pub fn buffer(&self, label: &str, size: u64, usage: wgpu::BufferUsages) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage,
            mapped_at_creation: false,
        })
    }

    /// Compiles a WGSL module, failing with the compiler's message.
    pub fn shader(&self, label: &str, source: &str) -> Result<wgpu::ShaderModule, BenchError> {
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(label),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        match pollster::block_on(scope.pop()) {
            None => Ok(module),
            Some(e) => Err(BenchError::Failed(format!("{}: shader {label}: {e}", self.adapter.name))),
        }
    }
}

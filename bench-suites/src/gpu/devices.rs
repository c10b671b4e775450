//! The GPUs of a run: the adapters wgpu finds, enumerated on first use
//! (only runs and listings that need GPUs start a driver), and the devices
//! opened on them, each once and shared by every GPU benchmark.

use std::collections::HashMap;
use std::sync::Arc;

use super::adapter::{self, AdapterInfo};
use super::device::GpuDevice;
use crate::error::BenchError;

/// Adapters found and devices opened.
#[derive(Default)]
pub struct Gpus {
    found: Option<(wgpu::Instance, Vec<wgpu::Adapter>)>,
    opened: HashMap<usize, Arc<GpuDevice>>,
}

impl Gpus {
    /// Nothing enumerated yet.
    pub fn new() -> Self {
        Gpus::default()
    }

    /// The adapters, enumerated now if not yet.
    pub fn adapters(&mut self) -> &[wgpu::Adapter] {
        &self.found.get_or_insert_with(adapter::enumerate).1
    }

    /// Every adapter, described; empty when there is none (see
    /// [`adapter::no_adapter_reason`]).
    pub fn describe(&mut self) -> Vec<AdapterInfo> {
        self.adapters().iter().enumerate().map(|(i, a)| adapter::describe(i, a)).collect()
    }

    /// The device of adapter `index`, opened on first use.
    pub fn open(&mut self, index: usize) -> Result<Arc<GpuDevice>, BenchError> {
        if let Some(device) = self.opened.get(&index) {
            return Ok(Arc::clone(device));
        }
        let adapter = self
            .adapters()
            .get(index)
            .ok_or_else(|| BenchError::Unavailable(format!("adapter {index}: {}", adapter::no_adapter_reason())))?;
        let device = Arc::new(GpuDevice::open(index, adapter)?);
        self.opened.insert(index, Arc::clone(&device));
        Ok(device)
    }
}

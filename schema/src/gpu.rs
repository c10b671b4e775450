//! GPU adapters as the topology records them.

use serde::{Deserialize, Serialize};

/// A GPU adapter (wgpu's view of a device and its driver).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuAdapter {
    /// Position in the enumeration: what `--set adapter=INDEX` selects.
    pub index: usize,
    /// The driver's name for the device.
    pub name: String,
    /// Backend-specific vendor id (PCI vendor id on Vulkan for PCI devices).
    pub vendor: u32,
    /// The vendor's name when the id is a known one, else "unknown".
    pub vendor_name: String,
    /// Backend-specific device id (PCI device id on Vulkan).
    pub device: u32,
    /// PCI bus id when the backend gives one, else empty.
    pub pci_bus_id: String,
    /// Driver name (e.g. "llvmpipe", "NVIDIA").
    pub driver: String,
    /// Driver version text.
    pub driver_info: String,
    /// vulkan, metal, dx12, ...
    pub backend: String,
    /// discrete_gpu, integrated_gpu, virtual_gpu, cpu or other.
    pub device_type: String,
    /// The limits that bound the benchmarks.
    pub limits: GpuLimits,
    /// Every feature the adapter offers, as wgpu names them (kebab-case).
    pub features: Vec<String>,
}

impl GpuAdapter {
    /// True for software rasterizers running on the CPU (lavapipe, WARP).
    pub fn is_software(&self) -> bool {
        self.device_type == "cpu"
    }
}

/// The adapter limits the GPU benchmarks depend on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuLimits {
    /// Largest buffer, bytes.
    pub max_buffer_size: u64,
    /// Largest storage buffer binding, bytes (bounds gpu.memory's arrays).
    pub max_storage_buffer_binding_size: u64,
    /// Invocations per workgroup at most.
    pub max_compute_invocations_per_workgroup: u32,
    /// Workgroup size in x at most.
    pub max_compute_workgroup_size_x: u32,
    /// Workgroups per dispatch dimension at most.
    pub max_compute_workgroups_per_dimension: u32,
    /// Workgroup shared memory, bytes.
    pub max_compute_workgroup_storage_size: u32,
}

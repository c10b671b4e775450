//! GPU benchmarks through wgpu: arithmetic throughput per precision
//! (`gpu.compute`), device memory bandwidth (`gpu.memory`), host-device
//! transfers (`gpu.transfer`) and dispatch latency (`gpu.dispatch`).
//! Method: docs/METHODS.md, "GPU compute through wgpu".
//!
//! The session's [`Gpus`] opens one device per adapter, shared by every
//! benchmark of a run; measuring functions take a `&GpuDevice`, so tests
//! open their own.

pub mod adapter;
pub mod compute;
pub mod device;
mod devices;
pub mod dispatch;
pub mod fma;
pub mod memory;
pub mod pass;
mod point;
pub mod timing;
pub mod transfer;

pub use adapter::{no_adapter_reason, AdapterInfo};
pub use device::GpuDevice;
pub use devices::Gpus;

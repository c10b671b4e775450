//! GPU benchmarks through wgpu: arithmetic throughput per precision
//! (`gpu.compute`), device memory bandwidth (`gpu.memory`), host-device
//! transfers (`gpu.transfer`) and dispatch latency (`gpu.dispatch`).
//! Method: METHODS.md, "GPU compute through wgpu".
//!
//! One device is opened per adapter and shared by every benchmark of a run
//! ([`context::GpuContext::shared`]); kernels take a `&GpuContext`, so tests
//! open their own.

pub mod adapter;
pub mod compute;
pub mod context;
pub mod dispatch;
pub mod fma;
pub mod memory;
pub mod pass;
mod point;
pub mod timing;
pub mod transfer;

pub use adapter::{adapters, no_adapter_reason, AdapterInfo};
pub use context::GpuContext;

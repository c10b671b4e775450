//! GPU benchmarks through wgpu: arithmetic throughput per precision
//! (`gpu.compute`), device memory bandwidth (`gpu.memory`), host-device
//! transfers (`gpu.transfer`), dispatch latency (`gpu.dispatch`), and the
//! LLM-serving view: the roofline (`gpu.roofline`), GEMM over layer shapes
//! (`gpu.gemm`) and the decode GEMV (`gpu.gemv`).
//! Method: docs/METHODS.md, "GPU compute through wgpu".
//!
//! The session's [`Gpus`] opens one device per adapter, shared by every
//! benchmark of a run; measuring functions take a `&GpuDevice`, so tests
//! open their own.

pub mod adapter;
pub mod compute;
pub mod decode;
pub mod device;
mod devices;
pub mod dispatch;
pub mod fma;
pub mod gemm;
pub mod gemv;
pub mod host_node;
pub mod matmul;
pub mod memory;
pub mod pass;
mod point;
pub mod roofline;
pub mod timing;
pub mod transfer;

pub use adapter::{no_adapter_reason, AdapterInfo};
pub use device::GpuDevice;
pub use devices::Gpus;

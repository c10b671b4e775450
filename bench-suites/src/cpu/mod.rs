//! CPU benchmarks beyond memory: the CPU roofline (`cpu.roofline`), native
//! SIMD kernels of known arithmetic intensity on pinned threads, so the CPU
//! and GPU rooflines of one machine are measured the same way. Method:
//! docs/METHODS.md, "GPU for LLM serving".

mod kernels;
pub mod roofline;

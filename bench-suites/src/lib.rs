//! The hwbench harness and benchmarks. A benchmark declares its id and
//! params in one table ([`registry::BENCHMARKS`]), plans its points, and
//! measures each through the sampler ([`harness`]); the runner turns the
//! results into records, keeping every raw sample.

pub mod context;
pub mod error;
pub mod gpu;
pub mod harness;
pub mod memory;
pub mod params;
pub mod registry;
pub mod rng;
pub mod runner;
pub mod suites;

pub use context::Context;
pub use error::BenchError;

//! The hwbench harness and benchmarks. A benchmark plans typed points and
//! measures each with the [`session::Session`] it is given
//! ([`registry::Benchmark`]); the table of benchmarks drives selection and
//! help; the [`runner`] repeats every point in rounds and turns the
//! repetitions into records, keeping every raw sample; [`run`] takes a
//! request to a result document.

pub mod budget;
pub mod cost;
pub mod cpu;
pub mod error;
pub mod gpu;
pub mod harness;
pub mod host;
pub mod limits;
pub mod memory;
pub mod params;
pub mod plan;
pub mod registry;
pub mod roofline;
pub mod run;
pub mod runner;
pub mod same_run;
pub mod session;
pub mod suites;
pub mod undisturbed;

pub use error::BenchError;
pub use host::Host;
pub use session::Session;

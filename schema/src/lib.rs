//! The hwbench result document: serde types, schema version, units,
//! loading with clear errors and atomic writing. Depends on serde only, so
//! report builders and other consumers need nothing else.

mod document;
mod energy;
mod fact;
mod gpu;
mod interference;
mod load;
pub mod numbers;
pub mod time;
pub mod units;
mod write;

pub use document::*;
pub use energy::*;
pub use fact::Fact;
pub use gpu::{GpuAdapter, GpuLimits};
pub use interference::Interference;
pub use load::{load, parse, LoadError};
pub use write::{write_atomic, write_document, WriteError};

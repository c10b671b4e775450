//! Worker threads: the pinned pool that runs the kernels, and the choice
//! of CPUs it runs on.

pub mod cpus;
mod pool;

pub use pool::{Pool, Round};

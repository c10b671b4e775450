//! Memory benchmarks.

pub mod bandwidth;
pub mod chase;
pub mod latency;
pub mod levels;
pub mod sweep;

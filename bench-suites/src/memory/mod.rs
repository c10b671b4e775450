//! Memory benchmarks.

pub mod bandwidth;
pub mod c2c;
pub mod chase;
pub mod interleave;
pub mod latency;
pub mod levels;
pub mod loaded;
pub mod matrix;
pub mod mlp;
pub mod nodes;
pub mod pinned;
pub mod placed;
pub mod rows;
pub mod sweep;
pub mod tails;
pub mod traffic;

//! NUMA benchmarks on this machine and on fixture topologies: the
//! latency/bandwidth matrix, loaded latency, core-to-core latency and the
//! numa and cxl suites.

mod c2c;
mod common;
mod loaded;
mod matrix;
mod suites;

//! The machine as it is: topology (hwloc + sysfs), provenance, placement,
//! energy meters and counters. Every sysfs/procfs read goes through a
//! [`SysRoot`] so tests can use fixture trees.

pub mod sysroot;

pub use sysroot::{SysRoot, SysfsError};

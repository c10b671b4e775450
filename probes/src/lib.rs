//! The machine as it is: topology (hwloc + sysfs), provenance, placement
//! and thread binding. Every sysfs/procfs read about the machine goes
//! through a [`SysRoot`] so tests can use fixture trees.

pub mod binding;
pub mod counters;
pub mod energy;
pub mod idle;
pub mod interference;
pub mod interleave;
pub mod limits;
pub mod mempolicy;
pub mod migrate;
pub mod placement;
pub mod provenance;
pub mod sched;
pub mod sysroot;
pub mod tiers;
pub mod topology;
pub mod uncore;

pub use sysroot::{RootError, SysRoot, SysfsError};

use thiserror::Error;

/// A probe that could not read the machine.
#[derive(Debug, Error)]
pub enum ProbeError {
    /// hwloc failed to load or answer.
    #[error("{0}")]
    Hwloc(String),
    /// A fixture root that describes no machine.
    #[error(transparent)]
    Root(#[from] RootError),
    /// A sysfs/procfs file was missing or malformed.
    #[error(transparent)]
    Sysfs(#[from] SysfsError),
    /// Thread binding failed.
    #[error("{0}")]
    Binding(String),
}

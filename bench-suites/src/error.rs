//! Errors of planning and measuring.

use thiserror::Error;

/// Why a benchmark could not be planned or measured.
#[derive(Debug, Error)]
pub enum BenchError {
    /// Bad input found while planning: the run stops before measuring (exit 2).
    #[error("{0}")]
    BadInput(String),
    /// The point cannot be measured here (no device, no huge pages, ...):
    /// the record is "skipped" with this reason and the run goes on.
    #[error("{0}")]
    Unavailable(String),
    /// The measurement ran but failed (validation, placement): the record
    /// is "failed" with this reason, never a number.
    #[error("{0}")]
    Failed(String),
    /// The user interrupted the run; the current point is dropped.
    #[error("interrupted")]
    Interrupted,
    /// The machine could not be read (hwloc, sysfs): not the user's input.
    #[error("{0}")]
    Environment(String),
}

/// Memory that cannot be placed: no huge pages reserved is a point that
/// cannot run here (skipped); any other refusal (a node too small, a failed
/// mbind) is a failed point.
impl From<hwbench_probes::placement::PlacementError> for BenchError {
    fn from(e: hwbench_probes::placement::PlacementError) -> Self {
        match e {
            hwbench_probes::placement::PlacementError::NoHugePages { .. } => BenchError::Unavailable(e.to_string()),
            _ => BenchError::Failed(e.to_string()),
        }
    }
}

impl BenchError {
    /// A bad-input error naming the benchmark and parameter.
    pub fn bad_param(id: &str, param: &str, why: impl std::fmt::Display) -> Self {
        BenchError::BadInput(format!("{id}: {param}: {why}"))
    }
}

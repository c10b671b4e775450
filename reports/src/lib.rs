//! hwbench-reports: statistics, comparison and plotted reports over hwbench
//! result documents. Depends on the schema only, so reports can be built on
//! machines without hwloc or a GPU stack.

pub mod charts;
pub mod compare;
mod error;
pub mod export;
pub mod figures;
pub mod fleet;
pub mod format;
pub mod glance;
pub mod inputs;
pub mod key;
pub mod output;
pub mod plots;
pub mod references;
pub mod relative;
pub mod report;
pub mod runs;
pub mod staged;
pub mod stats;
pub mod system;
pub mod writers;

pub use error::ReportError;

use std::path::{Path, PathBuf};

/// Loads the inputs (files, or directories searched for `*.json`), builds
/// the report against `baseline` (default: the first run), each figure set
/// beside the same SKU's results in `references` when given, and writes it
/// under `out` in one step. Nothing is written when any input is bad.
pub fn write_report(
    inputs: &[PathBuf],
    baseline: Option<&str>,
    references: Option<&Path>,
    out: &Path,
) -> Result<report::Report, ReportError> {
    let references = references.map(references::References::load).transpose()?;
    let runs = runs::RunSet::new(inputs::load_all(inputs)?, baseline)?;
    let report = report::build(runs, references)?;
    output::write(&report, out)?;
    Ok(report)
}

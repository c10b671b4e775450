//! Errors of report building; each names the file or the argument at fault.

use std::path::PathBuf;

use hwbench_schema::LoadError;
use thiserror::Error;

/// Why a report or comparison could not be made.
#[derive(Debug, Error)]
pub enum ReportError {
    /// A result document could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// An input directory could not be listed.
    #[error("{path}: cannot list directory: {source}")]
    ListDir { path: PathBuf, source: std::io::Error },
    /// No input was given at all.
    #[error("no result documents given")]
    NoRuns,
    /// An input directory holds no result document.
    #[error("{0}: no result documents (*.json) found")]
    NoDocuments(PathBuf),
    /// `--baseline` names no loaded run.
    #[error("baseline '{wanted}' matches no run id, label or file (runs: {known})")]
    UnknownBaseline { wanted: String, known: String },
    /// The output directory is not empty and was not written by hwbench
    /// (no marker, or other files beside a report's).
    #[error(
        "{0}: exists and is not an hwbench report directory (no .hwbench-report marker, or other files in it); \
         refusing to replace it: choose another --out or empty it"
    )]
    OutputNotReport(PathBuf),
    /// Writing the report failed.
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    /// A chart could not be drawn.
    #[error("chart {chart}: {detail}")]
    Plot { chart: String, detail: String },
    /// `--references` names no directory.
    #[error("--references {0}: not a directory of result documents")]
    ReferencesNotDir(PathBuf),
    /// `--references` holds no run of the SKU of any run judged.
    #[error(
        "--references {dir}: none of its {count} result(s) is of this machine's SKU, so none can say what is normal \
         here ({why})"
    )]
    NoReferenceOfSku { dir: PathBuf, count: usize, why: String },
    /// `--group-by` names neither a machine field nor a tag any run has.
    #[error("--group-by {key}: no run has a machine field (results/SCHEMA.md) or tag of that name (tags: {tags})")]
    UnknownGroupKey { key: String, tags: String },
}

//! Export for query engines: one row per (run, record, metric) with the
//! run's id, label, tags, cohort key and provenance, the point's params and
//! the metric's value, statistic and unit, as a Parquet file that DuckDB,
//! Spark, pandas or Polars read directly (README.md, "Fleets").

pub mod columns;
mod parquet_file;

use std::path::{Path, PathBuf};

use hwbench_schema::RecordStatus;

use crate::fleet::cohort::{self, KeyCheck};
use crate::fleet::node;
use crate::ReportError;
use columns::{Cell, Row, Run, Source, COLUMNS};

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    pub runs: usize,
    pub rows: usize,
    /// Size of the file, bytes.
    pub bytes: u64,
}

/// Loads the inputs one document at a time (files, or directories searched
/// for `*.json`) and writes their rows to `out` atomically: nothing is
/// left there when any input is bad. `group_by` chooses the cohort key as
/// `hwbench fleet --group-by` does.
pub fn write_parquet(inputs: &[PathBuf], group_by: &[String], out: &Path) -> Result<Exported, ReportError> {
    let files = crate::inputs::files(inputs)?;
    if files.is_empty() {
        return Err(ReportError::NoRuns);
    }
    // write_atomic_with speaks io::Error; the export's own error is kept aside.
    let mut failure = None;
    let mut rows = 0;
    let written = hwbench_schema::write_atomic_with(out, |file| {
        match write_rows(&files, group_by, std::io::BufWriter::new(file), out) {
            Ok(n) => {
                rows = n;
                Ok(())
            }
            Err(e) => {
                let io = std::io::Error::other(e.to_string());
                failure = Some(e);
                Err(io)
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    written.map_err(|e| ReportError::Write { path: e.path, source: e.source })?;
    let bytes = std::fs::metadata(out).map_err(|source| ReportError::Write { path: out.to_path_buf(), source })?.len();
    Ok(Exported { runs: files.len(), rows, bytes })
}

/// Writes every row of `files` into `sink`; returns how many.
fn write_rows(
    files: &[PathBuf],
    group_by: &[String],
    sink: std::io::BufWriter<&mut std::fs::File>,
    out: &Path,
) -> Result<usize, ReportError> {
    let mut writer = parquet_file::Writer::new(sink, COLUMNS).map_err(|e| parquet_error(out, e))?;
    let mut check = KeyCheck::default();
    let mut rows = 0;
    for path in files {
        let doc = hwbench_schema::load(path)?;
        let groups = node::group_values(&doc, group_by);
        check.see(&groups, &doc.run.tags);
        let cohort = cohort::key(&node::fingerprint(&doc), &groups, group_by);
        let file = path.display().to_string();
        let run = Run { doc: &doc, file: &file, cohort: &cohort };
        // The run's cells once: its rows share them.
        let shared: Vec<Option<Cell>> = COLUMNS
            .iter()
            .map(|(_, _, source)| match source {
                Source::Run(cell) => Some(cell(&run)),
                Source::Row(_) => None,
            })
            .collect();
        for record in doc.benchmarks.iter().filter(|r| r.status == RecordStatus::Ok) {
            for metric in &record.metrics {
                let row = Row { record, metric };
                let cells = COLUMNS.iter().zip(&shared).map(|((_, _, source), shared)| match (source, shared) {
                    (Source::Row(cell), _) => cell(&row),
                    (Source::Run(cell), shared) => shared.clone().unwrap_or_else(|| cell(&run)),
                });
                writer.push(cells).map_err(|e| parquet_error(out, e))?;
                rows += 1;
            }
        }
    }
    check.finish(group_by)?;
    let sink = writer.finish().map_err(|e| parquet_error(out, e))?;
    sink.into_inner().map_err(|e| ReportError::Write { path: out.to_path_buf(), source: e.into_error() })?;
    Ok(rows)
}

/// A parquet writer error: the file could not be written as asked.
fn parquet_error(out: &Path, e: parquet::errors::ParquetError) -> ReportError {
    let source = match e {
        parquet::errors::ParquetError::External(inner) => std::io::Error::other(inner),
        other => std::io::Error::other(other.to_string()),
    };
    ReportError::Write { path: out.to_path_buf(), source }
}

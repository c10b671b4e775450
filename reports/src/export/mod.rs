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
use columns::{Row, COLUMNS};

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
    let mut failure: Option<ReportError> = None;
    let mut rows = 0;
    let written = hwbench_schema::write_atomic_with(out, |file| {
        let result = (|| -> Result<(), ReportError> {
            let sink = std::io::BufWriter::new(file);
            let mut writer = parquet_file::Writer::new(sink, COLUMNS).map_err(|e| parquet_error(out, e))?;
            let mut check = KeyCheck::default();
            for path in &files {
                let doc = hwbench_schema::load(path)?;
                let groups = node::group_values(&doc, group_by);
                check.see(&groups, &doc.run.tags);
                let cohort = cohort::key(&node::fingerprint(&doc), &groups, group_by);
                let file = path.display().to_string();
                for record in doc.benchmarks.iter().filter(|r| r.status == RecordStatus::Ok) {
                    for metric in &record.metrics {
                        let row = Row { doc: &doc, file: &file, cohort: &cohort, record, metric };
                        writer
                            .push(COLUMNS.iter().map(|(_, _, cell)| cell(&row)))
                            .map_err(|e| parquet_error(out, e))?;
                        rows += 1;
                    }
                }
            }
            check.finish(group_by)?;
            let sink = writer.finish().map_err(|e| parquet_error(out, e))?;
            sink.into_inner().map_err(|e| ReportError::Write { path: out.to_path_buf(), source: e.into_error() })?;
            Ok(())
        })();
        result.map_err(|e| {
            let io = std::io::Error::other(e.to_string());
            failure = Some(e);
            io
        })
    });
    if let Some(e) = failure {
        return Err(e);
    }
    written.map_err(|e| ReportError::Write { path: e.path, source: e.source })?;
    let bytes = std::fs::metadata(out).map_err(|source| ReportError::Write { path: out.to_path_buf(), source })?.len();
    Ok(Exported { runs: files.len(), rows, bytes })
}

/// A parquet writer error: the file could not be written as asked.
fn parquet_error(out: &Path, e: parquet::errors::ParquetError) -> ReportError {
    let source = match e {
        parquet::errors::ParquetError::External(inner) => std::io::Error::other(inner),
        other => std::io::Error::other(other.to_string()),
    };
    ReportError::Write { path: out.to_path_buf(), source }
}

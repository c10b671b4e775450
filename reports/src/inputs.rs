//! Finding and loading the result documents a report is made of.

use std::path::{Path, PathBuf};

use hwbench_schema::ResultDocument;

use crate::ReportError;

/// A loaded result document and the file it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The file.
    pub path: PathBuf,
    /// Its contents, validated.
    pub doc: ResultDocument,
}

/// A directory holding this file is a fleet report, not results: searches
/// for `*.json` pass it by (its fleet.json is no result document), as they
/// pass by `hwbench report` directories (their marker,
/// [`crate::output::MARKER`]).
pub const REPORT_MARKER: &str = ".hwbench-fleet-report";

/// Loads every input in order: files as given, directories searched
/// recursively for `*.json` (sorted by path). The first bad file stops
/// everything, with its name in the error.
pub fn load_all(inputs: &[PathBuf]) -> Result<Vec<Loaded>, ReportError> {
    files(inputs)?.into_iter().map(|path| Ok(Loaded { doc: hwbench_schema::load(&path)?, path })).collect()
}

/// The files the inputs stand for, in order: files as given, directories
/// searched recursively for `*.json` (sorted by path).
pub fn files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, ReportError> {
    let mut files = Vec::new();
    for input in inputs {
        files.extend(expand(input)?);
    }
    Ok(files)
}

/// The files an input stands for: itself, or the `*.json` under it.
fn expand(input: &Path) -> Result<Vec<PathBuf>, ReportError> {
    if !input.is_dir() {
        return Ok(vec![input.to_path_buf()]);
    }
    let mut found = Vec::new();
    walk(input, &mut found)?;
    if found.is_empty() {
        return Err(ReportError::NoDocuments(input.to_path_buf()));
    }
    found.sort();
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), ReportError> {
    let err = |source| ReportError::ListDir { path: dir.to_path_buf(), source };
    // A report's own report.json is no result either.
    if dir.join(REPORT_MARKER).exists() || dir.join(crate::output::MARKER).exists() {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).map_err(err)? {
        let path = entry.map_err(err)?.path();
        if path.is_dir() {
            walk(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            found.push(path);
        }
    }
    Ok(())
}

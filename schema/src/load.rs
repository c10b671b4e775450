//! Loading a result document with errors that name the file and the fault.

use std::path::{Path, PathBuf};

use serde_json::error::Category;
use thiserror::Error;

use crate::document::{ResultDocument, SCHEMA_VERSION};

/// Why a file is not a usable result document. Every variant names the file.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: empty file, not an hwbench result")]
    Empty { path: PathBuf },
    #[error("{path}: truncated JSON (ends at line {line}): the run may have been cut off while writing")]
    Truncated { path: PathBuf, line: usize },
    #[error("{path}: not JSON: {detail}")]
    NotJson { path: PathBuf, detail: String },
    #[error("{path}: not an hwbench result: {why}")]
    NotAResult { path: PathBuf, why: String },
    #[error("{path}: schema_version {found} is newer than this build reads ({supported}); upgrade hwbench")]
    NewerVersion { path: PathBuf, found: u64, supported: u32 },
    #[error("{path}: invalid hwbench result: {detail}")]
    Invalid { path: PathBuf, detail: String },
}

/// Reads and validates a result document.
pub fn load(path: &Path) -> Result<ResultDocument, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io { path: path.into(), source })?;
    parse(path, &bytes)
}

/// Parses and validates a result document from bytes; `path` names it in errors.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<ResultDocument, LoadError> {
    let p = || path.to_path_buf();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(LoadError::Empty { path: p() });
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        Category::Eof => LoadError::Truncated { path: p(), line: e.line() },
        _ => LoadError::NotJson { path: p(), detail: e.to_string() },
    })?;
    let object = value.as_object().ok_or_else(|| LoadError::NotAResult {
        path: p(),
        why: format!("the top level is {}, not an object", json_kind(&value)),
    })?;
    let version = object
        .get("schema_version")
        .ok_or_else(|| LoadError::NotAResult { path: p(), why: "no schema_version field".into() })?;
    let version = version.as_u64().ok_or_else(|| LoadError::NotAResult {
        path: p(),
        why: "schema_version is not a non-negative integer".into(),
    })?;
    if let Some(name) = object.get("tool").and_then(|t| t.get("name")).and_then(|n| n.as_str()) {
        if name != "hwbench" {
            return Err(LoadError::NotAResult { path: p(), why: format!("written by '{name}'") });
        }
    }
    if version > u64::from(SCHEMA_VERSION) {
        return Err(LoadError::NewerVersion { path: p(), found: version, supported: SCHEMA_VERSION });
    }
    if version == 0 {
        return Err(LoadError::NotAResult { path: p(), why: "schema_version 0 does not exist".into() });
    }
    let doc: ResultDocument =
        serde_json::from_value(value).map_err(|e| LoadError::Invalid { path: p(), detail: e.to_string() })?;
    validate(&doc).map_err(|detail| LoadError::Invalid { path: p(), detail })?;
    Ok(doc)
}

/// Checks what serde cannot: finite numbers, non-empty ids and units.
fn validate(doc: &ResultDocument) -> Result<(), String> {
    for (i, record) in doc.benchmarks.iter().enumerate() {
        if record.id.trim().is_empty() {
            return Err(format!("benchmarks[{i}] has an empty id"));
        }
        for metric in &record.metrics {
            if metric.unit.trim().is_empty() {
                return Err(format!("benchmarks[{i}] ({}) metric '{}' has no unit", record.id, metric.name));
            }
            if !metric.value.is_finite() || metric.samples.iter().any(|s| !s.is_finite()) {
                return Err(format!("benchmarks[{i}] ({}) metric '{}' is not finite", record.id, metric.name));
            }
            if metric.repetitions.iter().any(|r| !r.value.is_finite()) || metric.repetition_samples().is_none() {
                return Err(format!(
                    "benchmarks[{i}] ({}) metric '{}': repetitions do not add up to its samples",
                    record.id, metric.name
                ));
            }
        }
    }
    Ok(())
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

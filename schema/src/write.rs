//! Atomic writes: a temporary file in the same directory, fsync, rename.

use std::io::Write;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::document::ResultDocument;

/// A file that could not be written; names the path.
#[derive(Debug, Error)]
#[error("cannot write {path}: {source}")]
pub struct WriteError {
    /// The file (or its directory) that failed.
    pub path: PathBuf,
    /// The underlying error.
    pub source: std::io::Error,
}

/// Writes `bytes` to `path` atomically: readers see the old file or the new
/// one, never a partial file, even if the process dies mid-write.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// Like [`write_atomic`], for content written piece by piece: `fill` writes
/// into the temporary file, which replaces `path` only when `fill` succeeds.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    let err = |source| WriteError { path: path.to_path_buf(), source };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().ok_or_else(|| err(std::io::Error::other("no file name")))?;
    let tmp = dir.join(format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        fill(&mut file)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        std::fs::File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// Serializes a document (pretty JSON) and writes it atomically.
pub fn write_document(path: &Path, doc: &ResultDocument) -> Result<(), WriteError> {
    let mut bytes = serde_json::to_vec_pretty(doc)
        .map_err(|e| WriteError { path: path.to_path_buf(), source: std::io::Error::other(e) })?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

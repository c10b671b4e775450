//! Writing a report directory all at once: the files go into a temporary
//! sibling directory that is renamed into place at the end, so a failure
//! never leaves a partial report behind. An existing directory is replaced
//! only when it is empty or hwbench wrote it (it holds [`MARKER`] and
//! nothing but a report's files).

use std::path::{Path, PathBuf};

use crate::report::Report;
use crate::writers;
use crate::ReportError;

/// The file every report directory gets, so a later report knows the
/// directory is hwbench's to replace.
pub const MARKER: &str = ".hwbench-report";

/// What a report directory holds; one with the marker and only these may be
/// replaced.
const REPORT_ENTRIES: [&str; 5] = [MARKER, "index.html", "summary.md", "data.csv", "plots"];

/// The marker's content, for whoever finds it.
const MARKER_TEXT: &str = "Written by `hwbench report`: a later report with the same --out replaces this directory.\n";

/// Writes index.html, summary.md, data.csv and plots/*.svg under `out`,
/// replacing an earlier report there (never anything else).
pub fn write(report: &Report, out: &Path) -> Result<(), ReportError> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = vec![
        (MARKER.into(), MARKER_TEXT.into()),
        ("index.html".into(), writers::html::render(report)),
        ("summary.md".into(), writers::markdown::render(report)),
        ("data.csv".into(), writers::csv::render(&report.runs)),
    ];
    for chart in &report.charts {
        files.push((Path::new("plots").join(&chart.file), chart.svg.clone().into_bytes()));
    }
    if out.exists() && !replaceable(out) {
        return Err(ReportError::OutputNotReport(out.to_path_buf()));
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|source| ReportError::Write { path: parent.clone(), source })?;
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
    let staging = Staging(parent.join(format!(".{name}.tmp-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&staging.0);
    let write = |path: &Path, bytes: &[u8]| -> Result<(), ReportError> {
        let err = |source| ReportError::Write { path: path.to_path_buf(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        std::fs::write(path, bytes).map_err(err)
    };
    for (relative, bytes) in &files {
        write(&staging.0.join(relative), bytes)?;
    }
    let plots = staging.0.join("plots");
    std::fs::create_dir_all(&plots).map_err(|source| ReportError::Write { path: plots, source })?;
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    let moved_old = out.exists();
    if moved_old {
        std::fs::rename(out, &old).map_err(|source| ReportError::Write { path: out.to_path_buf(), source })?;
    }
    if let Err(source) = std::fs::rename(&staging.0, out) {
        if moved_old {
            let _ = std::fs::rename(&old, out);
        }
        return Err(ReportError::Write { path: out.to_path_buf(), source });
    }
    if moved_old {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(())
}

/// True for an empty directory or one holding an earlier report only, with
/// the marker hwbench writes into every report.
fn replaceable(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    let names: Vec<String> = entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.is_empty()
        || (names.iter().any(|n| n == MARKER) && names.iter().all(|n| REPORT_ENTRIES.contains(&n.as_str())))
}

/// The staging directory; removed unless it was renamed into place.
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

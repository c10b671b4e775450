//! Writing a report directory all at once: the files go into a temporary
//! sibling directory that is renamed into place at the end, so a failure
//! never leaves a partial report behind.

use std::path::{Path, PathBuf};

use crate::report::Report;
use crate::writers;
use crate::ReportError;

/// What a report directory holds; a directory with only these may be replaced.
const REPORT_ENTRIES: [&str; 4] = ["index.html", "summary.md", "data.csv", "plots"];

/// Writes index.html, summary.md, data.csv and plots/*.svg under `out`,
/// replacing an earlier report there (never anything else).
pub fn write(report: &Report, out: &Path) -> Result<(), ReportError> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = vec![
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

/// True for an empty directory or one holding an earlier report only.
fn replaceable(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    entries.flatten().all(|e| REPORT_ENTRIES.contains(&e.file_name().to_string_lossy().as_ref()))
}

/// The staging directory; removed unless it was renamed into place.
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

//! Writing a report directory all at once: the files go into a temporary
//! sibling directory that is renamed into place at the end, so a failure
//! never leaves a partial report behind. An existing directory is replaced
//! only when it is empty or hwbench wrote it (it holds [`MARKER`] and
//! nothing but a report's files).

use std::path::Path;

use crate::report::Report;
use crate::writers;
use crate::ReportError;

/// The file every report directory gets, so a later report knows the
/// directory is hwbench's to replace.
pub const MARKER: &str = ".hwbench-report";

/// What a report directory holds; one with the marker and only these may be
/// replaced.
const REPORT_ENTRIES: [&str; 6] = [MARKER, "index.html", "summary.md", "data.csv", "report.json", "plots"];

/// The marker's content, for whoever finds it.
const MARKER_TEXT: &str = "Written by `hwbench report`: a later report with the same --out replaces this directory.\n";

/// Writes index.html, summary.md, data.csv, report.json and plots/*.svg under `out`,
/// replacing an earlier report there (never anything else).
pub fn write(report: &Report, out: &Path) -> Result<(), ReportError> {
    crate::staged::write_dir(out, replaceable, |stage| {
        stage.put(MARKER, MARKER_TEXT.as_bytes())?;
        stage.put("index.html", &writers::html::render(report))?;
        stage.put("summary.md", &writers::markdown::render(report))?;
        stage.put("data.csv", &writers::csv::render(&report.runs))?;
        stage.put("report.json", &writers::report_json::render(report))?;
        stage.dir("plots")?;
        for chart in &report.charts {
            stage.put(Path::new("plots").join(&chart.file), chart.svg.as_bytes())?;
        }
        Ok(())
    })
}

/// True for an empty directory or one holding an earlier report only, with
/// the marker hwbench writes into every report.
fn replaceable(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    let names: Vec<String> = entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.is_empty()
        || (names.iter().any(|n| n == MARKER) && names.iter().all(|n| REPORT_ENTRIES.contains(&n.as_str())))
}

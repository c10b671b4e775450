//! The runs of a report: loaded documents with display names and the
//! baseline the others are measured against.

use std::path::PathBuf;

use hwbench_schema::{Record, RecordStatus, ResultDocument};

use crate::inputs::Loaded;
use crate::ReportError;

/// One run with the name it is shown under.
#[derive(Debug, Clone)]
pub struct NamedRun {
    /// The run's label, else its id; "#2", "#3" appended to repeats.
    pub name: String,
    /// The file it was loaded from.
    pub path: PathBuf,
    /// The document.
    pub doc: ResultDocument,
}

impl NamedRun {
    /// The records that measured something.
    pub fn ok_records(&self) -> impl Iterator<Item = &Record> {
        self.doc.benchmarks.iter().filter(|r| r.status == RecordStatus::Ok)
    }
}

/// The runs of a report, in input order, and which one is the baseline.
#[derive(Debug, Clone)]
pub struct RunSet {
    /// The runs.
    pub runs: Vec<NamedRun>,
    /// Index of the baseline run.
    pub baseline: usize,
}

impl RunSet {
    /// Names the runs and picks the baseline: the run whose id, label,
    /// name or file path is `baseline`, else the first.
    pub fn new(loaded: Vec<Loaded>, baseline: Option<&str>) -> Result<Self, ReportError> {
        if loaded.is_empty() {
            return Err(ReportError::NoRuns);
        }
        let mut runs: Vec<NamedRun> = Vec::with_capacity(loaded.len());
        for Loaded { path, doc } in loaded {
            let base = doc.run.label.clone().filter(|l| !l.trim().is_empty()).unwrap_or_else(|| doc.run.id.clone());
            let mut name = base.clone();
            let mut n = 1;
            while runs.iter().any(|r| r.name == name) {
                n += 1;
                name = format!("{base} #{n}");
            }
            runs.push(NamedRun { name, path, doc });
        }
        let baseline = match baseline {
            None => 0,
            Some(wanted) => runs
                .iter()
                .position(|r| {
                    r.doc.run.id == wanted
                        || r.name == wanted
                        || r.doc.run.label.as_deref() == Some(wanted)
                        || r.path.as_os_str() == wanted
                })
                .ok_or_else(|| ReportError::UnknownBaseline {
                    wanted: wanted.to_string(),
                    known: runs.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", "),
                })?,
        };
        Ok(Self { runs, baseline })
    }

    /// The baseline run.
    pub fn baseline_run(&self) -> &NamedRun {
        &self.runs[self.baseline]
    }
}

//! A report: everything the writers show, computed once from the runs.

use hwbench_schema::RecordStatus;

use crate::charts::{self, Chart};
use crate::compare::{self, Comparison};
use crate::figures::RunFigures;
use crate::glance::{self, Glance};
use crate::key::PointKey;
use crate::references::References;
use crate::relative::{self, Relative};
use crate::runs::RunSet;
use crate::system::{self, SystemTable};
use crate::ReportError;

/// A record that did not measure, and why.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Index of its run.
    pub run: usize,
    pub key: PointKey,
    /// "skipped" or "failed".
    pub status: &'static str,
    pub reason: String,
}

/// Everything a report shows.
#[derive(Debug, Clone)]
pub struct Report {
    pub runs: RunSet,
    /// The machine at a glance, per run: what the report opens with.
    pub glances: Vec<Glance>,
    /// Every figure of every run with its standing among the references.
    pub figures: Vec<RunFigures>,
    /// The references the figures were set beside (`--references`).
    pub references: Option<References>,
    pub system: SystemTable,
    pub relative: Relative,
    /// Each other run compared with the baseline, repetitions as the
    /// units: (run index, comparison).
    pub changes: Vec<(usize, Comparison)>,
    pub charts: Vec<Chart>,
    pub problems: Vec<Problem>,
}

/// Computes the tables, comparisons and charts of a report, each figure
/// set beside `references` when given (refused when none of them is of
/// the SKU of any run).
pub fn build(runs: RunSet, references: Option<References>) -> Result<Report, ReportError> {
    let docs: Vec<_> = runs.runs.iter().map(|r| &r.doc).collect();
    let figures = match &references {
        Some(refs) => {
            refs.check(&docs)?.into_iter().zip(&docs).map(|(m, d)| RunFigures::of(d, Some((refs, m)))).collect()
        }
        None => docs.iter().map(|d| RunFigures::of(d, None)).collect(),
    };
    let glances = docs.iter().map(|d| glance::of(d)).collect();
    let relative = relative::relative(&runs);
    let charts = charts::plan(&runs, &relative).iter().map(charts::draw).collect::<Result<Vec<_>, _>>()?;
    let base = std::slice::from_ref(&runs.baseline_run().doc);
    let options = compare::Options::default();
    let changes = (0..runs.runs.len())
        .filter(|&i| i != runs.baseline)
        .map(|i| (i, compare::compare(base, std::slice::from_ref(&runs.runs[i].doc), &options)))
        .collect();
    let problems = runs
        .runs
        .iter()
        .enumerate()
        .flat_map(|(run, r)| r.doc.benchmarks.iter().map(move |rec| (run, rec)))
        .filter_map(|(run, rec)| {
            let status = match rec.status {
                RecordStatus::Ok => return None,
                RecordStatus::Skipped => "skipped",
                RecordStatus::Failed => "failed",
            };
            let reason = rec.reason.clone().unwrap_or_else(|| "no reason given".into());
            Some(Problem { run, key: PointKey::of(rec), status, reason })
        })
        .collect();
    Ok(Report { system: system::table(&runs), glances, figures, references, relative, changes, charts, problems, runs })
}

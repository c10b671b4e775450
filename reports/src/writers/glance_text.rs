//! The words of the first screen, shared by index.html and summary.md:
//! each glance figure as a short cell and as a sentence, the references a
//! run was set beside, and what it did not measure.

use hwbench_schema::Fact;

use crate::figures::Figure;
use crate::format;
use crate::glance::Row;
use crate::references::Sku;
use crate::report::Report;

/// A glance figure of one run, in the pieces a table cell shows.
pub struct Cell {
    /// "38.79 GB/s".
    pub value: String,
    /// "41% of 614.4 GB/s limit", "limit unknown"; `None` for figures no
    /// limit applies to.
    pub limit: Option<String>,
    /// "p40 of 5", "12% below all 5"; `None` without references.
    pub standing: Option<String>,
    /// True when flagged against the references.
    pub flagged: bool,
    /// True when flagged and worse than them (by the metric's `better`).
    pub worse: bool,
    /// "energy 0.1203 J/GB", where metered.
    pub energy: Option<String>,
    /// What the figure counts, for figures that say (throughput).
    pub counts: Option<String>,
    /// Everything but what it counts in one sentence.
    pub sentence: String,
}

/// Pieces of the cell of `row` of run `run`.
pub fn cell(report: &Report, run: usize, row: &Row) -> Cell {
    let doc = &report.runs.runs[run].doc;
    let record = &doc.benchmarks[row.record];
    let metric = &record.metrics[row.metric];
    let figure = report.figures[run].find(row.record, row.metric);
    let standing = figure.and_then(|f| f.standing.as_ref());
    let energy = row.energy.map(|i| &record.metrics[i]).map(|m| format!("{} {}", format::value(m.value), m.unit));
    let mut sentence = match figure {
        Some(f) => f.sentence(doc, &row.label, row.limit_name),
        None => format!("{} {} {}", row.label, format::value(metric.value), metric.unit),
    };
    if let Some(note) = &row.note {
        sentence += &format!("; {note}");
    }
    if let Some(e) = &energy {
        sentence += &format!("; energy per operation {e}");
    }
    sentence += &format!(" [{}]", row.source);
    Cell {
        value: format!("{} {}", format::value(metric.value), metric.unit),
        limit: metric.limit.as_ref().map(|l| match (l, metric.of_limit) {
            (Fact::Known(l), Some(share)) => {
                format!("{} of {} {} limit", format::percent_rounded(share), format::value(l.value), l.unit)
            }
            (Fact::Known(l), None) => format!("limit {} {}", format::value(l.value), l.unit),
            (Fact::Unknown { .. }, _) => "limit unknown".to_string(),
        }),
        standing: standing.map(|s| s.short()),
        flagged: standing.is_some_and(|s| s.flagged),
        worse: standing.is_some_and(|s| s.worse == Some(true)),
        energy: energy.map(|e| format!("energy {e}")),
        counts: metric.counts.clone(),
        sentence,
    }
}

/// The machines of the runs: ("", SKU) when they share one, else
/// ("run: ", SKU) per run.
pub fn machines(report: &Report) -> Vec<(String, String)> {
    let skus: Vec<String> = report.runs.runs.iter().map(|r| Sku::of(&r.doc).describe()).collect();
    if skus.windows(2).all(|w| w[0] == w[1]) {
        return skus.into_iter().take(1).map(|s| (String::new(), s)).collect();
    }
    report.runs.runs.iter().zip(skus).map(|(r, s)| (format!("{}: ", r.name), s)).collect()
}

/// The glance labels of every run, in order of first appearance.
pub fn labels(report: &Report) -> Vec<&str> {
    let mut labels: Vec<&str> = Vec::new();
    for glance in &report.glances {
        for row in &glance.rows {
            if !labels.contains(&row.label.as_str()) {
                labels.push(&row.label);
            }
        }
    }
    labels
}

/// Sentences of a run's glance figures flagged against the references,
/// each with whether it is worse than them.
pub fn flagged(report: &Report, run: usize) -> Vec<(String, bool)> {
    report.glances[run]
        .rows
        .iter()
        .map(|row| cell(report, run, row))
        .filter(|c| c.flagged)
        .map(|c| (c.sentence, c.worse))
        .collect()
}

/// What goes under the glance for a run: other flagged figures, what it
/// did not measure, energy, the references.
fn notes(report: &Report, run: usize) -> Vec<String> {
    let glance = &report.glances[run];
    let mut lines = Vec::new();
    let on_glance = |f: &Figure| glance.rows.iter().any(|r| r.record == f.record && r.metric == f.metric);
    let more = report.figures[run].flagged().filter(|f| !on_glance(f)).count();
    if more > 0 {
        lines.push(format!("{more} more figure(s) flagged against the references, listed below"));
    }
    if !glance.not_measured.is_empty() {
        lines.push(format!("not measured: {}", glance.not_measured.join(", ")));
    }
    if !glance.rows.is_empty() && !glance.metered() {
        lines.push("energy per operation: no meter counted".into());
    }
    lines.extend(references(report, run).map(|r| format!("references: {r}")));
    lines
}

/// The notes under the glance: those every run shares once, then each
/// run's own as (run, line).
pub fn shared_notes(report: &Report) -> (Vec<String>, Vec<(usize, String)>) {
    let per_run: Vec<Vec<String>> = (0..report.runs.runs.len()).map(|run| notes(report, run)).collect();
    let mut shared: Vec<String> = Vec::new();
    let mut own = Vec::new();
    for (run, lines) in per_run.iter().enumerate() {
        for line in lines {
            if per_run.len() > 1 && per_run.iter().all(|l| l.contains(line)) {
                if !shared.contains(line) {
                    shared.push(line.clone());
                }
            } else {
                own.push((run, line.clone()));
            }
        }
    }
    (shared, own)
}

/// Which references a run was set beside, in words; `None` without.
pub fn references(report: &Report, run: usize) -> Option<String> {
    report.figures[run].references_line(report.references.as_ref()?)
}

/// The sentence for a report without references.
pub const NO_REFERENCES: &str = "No references given: `hwbench report --references DIR` (earlier results of this SKU, such as results/<machine>/) sets each figure beside them.";

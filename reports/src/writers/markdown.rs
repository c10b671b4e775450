//! summary.md: the report's findings as Markdown, every label escaped.

use std::fmt::Write;

use super::escape::markdown as esc;
use super::glance_text::{self, cell};
use super::relative_text;
use crate::compare::{render, Verdict};
use crate::format;
use crate::report::Report;

/// The summary as UTF-8 bytes.
pub fn render(report: &Report) -> Vec<u8> {
    let mut m = String::from("# hwbench report\n\n");
    let runs = &report.runs.runs;
    let _ = writeln!(m, "{} run(s); baseline **{}**.\n", runs.len(), esc(&report.runs.baseline_run().name));
    glance(&mut m, report);
    m += "\n## Runs\n\n| # | name | run id | suite | started | file |\n|---|---|---|---|---|---|\n";
    for (i, run) in runs.iter().enumerate() {
        let r = &run.doc.run;
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | {} | {} |",
            i + 1,
            esc(&run.name),
            esc(&r.id),
            esc(&r.suite),
            esc(&r.started_at),
            esc(&run.path.display().to_string())
        );
    }
    system(&mut m, report);
    flagged(&mut m, report);
    relative(&mut m, report);
    changes(&mut m, report);
    m += "\n## Charts\n\n";
    for chart in &report.charts {
        let _ = writeln!(m, "- [{}](plots/{}): {}", esc(&chart.title), chart.file, esc(&chart.caption));
    }
    if report.charts.is_empty() {
        m += "The runs hold no data any chart shows.\n";
    }
    m += "\n## Skipped or failed\n\n";
    for p in &report.problems {
        let run = &runs[p.run].name;
        let _ =
            writeln!(m, "- {}: {} {} {}: {}", esc(run), esc(&p.key.id), esc(&p.key.params), p.status, esc(&p.reason));
    }
    if report.problems.is_empty() {
        m += "Every record measured.\n";
    }
    m.into_bytes()
}

/// The machine at a glance: one row per figure, one column per run; the
/// flags in words, what was not measured, the references.
fn glance(m: &mut String, report: &Report) {
    *m += "## The machine at a glance\n\n";
    for (name, sku) in glance_text::machines(report) {
        let _ = writeln!(m, "{}**{}**\n", esc(&name), esc(&sku));
    }
    let labels = glance_text::labels(report);
    if !labels.is_empty() {
        let names: Vec<String> = report.runs.runs.iter().map(|r| esc(&r.name)).collect();
        let _ = writeln!(m, "| figure | {} |\n|---|{}", names.join(" | "), "---|".repeat(names.len()));
        for label in &labels {
            let cells: Vec<String> = report
                .glances
                .iter()
                .enumerate()
                .map(|(run, g)| match g.rows.iter().find(|r| r.label == *label) {
                    Some(row) => {
                        let c = cell(report, run, row);
                        let standing = c.standing.map(|s| if c.flagged { format!("**{s}**") } else { s });
                        [Some(c.value), c.limit, c.energy, standing]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(" · ")
                    }
                    None => "not measured".into(),
                })
                .map(|text| esc_keeping_bold(&text))
                .collect();
            let _ = writeln!(m, "| {} | {} |", esc(label), cells.join(" | "));
        }
        *m += "\n";
    }
    let several = report.runs.runs.len() > 1;
    let prefix = |run: usize| if several { format!("{}: ", esc(&report.runs.runs[run].name)) } else { String::new() };
    for run in 0..report.runs.runs.len() {
        for (sentence, worse) in glance_text::flagged(report, run) {
            let how = if worse { "flagged, worse" } else { "flagged, better" };
            let _ = writeln!(m, "- {}{how}: {}", prefix(run), esc(&sentence));
        }
    }
    let (shared, own) = glance_text::shared_notes(report);
    for line in shared {
        let _ = writeln!(m, "- {}", esc(&line));
    }
    for (run, line) in own {
        let _ = writeln!(m, "- {}{}", prefix(run), esc(&line));
    }
    if report.references.is_none() {
        let _ = writeln!(m, "\n{}", esc(glance_text::NO_REFERENCES));
    }
}

/// Every figure flagged against the references (index.html and
/// report.json have every standing).
fn flagged(m: &mut String, report: &Report) {
    if report.references.is_none() {
        return;
    }
    *m += "\n## Flagged against the references\n\n";
    let mut any = false;
    for (run, figures) in report.figures.iter().enumerate() {
        let doc = &report.runs.runs[run].doc;
        for f in figures.flagged() {
            any = true;
            let (_, metric) = f.of(doc);
            let what = format!("{} {} {}", f.key.point.id, f.key.point.params, f.key.metric);
            let _ = writeln!(
                m,
                "- {}: {} {} {}: {}",
                esc(&report.runs.runs[run].name),
                esc(what.trim()),
                crate::format::value(metric.value),
                esc(&metric.unit),
                esc(&f.standing.as_ref().map(|s| s.words()).unwrap_or_default())
            );
        }
    }
    if !any {
        *m += "No figure lies beyond its references by more than their run-to-run spread.\n";
    }
}

/// Escaped text whose `**bold**` markers stay Markdown.
fn esc_keeping_bold(text: &str) -> String {
    text.split("**").map(esc).collect::<Vec<_>>().join("**")
}

/// Facts that differ as a table, the common ones as a list.
fn system(m: &mut String, report: &Report) {
    *m += "\n## System\n\n";
    let differing: Vec<_> = report.system.rows.iter().filter(|r| r.differs()).collect();
    if !differing.is_empty() {
        let columns: Vec<String> = report.system.columns.iter().map(|c| esc(c)).collect();
        let _ = writeln!(
            m,
            "Where the runs differ:\n\n| fact | {} |\n|---|{}",
            columns.join(" | "),
            "---|".repeat(columns.len())
        );
        for row in differing {
            let cells: Vec<String> =
                row.spans.iter().flat_map(|s| std::iter::repeat_n(esc(&s.text), s.width)).collect();
            let _ = writeln!(m, "| {} | {} |", esc(&row.name), cells.join(" | "));
        }
        *m += "\n";
    }
    *m += "Common to every run:\n\n";
    for row in report.system.rows.iter().filter(|r| !r.differs()) {
        let _ = writeln!(m, "- {}: {}", esc(&row.name), esc(&row.spans[0].text));
    }
}

fn relative(m: &mut String, report: &Report) {
    let rel = &report.relative;
    if report.runs.runs.len() < 2 || rel.overall.metrics == 0 {
        return;
    }
    let _ = writeln!(
        m,
        "\n## Relative performance (baseline = 1, higher is better)\n\n{}\n",
        esc(&relative_text::intervals(rel))
    );
    let names: Vec<String> = report.runs.runs.iter().map(|r| esc(&r.name)).collect();
    let _ = writeln!(m, "| benchmark | metrics | {} |\n|---|---|{}", names.join(" | "), "---|".repeat(names.len()));
    for g in rel.per_id.iter().chain(std::iter::once(&rel.overall)) {
        let label = if g.name == "all" { "geometric mean (all)".to_string() } else { esc(&g.name) };
        let cells: Vec<String> = (0..g.per_run.len()).map(|run| esc(&relative_text::cell(rel, g, run))).collect();
        let _ = writeln!(m, "| {label} | {} | {} |", g.metrics, cells.join(" | "));
    }
}

/// Changed metrics listed per run in the summary.
const LISTED: usize = 20;

fn changes(m: &mut String, report: &Report) {
    if report.changes.is_empty() {
        return;
    }
    let first = &report.changes[0].1;
    let _ = writeln!(
        m,
        "\n## Changes against the baseline\n\nRepetitions are the units; a change is listed only when it clears the noise: {}. The {LISTED} largest changes per run (all in index.html).",
        esc(&render::criterion(first))
    );
    for (run, c) in &report.changes {
        let _ = writeln!(m, "\n### {}\n\n{}.\n", esc(&report.runs.runs[*run].name), esc(&render::summary(c)));
        let mut changed: Vec<_> =
            c.rows.iter().filter(|r| matches!(r.verdict, Verdict::Improved | Verdict::Regressed)).collect();
        changed.sort_by(|a, b| b.change.abs().total_cmp(&a.change.abs()));
        for r in changed.into_iter().take(LISTED) {
            let _ = writeln!(
                m,
                "- {} {} {} {}: {} → {} {} ({}, p {}, {} and {} repetitions, spread {})",
                r.verdict.as_str(),
                esc(&r.key.id),
                esc(&r.key.params),
                esc(&r.metric),
                format::value(r.base_median),
                format::value(r.new_median),
                esc(&r.unit),
                format::percent(r.change),
                r.p_value.map_or("n/a".into(), format::p_value),
                r.base_units,
                r.new_units,
                r.spread.map_or("n/a".into(), format::percent_unsigned)
            );
        }
        for text in render::gate_failures(c).iter().chain(&render::interference(c)) {
            let _ = writeln!(m, "- {}", esc(text));
        }
    }
}

//! The first screen of index.html: the machine at a glance (each figure
//! with its share of the limit, its standing among the references and its
//! energy per operation, the flags in words), and the section that lists
//! every figure set beside the references.

use std::fmt::Write;

use super::escape::html as esc;
use super::glance_text::{self, cell};
use crate::format;
use crate::report::Report;

/// The glance: one row per figure, one column per run.
pub fn glance(h: &mut String, report: &Report) {
    h.push_str("<section id=\"glance\">\n<h2>The machine at a glance</h2>\n");
    for (name, sku) in glance_text::machines(report) {
        let _ = writeln!(h, "<p class=\"machine\">{}<b>{}</b></p>", esc(&name), esc(&sku));
    }
    let labels = glance_text::labels(report);
    if labels.is_empty() {
        h.push_str("<p>The runs measured none of the figures a first screen shows.</p>\n");
    } else {
        let seen = report
            .glances
            .iter()
            .find_map(|g| g.home)
            .map(|n| format!(" seen from node {n}'s CPUs"))
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<p class=\"meta\">Memory{seen}; each figure with its share of the hardware's limit, where it stands among the same SKU's reference runs (pN: percentile) and its energy per operation where metered. Hover a figure for all of it in words.</p>"
        );
        h.push_str("<table class=\"glance\">\n<tr><th>figure</th>");
        for run in &report.runs.runs {
            let _ = write!(h, "<th>{}</th>", esc(&run.name));
        }
        h.push_str("</tr>\n");
        for label in &labels {
            let _ = write!(h, "<tr><th>{}</th>", esc(label));
            for (run, glance) in report.glances.iter().enumerate() {
                match glance.rows.iter().find(|r| r.label == *label) {
                    Some(row) => figure_cell(h, report, run, row),
                    None => h.push_str("<td class=\"absent\">not measured</td>"),
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
    }
    notes(h, report);
    in_words(h, report);
    if report.references.is_none() {
        let _ = writeln!(h, "<p class=\"meta\">{}</p>", esc(glance_text::NO_REFERENCES));
    }
    h.push_str("</section>\n");
}

fn figure_cell(h: &mut String, report: &Report, run: usize, row: &crate::glance::Row) {
    let c = cell(report, run, row);
    let title = match &c.counts {
        Some(counts) => format!("{}; counts {counts}", c.sentence),
        None => c.sentence.clone(),
    };
    let _ = write!(h, "<td class=\"figure\" title=\"{}\"><b>{}</b>", esc(&title), esc(&c.value));
    for (text, class) in [(&c.limit, "lim"), (&c.energy, "energy")] {
        if let Some(text) = text {
            let _ = write!(h, " <span class=\"{class}\">{}</span>", esc(text));
        }
    }
    if let Some(standing) = &c.standing {
        let class = match (c.flagged, c.worse) {
            (true, true) => "flag",
            (true, false) => "flag better",
            _ => "ref",
        };
        let _ = write!(h, " <span class=\"{class}\">{}</span>", esc(standing));
    }
    h.push_str("</td>");
}

/// Under the table: the flags in words (red when worse than the
/// references, green when better), then what the runs did not measure and
/// the references they were set beside, once when every run shares it.
fn notes(h: &mut String, report: &Report) {
    let several = report.runs.runs.len() > 1;
    let prefix = |run: usize| if several { format!("{}: ", esc(&report.runs.runs[run].name)) } else { String::new() };
    let flags: Vec<(usize, String, bool)> = (0..report.runs.runs.len())
        .flat_map(|run| glance_text::flagged(report, run).into_iter().map(move |(s, worse)| (run, s, worse)))
        .collect();
    if !flags.is_empty() {
        h.push_str("<ul class=\"flags\">\n");
        for (run, sentence, worse) in &flags {
            let class = if *worse { "" } else { " class=\"better\"" };
            let _ = writeln!(h, "<li{class}>{}{}</li>", prefix(*run), esc(sentence));
        }
        h.push_str("</ul>\n");
    }
    let (shared, own) = glance_text::shared_notes(report);
    for line in shared {
        let _ = writeln!(h, "<p class=\"meta\">{}.</p>", esc(&line));
    }
    for (run, line) in own {
        let _ = writeln!(h, "<p class=\"meta\">{}{}.</p>", prefix(run), esc(&line));
    }
}

/// Folded: every glance figure in one sentence with what it counts, as
/// the cells' titles have it.
fn in_words(h: &mut String, report: &Report) {
    if report.glances.iter().all(|g| g.rows.is_empty()) {
        return;
    }
    h.push_str("<details><summary>Each figure in words: its limit and how it was derived, what it counts, where it comes from</summary>\n<ul>\n");
    let several = report.runs.runs.len() > 1;
    for (run, glance) in report.glances.iter().enumerate() {
        let prefix = if several { format!("{}: ", esc(&report.runs.runs[run].name)) } else { String::new() };
        for row in &glance.rows {
            let c = cell(report, run, row);
            let counts = c.counts.map(|counts| format!("<br><span class=\"meta\">counts {}</span>", esc(&counts)));
            let _ = writeln!(h, "<li>{prefix}{}{}</li>", esc(&c.sentence), counts.unwrap_or_default());
        }
    }
    h.push_str("</ul>\n</details>\n");
}

/// Every figure set beside the references: the flagged ones in a table,
/// all of them folded.
pub fn references(h: &mut String, report: &Report) {
    let Some(refs) = &report.references else { return };
    h.push_str("<h2 id=\"references\">Against the references</h2>\n");
    let _ = writeln!(
        h,
        "<p>Each figure beside the same figure of the reference runs of its SKU in {} ({} result(s); the SKU is the fleet's cohort fingerprint: CPU, sockets x cores, memory, NUMA nodes, GPUs). Its percentile among them; flagged when it lies beyond all of them by more than twice their run-to-run spread (the fleet's robust spread of their headlines, never below what their repetitions imply; with one reference run, its repetitions are the units).</p>",
        esc(&refs.dir.display().to_string()),
        refs.runs.len()
    );
    for (run, figures) in report.figures.iter().enumerate() {
        let doc = &report.runs.runs[run].doc;
        let _ = writeln!(h, "<h3>{}</h3>", esc(&report.runs.runs[run].name));
        if let Some(text) = glance_text::references(report, run) {
            let _ = writeln!(h, "<p>{}.</p>", esc(&text));
        }
        let flagged: Vec<_> = figures.flagged().collect();
        let judged: Vec<_> = figures.figures.iter().filter(|f| f.standing.is_some()).collect();
        for (list, open, title) in [(&flagged, true, "flagged"), (&judged, false, "every figure with references")] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(
                h,
                "<details{}><summary>{} {title}</summary>\n<table>\n<tr><th>benchmark</th><th>params</th><th>metric</th><th>value</th><th>references: median [min, max]</th><th>percentile</th><th>spread</th><th>standing</th></tr>",
                if open { " open" } else { "" },
                list.len()
            );
            for f in list.iter() {
                let (_, m) = f.of(doc);
                let Some(s) = &f.standing else { continue };
                let class = match (s.flagged, s.worse) {
                    (true, Some(true)) => " class=\"regressed\"",
                    (true, _) => " class=\"improved\"",
                    _ => "",
                };
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{} {}</td><td class=\"num\">{} [{}, {}]</td><td class=\"num\">{:.0}</td><td class=\"num\">{}</td><td{class}>{}</td></tr>",
                    esc(&f.key.point.id),
                    esc(&f.key.point.params),
                    esc(&f.key.metric),
                    format::value(m.value),
                    esc(&m.unit),
                    format::value(s.median),
                    format::value(s.min),
                    format::value(s.max),
                    s.percentile,
                    s.spread.map_or("n/a".into(), format::percent_unsigned),
                    esc(&s.words())
                );
            }
            h.push_str("</table>\n</details>\n");
        }
    }
}

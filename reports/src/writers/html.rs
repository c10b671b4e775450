//! index.html: one self-contained page (inline CSS and SVG, no script, no
//! network), every label escaped.

use std::fmt::Write;

use super::escape::html as esc;
use super::{html_glance, relative_text};
use crate::charts::Chart;
use crate::compare::{render, Comparison, Verdict};
use crate::format;
use crate::relative::Group;
use crate::report::Report;

/// The stylesheet every hwbench page shares.
pub const STYLE: &str = "
body { font-family: sans-serif; margin: 1.5em auto; max-width: 1200px; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.system td { text-align: center; }
table.system tr.differs th, table.system tr.differs td { background: #fff3cd; }
.improved { color: #1a7f37; font-weight: bold; }
.regressed { color: #c0392b; font-weight: bold; }
figure { margin: 1.2em 0; }
figure svg { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; max-width: 60em; }
nav a { margin-right: 1em; }
summary { cursor: pointer; color: #0645ad; }
.meta { color: #555; }
table.glance td.figure { white-space: nowrap; }
table.glance th { white-space: nowrap; }
table.glance td.absent { color: #888; }
.lim, .ref, .energy { color: #555; font-size: 0.85em; margin-left: 0.4em; }
.flag { color: #c0392b; font-weight: bold; font-size: 0.85em; margin-left: 0.4em; }
ul.flags { color: #c0392b; margin: 0.4em 0; }
.flag.better, ul.flags li.better { color: #1a7f37; }
section#glance p.meta { margin: 0.3em 0; font-size: 0.9em; }
p.machine { margin: 0.3em 0; }
";

/// The page as UTF-8 bytes.
pub fn render(report: &Report) -> Vec<u8> {
    let mut h = String::new();
    let baseline = &report.runs.baseline_run().name;
    h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>hwbench report</title>\n";
    let _ = write!(h, "<style>{STYLE}</style>\n</head>\n<body>\n<h1>hwbench report</h1>\n");
    let _ = writeln!(
        h,
        "<p class=\"meta\">{} run(s); baseline <b>{}</b>. Also here: <a href=\"summary.md\">summary.md</a>, <a href=\"data.csv\">data.csv</a> (every record and metric), <a href=\"report.json\">report.json</a> (every figure with its limit and standing), plots/ (each chart as SVG).</p>",
        report.runs.runs.len(),
        esc(baseline)
    );
    let references = if report.references.is_some() { "<a href=\"#references\">References</a>" } else { "" };
    let _ = writeln!(
        h,
        "<nav><a href=\"#runs\">Runs</a><a href=\"#system\">System</a>{references}<a href=\"#relative\">Relative performance</a><a href=\"#changes\">Changes</a><a href=\"#charts\">Charts</a><a href=\"#problems\">Skipped or failed</a></nav>"
    );
    html_glance::glance(&mut h, report);
    runs(&mut h, report);
    system(&mut h, report);
    html_glance::references(&mut h, report);
    relative(&mut h, report);
    changes(&mut h, report);
    charts(&mut h, report);
    problems(&mut h, report);
    h += "</body>\n</html>\n";
    h.into_bytes()
}

fn runs(h: &mut String, report: &Report) {
    h.push_str("<h2 id=\"runs\">Runs</h2>\n<table>\n<tr><th>#</th><th>name</th><th>run id</th><th>suite</th><th>started</th><th>finished</th><th>status</th><th>records ok / skipped / failed</th><th>file</th><th>warnings</th></tr>\n");
    for (i, run) in report.runs.runs.iter().enumerate() {
        let r = &run.doc.run;
        let count = |s| run.doc.benchmarks.iter().filter(|b| b.status == s).count();
        use hwbench_schema::RecordStatus::{Failed, Ok, Skipped};
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} / {} / {}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            esc(&run.name),
            esc(&r.id),
            esc(&r.suite),
            esc(&r.started_at),
            esc(&r.finished_at),
            format!("{:?}", r.status).to_lowercase(),
            count(Ok),
            count(Skipped),
            count(Failed),
            esc(&run.path.display().to_string()),
            esc(&r.warnings.join("; "))
        );
    }
    h.push_str("</table>\n");
}

/// Folded: facts, sensors and provenance would push the figures off the
/// first screen.
fn system(h: &mut String, report: &Report) {
    let differ = report.system.rows.iter().filter(|r| r.differs()).count();
    let _ = writeln!(
        h,
        "<h2 id=\"system\">System</h2>\n<details><summary>{} facts, sensors and provenance ({differ} differ between the runs)</summary>\n<p>One column per run; equal neighbouring cells are merged, and rows where the runs differ are highlighted.</p>",
        report.system.rows.len()
    );
    h.push_str("<table class=\"system\">\n<tr><th>fact</th>");
    for name in &report.system.columns {
        let _ = write!(h, "<th>{}</th>", esc(name));
    }
    h.push_str("</tr>\n");
    for row in &report.system.rows {
        let class = if row.differs() { " class=\"differs\"" } else { "" };
        let _ = write!(h, "<tr{class}><th>{}</th>", esc(&row.name));
        for span in &row.spans {
            let _ = write!(h, "<td colspan=\"{}\">{}</td>", span.width, esc(&span.text));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n</details>\n");
}

fn relative(h: &mut String, report: &Report) {
    let rel = &report.relative;
    h.push_str("<h2 id=\"relative\">Relative performance</h2>\n");
    if report.runs.runs.len() < 2 {
        h.push_str("<p>One run: nothing to compare it with.</p>\n");
        return;
    }
    if rel.overall.metrics == 0 {
        h.push_str("<p>No metric was measured by every run, so there is no common ground for a relative figure.</p>\n");
        return;
    }
    let _ = writeln!(
        h,
        "<p>Each run against the baseline <b>{}</b>: per metric the ratio of values (inverted where lower is better, so above 1 is better), geometric means per benchmark and over the {} metrics every run has (power and total energy left out). {}</p>",
        esc(&report.runs.baseline_run().name),
        rel.overall.metrics,
        esc(&relative_text::intervals(rel))
    );
    h.push_str("<table>\n<tr><th>benchmark</th><th>metrics</th>");
    for run in &report.runs.runs {
        let _ = write!(h, "<th>{}</th>", esc(&run.name));
    }
    h.push_str("</tr>\n");
    let group_row = |h: &mut String, g: &Group, label: &str| {
        let _ = write!(h, "<tr><th>{}</th><td class=\"num\">{}</td>", esc(label), g.metrics);
        for run in 0..g.per_run.len() {
            let _ = write!(h, "<td class=\"num\">{}</td>", esc(&relative_text::cell(rel, g, run)));
        }
        h.push_str("</tr>\n");
    };
    for g in &rel.per_id {
        group_row(h, g, &g.name);
    }
    group_row(h, &rel.overall, "geometric mean (all)");
    h.push_str("</table>\n");
}

fn changes(h: &mut String, report: &Report) {
    h.push_str("<h2 id=\"changes\">Changes against the baseline</h2>\n");
    if report.changes.is_empty() {
        h.push_str("<p>One run: nothing to compare it with.</p>\n");
        return;
    }
    let first = &report.changes[0].1;
    let _ = writeln!(
        h,
        "<p>Per benchmark point and metric, with the repetitions of each run as the units: medians of their figures, the relative change, a two-level bootstrap interval and a Mann-Whitney U p-value. Only changes that clear the noise are listed: {}.</p>",
        esc(&render::criterion(first))
    );
    for (run, c) in &report.changes {
        let _ = writeln!(h, "<h3>{}</h3>\n<p>{}.</p>", esc(&report.runs.runs[*run].name), esc(&render::summary(c)));
        changed_rows(h, c);
        for text in render::gate_failures(c).iter().chain(&render::interference(c)) {
            let _ = writeln!(h, "<p class=\"regressed\">{}</p>", esc(text));
        }
    }
}

fn changed_rows(h: &mut String, c: &Comparison) {
    let rows: Vec<_> = c.rows.iter().filter(|r| matches!(r.verdict, Verdict::Improved | Verdict::Regressed)).collect();
    if rows.is_empty() {
        return;
    }
    // Folded (no script needed): long tables would push the charts away.
    let _ = writeln!(h, "<details><summary>{} changed metric(s)</summary>", rows.len());
    h.push_str("<table>\n<tr><th>benchmark</th><th>params</th><th>metric</th><th>baseline</th><th>this run</th><th>change</th><th>interval</th><th>p</th><th>repetitions</th><th>spread</th><th>verdict</th></tr>\n");
    for r in rows {
        let ci =
            r.ci.map_or("n/a".into(), |ci| format!("[{}, {}]", format::percent(ci.lower), format::percent(ci.upper)));
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{} {}</td><td class=\"num\">{} {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"{v}\">{v}</td></tr>",
            esc(&r.key.id),
            esc(&r.key.params),
            esc(&r.metric),
            format::value(r.base_median),
            esc(&r.unit),
            format::value(r.new_median),
            esc(&r.unit),
            format::percent(r.change),
            ci,
            r.p_value.map_or("n/a".into(), format::p_value),
            esc(&render::units_text(r)),
            r.spread.map_or("n/a".into(), format::percent_unsigned),
            v = r.verdict.as_str()
        );
    }
    h.push_str("</table>\n</details>\n");
}

fn charts(h: &mut String, report: &Report) {
    h.push_str("<h2 id=\"charts\">Charts</h2>\n");
    if report.charts.is_empty() {
        h.push_str("<p>The runs hold no data any chart shows.</p>\n");
    }
    for chart in &report.charts {
        figure(h, chart);
    }
}

/// A chart inline, with its caption and a link to its SVG file in plots/.
pub fn figure(h: &mut String, chart: &Chart) {
    let _ = writeln!(
        h,
        "<figure>\n{}\n<figcaption>{} <a href=\"plots/{}\">plots/{}</a></figcaption>\n</figure>",
        chart.svg.trim(),
        esc(&chart.caption),
        esc(&chart.file),
        esc(&chart.file)
    );
}

fn problems(h: &mut String, report: &Report) {
    h.push_str("<h2 id=\"problems\">Skipped or failed</h2>\n");
    if report.problems.is_empty() {
        h.push_str("<p>Every record measured.</p>\n");
        return;
    }
    h.push_str("<table>\n<tr><th>run</th><th>benchmark</th><th>params</th><th>status</th><th>reason</th></tr>\n");
    for p in &report.problems {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&report.runs.runs[p.run].name),
            esc(&p.key.id),
            esc(&p.key.params),
            p.status,
            esc(&p.reason)
        );
    }
    h.push_str("</table>\n");
}

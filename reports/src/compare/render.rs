//! A comparison as a plain-text table, Markdown or JSON; each returns bytes.

use serde::Serialize;

use super::{Comparison, Row, Unmatched, Verdict, FEW_SAMPLES};
use crate::format;
use crate::writers::escape;

const HEADER: [&str; 9] = ["benchmark", "params", "metric", "base", "new", "change", "95% CI", "p", "verdict"];

/// The cells of one row, unescaped.
fn cells(row: &Row) -> [String; 9] {
    [
        row.key.id.clone(),
        row.key.params.clone(),
        row.metric.clone(),
        format!("{} {}", format::value(row.base_median), row.unit),
        format!("{} {}", format::value(row.new_median), row.unit),
        format::percent(row.change),
        row.ci.map_or("n/a".into(), |ci| format!("[{}, {}]", format::percent(ci.lower), format::percent(ci.upper))),
        row.p_value.map_or("n/a".into(), format::p_value),
        row.verdict.as_str().to_string(),
    ]
}

/// "1 regressed, 2 improved, ...": the verdict and unmatched counts.
pub fn summary(c: &Comparison) -> String {
    format!(
        "{} regressed, {} improved, {} unchanged; {} only in base, {} only in new, {} not compared",
        c.count(Verdict::Regressed),
        c.count(Verdict::Improved),
        c.count(Verdict::Unchanged),
        c.only_in_base.len(),
        c.only_in_new.len(),
        c.not_compared.len()
    )
}

fn criterion(c: &Comparison) -> String {
    format!("regressed or improved: Mann-Whitney p < {} and |change of medians| > {:.1}%", c.alpha, c.threshold * 100.0)
}

/// One line about rows whose test had too few samples to mean much.
fn few_samples_warning(c: &Comparison) -> Option<String> {
    let few = c.rows.iter().filter(|r| r.base_samples.min(r.new_samples) < FEW_SAMPLES).count();
    (few > 0).then(|| {
        format!(
            "{few} of {} rows have fewer than {FEW_SAMPLES} samples on a side; their test has little power",
            c.rows.len()
        )
    })
}

fn unmatched_sections(c: &Comparison) -> [(&'static str, &[Unmatched]); 3] {
    [("Only in base", &c.only_in_base), ("Only in new", &c.only_in_new), ("Not compared", &c.not_compared)]
}

fn unmatched_text(u: &Unmatched) -> String {
    let metric = u.metric.as_deref().map(|m| format!(" [{m}]")).unwrap_or_default();
    format!("{} {}{}: {}", u.key.id, u.key.params, metric, u.reason)
}

/// Control characters replaced, so hostile text cannot drive a terminal.
fn plain(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// An aligned plain-text table for terminals.
pub fn table(c: &Comparison) -> Vec<u8> {
    let rows: Vec<[String; 9]> = c.rows.iter().map(|r| cells(r).map(|s| plain(&s))).collect();
    let mut widths = HEADER.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells.iter().zip(widths).map(|(s, w)| format!("{s:<w$}")).collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = format!("base {}  new {}\n{}\n\n", plain(&c.base), plain(&c.new), criterion(c));
    out += &line(&HEADER.map(String::from));
    for row in &rows {
        out += &line(row);
    }
    if let Some(warning) = few_samples_warning(c) {
        out += &format!("warning: {warning}\n");
    }
    for (title, list) in unmatched_sections(c) {
        for u in list {
            out += &format!("{}: {}\n", title.to_lowercase(), plain(&unmatched_text(u)));
        }
    }
    out += &format!("\n{}\n", summary(c));
    out.into_bytes()
}

/// A Markdown document with the table and the unmatched lists.
pub fn markdown(c: &Comparison) -> Vec<u8> {
    let mut out = format!(
        "# Comparison\n\nBase {}, new {}. {}.\n\n**{}**\n\n",
        escape::markdown(&c.base),
        escape::markdown(&c.new),
        escape::markdown(&criterion(c)),
        summary(c)
    );
    out += &format!("| {} |\n|{}\n", HEADER.join(" | "), "---|".repeat(HEADER.len()));
    for row in &c.rows {
        let cells = cells(row).map(|s| escape::markdown(&s));
        out += &format!("| {} |\n", cells.join(" | "));
    }
    if let Some(warning) = few_samples_warning(c) {
        out += &format!("\n> {}\n", escape::markdown(&warning));
    }
    for (title, list) in unmatched_sections(c) {
        if !list.is_empty() {
            out += &format!("\n## {title}\n\n");
            for u in list {
                out += &format!("- {}\n", escape::markdown(&unmatched_text(u)));
            }
        }
    }
    out.into_bytes()
}

#[derive(Serialize)]
struct JsonOut<'a> {
    regressed: usize,
    improved: usize,
    unchanged: usize,
    #[serde(flatten)]
    comparison: &'a Comparison,
}

/// The comparison as pretty JSON, with the verdict counts on top.
pub fn json(c: &Comparison) -> Vec<u8> {
    let out = JsonOut {
        regressed: c.count(Verdict::Regressed),
        improved: c.count(Verdict::Improved),
        unchanged: c.count(Verdict::Unchanged),
        comparison: c,
    };
    let mut bytes = serde_json::to_vec_pretty(&out).expect("a comparison always serializes");
    bytes.push(b'\n');
    bytes
}

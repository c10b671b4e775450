//! A comparison as a plain-text table, Markdown or JSON; each returns bytes.

use serde::Serialize;

use super::{Comparison, InterferenceDiff, Level, Row, Unmatched, Verdict};
use crate::format;
use crate::writers::escape;

const HEADER: [&str; 11] =
    ["benchmark", "params", "metric", "base", "new", "change", "95% CI", "p", "units", "spread", "verdict"];

/// The cells of one row, unescaped.
fn cells(row: &Row) -> [String; 11] {
    [
        row.key.id.clone(),
        row.key.params.clone(),
        row.metric.clone(),
        format!("{} {}", format::value(row.base_median), row.unit),
        format!("{} {}", format::value(row.new_median), row.unit),
        format::percent(row.change),
        row.ci.map_or("n/a".into(), |ci| format!("[{}, {}]", format::percent(ci.lower), format::percent(ci.upper))),
        row.p_value.map_or("n/a".into(), format::p_value),
        units_text(row),
        row.spread.map_or("n/a".into(), format::percent_unsigned),
        verdict_text(row),
    ]
}

/// Units compared a side, and any set aside: "4/5 (base set aside: 57.00)".
pub fn units_text(row: &Row) -> String {
    let set_aside: Vec<String> = [("base", row.base_set_aside), ("new", row.new_set_aside)]
        .into_iter()
        .filter_map(|(side, figure)| figure.map(|f| format!("{side} set aside: {}", format::value(f))))
        .collect();
    let counts = format!("{}/{}", row.base_units, row.new_units);
    if set_aside.is_empty() {
        counts
    } else {
        format!("{counts} ({})", set_aside.join(", "))
    }
}

/// The verdict, or for a metric that is not gated, why not.
pub fn verdict_text(row: &Row) -> String {
    match (&row.note, row.verdict.gated()) {
        (Some(note), false) => note.clone(),
        _ => row.verdict.as_str().to_string(),
    }
}

/// "gated 43 metrics: ...; not gated: ...; 1 gate failure; ...": the counts.
pub fn summary(c: &Comparison) -> String {
    format!(
        "gated {} metrics: {} regressed, {} improved, {} unchanged; not gated: {} unstable here, {} without a run-to-run estimate, {} with too few units; {} gate failure(s); {} with interference on one side; {} only in base, {} only in new, {} not compared",
        c.gated(),
        c.count(Verdict::Regressed),
        c.count(Verdict::Improved),
        c.count(Verdict::Unchanged),
        c.count(Verdict::Unstable),
        c.count(Verdict::NoEstimate),
        c.count(Verdict::TooFewUnits),
        c.gate_failures.len(),
        c.interference.len(),
        c.only_in_base.len(),
        c.only_in_new.len(),
        c.not_compared.len()
    )
}

/// What the units are: "units: repetitions (one run a side)" or runs.
pub fn units_line(c: &Comparison) -> String {
    match c.level {
        Level::Repetitions => {
            "units: the repetitions of each run (one run a side; shifts between runs are not in this noise model: a baseline of several runs taken at different times has them)".to_string()
        }
        Level::Runs => format!("units: whole runs (base {} run(s), new {} run(s))", c.base.len(), c.new.len()),
    }
}

/// The rule that calls a change, with this comparison's figures.
pub fn criterion(c: &Comparison) -> String {
    let t = format::percent_unsigned(c.threshold);
    format!(
        "one outlying unit a side (Grubbs' test at 1%, 5 units or more) is set aside; then called when: the base has 2 units or more, its run-to-run spread s (2 SD of ln unit figures) is at most {t} (else unstable here), and the change is beyond {t} and significant (Mann-Whitney p < {a} on unit figures with the whole {ci} bootstrap interval beyond the base's band of +-s; one new unit: prediction test p < {a})",
        a = c.alpha,
        ci = format::percent_unsigned(c.confidence),
    )
}

/// One line per gate failure: "gate failure: <record>: <why>".
pub fn gate_failures(c: &Comparison) -> Vec<String> {
    prefixed(&lists(c)[0])
}

/// One line per record measured under interference on one side only.
pub fn interference(c: &Comparison) -> Vec<String> {
    prefixed(&lists(c)[1])
}

/// The lists beside the rows: (Markdown heading, line prefix, lines).
fn lists(c: &Comparison) -> [(&'static str, &'static str, Vec<String>); 5] {
    let plain = |list: &[Unmatched]| list.iter().map(unmatched_text).collect::<Vec<_>>();
    [
        ("Gate failures", "gate failure", plain(&c.gate_failures)),
        ("Interference on one side", "interference", c.interference.iter().map(interference_text).collect()),
        ("Only in base", "only in base", plain(&c.only_in_base)),
        ("Only in new", "only in new", plain(&c.only_in_new)),
        ("Not compared", "not compared", plain(&c.not_compared)),
    ]
}

fn prefixed((_, prefix, lines): &(&str, &str, Vec<String>)) -> Vec<String> {
    lines.iter().map(|l| format!("{prefix}: {l}")).collect()
}

fn unmatched_text(u: &Unmatched) -> String {
    let metric = u.metric.as_deref().map(|m| format!(" [{m}]")).unwrap_or_default();
    format!("{} {}{}: {}", u.key.id, u.key.params, metric, u.reason)
}

fn interference_text(d: &InterferenceDiff) -> String {
    format!(
        "{} {}: flagged in the {} side only ({} of {} run(s)): {}",
        d.key.id,
        d.key.params,
        d.flagged_side,
        d.flagged_runs,
        d.runs,
        d.reasons.join("; ")
    )
}

/// Control characters replaced, so hostile text cannot drive a terminal.
fn plain(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// An aligned plain-text table for terminals.
pub fn table(c: &Comparison) -> Vec<u8> {
    let rows: Vec<[String; 11]> = c.rows.iter().map(|r| cells(r).map(|s| plain(&s))).collect();
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
    let mut out = format!(
        "base {}  new {}\n{}\n{}\n\n",
        plain(&c.base.join(",")),
        plain(&c.new.join(",")),
        units_line(c),
        criterion(c)
    );
    out += &line(&HEADER.map(String::from));
    for row in &rows {
        out += &line(row);
    }
    for list in lists(c) {
        for line in prefixed(&list) {
            out += &format!("{}\n", plain(&line));
        }
    }
    out += &format!("\n{}\n", summary(c));
    out.into_bytes()
}

/// A Markdown document with the table and the lists.
pub fn markdown(c: &Comparison) -> Vec<u8> {
    let mut out = format!(
        "# Comparison\n\nBase {}, new {}. {}. {}.\n\n**{}**\n\n",
        escape::markdown(&c.base.join(", ")),
        escape::markdown(&c.new.join(", ")),
        escape::markdown(&units_line(c)),
        escape::markdown(&criterion(c)),
        summary(c)
    );
    out += &format!("| {} |\n|{}\n", HEADER.join(" | "), "---|".repeat(HEADER.len()));
    for row in &c.rows {
        let cells = cells(row).map(|s| escape::markdown(&s));
        out += &format!("| {} |\n", cells.join(" | "));
    }
    for (title, _, list) in lists(c) {
        if !list.is_empty() {
            out += &format!("\n## {title}\n\n");
            for text in list {
                out += &format!("- {}\n", escape::markdown(&text));
            }
        }
    }
    out.into_bytes()
}

#[derive(Serialize)]
struct JsonOut<'a> {
    fails_gate: bool,
    gated: usize,
    regressed: usize,
    improved: usize,
    unchanged: usize,
    unstable: usize,
    no_estimate: usize,
    too_few_units: usize,
    #[serde(flatten)]
    comparison: &'a Comparison,
}

/// The comparison as pretty JSON, with the gate outcome and counts on top.
pub fn json(c: &Comparison) -> Vec<u8> {
    let out = JsonOut {
        fails_gate: c.fails_gate(),
        gated: c.gated(),
        regressed: c.count(Verdict::Regressed),
        improved: c.count(Verdict::Improved),
        unchanged: c.count(Verdict::Unchanged),
        unstable: c.count(Verdict::Unstable),
        no_estimate: c.count(Verdict::NoEstimate),
        too_few_units: c.count(Verdict::TooFewUnits),
        comparison: c,
    };
    let mut bytes = serde_json::to_vec_pretty(&out).expect("a comparison always serializes");
    bytes.push(b'\n');
    bytes
}

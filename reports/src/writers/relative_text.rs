//! The words and cells of the relative-performance table, shared by the
//! HTML and Markdown writers.

use crate::format;
use crate::relative::{Group, Relative, FAMILY_CONFIDENCE};

/// How the intervals were made, in one sentence.
pub fn intervals(rel: &Relative) -> String {
    format!(
        "Intervals: bootstrap over the repetitions of both runs, simultaneous at {} over the table (each at {}, Bonferroni); a run with one repetition of a metric has no run-to-run estimate and no interval.",
        format::percent_unsigned(FAMILY_CONFIDENCE),
        format::percent_unsigned(rel.confidence)
    )
}

/// One cell: "1.020× [0.970, 1.060]", or why there is no interval.
pub fn cell(rel: &Relative, group: &Group, run: usize) -> String {
    let Some(value) = group.per_run[run] else { return "n/a".into() };
    let value = format!("{}×", format::value(value));
    if run == rel.baseline {
        return value;
    }
    match group.intervals[run] {
        Some(ci) => format!("{value} [{}, {}]", format::value(ci.lower), format::value(ci.upper)),
        None => format!("{value} (one repetition: no run-to-run estimate)"),
    }
}

//! Page migration: bandwidth per ordered node pair, per call and page size.

use super::select::{self, index_of, Groups};
use super::{bars, Planned, Words};
use crate::key::param_text;
use crate::runs::RunSet;

/// The benchmark ids this module draws.
pub const IDS: &[&str] = &["memory.migrate"];

/// Bars of migration bandwidth: categories "from → to", series by run,
/// call and page size.
pub fn plan(runs: &RunSet) -> Option<Planned> {
    let found = select::records(runs, "memory.migrate");
    let mut groups = Groups::default();
    for (run, record) in &found {
        let (Some(from), Some(to), Some(value)) =
            (param_text(record, "from"), param_text(record, "to"), select::value(record, "bandwidth"))
        else {
            continue;
        };
        let call = param_text(record, "call").unwrap_or_default();
        let page = param_text(record, "page").unwrap_or_default();
        let c = index_of(&mut groups.categories, format!("{from} → {to}"));
        let s = index_of(&mut groups.series, format!("{} · {call} {page}", runs.runs[*run].name));
        groups.values.resize(groups.series.len(), Vec::new());
        for row in &mut groups.values {
            row.resize(groups.categories.len(), None);
        }
        groups.values[s][c] = Some(value);
    }
    let words = Words::new(
        "memory-migrate.svg",
        "Page migration bandwidth",
        "Bandwidth of moving a buffer from one node to another (every page verified on the target after each move), per system call and page size: what tiering pays to promote or demote pages.",
    );
    bars(words, "node pair (from → to)", format!("bandwidth ({})", select::units(&found, "bandwidth")), groups)
}

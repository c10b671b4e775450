//! Memory bandwidth against thread count.

use super::{lines, select, Planned, Words};
use crate::plots::Axis;
use crate::runs::RunSet;

/// The thread-sweep curves, when some series has two thread counts or more.
pub fn plan(runs: &RunSet) -> Option<Planned> {
    let found = select::records(runs, "memory.bandwidth");
    let curves = select::curves(runs, &found, "threads", &[]);
    if !curves.iter().any(|c| c.points.len() >= 2) {
        return None;
    }
    let words = Words::new(
        "memory-bandwidth-threads.svg",
        "Memory bandwidth against threads",
        "Best bandwidth against the number of threads (one pinned per core); one line per run and kernel.",
    );
    lines(words, Axis::linear("threads"), "bandwidth", &found, "bandwidth", &curves, Vec::new())
}

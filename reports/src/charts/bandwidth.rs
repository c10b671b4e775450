//! Memory bandwidth per kernel per run, as grouped bars.

use super::{bars, select, Planned, Words};
use crate::runs::RunSet;

/// The benchmark ids this module draws.
pub const IDS: &[&str] = &["memory.bandwidth"];

/// The bars, when memory.bandwidth was measured.
pub fn plan(runs: &RunSet) -> Option<Planned> {
    let words = Words::new(
        "memory-bandwidth.svg",
        "Memory bandwidth per kernel",
        "Best bandwidth per kernel (STREAM convention: the kernel's logical bytes; GB = 1e9 B), at the most threads and the largest arrays each run measured.",
    );
    let found = select::records(runs, "memory.bandwidth");
    let groups = select::groups(runs, &found, "bandwidth", &["kernel"], &["threads", "bytes"]);
    bars(words, "kernel", format!("bandwidth ({})", select::units(&found, "bandwidth")), groups)
}

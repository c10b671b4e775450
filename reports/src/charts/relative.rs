//! Relative performance to the baseline, per benchmark and overall.

use super::select::Groups;
use super::{bars, Planned, Words};
use crate::relative::Relative;
use crate::runs::RunSet;

/// The chart, when there are two runs or more with metrics in common.
pub fn plan(runs: &RunSet, relative: &Relative) -> Option<Planned> {
    if runs.runs.len() < 2 || relative.overall.metrics == 0 {
        return None;
    }
    let groups_in_order = relative.per_id.iter().chain(std::iter::once(&relative.overall));
    let mut groups = Groups { series: runs.runs.iter().map(|r| r.name.clone()).collect(), ..Groups::default() };
    groups.values = vec![Vec::new(); runs.runs.len()];
    for group in groups_in_order {
        let name = if group.name == "all" { "geometric mean (all)".to_string() } else { group.name.clone() };
        groups.categories.push(name);
        for (run, v) in group.per_run.iter().enumerate() {
            groups.values[run].push(*v);
        }
    }
    let words = Words::new(
        "relative.svg",
        "Performance relative to the baseline",
        format!(
            "Per metric: the run's value over the baseline's (baseline over run where lower is better), so above 1 is better; bars are geometric means per benchmark and over all {} metrics every run has. Power and total energy are left out. The table of relative performance gives each bar's run-to-run interval.",
            relative.overall.metrics
        ),
    );
    bars(words, "benchmark", "relative performance (baseline = 1)".into(), groups)
}

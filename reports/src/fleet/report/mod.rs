//! The fleet's outputs: the JSON document, the terminal summary, and the
//! report directory (an overview page, one page per cohort with its
//! distribution plots, one page per flagged node, and the data files).

mod charts;
mod csv;
mod html;
pub mod json;
pub mod text;

use std::path::Path;

use super::judge::{degrees_of_freedom, MAD_EFFICIENCY, RESOLUTION};
use super::persistence::MIN_REPETITIONS;
use super::Fleet;
use crate::inputs::REPORT_MARKER;
use crate::stats::{t_critical, MAD_TO_SIGMA};
use crate::ReportError;

/// Flagged nodes listed on a page at most; the rest are in the data files.
pub const MAX_LISTED: usize = 200;

/// The persistence rule in one sentence, for the JSON's `method`.
pub const PERSISTENCE: &str = "where a node measured a metric min_repetitions times or more, its repetitions (less one outlying \
     repetition Grubbs' test finds at 1%) are counted against the bounds, and it is flagged only when every one is beyond them too \
     (off in every reading); a discovery whose repetitions are not all beyond is listed as intermittent, not flagged; a node \
     without repetitions is flagged on its headline. Repetitions neither narrow the bounds nor open a metric too variable to judge";

/// What a detectable shift is, for the JSON's `method`.
pub const DETECTABLE_SHIFT: &str = "per metric, as a fraction of the cohort median: detectable_shift, the distance from the median \
     to the bounds, max(k x spread / |median|, min_effect), which a node without repetitions needs (shifted by that much it is \
     flagged about half the time); detectable_shift_every_repetition, the shift at which a node whose repetitions scatter as the \
     cohort's typically do has every one beyond the bounds at least half the time, which a node with repetitions needs. A node \
     not flagged may still be off by less";

/// How nodes are judged, in words, with this fleet's figures.
pub fn method(fleet: &Fleet) -> String {
    let o = &fleet.options;
    let j = &fleet.judgement;
    let largest = fleet.cohorts.first().map_or(0, |c| c.members.len());
    format!(
        "Each node's headline figure of each metric (with repetitions, their median) is set against its cohort's distribution: robust \
         z = (value - median) / spread, the spread being {MAD_TO_SIGMA} x MAD (at least {resolution}% of the median, widened by \
         sqrt(1 + pi/2n) for the median's own uncertainty); a two-sided p-value per (node, metric) from Student's t with {efficiency} n \
         degrees of freedom (the MAD of n values is about as certain as a standard deviation of {efficiency} n); Benjamini-Hochberg \
         over all {tests} tests of the fleet at a false discovery rate of {fdr}% (p <= {threshold:.3e}), which puts the robust bounds \
         at median +- k x spread, k being the t quantile there ({k:.2} for {largest} nodes). A discovery is a node outside those \
         bounds and at least {effect}% from the median. A node without repetitions of the metric is flagged on that. Where a node \
         measured it {repetitions} times or more, its repetitions (less one outlying repetition Grubbs' test finds at 1%) are counted \
         against the bounds too, and it is flagged only when every one of them is beyond (off in every reading, as a persistent fault \
         is); otherwise the discovery is listed as intermittent, not flagged. Never judged: a metric whose spread exceeds {spread}% of \
         its median in the cohort (too variable there to tell a node from noise, with or without repetitions: a sound node at the edge \
         of so wide a distribution is off in every repetition too), a metric fewer than {nodes} nodes of the cohort measured, and \
         cohorts of fewer than {nodes} nodes. Detectable shift: per metric, the distance from the median to the bounds, max(k x spread \
         / |median|, {effect}%), which a node without repetitions needs, and the shift at which every repetition of a node that scatters \
         as this cohort's nodes typically do is beyond the bounds at least half the time, which a node with repetitions needs; a node \
         shifted by less is not flagged, so not flagged means within what this cohort can tell, not fine; for a metric too variable to \
         judge, what judging it would take. Repetitions do not narrow the bounds: they show how a node varies within its run, not how \
         far sound nodes differ from each other, which only the cohort's spread shows.",
        resolution = RESOLUTION * 100.0,
        efficiency = MAD_EFFICIENCY,
        tests = j.tests.len(),
        fdr = o.fdr * 100.0,
        threshold = j.p_threshold,
        k = t_critical(j.p_threshold, degrees_of_freedom(largest)),
        effect = o.min_effect * 100.0,
        repetitions = MIN_REPETITIONS,
        spread = o.max_spread * 100.0,
        nodes = o.min_nodes,
    )
}

/// Writes the report directory under `out`, replacing an earlier fleet
/// report there (never anything else), all at once; the files are made one
/// at a time.
pub fn write(fleet: &Fleet, out: &Path) -> Result<(), ReportError> {
    let replaceable =
        |dir: &Path| dir.join(REPORT_MARKER).exists() || std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_none());
    crate::staged::write_dir(out, replaceable, |stage| {
        stage.put(REPORT_MARKER, b"hwbench fleet report: `hwbench fleet` replaces this directory\n")?;
        stage.put("index.html", &html::index(fleet))?;
        stage.put("fleet.json", &json::render(fleet))?;
        stage.put("nodes.csv", &csv::nodes(fleet))?;
        stage.put("values.csv", &csv::values(fleet))?;
        stage.put("distributions.csv", &csv::distributions(fleet))?;
        for c in 0..fleet.cohorts.len() {
            let charts = charts::cohort(fleet, c)?;
            stage.put(html::cohort_page(c), &html::cohort(fleet, c, &charts))?;
            for chart in charts {
                stage.put(Path::new("plots").join(&chart.file), chart.svg.as_bytes())?;
            }
        }
        for outlier in &fleet.outliers {
            stage.put(html::node_page(outlier.node), &html::node(fleet, outlier))?;
        }
        Ok(())
    })
}

//! The fleet report's pages: index.html (flagged nodes, cohorts, cohort
//! against cohort, method), one page per cohort (its distribution plots and
//! table) and one per flagged node (every figure against its cohort). Self-
//! contained like the run report: inline CSS and SVG, no script, every
//! label escaped.

use std::fmt::Write;

use super::super::diagnosis::Outlier;
use super::super::judge::{Distribution, Verdict};
use super::super::{Fleet, Node};
use super::MAX_LISTED;
use crate::charts::Chart;
use crate::format;
use crate::writers::escape::html as esc;
use crate::writers::html::{figure, STYLE};

/// What fleet pages add to the report stylesheet.
const FLEET_STYLE: &str = "
tr.flagged-node td:first-child a { color: #c0392b; font-weight: bold; }
.worse { color: #c0392b; }
.better { color: #1a7f37; }
.muted { color: #888; }
";

/// The file of cohort `c`'s page.
pub fn cohort_page(c: usize) -> String {
    format!("cohort-{}.html", c + 1)
}

/// The file of node `n`'s page (flagged nodes only).
pub fn node_page(n: usize) -> String {
    format!("nodes/{}.html", n + 1)
}

fn head(h: &mut String, title: &str) {
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n\
         <style>{STYLE}{FLEET_STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(title),
        esc(title)
    );
}

/// index.html: the fleet at a glance.
pub fn index(fleet: &Fleet) -> Vec<u8> {
    let mut h = String::new();
    head(&mut h, "hwbench fleet");
    let _ = writeln!(
        h,
        "<p class=\"meta\">{} run(s) in {} cohort(s), grouped by {}. Per-node data: <a href=\"nodes.csv\">nodes.csv</a> (every node), \
         <a href=\"values.csv\">values.csv</a> (every node's every judged figure with its robust z and q-value), \
         <a href=\"distributions.csv\">distributions.csv</a>, <a href=\"fleet.json\">fleet.json</a> (what <code>hwbench fleet --json</code> prints).</p>",
        fleet.nodes.len(),
        fleet.cohorts.len(),
        esc(&fleet.grouping())
    );
    h += "<nav><a href=\"#flagged\">Flagged nodes</a><a href=\"#cohorts\">Cohorts</a><a href=\"#versus\">Cohort against cohort</a><a href=\"#method\">Method</a></nav>\n";
    h += "<h2 id=\"flagged\">Flagged nodes</h2>\n";
    flagged_table(&mut h, fleet, fleet.outliers.iter(), "");
    let intermittent = fleet.judgement.intermittent();
    if intermittent > 0 {
        let _ = writeln!(
            h,
            "<p>Not flagged: {intermittent} (node, metric) pair(s) whose headline is beyond the bounds but not every repetition (off intermittently): \
             listed in <a href=\"fleet.json\">fleet.json</a> (<code>intermittent</code>) and <a href=\"values.csv\">values.csv</a>.</p>"
        );
    }
    cohorts(&mut h, fleet);
    versus(&mut h, fleet);
    let _ = writeln!(h, "<h2 id=\"method\">Method</h2>\n<p>{}</p>", esc(&super::method(fleet)));
    h += "</body>\n</html>\n";
    h.into_bytes()
}

/// The flagged nodes with their reasons; `prefix` leads links back to the
/// report's top directory.
fn flagged_table<'a>(h: &mut String, fleet: &Fleet, outliers: impl Iterator<Item = &'a Outlier>, prefix: &str) {
    let outliers: Vec<&Outlier> = outliers.collect();
    if outliers.is_empty() {
        let _ = writeln!(
            h,
            "<p>No node flagged (false discovery rate {}%): every node is within the shifts its cohort could flag (<a href=\"{prefix}index.html#cohorts\">Cohorts</a>), which is not the same as fine.</p>",
            fleet.options.fdr * 100.0
        );
        return;
    }
    let _ = writeln!(
        h,
        "<p>{} node(s) flagged: outside their cohort's robust bounds on the metrics named (in every repetition, where a node has \
         repetitions), at a false discovery rate of {}% over every (node, metric) test (Benjamini-Hochberg); see \
         <a href=\"{prefix}index.html#method\">Method</a>.</p>",
        outliers.len(),
        fleet.options.fdr * 100.0
    );
    h.push_str("<table class=\"flagged\">\n<tr><th>node</th><th>run id</th><th>cohort</th><th>flagged metric families</th><th>provenance differing from the cohort majority</th></tr>\n");
    for o in outliers.iter().take(MAX_LISTED) {
        let node = &fleet.nodes[o.node];
        let families: Vec<String> = o.families.iter().map(|f| esc(&f.describe())).collect();
        let differences: Vec<String> = o.differences.iter().map(|d| esc(&d.describe())).collect();
        let _ = writeln!(
            h,
            "<tr class=\"flagged-node\"><td><a href=\"{prefix}{}\">{}</a></td><td>{}</td><td><a href=\"{prefix}{}\">{}</a></td><td>{}</td><td>{}</td></tr>",
            node_page(o.node),
            esc(&node.name),
            esc(&node.run_id),
            cohort_page(node.cohort),
            node.cohort + 1,
            families.join("<br>"),
            if differences.is_empty() { "none found".to_string() } else { differences.join("<br>") }
        );
    }
    h.push_str("</table>\n");
    if outliers.len() > MAX_LISTED {
        let _ = writeln!(
            h,
            "<p>{} more in <a href=\"{prefix}fleet.json\">fleet.json</a> and <a href=\"{prefix}nodes.csv\">nodes.csv</a>.</p>",
            outliers.len() - MAX_LISTED
        );
    }
}

fn cohorts(h: &mut String, fleet: &Fleet) {
    h.push_str("<h2 id=\"cohorts\">Cohorts</h2>\n<p>A node not flagged is within what its cohort can tell, not necessarily fine: each cohort page gives, per metric, the smallest shift the cohort could flag.</p>\n<table>\n<tr><th>#</th><th>cohort</th><th>nodes</th><th>metrics judged</th><th>too variable to judge</th><th>not judged otherwise</th><th>smallest shift it could flag</th><th>flagged nodes</th></tr>\n");
    let mut flagged = vec![0usize; fleet.cohorts.len()];
    for o in &fleet.outliers {
        flagged[fleet.nodes[o.node].cohort] += 1;
    }
    for (c, cohort) in fleet.cohorts.iter().enumerate() {
        let dists = &fleet.judgement.distributions[c];
        let count = |v: Verdict| dists.iter().filter(|d| d.verdict == v).count();
        let judged = count(Verdict::Judged);
        let variable = count(Verdict::TooVariable);
        let reach = shift_range(dists).unwrap_or_else(|| "n/a".into());
        let mut note = cohort.unjudged.clone().unwrap_or_default();
        for (part, mine, theirs) in &cohort.differs_from_largest {
            let _ = write!(note, "; {part} {mine} (cohort 1: {theirs})");
        }
        let _ = writeln!(
            h,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{judged}</td><td class=\"num\">{variable}</td><td class=\"num\">{}{}</td><td class=\"num\">{reach}</td><td class=\"num\">{}</td></tr>",
            cohort_page(c),
            c + 1,
            esc(&cohort.key),
            cohort.members.len(),
            dists.len() - judged - variable,
            if note.is_empty() { String::new() } else { format!(" <span class=\"muted\">{}</span>", esc(&note)) },
            flagged[c]
        );
    }
    h.push_str("</table>\n");
}

/// The range of the shifts a cohort could flag over its judged metrics
/// ("6.3% .. 41.2%"; in every repetition where its nodes carry
/// repetitions); `None` when none is judged.
fn shift_range(dists: &[Distribution]) -> Option<String> {
    let shifts: Vec<f64> = dists
        .iter()
        .filter(|d| d.verdict == Verdict::Judged)
        .filter_map(|d| d.detectable)
        .map(|r| r.to_flag())
        .collect();
    let lo = shifts.iter().copied().reduce(f64::min)?;
    let hi = shifts.iter().copied().fold(lo, f64::max);
    Some(format!("{} .. {}", format::percent_unsigned(lo), format::percent_unsigned(hi)))
}

fn versus(h: &mut String, fleet: &Fleet) {
    h.push_str("<h2 id=\"versus\">Cohort against cohort</h2>\n");
    if fleet.comparisons.is_empty() {
        let _ = writeln!(
            h,
            "<p>Nothing to compare: one cohort, or no other cohort of at least {} nodes.</p>",
            super::super::compare::MIN_NODES
        );
        return;
    }
    h.push_str("<p>Each cohort against the largest (cohort 1), per metric both measured: the change of the median over nodes and a bootstrap 95% interval from resampling nodes on both sides; better or worse only when the interval excludes no change.</p>\n");
    for comparison in &fleet.comparisons {
        let other = &fleet.cohorts[comparison.other];
        let better = comparison.rows.iter().filter(|r| r.verdict == "better").count();
        let worse = comparison.rows.iter().filter(|r| r.verdict == "worse").count();
        let _ = writeln!(
            h,
            "<details><summary>cohort {} ({}) against cohort 1: {better} metric(s) better, {worse} worse, of {}</summary>",
            comparison.other + 1,
            esc(&other.key),
            comparison.rows.len()
        );
        h.push_str("<table>\n<tr><th>benchmark</th><th>params</th><th>metric</th><th>nodes</th><th>cohort 1 median</th><th>this cohort's median</th><th>change</th><th>95% interval</th><th>verdict</th></tr>\n");
        for r in &comparison.rows {
            let info = &fleet.metrics[r.metric as usize];
            let interval = r
                .interval
                .map_or("n/a".into(), |i| format!("[{}, {}]", format::percent(i.lower), format::percent(i.upper)));
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{} / {}</td><td class=\"num\">{} {u}</td><td class=\"num\">{} {u}</td><td class=\"num\">{}</td><td class=\"num\">{interval}</td><td class=\"{v}\">{v}</td></tr>",
                esc(&info.key.id),
                esc(&info.key.params),
                esc(&info.key.metric),
                r.nodes.0,
                r.nodes.1,
                format::value(r.medians.0),
                format::value(r.medians.1),
                format::percent(r.change),
                u = esc(&info.unit),
                v = r.verdict
            );
        }
        h.push_str("</table>\n</details>\n");
    }
}

/// cohort-N.html: the cohort's flagged nodes, plots and distributions.
pub fn cohort(fleet: &Fleet, c: usize, charts: &[Chart]) -> Vec<u8> {
    let cohort = &fleet.cohorts[c];
    let mut h = String::new();
    head(&mut h, &format!("hwbench fleet: cohort {}", c + 1));
    let _ = writeln!(
        h,
        "<p class=\"meta\"><a href=\"index.html\">fleet</a> · {} node(s) · {}</p>",
        cohort.members.len(),
        esc(&cohort.key)
    );
    if let Some(why) = &cohort.unjudged {
        let _ = writeln!(h, "<p>Described, not judged: {}.</p>", esc(why));
    }
    h.push_str("<h2 id=\"flagged\">Flagged nodes</h2>\n");
    flagged_table(&mut h, fleet, fleet.outliers.iter().filter(|o| fleet.nodes[o.node].cohort == c), "");
    if let Some(range) = shift_range(&fleet.judgement.distributions[c]) {
        let _ = writeln!(
            h,
            "<p>The smallest shift this cohort could flag is {range} of the median, by metric (<a href=\"#metrics\">Every metric</a>): a node not flagged may still be off by less.</p>"
        );
    }
    h.push_str("<h2 id=\"plots\">Distributions</h2>\n");
    if charts.is_empty() {
        let _ = writeln!(h, "<p>Too few nodes for distribution plots (at least {}).</p>", super::charts::MIN_NODES);
    }
    for chart in charts {
        figure(&mut h, chart);
    }
    h.push_str("<h2 id=\"metrics\">Every metric</h2>\n");
    h.push_str("<p>Not flagged means within what this cohort can tell, not fine: <em>could flag shifts of</em> is the distance from the median to the bounds (a node without repetitions shifted by that much is flagged about half the time, by less hardly ever); <em>every repetition beyond from</em> is the shift at which a node whose repetitions scatter as this cohort's typically do is off in every repetition at least half the time, which a node with repetitions needs to be flagged. For a metric too variable to judge, the shift judging it would take. <em>Intermittent</em>: nodes whose headline is beyond the bounds but not every repetition, not flagged.</p>\n");
    h.push_str("<table>\n<tr><th>benchmark</th><th>params</th><th>metric</th><th>nodes</th><th>with repetitions</th><th>median</th><th>p5</th><th>IQR</th><th>p95</th><th>robust spread</th><th>bounds</th><th>could flag shifts of (or more)</th><th>every repetition beyond from</th><th>verdict</th><th>flagged</th><th>intermittent</th></tr>\n");
    for d in &fleet.judgement.distributions[c] {
        distribution_row(&mut h, fleet, d);
    }
    h.push_str("</table>\n</body>\n</html>\n");
    h.into_bytes()
}

fn distribution_row(h: &mut String, fleet: &Fleet, d: &Distribution) {
    let info = &fleet.metrics[d.metric as usize];
    let s = &d.summary;
    let unit = esc(&info.unit);
    let bounds = d.bounds.map_or("n/a".into(), |(lo, hi)| format!("{} .. {}", format::value(lo), format::value(hi)));
    let spread = s.relative_spread().map_or("n/a".into(), |r| format!("{:.1}%", r * 100.0));
    let shift = |v: Option<f64>| v.map_or("n/a".into(), format::percent_unsigned);
    let class = if d.verdict == Verdict::Judged { "" } else { " class=\"muted\"" };
    let _ = writeln!(
        h,
        "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} {unit}</td><td class=\"num\">{}</td><td class=\"num\">{} .. {}</td><td class=\"num\">{}</td><td class=\"num\">{spread}</td><td class=\"num\">{bounds}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td{class}>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
        esc(&info.key.id),
        esc(&info.key.params),
        esc(&info.key.metric),
        s.n,
        d.repeated,
        format::value(s.median),
        format::value(s.p5),
        format::value(s.q1),
        format::value(s.q3),
        format::value(s.p95),
        shift(d.detectable.map(|r| r.headline)),
        shift(d.detectable.and_then(|r| r.every_repetition)),
        d.verdict.as_str(),
        d.flagged,
        d.intermittent
    );
}

/// nodes/N.html: a flagged node's every judged figure against its cohort,
/// and its provenance against the cohort majority.
pub fn node(fleet: &Fleet, outlier: &Outlier) -> Vec<u8> {
    let node: &Node = &fleet.nodes[outlier.node];
    let mut h = String::new();
    head(&mut h, &format!("hwbench fleet: {}", node.name));
    let _ = writeln!(
        h,
        "<p class=\"meta\"><a href=\"../index.html\">fleet</a> · <a href=\"../{}\">cohort {}</a> · run {} · {}</p>",
        cohort_page(node.cohort),
        node.cohort + 1,
        esc(&node.run_id),
        esc(&node.path.display().to_string())
    );
    h.push_str("<h2>Flagged</h2>\n<ul>\n");
    for f in &outlier.families {
        let _ = writeln!(h, "<li>{}</li>", esc(&f.describe()));
    }
    h.push_str("</ul>\n<h2>Provenance against the cohort</h2>\n");
    if outlier.differences.is_empty() {
        h.push_str(
            "<p>No fact differs from the cohort majority (facts without a majority value are not compared).</p>\n",
        );
    } else {
        h.push_str("<table>\n<tr><th>fact</th><th>this node</th><th>cohort majority</th><th>nodes with it</th></tr>\n");
        for d in &outlier.differences {
            let _ = writeln!(
                h,
                "<tr><th>{}</th><td>{}</td><td>{}</td><td class=\"num\">{} of {}</td></tr>",
                esc(&d.fact),
                esc(&d.value),
                esc(&d.majority),
                d.majority_nodes,
                d.cohort_nodes
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str("<h2>Every judged figure</h2>\n<table>\n<tr><th>benchmark</th><th>params</th><th>metric</th><th>value</th><th>cohort median</th><th>change</th><th>robust z</th><th>q-value</th><th>repetitions beyond the bounds</th><th>flagged</th></tr>\n");
    let j = &fleet.judgement;
    for t in j.tests.iter().filter(|t| t.node == outlier.node) {
        let d = &j.distributions[t.cohort][t.distribution];
        let info = &fleet.metrics[d.metric as usize];
        let unit = esc(&info.unit);
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{} {unit}</td><td class=\"num\">{} {unit}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td{}>{}</td></tr>",
            esc(&info.key.id),
            esc(&info.key.params),
            esc(&info.key.metric),
            format::value(t.value),
            format::value(d.summary.median),
            format::percent(t.change),
            t.z,
            format::p_value(t.q),
            t.persistence.map_or("n/a".into(), |p| format!(
                "{} of {}{}",
                p.beyond,
                p.counted,
                if p.set_aside { " (one outlying set aside)" } else { "" }
            )),
            if t.flagged { " class=\"worse\"" } else { "" },
            match (t.flagged, t.intermittent()) {
                (true, _) => format!("flagged: {}", t.evidence().as_str()),
                (_, true) => format!("not flagged: {}", t.evidence().as_str()),
                _ => String::new(),
            }
        );
    }
    h.push_str("</table>\n</body>\n</html>\n");
    h.into_bytes()
}

//! The fleet view: runs grouped into cohorts of like machines, the
//! distribution of every figure over each cohort, the nodes outside it and
//! what about them differs, and cohorts compared with each other
//! (README.md, "Fleets", has the method in full).

pub mod cohort;
pub mod compare;
pub mod detectable;
pub mod diagnosis;
pub mod judge;
mod load;
pub mod node;
pub mod persistence;
pub mod report;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

pub use cohort::Cohort;
use node::{Draft, Figure, MetricInfo, MetricTable};

use crate::ReportError;

/// How the fleet is judged.
#[derive(Debug, Clone)]
pub struct Options {
    /// Keys the runs are grouped by (machine fields or tags); empty: the
    /// fingerprint of CPU, sockets x cores, memory, NUMA layout and GPUs.
    pub group_by: Vec<String>,
    /// False discovery rate over every (node, metric) test.
    pub fdr: f64,
    /// A metric whose robust spread (1.4826 x MAD) exceeds this share of
    /// its median across a cohort is too variable there to judge.
    pub max_spread: f64,
    /// Deviations from the cohort median smaller than this share of it are
    /// never flagged, however significant.
    pub min_effect: f64,
    /// Cohorts (and metrics) with fewer nodes are described, not judged.
    pub min_nodes: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self { group_by: Vec::new(), fdr: 0.01, max_spread: 0.10, min_effect: 0.05, min_nodes: 8 }
    }
}

/// One run of the fleet.
#[derive(Debug, Clone)]
pub struct Node {
    /// The run's label, else its id; "#2", "#3" appended to repeats.
    pub name: String,
    pub run_id: String,
    pub label: Option<String>,
    /// The file it came from.
    pub path: PathBuf,
    /// Provenance as text, in [`Fleet::facts`] order (tags last).
    pub facts: Vec<String>,
    /// The default cohort fingerprint, one text per [`node::FINGERPRINT`] part.
    pub fingerprint: Vec<String>,
    /// Index of its cohort in [`Fleet::cohorts`].
    pub cohort: usize,
    /// Every metric it measured, sorted by metric index.
    pub values: Vec<Figure>,
    /// Records skipped or failed.
    pub unmeasured: usize,
}

impl Node {
    /// The node's figures of a metric, when it measured it.
    pub fn figure(&self, metric: u32) -> Option<&Figure> {
        self.values.binary_search_by_key(&metric, |f| f.metric).ok().map(|i| &self.values[i])
    }

    /// The node's headline value of a metric, when it measured it.
    pub fn value(&self, metric: u32) -> Option<f64> {
        self.figure(metric).map(|f| f.value)
    }
}

/// Everything the fleet view shows, computed once.
#[derive(Debug, Clone)]
pub struct Fleet {
    pub options: Options,
    /// Every metric any run measured; nodes and tests refer to them by index.
    pub metrics: Vec<MetricInfo>,
    /// Names of the provenance facts compared (system facts, then `tag NAME`).
    pub facts: Vec<String>,
    pub nodes: Vec<Node>,
    /// Largest first.
    pub cohorts: Vec<cohort::Cohort>,
    pub judgement: judge::Judgement,
    /// One per flagged node, in node order.
    pub outliers: Vec<diagnosis::Outlier>,
    /// Each other cohort against the largest.
    pub comparisons: Vec<compare::Comparison>,
}

impl Fleet {
    /// How the cohorts are formed, in words.
    pub fn grouping(&self) -> String {
        if self.options.group_by.is_empty() {
            format!("fingerprint ({})", node::FINGERPRINT.join(", "))
        } else {
            self.options.group_by.join(", ")
        }
    }
}

/// Loads the inputs (files, or directories searched for `*.json`) and
/// judges the fleet. Nothing is kept of a document but its figures and
/// provenance text.
pub fn analyse(inputs: &[PathBuf], options: Options) -> Result<Fleet, ReportError> {
    let files = crate::inputs::files(inputs)?;
    if files.is_empty() {
        return Err(ReportError::NoRuns);
    }
    let (drafts, tables) = load::drafts(&files, &options.group_by)?;
    build(drafts, &tables, options)
}

/// Judges drafts already loaded: each with the index of the table in
/// `tables` its metrics are numbered in.
pub fn build(drafts: Vec<(usize, Draft)>, tables: &[MetricTable], options: Options) -> Result<Fleet, ReportError> {
    let mut check = cohort::KeyCheck::default();
    for (_, d) in &drafts {
        check.see(&d.groups, &d.tags);
    }
    check.finish(&options.group_by)?;
    let tags: BTreeSet<String> = drafts.iter().flat_map(|(_, d)| d.tags.keys().cloned()).collect();
    let mut facts: Vec<String> = node::fact_names().into_iter().map(String::from).collect();
    facts.extend(tags.iter().map(|t| format!("tag {t}")));
    let keys: Vec<String> =
        drafts.iter().map(|(_, d)| cohort::key(&d.fingerprint, &d.groups, &options.group_by)).collect();
    // One numbering for the fleet, in file order of first appearance.
    let mut metrics = MetricTable::default();
    let mut renumber: Vec<Vec<Option<u32>>> = tables.iter().map(|t| vec![None; t.infos.len()]).collect();
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut nodes = Vec::with_capacity(drafts.len());
    for (table, draft) in drafts {
        let mut values: Vec<Figure> = Vec::with_capacity(draft.figures.len());
        for mut figure in draft.figures {
            let local = figure.metric as usize;
            let slot = &mut renumber[table][local];
            let info = &tables[table].infos[local];
            figure.metric = *slot.get_or_insert_with(|| metrics.number(info.key.clone(), |_| info.clone()));
            values.push(figure);
        }
        values.sort_by_key(|f| f.metric);
        // A point measured twice in one run: its first figure counts.
        values.dedup_by_key(|f| f.metric);
        let base = draft.label.clone().unwrap_or_else(|| draft.run_id.clone());
        let seen = names.entry(base.clone()).or_insert(0);
        *seen += 1;
        let name = if *seen == 1 { base } else { format!("{base} #{seen}") };
        let mut node_facts = draft.facts;
        node_facts.extend(tags.iter().map(|t| draft.tags.get(t).cloned().unwrap_or_else(|| "(none)".into())));
        nodes.push(Node {
            name,
            run_id: draft.run_id,
            label: draft.label,
            path: draft.path,
            facts: node_facts,
            fingerprint: draft.fingerprint,
            cohort: 0,
            values,
            unmeasured: draft.unmeasured,
        });
    }
    let metrics = metrics.infos;
    let cohorts = cohort::group(&mut nodes, &keys, &options);
    let judgement = judge::judge(&nodes, &cohorts, &metrics, &options);
    let outliers = diagnosis::outliers(&nodes, &cohorts, &judgement, &metrics, &facts);
    let comparisons = compare::against_largest(&nodes, &cohorts, &metrics);
    Ok(Fleet { options, metrics, facts, nodes, cohorts, judgement, outliers, comparisons })
}

#[cfg(test)]
mod tests;

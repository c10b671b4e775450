//! Cohorts: runs of like machines, by fingerprint or by `--group-by` keys.

use std::collections::{BTreeMap, BTreeSet};

use super::node::{GroupValue, FINGERPRINT};
use super::{Node, Options};
use crate::ReportError;

/// A group of like machines.
#[derive(Debug, Clone)]
pub struct Cohort {
    /// What its runs share: "sku=a1, rack=r2", or the fingerprint.
    pub key: String,
    /// The fingerprint of its first node, one text per part.
    pub fingerprint: Vec<String>,
    /// Its nodes, as indexes into the fleet's nodes, in input order.
    pub members: Vec<usize>,
    /// Why it is described but not judged, when it is not.
    pub unjudged: Option<String>,
    /// For a cohort too small to judge, grouped by fingerprint: the parts
    /// where it differs from the largest cohort (part, its text, theirs).
    pub differs_from_largest: Vec<(&'static str, String, String)>,
}

/// The cohort key of a run: its `groups` values when grouped by keys
/// (`group_by`), else its fingerprint.
pub fn key(fingerprint: &[String], groups: &[GroupValue], group_by: &[String]) -> String {
    if group_by.is_empty() {
        FINGERPRINT.iter().zip(fingerprint).map(|(part, v)| format!("{part}: {v}")).collect::<Vec<_>>().join("; ")
    } else {
        group_by.iter().zip(groups).map(|(k, v)| format!("{k}={}", v.text())).collect::<Vec<_>>().join(", ")
    }
}

/// Checks, run by run, that every `--group-by` key names a machine field or
/// a tag some run has.
#[derive(Debug, Default)]
pub struct KeyCheck {
    found: Vec<bool>,
    tags: BTreeSet<String>,
}

impl KeyCheck {
    /// Notes one run's group values and tags.
    pub fn see(&mut self, groups: &[GroupValue], tags: &BTreeMap<String, String>) {
        self.found.resize(groups.len(), false);
        for (found, value) in self.found.iter_mut().zip(groups) {
            *found |= *value != GroupValue::Tag(None);
        }
        self.tags.extend(tags.keys().cloned());
    }

    /// The first key no run resolved, as an error naming the tags there are.
    pub fn finish(self, keys: &[String]) -> Result<(), ReportError> {
        match keys.iter().zip(self.found.iter().chain(std::iter::repeat(&false))).find(|(_, found)| !**found) {
            None => Ok(()),
            Some((key, _)) => Err(ReportError::UnknownGroupKey {
                key: key.clone(),
                tags: if self.tags.is_empty() {
                    "none".into()
                } else {
                    self.tags.into_iter().collect::<Vec<_>>().join(", ")
                },
            }),
        }
    }
}

/// Groups nodes by key, largest cohort first (ties by key), and sets each
/// node's cohort.
pub fn group(nodes: &mut [Node], keys: &[String], options: &Options) -> Vec<Cohort> {
    let mut by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, key) in keys.iter().enumerate() {
        by_key.entry(key).or_default().push(i);
    }
    let mut groups: Vec<(&str, Vec<usize>)> = by_key.into_iter().collect();
    groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let mut cohorts: Vec<Cohort> = groups
        .into_iter()
        .map(|(key, members)| Cohort {
            key: key.to_string(),
            fingerprint: nodes[members[0]].fingerprint.clone(),
            unjudged: (members.len() < options.min_nodes)
                .then(|| format!("{} node(s): fewer than {} to judge outliers by", members.len(), options.min_nodes)),
            members,
            differs_from_largest: Vec::new(),
        })
        .collect();
    for (c, cohort) in cohorts.iter().enumerate() {
        for &m in &cohort.members {
            nodes[m].cohort = c;
        }
    }
    if options.group_by.is_empty() && cohorts[0].unjudged.is_none() {
        let largest = cohorts[0].fingerprint.clone();
        for cohort in cohorts.iter_mut().skip(1).filter(|c| c.unjudged.is_some()) {
            cohort.differs_from_largest = FINGERPRINT
                .iter()
                .zip(cohort.fingerprint.iter().zip(&largest))
                .filter(|(_, (mine, theirs))| mine != theirs)
                .map(|(part, (mine, theirs))| (*part, mine.clone(), theirs.clone()))
                .collect();
        }
    }
    cohorts
}

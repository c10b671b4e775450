//! Whether the two sides of a record differ in interference: measured
//! under it on one side and not on the other.

use hwbench_schema::Record;
use serde::Serialize;

use crate::key::PointKey;

/// A record flagged as measured under interference on one side only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterferenceDiff {
    /// Benchmark id and params.
    #[serde(flatten)]
    pub key: PointKey,
    /// The side whose record was flagged: "base" or "new".
    pub flagged_side: &'static str,
    /// Runs of that side with the record flagged, and runs in all.
    pub flagged_runs: usize,
    pub runs: usize,
    /// What crossed its limit, from the flagged records.
    pub reasons: Vec<String>,
}

/// The difference, when both sides recorded interference evidence for
/// every record and exactly one side has a flagged record.
pub(super) fn differs(key: &PointKey, base: &[&Record], new: &[&Record]) -> Option<InterferenceDiff> {
    let flagged = |records: &[&Record]| -> Option<Vec<Vec<String>>> {
        let evidence: Option<Vec<_>> = records.iter().map(|r| r.interference.as_ref()).collect();
        Some(evidence?.into_iter().filter(|i| i.flagged).map(|i| i.reasons.clone()).collect())
    };
    let (in_base, in_new) = (flagged(base)?, flagged(new)?);
    let (side, reasons, runs) = match (in_base.is_empty(), in_new.is_empty()) {
        (true, false) => ("new", in_new, new.len()),
        (false, true) => ("base", in_base, base.len()),
        _ => return None,
    };
    let mut all: Vec<String> = reasons.iter().flatten().cloned().collect();
    all.sort();
    all.dedup();
    Some(InterferenceDiff { key: key.clone(), flagged_side: side, flagged_runs: reasons.len(), runs, reasons: all })
}

#[cfg(test)]
mod tests {
    use hwbench_schema::{Interference, RecordStatus};

    use super::*;

    fn record(interference: Option<(bool, &str)>) -> Record {
        Record {
            id: "memory.latency".into(),
            params: Default::default(),
            status: RecordStatus::Ok,
            reason: None,
            metrics: vec![],
            placement: None,
            info: Default::default(),
            energy: None,
            counters: None,
            interference: interference.map(|(flagged, reason)| Interference {
                flagged,
                reasons: if flagged { vec![reason.to_string()] } else { vec![] },
                ..Interference::default()
            }),
        }
    }

    #[test]
    fn one_flagged_side_is_a_difference() {
        let key = PointKey { id: "memory.latency".into(), params: String::new() };
        let quiet = record(Some((false, "")));
        let stolen = record(Some((true, "steal_percent 12.0 above 5")));
        let diff = differs(&key, &[&quiet], &[&stolen]).unwrap();
        assert_eq!((diff.flagged_side, diff.flagged_runs, diff.runs), ("new", 1, 1));
        assert_eq!(diff.reasons, ["steal_percent 12.0 above 5"]);
        let diff = differs(&key, &[&stolen, &quiet, &stolen], &[&quiet]).unwrap();
        assert_eq!((diff.flagged_side, diff.flagged_runs, diff.runs), ("base", 2, 3));
        assert_eq!(diff.reasons, ["steal_percent 12.0 above 5"]);
    }

    #[test]
    fn both_or_neither_flagged_or_no_evidence_is_no_difference() {
        let key = PointKey { id: "memory.latency".into(), params: String::new() };
        let quiet = record(Some((false, "")));
        let stolen = record(Some((true, "steal")));
        assert_eq!(differs(&key, &[&quiet], &[&quiet]), None);
        assert_eq!(differs(&key, &[&stolen], &[&stolen]), None);
        assert_eq!(differs(&key, &[&record(None)], &[&stolen]), None);
    }
}

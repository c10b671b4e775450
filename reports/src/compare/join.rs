//! Pairing the records and metrics of two documents.

use std::collections::HashMap;

use hwbench_schema::{Record, RecordStatus, ResultDocument};

use super::{compare_metric, Comparison, Options, Unmatched};
use crate::key::PointKey;

/// Records of one document by key, in document order; later records with
/// a key already seen are kept apart as duplicates.
struct Indexed<'a> {
    order: Vec<PointKey>,
    by_key: HashMap<PointKey, &'a Record>,
    duplicates: Vec<PointKey>,
}

fn index(doc: &ResultDocument) -> Indexed<'_> {
    let mut indexed = Indexed { order: Vec::new(), by_key: HashMap::new(), duplicates: Vec::new() };
    for record in &doc.benchmarks {
        let key = PointKey::of(record);
        if indexed.by_key.contains_key(&key) {
            indexed.duplicates.push(key);
        } else {
            indexed.order.push(key.clone());
            indexed.by_key.insert(key, record);
        }
    }
    indexed
}

/// Fills `out` with every pairing of `base` and `new`.
pub(super) fn join(base: &ResultDocument, new: &ResultDocument, options: &Options, out: &mut Comparison) {
    let base = index(base);
    let new = index(new);
    for (side, indexed) in [("base", &base), ("new", &new)] {
        for key in &indexed.duplicates {
            let reason = format!("repeated in the {side} run; only the first record is compared");
            out.not_compared.push(unmatched(key, None, reason));
        }
    }
    for key in &base.order {
        let b = base.by_key[key];
        match new.by_key.get(key) {
            None => out.only_in_base.push(unmatched(key, None, status_text(b))),
            Some(n) => join_records(key, b, n, options, out),
        }
    }
    for key in new.order.iter().filter(|k| !base.by_key.contains_key(*k)) {
        out.only_in_new.push(unmatched(key, None, status_text(new.by_key[key])));
    }
}

fn join_records(key: &PointKey, base: &Record, new: &Record, options: &Options, out: &mut Comparison) {
    for (side, record) in [("base", base), ("new", new)] {
        if record.status != RecordStatus::Ok {
            let reason = format!("{} in the {side} run: {}", status_word(record.status), reason_text(record));
            out.not_compared.push(unmatched(key, None, reason));
            return;
        }
    }
    for b in &base.metrics {
        let Some(n) = new.metrics.iter().find(|m| m.name == b.name) else {
            out.only_in_base.push(unmatched(key, Some(&b.name), "metric not in the new run".into()));
            continue;
        };
        let mismatch = if b.unit != n.unit {
            Some(format!("unit {} in base, {} in new", b.unit, n.unit))
        } else if b.better != n.better {
            Some("better-direction differs between the runs".into())
        } else {
            None
        };
        let result = match mismatch {
            Some(reason) => Err(reason),
            None => compare_metric(key, b, n, options),
        };
        match result {
            Ok(row) => out.rows.push(row),
            Err(reason) => out.not_compared.push(unmatched(key, Some(&b.name), reason)),
        }
    }
    for n in new.metrics.iter().filter(|n| !base.metrics.iter().any(|b| b.name == n.name)) {
        out.only_in_new.push(unmatched(key, Some(&n.name), "metric not in the base run".into()));
    }
}

fn unmatched(key: &PointKey, metric: Option<&str>, reason: String) -> Unmatched {
    Unmatched { key: key.clone(), metric: metric.map(str::to_string), reason }
}

/// "ok", or "skipped: why" for a record that did not measure.
fn status_text(record: &Record) -> String {
    match record.status {
        RecordStatus::Ok => "ok".into(),
        other => format!("{}: {}", status_word(other), reason_text(record)),
    }
}

fn status_word(status: RecordStatus) -> &'static str {
    match status {
        RecordStatus::Ok => "ok",
        RecordStatus::Skipped => "skipped",
        RecordStatus::Failed => "failed",
    }
}

fn reason_text(record: &Record) -> &str {
    record.reason.as_deref().unwrap_or("no reason given")
}

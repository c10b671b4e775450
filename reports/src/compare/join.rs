//! Pairing the records and metrics of two sides, and the gate: a record
//! the base measured that the new side did not is a gate failure.

use std::collections::HashMap;

use hwbench_schema::{Metric, Record, RecordStatus, ResultDocument};

use super::{interference, units, verdict, Comparison, Level, Options, Row, Unmatched};
use crate::key::PointKey;

/// The runs of one side, each indexed by key.
struct Side<'a> {
    /// "base" or "new".
    name: &'static str,
    runs: Vec<Indexed<'a>>,
}

/// Records of one run by key; later records with a key already seen are
/// kept apart as duplicates.
struct Indexed<'a> {
    id: &'a str,
    order: Vec<PointKey>,
    by_key: HashMap<PointKey, &'a Record>,
    duplicates: Vec<PointKey>,
}

/// Where a key stands on one side.
enum State<'a> {
    /// Ok in every run of the side: one record per run.
    Ok(Vec<&'a Record>),
    /// In no run of the side.
    Absent,
    /// Failed, skipped or missing in some run: why, in words.
    NotOk(String),
}

impl<'a> Side<'a> {
    fn new(name: &'static str, docs: &'a [ResultDocument]) -> Self {
        Side { name, runs: docs.iter().map(index).collect() }
    }

    /// Every key in first-seen order over the runs.
    fn keys(&self) -> Vec<&PointKey> {
        let mut seen = std::collections::HashSet::new();
        self.runs.iter().flat_map(|r| &r.order).filter(|k| seen.insert(*k)).collect()
    }

    /// "the new run", or "the new runs" for a side of several.
    fn whole(&self) -> String {
        format!("the {} run{}", self.name, if self.runs.len() > 1 { "s" } else { "" })
    }

    fn has(&self, key: &PointKey) -> bool {
        self.runs.iter().any(|r| r.by_key.contains_key(key))
    }

    fn state(&self, key: &PointKey) -> State<'a> {
        if !self.has(key) {
            return State::Absent;
        }
        let several = self.runs.len() > 1;
        let mut records = Vec::with_capacity(self.runs.len());
        for run in &self.runs {
            let place = if several { format!("{} run {}", self.name, run.id) } else { format!("{} run", self.name) };
            match run.by_key.get(key) {
                None => return State::NotOk(format!("missing from the {place}")),
                Some(r) if r.status != RecordStatus::Ok => {
                    return State::NotOk(format!("{} in the {place}: {}", status_word(r.status), reason_text(r)))
                }
                Some(r) => records.push(*r),
            }
        }
        State::Ok(records)
    }

    /// Records of the same benchmark that did not measure, as a hint for a
    /// key that is missing (a GPU benchmark without its adapter param, ...).
    fn not_ok_of_id(&self, id: &str) -> Option<String> {
        self.runs
            .iter()
            .flat_map(|r| r.by_key.values())
            .find(|r| r.id == id && r.status != RecordStatus::Ok)
            .map(|r| format!("{} {} in {}: {}", r.id, status_word(r.status), self.whole(), reason_text(r)))
    }
}

fn index(doc: &ResultDocument) -> Indexed<'_> {
    let mut indexed = Indexed { id: &doc.run.id, order: Vec::new(), by_key: HashMap::new(), duplicates: Vec::new() };
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

/// Fills `out` with every pairing of the two sides.
pub(super) fn join(base: &[ResultDocument], new: &[ResultDocument], options: &Options, out: &mut Comparison) {
    let base = Side::new("base", base);
    let new = Side::new("new", new);
    for side in [&base, &new] {
        for run in &side.runs {
            for key in &run.duplicates {
                let reason = format!("repeated in {} run {}; only the first record is compared", side.name, run.id);
                out.not_compared.push(unmatched(key, None, reason));
            }
        }
    }
    for key in base.keys() {
        match (base.state(key), new.state(key)) {
            (State::Ok(b), State::Ok(n)) => {
                join_records(key, &b, &n, options, out);
                out.interference.extend(interference::differs(key, &b, &n));
            }
            (State::Ok(_), State::NotOk(why)) => out.gate_failures.push(unmatched(key, None, why)),
            (State::Ok(_), State::Absent) => {
                let hint = new.not_ok_of_id(&key.id).map(|h| format!(" ({h})")).unwrap_or_default();
                out.gate_failures.push(unmatched(key, None, format!("missing from {}{hint}", new.whole())));
            }
            (State::NotOk(why), State::Absent) => out.only_in_base.push(unmatched(key, None, why)),
            (State::NotOk(why), _) => out.not_compared.push(unmatched(key, None, why)),
            // Keys come from the base side, so it always has them.
            (State::Absent, _) => {}
        }
    }
    for key in new.keys().into_iter().filter(|k| !base.has(k)) {
        let status = match new.state(key) {
            State::Ok(_) => "ok".to_string(),
            State::NotOk(why) => why,
            State::Absent => continue,
        };
        out.only_in_new.push(unmatched(key, None, status));
    }
}

/// Compares every metric of a key ok on both sides.
fn join_records(key: &PointKey, base: &[&Record], new: &[&Record], options: &Options, out: &mut Comparison) {
    for b in &base[0].metrics {
        let Some(base_metrics) =
            base.iter().map(|r| r.metrics.iter().find(|m| m.name == b.name)).collect::<Option<Vec<_>>>()
        else {
            out.not_compared.push(unmatched(key, Some(&b.name), "metric not in every base run".into()));
            continue;
        };
        let Some(new_metrics) =
            new.iter().map(|r| r.metrics.iter().find(|m| m.name == b.name)).collect::<Option<Vec<_>>>()
        else {
            out.only_in_base.push(unmatched(key, Some(&b.name), "metric not in the new side".into()));
            continue;
        };
        match metric_row(key, &base_metrics, &new_metrics, out.level, options) {
            Ok(row) => out.rows.push(row),
            Err(reason) => out.not_compared.push(unmatched(key, Some(&b.name), reason)),
        }
    }
    for n in new[0].metrics.iter().filter(|n| !base[0].metrics.iter().any(|b| b.name == n.name)) {
        out.only_in_new.push(unmatched(key, Some(&n.name), "metric not in the base side".into()));
    }
}

/// The row of one metric present in every run of both sides.
fn metric_row(
    key: &PointKey,
    base: &[&Metric],
    new: &[&Metric],
    level: Level,
    options: &Options,
) -> Result<Row, String> {
    if let Some(reason) = mismatch(base, new) {
        return Err(reason);
    }
    let base_units = units::of_side(base, level).map_err(|e| format!("base: {e}"))?;
    let new_units = units::of_side(new, level).map_err(|e| format!("new: {e}"))?;
    verdict::judge(key, base[0], &base_units, &new_units, level, options)
}

/// Why the metrics of one name cannot be compared across the runs, if so.
fn mismatch(base: &[&Metric], new: &[&Metric]) -> Option<String> {
    let first = base[0];
    let all = base.iter().chain(new);
    if let Some(m) = all.clone().find(|m| m.unit != first.unit) {
        return Some(format!("unit {} in one run, {} in another", first.unit, m.unit));
    }
    all.clone().any(|m| m.better != first.better).then(|| "better-direction differs between the runs".into())
}

fn unmatched(key: &PointKey, metric: Option<&str>, reason: String) -> Unmatched {
    Unmatched { key: key.clone(), metric: metric.map(str::to_string), reason }
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

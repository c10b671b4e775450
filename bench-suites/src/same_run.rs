//! Figures of other benchmarks measured in the same run, for summaries
//! that relate one benchmark to another (a GEMM's fraction of
//! `gpu.compute`'s peak, a GEMV's fraction of `gpu.memory`'s bandwidth). A
//! figure is only ever taken from a record of the run; when there is none,
//! the summary says why instead of assuming one.

use hwbench_schema::{Metric, ParamValue, Record, RecordStatus, Repetition};

/// A figure measured in the run and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// The headline value.
    pub value: f64,
    /// Its unit.
    pub unit: String,
    /// "gpu.compute adapter=0 precision=f32 width=vec4: throughput".
    pub from: String,
}

impl Reference {
    /// The reference as a record's `info` value.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "value": self.value, "unit": self.unit, "from": self.from })
    }
}

/// The highest `metric` of the ok records of `id` in `all` that `matches`
/// accepts, or why there is none (`wanted` says what was looked for).
pub fn best(
    all: &[Record],
    id: &str,
    metric: &str,
    wanted: &str,
    matches: impl Fn(&Record) -> bool,
) -> Result<Reference, String> {
    all.iter()
        .filter(|r| r.id == id && r.status == RecordStatus::Ok && matches(r))
        .filter_map(|r| r.metrics.iter().find(|m| m.name == metric).map(|m| (r, m)))
        .filter(|(_, m)| m.value.is_finite() && m.value > 0.0)
        .max_by(|a, b| a.1.value.total_cmp(&b.1.value))
        .map(|(r, m)| Reference {
            value: m.value,
            unit: m.unit.clone(),
            from: format!("{id} {}: {metric}", crate::params::describe(&r.params)),
        })
        .ok_or_else(|| format!("no {id} record with {wanted} measured in this run (run {id} in the same run)"))
}

/// True when `record`'s param `name` equals `value` (both absent counts).
pub fn same_param(record: &Record, name: &str, value: Option<&ParamValue>) -> bool {
    record.params.get(name) == value
}

/// `metric` divided by `reference`: every sample and repetition too, with
/// the same statistic, under a new name and unit.
pub fn ratio(metric: &Metric, reference: f64, name: &str, unit: &str) -> Metric {
    Metric {
        repetitions: metric
            .repetitions
            .iter()
            .map(|r| Repetition { value: r.value / reference, sample_count: r.sample_count })
            .collect(),
        ..Metric::new(
            name,
            unit,
            metric.value / reference,
            &metric.statistic,
            metric.samples.iter().map(|s| s / reference).collect(),
            metric.better,
        )
    }
}

/// Copies the adapter provenance (`info.adapter`) of the first of `from`
/// that has one into a summary record, so reports name the adapter.
pub fn carry_adapter<'a>(to: &mut Record, mut from: impl Iterator<Item = &'a Record>) {
    if let Some(adapter) = from.find_map(|r| r.info.get("adapter")) {
        to.info.insert("adapter".into(), adapter.clone());
    }
}

/// A `skipped` summary record of `id` at `params` saying `why`.
pub fn skipped(id: &str, params: std::collections::BTreeMap<String, ParamValue>, why: String) -> Record {
    let mut record = Record::new(id, params);
    record.status = RecordStatus::Skipped;
    record.reason = Some(why);
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use hwbench_schema::Better;
    use std::collections::BTreeMap;

    fn record(id: &str, precision: &str, value: f64) -> Record {
        let params = BTreeMap::from([("precision".to_string(), ParamValue::Str(precision.into()))]);
        let mut r = Record::new(id, params);
        r.metrics.push(Metric::new("throughput", "GFLOP/s", value, "median", vec![value], Better::Higher));
        r
    }

    #[test]
    fn the_best_matching_ok_record_is_the_reference() {
        let mut failed = record("gpu.compute", "f32", 900.0);
        failed.status = RecordStatus::Failed;
        let all = vec![
            record("gpu.compute", "f32", 100.0),
            record("gpu.compute", "f32", 120.0),
            record("gpu.compute", "f16", 500.0),
            failed,
        ];
        let f32 = ParamValue::Str("f32".into());
        let found = best(&all, "gpu.compute", "throughput", "f32", |r| same_param(r, "precision", Some(&f32))).unwrap();
        assert_eq!(found.value, 120.0);
        assert_eq!(found.from, "gpu.compute precision=f32: throughput");
        let none = best(&all, "gpu.memory", "bandwidth", "adapter 0", |_| true).unwrap_err();
        assert!(none.starts_with("no gpu.memory record with adapter 0 measured in this run"), "{none}");
    }

    #[test]
    fn ratios_scale_samples_and_repetitions() {
        let mut m = Metric::new("throughput", "GFLOP/s", 50.0, "median", vec![40.0, 50.0, 60.0], Better::Higher);
        m.repetitions = vec![Repetition { value: 50.0, sample_count: 3 }];
        let r = ratio(&m, 200.0, "of_peak", "fraction");
        assert_eq!((r.value, r.samples.as_slice(), r.repetitions[0].value), (0.25, &[0.2, 0.25, 0.3][..], 0.25));
        assert_eq!((r.unit.as_str(), r.statistic.as_str()), ("fraction", "median"));
    }
}

//! A node of the fleet: what the fleet view keeps of one result document
//! (names, tags, provenance as text, the cohort fingerprint and each
//! metric's headline figure), so that a thousand runs fit in little memory.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use hwbench_schema::units::format_bytes;
use hwbench_schema::{Better, RecordStatus, ResultDocument};

use crate::key::params_text;
use crate::system;

/// One metric of one benchmark point, as documents name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricKey {
    /// Benchmark id: the metric's family.
    pub id: String,
    /// Canonical params text ("bytes=4096 page=4k").
    pub params: String,
    /// Metric name.
    pub metric: String,
}

/// What a metric is, besides its key.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricInfo {
    pub key: MetricKey,
    /// Params as (name, value text), in name order.
    pub param_values: Vec<(String, String)>,
    pub unit: String,
    pub better: Better,
}

/// Metrics numbered in the order they are first seen, each kept once.
#[derive(Debug, Clone, Default)]
pub struct MetricTable {
    numbers: HashMap<MetricKey, u32>,
    /// The metrics, by number.
    pub infos: Vec<MetricInfo>,
}

impl MetricTable {
    /// The number of the metric with `key`; `info` makes it when it is new.
    pub fn number(&mut self, key: MetricKey, info: impl FnOnce(MetricKey) -> MetricInfo) -> u32 {
        if let Some(&n) = self.numbers.get(&key) {
            return n;
        }
        let n = self.infos.len() as u32;
        self.numbers.insert(key.clone(), n);
        self.infos.push(info(key));
        n
    }
}

/// One metric of one run: its headline and each repetition's figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The metric's number in its table.
    pub metric: u32,
    /// The headline (with repetitions, their median).
    pub value: f64,
    /// Each repetition's figure, in measurement order; empty when the point
    /// was measured once or a repetition's figure is not finite.
    pub repetitions: Box<[f64]>,
}

impl Figure {
    /// The figure of a document's metric, numbered `metric`.
    pub fn of(metric: u32, m: &hwbench_schema::Metric) -> Self {
        let repetitions: Box<[f64]> = m.repetitions.iter().map(|r| r.value).collect();
        let finite = repetitions.iter().all(|v| v.is_finite());
        Self { metric, value: m.value, repetitions: if finite { repetitions } else { Box::new([]) } }
    }
}

/// The fingerprint parts that make runs "like machines" by default.
pub const FINGERPRINT: [&str; 5] = ["CPU", "sockets x cores", "memory", "NUMA nodes", "GPUs"];

/// What the fleet keeps of one document, its metrics numbered in the
/// table of the thread that loaded it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub path: PathBuf,
    pub run_id: String,
    pub label: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Provenance facts as text, in [`fact_names`] order.
    pub facts: Vec<String>,
    /// One text per [`FINGERPRINT`] part.
    pub fingerprint: Vec<String>,
    /// The value of each `--group-by` key.
    pub groups: Vec<GroupValue>,
    /// Each metric measured, numbered in the loading thread's table.
    pub figures: Vec<Figure>,
    /// Records skipped or failed.
    pub unmeasured: usize,
}

/// The provenance facts compared across a cohort: the report's system
/// table facts, then the count of records measured under interference.
pub fn fact_names() -> Vec<&'static str> {
    system::facts().iter().map(|(name, _)| *name).chain([INTERFERENCE]).collect()
}

const INTERFERENCE: &str = "records measured under interference";

impl Draft {
    /// Extracts what the fleet needs, with the value of each `group_by`
    /// key, numbering metrics in `table`; the document can be dropped after.
    pub fn of(path: PathBuf, doc: &ResultDocument, group_by: &[String], table: &mut MetricTable) -> Self {
        let mut facts: Vec<String> = system::facts().iter().map(|(_, get)| get(doc)).collect();
        let interfered = doc.benchmarks.iter().filter(|r| r.interference.as_ref().is_some_and(|i| i.flagged)).count();
        facts.push(interfered.to_string());
        let mut figures = Vec::new();
        for record in doc.benchmarks.iter().filter(|r| r.status == RecordStatus::Ok) {
            let params = params_text(&record.params);
            for m in record.metrics.iter().filter(|m| m.value.is_finite()) {
                let key = MetricKey { id: record.id.clone(), params: params.clone(), metric: m.name.clone() };
                let number = table.number(key, |key| MetricInfo {
                    key,
                    param_values: record.params.iter().map(|(k, v)| (k.clone(), v.to_string())).collect(),
                    unit: m.unit.clone(),
                    better: m.better,
                });
                figures.push(Figure::of(number, m));
            }
        }
        Self {
            path,
            run_id: doc.run.id.clone(),
            label: doc.run.label.clone().filter(|l| !l.trim().is_empty()),
            tags: doc.run.tags.clone(),
            facts,
            fingerprint: fingerprint(doc),
            groups: group_values(doc, group_by),
            figures,
            unmeasured: doc.benchmarks.iter().filter(|r| r.status != RecordStatus::Ok).count(),
        }
    }
}

/// The default cohort fingerprint: CPU, sockets x cores, memory, NUMA
/// layout and GPU models, one text per [`FINGERPRINT`] part.
pub fn fingerprint(doc: &ResultDocument) -> Vec<String> {
    let m = &doc.machine;
    let memory = match m.memory_bytes.known() {
        Some(&bytes) => memory_class(bytes),
        None => "unknown".into(),
    };
    let cpu_less = doc.topology.nodes.iter().filter(|n| n.cpu_less).count();
    let numa = match cpu_less {
        0 => doc.topology.nodes.len().to_string(),
        n => format!("{} ({n} CPU-less)", doc.topology.nodes.len()),
    };
    let mut gpus: Vec<&str> = doc.topology.gpus.iter().map(|g| g.name.as_str()).collect();
    gpus.sort_unstable();
    let mut counted: Vec<String> = Vec::new();
    for (i, name) in gpus.iter().enumerate() {
        if i == 0 || gpus[i - 1] != *name {
            let n = gpus.iter().filter(|g| *g == name).count();
            counted.push(if n > 1 { format!("{n}x {name}") } else { name.to_string() });
        }
    }
    vec![
        format!("{} {}", m.cpu_vendor, m.cpu_model),
        format!("{} x {}", m.sockets, m.cores),
        memory,
        numa,
        if counted.is_empty() { "none".into() } else { counted.join(", ") },
    ]
}

/// MemTotal to two significant figures of GiB, so that kernel and firmware
/// reservations of a few hundred MiB do not split like machines apart.
pub fn memory_class(bytes: u64) -> String {
    let gib = bytes as f64 / f64::from(1u32 << 30);
    if gib < 1.0 {
        return format_bytes(bytes);
    }
    let magnitude = 10f64.powi(gib.log10().floor() as i32 - 1);
    format!("{} GiB", ((gib / magnitude).round() * magnitude).round() as u64)
}

/// The value of a `--group-by` key in one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupValue {
    /// A field of the machine section, as text ("unknown" when unknown).
    Machine(String),
    /// A `--tag`, when the run has it.
    Tag(Option<String>),
}

impl GroupValue {
    /// The text a cohort key shows.
    pub fn text(&self) -> &str {
        match self {
            GroupValue::Machine(v) | GroupValue::Tag(Some(v)) => v,
            GroupValue::Tag(None) => "(none)",
        }
    }
}

/// Each key: `tag.NAME` is a tag; a field name of the machine section
/// (microcode, kernel, ...) is that field; any other name is a tag.
pub fn group_values(doc: &ResultDocument, keys: &[String]) -> Vec<GroupValue> {
    if keys.is_empty() {
        return Vec::new();
    }
    let fields = match serde_json::to_value(&doc.machine) {
        Ok(serde_json::Value::Object(fields)) => fields,
        _ => serde_json::Map::new(),
    };
    keys.iter()
        .map(|key| {
            if let Some(tag) = key.strip_prefix("tag.") {
                return GroupValue::Tag(doc.run.tags.get(tag).cloned());
            }
            match fields.get(key) {
                None => GroupValue::Tag(doc.run.tags.get(key).cloned()),
                Some(serde_json::Value::String(s)) => GroupValue::Machine(s.clone()),
                Some(serde_json::Value::Object(o)) if o.contains_key("unknown") => {
                    GroupValue::Machine("unknown".into())
                }
                Some(other) => GroupValue::Machine(other.to_string()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_classes_absorb_reservations() {
        assert_eq!(memory_class(25_276_063_744), "24 GiB");
        assert_eq!(memory_class(25_176_063_744), "23 GiB");
        assert_eq!(memory_class(540_000_000_000), "500 GiB");
        assert_eq!(memory_class(536_000_000_000), "500 GiB");
        assert_eq!(memory_class(1 << 29), "512 MiB");
    }
}

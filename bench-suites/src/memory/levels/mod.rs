//! `memory.latency.levels`: the cache levels and DRAM a latency curve
//! measured, beside the levels the topology declares. The curve's own
//! plateaus and steps are found ([`plateaus`]), named after the declared
//! levels ([`names`]) and each named plateau becomes a metric, with one
//! figure per repetition (docs/METHODS.md, "Memory latency").

pub mod names;
pub mod plateaus;
#[cfg(test)]
mod synthetic;

use std::collections::BTreeMap;

use hwbench_schema::numbers::median;
use hwbench_schema::{Better, Metric, Record, RecordStatus, Repetition};
use serde_json::{json, Value};

use names::Naming;
use plateaus::{Shape, MIN_PLATEAU_OCTAVES, STEP_RATIO};

/// Fills `record` (the summary, its params set) from a sweep's `curve`,
/// (bytes, latency metric) per point, and the `caches` one thread sees,
/// (level, per-instance bytes) ascending. Returns it with the sentences
/// where the declared levels and the curve disagree (for run warnings).
pub fn summarize(mut record: Record, curve: &[(u64, &Metric)], caches: &[(u8, u64)]) -> (Record, Vec<String>) {
    record.info.insert("levels_rule".into(), rule());
    record.info.insert("declared_cache_bytes".into(), declared(caches));
    let headline: Vec<(u64, f64)> = curve.iter().map(|(b, m)| (*b, m.value)).collect();
    let shape = match plateaus::find(&headline) {
        Ok(shape) => shape,
        Err(e) => return (skipped(record, e.to_string()), Vec::new()),
    };
    if caches.is_empty() {
        let unnamed = vec![None; shape.plateaus.len()];
        record.info.insert("measured_boundaries".into(), boundaries(&shape, &unnamed));
        let why = "the topology declares no data cache for this CPU: the plateaus cannot be named";
        return (skipped(record, why.into()), Vec::new());
    }
    let naming = names::name(&shape, caches);
    describe(&mut record, &shape, &naming);
    let repetitions = curve.iter().map(|(_, m)| m.repetitions.len()).min().unwrap_or(0);
    for (plateau, name) in shape.plateaus.iter().zip(&naming.names) {
        let Some(name) = name else { continue };
        let sizes = plateau.sizes(&shape);
        let points: Vec<&Metric> =
            sizes.iter().filter_map(|b| curve.iter().find(|(s, _)| s == b).map(|p| p.1)).collect();
        record.info.insert(format!("{name}_sizes"), sizes.into());
        record.metrics.push(level_metric(name, plateau.latency_ns, &points, repetitions));
    }
    if record.metrics.is_empty() {
        let why = naming.absent.iter().map(|(_, why)| why.as_str()).collect::<Vec<_>>().join("; ");
        record = skipped(record, format!("no plateau of the curve is named: {why}"));
    }
    (record, naming.disagreements)
}

fn skipped(mut record: Record, reason: String) -> Record {
    record.status = RecordStatus::Skipped;
    record.reason = Some(reason);
    record
}

/// One level's metric: the median of its points' latencies, and with
/// repetitions, per repetition the median of that repetition's figures at
/// those points, so the summary keeps the run-to-run spread.
fn level_metric(name: &str, latency_ns: f64, points: &[&Metric], repetitions: usize) -> Metric {
    let per_repetition: Vec<Repetition> = (0..repetitions)
        .map(|i| {
            let values: Vec<f64> = points.iter().map(|m| m.repetitions[i].value).collect();
            Repetition { value: median(&values).unwrap_or(f64::NAN), sample_count: values.len() }
        })
        .collect();
    let samples: Vec<f64> = if per_repetition.is_empty() {
        points.iter().map(|m| m.value).collect()
    } else {
        (0..repetitions).flat_map(|i| points.iter().map(move |m| m.repetitions[i].value)).collect()
    };
    Metric {
        repetitions: per_repetition,
        ..Metric::new(name, "ns", latency_ns, "median of plateau points", samples, Better::Lower)
    }
}

/// The rule and its thresholds, as the record states them.
fn rule() -> Value {
    json!({
        "curve": "headline latency against working-set size, as log2 bytes and ln ns, smoothed by a running median of 3 (the end points kept)",
        "step_ratio": STEP_RATIO,
        "min_plateau_octaves": MIN_PLATEAU_OCTAVES,
        "plateaus": "neighbouring groups of points merged while their medians differ by less than step_ratio; a group covering min_plateau_octaves is a plateau; neighbouring plateaus are one unless the median rises by step_ratio and the curve climbs by step_ratio between them",
        "step_position": "where the smoothed curve crosses the geometric mean of the two plateaus' latencies, interpolated in log-log",
        "margin": names::MARGIN,
        "dram": "the last plateau, when the curve ends on it and reaches margin x the largest declared cache or has more plateaus than declared levels",
        "matching": "the other plateaus in order, each to the lowest declared level not yet taken whose size times margin reaches the plateau's largest point",
        "disagreement": "a declared size more than margin x the size its plateau steps up by; a declared level with no plateau below a named one; a plateau with no name",
        "method": "docs/METHODS.md, Memory latency",
    })
}

fn declared(caches: &[(u8, u64)]) -> Value {
    caches
        .iter()
        .map(|(level, bytes)| (format!("l{level}"), Value::from(*bytes)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The measured facts: plateaus, boundaries, capacities, absences and disagreements.
fn describe(record: &mut Record, shape: &Shape, naming: &Naming) {
    let plateaus: Vec<Value> = shape
        .plateaus
        .iter()
        .zip(&naming.names)
        .map(|(p, name)| {
            json!({
                "level": name,
                "from_bytes": shape.points[p.first].0,
                "to_bytes": shape.points[p.last].0,
                "latency_ns": p.latency_ns,
            })
        })
        .collect();
    let capacities: serde_json::Map<String, Value> = naming
        .names
        .iter()
        .zip(&shape.steps)
        .filter_map(|(name, step)| Some((name.clone()?, Value::from(step.bytes))))
        .collect();
    let absent: BTreeMap<&str, &str> = naming.absent.iter().map(|(n, why)| (n.as_str(), why.as_str())).collect();
    let unnamed: Vec<Value> = naming.unnamed.iter().map(|(k, why)| json!({ "plateau": k, "why": why })).collect();
    let info = &mut record.info;
    info.insert("plateaus".into(), plateaus.into());
    info.insert("measured_boundaries".into(), boundaries(shape, &naming.names));
    info.insert("measured_cache_bytes".into(), capacities.into());
    info.insert("absent_levels".into(), json!(absent));
    info.insert("unnamed_plateaus".into(), unnamed.into());
    info.insert("disagreements".into(), json!(naming.disagreements));
}

/// Every step, ascending: its bytes, the two measured sizes around it and
/// the names of the plateaus on each side.
fn boundaries(shape: &Shape, names: &[Option<String>]) -> Value {
    shape
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            json!({
                "bytes": step.bytes,
                "between_bytes": [step.between.0, step.between.1],
                "from": names[i],
                "to": names[i + 1],
            })
        })
        .collect::<Vec<_>>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::synthetic::{self, steps, KIB, MIB};
    use super::*;

    /// A sweep's latency metrics, 3 sizes per octave from 4 KiB to 1 GiB,
    /// measured in two repetitions: `latency(bytes)` ns, then 10% more.
    fn sweep(latency: impl Fn(u64) -> f64) -> Vec<(u64, Metric)> {
        synthetic::sweep(1 << 30, 3, latency)
            .into_iter()
            .map(|(b, ns)| {
                let reps = [ns, ns * 1.1];
                let metric = Metric {
                    repetitions: reps.iter().map(|&value| Repetition { value, sample_count: 0 }).collect(),
                    ..Metric::new("latency", "ns", median(&reps).unwrap(), "median", Vec::new(), Better::Lower)
                };
                (b, metric)
            })
            .collect()
    }

    fn levels(sweep: &[(u64, Metric)], caches: &[(u8, u64)]) -> (Record, Vec<String>) {
        let curve: Vec<(u64, &Metric)> = sweep.iter().map(|(b, m)| (*b, m)).collect();
        summarize(Record::new("memory.latency.levels", BTreeMap::new()), &curve, caches)
    }

    fn metric<'a>(record: &'a Record, name: &str) -> Option<&'a Metric> {
        record.metrics.iter().find(|m| m.name == name)
    }

    /// This guest's declaration: 48 KiB, 2 MiB and a 480 MiB L3.
    const GUEST: [(u8, u64); 3] = [(1, 48 * KIB), (2, 2 * MIB), (3, 480 * MIB)];

    #[test]
    fn measured_levels_carry_one_figure_per_repetition_and_the_facts_beside_the_declared() {
        let staircase = steps(&[(48 * KIB, 1.2), (2 * MIB, 4.5), (6 * MIB, 30.0)], 100.0);
        let (record, disagreements) = levels(&sweep(staircase), &GUEST);
        let names: Vec<&str> = record.metrics.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["l1", "l2", "l3", "dram"]);
        for (name, ns) in [("l1", 1.2), ("l2", 4.5), ("l3", 30.0), ("dram", 100.0)] {
            let m = metric(&record, name).unwrap();
            let reps: Vec<f64> = m.repetitions.iter().map(|r| r.value).collect();
            assert_eq!(reps, [ns, ns * 1.1], "{name}");
            assert!(m.repetition_samples().is_some(), "{name}: repetitions add up to the samples");
        }
        let info = &record.info;
        assert_eq!(info["declared_cache_bytes"], json!({ "l1": 49152, "l2": 2097152, "l3": 503316480 }));
        let l3 = info["measured_cache_bytes"]["l3"].as_u64().unwrap();
        assert!(l3 > 5 * MIB && l3 < 7 * MIB, "{l3}");
        let boundaries = info["measured_boundaries"].as_array().unwrap();
        assert_eq!(boundaries.len(), 3);
        assert_eq!((&boundaries[2]["from"], &boundaries[2]["to"]), (&json!("l3"), &json!("dram")));
        assert_eq!(info["plateaus"][3]["level"], "dram");
        assert_eq!(info["absent_levels"], json!({}));
        assert_eq!(info["levels_rule"]["step_ratio"], STEP_RATIO);
        assert_eq!(disagreements.len(), 1);
        let want =
            "declared L3 480 MiB; latency reaches DRAM (105.0 ns) by 6.35 MiB (the L3 plateau, 31.5 ns, ends near ";
        assert!(disagreements[0].starts_with(want), "{disagreements:?}");
        assert_eq!(info["disagreements"], json!(disagreements));
    }

    #[test]
    fn a_declared_level_without_a_plateau_has_no_metric_and_says_why() {
        let no_l3 = steps(&[(48 * KIB, 1.2), (2 * MIB, 4.5)], 100.0);
        let (record, disagreements) = levels(&sweep(no_l3), &GUEST);
        let names: Vec<&str> = record.metrics.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["l1", "l2", "dram"], "l3 is not filled with DRAM's figure");
        assert!((metric(&record, "dram").unwrap().value - 105.0).abs() < 1e-9, "the median of DRAM's points");
        let why = record.info["absent_levels"]["l3"].as_str().unwrap();
        assert!(why.starts_with("declared L3 480 MiB has no plateau of its own; latency reaches DRAM"), "{why}");
        assert_eq!(disagreements, [why]);
        assert!(!record.info.contains_key("l3_sizes"));
    }

    #[test]
    fn curves_without_levels_or_caches_to_name_them_are_skipped_with_the_reason() {
        let short = sweep(|_| 1.0);
        let (record, _) = levels(&short[..2], &GUEST);
        assert_eq!(record.status, RecordStatus::Skipped);
        assert_eq!(record.reason.as_deref(), Some("2 point(s) with a latency; 3 or more are needed to find levels"));
        let (record, warnings) = levels(&short, &[]);
        assert_eq!(record.status, RecordStatus::Skipped);
        assert!(record.reason.unwrap().starts_with("the topology declares no data cache"));
        assert!(record.metrics.is_empty() && warnings.is_empty());
    }
}

//! The repetitions of one point made into its record: every metric keeps
//! each repetition's figure and samples and takes the median over
//! repetitions as its headline; energy figures get one value per
//! repetition; placement, info, energy, counters and interference are
//! combined so that nothing measured is lost and nothing looks better than
//! its worst repetition.

use std::collections::BTreeMap;

use hwbench_probes::energy::instruments::Tally;
use hwbench_probes::interference;
use hwbench_schema::numbers::median;
use hwbench_schema::{Metric, ParamValue, Placement, Record, RecordStatus, Repetition as RepetitionFigure};

use crate::error::BenchError;
use crate::params::describe;
use crate::registry::Measured;
use crate::session::{Session, Windows};

/// A placement under this fraction on the intended node is flagged.
pub const MIN_ON_NODE_FRACTION: f64 = 0.99;

/// One repetition of a point: what measuring it returned and what its
/// sampling phases' windows saw.
pub(super) struct Repetition {
    pub(super) result: Result<Measured, BenchError>,
    pub(super) windows: Windows,
}

/// The record of a point from its repetitions (at least one). Warnings
/// about its placement go to the session.
pub(super) fn record(
    id: &str,
    params: &BTreeMap<String, ParamValue>,
    repetitions: Vec<Repetition>,
    session: &mut Session,
) -> Record {
    let count = repetitions.len();
    let mut record = Record::new(id, params.clone());
    let mut tally = Tally::default();
    let mut measured = Vec::with_capacity(count);
    for (i, rep) in repetitions.into_iter().enumerate() {
        if let Some(seen) = rep.windows.interference {
            match &mut record.interference {
                Some(total) => interference::merge(total, seen),
                None => record.interference = Some(seen),
            }
        }
        match rep.result {
            Ok(mut m) => {
                m.metrics.extend(rep.windows.tally.attach(session.instruments().idle()).metrics);
                measured.push(m);
            }
            Err(e) if record.status == RecordStatus::Ok => {
                // A point that cannot run here cannot in any repetition; a
                // failure is one repetition's, and says which.
                let skipped = matches!(e, BenchError::Unavailable(_));
                record.status = if skipped { RecordStatus::Skipped } else { RecordStatus::Failed };
                let which =
                    if count > 1 && !skipped { format!("repetition {} of {count}: ", i + 1) } else { String::new() };
                record.reason = Some(format!("{which}{e}"));
            }
            Err(_) => {}
        }
        tally.absorb(rep.windows.tally);
    }
    if record.status != RecordStatus::Ok {
        return record;
    }
    let attached = tally.attach(session.instruments().idle());
    record.energy = attached.energy;
    record.counters = attached.counters;
    record.metrics = metrics(&measured);
    record.info = info(&measured);
    record.placement = worst_placement(measured.iter().filter_map(|m| m.placement.clone()));
    if let Some(warning) = placement_warning(id, params, record.placement.as_ref()) {
        record.info.insert("placement_warning".into(), warning.clone().into());
        session.warn(warning);
    }
    record
}

/// Each metric of the first repetition over every repetition that has it:
/// one repetition is kept as measured; several keep each one's figure and
/// sample count, their samples in order, and the median of the figures.
fn metrics(measured: &[Measured]) -> Vec<Metric> {
    let Some(first) = measured.first() else { return Vec::new() };
    if measured.len() == 1 {
        return first.metrics.clone();
    }
    first
        .metrics
        .iter()
        .map(|template| {
            let reps: Vec<&Metric> =
                measured.iter().filter_map(|m| m.metrics.iter().find(|x| x.name == template.name)).collect();
            let figures: Vec<f64> = reps.iter().map(|m| m.value).collect();
            Metric {
                value: median(&figures).unwrap_or(template.value),
                samples: reps.iter().flat_map(|m| m.samples.iter().copied()).collect(),
                repetitions: reps
                    .iter()
                    .map(|m| RepetitionFigure { value: m.value, sample_count: m.samples.len() })
                    .collect(),
                ..template.clone()
            }
        })
        .collect()
}

/// The first repetition's facts; a fact that differs between repetitions
/// (an instruction set chosen by trial, passes per sample) is also listed
/// per repetition under `per_repetition`.
fn info(measured: &[Measured]) -> BTreeMap<String, serde_json::Value> {
    let Some(first) = measured.first() else { return BTreeMap::new() };
    let mut info = first.info.clone();
    let mut differing = serde_json::Map::new();
    for key in first.info.keys() {
        let values: Vec<serde_json::Value> =
            measured.iter().map(|m| m.info.get(key).cloned().unwrap_or(serde_json::Value::Null)).collect();
        if values.iter().any(|v| *v != values[0]) {
            differing.insert(key.clone(), values.into());
        }
    }
    if !differing.is_empty() {
        info.insert("per_repetition".into(), differing.into());
    }
    info
}

/// The placement of the repetition with the fewest pages on the node (an
/// unverified one counts as the worst).
fn worst_placement(placements: impl Iterator<Item = Placement>) -> Option<Placement> {
    placements.min_by(|a, b| {
        let key = |p: &Placement| p.on_node_fraction.unwrap_or(f64::NEG_INFINITY);
        key(a).total_cmp(&key(b))
    })
}

/// Why a placement asked for a node does not count as verified there, if so.
fn placement_warning(id: &str, params: &BTreeMap<String, ParamValue>, p: Option<&Placement>) -> Option<String> {
    let p = p?;
    let node = p.node?;
    match p.on_node_fraction {
        Some(f) if f < MIN_ON_NODE_FRACTION => {
            Some(format!("{id} {}: only {:.1}% of pages on node {node}", describe(params), f * 100.0))
        }
        Some(_) => None,
        None => Some(format!(
            "{id} {}: placement on node {node} could not be verified: {}",
            describe(params),
            p.unverified.as_deref().unwrap_or("no reason recorded")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hwbench_probes::SysRoot;
    use hwbench_schema::{Better, Topology};

    use crate::host::Host;

    fn measured(latency: &[f64], energy: f64, isa: &str) -> Repetition {
        let metric = crate::harness::median_metric("latency", "ns", latency.to_vec(), Better::Lower);
        let energy = Metric::new("energy", "J", energy, "total", vec![], Better::Lower);
        let info = BTreeMap::from([("isa".to_string(), isa.into()), ("lines".to_string(), 64.into())]);
        Repetition {
            result: Ok(Measured { metrics: vec![metric, energy], placement: None, info }),
            windows: Windows::default(),
        }
    }

    fn session() -> Session {
        Session::plain(Host::new(SysRoot::default(), Topology::default()))
    }

    #[test]
    fn repetitions_keep_their_figures_and_samples_and_the_headline_is_their_median() {
        let reps = vec![
            measured(&[1.0, 2.0, 3.0], 5.0, "avx2"),
            measured(&[7.0, 9.0], 4.0, "avx2"),
            measured(&[4.0], 6.0, "avx512"),
        ];
        let r = record("memory.latency", &BTreeMap::new(), reps, &mut session());
        assert_eq!(r.status, RecordStatus::Ok);
        let latency = &r.metrics[0];
        assert_eq!(latency.value, 4.0, "median of 2, 8 and 4");
        assert_eq!(latency.samples, vec![1.0, 2.0, 3.0, 7.0, 9.0, 4.0]);
        let split = latency.repetition_samples().unwrap();
        assert_eq!(split, vec![(2.0, &[1.0, 2.0, 3.0][..]), (8.0, &[7.0, 9.0][..]), (4.0, &[4.0][..])]);
        // A figure without samples still gets one value per repetition.
        let energy = &r.metrics[1];
        assert_eq!(energy.value, 5.0);
        assert_eq!(energy.repetitions.iter().map(|x| x.value).collect::<Vec<_>>(), vec![5.0, 4.0, 6.0]);
        assert!(energy.repetitions.iter().all(|x| x.sample_count == 0));
        assert_eq!(r.info["isa"], "avx2");
        assert_eq!(r.info["per_repetition"]["isa"], serde_json::json!(["avx2", "avx2", "avx512"]));
        assert!(r.info["per_repetition"].get("lines").is_none());
    }

    #[test]
    fn one_repetition_is_the_measurement_as_it_was() {
        let r =
            record("memory.latency", &BTreeMap::new(), vec![measured(&[1.0, 2.0, 3.0], 5.0, "avx2")], &mut session());
        assert_eq!(r.metrics[0].value, 2.0);
        assert!(r.metrics[0].repetitions.is_empty());
        assert!(!r.info.contains_key("per_repetition"));
    }

    #[test]
    fn a_failed_repetition_fails_the_record_naming_it() {
        let failed = Repetition { result: Err(BenchError::Failed("validation".into())), windows: Windows::default() };
        let reps = vec![measured(&[1.0], 1.0, "avx2"), failed, measured(&[1.0], 1.0, "avx2")];
        let r = record("memory.bandwidth", &BTreeMap::new(), reps, &mut session());
        assert_eq!(r.status, RecordStatus::Failed);
        assert_eq!(r.reason.as_deref(), Some("repetition 2 of 3: validation"));
        assert!(r.metrics.is_empty());
    }

    fn placement(node: Option<u32>, fraction: Option<f64>) -> Placement {
        Placement {
            node,
            on_node_fraction: fraction,
            pages_checked: 10,
            page_requested: "4k".into(),
            page_obtained: "4k".into(),
            huge_bytes: 0,
            unverified: fraction.is_none().then(|| "move_pages failed".to_string()),
        }
    }

    #[test]
    fn the_worst_placement_stands_and_an_unverified_node_is_a_warning() {
        let worst = worst_placement([placement(Some(1), Some(1.0)), placement(Some(1), Some(0.5))].into_iter());
        assert_eq!(worst.unwrap().on_node_fraction, Some(0.5));
        let unverified = worst_placement([placement(Some(1), Some(1.0)), placement(Some(1), None)].into_iter());
        assert_eq!(unverified.as_ref().unwrap().on_node_fraction, None);
        let params = BTreeMap::from([("node".to_string(), ParamValue::Int(1))]);
        let warning = placement_warning("memory.latency", &params, unverified.as_ref()).unwrap();
        assert_eq!(warning, "memory.latency node=1: placement on node 1 could not be verified: move_pages failed");
        assert!(placement_warning("x", &params, Some(&placement(None, None))).is_none());
        assert!(placement_warning("x", &params, Some(&placement(Some(1), Some(0.995)))).is_none());
    }
}

//! The ceilings of a measured roofline: the highest attained FLOP/s and
//! bytes/s over the intensities, their ratio (the ridge point), and each
//! beside the peak another benchmark measured in the same run, when one did.

use std::collections::BTreeMap;

use hwbench_schema::{Better, Metric, ParamValue, Record, RecordStatus};

use crate::same_run::{self, Reference};

/// The metric of a roofline record holding attained FLOP/s (GFLOP/s).
pub const THROUGHPUT: &str = "throughput";
/// The metric holding attained bytes/s (GB/s, median).
pub const BANDWIDTH: &str = "bandwidth";
/// The metric holding the best sample's bytes/s (GB/s, max): the bandwidth
/// ceiling is the highest of these, as STREAM and BabelStream (and so
/// memory.bandwidth and gpu.memory) report bandwidth.
pub const BANDWIDTH_BEST: &str = "bandwidth_best";

/// The ceilings summary of one roofline's records (one processor, one
/// precision): `id` and `params` name the summary record; `compute` and
/// `bandwidth` are the same run's reference peaks, or why there is none.
pub fn ceilings(
    id: &str,
    params: BTreeMap<String, ParamValue>,
    points: &[&Record],
    compute: Result<Reference, String>,
    bandwidth: Result<Reference, String>,
) -> Record {
    let curve: Vec<(f64, f64, f64)> = points
        .iter()
        .filter(|r| r.status == RecordStatus::Ok)
        .filter_map(|r| {
            let intensity = match r.params.get("intensity")? {
                ParamValue::Float(x) => *x,
                ParamValue::Int(x) => *x as f64,
                _ => return None,
            };
            let value = |name: &str| r.metrics.iter().find(|m| m.name == name).map(|m| m.value);
            Some((intensity, value(THROUGHPUT)?, value(BANDWIDTH_BEST).or_else(|| value(BANDWIDTH))?))
        })
        .collect();
    if curve.len() < 2 {
        return same_run::skipped(
            id,
            params,
            format!("{} measured intensities: a roofline needs at least two", curve.len()),
        );
    }
    let best = |pick: fn(&(f64, f64, f64)) -> f64| {
        curve.iter().copied().max_by(|a, b| pick(a).total_cmp(&pick(b))).unwrap_or((0.0, 0.0, 0.0))
    };
    let (at_compute, compute_ceiling) = {
        let b = best(|p| p.1);
        (b.0, b.1)
    };
    let (at_bandwidth, bandwidth_ceiling) = {
        let b = best(|p| p.2);
        (b.0, b.2)
    };
    let ridge = compute_ceiling / bandwidth_ceiling;
    let derived = |name: &str, unit: &str, value: f64, statistic: &str| {
        Metric::new(name, unit, value, statistic, Vec::new(), Better::Higher)
    };
    let mut record = Record::new(id, params);
    record.metrics = vec![
        derived("compute_ceiling", "GFLOP/s", compute_ceiling, "max over intensities"),
        derived("bandwidth_ceiling", "GB/s", bandwidth_ceiling, "max over intensities"),
        Metric { better: Better::Lower, ..derived("ridge", "FLOP/B", ridge, "derived") },
    ];
    record.info.insert("compute_ceiling_intensity".into(), at_compute.into());
    record.info.insert("bandwidth_ceiling_intensity".into(), at_bandwidth.into());
    record.info.insert("rising_below_ridge".into(), rising_below(&curve, ridge).into());
    record.info.insert(
        "ridge_definition".into(),
        "compute_ceiling / bandwidth_ceiling: below it the measured roof is bandwidth x intensity; the compute ceiling is the highest median throughput, the bandwidth ceiling the highest best-sample bandwidth, as gpu.compute and STREAM report them".into(),
    );
    for (name, reference, ceiling) in [
        ("compute_ceiling_of_peak", compute, compute_ceiling),
        ("bandwidth_ceiling_of_stream", bandwidth, bandwidth_ceiling),
    ] {
        match reference {
            Ok(r) => {
                record.metrics.push(derived(name, "fraction", ceiling / r.value, "derived"));
                record.info.insert(format!("{name}_reference"), r.to_json());
            }
            Err(why) => {
                record.info.insert(name.into(), format!("unavailable: {why}").into());
            }
        }
    }
    record
}

/// True when attained FLOP/s grows at every step of intensity below `ridge`.
fn rising_below(curve: &[(f64, f64, f64)], ridge: f64) -> bool {
    let mut below: Vec<(f64, f64)> = curve.iter().filter(|p| p.0 <= ridge).map(|p| (p.0, p.1)).collect();
    below.sort_by(|a, b| a.0.total_cmp(&b.0));
    below.windows(2).all(|w| w[1].1 > w[0].1)
}

/// The records of `own` grouped by the values of `keys` (adapter,
/// precision, ...), in first-seen order: each group's params and records.
pub fn group<'a>(own: &'a [Record], keys: &[&str]) -> Vec<(BTreeMap<String, ParamValue>, Vec<&'a Record>)> {
    let mut groups: Vec<(BTreeMap<String, ParamValue>, Vec<&'a Record>)> = Vec::new();
    for r in own {
        let params: BTreeMap<String, ParamValue> =
            keys.iter().filter_map(|k| r.params.get(*k).map(|v| (k.to_string(), v.clone()))).collect();
        match groups.iter_mut().find(|(p, _)| *p == params) {
            Some((_, records)) => records.push(r),
            None => groups.push((params, vec![r])),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(intensity: f64, gflops: f64) -> Record {
        let params = BTreeMap::from([
            ("intensity".to_string(), ParamValue::Float(intensity)),
            ("precision".to_string(), ParamValue::Str("f32".into())),
        ]);
        let mut r = Record::new("gpu.roofline", params);
        r.metrics.push(Metric::new(THROUGHPUT, "GFLOP/s", gflops, "median", vec![gflops], Better::Higher));
        r.metrics.push(Metric::new(BANDWIDTH, "GB/s", gflops / intensity, "median", vec![], Better::Higher));
        r
    }

    #[test]
    fn ceilings_are_the_highest_figures_and_the_ridge_their_ratio() {
        let records = [point(0.25, 2.5), point(1.0, 10.0), point(4.0, 38.0), point(16.0, 50.0), point(64.0, 51.0)];
        let refs: Vec<&Record> = records.iter().collect();
        let peak = Reference { value: 50.0, unit: "GFLOP/s".into(), from: "gpu.compute".into() };
        let r = ceilings("gpu.roofline.ceilings", BTreeMap::new(), &refs, Ok(peak), Err("no gpu.memory".into()));
        let value = |n: &str| r.metrics.iter().find(|m| m.name == n).unwrap().value;
        assert_eq!((value("compute_ceiling"), value("bandwidth_ceiling")), (51.0, 10.0));
        assert_eq!(value("ridge"), 5.1);
        assert_eq!(value("compute_ceiling_of_peak"), 1.02);
        assert_eq!(r.info["rising_below_ridge"], true);
        assert_eq!(r.info["compute_ceiling_intensity"], 64.0);
        assert_eq!(r.info["bandwidth_ceiling_of_stream"], "unavailable: no gpu.memory");
        assert!(r.metrics.iter().all(|m| m.name != "bandwidth_ceiling_of_stream"));
    }

    #[test]
    fn a_single_point_is_no_roofline() {
        let records = [point(1.0, 10.0)];
        let r = ceilings("x.y", BTreeMap::new(), &[&records[0]], Err("a".into()), Err("b".into()));
        assert_eq!(r.status, RecordStatus::Skipped);
        assert!(r.metrics.is_empty());
    }

    #[test]
    fn groups_keep_first_seen_order() {
        let mut a = point(1.0, 1.0);
        a.params.insert("precision".into(), ParamValue::Str("f16".into()));
        let records = vec![point(1.0, 1.0), a, point(2.0, 2.0)];
        let groups = group(&records, &["precision"]);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].1.len(), 2);
        assert_eq!(groups[1].0["precision"], ParamValue::Str("f16".into()));
    }
}

//! `gpu.gemv.decode`: an upper bound on decode tokens per second for a
//! model of `model_bytes` bytes of weights, computed from the GEMV
//! bandwidth measured in the same run. One decode step of `batch` sequences
//! streams every weight once; at the measured weight-streaming rate that
//! takes at least model_bytes / bandwidth seconds and yields `batch`
//! tokens. It is a bound computed from measured figures, not a measurement
//! of a model: attention, KV-cache reads, activations, sampling and kernel
//! launches are not counted. Joules per token come only from energy a
//! meter counted during the GEMV records.

use std::collections::BTreeMap;

use hwbench_schema::{units, Better, Metric, ParamValue, Record, RecordStatus};

use crate::error::BenchError;
use crate::params::{Param, ParamKind, Settings, Unset};
use crate::roofline::summary::group;
use crate::same_run;

/// Id of the summary record.
pub const DECODE_ID: &str = "gpu.gemv.decode";

/// The `model_bytes` param of gpu.gemv: the weight sizes the bound is for.
pub const MODEL_BYTES: Param<String> = Param::new(
    "model_bytes",
    ParamKind::Text,
    Unset::Value("16GB,140GB"),
    "model weight sizes for the decode bound, comma separated (16GB: 8B parameters at 2 bytes; 140GB: 70B)",
);

/// The model sizes asked for.
pub fn model_bytes(settings: &Settings) -> Result<Vec<u64>, BenchError> {
    let text = MODEL_BYTES.value(settings)?;
    text.split(',')
        .map(str::trim)
        .map(|t| {
            units::parse_bytes(t).ok().filter(|b| *b > 0).ok_or_else(|| {
                BenchError::bad_param(settings.id, MODEL_BYTES.spec.name, format!("'{t}' is not a size"))
            })
        })
        .collect()
}

/// One weight shape's figures at a batch: bytes streamed per step and the
/// measured rate, with the energy per GB a meter counted, if one did.
struct Streamed {
    bytes: f64,
    gbs: f64,
    joules_per_gb: Option<f64>,
    joules_per_gb_net: Option<f64>,
}

fn streamed(record: &Record) -> Option<Streamed> {
    let metric = |name: &str| record.metrics.iter().find(|m| m.name == name).map(|m| m.value);
    let int = |name: &str| match record.params.get(name) {
        Some(ParamValue::Int(v)) => Some(*v as f64),
        _ => None,
    };
    let element =
        if matches!(record.params.get("precision"), Some(ParamValue::Str(p)) if p == "f16") { 2.0 } else { 4.0 };
    let per_gb = |name: &str| record.metrics.iter().find(|m| m.name == name && m.unit == "J/GB").map(|m| m.value);
    Some(Streamed {
        bytes: int("n")? * int("k")? * element,
        gbs: metric("bandwidth")?,
        joules_per_gb: per_gb("energy_per_op"),
        joules_per_gb_net: per_gb("energy_per_op_net"),
    })
}

/// The decode bounds of a run's gpu.gemv records: one record per (adapter,
/// precision, batch) and model size.
pub fn bounds(own: &[Record], sizes: &[u64]) -> Vec<Record> {
    let mut out = Vec::new();
    for (params, records) in group(own, &["adapter", "precision", "batch"]) {
        let ok: Vec<Streamed> =
            records.iter().filter(|r| r.status == RecordStatus::Ok).filter_map(|r| streamed(r)).collect();
        for &size in sizes {
            let mut params = params.clone();
            params.insert("model_bytes".into(), ParamValue::Int(size as i64));
            if ok.is_empty() {
                let why = records.iter().find_map(|r| r.reason.clone()).unwrap_or_else(|| "nothing measured".into());
                out.push(same_run::skipped(
                    DECODE_ID,
                    params,
                    format!("no gpu.gemv record measured at this batch: {why}"),
                ));
                continue;
            }
            let mut record = bound(params, &ok, size);
            same_run::carry_adapter(&mut record, records.iter().copied());
            out.push(record);
        }
    }
    out
}

fn bound(params: BTreeMap<String, ParamValue>, shapes: &[Streamed], size: u64) -> Record {
    let batch = match params.get("batch") {
        Some(ParamValue::Int(b)) => *b as f64,
        _ => 1.0,
    };
    let bytes: f64 = shapes.iter().map(|s| s.bytes).sum();
    // Streaming one copy of every measured shape takes sum(bytes / rate):
    // the model is taken to be made of those shapes in equal measure.
    let seconds_per_gb: f64 = shapes.iter().map(|s| s.bytes / 1e9 / s.gbs).sum::<f64>() / (bytes / 1e9);
    let gbs = 1.0 / seconds_per_gb;
    let tokens = batch * gbs * 1e9 / size as f64;
    let mut record = Record::new(DECODE_ID, params);
    record.metrics.push(Metric::new("tokens_per_s", "token/s", tokens, "bound", Vec::new(), Better::Higher));
    record.metrics.push(Metric::new("bandwidth", "GB/s", gbs, "derived", Vec::new(), Better::Higher));
    record.info.insert(
        "label".into(),
        "an upper bound computed from the GEMV bandwidth measured in this run, not a measurement of a model".into(),
    );
    record.info.insert(
        "definition".into(),
        "tokens_per_s = batch x bandwidth / model_bytes: one decode step streams every weight once and yields batch tokens; bandwidth = the measured shapes' weight bytes / the time to stream each once at its measured rate. Attention, KV-cache reads, activations, sampling and launches are not counted".into(),
    );
    record.info.insert("shapes_measured".into(), shapes.len().into());
    let weighted = |pick: fn(&Streamed) -> Option<f64>| -> Option<f64> {
        let per: Option<Vec<f64>> = shapes.iter().map(|s| pick(s).map(|j| j * s.bytes)).collect();
        per.map(|v| v.iter().sum::<f64>() / bytes)
    };
    let per_token = |joules_per_gb: f64| joules_per_gb * size as f64 / 1e9 / batch;
    match weighted(|s| s.joules_per_gb) {
        Some(j) => {
            record.metrics.push(Metric::new(
                "joules_per_token",
                "J/token",
                per_token(j),
                "derived",
                Vec::new(),
                Better::Lower,
            ));
            if let Some(net) = weighted(|s| s.joules_per_gb_net) {
                record.metrics.push(Metric::new(
                    "joules_per_token_net",
                    "J/token",
                    per_token(net),
                    "derived",
                    Vec::new(),
                    Better::Lower,
                ));
            }
            record.info.insert(
                "joules_per_token_definition".into(),
                "energy per GB the meters counted during gpu.gemv (energy_per_op), x model_bytes / batch: the energy of streaming the weights, not of a model".into(),
            );
        }
        None => {
            record.info.insert(
                "joules_per_token".into(),
                "unavailable: no energy meter counted during these gpu.gemv records (hwbench sensors says which meters work here)".into(),
            );
        }
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gemv(n: i64, k: i64, batch: i64, gbs: f64, joules_per_gb: Option<f64>) -> Record {
        let params = BTreeMap::from([
            ("adapter".to_string(), ParamValue::Int(0)),
            ("precision".to_string(), ParamValue::Str("f16".into())),
            ("n".to_string(), ParamValue::Int(n)),
            ("k".to_string(), ParamValue::Int(k)),
            ("batch".to_string(), ParamValue::Int(batch)),
        ]);
        let mut r = Record::new("gpu.gemv", params);
        r.metrics.push(Metric::new("bandwidth", "GB/s", gbs, "median", vec![gbs], Better::Higher));
        if let Some(j) = joules_per_gb {
            r.metrics.push(Metric::new("energy_per_op", "J/GB", j, "derived", vec![], Better::Lower));
        }
        r
    }

    #[test]
    fn the_bound_is_batch_times_the_streaming_rate_over_the_model() {
        // Two shapes of equal bytes at 100 and 300 GB/s: 150 GB/s together.
        let own = vec![gemv(1024, 1024, 4, 100.0, None), gemv(1024, 1024, 4, 300.0, None)];
        let out = bounds(&own, &[16_000_000_000]);
        assert_eq!(out.len(), 1);
        let r = &out[0];
        let value = |n: &str| r.metrics.iter().find(|m| m.name == n).map(|m| m.value);
        assert!((value("bandwidth").unwrap() - 150.0).abs() < 1e-9);
        assert!((value("tokens_per_s").unwrap() - 4.0 * 150.0 / 16.0).abs() < 1e-9);
        assert_eq!(r.metrics[0].statistic, "bound");
        assert!(r.info["label"].as_str().unwrap().contains("not a measurement of a model"));
        assert!(r.info["joules_per_token"].as_str().unwrap().starts_with("unavailable"));
        assert_eq!(r.params["model_bytes"], ParamValue::Int(16_000_000_000));
    }

    #[test]
    fn joules_per_token_only_where_every_record_was_metered() {
        let metered = bounds(&[gemv(64, 64, 2, 10.0, Some(0.5))], &[1_000_000_000]);
        let j = metered[0].metrics.iter().find(|m| m.name == "joules_per_token").unwrap();
        assert_eq!(j.value, 0.5 * 1.0 / 2.0);
        let partial = bounds(&[gemv(64, 64, 2, 10.0, Some(0.5)), gemv(128, 64, 2, 10.0, None)], &[1_000_000_000]);
        assert!(partial[0].metrics.iter().all(|m| m.name != "joules_per_token"));
    }

    #[test]
    fn nothing_measured_is_skipped_with_the_reason() {
        let mut r = gemv(64, 64, 1, 1.0, None);
        r.status = RecordStatus::Skipped;
        r.reason = Some("no GPU adapter found".into());
        r.metrics.clear();
        let out = bounds(&[r], &[1, 2]);
        assert_eq!(out.len(), 2);
        assert!(out[0].reason.as_deref().unwrap().ends_with("no GPU adapter found"));
        let mut s = Settings::new("gpu.gemv");
        assert_eq!(model_bytes(&s).unwrap(), [16_000_000_000, 140_000_000_000]);
        s.set(&MODEL_BYTES.spec, "7GiB, x").unwrap();
        assert!(model_bytes(&s).unwrap_err().to_string().contains("'x' is not a size"));
    }
}

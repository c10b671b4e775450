//! Selecting, planning and executing benchmarks into records.

use hwbench_schema::{Record, RecordStatus};

use crate::context::Context;
use crate::error::BenchError;
use crate::params::{self, Params, Setting};
use crate::registry::{self, Benchmark, BenchmarkSpec};
use crate::suites::Suite;

/// A placement under this fraction on the intended node is flagged.
pub const MIN_ON_NODE_FRACTION: f64 = 0.99;

/// One benchmark chosen for a run with its points planned.
pub struct Planned {
    /// Its table row.
    pub spec: &'static BenchmarkSpec,
    /// The instance that measures.
    pub bench: Box<dyn Benchmark>,
    /// Every point to measure, params resolved.
    pub points: Vec<Params>,
}

/// Chooses benchmarks by id, or from a suite, and applies `--set` values.
/// A setting that no chosen benchmark takes is an error.
pub fn select(
    ids: &[String],
    suite: Option<&Suite>,
    settings: &[Setting],
) -> Result<Vec<(&'static BenchmarkSpec, Params)>, BenchError> {
    let mut chosen = Vec::new();
    if ids.is_empty() {
        if let Some(suite) = suite {
            for entry in &suite.benchmarks {
                let spec = lookup(&entry.id)?;
                let mut params = Params::default();
                for (key, value) in &entry.set {
                    let p = spec.params.iter().find(|p| p.name == key).ok_or_else(|| {
                        BenchError::BadInput(format!("suite {}: {}: no param '{key}'", suite.name, spec.id))
                    })?;
                    params.set(p.name, p.parse(value).map_err(|why| BenchError::bad_param(spec.id, key, why))?);
                }
                chosen.push((spec, params));
            }
        }
    } else {
        for id in ids {
            chosen.push((lookup(id)?, Params::default()));
        }
    }
    for setting in settings {
        if !chosen.iter().any(|(spec, _)| spec.params.iter().any(|p| p.name == setting.key)) {
            let takes: Vec<String> = chosen
                .iter()
                .map(|(s, _)| {
                    format!("{} takes {}", s.id, s.params.iter().map(|p| p.name).collect::<Vec<_>>().join(", "))
                })
                .collect();
            return Err(BenchError::BadInput(format!(
                "--set {}: no selected benchmark has this param ({})",
                setting.key,
                takes.join("; ")
            )));
        }
    }
    for (spec, params) in &mut chosen {
        params::apply(spec.id, spec.params, params, settings)?;
    }
    Ok(chosen)
}

fn lookup(id: &str) -> Result<&'static BenchmarkSpec, BenchError> {
    registry::find(id).ok_or_else(|| {
        let known: Vec<&str> = registry::BENCHMARKS.iter().map(|b| b.id).collect();
        BenchError::BadInput(format!("unknown benchmark '{id}' (known: {})", known.join(", ")))
    })
}

/// Plans every chosen benchmark; any bad input stops the run here.
pub fn plan(chosen: Vec<(&'static BenchmarkSpec, Params)>, ctx: &Context) -> Result<Vec<Planned>, BenchError> {
    chosen
        .into_iter()
        .map(|(spec, params)| {
            let mut bench = (spec.make)();
            let points = bench.points(&params, ctx)?;
            Ok(Planned { spec, bench, points })
        })
        .collect()
}

/// What the runner reports while it works.
pub enum Event<'a> {
    /// A point is about to be measured.
    Started { id: &'static str, point: &'a Params },
    /// A record was produced.
    Finished { record: &'a Record },
}

/// The records of a run and whether it was interrupted.
pub struct Outcome {
    /// Every record, in measurement order, summaries after their benchmark.
    pub records: Vec<Record>,
    /// True when Ctrl-C stopped the run early.
    pub interrupted: bool,
}

/// Measures every planned point. A point that fails becomes a failed or
/// skipped record and the run goes on; an interruption stops it, keeping
/// what was measured.
pub fn execute(planned: Vec<Planned>, ctx: &mut Context, on_event: &mut dyn FnMut(Event)) -> Outcome {
    let mut records = Vec::new();
    for Planned { spec, mut bench, points } in planned {
        let first = records.len();
        for point in &points {
            on_event(Event::Started { id: spec.id, point });
            let record = match bench.measure(point, ctx) {
                Err(BenchError::Interrupted) => return Outcome { records, interrupted: true },
                result => to_record(spec.id, point, result, ctx),
            };
            on_event(Event::Finished { record: &record });
            records.push(record);
        }
        for summary in bench.summarize(&records[first..], ctx) {
            on_event(Event::Finished { record: &summary });
            records.push(summary);
        }
    }
    Outcome { records, interrupted: false }
}

fn to_record(
    id: &str,
    point: &Params,
    result: Result<crate::registry::Measured, BenchError>,
    ctx: &mut Context,
) -> Record {
    // Energy and counters of the point's measurement windows (taken even
    // when it failed, so they never reach the next record).
    let attached = hwbench_probes::energy::instruments::take();
    let mut record = Record {
        id: id.to_string(),
        params: point.0.clone(),
        status: RecordStatus::Ok,
        reason: None,
        metrics: Vec::new(),
        placement: None,
        info: Default::default(),
        energy: None,
        counters: None,
        interference: None,
    };
    match result {
        Ok(m) => {
            if let Some(fraction) = m.placement.as_ref().and_then(|p| p.on_node_fraction) {
                if fraction < MIN_ON_NODE_FRACTION {
                    let warning = format!(
                        "{id} {}: only {:.1}% of pages on node {:?}",
                        describe(point),
                        fraction * 100.0,
                        m.placement.as_ref().and_then(|p| p.node)
                    );
                    record.info.insert("placement_warning".into(), warning.clone().into());
                    ctx.warnings.push(warning);
                }
            }
            record.metrics = m.metrics;
            record.metrics.extend(attached.metrics);
            record.energy = attached.energy;
            record.counters = attached.counters;
            record.placement = m.placement;
            record.info.extend(m.info);
        }
        Err(e) => {
            record.status = match e {
                BenchError::Unavailable(_) => RecordStatus::Skipped,
                _ => RecordStatus::Failed,
            };
            record.reason = Some(e.to_string());
        }
    }
    record
}

/// "bytes=4096 page=thp" for messages.
pub fn describe(point: &Params) -> String {
    describe_params(&point.0)
}

/// "bytes=4096 page=thp" for a record's params.
pub fn describe_params(params: &std::collections::BTreeMap<String, hwbench_schema::ParamValue>) -> String {
    params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
}

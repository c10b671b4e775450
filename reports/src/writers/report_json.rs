//! report.json: what the report says of every figure, for machines: per
//! run, each figure with what it counts, its limit and share of it, its
//! standing among the same SKU's references and the flag in words, and
//! which of them the first screen shows (results/SCHEMA.md, "report.json").

use hwbench_schema::ResultDocument;
use serde_json::{json, Value};

use super::glance_text;
use crate::figures::{Figure, RunFigures};
use crate::glance::Glance;
use crate::references::{References, Sku, Standing};
use crate::report::Report;

/// Version of report.json's shape; a field renamed or removed bumps it.
pub const VERSION: u32 = 1;

/// The rule figures are judged by, as report.json states it.
const RULE: &str = "units: the headlines of the reference runs of the run's SKU (cohort fingerprint: CPU, sockets x cores, memory, NUMA nodes, GPUs), or the repetitions of the one reference run; percentile: share of the units below the figure, ties counted half; spread: twice the fleet's robust spread of the units (1.4826 x MAD over the median, at least 0.5%, widened by sqrt(1 + pi/2n)), at least twice 1.2533 x the runs' robust repetition spread / sqrt(repetitions); flagged: beyond the units' range by more than the spread";

/// The document as pretty-printed UTF-8 JSON.
pub fn render(report: &Report) -> Vec<u8> {
    let runs: Vec<Value> = (0..report.runs.runs.len()).map(|run| run_json(report, run)).collect();
    let doc = json!({
        "report_version": VERSION,
        "baseline": report.runs.baseline_run().name,
        "references": report.references.as_ref().map(|r| json!({
            "dir": r.dir.display().to_string(),
            "results": r.runs.len(),
            "rule": RULE,
        })),
        "runs": runs,
    });
    let mut bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn run_json(report: &Report, run: usize) -> Value {
    let named = &report.runs.runs[run];
    let figures = &report.figures[run];
    json!({
        "name": named.name,
        "run_id": named.doc.run.id,
        "path": named.path.display().to_string(),
        "sku": Sku::of(&named.doc).describe(),
        "references": references_json(report.references.as_ref(), figures),
        "glance": glance_json(report, run, &report.glances[run], figures),
        "not_measured": report.glances[run].not_measured,
        "figures": figures.figures.iter().map(|f| figure_json(&named.doc, f)).collect::<Vec<_>>(),
    })
}

fn references_json(refs: Option<&References>, figures: &RunFigures) -> Value {
    let (Some(refs), Some(matched)) = (refs, &figures.matched) else { return Value::Null };
    let one = |i: usize| json!({"path": refs.runs[i].path.display().to_string(), "run_id": refs.runs[i].run_id});
    json!({
        "same_sku": matched.same_sku.iter().map(|&i| one(i)).collect::<Vec<_>>(),
        "set_aside": matched.set_aside.iter().map(|(i, why)| {
            let mut v = one(*i);
            v["reason"] = json!(why);
            v
        }).collect::<Vec<_>>(),
        "figures_judged": figures.judged(),
        "figures_flagged": figures.flagged().count(),
    })
}

fn glance_json(report: &Report, run: usize, glance: &Glance, figures: &RunFigures) -> Value {
    let index = |record, metric| figures.figures.iter().position(|f| f.record == record && f.metric == metric);
    let rows: Vec<Value> = glance
        .rows
        .iter()
        .map(|row| {
            json!({
                "label": row.label,
                "kind": row.kind.id(),
                "source": row.source,
                "note": row.note,
                "figure": index(row.record, row.metric),
                "energy_figure": row.energy.and_then(|m| index(row.record, m)),
                "words": glance_text::cell(report, run, row).sentence,
            })
        })
        .collect();
    json!({"seen_from_node": glance.home, "rows": rows})
}

fn figure_json(doc: &ResultDocument, f: &Figure) -> Value {
    let (_, m) = f.of(doc);
    json!({
        "benchmark": f.key.point.id,
        "params": f.key.point.params,
        "metric": m.name,
        "unit": m.unit,
        "value": m.value,
        "statistic": m.statistic,
        "better": m.better,
        "counts": m.counts,
        "limit": m.limit,
        "of_limit": m.of_limit,
        "reference": f.standing.as_ref().map(standing_json),
        "flag": f.standing.as_ref().filter(|s| s.flagged).map(Standing::words),
    })
}

fn standing_json(s: &Standing) -> Value {
    json!({
        "units": s.units,
        "n": s.n,
        "runs": s.runs,
        "median": s.median,
        "min": s.min,
        "max": s.max,
        "percentile": s.percentile,
        "spread": s.spread,
        "beyond": s.beyond.map(|(side, by)| json!({"side": side, "by": by})),
        "flagged": s.flagged,
        "worse": s.worse,
        "words": s.words(),
    })
}

//! Every figure of a run (a metric of an ok record) with what a report
//! says of it beside the number: what it counts, its limit and the share
//! of it (from the document), and its standing among the same SKU's
//! references.

use hwbench_schema::{Fact, Metric, Record, RecordStatus, ResultDocument};

use crate::format;
use crate::key::PointKey;
use crate::references::{FigureKey, Matched, References, Standing};

/// One figure of a run.
#[derive(Debug, Clone)]
pub struct Figure {
    /// Index of its record in the document's `benchmarks`.
    pub record: usize,
    /// Index of the metric in the record's `metrics`.
    pub metric: usize,
    pub key: FigureKey,
    /// Its standing among the references of the run's SKU that measured it.
    pub standing: Option<Standing>,
}

impl Figure {
    /// The record and metric in `doc`.
    pub fn of<'a>(&self, doc: &'a ResultDocument) -> (&'a Record, &'a Metric) {
        let record = &doc.benchmarks[self.record];
        (record, &record.metrics[self.metric])
    }

    /// The figure in words: "bandwidth 38.79 GB/s: 41% of the DRAM limit
    /// (614.4 GB/s: ...); 12% below every reference run". `what` names
    /// the figure, `limit_name` the kind of limit ("DRAM limit").
    pub fn sentence(&self, doc: &ResultDocument, what: &str, limit_name: &str) -> String {
        let (_, m) = self.of(doc);
        let mut parts = vec![format!("{what} {} {}", format::value(m.value), m.unit)];
        parts.extend(limit_words(m, limit_name));
        parts.extend(self.standing.as_ref().map(Standing::words));
        let (head, tail) = parts.split_at(1);
        if tail.is_empty() {
            head[0].clone()
        } else {
            format!("{}: {}", head[0], tail.join("; "))
        }
    }
}

/// The limit in words: "41% of the DRAM limit (614.4 GB/s: 16 channels x
/// 4800 MT/s x 8 B)", "DRAM limit unknown: why"; `None` for figures no
/// limit applies to.
fn limit_words(m: &Metric, limit_name: &str) -> Option<String> {
    match m.limit.as_ref()? {
        Fact::Known(l) => {
            let limit = format!("{} {}: {}", format::value(l.value), l.unit, l.derivation);
            Some(match m.of_limit {
                Some(share) => format!("{} of the {limit_name} ({limit})", format::percent_rounded(share)),
                None => format!("the {limit_name} is {limit}"),
            })
        }
        Fact::Unknown { unknown } => {
            let why = unknown.strip_prefix("limit unknown: ").unwrap_or(unknown);
            Some(format!("{limit_name} unknown: {why}"))
        }
    }
}

/// A run's figures and the references they were set beside.
#[derive(Debug, Clone)]
pub struct RunFigures {
    /// The references of the run's SKU and those set aside; `None` when
    /// the report has no references.
    pub matched: Option<Matched>,
    /// Every finite metric of every ok record, in document order.
    pub figures: Vec<Figure>,
}

impl RunFigures {
    /// The figures of `doc`, each with its standing among `references`
    /// (`matched`: which of them are of the run's SKU).
    pub fn of(doc: &ResultDocument, references: Option<(&References, Matched)>) -> Self {
        let mut figures = Vec::new();
        for (r, record) in doc.benchmarks.iter().enumerate().filter(|(_, r)| r.status == RecordStatus::Ok) {
            let point = PointKey::of(record);
            for (i, m) in record.metrics.iter().enumerate().filter(|(_, m)| m.value.is_finite()) {
                let key = FigureKey { point: point.clone(), metric: m.name.clone() };
                let standing = references.as_ref().and_then(|(refs, matched)| refs.standing(matched, &key, m));
                figures.push(Figure { record: r, metric: i, key, standing });
            }
        }
        RunFigures { matched: references.map(|(_, m)| m), figures }
    }

    /// The figure of metric `metric` of record `record`.
    pub fn find(&self, record: usize, metric: usize) -> Option<&Figure> {
        self.figures.iter().find(|f| f.record == record && f.metric == metric)
    }

    /// The figures flagged against the references.
    pub fn flagged(&self) -> impl Iterator<Item = &Figure> {
        self.figures.iter().filter(|f| f.standing.as_ref().is_some_and(|s| s.flagged))
    }

    /// How many figures had references to stand among.
    pub fn judged(&self) -> usize {
        self.figures.iter().filter(|f| f.standing.is_some()).count()
    }

    /// Which references the run was set beside, in words: "5 reference
    /// run(s) of this SKU in DIR; 30 of its 32 figures had references, 2
    /// flagged; set aside: FILE: another SKU: ...". `None` without
    /// references.
    pub fn references_line(&self, refs: &References) -> Option<String> {
        let matched = self.matched.as_ref()?;
        let mut text = match matched.same_sku.len() {
            0 => format!("no reference run of this SKU in {}", refs.dir.display()),
            n => format!("{n} reference run(s) of this SKU in {}", refs.dir.display()),
        };
        text += &format!(
            "; {} of its {} figures had references, {} flagged",
            self.judged(),
            self.figures.len(),
            self.flagged().count()
        );
        if !matched.set_aside.is_empty() {
            let reasons: Vec<String> =
                matched.set_aside.iter().map(|(i, why)| format!("{}: {why}", refs.runs[*i].path.display())).collect();
            text += &format!("; set aside: {}", reasons.join("; "));
        }
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::references::{standing, Measured};
    use hwbench_schema::{Better, Limit};

    fn doc_with(metric: Metric) -> ResultDocument {
        let mut doc: ResultDocument =
            serde_json::from_str(include_str!("../../tests/fixtures/results/minimal-v1.json")).unwrap();
        let params = [("kernel".to_string(), hwbench_schema::ParamValue::Str("triad".into()))].into();
        doc.benchmarks = vec![Record { metrics: vec![metric], ..Record::new("memory.bandwidth", params) }];
        doc
    }

    /// The sentence: share of the limit with its derivation, then
    /// the standing among the references.
    #[test]
    fn a_figure_in_words_names_its_limit_and_its_standing() {
        let mut m = Metric::new("bandwidth", "GB/s", 251.9, "max", vec![251.9], Better::Higher);
        m.limit = Some(Fact::Known(Limit {
            value: 614.4,
            unit: "GB/s".into(),
            derivation: "16 channels x 4800 MT/s x 8 B".into(),
        }));
        m.of_limit = Some(251.9 / 614.4);
        let refs: Vec<Measured> = [286.0, 287.0, 288.0, 289.0, 290.0]
            .iter()
            .map(|&value| Measured { value, repetitions: Vec::new() })
            .collect();
        let figure = Figure {
            record: 0,
            metric: 0,
            key: FigureKey { point: PointKey::of(&doc_with(m.clone()).benchmarks[0]), metric: "bandwidth".into() },
            standing: standing(m.value, m.better, &refs),
        };
        let doc = doc_with(m.clone());
        assert_eq!(
            figure.sentence(&doc, "bandwidth", "DRAM limit"),
            "bandwidth 251.9 GB/s: 41% of the DRAM limit (614.4 GB/s: 16 channels x 4800 MT/s x 8 B); 12% below \
             every reference run (run-to-run spread 1.2%)"
        );
        // Unknown: the reason, once; no limit at all: the figure alone.
        m.limit = Some(Fact::unknown("limit unknown: Fixture GPU A (PCI 10de:0000) is not in the table"));
        m.of_limit = None;
        let unknown = Figure { standing: None, ..figure.clone() };
        assert_eq!(
            unknown.sentence(&doc_with(m.clone()), "bandwidth", "limit"),
            "bandwidth 251.9 GB/s: limit unknown: Fixture GPU A (PCI 10de:0000) is not in the table"
        );
        m.limit = None;
        assert_eq!(unknown.sentence(&doc_with(m), "bandwidth", "limit"), "bandwidth 251.9 GB/s");
    }
}

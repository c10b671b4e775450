//! The same SKU's references: earlier results of like machines (the
//! user's own, or those kept in results/<machine>/), each figure of a run
//! set beside the same figure of every reference of its SKU ([`sku`]):
//! its percentile among them, and a flag when it lies beyond all of them by
//! more than their run-to-run spread ([`standing`]). References of another
//! SKU are set aside with the reason; a directory holding none of the
//! runs' SKU is refused.

pub mod sku;
pub mod standing;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hwbench_schema::{Metric, RecordStatus, ResultDocument};

use crate::key::PointKey;
use crate::ReportError;
pub use sku::Sku;
pub use standing::{standing, Measured, Side, Standing, Units};

/// One figure: a metric of a benchmark point.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FigureKey {
    pub point: PointKey,
    /// The metric's name.
    pub metric: String,
}

/// What is kept of one reference result.
#[derive(Debug, Clone)]
pub struct Reference {
    /// The file it came from.
    pub path: PathBuf,
    pub run_id: String,
    pub sku: Sku,
    /// Each figure of its ok records: unit and what was measured.
    figures: HashMap<FigureKey, (String, Measured)>,
}

impl Reference {
    /// Keeps a document's SKU and figures; the document can be dropped.
    pub fn of(path: PathBuf, doc: &ResultDocument) -> Self {
        let mut figures = HashMap::new();
        for record in doc.benchmarks.iter().filter(|r| r.status == RecordStatus::Ok) {
            let point = PointKey::of(record);
            for m in record.metrics.iter().filter(|m| m.value.is_finite()) {
                let measured =
                    Measured { value: m.value, repetitions: m.repetitions.iter().map(|r| r.value).collect() };
                let key = FigureKey { point: point.clone(), metric: m.name.clone() };
                figures.entry(key).or_insert((m.unit.clone(), measured));
            }
        }
        Reference { path, run_id: doc.run.id.clone(), sku: Sku::of(doc), figures }
    }
}

/// A directory of reference results.
#[derive(Debug, Clone)]
pub struct References {
    /// The directory, as given.
    pub dir: PathBuf,
    /// Every result found under it, in path order.
    pub runs: Vec<Reference>,
}

/// The references of one run: those of its SKU, and those set aside.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Matched {
    /// Indexes into [`References::runs`].
    pub same_sku: Vec<usize>,
    /// (index, why it was set aside).
    pub set_aside: Vec<(usize, String)>,
}

impl References {
    /// Loads every result under `dir` (searched recursively for `*.json`).
    /// Bad input: `dir` is not a directory, holds no result, or holds a
    /// file that is not one (named).
    pub fn load(dir: &Path) -> Result<Self, ReportError> {
        if !dir.is_dir() {
            return Err(ReportError::ReferencesNotDir(dir.to_path_buf()));
        }
        let runs = crate::inputs::files(&[dir.to_path_buf()])?
            .into_iter()
            .map(|path| Ok(Reference::of(path.clone(), &hwbench_schema::load(&path)?)))
            .collect::<Result<Vec<_>, ReportError>>()?;
        Ok(References { dir: dir.to_path_buf(), runs })
    }

    /// Which references are of the SKU of the run `doc` and which are set
    /// aside, and why: another SKU (the parts that differ), or the run
    /// itself.
    pub fn matching(&self, doc: &ResultDocument) -> Matched {
        let sku = Sku::of(doc);
        let mut matched = Matched::default();
        for (i, reference) in self.runs.iter().enumerate() {
            let differences = sku.differences(&reference.sku);
            if reference.run_id == doc.run.id {
                matched.set_aside.push((i, "the run itself".into()));
            } else if !differences.is_empty() {
                matched.set_aside.push((i, format!("another SKU: {}", differences.join("; "))));
            } else {
                matched.same_sku.push(i);
            }
        }
        matched
    }

    /// Refuses references that hold no run of the SKU of any of `docs`,
    /// naming why the first was set aside.
    pub fn check(&self, docs: &[&ResultDocument]) -> Result<Vec<Matched>, ReportError> {
        let matched: Vec<Matched> = docs.iter().map(|d| self.matching(d)).collect();
        if matched.iter().all(|m| m.same_sku.is_empty()) {
            let why = matched.first().and_then(|m| m.set_aside.first()).map(|(_, why)| why.clone());
            return Err(ReportError::NoReferenceOfSku {
                dir: self.dir.clone(),
                count: self.runs.len(),
                why: why.unwrap_or_default(),
            });
        }
        Ok(matched)
    }

    /// The standing of a run's figure (`key`, measured as `metric`) among
    /// the references `matched` that measured it in the same unit.
    pub fn standing(&self, matched: &Matched, key: &FigureKey, metric: &Metric) -> Option<Standing> {
        let measured: Vec<Measured> = matched
            .same_sku
            .iter()
            .filter_map(|&i| self.runs[i].figures.get(key))
            .filter(|(unit, _)| *unit == metric.unit)
            .map(|(_, m)| m.clone())
            .collect();
        standing(metric.value, metric.better, &measured)
    }
}

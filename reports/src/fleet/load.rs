//! Loading many result documents at once: a few threads, each holding one
//! document at a time and keeping only its [`Draft`], so that memory stays
//! bounded by the drafts however large the fleet.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::node::{Draft, MetricTable};
use crate::ReportError;

/// Most threads used: parsing is CPU-bound and the drafts are small.
const MAX_WORKERS: usize = 8;

/// Drafts of every file, in order, each with the index of the metric table
/// (one per thread) its figures are numbered in.
pub type Loaded = (Vec<(usize, Draft)>, Vec<MetricTable>);

/// Loads every file, in order. The first bad file in that order stops
/// everything, with its name in the error.
pub fn drafts(files: &[PathBuf], group_by: &[String]) -> Result<Loaded, ReportError> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_WORKERS).min(files.len());
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let work = |worker: usize| {
        let mut table = MetricTable::default();
        let mut done = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(path) = files.get(i) else { break };
            let draft =
                hwbench_schema::load(path).map(|doc| (worker, Draft::of(path.clone(), &doc, group_by, &mut table)));
            failed.fetch_or(draft.is_err(), Ordering::Relaxed);
            done.push((i, draft));
        }
        (done, table)
    };
    type Slot = Option<Result<(usize, Draft), hwbench_schema::LoadError>>;
    let mut slots: Vec<Slot> = (0..files.len()).map(|_| None).collect();
    let mut tables = Vec::with_capacity(workers);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers).map(|w| scope.spawn(move || work(w))).collect();
        for handle in handles {
            let (done, table) = handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (i, draft) in done {
                slots[i] = Some(draft);
            }
            tables.push(table);
        }
    });
    // Files are taken in order, so every file before a bad one was loaded:
    // the first error in file order is the first bad file.
    let mut drafts = Vec::with_capacity(files.len());
    for slot in slots {
        match slot {
            Some(Ok(draft)) => drafts.push(draft),
            Some(Err(e)) => return Err(e.into()),
            None => {}
        }
    }
    Ok((drafts, tables))
}

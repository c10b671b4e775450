//! The run's instruments: the energy meters and the process counters around
//! every measurement window. The run command installs them once, after
//! measuring idle power ([`install`]); the sampler brackets each sampling
//! phase ([`begin`], [`Bracket::end`] with the work done in it); the runner
//! collects what a record's windows measured ([`take`]). Until instruments
//! are installed (library tests), every call does nothing.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use hwbench_schema::{CountersRecord, EnergyRecord, Metric};

use super::report::{energy_metrics, energy_record, IdlePower};
use super::window::{EnergyMeasurement, EnergyMeters, EnergyWindow};
use super::Source;
use crate::counters::{self, CounterSet};

/// RAPL counters update about every millisecond: a shorter window than
/// this is run on until it is this long.
pub const MIN_WINDOW: Duration = Duration::from_millis(100);

/// Work done in a window, in the unit its energy per operation is quoted
/// in: "GB" (J/GB), "FLOP" (pJ/FLOP), "IOP" (pJ/IOP), "bit" (pJ/bit),
/// "access" (nJ/access).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Work {
    /// How much.
    pub amount: f64,
    /// Of what.
    pub unit: &'static str,
}

impl Work {
    /// This work done `n` times.
    pub fn times(self, n: u64) -> Work {
        Work { amount: self.amount * n as f64, unit: self.unit }
    }
}

/// The meters, with idle power once measured.
pub struct Instruments {
    meters: Option<EnergyMeters>,
    idle: Option<IdlePower>,
}

impl Instruments {
    /// Instruments over the sources found at discovery (none: counters only).
    pub fn new(sources: Vec<Source>) -> Self {
        let meters = Some(EnergyMeters::new(sources)).filter(|m| !m.is_empty());
        Instruments { meters, idle: None }
    }

    /// Measures idle power over `duration`; None when there is no meter.
    pub fn measure_idle(&mut self, duration: Duration) -> Option<&IdlePower> {
        let idle = IdlePower::from_measurement(&self.meters.as_ref()?.measure_idle(duration));
        Some(self.idle.insert(idle))
    }

    /// True when at least one energy domain is read.
    pub fn has_meters(&self) -> bool {
        self.meters.is_some()
    }
}

static INSTALLED: OnceLock<Instruments> = OnceLock::new();

/// What the windows of the record being measured gave so far.
static PENDING: Mutex<Pending> = Mutex::new(Pending { energy: None, counters: None, work: Vec::new() });

struct Pending {
    energy: Option<EnergyMeasurement>,
    counters: Option<CountersRecord>,
    work: Vec<Option<Work>>,
}

/// Makes `instruments` the run's; false when some already are.
pub fn install(instruments: Instruments) -> bool {
    INSTALLED.set(instruments).is_ok()
}

/// Opens a measurement window: the energy meters, then the counters of
/// every thread of the process (the meters' poller left out). None until
/// instruments are installed.
pub fn begin() -> Option<Bracket> {
    let instruments = INSTALLED.get()?;
    let energy = instruments.meters.as_ref().map(EnergyMeters::start);
    let exclude: Vec<i32> = energy.iter().map(EnergyWindow::poller_tid).collect();
    Some(Bracket { counters: Some(CounterSet::start(&exclude)), energy })
}

/// An open measurement window; ended by [`Bracket::end`], or by drop (an
/// error or interruption inside the window) with no work counted.
pub struct Bracket {
    counters: Option<CounterSet>,
    energy: Option<EnergyWindow>,
}

impl Bracket {
    /// How long the window must last: [`MIN_WINDOW`] when energy is
    /// measured, nothing for counters alone.
    pub fn min_window(&self) -> Duration {
        if self.energy.is_some() {
            MIN_WINDOW
        } else {
            Duration::ZERO
        }
    }

    /// Closes the window and adds it to the record's, with the work done.
    pub fn end(mut self, work: Option<Work>) {
        self.close(work);
    }

    fn close(&mut self, work: Option<Work>) {
        let Some(set) = self.counters.take() else { return };
        let counted = set.stop();
        let energy = self.energy.take().map(EnergyWindow::stop);
        let mut pending = PENDING.lock().unwrap_or_else(|p| p.into_inner());
        match &mut pending.counters {
            Some(total) => counters::merge(total, counted),
            None => pending.counters = Some(counted),
        }
        match (&mut pending.energy, energy) {
            (Some(total), Some(e)) => total.merge(e),
            (slot, e) => *slot = slot.take().or(e),
        }
        pending.work.push(work);
    }
}

impl Drop for Bracket {
    fn drop(&mut self) {
        self.close(None);
    }
}

/// What a record's windows measured, ready for the record.
#[derive(Debug, Default)]
pub struct Attached {
    /// The energy object, when meters exist.
    pub energy: Option<EnergyRecord>,
    /// The counters, when a window was opened.
    pub counters: Option<CountersRecord>,
    /// `power`, `energy`, `energy_per_op` and their `_net` forms.
    pub metrics: Vec<Metric>,
}

/// Takes what the windows since the last call measured (empty when no
/// window was opened) and derives the metrics with the work they did.
pub fn take() -> Attached {
    let mut pending = PENDING.lock().unwrap_or_else(|p| p.into_inner());
    let work = total_work(&std::mem::take(&mut pending.work)).map(|w| (w.amount, w.unit));
    let idle = INSTALLED.get().and_then(|i| i.idle.as_ref());
    let energy = pending.energy.take().map(|m| energy_record(&m, idle));
    let metrics = energy.as_ref().map(|e| energy_metrics(e, work)).unwrap_or_default();
    let counters = pending.counters.take().map(|mut c| {
        counters::derive(&mut c, work);
        c
    });
    Attached { energy, counters, metrics }
}

/// The work of all windows: known only when every window declared work
/// in the same unit.
fn total_work(works: &[Option<Work>]) -> Option<Work> {
    let first = (*works.first()?)?;
    works.iter().try_fold(Work { amount: 0.0, unit: first.unit }, |sum, w| match w {
        Some(w) if w.unit == sum.unit => Some(Work { amount: sum.amount + w.amount, unit: sum.unit }),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(amount: f64, unit: &'static str) -> Option<Work> {
        Some(Work { amount, unit })
    }

    #[test]
    fn work_adds_up_only_in_one_unit() {
        assert_eq!(total_work(&[work(2.0, "GB"), work(3.0, "GB")]), work(5.0, "GB"));
        assert_eq!(total_work(&[work(2.0, "GB"), work(3.0, "access")]), None);
        assert_eq!(total_work(&[work(2.0, "GB"), None]), None);
        assert_eq!(total_work(&[]), None);
        assert_eq!(Work { amount: 1.5, unit: "FLOP" }.times(4), Work { amount: 6.0, unit: "FLOP" });
    }

    /// The whole path with counters only (no meter here): nothing until
    /// installed; then windows of one record add up and are taken once.
    #[test]
    fn installed_instruments_bracket_windows_and_hand_them_over_once() {
        assert!(begin().is_none());
        assert!(take().counters.is_none());
        assert!(install(Instruments::new(Vec::new())));
        assert!(!install(Instruments::new(Vec::new())));
        for _ in 0..2 {
            let bracket = begin().unwrap();
            crate::counters::tests::touch_fresh_pages(64);
            bracket.end(work(1e9, "access"));
        }
        // Dropped without end (an error inside the window): still closed.
        drop(begin().unwrap());
        let attached = take();
        assert!(attached.energy.is_none() && attached.metrics.is_empty());
        let counters = attached.counters.unwrap();
        assert!(counters.values["page_faults"].count >= 128, "{:?}", counters.values["page_faults"]);
        assert!(counters.window_s > 0.0);
        assert!(take().counters.is_none());
    }
}

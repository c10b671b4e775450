//! The instruments of a run: the energy meters and the process counters
//! around every measurement window. Nothing here is global: whoever
//! measures owns an [`Instruments`] (the meters, with idle power once
//! measured), opens a [`Bracket`] around each sampling phase, and adds the
//! [`Window`] it gives to the [`Tally`] of the record being measured.

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

/// The meters, with idle power once measured. Without meters it still
/// brackets windows with the process counters.
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

    /// Idle power, once measured.
    pub fn idle(&self) -> Option<&IdlePower> {
        self.idle.as_ref()
    }

    /// Opens a measurement window: the energy meters, then the counters of
    /// every thread of the process (the meters' poller left out).
    pub fn begin(&self) -> Bracket {
        let energy = self.meters.as_ref().map(EnergyMeters::start);
        let exclude: Vec<i32> = energy.iter().map(EnergyWindow::poller_tid).collect();
        Bracket { counters: CounterSet::start(&exclude), energy }
    }
}

/// An open measurement window, closed by [`Bracket::end`]; dropped (an
/// error or interruption inside the window) it measures nothing.
pub struct Bracket {
    counters: CounterSet,
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

    /// Closes the window, with the work done in it.
    pub fn end(self, work: Option<Work>) -> Window {
        let counters = self.counters.stop();
        let energy = self.energy.map(EnergyWindow::stop);
        Window { energy, counters, work }
    }
}

/// What one closed window measured.
#[derive(Debug)]
pub struct Window {
    /// Energy per domain, when meters exist.
    pub energy: Option<EnergyMeasurement>,
    /// The counters of the process over the window.
    pub counters: CountersRecord,
    /// The work done, when the workload counts it.
    pub work: Option<Work>,
}

/// The windows of one record (or one repetition of it) so far.
#[derive(Debug, Default)]
pub struct Tally {
    energy: Option<EnergyMeasurement>,
    counters: Option<CountersRecord>,
    work: Vec<Option<Work>>,
}

impl Tally {
    /// Adds a closed window.
    pub fn add(&mut self, window: Window) {
        match &mut self.counters {
            Some(total) => counters::merge(total, window.counters),
            None => self.counters = Some(window.counters),
        }
        match (&mut self.energy, window.energy) {
            (Some(total), Some(e)) => total.merge(e),
            (slot, e) => *slot = slot.take().or(e),
        }
        self.work.push(window.work);
    }

    /// Adds every window of another tally.
    pub fn absorb(&mut self, other: Tally) {
        if let Some(counters) = other.counters {
            match &mut self.counters {
                Some(total) => counters::merge(total, counters),
                None => self.counters = Some(counters),
            }
        }
        match (&mut self.energy, other.energy) {
            (Some(total), Some(e)) => total.merge(e),
            (slot, e) => *slot = slot.take().or(e),
        }
        self.work.extend(other.work);
    }

    /// True when no window was added.
    pub fn is_empty(&self) -> bool {
        self.work.is_empty()
    }

    /// The energy object, counters and energy metrics of these windows,
    /// with the work they did; idle power gives the `_net` figures.
    pub fn attach(&self, idle: Option<&IdlePower>) -> Attached {
        let work = total_work(&self.work).map(|w| (w.amount, w.unit));
        let energy = self.energy.as_ref().map(|m| energy_record(m, idle));
        let metrics = energy.as_ref().map(|e| energy_metrics(e, work)).unwrap_or_default();
        let counters = self.counters.clone().map(|mut c| {
            counters::derive(&mut c, work);
            c
        });
        Attached { energy, counters, metrics }
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

    /// Two sets of instruments in one process keep their windows apart:
    /// each tally holds exactly the windows added to it.
    #[test]
    fn windows_add_up_in_the_tally_they_are_given_to() {
        let instruments = Instruments::new(Vec::new());
        let (mut first, mut second) = (Tally::default(), Tally::default());
        for _ in 0..2 {
            let bracket = instruments.begin();
            crate::counters::tests::touch_fresh_pages(64);
            first.add(bracket.end(work(1e9, "access")));
        }
        second.add(instruments.begin().end(None));
        let attached = first.attach(None);
        assert!(attached.energy.is_none() && attached.metrics.is_empty());
        let counters = attached.counters.unwrap();
        assert!(counters.values["page_faults"].count >= 128, "{:?}", counters.values["page_faults"]);
        assert!(counters.window_s > 0.0);
        assert!(second.attach(None).counters.unwrap().values["page_faults"].count < 128);
        assert!(Tally::default().attach(None).counters.is_none());
        first.absorb(second);
        assert_eq!(first.work.len(), 3);
    }
}
